//! `codebench analyze`: Dockerfiles and images analysed without a study (this shell's own
//! tools; the study's metrics go through the API's jobs).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::{say, Format};

/// `codebench analyze ...`
#[derive(Subcommand)]
pub enum AnalyzeCmd {
    /// Parse Dockerfiles as BuildKit does and compute the study's metrics (no study needed).
    Dockerfile {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The Dockerfiles.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Container image metrics (layers, files, directory levels, sizes) from a registry, an
    /// OCI layout, a docker-save archive or a skopeo dir (no study needed).
    Image(super::metrics::ImageArgs),
}

/// Runs an `analyze` subcommand.
pub fn run(cmd: AnalyzeCmd) -> anyhow::Result<()> {
    match cmd {
        AnalyzeCmd::Dockerfile { format, files } => {
            let mut results = Vec::new();
            for f in &files {
                let bytes = std::fs::read(f).with_context(|| format!("{}", f.display()))?;
                results.push(codebench::dockerfile::analyze(
                    &f.display().to_string(),
                    &bytes,
                ));
            }
            if format == Format::Json {
                return crate::out::json(&results);
            }
            for a in &results {
                print_dockerfile_summary(a)?;
            }
            Ok(())
        }
        AnalyzeCmd::Image(a) => super::metrics::analyze(a),
    }
}

fn print_dockerfile_summary(a: &codebench::dockerfile::Analysis) -> anyhow::Result<()> {
    say!("{}", a.path);
    let counts: Vec<String> = a.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    say!(
        "  {} lines ({} comments), {} instructions: {}",
        a.lines,
        a.comment_lines,
        a.instructions.len(),
        counts.join(", ")
    );
    if a.partial {
        say!("  partial Dockerfile (no FROM, or instructions before it)");
    }
    for s in &a.stages {
        let name = s
            .name
            .as_deref()
            .map(|n| format!(" AS {n}"))
            .unwrap_or_default();
        say!(
            "  FROM {}{name}  [{}]",
            s.base.resolved,
            s.base_type.as_deref().unwrap_or("-")
        );
    }
    let cats: Vec<String> = a
        .run_categories
        .iter()
        .filter(|(_, v)| **v > 0)
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !cats.is_empty() {
        say!("  RUN commands: {}", cats.join(", "));
    }
    for h in &a.hygiene {
        say!("  hygiene, line {}: {} ({})", h.line, h.message, h.rule);
    }
    for e in &a.errors {
        let line = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
        say!("  error: {line}{}", e.message);
    }
    Ok(())
}
