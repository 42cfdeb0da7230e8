//! `codebench select` (the recorded corpus selection: search, filter, sample, show, accept,
//! rerun) and `codebench hub` (Docker Hub evidence).
//!
//! This module holds the `select` subcommands with their arguments, the step lines and `run`;
//! `select show` is in `show.rs`, the progress bar in `progress.rs`, and `codebench hub` in
//! `hub.rs`.

mod hub;
mod progress;
mod show;

use std::path::PathBuf;

use anyhow::bail;
use clap::{ArgMatches, Args, Subcommand, ValueEnum};
use codebench::api::{self, select as sel};
use codebench::select::{Criterion, Step, StepStatus};

use crate::shell::Shell;
use crate::{say, Format};

pub use hub::{hub, HubCmd};
use progress::Bar;
use show::show;

/// `codebench select ...`
#[derive(Subcommand)]
pub enum SelectCmd {
    /// Search GitHub (split by created: ranges past the 1,000-result cap), or resume the
    /// search after a cancel or a kill. GitHub leaves forks out unless the query says
    /// fork:true.
    Search(SearchArgs),
    /// Keep the repositories that meet each criterion, in the order given (each criterion is
    /// its own recorded step); the same call again resumes an unfinished step.
    Filter(FilterArgs),
    /// Draw a random or stratified sample with a seed (the same seed draws the same sample).
    Sample(SampleArgs),
    /// The selection: its steps with counts (--format json: the steps with their excluded
    /// repositories), the methods paragraph, the funnel figure.
    Show(ShowArgs),
    /// Import the repositories still in the selection from GitHub as the corpus.
    Accept(AcceptArgs),
    /// Run the selection again against today's GitHub and report what drifted (the record
    /// stays as it is).
    Rerun(RerunArgs),
}

/// `codebench select search`.
#[derive(Args)]
pub struct SearchArgs {
    /// A GitHub search query, e.g. "topic:mlops fork:true".
    query: String,
    /// The GitHub API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// The end of the created: range searched (default: now; recorded).
    #[arg(long, value_name = "DATE")]
    created_until: Option<String>,
    /// Start the selection over with this search (refused once it was accepted).
    #[arg(long)]
    restart: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `codebench select filter`.
#[derive(Args)]
pub struct FilterArgs {
    /// At least N commits on the default branch.
    #[arg(long, value_name = "N")]
    min_commits: Option<u64>,
    /// At least N releases.
    #[arg(long, value_name = "N")]
    min_releases: Option<u64>,
    /// Not archived.
    #[arg(long)]
    not_archived: bool,
    /// Not a fork.
    #[arg(long)]
    not_fork: bool,
    /// At least N stars.
    #[arg(long, value_name = "N")]
    min_stars: Option<u64>,
    /// Pushed after DATE (YYYY-MM-DD: after that day).
    #[arg(long, value_name = "DATE")]
    pushed_after: Option<String>,
    /// GitHub's primary language is L.
    #[arg(long, value_name = "L")]
    language: Option<String>,
    /// A Dockerfile in the default branch's tree (the importer's rules).
    #[arg(long)]
    has_dockerfile: bool,
    /// An image on Docker Hub (named in the README or a compose file, or like the repository).
    #[arg(long)]
    has_hub_image: bool,
    /// Docker Hub (tests, mirrors).
    #[arg(long, value_name = "URL", requires = "has_hub_image")]
    hub_url: Option<String>,
    /// The GitHub API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Repositories checked at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `codebench select sample`.
#[derive(Args)]
pub struct SampleArgs {
    /// Repositories to draw.
    #[arg(long, value_name = "N")]
    size: u64,
    /// The seed.
    #[arg(long, value_name = "S")]
    seed: u64,
    /// Stratify by a field: language, created_year, pushed_year, stars, owner, archived, fork.
    #[arg(long, value_name = "FIELD")]
    stratify: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// How `select show` prints.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ShowFormat {
    /// An aligned table.
    #[default]
    Table,
    /// JSON: {"steps": [{"step", "kind", "parameters", "in", "out", "excluded"}, ...], ...}.
    Json,
    /// CSV (the shape of selection.csv).
    Csv,
}

/// `codebench select show`.
#[derive(Args)]
pub struct ShowArgs {
    #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
    format: ShowFormat,
    /// Print the methods paragraph (query, dates, criteria with counts, seed) instead.
    #[arg(long, conflicts_with = "format")]
    methods: bool,
    /// Also write the funnel figure into this folder, as SVG and PNG.
    #[arg(long, value_name = "DIR")]
    figure: Option<PathBuf>,
}

/// `codebench select accept`.
#[derive(Args)]
pub struct AcceptArgs {
    /// The GitHub API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Repositories imported at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=16))]
    concurrency: u16,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `codebench select rerun`.
#[derive(Args)]
pub struct RerunArgs {
    /// The GitHub API (default: the one the search used).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Docker Hub (default: the one the Hub filter used).
    #[arg(long, value_name = "URL")]
    hub_url: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn count(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
}

/// One line for a step.
fn step_line(s: &Step) -> String {
    let status = match s.status {
        StepStatus::Done => String::new(),
        StepStatus::Unfinished => "  UNFINISHED".into(),
        StepStatus::Failed => "  FAILED".into(),
    };
    format!(
        "step {} {}: {} in, {} out, {} excluded{status}{}",
        s.step,
        s.label,
        count(s.count_in),
        count(s.count_out),
        s.excluded.len(),
        s.error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    )
}

/// Fails (exit 1) when a step could not finish, after its output was printed.
fn finished(steps: &[&Step]) -> anyhow::Result<()> {
    if let Some(s) = steps.iter().find(|s| s.status != StepStatus::Done) {
        bail!(
            "step {} ({}) is {}: {}",
            s.step,
            s.label,
            if s.status == StepStatus::Failed {
                "failed"
            } else {
                "not finished"
            },
            s.error.as_deref().unwrap_or("run it again to go on")
        );
    }
    Ok(())
}

/// The criteria of `select filter`, in the order their flags were given.
fn criteria(a: &FilterArgs, m: Option<&ArgMatches>) -> Vec<Criterion> {
    let mut out: Vec<(usize, Criterion)> = Vec::new();
    let mut push = |id: &str, c: Criterion| {
        let at = m.and_then(|m| m.index_of(id)).unwrap_or(usize::MAX);
        out.push((at, c));
    };
    if let Some(min) = a.min_commits {
        push("min_commits", Criterion::MinCommits { min });
    }
    if let Some(min) = a.min_releases {
        push("min_releases", Criterion::MinReleases { min });
    }
    if a.not_archived {
        push("not_archived", Criterion::NotArchived);
    }
    if a.not_fork {
        push("not_fork", Criterion::NotFork);
    }
    if let Some(min) = a.min_stars {
        push("min_stars", Criterion::MinStars { min });
    }
    if let Some(date) = &a.pushed_after {
        push(
            "pushed_after",
            Criterion::PushedAfter { date: date.clone() },
        );
    }
    if let Some(language) = &a.language {
        push(
            "language",
            Criterion::Language {
                language: language.clone(),
            },
        );
    }
    if a.has_dockerfile {
        push("has_dockerfile", Criterion::HasDockerfile);
    }
    if a.has_hub_image {
        push("has_hub_image", Criterion::HasHubImage);
    }
    out.sort_by_key(|(at, _)| *at);
    out.into_iter().map(|(_, c)| c).collect()
}

/// Runs `codebench select`. `matches` are the `select filter` arguments as parsed (for the
/// order the criteria were given in).
pub fn run(sh: &Shell, cmd: SelectCmd, matches: Option<&ArgMatches>) -> anyhow::Result<()> {
    match cmd {
        SelectCmd::Search(a) => {
            let bar = Bar::new()?;
            let step = sh.task(
                api::select_search,
                sel::SelectSearch {
                    query: a.query,
                    created_until: a.created_until,
                    restart: a.restart,
                    token: None,
                    api_url: a.api_url,
                },
                &|p| bar.on(p),
            )?;
            bar.0.finish_and_clear();
            if a.format == Format::Json {
                crate::out::json(&step)?;
            } else {
                say!("{}", step_line(&step));
                say!("{} requests", step.requests);
            }
            finished(&[&step])
        }
        SelectCmd::Filter(a) => {
            let criteria = criteria(&a, matches);
            if criteria.is_empty() {
                bail!("name at least one criterion (see `codebench select filter --help`)");
            }
            let bar = Bar::new()?;
            let steps = sh.task(
                api::select_filter,
                sel::SelectFilter {
                    criteria,
                    token: None,
                    api_url: a.api_url,
                    hub_url: a.hub_url,
                    concurrency: Some(a.concurrency),
                },
                &|p| bar.on(p),
            )?;
            bar.0.finish_and_clear();
            if a.format == Format::Json {
                crate::out::json(&steps)?;
            } else {
                for s in &steps {
                    say!("{}", step_line(s));
                }
            }
            finished(&steps.iter().collect::<Vec<_>>())
        }
        SelectCmd::Sample(a) => {
            let step = sh.call(
                api::select_sample,
                sel::SelectSample {
                    size: a.size,
                    seed: a.seed,
                    stratify: a.stratify,
                },
            )?;
            if a.format == Format::Json {
                return crate::out::json(&step);
            }
            say!("{}", step_line(&step));
            Ok(())
        }
        SelectCmd::Show(a) => show(sh, a),
        SelectCmd::Accept(a) => {
            let bar = Bar::new()?;
            let accepted = sh.task(
                api::select_accept,
                sel::SelectAccept {
                    token: None,
                    api_url: a.api_url,
                    concurrency: Some(a.concurrency),
                },
                &|p| bar.on(p),
            )?;
            bar.0.finish_and_clear();
            if a.format == Format::Json {
                crate::out::json(&accepted)?;
            } else {
                say!("{}", step_line(&accepted.step));
                let i = &accepted.import;
                say!(
                    "{} imported now, {} imported before, {} failed; {} requests",
                    i.repos.iter().filter(|r| r.failure.is_none()).count(),
                    i.skipped.len(),
                    i.failed().count(),
                    i.requests
                );
            }
            finished(&[&accepted.step])
        }
        SelectCmd::Rerun(a) => {
            let bar = Bar::new()?;
            let r = sh.task(
                api::rerun_selection,
                sel::RerunSelection {
                    token: None,
                    api_url: a.api_url,
                    hub_url: a.hub_url,
                    concurrency: None,
                },
                &|p| bar.on(p),
            )?;
            bar.0.finish_and_clear();
            if a.format == Format::Json {
                return crate::out::json(&r);
            }
            say!(
                "search `{}` (created until {}): {} found now, {} recorded; {} vanished, {} new, {} changed",
                r.query,
                r.created_until,
                r.found_now,
                r.found_before,
                r.vanished.len(),
                r.new.len(),
                r.changed.len()
            );
            for s in &r.steps {
                say!(
                    "step {} {}: {} out now, {} recorded; {} newly matching, {} no longer",
                    s.step,
                    s.label,
                    s.out_now,
                    s.recorded_out,
                    s.newly_matching.len(),
                    s.no_longer_matching.len()
                );
                for x in &s.no_longer_matching {
                    say!(
                        "  - {}: {}",
                        x.repository,
                        x.reason.as_deref().unwrap_or_default()
                    );
                }
                for x in &s.newly_matching {
                    say!("  + {}", x.repository);
                }
            }
            if let Some(n) = &r.note {
                say!("{n}");
            }
            Ok(())
        }
    }
}
