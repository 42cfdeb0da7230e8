//! Walking a repository's tree at a commit: one recursive listing, or the subtrees the file
//! selector descends into when GitHub truncates it.

use http::StatusCode;
use serde::Deserialize;

use super::{json, status_failure, Fail, MAX_JSON_BYTES};
use crate::client::{GitHub, JSON};
use crate::snapshot::{Event, FailureKind, FileSelector};

/// Tree entries walked per repository at most (GitHub's own recursive limit is 100,000).
const MAX_TREE_ENTRIES: usize = 1_000_000;

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

impl GitHub {
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
}
