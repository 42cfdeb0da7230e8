//! Projects from the GitHub API: `codebench import github OWNER/NAME... | --list FILE`.
//!
//! The `codebench-github` crate fetches; this module decides which files matter (the rules of
//! [`super::names`]), which repositories to skip when an import resumes, and stores each
//! repository in its own transaction as soon as it arrives, so an interrupted import keeps
//! every repository finished before the interruption. The core stays synchronous: the import
//! runs on a tokio runtime it creates for the duration of the call.
//!
//! Docker Hub image references found in the files (and given by a list's `image` column) are
//! kept in the `image_ref` table; [`Study::add_image_ref`](crate::Study::add_image_ref) and
//! [`Study::remove_image_ref`](crate::Study::remove_image_ref) edit them by hand.
//!
//! This module holds the import's options, progress and summary; the import itself is in
//! `import.rs`, the file selector and the fetched repository as a snapshot in `snapshot.rs`,
//! and the image references in `image_refs.rs`.

mod image_refs;
mod import;
mod snapshot;
#[cfg(test)]
mod tests;

use std::time::Duration;

use codebench_github::{ListEntry, WaitReason};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::{Error, Result};

pub use image_refs::ImageRefInfo;
pub use snapshot::snapshot_input;
pub(crate) use snapshot::StudySelector;

/// How to run a GitHub import.
#[derive(Clone, Default)]
pub struct GithubImportOptions {
    /// API base URL; `None` is `https://api.github.com`.
    pub api_url: Option<String>,
    /// Token for `Authorization: Bearer`. Sent to GitHub only: never stored in the study,
    /// never printed (`Debug` shows only whether it is set).
    pub token: Option<String>,
    /// Repositories fetched at once (0 means 1).
    pub concurrency: usize,
    /// Fetch again repositories that already have a GitHub snapshot.
    pub refresh: bool,
    /// Set (by a Cancel button) to stop: repositories in flight are dropped, none is started
    /// after, the ones stored so far stay; running the import again goes on from there.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl std::fmt::Debug for GithubImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubImportOptions")
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("concurrency", &self.concurrency)
            .field("refresh", &self.refresh)
            .field("cancel", &self.cancel.is_some())
            .finish()
    }
}

/// Progress of an import, for a progress bar or the app's job view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportProgress {
    /// Sent once before any request: how many repositories will be fetched, and how many are
    /// skipped because they were imported before (see [`GithubImportOptions::refresh`]).
    Planned {
        /// Repositories to fetch.
        to_fetch: usize,
        /// Repositories skipped.
        skipped: usize,
    },
    /// Work on a repository started.
    Started {
        /// The requested name.
        repo: String,
    },
    /// Every request pauses (rate limit) or one request waits before a retry.
    Waiting {
        /// The repository whose request met the limit.
        repo: String,
        /// Why, in words.
        reason: String,
        /// How long.
        wait: Duration,
    },
    /// A repository is stored (or its failure recorded).
    Done(RepoImport),
}

/// What the import did with one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RepoImport {
    /// The name as requested.
    pub requested: String,
    /// The project's name in the study (GitHub's name after a rename).
    pub project: String,
    /// `new`, `updated` (a new snapshot), `unchanged`, or `failed`.
    pub outcome: String,
    /// The requested name when GitHub redirected it to another.
    pub renamed_from: Option<String>,
    /// Non-fatal problems (no README, too large, symlink...), one sentence each.
    pub problems: Vec<String>,
    /// Why the repository could not be fetched (`outcome` is `failed`).
    pub failure: Option<String>,
    /// Docker Hub references recorded for it in this import.
    pub image_refs: usize,
}

/// Totals of one import.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct GithubImportSummary {
    /// Repositories named (after removing repeats).
    pub requested: usize,
    /// Skipped without a request: already imported and `refresh` not set.
    pub skipped: Vec<String>,
    /// Every repository fetched or failed, in the order they finished.
    pub repos: Vec<RepoImport>,
    /// HTTP requests sent.
    pub requests: u64,
    /// Time spent waiting for rate limits and retries.
    pub waited_ms: u64,
    /// Stopped by [`GithubImportOptions::cancel`] before every repository was fetched.
    pub cancelled: bool,
}

impl GithubImportSummary {
    /// Repositories with this outcome.
    pub fn with_outcome<'a>(&'a self, outcome: &'a str) -> impl Iterator<Item = &'a RepoImport> {
        self.repos.iter().filter(move |r| r.outcome == outcome)
    }

    /// Repositories that could not be fetched.
    pub fn failed(&self) -> impl Iterator<Item = &RepoImport> {
        self.with_outcome("failed")
    }
}

pub(crate) fn wait_reason(reason: WaitReason) -> &'static str {
    match reason {
        WaitReason::PrimaryRateLimit => "GitHub rate limit spent; waiting for it to reset",
        WaitReason::SecondaryRateLimit => "GitHub secondary rate limit; backing off",
        WaitReason::Retry => "server error or dropped connection; retrying",
    }
}

fn project_id(c: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT id FROM project WHERE lower(full_name) = lower(?1)")?
            .query_row([name], |r| r.get(0))
            .optional()?,
    )
}

/// List entries for repositories named on a command line (`owner/name` or a GitHub URL).
pub fn entries_from_names(names: &[String]) -> Result<Vec<ListEntry>> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let full_name = codebench_github::parse_repo_name(n)
                .map_err(|m| Error::Invalid(format!("'{n}': {m}")))?;
            Ok(ListEntry {
                full_name,
                image: None,
                line: i as u64 + 1,
            })
        })
        .collect()
}
