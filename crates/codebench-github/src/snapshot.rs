//! What one repository's fetch yields: a snapshot pinned to a commit, or a failure with its
//! reason; plus the events reported while fetching and the summary of a whole import.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::image_ref::ImageRef;

/// The part a selected file plays for a rater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileRole {
    /// The repository's README (fetched through the readme endpoint, not the selector).
    Readme,
    /// A Dockerfile.
    Dockerfile,
    /// A docker-compose file.
    Compose,
    /// A GitHub Actions workflow.
    Workflow,
}

/// Decides which files of a repository's tree are fetched, and which directories are walked
/// when GitHub truncates a recursive tree. The rules live in the core; this crate only asks.
///
/// Any `Fn(&str) -> Option<FileRole> + Sync` is a selector that descends everywhere.
pub trait FileSelector: Sync {
    /// The role of the file at `path` (repository-relative, `/`-separated), or `None` to skip it.
    fn role(&self, path: &str) -> Option<FileRole>;
    /// Whether to walk into directory `path` when the tree must be walked piece by piece.
    fn descend(&self, _path: &str) -> bool {
        true
    }
}

impl<F> FileSelector for F
where
    F: Fn(&str) -> Option<FileRole> + Sync,
{
    fn role(&self, path: &str) -> Option<FileRole> {
        self(path)
    }
}

/// Repository metadata as GitHub reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RepoMetadata {
    /// GitHub's numeric id, stable across renames.
    pub id: u64,
    /// The repository's web page.
    pub html_url: String,
    /// One-line description.
    pub description: Option<String>,
    /// Topics (tags) set by the owners.
    pub topics: Vec<String>,
    /// Primary language by GitHub's detection.
    pub language: Option<String>,
    /// Stargazers.
    pub stars: u64,
    /// Forks.
    pub forks: u64,
    /// Watchers (subscribers; GitHub's `watchers_count` is a copy of stars).
    pub watchers: u64,
    /// Open issues and pull requests.
    pub open_issues: u64,
    /// Size in KiB as GitHub reports it.
    pub size_kib: u64,
    /// SPDX id of the license, or its name when GitHub has no SPDX id for it.
    pub license: Option<String>,
    /// Whether the repository is archived (read-only).
    pub archived: bool,
    /// Whether the repository is a fork.
    pub fork: bool,
    /// Creation time, ISO 8601 as GitHub writes it.
    pub created_at: Option<String>,
    /// Last push time, ISO 8601.
    pub pushed_at: Option<String>,
    /// The default branch's name.
    pub default_branch: String,
}

/// A fetched file's content after the checks that make it safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "text", rename_all = "kebab-case")]
pub enum Content {
    /// UTF-8 text, verified against the blob SHA.
    Text(String),
    /// Larger than the configured limit; not downloaded (or download stopped at the limit).
    TooLarge,
    /// Binary (a NUL byte in the first 8000 bytes).
    Binary,
    /// Not valid UTF-8.
    NotUtf8,
}

/// One file pinned to the snapshot's commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedFile {
    /// Repository-relative path.
    pub path: String,
    /// Why it was fetched.
    pub role: FileRole,
    /// Size in bytes as the tree reports it (or as downloaded, for the README).
    pub size: u64,
    /// Git blob SHA.
    pub sha: String,
    /// The content, or why it is not shown.
    pub content: Content,
}

impl FetchedFile {
    /// The text, when the content is text.
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            Content::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// What kind of non-fatal problem a snapshot has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The repository answered with a 301: it was renamed or transferred.
    Renamed,
    /// GitHub found no README.
    NoReadme,
    /// No file the selector calls a Dockerfile.
    NoDockerfile,
    /// A selected file (or the README) is over the size limit.
    TooLarge,
    /// A selected file is binary.
    Binary,
    /// A selected file is not UTF-8.
    NotUtf8,
    /// A selected path is a symbolic link; links are not followed.
    Symlink,
    /// A selected path is a submodule; its content lives in another repository.
    Submodule,
}

/// A non-fatal problem recorded on a project so raters and reports can see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The file concerned, if any.
    pub path: Option<String>,
    /// A sentence for people.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Everything a rater needs from one repository, pinned to one commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSnapshot {
    /// The name as requested.
    pub requested_name: String,
    /// The name GitHub reports (differs after a rename or transfer).
    pub full_name: String,
    /// Repository metadata.
    pub metadata: RepoMetadata,
    /// The default branch's commit that every file is pinned to.
    pub commit_sha: String,
    /// The README (role [`FileRole::Readme`]), if GitHub has one.
    pub readme: Option<FetchedFile>,
    /// The selected files, in tree order.
    pub files: Vec<FetchedFile>,
    /// Docker Hub image references found in the README, compose files and workflows.
    pub image_refs: Vec<ImageRef>,
    /// Non-fatal problems.
    pub problems: Vec<Problem>,
}

impl RepoSnapshot {
    /// Whether GitHub answered this name with a redirect to another one.
    pub fn renamed(&self) -> bool {
        !self.requested_name.eq_ignore_ascii_case(&self.full_name)
    }
}

/// Why a repository could not be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// 404: missing, private, or deleted.
    NotFound,
    /// 451: access blocked for legal reasons (e.g. DMCA).
    Blocked,
    /// 403 that is not a rate limit (e.g. access blocked by GitHub, or a token without access).
    Forbidden,
    /// The repository has no commits.
    Empty,
    /// The name is not `owner/name`.
    InvalidName,
    /// Rate limits persisted past the retry budget.
    RateLimited,
    /// Any other HTTP status (after retries for 5xx).
    Http,
    /// Connection or timeout problem (after retries).
    Network,
    /// GitHub's answer could not be understood (malformed JSON, oversize body, digest mismatch).
    InvalidResponse,
}

impl FailureKind {
    /// Whether trying again later may succeed (rate limits, network, server errors), as
    /// opposed to a lasting answer about the repository.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            FailureKind::RateLimited | FailureKind::Http | FailureKind::Network
        )
    }
}

/// A repository that could not be fetched, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFailure {
    /// The name as requested.
    pub requested_name: String,
    /// Why, as a kind.
    pub reason: FailureKind,
    /// Why, for people (includes GitHub's message where it gave one).
    pub message: String,
}

/// The result of fetching one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum RepoOutcome {
    /// Fetched, possibly with problems.
    Fetched(RepoSnapshot),
    /// Not fetched.
    Failed(RepoFailure),
}

impl RepoOutcome {
    /// The name this outcome answers.
    pub fn requested_name(&self) -> &str {
        match self {
            RepoOutcome::Fetched(s) => &s.requested_name,
            RepoOutcome::Failed(f) => &f.requested_name,
        }
    }
}

/// Why the client is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitReason {
    /// `x-ratelimit-remaining` reached 0; waiting for `x-ratelimit-reset` (the core quota, or
    /// for search requests search's own).
    PrimaryRateLimit,
    /// A secondary rate limit (403/429, `retry-after` or GitHub's one-minute rule).
    SecondaryRateLimit,
    /// A server error or dropped connection; this request alone waits before a retry.
    Retry,
}

/// Progress reported while fetching, for a progress bar or the app's job view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Work on a repository started.
    Started {
        /// The requested name.
        repo: String,
    },
    /// A pause: for rate limits every concurrent request waits behind the same gate (announced
    /// once); for [`WaitReason::Retry`] only the failing request waits.
    Waiting {
        /// The repository whose request met the limit; for a search request, `search: <q>`.
        repo: String,
        /// Why.
        reason: WaitReason,
        /// How long.
        wait: Duration,
    },
}

/// Totals of one [`crate::GitHub::fetch_many`] run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Repositories fetched (with or without problems).
    pub fetched: usize,
    /// Of those, how many were renamed.
    pub renamed: usize,
    /// Of those, how many carry problems.
    pub with_problems: usize,
    /// Repositories that failed, with the reason.
    pub failed: Vec<(String, FailureKind)>,
    /// HTTP requests sent during the run (including retries).
    pub requests: u64,
    /// Total time spent waiting for rate limits and retries (as announced in events).
    pub waited: Duration,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} fetched ({} renamed, {} with problems), {} failed, {} requests",
            self.fetched,
            self.renamed,
            self.with_problems,
            self.failed.len(),
            self.requests
        )?;
        if !self.waited.is_zero() {
            write!(
                f,
                ", waited {:.1}s for rate limits",
                self.waited.as_secs_f64()
            )?;
        }
        Ok(())
    }
}
