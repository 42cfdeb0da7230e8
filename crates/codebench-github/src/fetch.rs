//! Fetching one repository (metadata, commit, tree, README, selected files, image references)
//! and many at once with bounded concurrency.

use futures_util::StreamExt;
use http::StatusCode;
use serde::Deserialize;

use crate::client::{GitHub, Reply, RequestError, JSON, RAW, SHA};
use crate::git::{blob_sha, looks_binary};
use crate::image_ref::{refs_from_compose, refs_from_readme, refs_from_workflow};
use crate::list::parse_repo_name;
use crate::snapshot::{
    Content, Event, FailureKind, FetchedFile, FileRole, FileSelector, ImportSummary, Problem,
    ProblemKind, RepoFailure, RepoMetadata, RepoOutcome, RepoSnapshot,
};

/// How often [`GitHub::fetch_many_until`] asks whether to stop while repositories are in flight.
pub const STOP_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// JSON answers (metadata, trees) larger than this are refused.
pub(crate) const MAX_JSON_BYTES: u64 = 64 * 1024 * 1024;
/// Tree entries walked per repository at most (GitHub's own recursive limit is 100,000).
const MAX_TREE_ENTRIES: usize = 1_000_000;

#[derive(Deserialize)]
pub(crate) struct RepoJson {
    id: u64,
    pub full_name: String,
    #[serde(default)]
    html_url: String,
    description: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
    language: Option<String>,
    #[serde(default)]
    stargazers_count: u64,
    #[serde(default)]
    forks_count: u64,
    #[serde(default)]
    watchers_count: u64,
    subscribers_count: Option<u64>,
    #[serde(default)]
    open_issues_count: u64,
    #[serde(default)]
    size: u64,
    license: Option<LicenseJson>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    fork: bool,
    created_at: Option<String>,
    pushed_at: Option<String>,
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct LicenseJson {
    spdx_id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct TreeJson {
    tree: Vec<TreeEntry>,
    #[serde(default)]
    truncated: bool,
}

#[derive(Deserialize, Clone)]
pub(crate) struct TreeEntry {
    pub path: String,
    pub mode: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    pub size: Option<u64>,
}

/// Runs `work` while asking `stop` every [`STOP_POLL`]: `None` when it said stop (the work is
/// dropped, its requests and waits cancelled). A stop already asked for starts no work.
pub(crate) async fn until_stopped<F: std::future::Future>(
    work: F,
    stop: &(dyn Fn() -> bool + Sync),
) -> Option<F::Output> {
    if stop() {
        return None;
    }
    let mut work = std::pin::pin!(work);
    let mut poll = tokio::time::interval(STOP_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            out = &mut work => return Some(out),
            _ = poll.tick() => {
                if stop() {
                    return None;
                }
            }
        }
    }
}

/// A failure on the way, turned into a [`RepoFailure`] at the end.
pub(crate) struct Fail(pub FailureKind, pub String);

impl From<RequestError> for Fail {
    fn from(e: RequestError) -> Self {
        Fail(e.kind, e.message)
    }
}

/// The failure for an unexpected status.
pub(crate) fn status_failure(reply: &Reply, what: &str) -> Fail {
    let kind = match reply.status {
        StatusCode::NOT_FOUND => FailureKind::NotFound,
        StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => FailureKind::Blocked,
        StatusCode::FORBIDDEN => FailureKind::Forbidden,
        StatusCode::CONFLICT => FailureKind::Empty,
        _ => FailureKind::Http,
    };
    Fail(kind, format!("{what}: {}", reply.message()))
}

pub(crate) fn json<T: for<'de> Deserialize<'de>>(reply: &Reply, what: &str) -> Result<T, Fail> {
    let body = reply.body.as_deref().ok_or_else(|| {
        Fail(
            FailureKind::InvalidResponse,
            format!("{what}: answer larger than {MAX_JSON_BYTES} bytes"),
        )
    })?;
    serde_json::from_slice(body)
        .map_err(|e| Fail(FailureKind::InvalidResponse, format!("{what}: {e}")))
}

/// Percent-encodes a git ref for a URL path, keeping `/`.
pub(crate) fn encode_ref(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    for b in r.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Classifies downloaded bytes.
fn classify(bytes: Vec<u8>) -> Content {
    if looks_binary(&bytes) {
        return Content::Binary;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Content::Text(text),
        Err(_) => Content::NotUtf8,
    }
}

fn content_problem(file: &FetchedFile, max: u64) -> Option<Problem> {
    let (kind, what) = match file.content {
        Content::Text(_) => return None,
        Content::TooLarge => (ProblemKind::TooLarge, format!("larger than {max} bytes")),
        Content::Binary => (ProblemKind::Binary, "binary".to_string()),
        Content::NotUtf8 => (ProblemKind::NotUtf8, "not UTF-8 text".to_string()),
    };
    Some(Problem {
        kind,
        path: Some(file.path.clone()),
        message: format!("{} is {what}; content not shown", file.path),
    })
}

impl GitHub {
    /// Fetches one repository: metadata, the default branch's commit, the README, every file
    /// `select` picks from the recursive tree (walking subtrees when GitHub truncates it), and
    /// the Docker Hub references in them. Never panics; every failure becomes
    /// [`RepoOutcome::Failed`] with its reason, and non-fatal ones land in
    /// [`RepoSnapshot::problems`].
    pub async fn fetch_repo(
        &self,
        full_name: &str,
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> RepoOutcome {
        on_event(Event::Started {
            repo: full_name.to_string(),
        });
        match self.fetch_snapshot(full_name, select, on_event).await {
            Ok(snapshot) => RepoOutcome::Fetched(snapshot),
            Err(Fail(reason, message)) => RepoOutcome::Failed(RepoFailure {
                requested_name: full_name.to_string(),
                reason,
                message,
            }),
        }
    }

    /// Fetches `names` with at most `options.concurrency` repositories in flight, handing each
    /// outcome to `on_outcome` as soon as it is complete (so the caller can store each in its
    /// own transaction; dropping the future cancels only the repositories in flight). Skipping
    /// repositories finished earlier is the caller's choice of `names`.
    pub async fn fetch_many(
        &self,
        names: &[String],
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
        mut on_outcome: impl FnMut(RepoOutcome),
    ) -> ImportSummary {
        self.fetch_many_until(names, select, on_event, &|| false, |o| {
            on_outcome(o);
            std::ops::ControlFlow::Continue(())
        })
        .await
    }

    /// [`GitHub::fetch_many`] that stops when `on_outcome` says `Break`, or as soon as `stop`
    /// says true (a user's Cancel; it is asked every [`STOP_POLL`], so a Cancel does not wait
    /// for a repository to finish nor for a rate-limit pause of up to an hour to end). The
    /// repositories still in flight are dropped (their requests and waits cancelled) and
    /// none is started after; what was handed to `on_outcome` before stays done.
    pub async fn fetch_many_until(
        &self,
        names: &[String],
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
        mut on_outcome: impl FnMut(RepoOutcome) -> std::ops::ControlFlow<()>,
    ) -> ImportSummary {
        let requests_before = self.requests_sent();
        let waited_before = self.time_waited();
        let mut summary = ImportSummary::default();
        // The (not yet started) futures are collected first: a closure in the stream's type
        // would stop the whole future from being `Send` (rustc's higher-ranked lifetime issue).
        let fetches: Vec<_> = names
            .iter()
            .map(|name| self.fetch_repo(name, select, on_event))
            .collect();
        let mut outcomes =
            futures_util::stream::iter(fetches).buffer_unordered(self.options.concurrency.max(1));
        let mut poll = tokio::time::interval(STOP_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // `next()` is cancel-safe: a tick drops only the wait, never a finished outcome.
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
            match &outcome {
                RepoOutcome::Fetched(s) => {
                    summary.fetched += 1;
                    summary.renamed += usize::from(s.renamed());
                    summary.with_problems += usize::from(!s.problems.is_empty());
                }
                RepoOutcome::Failed(f) => {
                    summary.failed.push((f.requested_name.clone(), f.reason));
                }
            }
            if on_outcome(outcome).is_break() || stop() {
                break;
            }
        }
        summary.requests = self.requests_sent() - requests_before;
        summary.waited = self.time_waited().saturating_sub(waited_before);
        summary
    }

    async fn fetch_snapshot(
        &self,
        requested: &str,
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<RepoSnapshot, Fail> {
        let name = parse_repo_name(requested).map_err(|m| Fail(FailureKind::InvalidName, m))?;
        let mut problems = Vec::new();

        // Metadata (a 301 for a renamed repository is followed by octocrab).
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
        if !full_name.eq_ignore_ascii_case(&name) {
            problems.push(Problem {
                kind: ProblemKind::Renamed,
                path: None,
                message: format!("GitHub redirects {name} to {full_name} (renamed or transferred)"),
            });
        }
        let metadata = metadata_of(repo);
        if metadata.default_branch.is_empty() {
            return Err(Fail(
                FailureKind::Empty,
                "repository has no default branch".into(),
            ));
        }

        // The default branch's commit.
        let reply = self
            .get(
                requested,
                &format!(
                    "/repos/{full_name}/commits/{}",
                    encode_ref(&metadata.default_branch)
                ),
                SHA,
                4096,
                on_event,
            )
            .await?;
        if reply.status != StatusCode::OK {
            return Err(status_failure(&reply, "default branch commit"));
        }
        let commit_sha = reply
            .body
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                Fail(
                    FailureKind::InvalidResponse,
                    "default branch commit: the answer is not a SHA".into(),
                )
            })?;

        // The tree at that commit.
        let tree = self
            .walk_tree(requested, &full_name, &commit_sha, select, on_event)
            .await?;

        // The README through its endpoint, pinned to the commit.
        let readme = self
            .fetch_readme(requested, &full_name, &commit_sha, &tree, on_event)
            .await?;
        match &readme {
            None => problems.push(Problem {
                kind: ProblemKind::NoReadme,
                path: None,
                message: "GitHub finds no README".into(),
            }),
            Some(file) => problems.extend(content_problem(file, self.options.max_file_bytes)),
        }

        // Selected files.
        let mut files = Vec::new();
        for entry in &tree {
            let Some(role) = select.role(&entry.path) else {
                continue;
            };
            if entry.kind == "commit" {
                problems.push(Problem {
                    kind: ProblemKind::Submodule,
                    path: Some(entry.path.clone()),
                    message: format!("{} is a submodule; not fetched", entry.path),
                });
                continue;
            }
            if entry.kind != "blob" {
                continue;
            }
            if entry.mode == "120000" {
                problems.push(Problem {
                    kind: ProblemKind::Symlink,
                    path: Some(entry.path.clone()),
                    message: format!("{} is a symbolic link; not followed", entry.path),
                });
                continue;
            }
            let size = entry.size.unwrap_or(0);
            let content = if size > self.options.max_file_bytes {
                Content::TooLarge
            } else {
                self.fetch_blob(requested, &full_name, entry, on_event)
                    .await?
            };
            let file = FetchedFile {
                path: entry.path.clone(),
                role,
                size,
                sha: entry.sha.clone(),
                content,
            };
            problems.extend(content_problem(&file, self.options.max_file_bytes));
            files.push(file);
        }
        if !files.iter().any(|f| f.role == FileRole::Dockerfile) {
            problems.push(Problem {
                kind: ProblemKind::NoDockerfile,
                path: None,
                message: "no Dockerfile in the tree".into(),
            });
        }

        // Image references.
        let mut image_refs = Vec::new();
        if let Some(readme) = &readme {
            if let Some(text) = readme.text() {
                image_refs.extend(refs_from_readme(text, &readme.path));
            }
        }
        for file in &files {
            let Some(text) = file.text() else { continue };
            match file.role {
                FileRole::Compose => image_refs.extend(refs_from_compose(text, &file.path)),
                FileRole::Workflow => image_refs.extend(refs_from_workflow(text, &file.path)),
                FileRole::Readme | FileRole::Dockerfile => {}
            }
        }

        Ok(RepoSnapshot {
            requested_name: requested.to_string(),
            full_name,
            metadata,
            commit_sha,
            readme,
            files,
            image_refs,
            problems,
        })
    }

    /// All entries of the tree at `commit`: one recursive request, or when GitHub truncates
    /// it, a walk of subtrees (recursive where possible, level by level where not).
    pub(crate) async fn walk_tree(
        &self,
        requested: &str,
        full_name: &str,
        commit: &str,
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<Vec<TreeEntry>, Fail> {
        let mut out = Vec::new();
        // (tree sha, path prefix) still to read.
        let mut pending = vec![(commit.to_string(), String::new())];
        while let Some((sha, prefix)) = pending.pop() {
            let tree = self
                .get_tree(requested, full_name, &sha, true, on_event)
                .await?;
            // A truncated recursive listing is replaced by this level alone, whose subtrees are
            // then walked; a complete recursive listing already holds everything below.
            let (tree, complete) = if tree.truncated {
                let level = self
                    .get_tree(requested, full_name, &sha, false, on_event)
                    .await?;
                (level, false)
            } else {
                (tree, true)
            };
            for mut entry in tree.tree {
                if !prefix.is_empty() {
                    entry.path = format!("{prefix}/{}", entry.path);
                }
                if entry.kind == "tree" {
                    if !complete && select.descend(&entry.path) {
                        pending.push((entry.sha.clone(), entry.path.clone()));
                    }
                    continue;
                }
                out.push(entry);
                if out.len() > MAX_TREE_ENTRIES {
                    return Err(Fail(
                        FailureKind::InvalidResponse,
                        format!("tree: more than {MAX_TREE_ENTRIES} entries"),
                    ));
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    async fn get_tree(
        &self,
        requested: &str,
        full_name: &str,
        sha: &str,
        recursive: bool,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<TreeJson, Fail> {
        let query = if recursive { "?recursive=1" } else { "" };
        let reply = self
            .get(
                requested,
                &format!("/repos/{full_name}/git/trees/{sha}{query}"),
                JSON,
                MAX_JSON_BYTES,
                on_event,
            )
            .await?;
        if reply.status != StatusCode::OK {
            return Err(status_failure(&reply, "tree"));
        }
        json(&reply, "tree")
    }

    async fn fetch_readme(
        &self,
        requested: &str,
        full_name: &str,
        commit: &str,
        tree: &[TreeEntry],
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<Option<FetchedFile>, Fail> {
        let max = self.options.max_file_bytes;
        let reply = self
            .get(
                requested,
                &format!("/repos/{full_name}/readme?ref={commit}"),
                RAW,
                max,
                on_event,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if reply.status != StatusCode::OK {
            return Err(status_failure(&reply, "README"));
        }
        let is_readme_name = |e: &&TreeEntry| {
            !e.path.contains('/') && e.path.to_ascii_lowercase().starts_with("readme")
        };
        let Some(bytes) = reply.body else {
            // Over the limit: name it after the large README at the root, if there is one.
            let entry = tree
                .iter()
                .filter(is_readme_name)
                .find(|e| e.size.unwrap_or(0) > max);
            return Ok(Some(FetchedFile {
                path: entry.map_or_else(|| "README".to_string(), |e| e.path.clone()),
                role: FileRole::Readme,
                size: entry.and_then(|e| e.size).unwrap_or(max + 1),
                sha: entry.map(|e| e.sha.clone()).unwrap_or_default(),
                content: Content::TooLarge,
            }));
        };
        let sha = blob_sha(&bytes);
        // The endpoint does not say which file it chose: find it in the tree by its blob SHA.
        let path = tree
            .iter()
            .filter(|e| e.sha == sha)
            .min_by_key(|e| (e.path.matches('/').count(), e.path.len()))
            .map_or_else(|| "README".to_string(), |e| e.path.clone());
        Ok(Some(FetchedFile {
            path,
            role: FileRole::Readme,
            size: bytes.len() as u64,
            sha,
            content: classify(bytes),
        }))
    }

    async fn fetch_blob(
        &self,
        requested: &str,
        full_name: &str,
        entry: &TreeEntry,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<Content, Fail> {
        if entry.sha.len() != 40 || !entry.sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Fail(
                FailureKind::InvalidResponse,
                format!("tree: {} has an invalid SHA", entry.path),
            ));
        }
        let reply = self
            .get(
                requested,
                &format!("/repos/{full_name}/git/blobs/{}", entry.sha),
                RAW,
                self.options.max_file_bytes,
                on_event,
            )
            .await?;
        if reply.status != StatusCode::OK {
            return Err(status_failure(&reply, &entry.path));
        }
        let Some(bytes) = reply.body else {
            return Ok(Content::TooLarge);
        };
        let got = blob_sha(&bytes);
        if !got.eq_ignore_ascii_case(&entry.sha) {
            return Err(Fail(
                FailureKind::InvalidResponse,
                format!(
                    "{}: downloaded content has blob SHA {got}, the tree says {}",
                    entry.path, entry.sha
                ),
            ));
        }
        Ok(classify(bytes))
    }
}

pub(crate) fn metadata_of(repo: RepoJson) -> RepoMetadata {
    let license = repo.license.and_then(|l| match l.spdx_id {
        Some(id) if !id.is_empty() && id != "NOASSERTION" => Some(id),
        _ => l.name,
    });
    RepoMetadata {
        id: repo.id,
        html_url: repo.html_url,
        description: repo.description,
        topics: repo.topics,
        language: repo.language,
        stars: repo.stargazers_count,
        forks: repo.forks_count,
        watchers: repo.subscribers_count.unwrap_or(repo.watchers_count),
        open_issues: repo.open_issues_count,
        size_kib: repo.size,
        license,
        archived: repo.archived,
        fork: repo.fork,
        created_at: repo.created_at,
        pushed_at: repo.pushed_at,
        default_branch: repo.default_branch.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_encoded() {
        assert_eq!(encode_ref("main"), "main");
        assert_eq!(encode_ref("feature/ü x"), "feature/%C3%BC%20x");
    }

    #[test]
    fn classification() {
        assert_eq!(
            classify(b"FROM x\n".to_vec()),
            Content::Text("FROM x\n".into())
        );
        assert_eq!(classify(b"\0\x01".to_vec()), Content::Binary);
        assert_eq!(classify(b"caf\xe9".to_vec()), Content::NotUtf8);
    }
}
