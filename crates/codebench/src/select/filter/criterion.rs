//! The criteria of a filter step: what each keeps, in words and as recorded, the check of its
//! value, and, for those the search's answer decides, why a repository is left out.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::select::{search, Candidate};
use crate::{Error, Result};

/// One criterion of a filter step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "criterion", rename_all = "snake_case")]
pub enum Criterion {
    /// At least this many commits on the default branch (counted through the API's paging).
    MinCommits {
        /// The least kept.
        min: u64,
    },
    /// At least this many releases.
    MinReleases {
        /// The least kept.
        min: u64,
    },
    /// Not archived (from the search's answer).
    NotArchived,
    /// Not a fork (from the search's answer).
    NotFork,
    /// At least this many stars (from the search's answer).
    MinStars {
        /// The least kept.
        min: u64,
    },
    /// Pushed later than a date (`YYYY-MM-DD`: after that day, as GitHub's `pushed:>DATE`;
    /// or an RFC 3339 time), from the search's answer.
    PushedAfter {
        /// The date or time.
        date: String,
    },
    /// GitHub's primary language is this one (any case), from the search's answer.
    Language {
        /// The language, as GitHub names it (`Python`, `Jupyter Notebook`).
        language: String,
    },
    /// A Dockerfile in the default branch's tree, by the importer's rules (names such as
    /// `Dockerfile`, `Dockerfile.gpu`, `api.dockerfile`; not under `node_modules/`, `vendor/`
    /// or `.git/`; not a symbolic link).
    HasDockerfile,
    /// An image on Docker Hub: one named in the README or a compose file, or one named like
    /// the repository (`owner/name` in lower case).
    HasHubImage,
}

impl Criterion {
    /// The criterion's name (`min_commits`...), as recorded.
    pub fn name(&self) -> &'static str {
        match self {
            Criterion::MinCommits { .. } => "min_commits",
            Criterion::MinReleases { .. } => "min_releases",
            Criterion::NotArchived => "not_archived",
            Criterion::NotFork => "not_fork",
            Criterion::MinStars { .. } => "min_stars",
            Criterion::PushedAfter { .. } => "pushed_after",
            Criterion::Language { .. } => "language",
            Criterion::HasDockerfile => "has_dockerfile",
            Criterion::HasHubImage => "has_hub_image",
        }
    }

    /// What it keeps, in words (`at least 100 commits`).
    pub fn label(&self) -> String {
        let plural = |n: u64, one: &str, many: &str| {
            if n == 1 {
                format!("at least 1 {one}")
            } else {
                format!("at least {n} {many}")
            }
        };
        match self {
            Criterion::MinCommits { min } => plural(*min, "commit", "commits"),
            Criterion::MinReleases { min } => plural(*min, "release", "releases"),
            Criterion::NotArchived => "not archived".into(),
            Criterion::NotFork => "not a fork".into(),
            Criterion::MinStars { min } => plural(*min, "star", "stars"),
            Criterion::PushedAfter { date } => format!("pushed after {date}"),
            Criterion::Language { language } => format!("language {language}"),
            Criterion::HasDockerfile => "a Dockerfile in the tree".into(),
            Criterion::HasHubImage => "an image on Docker Hub".into(),
        }
    }

    /// What it keeps, as a clause of the methods paragraph (`that are not archived`).
    pub fn phrase(&self) -> String {
        match self {
            Criterion::NotArchived => "that are not archived".into(),
            Criterion::NotFork => "that are not forks".into(),
            Criterion::PushedAfter { date } => format!("pushed after {date}"),
            Criterion::Language { language } => {
                format!("whose primary language is {language}")
            }
            Criterion::HasDockerfile => "with a Dockerfile in the tree".into(),
            Criterion::HasHubImage => "with an image on Docker Hub".into(),
            other => format!("with {}", other.label()),
        }
    }

    /// Checks the criterion's value.
    pub fn validate(&self) -> Result<()> {
        match self {
            Criterion::PushedAfter { date } => {
                search::instant(date, true).ok_or_else(|| {
                    Error::Invalid(format!(
                        "pushed after: '{date}' is not a date (YYYY-MM-DD) or an RFC 3339 time"
                    ))
                })?;
            }
            Criterion::Language { language } => {
                let l = language.trim();
                if l.is_empty() || l.len() > 100 || l.chars().any(char::is_control) {
                    return Err(Error::Invalid(
                        "language: name one language, as GitHub names it (e.g. Python)".into(),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the search's answer decides it (no request).
    pub(crate) fn decided_by_search(&self) -> bool {
        !matches!(
            self,
            Criterion::MinCommits { .. }
                | Criterion::MinReleases { .. }
                | Criterion::HasDockerfile
                | Criterion::HasHubImage
        )
    }

    /// For a criterion the search's answer decides: why `c` is left out, or `None`.
    pub(crate) fn leaves_out(&self, c: &Candidate) -> Option<String> {
        match self {
            Criterion::NotArchived => c.archived.then(|| "archived".to_string()),
            Criterion::NotFork => c.fork.then(|| "a fork".to_string()),
            Criterion::MinStars { min } => {
                (c.stars < *min).then(|| format!("{} stars, fewer than {min}", c.stars))
            }
            Criterion::PushedAfter { date } => {
                let bound = search::instant(date, true).unwrap_or_default();
                let pushed = c
                    .pushed_at
                    .as_deref()
                    .and_then(|p| search::instant(p, false));
                match pushed {
                    Some(p) if p > bound => None,
                    Some(p) => Some(format!("last pushed {p}, not after {date}")),
                    None => Some("never pushed".into()),
                }
            }
            Criterion::Language { language } => {
                let want = language.trim();
                match c.language.as_deref() {
                    Some(l) if l.eq_ignore_ascii_case(want) => None,
                    Some(l) => Some(format!("language {l}, not {want}")),
                    None => Some(format!("no language detected, not {want}")),
                }
            }
            _ => None,
        }
    }
}
