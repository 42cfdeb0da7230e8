//! `codebench projects`, `units`, `import`, `images` and `github`: the corpus and how it got
//! into the study.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use codebench::api::{self, corpus as c};
use codebench::corpus::github::GithubImportSummary;
use indicatif::{ProgressBar, ProgressStyle};

use crate::shell::{abs, Shell};
use crate::{say, Format};

/// `codebench projects ...`
#[derive(Subcommand)]
pub enum ProjectsCmd {
    /// Every project with its commit, Dockerfiles, changes and problems.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// One project as a rater reads it: README and Dockerfiles (JSON: the app's view).
    Show {
        /// owner/name.
        project: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Remove a project (refused while decisions, consensus or rounds hold its units).
    Remove {
        /// owner/name.
        project: String,
        /// Who removes it (kept in the history).
        #[arg(long)]
        by: String,
    },
}

/// Runs `codebench projects`.
pub fn projects(sh: &Shell, cmd: ProjectsCmd) -> anyhow::Result<()> {
    match cmd {
        ProjectsCmd::List { format } => {
            let list = sh.call(api::list_projects, c::ProjectsRequest {})?;
            if format == Format::Json {
                return crate::out::json(&list);
            }
            for p in list {
                say!(
                    "{:<40} {:<7} {:>3} Dockerfile{}  {}{}{}",
                    p.name,
                    p.source,
                    p.dockerfiles,
                    if p.dockerfiles == 1 { " " } else { "s" },
                    p.commit
                        .as_deref()
                        .map(|c| c.get(..12).unwrap_or(c))
                        .unwrap_or("-"),
                    if p.changed { "  changed upstream" } else { "" },
                    p.problem
                        .map(|x| format!("  problem: {x}"))
                        .unwrap_or_default()
                );
            }
        }
        ProjectsCmd::Show { project, format } => {
            let v = sh.call(api::project_view, c::ProjectRequest { project })?;
            if format == Format::Json {
                return crate::out::json(&v);
            }
            say!(
                "{}  {}",
                v.name,
                v.commit.as_deref().unwrap_or("(no commit)")
            );
            match &v.readme {
                Some(r) => say!("README {} ({} bytes, {})", r.path, r.size, r.status),
                None => say!("no README"),
            }
            for d in &v.dockerfiles {
                say!("Dockerfile {} ({} bytes, {})", d.path, d.size, d.status);
            }
            if let Some(text) = v.readme.as_ref().and_then(|r| r.text.as_deref()) {
                say!("\n{text}");
            }
        }
        ProjectsCmd::Remove { project, by } => {
            let r = sh.call(api::remove_project, c::RemoveProject { project, by })?;
            say!(
                "removed {} ({} units, {} snapshots)",
                r.project,
                r.units,
                r.snapshots
            );
        }
    }
    Ok(())
}

/// Runs `codebench units`.
pub fn units(sh: &Shell, format: Format) -> anyhow::Result<()> {
    let units = sh.call(api::list_units, c::UnitsRequest {})?;
    if format == Format::Json {
        return crate::out::json(&units);
    }
    for u in units {
        say!("{:<10} {}", u.kind, u.name);
    }
    Ok(())
}

/// `codebench import ...`
#[derive(Subcommand)]
pub enum ImportCmd {
    /// Checkouts on disk: the README, every Dockerfile, compose and workflow files.
    Local {
        /// Record READMEs and Dockerfiles that are too large or not UTF-8 without their text,
        /// instead of refusing the import.
        #[arg(long)]
        lenient: bool,
        /// The checkout folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// One column of labels from any CSV, as one rater's decisions (e.g. a published
    /// study's spreadsheet: --rater ease2022 --dimension kind --unit-column repos
    /// --code-column manual_topic).
    Labels {
        #[arg(long)]
        rater: String,
        #[arg(long)]
        dimension: String,
        #[arg(long)]
        unit_column: String,
        #[arg(long)]
        code_column: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// Repositories from GitHub (token: the one kept with `codebench github token keep`, else
    /// $GITHUB_TOKEN): metadata, README, Dockerfiles, compose and workflow files, image
    /// references. Resumes where an earlier run stopped.
    Github(ImportGithubArgs),
    /// Decisions from a CSV: rater,unit,dimension,code[,memo,flagged,coded_at,evidence], one row per code.
    Codings {
        /// The CSV file.
        file: PathBuf,
    },
    /// A REFI-QDA project (.qdpx) from ATLAS.ti, MAXQDA, NVivo, QualCoder or Codebench: each
    /// user's codings of the study's READMEs and Dockerfiles as that rater's decisions,
    /// selections as evidence, notes as memos. All or nothing.
    Qdpx {
        /// Say what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The .qdpx file.
        file: PathBuf,
    },
}

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

/// Runs `codebench import`.
pub fn import(sh: &Shell, cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::Local { lenient, dirs } => {
            let dirs = dirs.iter().map(|d| abs(d)).collect::<anyhow::Result<_>>()?;
            for r in sh.call(api::import_local, c::ImportLocal { dirs, lenient })? {
                let s = &r.stored;
                say!(
                    "{:<40} {:<9} {} Dockerfile{}, {}{}",
                    s.project,
                    s.outcome,
                    s.dockerfiles,
                    if s.dockerfiles == 1 { "" } else { "s" },
                    if s.readme { "README" } else { "no README" },
                    s.commit
                        .as_deref()
                        .map(|c| format!(", commit {}", c.get(..12).unwrap_or(c)))
                        .unwrap_or_default()
                );
                for skipped in &s.skipped {
                    say!("  recorded without text: {skipped}");
                }
            }
        }
        ImportCmd::Labels {
            rater,
            dimension,
            unit_column,
            code_column,
            file,
        } => {
            let s = sh.call(
                api::import_labels,
                api::coding::ImportLabels {
                    file: abs(&file)?,
                    rater,
                    dimension,
                    unit_column,
                    code_column,
                },
            )?;
            say!(
                "{} decisions recorded, {} unchanged, {} rows without a label skipped",
                s.recorded,
                s.unchanged,
                s.skipped_empty
            );
        }
        ImportCmd::Github(a) => import_github(sh, a)?,
        ImportCmd::Qdpx {
            dry_run,
            format,
            file,
        } => {
            let r = sh.call(
                api::import_qdpx,
                api::qdpx::ImportQdpx {
                    file: abs(&file)?,
                    dry_run,
                },
            )?;
            if format == Format::Json {
                return crate::out::json(&r);
            }
            say!(
                "{}{} new, {} changed, {} unchanged decisions; {} evidence quotes, {} memos, {} consensus",
                if r.dry_run { "dry run, nothing written: " } else { "" },
                r.decisions_created,
                r.decisions_updated,
                r.decisions_unchanged,
                r.evidence_added,
                r.memos,
                r.consensus
            );
            if !r.raters_added.is_empty() {
                say!("raters added: {}", r.raters_added.join(", "));
            }
            for s in &r.unmatched_sources {
                say!("not imported: source '{s}' is no README or Dockerfile of the study");
            }
            for c in &r.unknown_codes {
                say!("not imported: code '{c}' is not in the codebook");
            }
            for n in &r.not_imported {
                say!("not imported: {n}");
            }
        }
        ImportCmd::Codings { file } => {
            let s = sh.call(
                api::import_codings,
                api::coding::ImportFile { file: abs(&file)? },
            )?;
            say!(
                "{} new, {} changed, {} unchanged decisions",
                s.created,
                s.updated,
                s.unchanged
            );
            if !s.raters_added.is_empty() {
                say!("raters added: {}", s.raters_added.join(", "));
            }
        }
    }
    Ok(())
}

/// `codebench import github`: a progress bar, then a summary.
fn import_github(sh: &Shell, a: ImportGithubArgs) -> anyhow::Result<()> {
    let req = c::ImportGithub {
        repos: a.repos,
        list: a.list.as_deref().map(abs).transpose()?,
        token: None,
        api_url: a.api_url,
        concurrency: Some(a.concurrency),
        refresh: a.refresh,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
        )
        .context("progress bar template")?,
    );
    let say_line = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let on_progress = |p: c::GithubProgress| match p {
        c::GithubProgress::Planned { to_fetch, skipped } => {
            bar.set_length(to_fetch as u64);
            if skipped > 0 {
                say_line(format!(
                    "{skipped} repositories already imported are skipped (--refresh fetches them again)"
                ));
            }
        }
        c::GithubProgress::Started { repo } => bar.set_message(repo),
        c::GithubProgress::Waiting {
            repo,
            reason,
            wait_seconds,
        } => {
            say_line(format!(
                "waiting {}: {reason} ({repo})",
                human(Duration::from_secs_f64(wait_seconds.max(0.0)))
            ));
        }
        c::GithubProgress::Done { result } => {
            bar.inc(1);
            if let Some(f) = &result.failure {
                bar.set_message(format!("{} failed: {f}", result.requested));
            }
        }
    };
    let summary = sh.task(api::import_github, req, &on_progress)?;
    bar.finish_and_clear();
    if a.format == Format::Json {
        return crate::out::json(&summary);
    }
    print_summary(&summary)
}

fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

fn print_summary(s: &GithubImportSummary) -> anyhow::Result<()> {
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
    say!(
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
        say!("renamed:");
        for r in renamed {
            say!(
                "  {} -> {}",
                r.renamed_from.as_deref().unwrap_or_default(),
                r.project
            );
        }
    }
    if !problems.is_empty() {
        say!("with problems:");
        for r in problems {
            say!("  {}: {}", r.project, r.problems.join("; "));
        }
    }
    if !failed.is_empty() {
        say!("failed:");
        for r in failed {
            say!(
                "  {}: {}",
                r.requested,
                r.failure.as_deref().unwrap_or_default()
            );
        }
    }
    Ok(())
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
    /// List the references (the default).
    List {
        /// Only this project's references.
        #[arg(long, value_name = "OWNER/NAME")]
        project: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
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

/// Runs `codebench images` and its subcommands.
pub fn images(sh: &Shell, a: ImagesArgs) -> anyhow::Result<()> {
    match a.command {
        Some(ImagesCmd::Add { project, reference }) => {
            let r = sh.call(api::add_image_ref, c::ImageRefChange { project, reference })?;
            say!("added {} to {}", r.reference, r.project);
        }
        Some(ImagesCmd::Remove { project, reference }) => {
            let removed = sh.call(
                api::remove_image_ref,
                c::ImageRefChange { project, reference },
            )?;
            let places: Vec<&str> = removed.iter().map(|r| r.found_in.as_str()).collect();
            if let Some(first) = removed.first() {
                say!(
                    "removed {} from {} (found in {})",
                    first.reference,
                    first.project,
                    places.join(", ")
                );
            }
        }
        Some(ImagesCmd::List { project, format }) => list_images(sh, project, format)?,
        None => list_images(sh, a.project, a.format)?,
    }
    Ok(())
}

fn list_images(sh: &Shell, project: Option<String>, format: Format) -> anyhow::Result<()> {
    let refs = sh.call(api::image_refs, c::ImageRefsRequest { project })?;
    if format == Format::Json {
        return crate::out::json(&refs);
    }
    for r in &refs {
        say!(
            "{:<40} {:<50} {:<14} {}",
            r.project,
            r.reference,
            r.how,
            r.found_in
        );
    }
    Ok(())
}

/// `codebench github ...`
#[derive(Subcommand)]
pub enum GithubCmd {
    /// The GitHub token kept in the OS keyring (used by every import unless one is typed).
    #[command(subcommand)]
    Token(TokenCmd),
}

/// `codebench github token ...`
#[derive(Subcommand)]
pub enum TokenCmd {
    /// Whether a token is kept (it is never shown).
    Status,
    /// Keep a token: read from the first line of standard input (never an argument).
    Keep,
    /// Remove the kept token.
    Forget,
}

/// Runs `codebench github`.
pub fn github(sh: &Shell, cmd: GithubCmd) -> anyhow::Result<()> {
    let GithubCmd::Token(t) = cmd;
    match t {
        TokenCmd::Status => {
            let kept = sh.global(api::github_token_status, c::TokenStatusRequest {})?;
            say!(
                "{}",
                if kept {
                    "a GitHub token is kept in the OS keyring"
                } else {
                    "no GitHub token is kept (imports use $GITHUB_TOKEN when set)"
                }
            );
        }
        TokenCmd::Keep => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the token from standard input")?;
            let token = line.trim().to_string();
            sh.global(api::keep_github_token, c::KeepToken { token })?;
            say!("the GitHub token is kept in the OS keyring");
        }
        TokenCmd::Forget => {
            let had = sh.global(api::forget_github_token, c::TokenStatusRequest {})?;
            say!(
                "{}",
                if had {
                    "the GitHub token was removed from the OS keyring"
                } else {
                    "no GitHub token was kept"
                }
            );
        }
    }
    Ok(())
}
