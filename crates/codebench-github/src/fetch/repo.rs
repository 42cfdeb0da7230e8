//! One repository's snapshot: its metadata as GitHub answers it, the default branch's commit,
//! then the tree, README, selected files and the Docker Hub references in them, with the
//! non-fatal problems found on the way.

use http::StatusCode;
use serde::Deserialize;

use super::files::content_problem;
use super::{encode_ref, json, status_failure, Fail, MAX_JSON_BYTES};
use crate::client::{GitHub, JSON, SHA};
use crate::image_ref::{refs_from_compose, refs_from_readme, refs_from_workflow};
use crate::list::parse_repo_name;
use crate::snapshot::{
    Content, Event, FailureKind, FetchedFile, FileRole, FileSelector, Problem, ProblemKind,
    RepoFailure, RepoMetadata, RepoOutcome, RepoSnapshot,
};

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
