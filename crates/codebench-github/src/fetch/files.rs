//! Downloading a repository's README (through its endpoint, pinned to the commit) and the
//! selected files (as blobs, checked against the tree's SHA), and classifying what arrived
//! (text, binary, not UTF-8, too large).

use http::StatusCode;

use super::tree::TreeEntry;
use super::{status_failure, Fail};
use crate::client::{GitHub, RAW};
use crate::git::{blob_sha, looks_binary};
use crate::snapshot::{Content, Event, FailureKind, FetchedFile, FileRole, Problem, ProblemKind};

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

pub(super) fn content_problem(file: &FetchedFile, max: u64) -> Option<Problem> {
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
    pub(super) async fn fetch_readme(
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

    pub(super) async fn fetch_blob(
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

#[cfg(test)]
mod tests {
    use super::*;

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
