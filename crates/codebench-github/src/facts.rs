//! What a selection filter needs to know about a repository without importing it: its
//! metadata, how many commits and releases it has (counted from the `Link` header of a
//! one-item page, as GitHub documents), and which selected files its tree holds.
//!
//! Every call answers a repository that is gone, blocked or empty as a [`RepoFailure`] with a
//! lasting [`FailureKind`] (a result for the filter: "vanished"), and transient trouble with a
//! transient kind (try again later). [`GitHub::check_many_until`] runs one check over many
//! repositories with bounded concurrency, handing each outcome over as it completes.

use std::ops::ControlFlow;

use futures_util::StreamExt;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::client::{GitHub, JSON};
use crate::fetch::{json, metadata_of, status_failure, Fail, RepoJson, MAX_JSON_BYTES};
use crate::list::parse_repo_name;
use crate::snapshot::{Event, FailureKind, FileRole, FileSelector, RepoFailure, RepoMetadata};
use crate::STOP_POLL;

/// A one-item list page is small; anything larger is refused.
const MAX_PAGE_BYTES: u64 = 4 * 1024 * 1024;

/// A repository's metadata as the repository endpoint reports it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFacts {
    /// The name as requested.
    pub requested_name: String,
    /// The name GitHub reports (differs after a rename or transfer).
    pub full_name: String,
    /// Archived, fork, stars, pushed_at, language, default branch and the rest.
    pub metadata: RepoMetadata,
}

impl RepoFacts {
    /// Whether GitHub answered this name with another one (renamed or transferred).
    pub fn renamed(&self) -> bool {
        !self.requested_name.eq_ignore_ascii_case(&self.full_name)
    }
}

/// One file of a tree that a [`FileSelector`] picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectedPath {
    /// Repository-relative path.
    pub path: String,
    /// The role the selector gave it.
    pub role: FileRole,
    /// Size in bytes, as the tree reports it.
    pub size: Option<u64>,
}

/// The selected files of a repository's tree at one ref, without their content. Like the
/// importer, symbolic links and submodules are not files: a Dockerfile that is a link does
/// not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeListing {
    /// The name as requested.
    pub requested_name: String,
    /// The ref whose tree was read (the default branch unless the caller named one).
    pub reference: String,
    /// The selected files, sorted by path.
    pub files: Vec<SelectedPath>,
}

impl TreeListing {
    /// Whether the selector called any file a Dockerfile.
    pub fn has_dockerfile(&self) -> bool {
        self.files.iter().any(|f| f.role == FileRole::Dockerfile)
    }
}

/// What [`GitHub::check_many_until`] asks of each repository.
#[derive(Clone, Copy)]
pub enum Check<'a> {
    /// [`GitHub::repo_facts`].
    Facts,
    /// [`GitHub::count_commits`].
    Commits,
    /// [`GitHub::count_releases`].
    Releases,
    /// [`GitHub::selected_paths`] with this selector.
    Files(&'a dyn FileSelector),
}

impl std::fmt::Debug for Check<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::Facts => "Facts",
            Check::Commits => "Commits",
            Check::Releases => "Releases",
            Check::Files(_) => "Files",
        })
    }
}

/// A repository to check, with its default branch when the caller knows it (from a search
/// hit), which saves [`Check::Files`] a metadata request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckTarget {
    /// `owner/name`.
    pub full_name: String,
    /// The default branch, if known.
    pub default_branch: Option<String>,
}

impl From<&str> for CheckTarget {
    fn from(full_name: &str) -> Self {
        CheckTarget {
            full_name: full_name.to_string(),
            default_branch: None,
        }
    }
}

/// The answer of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum CheckValue {
    /// From [`Check::Facts`].
    Facts(RepoFacts),
    /// From [`Check::Commits`] or [`Check::Releases`].
    Count(u64),
    /// From [`Check::Files`].
    Files(TreeListing),
}

/// One repository's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// The name as requested.
    pub requested_name: String,
    /// The answer, or why there is none.
    pub result: Result<CheckValue, RepoFailure>,
}

/// Totals of a [`GitHub::check_many_until`] run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckSummary {
    /// Outcomes handed over with an answer.
    pub checked: usize,
    /// Outcomes handed over with a failure, with the reason.
    pub failed: Vec<(String, FailureKind)>,
    /// HTTP requests sent (including retries).
    pub requests: u64,
    /// Whether it ended before every repository was handed over.
    pub stopped: bool,
}

/// The page number of the `rel="last"` link in a `Link` header.
pub fn last_page(link: &str) -> Option<u64> {
    for part in link.split(',') {
        let (Some(open), Some(close)) = (part.find('<'), part.find('>')) else {
            continue;
        };
        if close < open {
            continue;
        }
        let is_last = part[close + 1..].split(';').any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=").is_some_and(|v| {
                v.trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("last"))
            })
        });
        if !is_last {
            continue;
        }
        let url = &part[open + 1..close];
        let query = url.split_once('?')?.1;
        let query = query.split('#').next().unwrap_or_default();
        return query
            .split('&')
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|v| v.parse().ok());
    }
    None
}

fn failure(requested: &str, Fail(reason, message): Fail) -> RepoFailure {
    RepoFailure {
        requested_name: requested.to_string(),
        reason,
        message,
    }
}

impl GitHub {
    /// The repository's metadata now (one request; a 301 for a renamed repository is
    /// followed and shows in [`RepoFacts::full_name`]).
    pub async fn repo_facts(
        &self,
        full_name: &str,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<RepoFacts, RepoFailure> {
        self.facts(full_name, on_event)
            .await
            .map_err(|f| failure(full_name, f))
    }

    async fn facts(
        &self,
        requested: &str,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<RepoFacts, Fail> {
        let name = parse_repo_name(requested).map_err(|m| Fail(FailureKind::InvalidName, m))?;
        let reply = self
            .get(
                requested,
                &format!("/repos/{name}"),
                JSON,
                MAX_JSON_BYTES,
                on_event,
            )
            .await?;
        if reply.status != StatusCode::OK {
            return Err(status_failure(&reply, "repository"));
        }
        let repo: RepoJson = json(&reply, "repository metadata")?;
        let full_name = parse_repo_name(&repo.full_name).map_err(|m| {
            Fail(
                FailureKind::InvalidResponse,
                format!("repository metadata: full_name {m}"),
            )
        })?;
        Ok(RepoFacts {
            requested_name: requested.to_string(),
            full_name,
            metadata: metadata_of(repo),
        })
    }

    /// Commits reachable from the default branch, counted as GitHub documents: one request
    /// with `per_page=1` and the page number of `rel="last"`. An empty repository has 0.
    pub async fn count_commits(
        &self,
        full_name: &str,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<u64, RepoFailure> {
        self.count(full_name, "commits", on_event)
            .await
            .map_err(|f| failure(full_name, f))
    }

    /// Releases (published and drafts visible to the token), counted like
    /// [`GitHub::count_commits`].
    pub async fn count_releases(
        &self,
        full_name: &str,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<u64, RepoFailure> {
        self.count(full_name, "releases", on_event)
            .await
            .map_err(|f| failure(full_name, f))
    }

    async fn count(
        &self,
        requested: &str,
        what: &str,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<u64, Fail> {
        let name = parse_repo_name(requested).map_err(|m| Fail(FailureKind::InvalidName, m))?;
        let reply = self
            .get(
                requested,
                &format!("/repos/{name}/{what}?per_page=1"),
                JSON,
                MAX_PAGE_BYTES,
                on_event,
            )
            .await?;
        if reply.status == StatusCode::CONFLICT && what == "commits" {
            return Ok(0); // "Git Repository is empty."
        }
        if reply.status != StatusCode::OK {
            return Err(status_failure(&reply, what));
        }
        if let Some(n) = reply.link.as_deref().and_then(last_page) {
            return Ok(n);
        }
        // No rel="last": this page is the only one, holding 0 or 1 item.
        let items: Vec<serde_json::Value> = json(&reply, what)?;
        Ok(items.len() as u64)
    }

    /// The files `select` picks from the tree of `reference` (the default branch when
    /// `None`, which costs one metadata request), walking subtrees when GitHub truncates the
    /// recursive listing. No content is downloaded.
    pub async fn selected_paths(
        &self,
        full_name: &str,
        reference: Option<&str>,
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<TreeListing, RepoFailure> {
        self.listing(full_name, reference, select, on_event)
            .await
            .map_err(|f| failure(full_name, f))
    }

    async fn listing(
        &self,
        requested: &str,
        reference: Option<&str>,
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<TreeListing, Fail> {
        let (name, reference) = match reference.filter(|r| !r.is_empty()) {
            Some(r) => (
                parse_repo_name(requested).map_err(|m| Fail(FailureKind::InvalidName, m))?,
                r.to_string(),
            ),
            None => {
                let facts = self.facts(requested, on_event).await?;
                if facts.metadata.default_branch.is_empty() {
                    return Err(Fail(
                        FailureKind::Empty,
                        "repository has no default branch".into(),
                    ));
                }
                (facts.full_name, facts.metadata.default_branch)
            }
        };
        let tree = self
            .walk_tree(
                requested,
                &name,
                &crate::fetch::encode_ref(&reference),
                select,
                on_event,
            )
            .await?;
        let files = tree
            .into_iter()
            .filter(|e| e.kind == "blob" && e.mode != "120000")
            .filter_map(|e| {
                Some(SelectedPath {
                    role: select.role(&e.path)?,
                    path: e.path,
                    size: e.size,
                })
            })
            .collect();
        Ok(TreeListing {
            requested_name: requested.to_string(),
            reference,
            files,
        })
    }

    async fn check_one(
        &self,
        target: &CheckTarget,
        check: Check<'_>,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> CheckOutcome {
        on_event(Event::Started {
            repo: target.full_name.clone(),
        });
        let name = target.full_name.as_str();
        let result = match check {
            Check::Facts => self.repo_facts(name, on_event).await.map(CheckValue::Facts),
            Check::Commits => self
                .count_commits(name, on_event)
                .await
                .map(CheckValue::Count),
            Check::Releases => self
                .count_releases(name, on_event)
                .await
                .map(CheckValue::Count),
            Check::Files(select) => self
                .selected_paths(name, target.default_branch.as_deref(), select, on_event)
                .await
                .map(CheckValue::Files),
        };
        CheckOutcome {
            requested_name: target.full_name.clone(),
            result,
        }
    }

    /// Runs `check` on every target with at most `options.concurrency` in flight, handing
    /// each outcome to `on_outcome` as soon as it is complete (store it in its own
    /// transaction; on resume, pass only the targets without a stored outcome). Stops when
    /// `on_outcome` says `Break` or `stop` says true (asked every [`STOP_POLL`], so a Cancel
    /// does not wait out a rate-limit pause); outcomes in flight are then dropped.
    pub async fn check_many_until(
        &self,
        targets: &[CheckTarget],
        check: Check<'_>,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
        mut on_outcome: impl FnMut(CheckOutcome) -> ControlFlow<()>,
    ) -> CheckSummary {
        let before = self.requests_sent();
        let mut summary = CheckSummary::default();
        let checks: Vec<_> = targets
            .iter()
            .map(|t| self.check_one(t, check, on_event))
            .collect();
        let mut outcomes =
            futures_util::stream::iter(checks).buffer_unordered(self.options.concurrency.max(1));
        let mut poll = tokio::time::interval(STOP_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut handed = 0usize;
        loop {
            let outcome = tokio::select! {
                next = outcomes.next() => match next {
                    Some(outcome) => outcome,
                    None => break,
                },
                _ = poll.tick() => {
                    if stop() {
                        break;
                    }
                    continue;
                }
            };
            handed += 1;
            match &outcome.result {
                Ok(_) => summary.checked += 1,
                Err(f) => summary.failed.push((f.requested_name.clone(), f.reason)),
            }
            if on_outcome(outcome).is_break() || stop() {
                break;
            }
        }
        summary.stopped = handed < targets.len();
        summary.requests = self.requests_sent() - before;
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_page_of_link_headers() {
        let link = "<https://api.github.com/repositories/1300192/commits?per_page=1&page=2>; rel=\"next\", \
                    <https://api.github.com/repositories/1300192/commits?per_page=1&page=2566>; rel=\"last\"";
        assert_eq!(last_page(link), Some(2566));
        assert_eq!(
            last_page("<http://h/x?page=3&per_page=1>; rel=\"prev last\""),
            Some(3)
        );
        assert_eq!(
            last_page("<http://h/x?per_page=1&page=2>; rel=\"next\""),
            None
        );
        assert_eq!(last_page(""), None);
        assert_eq!(last_page("garbage>; <rel=last"), None);
        assert_eq!(last_page("<http://h/x>; rel=\"last\""), None);
        assert_eq!(last_page("<http://h/x?page=abc>; rel=last"), None);
    }
}
