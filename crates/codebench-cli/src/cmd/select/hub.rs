//! `codebench hub`: fetching the Docker Hub pages of the projects' image references, and a
//! project's Docker Hub evidence.

use std::time::Duration;

use anyhow::bail;
use clap::Subcommand;
use codebench::api::{self, select as sel};

use super::count;
use super::progress::{human, Bar};
use crate::shell::Shell;
use crate::{say, Format};

/// `codebench hub ...`
#[derive(Subcommand)]
pub enum HubCmd {
    /// Fetch the Docker Hub pages (description, full description, pulls, tags) of the
    /// projects' image references; fetched ones are kept unless --refresh.
    Fetch {
        /// Only this project's images.
        #[arg(long, value_name = "OWNER/NAME")]
        project: Option<String>,
        /// Docker Hub (tests, mirrors).
        #[arg(long, value_name = "URL")]
        hub_url: Option<String>,
        /// Fetch again repositories fetched before.
        #[arg(long)]
        refresh: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// A project's Docker Hub evidence, as shown beside its README.
    Show {
        /// owner/name.
        project: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Runs `codebench hub`.
pub fn hub(sh: &Shell, cmd: HubCmd) -> anyhow::Result<()> {
    match cmd {
        HubCmd::Fetch {
            project,
            hub_url,
            refresh,
            format,
        } => {
            let bar = Bar::new()?;
            let on = |p: codebench::hub::HubProgress| match p {
                codebench::hub::HubProgress::Planned { to_fetch, .. } => bar.0.set_length(to_fetch),
                codebench::hub::HubProgress::Waiting {
                    name,
                    reason,
                    wait_seconds,
                } => bar.line(format!(
                    "waiting {}: {reason} ({name})",
                    human(Duration::from_secs_f64(wait_seconds.max(0.0)))
                )),
                codebench::hub::HubProgress::Done { name, .. } => {
                    bar.0.inc(1);
                    bar.0.set_message(name);
                }
            };
            let s = sh.task(
                api::fetch_hub,
                sel::FetchHub {
                    project,
                    hub_url,
                    refresh,
                },
                &on,
            )?;
            bar.0.finish_and_clear();
            if format == Format::Json {
                crate::out::json(&s)?;
            } else {
                say!(
                    "{} Docker Hub repositories named by {} projects: {} fetched ({} not on Docker Hub), {} fetched before, {} failed; {} requests",
                    s.repositories,
                    s.projects,
                    s.fetched,
                    s.not_found.len(),
                    s.skipped.len(),
                    s.failed.len(),
                    s.requests
                );
                for f in &s.failed {
                    say!("  {}: {}", f.name, f.message);
                }
            }
            if s.cancelled {
                bail!("the fetch stopped before the end; run it again to go on");
            }
            Ok(())
        }
        HubCmd::Show { project, format } => {
            let h = sh.call(api::hub_evidence, sel::HubEvidenceRequest { project })?;
            if format == Format::Json {
                return crate::out::json(&h);
            }
            if h.images.is_empty() {
                say!("{} references no Docker Hub image", h.project);
            }
            for i in &h.images {
                if !i.fetched {
                    say!("{}: not fetched yet (`codebench hub fetch`)", i.name);
                    continue;
                }
                if !i.found {
                    say!("{}: not on Docker Hub", i.name);
                    continue;
                }
                say!(
                    "{}  {} pulls, {} stars, {} tags, updated {}",
                    i.name,
                    count(i.pull_count),
                    count(i.star_count),
                    count(i.tag_count),
                    i.last_updated.as_deref().unwrap_or("-")
                );
                if let Some(d) = &i.description {
                    say!("  {d}");
                }
                for t in i.tags.iter().take(5) {
                    say!(
                        "  tag {:<20} pushed {}",
                        t.name,
                        t.last_pushed.as_deref().unwrap_or("-")
                    );
                }
                if let Some(fd) = &i.full_description {
                    say!("\n{fd}");
                }
            }
            Ok(())
        }
    }
}
