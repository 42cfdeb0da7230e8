//! `codebench import github` and `codebench images`: the GitHub import with a progress bar and
//! a summary, and the image references it records, listed and edited by hand.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use codebench::corpus::github::{
    entries_from_names, GithubImportOptions, GithubImportSummary, ImportProgress,
};
use codebench::Study;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Format;

/// Arguments of `codebench import github`.
#[derive(Args)]
pub struct ImportGithubArgs {
    /// Repositories: owner/name or https://github.com/owner/name.
    #[arg(required_unless_present = "list", conflicts_with = "list")]
    repos: Vec<String>,
    /// A list of repositories: text (one per line) or CSV with a repo/repos/full_name column
    /// and an optional image column.
    #[arg(long, value_name = "FILE")]
    list: Option<PathBuf>,
    /// The GitHub API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Repositories fetched at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Fetch again repositories imported before (a moved default branch adds a snapshot).
    #[arg(long)]
    refresh: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Arguments of `codebench images`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImagesArgs {
    #[command(subcommand)]
    command: Option<ImagesCmd>,
    /// Only this project's references.
    #[arg(long, value_name = "OWNER/NAME")]
    project: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Subcommand)]
enum ImagesCmd {
    /// Add an image reference to a project by hand.
    Add {
        #[arg(long, value_name = "OWNER/NAME")]
        project: String,
        /// The reference, e.g. owner/image:tag.
        reference: String,
    },
    /// Remove an image reference from a project (wherever it was found).
    Remove {
        #[arg(long, value_name = "OWNER/NAME")]
        project: String,
        /// The reference.
        reference: String,
    },
}

/// Runs `codebench import github`.
pub fn import(study: &mut Study, a: ImportGithubArgs) -> Result<()> {
    let entries = match &a.list {
        // The list error already names its cause; anyhow's chain would repeat it.
        Some(list) => codebench_github::read_repo_list(list).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => entries_from_names(&a.repos)?,
    };
    if entries.is_empty() {
        anyhow::bail!(
            "{}: the list names no repository",
            a.list
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display()
        );
    }
    let options = GithubImportOptions {
        api_url: a.api_url.clone(),
        token: std::env::var("GITHUB_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty()),
        concurrency: usize::from(a.concurrency),
        refresh: a.refresh,
        cancel: None,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
        )
        .context("progress bar template")?,
    );
    let say = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let on_progress = |p: ImportProgress| match p {
        ImportProgress::Planned { to_fetch, skipped } => {
            bar.set_length(to_fetch as u64);
            if skipped > 0 {
                say(format!(
                    "{skipped} repositories already imported are skipped (--refresh fetches them again)"
                ));
            }
        }
        ImportProgress::Started { repo } => bar.set_message(repo),
        ImportProgress::Waiting { repo, reason, wait } => {
            say(format!("waiting {}: {reason} ({repo})", human(wait)));
        }
        ImportProgress::Done(r) => {
            bar.inc(1);
            if let Some(f) = &r.failure {
                bar.set_message(format!("{} failed: {f}", r.requested));
            }
        }
    };
    let summary = study.import_github(&entries, &options, &on_progress)?;
    bar.finish_and_clear();
    if a.format == Format::Json {
        return crate::print_json(&summary);
    }
    print_summary(&summary);
    Ok(())
}

fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

fn print_summary(s: &GithubImportSummary) {
    let count = |o: &str| s.with_outcome(o).count();
    let renamed: Vec<_> = s
        .repos
        .iter()
        .filter(|r| r.renamed_from.is_some())
        .collect();
    let problems: Vec<_> = s
        .repos
        .iter()
        .filter(|r| r.failure.is_none() && !r.problems.is_empty())
        .collect();
    let failed: Vec<_> = s.failed().collect();
    println!(
        "{} fetched ({} new, {} updated, {} unchanged), {} skipped as already imported, {} renamed, {} with problems, {} failed; {} requests{}",
        count("new") + count("updated") + count("unchanged"),
        count("new"),
        count("updated"),
        count("unchanged"),
        s.skipped.len(),
        renamed.len(),
        problems.len(),
        failed.len(),
        s.requests,
        if s.waited_ms > 0 {
            format!(", waited {} for rate limits", human(Duration::from_millis(s.waited_ms)))
        } else {
            String::new()
        }
    );
    if !renamed.is_empty() {
        println!("renamed:");
        for r in renamed {
            println!(
                "  {} -> {}",
                r.renamed_from.as_deref().unwrap_or_default(),
                r.project
            );
        }
    }
    if !problems.is_empty() {
        println!("with problems:");
        for r in problems {
            println!("  {}: {}", r.project, r.problems.join("; "));
        }
    }
    if !failed.is_empty() {
        println!("failed:");
        for r in failed {
            println!(
                "  {}: {}",
                r.requested,
                r.failure.as_deref().unwrap_or_default()
            );
        }
    }
}

/// Runs `codebench images` and its subcommands.
pub fn images(study: &mut Study, a: ImagesArgs) -> Result<()> {
    match a.command {
        Some(ImagesCmd::Add { project, reference }) => {
            let r = study.add_image_ref(&project, &reference)?;
            println!("added {} to {}", r.reference, r.project);
        }
        Some(ImagesCmd::Remove { project, reference }) => {
            let removed = study.remove_image_ref(&project, &reference)?;
            let places: Vec<&str> = removed.iter().map(|r| r.found_in.as_str()).collect();
            println!(
                "removed {} from {} (found in {})",
                removed[0].reference,
                removed[0].project,
                places.join(", ")
            );
        }
        None => {
            let refs = study.image_refs(a.project.as_deref())?;
            if a.format == Format::Json {
                return crate::print_json(&refs);
            }
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for r in &refs {
                let line = writeln!(
                    out,
                    "{:<40} {:<50} {:<14} {}",
                    r.project, r.reference, r.how, r.found_in
                );
                match line {
                    // A closed pipe (`| head`) ends the listing quietly.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                    other => other?,
                }
            }
        }
    }
    Ok(())
}
