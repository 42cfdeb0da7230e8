//! A fixture repository turned into git objects: blobs, trees and a commit with real git ids,
//! so the client's digest checks and tree walks meet what GitHub would serve.

use std::collections::{BTreeMap, HashMap};

use crate::git::{blob_sha, object_sha};
use crate::mock::fixture::{FixtureRepo, RepoState};

/// One entry of a tree listing.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub mode: &'static str,
    pub kind: &'static str,
    pub sha: String,
    pub size: Option<u64>,
}

/// A repository ready to serve.
#[derive(Debug)]
pub(crate) struct RepoObjects {
    pub repo: FixtureRepo,
    pub blobs: HashMap<String, Vec<u8>>,
    /// tree sha -> its direct entries, in git order.
    pub trees: HashMap<String, Vec<Entry>>,
    /// None for an empty repository.
    pub commit: Option<String>,
    pub root_tree: Option<String>,
    /// Path of the README the readme endpoint serves.
    pub readme: Option<String>,
}

#[derive(Default)]
struct Dir {
    dirs: BTreeMap<String, Dir>,
    files: BTreeMap<String, (Vec<u8>, bool)>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect()
}

impl RepoObjects {
    pub fn build(repo: FixtureRepo) -> RepoObjects {
        let mut blobs = HashMap::new();
        let mut trees = HashMap::new();
        let (commit, root_tree) = if repo.state == RepoState::Empty {
            (None, None)
        } else {
            let mut root = Dir::default();
            for (path, content, link) in &repo.files {
                let mut dir = &mut root;
                let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
                let Some((name, parents)) = parts.split_last() else {
                    continue;
                };
                for p in parents {
                    dir = dir.dirs.entry(p.to_string()).or_default();
                }
                dir.files.insert(name.to_string(), (content.clone(), *link));
            }
            let root_sha = write_tree(&root, &mut blobs, &mut trees);
            let commit = object_sha(
                "commit",
                format!(
                    "tree {root_sha}\nauthor Fixture <fixture@example.org> 1600000000 +0000\n\
                     committer Fixture <fixture@example.org> 1600000000 +0000\n\n{}\n",
                    repo.full_name
                )
                .as_bytes(),
            );
            (Some(commit), Some(root_sha))
        };
        // GitHub's choice: a root file named README*, preferring README.md.
        let readme = if commit.is_some() {
            let mut candidates: Vec<&str> = repo
                .files
                .iter()
                .filter(|(p, _, link)| {
                    !link && !p.contains('/') && p.to_ascii_lowercase().starts_with("readme")
                })
                .map(|(p, _, _)| p.as_str())
                .collect();
            candidates.sort_by_key(|p| (!p.eq_ignore_ascii_case("README.md"), p.len()));
            candidates.first().map(|p| p.to_string())
        } else {
            None
        };
        RepoObjects {
            repo,
            blobs,
            trees,
            commit,
            root_tree,
            readme,
        }
    }

    /// The README's bytes.
    pub fn readme_bytes(&self) -> Option<(&str, &[u8])> {
        let path = self.readme.as_deref()?;
        self.repo
            .files
            .iter()
            .find(|(p, _, _)| p == path)
            .map(|(p, c, _)| (p.as_str(), c.as_slice()))
    }

    /// Entries of tree `sha` (a commit sha means its root tree): direct ones, or all of them
    /// with full paths in pre-order when `recursive`.
    pub fn listing(&self, sha: &str, recursive: bool) -> Option<Vec<Entry>> {
        let sha = if Some(sha) == self.commit.as_deref() {
            self.root_tree.as_deref()?
        } else {
            sha
        };
        let direct = self.trees.get(sha)?;
        if !recursive {
            return Some(direct.clone());
        }
        let mut out = Vec::new();
        self.collect(sha, "", &mut out);
        Some(out)
    }

    fn collect(&self, sha: &str, prefix: &str, out: &mut Vec<Entry>) {
        for e in self.trees.get(sha).into_iter().flatten() {
            let mut full = e.clone();
            full.name = format!("{prefix}{}", e.name);
            out.push(full.clone());
            if e.kind == "tree" {
                self.collect(&e.sha, &format!("{}/", full.name), out);
            }
        }
    }
}

fn write_tree(
    dir: &Dir,
    blobs: &mut HashMap<String, Vec<u8>>,
    trees: &mut HashMap<String, Vec<Entry>>,
) -> String {
    let mut entries = Vec::new();
    for (name, sub) in &dir.dirs {
        let sha = write_tree(sub, blobs, trees);
        entries.push(Entry {
            name: name.clone(),
            mode: "040000",
            kind: "tree",
            sha,
            size: None,
        });
    }
    for (name, (content, link)) in &dir.files {
        let sha = blob_sha(content);
        blobs.insert(sha.clone(), content.clone());
        entries.push(Entry {
            name: name.clone(),
            mode: if *link { "120000" } else { "100644" },
            kind: "blob",
            sha,
            size: Some(content.len() as u64),
        });
    }
    // Git orders entries by name, a directory as if followed by '/'.
    entries.sort_by(|a, b| {
        let key = |e: &Entry| {
            let mut k = e.name.as_bytes().to_vec();
            if e.kind == "tree" {
                k.push(b'/');
            }
            k
        };
        key(a).cmp(&key(b))
    });
    let mut payload = Vec::new();
    for e in &entries {
        let mode = e.mode.trim_start_matches('0');
        payload.extend_from_slice(format!("{mode} {}\0", e.name).as_bytes());
        payload.extend_from_slice(&unhex(&e.sha));
    }
    let sha = object_sha("tree", &payload);
    trees.insert(sha.clone(), entries);
    sha
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::hex;

    #[test]
    fn tree_ids_match_git() {
        // `printf 'hello\n' > a; mkdir d; printf 'hello\n' > d/b; git add .; git write-tree`
        let repo = FixtureRepo::new("o/r")
            .file("a", "hello\n")
            .file("d/b", "hello\n");
        let objects = RepoObjects::build(repo);
        let root = objects.root_tree.clone().unwrap();
        assert_eq!(root, "289e1b814b92c9a9efb807b9ec4afa28cfa0fb64");
        let d = &objects.trees[&root][1];
        assert_eq!(
            (d.name.as_str(), d.sha.as_str()),
            ("d", "f09792be40f18f537c28b624b7bc7771f25082e1")
        );
        let all = objects.listing(&root, true).unwrap();
        let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "d", "d/b"]);
        assert_eq!(hex(&unhex(&root)), root);
    }
}
