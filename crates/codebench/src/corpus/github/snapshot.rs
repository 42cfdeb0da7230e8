//! Where the study's file rules meet `codebench-github`: the selector that tells the fetcher
//! which files of a repository's tree matter (the rules of [`crate::corpus::names`]), and a
//! fetched repository turned into the snapshot the study stores.

use codebench_github::{Content, FetchedFile, FileRole, FileSelector, RepoSnapshot};

use crate::corpus::names::{self, Role};
use crate::corpus::{FileContent, FileInput, SnapshotInput, Source};

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
pub(super) fn api_base(api_url: Option<&str>) -> String {
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
