//! Projects from the GitHub API: `codebench import github OWNER/NAME... | --list FILE`.
//!
//! The `codebench-github` crate fetches; this module decides which files matter (the rules of
//! [`super::names`]), which repositories to skip when an import resumes, and stores each
//! repository in its own transaction as soon as it arrives, so an interrupted import keeps
//! every repository finished before the interruption. The core stays synchronous: the import
//! runs on a tokio runtime it creates for the duration of the call.
//!
//! Docker Hub image references found in the files (and given by a list's `image` column) are
//! kept in the `image_ref` table; [`Study::add_image_ref`] and [`Study::remove_image_ref`] edit
//! them by hand.

use std::ops::ControlFlow;
use std::time::Duration;

use codebench_github::{
    Content, Event, FetchedFile, FileRole, FileSelector, GitHub, GitHubOptions, ImageRef,
    ListEntry, RepoOutcome, RepoSnapshot, WaitReason,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::names::{self, Role};
use super::{FileContent, FileInput, SnapshotInput, Source, MAX_FILE_BYTES};
use crate::{Error, Result, Study};

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

/// The study's file rules as the GitHub crate's selector. The README comes through GitHub's
/// readme endpoint, so the tree is asked only for the other roles.
pub(crate) struct StudySelector;

impl FileSelector for StudySelector {
    fn role(&self, path: &str) -> Option<FileRole> {
        match names::role_of(path)? {
            Role::Readme => None,
            Role::Dockerfile => Some(FileRole::Dockerfile),
            Role::Compose => Some(FileRole::Compose),
            Role::Workflow => Some(FileRole::Workflow),
        }
    }

    fn descend(&self, path: &str) -> bool {
        !path.split('/').any(names::is_skipped_dir)
    }
}

pub(crate) fn wait_reason(reason: WaitReason) -> &'static str {
    match reason {
        WaitReason::PrimaryRateLimit => "GitHub rate limit spent; waiting for it to reset",
        WaitReason::SecondaryRateLimit => "GitHub secondary rate limit; backing off",
        WaitReason::Retry => "server error or dropped connection; retrying",
    }
}

fn file_input(f: &FetchedFile) -> FileInput {
    let role = match f.role {
        FileRole::Readme => Role::Readme,
        FileRole::Dockerfile => Role::Dockerfile,
        FileRole::Compose => Role::Compose,
        FileRole::Workflow => Role::Workflow,
    };
    let content = match &f.content {
        Content::Text(t) => FileContent::Text(t.clone()),
        Content::TooLarge => FileContent::TooLarge,
        Content::Binary => FileContent::Binary,
        Content::NotUtf8 => FileContent::NotUtf8,
    };
    FileInput {
        path: f.path.clone(),
        role,
        size: f.size,
        content,
    }
}

/// The API URL a client built from `api_url` talks to, without a trailing slash.
fn api_base(api_url: Option<&str>) -> String {
    api_url
        .unwrap_or(codebench_github::DEFAULT_API_URL)
        .trim_end_matches('/')
        .to_string()
}

/// Converts a fetched repository into what the study stores.
pub fn snapshot_input(snap: &RepoSnapshot, api_url: Option<&str>) -> SnapshotInput {
    let m = &snap.metadata;
    let metadata = serde_json::json!({
        "github_id": m.id,
        "html_url": m.html_url,
        "description": m.description,
        "topics": m.topics,
        "language": m.language,
        "stars": m.stars,
        "forks": m.forks,
        "watchers": m.watchers,
        "open_issues": m.open_issues,
        "size_kib": m.size_kib,
        "license": m.license,
        "archived": m.archived,
        "fork": m.fork,
        "created_at": m.created_at,
        "pushed_at": m.pushed_at,
        "default_branch": m.default_branch,
        "renamed_from": snap.renamed().then(|| snap.requested_name.clone()),
    });
    let files = snap
        .readme
        .iter()
        .chain(&snap.files)
        .map(file_input)
        .collect();
    SnapshotInput {
        full_name: snap.full_name.clone(),
        source: Source::Github,
        location: Some(format!("{}/repos/{}", api_base(api_url), snap.full_name)),
        commit: Some(snap.commit_sha.clone()),
        metadata,
        files,
    }
}

/// Whether the study holds a GitHub snapshot of `name` (also under the name it was renamed to).
fn has_github_snapshot(c: &Connection, name: &str) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM project p
             WHERE p.source = 'github'
               AND (lower(p.full_name) = lower(?1)
                    OR lower(coalesce(json_extract(p.metadata, '$.renamed_from'), '')) = lower(?1))
               AND EXISTS (SELECT 1 FROM snapshot s WHERE s.project_id = p.id)
             LIMIT 1",
    )?
    .query_row([name], |_| Ok(()))
    .optional()?
    .is_some())
}

fn project_id(c: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT id FROM project WHERE lower(full_name) = lower(?1)")?
            .query_row([name], |r| r.get(0))
            .optional()?,
    )
}

/// Records image references of a project; returns how many were new.
fn store_image_refs(c: &Connection, project: i64, refs: &[ImageRef]) -> Result<usize> {
    let mut stmt = c.prepare_cached(
        "INSERT OR IGNORE INTO image_ref (project_id, reference, found_in, how, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let now = crate::now();
    let mut n = 0;
    for r in refs {
        n += stmt.execute(params![
            project,
            r.reference,
            r.found_in,
            r.how.as_str(),
            now
        ])?;
    }
    Ok(n)
}

impl Study {
    /// Imports repositories from GitHub. Each entry is stored in its own transaction as soon
    /// as it is fetched; a failure is recorded on the project (created without snapshot or
    /// units when it is new) so `status` shows it. Repositories that already have a GitHub
    /// snapshot are skipped unless `options.refresh` is set. Errors only when nothing could be
    /// done (a bad API URL or token, a study that cannot be written).
    pub fn import_github(
        &mut self,
        entries: &[ListEntry],
        options: &GithubImportOptions,
        on_progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> Result<GithubImportSummary> {
        let mut summary = GithubImportSummary::default();
        let mut seen = std::collections::HashSet::new();
        let mut to_fetch: Vec<&ListEntry> = Vec::new();
        for e in entries {
            super::check_full_name(&e.full_name)?;
            if !seen.insert(e.full_name.to_ascii_lowercase()) {
                continue;
            }
            summary.requested += 1;
            if !options.refresh && has_github_snapshot(self.conn(), &e.full_name)? {
                summary.skipped.push(e.full_name.clone());
            } else {
                to_fetch.push(e);
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Invalid(format!("cannot start the network runtime: {e}")))?;
        let client = {
            let _guard = runtime.enter();
            GitHub::new(GitHubOptions {
                api_url: options.api_url.clone(),
                token: options.token.clone(),
                concurrency: options.concurrency.max(1),
                max_file_bytes: MAX_FILE_BYTES,
                ..GitHubOptions::default()
            })
            .map_err(|e| Error::Invalid(e.to_string()))?
        };
        on_progress(ImportProgress::Planned {
            to_fetch: to_fetch.len(),
            skipped: summary.skipped.len(),
        });
        let names: Vec<String> = to_fetch.iter().map(|e| e.full_name.clone()).collect();
        let list_refs: std::collections::HashMap<String, ImageRef> = to_fetch
            .iter()
            .filter_map(|e| Some((e.full_name.to_ascii_lowercase(), e.image_ref()?)))
            .collect();
        let on_event = |event: Event| match event {
            Event::Started { repo } => on_progress(ImportProgress::Started { repo }),
            Event::Waiting { repo, reason, wait } => on_progress(ImportProgress::Waiting {
                repo,
                reason: wait_reason(reason).to_string(),
                wait,
            }),
        };
        let api_url = options.api_url.as_deref();
        let cancelled = || {
            options
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
        };
        let mut store_error: Option<Error> = None;
        let mut done: Vec<RepoImport> = Vec::new();
        let stats = runtime.block_on(client.fetch_many_until(
            &names,
            &StudySelector,
            &on_event,
            &cancelled,
            |outcome| {
                let list_ref = list_refs.get(&outcome.requested_name().to_ascii_lowercase());
                match self.store_outcome(&outcome, list_ref, api_url) {
                    Ok(r) => {
                        on_progress(ImportProgress::Done(r.clone()));
                        done.push(r);
                    }
                    Err(e) => store_error = Some(e),
                }
                if store_error.is_some() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        ));
        if let Some(e) = store_error {
            return Err(e);
        }
        summary.cancelled = summary.skipped.len() + done.len() < summary.requested;
        summary.repos = done;
        summary.requests = stats.requests;
        summary.waited_ms = stats.waited.as_millis() as u64;
        Ok(summary)
    }

    /// Stores one fetched repository (or its failure) in its own transaction.
    fn store_outcome(
        &mut self,
        outcome: &RepoOutcome,
        list_ref: Option<&ImageRef>,
        api_url: Option<&str>,
    ) -> Result<RepoImport> {
        match outcome {
            RepoOutcome::Fetched(snap) => {
                let input = snapshot_input(snap, api_url);
                let problems: Vec<String> =
                    snap.problems.iter().map(|p| p.message.clone()).collect();
                self.write(|tx| {
                    let stored = super::store_snapshot(tx, &input)?;
                    let id = project_id(tx, &input.full_name)?.ok_or_else(|| {
                        Error::Invalid(format!("{}: stored but not found", input.full_name))
                    })?;
                    let problem = (!problems.is_empty()).then(|| problems.join("; "));
                    tx.execute(
                        "UPDATE project SET problem = ?2 WHERE id = ?1",
                        params![id, problem],
                    )?;
                    let refs: Vec<ImageRef> =
                        snap.image_refs.iter().chain(list_ref).cloned().collect();
                    let n = store_image_refs(tx, id, &refs)?;
                    Ok(RepoImport {
                        requested: snap.requested_name.clone(),
                        project: snap.full_name.clone(),
                        outcome: stored.outcome.to_string(),
                        renamed_from: snap.renamed().then(|| snap.requested_name.clone()),
                        problems: problems.clone(),
                        failure: None,
                        image_refs: n,
                    })
                })
            }
            RepoOutcome::Failed(f) => {
                let name = f.requested_name.clone();
                let message = format!("import from GitHub failed: {}", f.message);
                let location = format!("{}/repos/{name}", api_base(api_url));
                self.write(|tx| {
                    let id = match project_id(tx, &name)? {
                        Some(id) => {
                            tx.execute(
                                "UPDATE project SET problem = ?2 WHERE id = ?1",
                                params![id, message],
                            )?;
                            id
                        }
                        None => {
                            tx.execute(
                                "INSERT INTO project (full_name, source, location, problem, created_at)
                                 VALUES (?1, 'github', ?2, ?3, ?4)",
                                params![name, location, message, crate::now()],
                            )?;
                            tx.last_insert_rowid()
                        }
                    };
                    // The list's image still links the project to its image.
                    let n = store_image_refs(tx, id, &list_ref.cloned().into_iter().collect::<Vec<_>>())?;
                    crate::history::record(
                        tx,
                        "system",
                        "project.import_failed",
                        &name,
                        None,
                        Some(&serde_json::json!({ "reason": f.reason, "message": f.message })),
                    )?;
                    Ok(RepoImport {
                        requested: name.clone(),
                        project: name.clone(),
                        outcome: "failed".into(),
                        renamed_from: None,
                        problems: Vec::new(),
                        failure: Some(f.message.clone()),
                        image_refs: n,
                    })
                })
            }
        }
    }

    /// Image references, optionally of one project, by project then reference.
    pub fn image_refs(&self, project: Option<&str>) -> Result<Vec<ImageRefInfo>> {
        if let Some(p) = project {
            project_id(self.conn(), p)?.ok_or_else(|| Error::unknown("project", p))?;
        }
        let mut stmt = self.conn().prepare(
            "SELECT p.full_name, i.reference, i.found_in, i.how, i.added_at
             FROM image_ref i JOIN project p ON p.id = i.project_id
             WHERE ?1 IS NULL OR lower(p.full_name) = lower(?1)
             ORDER BY p.full_name, i.reference, i.found_in",
        )?;
        let rows = stmt.query_map([project], |r| {
            Ok(ImageRefInfo {
                project: r.get(0)?,
                reference: r.get(1)?,
                found_in: r.get(2)?,
                how: r.get(3)?,
                added_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds an image reference to a project by hand (`found_in` and `how` are `manual`).
    /// Docker Hub references are normalized (`docker.io/library/x` is `x`); references to
    /// other registries are kept as written once checked.
    pub fn add_image_ref(&mut self, project: &str, reference: &str) -> Result<ImageRefInfo> {
        let reference = check_reference(reference)?;
        self.write(|tx| {
            let id = project_id(tx, project)?.ok_or_else(|| Error::unknown("project", project))?;
            let full_name: String =
                tx.query_row("SELECT full_name FROM project WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            let at = crate::now();
            let n = tx.execute(
                "INSERT OR IGNORE INTO image_ref (project_id, reference, found_in, how, added_at)
                 VALUES (?1, ?2, 'manual', 'manual', ?3)",
                params![id, reference, at],
            )?;
            if n == 0 {
                return Err(Error::Invalid(format!(
                    "{full_name} already has {reference} added by hand"
                )));
            }
            crate::history::record(
                tx,
                "user",
                "image_ref.add",
                &format!("{full_name}|{reference}"),
                None,
                Some(&serde_json::json!({ "reference": reference, "found_in": "manual" })),
            )?;
            Ok(ImageRefInfo {
                project: full_name,
                reference: reference.clone(),
                found_in: "manual".into(),
                how: "manual".into(),
                added_at: at,
            })
        })
    }

    /// Removes every record of `reference` on a project (wherever it was found); returns the
    /// records removed. The history keeps each of them.
    pub fn remove_image_ref(
        &mut self,
        project: &str,
        reference: &str,
    ) -> Result<Vec<ImageRefInfo>> {
        let reference = check_reference(reference)?;
        let found: Vec<ImageRefInfo> = self
            .image_refs(Some(project))?
            .into_iter()
            .filter(|r| r.reference == reference)
            .collect();
        if found.is_empty() {
            return Err(Error::Invalid(format!(
                "{project} has no image reference {reference}"
            )));
        }
        self.write(|tx| {
            let id = project_id(tx, project)?.ok_or_else(|| Error::unknown("project", project))?;
            tx.execute(
                "DELETE FROM image_ref WHERE project_id = ?1 AND reference = ?2",
                params![id, reference],
            )?;
            for r in &found {
                crate::history::record(
                    tx,
                    "user",
                    "image_ref.remove",
                    &format!("{}|{}", r.project, r.reference),
                    Some(&serde_json::json!({ "reference": r.reference, "found_in": r.found_in, "how": r.how })),
                    None,
                )?;
            }
            Ok(())
        })?;
        Ok(found)
    }
}

/// Checks and normalizes an image reference typed by a person.
fn check_reference(raw: &str) -> Result<String> {
    if let Some(hub) = codebench_github::normalize_reference(raw) {
        return Ok(hub);
    }
    let r = raw.trim();
    let ok = !r.is_empty()
        && r.len() <= 512
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:@".contains(&b))
        && r.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && !r.ends_with([':', '/', '@']);
    if ok {
        Ok(r.to_string())
    } else {
        Err(Error::Invalid(format!(
            "'{raw}' is not an image reference (expected e.g. owner/image:tag or registry.example/owner/image:tag, lower case)"
        )))
    }
}

/// One image reference of a project and where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImageRefInfo {
    /// The project's `owner/name`.
    pub project: String,
    /// Normalized reference: `name[:tag][@sha256:...]`.
    pub reference: String,
    /// File path it was found in, `list`, `manual`, or `docker-hub` (the selection's Docker
    /// Hub filter found an image under the repository's own name).
    pub found_in: String,
    /// `readme-link`, `docker-pull`, `compose-image`, `workflow-tags`, `docker-push`, `list`,
    /// `manual` or `selection`.
    pub how: String,
    /// When it was recorded.
    pub added_at: String,
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use codebench_github::mock::{Fixture, FixtureRepo, MockConfig, MockGitHub};

    use super::*;
    use crate::codebook::Codebook;
    use crate::coding::DecisionInput;

    fn mock(rt: &tokio::runtime::Runtime, repos: Vec<FixtureRepo>) -> MockGitHub {
        rt.block_on(MockGitHub::start(
            Fixture::new(repos),
            MockConfig::default(),
        ))
        .unwrap()
    }

    fn options(url: &str, refresh: bool) -> GithubImportOptions {
        GithubImportOptions {
            api_url: Some(url.to_string()),
            token: Some("test-token-not-stored".into()),
            concurrency: 8,
            refresh,
            cancel: None,
        }
    }

    #[test]
    fn cancel_keeps_what_is_stored_and_a_rerun_goes_on() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
        let names: Vec<String> = (0..6).map(|i| format!("acme/r{i}")).collect();
        let gh = mock(
            &rt,
            names
                .iter()
                .map(|n| FixtureRepo::new(n).file("Dockerfile", "FROM python:3.11\n"))
                .collect(),
        );
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut opts = options(&gh.url(), false);
        opts.concurrency = 1;
        opts.cancel = Some(flag.clone());
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        // Cancel as soon as the first repository is stored (the app's Cancel button).
        let on = |p: ImportProgress| {
            if matches!(p, ImportProgress::Done(_)) {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        };
        let s = study.import_github(&entries(&all), &opts, &on).unwrap();
        assert!(s.cancelled);
        assert_eq!(s.repos.len(), 1, "{:?}", s.repos);
        // Again without cancelling: the stored one is skipped, the rest are fetched.
        opts.cancel = None;
        let s = study.import_github(&entries(&all), &opts, &|_| {}).unwrap();
        assert!(!s.cancelled);
        assert_eq!((s.skipped.len(), s.repos.len()), (1, 5));
    }

    fn entries(names: &[&str]) -> Vec<ListEntry> {
        entries_from_names(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn repo_v1() -> FixtureRepo {
        FixtureRepo::new("acme/model")
            .file(
                "README.md",
                "# Model\n\n```\ndocker pull acme/model:1.0\n```\n",
            )
            .file("Dockerfile", "FROM python:3.11\nRUN pip install model\n")
            .file("vendor/x/Dockerfile", "FROM scratch\n")
            .file(
                "docker-compose.yml",
                "services:\n  app:\n    image: acme/model-api:2\n",
            )
    }

    #[test]
    fn refresh_adds_a_snapshot_when_the_branch_moved_and_keeps_decisions() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
        let first = mock(&rt, vec![repo_v1()]);
        let events = Mutex::new(Vec::new());
        let on = |p: ImportProgress| events.lock().unwrap().push(p);
        let s = study
            .import_github(
                &entries(&["acme/model"]),
                &options(&first.url(), false),
                &on,
            )
            .unwrap();
        assert_eq!(s.repos.len(), 1);
        assert_eq!(s.repos[0].outcome, "new");
        let events = events.into_inner().unwrap();
        assert_eq!(
            events[0],
            ImportProgress::Planned {
                to_fetch: 1,
                skipped: 0
            }
        );
        assert!(
            matches!(events.last(), Some(ImportProgress::Done(r)) if r.project == "acme/model")
        );
        let units: Vec<String> = study.units().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(units, ["acme/model", "acme/model:Dockerfile"]);
        let view = study.project_view("acme/model").unwrap();
        assert_eq!(view.metadata["stars"], 42);
        assert_eq!(view.metadata["license"], "MIT");
        assert_eq!(view.metadata["default_branch"], "main");
        assert!(view.readme.unwrap().text.unwrap().contains("docker pull"));
        let refs: Vec<(String, String, String)> = study
            .image_refs(Some("acme/model"))
            .unwrap()
            .into_iter()
            .map(|r| (r.reference, r.found_in, r.how))
            .collect();
        assert_eq!(
            refs,
            [
                (
                    "acme/model-api:2".into(),
                    "docker-compose.yml".into(),
                    "compose-image".into()
                ),
                (
                    "acme/model:1.0".into(),
                    "README.md".into(),
                    "docker-pull".into()
                ),
            ]
        );

        let rater = "alice";
        study.add_rater(rater).unwrap();
        study
            .record(&DecisionInput {
                rater: rater.into(),
                unit: "acme/model".into(),
                dimension: "kind".into(),
                codes: vec!["mlops-aiops".into()],
                memo: None,
                flagged: None,
            })
            .unwrap();

        // Without --refresh nothing is fetched.
        let before = first.stats().requests;
        let s = study
            .import_github(
                &entries(&["acme/model"]),
                &options(&first.url(), false),
                &|_| {},
            )
            .unwrap();
        assert_eq!(s.skipped, ["acme/model"]);
        assert!(s.repos.is_empty());
        assert_eq!(first.stats().requests, before);

        // Refresh against the same commit: unchanged.
        let s = study
            .import_github(
                &entries(&["acme/model"]),
                &options(&first.url(), true),
                &|_| {},
            )
            .unwrap();
        assert_eq!(s.repos[0].outcome, "unchanged");
        assert!(!study.project_view("acme/model").unwrap().changed);

        // The default branch moved: a new snapshot, marked changed, decisions kept.
        let moved = mock(
            &rt,
            vec![repo_v1().file("docker/Dockerfile.gpu", "FROM nvidia/cuda:12.2.0-base\n")],
        );
        let s = study
            .import_github(
                &entries(&["acme/model"]),
                &options(&moved.url(), true),
                &|_| {},
            )
            .unwrap();
        assert_eq!(s.repos[0].outcome, "updated");
        let view = study.project_view("acme/model").unwrap();
        assert!(view.changed);
        assert_eq!(view.dockerfiles.len(), 2);
        let snapshots: i64 = study
            .conn()
            .query_row("SELECT count(*) FROM snapshot", [], |r| r.get(0))
            .unwrap();
        assert_eq!(snapshots, 2);
        assert!(study
            .decision(rater, "acme/model", "kind")
            .unwrap()
            .is_some());
        // The token went to the server and nowhere into the study.
        assert_eq!(first.authorizations(), ["Bearer test-token-not-stored"]);
        let bytes = std::fs::read(study.path()).unwrap();
        let wal = std::fs::read(study.path().with_extension("cb-wal")).unwrap_or_default();
        for b in [bytes, wal] {
            assert!(!b.windows(10).any(|w| w == b"test-token"));
        }
        assert!(!format!("{:?}", options("http://x", false)).contains("test-token"));
    }

    #[test]
    fn failures_are_recorded_on_a_project_without_units_and_retried() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
        let server = mock(&rt, vec![repo_v1()]);
        let mut list = entries(&["acme/gone", "acme/model"]);
        list[0].image = Some("acme/gone:latest".into());
        let s = study
            .import_github(&list, &options(&server.url(), false), &|_| {})
            .unwrap();
        let failed: Vec<_> = s.failed().collect();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].failure.as_deref().unwrap().contains("404"));
        let projects = study.projects().unwrap();
        let gone = projects.iter().find(|p| p.name == "acme/gone").unwrap();
        assert!(gone.problem.as_deref().unwrap().contains("404"));
        assert!(gone.commit.is_none());
        assert!(study
            .units()
            .unwrap()
            .iter()
            .all(|u| u.project != "acme/gone"));
        assert_eq!(study.status().unwrap().projects_with_problems, 1);
        let refs = study.image_refs(Some("acme/gone")).unwrap();
        assert_eq!(refs[0].reference, "acme/gone:latest");
        assert_eq!(refs[0].how, "list");
        // A failed repository has no snapshot, so the next run tries it again.
        let s = study
            .import_github(&list, &options(&server.url(), false), &|_| {})
            .unwrap();
        assert_eq!(s.skipped, ["acme/model"]);
        assert_eq!(s.repos.len(), 1);
    }

    #[test]
    fn images_by_hand_with_history() {
        let dir = tempfile::tempdir().unwrap();
        let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
        let err = study.add_image_ref("acme/none", "x/y").unwrap_err();
        assert!(err.to_string().contains("unknown project"), "{err}");
        study
            .write(|tx| {
                tx.execute(
                    "INSERT INTO project (full_name, source, created_at) VALUES ('acme/a', 'github', 'now')",
                    [],
                )?;
                Ok(())
            })
            .unwrap();
        let r = study
            .add_image_ref("acme/a", "docker.io/library/python:3.11")
            .unwrap();
        assert_eq!(r.reference, "python:3.11");
        study.add_image_ref("acme/a", "ghcr.io/acme/a:1").unwrap();
        assert!(study.add_image_ref("acme/a", "python:3.11").is_err());
        assert!(study.add_image_ref("acme/a", "Not A Ref").is_err());
        assert_eq!(study.image_refs(None).unwrap().len(), 2);
        let removed = study.remove_image_ref("acme/a", "python:3.11").unwrap();
        assert_eq!(removed.len(), 1);
        assert!(study.remove_image_ref("acme/a", "python:3.11").is_err());
        let actions: Vec<String> = study
            .conn()
            .prepare("SELECT action FROM history WHERE action LIKE 'image_ref.%' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        assert_eq!(
            actions,
            ["image_ref.add", "image_ref.add", "image_ref.remove"]
        );
    }

    #[test]
    fn selector_follows_the_study_rules() {
        let s = StudySelector;
        assert_eq!(s.role("README.md"), None);
        assert_eq!(s.role("a/Dockerfile"), Some(FileRole::Dockerfile));
        assert_eq!(s.role("node_modules/a/Dockerfile"), None);
        assert_eq!(s.role(".github/workflows/ci.yml"), Some(FileRole::Workflow));
        assert!(s.descend("src/app"));
        assert!(!s.descend("web/node_modules"));
        assert!(!s.descend(".git"));
    }
}
