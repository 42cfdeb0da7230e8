//! `codebench analyze`: Dockerfiles and images analysed without a study (this shell's own
//! tools; the study's metrics go through the API's jobs).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::say;

/// `codebench analyze ...`
#[derive(Subcommand)]
pub enum AnalyzeCmd {
    /// Parse Dockerfiles as BuildKit does and compute the study's metrics (no study needed).
    /// For a corpus, `--format ndjson --from-list FILE` streams one compact record per line,
    /// analysed on every core (exports/RECORD.md describes the record).
    Dockerfile {
        #[arg(long, value_enum, default_value_t = DockerfileFormat::Text)]
        format: DockerfileFormat,
        /// Read the paths, one per line, from this file (`-`: standard input), for corpora past
        /// the argument limit.
        #[arg(long, value_name = "FILE")]
        from_list: Option<PathBuf>,
        /// NDJSON: the whole analysis per line (as `--format json` gives it), not the record.
        #[arg(long)]
        full: bool,
        /// NDJSON: threads to analyse on (default: every core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// The Dockerfiles.
        #[arg(required_unless_present = "from_list")]
        files: Vec<PathBuf>,
    },
    /// Container image metrics (layers, files, directory levels, sizes) from a registry, an
    /// OCI layout, a docker-save archive or a skopeo dir (no study needed).
    Image(super::metrics::ImageArgs),
}

/// How `analyze dockerfile` prints.
#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum DockerfileFormat {
    /// A summary per file, for people.
    Text,
    /// One JSON document: an array of analyses.
    Json,
    /// One compact JSON record per line, streamed, analysed in parallel.
    Ndjson,
}

/// Runs an `analyze` subcommand.
pub fn run(cmd: AnalyzeCmd) -> anyhow::Result<()> {
    match cmd {
        AnalyzeCmd::Dockerfile {
            format,
            from_list,
            full,
            threads,
            files,
        } => {
            if format == DockerfileFormat::Ndjson {
                return ndjson(files, from_list, full, threads);
            }
            if from_list.is_some() {
                anyhow::bail!("--from-list streams: use it with --format ndjson");
            }
            let mut results = Vec::new();
            for f in &files {
                let bytes = std::fs::read(f).with_context(|| format!("{}", f.display()))?;
                results.push(codebench::dockerfile::analyze(
                    &f.display().to_string(),
                    &bytes,
                ));
            }
            if format == DockerfileFormat::Json {
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

/// Streams NDJSON records of the named files, then of the list's, to standard output. A reader
/// that closes the pipe ends the run quietly; an unreadable file is an error record and the
/// run goes on.
fn ndjson(
    files: Vec<PathBuf>,
    list: Option<PathBuf>,
    full: bool,
    threads: usize,
) -> anyhow::Result<()> {
    use codebench::dockerfile::bulk::{analyze_stream, paths_from_lines, BulkOptions, Detail};
    use std::io::BufReader;
    let opts = BulkOptions {
        detail: if full { Detail::Full } else { Detail::Summary },
        threads,
        ..BulkOptions::default()
    };
    let named = files.into_iter().map(Ok);
    let listed: Box<dyn Iterator<Item = std::io::Result<PathBuf>>> = match list {
        None => Box::new(std::iter::empty()),
        Some(p) if p.as_os_str() == "-" => {
            Box::new(paths_from_lines(BufReader::new(std::io::stdin())))
        }
        Some(p) => {
            let f = std::fs::File::open(&p).with_context(|| format!("{}", p.display()))?;
            Box::new(paths_from_lines(BufReader::new(f)))
        }
    };
    let out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let summary = analyze_stream(named.chain(listed), out, &opts)?;
    if summary.output_closed {
        return Err(crate::out::Closed.into());
    }
    if summary.unreadable > 0 {
        eprintln!(
            "codebench: {} of {} files could not be read (error records in the output)",
            summary.unreadable, summary.files
        );
    }
    Ok(())
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
