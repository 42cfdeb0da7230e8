//! Projects from checkouts on disk: `codebench import local DIR...`.
//!
//! The project's name comes from the `origin` remote of a git checkout (read from `.git/config`,
//! no git needed), else it is `local/<folder name>`; the commit from `HEAD`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::names::{self, Role};
use super::{FileContent, FileInput, SnapshotInput, Source, StoredSnapshot, MAX_FILE_BYTES};
use crate::{Error, Result, Study};

/// Reads one checkout into a snapshot. With `lenient` false, a README or Dockerfile that is too
/// large or not UTF-8 text is an error naming it; with `lenient` true it is recorded without text.
pub fn read_checkout(dir: &Path, lenient: bool) -> Result<SnapshotInput> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: not a folder, so not a checkout",
            dir.display()
        )));
    }
    let git = git_dir(dir);
    let full_name = git
        .as_deref()
        .and_then(origin_url)
        .and_then(|u| full_name_from_url(&u))
        .unwrap_or_else(|| format!("local/{}", folder_name(dir)));
    let commit = git.as_deref().and_then(head_commit);

    let mut paths = Vec::new();
    walk(dir, dir, &mut paths)?;
    paths.sort();
    let mut files = Vec::new();
    let mut readmes: Vec<(String, PathBuf)> = Vec::new();
    for (rel, abs) in paths {
        match names::role_of(&rel) {
            Some(Role::Readme) => readmes.push((rel, abs)),
            Some(role) => files.push(read_file(&rel, &abs, role)?),
            None => {}
        }
    }
    readmes.sort_by_key(|(rel, _)| names::readme_preference(rel));
    if let Some((rel, abs)) = readmes.into_iter().next() {
        files.push(read_file(&rel, &abs, Role::Readme)?);
    }
    if !files
        .iter()
        .any(|f| matches!(f.role, Role::Readme | Role::Dockerfile))
    {
        return Err(Error::Invalid(format!(
            "{}: not a repository checkout with anything to code (no README and no Dockerfile found)",
            dir.display()
        )));
    }
    if !lenient {
        if let Some(f) = files.iter().find(|f| {
            matches!(f.role, Role::Readme | Role::Dockerfile)
                && !matches!(f.content, FileContent::Text(_))
        }) {
            return Err(Error::Invalid(format!(
                "{}: {} is {}; nothing was imported (a lenient import records such files without their text)",
                dir.join(&f.path).display(),
                if f.role == Role::Readme { "the README" } else { "a Dockerfile" },
                f.content.problem(f.size).unwrap_or_default()
            )));
        }
    }
    Ok(SnapshotInput {
        full_name,
        source: Source::Local,
        location: Some(
            dir.canonicalize()
                .unwrap_or_else(|_| dir.to_path_buf())
                .display()
                .to_string(),
        ),
        commit,
        metadata: serde_json::json!({}),
        files,
    })
}

/// What `import local` did for one folder.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LocalImport {
    /// The folder.
    pub dir: String,
    /// What was stored.
    pub stored: StoredSnapshot,
}

impl Study {
    /// Imports checkouts, all in one transaction: either every folder is imported or none is.
    pub fn import_local(&mut self, dirs: &[PathBuf], lenient: bool) -> Result<Vec<LocalImport>> {
        let inputs = dirs
            .iter()
            .map(|d| read_checkout(d, lenient))
            .collect::<Result<Vec<_>>>()?;
        let mut seen = std::collections::HashMap::new();
        for (dir, input) in dirs.iter().zip(&inputs) {
            if let Some(other) = seen.insert(input.full_name.clone(), dir) {
                return Err(Error::Invalid(format!(
                    "{} and {} are both {}; import them one at a time, or give each its own origin remote",
                    other.display(),
                    dir.display(),
                    input.full_name
                )));
            }
        }
        self.write(|tx| {
            dirs.iter()
                .zip(&inputs)
                .map(|(d, i)| {
                    Ok(LocalImport {
                        dir: d.display().to_string(),
                        stored: super::store_snapshot(tx, i)?,
                    })
                })
                .collect()
        })
    }
}

fn read_file(rel: &str, abs: &Path, role: Role) -> Result<FileInput> {
    let size = std::fs::metadata(abs).map_err(|e| Error::io(abs, e))?.len();
    let bytes = if size > MAX_FILE_BYTES {
        Vec::new()
    } else {
        std::fs::read(abs).map_err(|e| Error::io(abs, e))?
    };
    Ok(FileInput {
        path: rel.to_string(),
        role,
        size,
        content: FileContent::classify(size, bytes),
    })
}

/// Collects every regular file below `dir` (relative path with forward slashes, absolute path),
/// not following symbolic links, skipping `.git`, `node_modules` and `vendor`.
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let ty = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if ty.is_dir() {
            if !names::is_skipped_dir(&name) {
                walk(root, &entry.path(), out)?;
            }
        } else if ty.is_file() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path));
        }
    }
    Ok(())
}

fn folder_name(dir: &Path) -> String {
    let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let name = canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into());
    sanitize_part(&name)
}

fn sanitize_part(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "project".into()
    } else {
        cleaned
    }
}

/// The git directory of a checkout: `.git/`, or where a `.git` file (`gitdir: …`) points.
fn git_dir(dir: &Path) -> Option<PathBuf> {
    let dot = dir.join(".git");
    if dot.is_dir() {
        return Some(dot);
    }
    let text = std::fs::read_to_string(&dot).ok()?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    let p = Path::new(target);
    Some(if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    })
}

/// The URL of the `origin` remote in a git config file.
fn origin_url(git: &Path) -> Option<String> {
    let config = std::fs::read_to_string(git.join("config"))
        .or_else(|_| {
            // A worktree's gitdir points into the main repository's `worktrees/<name>`.
            let common = std::fs::read_to_string(git.join("commondir")).ok();
            match common {
                Some(c) => std::fs::read_to_string(git.join(c.trim()).join("config")),
                None => Err(std::io::Error::other("no config")),
            }
        })
        .ok()?;
    let mut in_origin = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_origin = line.replace(' ', "") == "[remote\"origin\"]";
            continue;
        }
        if in_origin {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == "url" {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// `owner/name` from a remote URL: `https://host/owner/name(.git)`, `git@host:owner/name.git`,
/// `ssh://git@host/owner/name`, or a local path (its last two components).
pub fn full_name_from_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/').map(|(_, p)| p)?
    } else if let Some((host, p)) = url.split_once(':') {
        if host.contains('/') {
            url
        } else {
            p
        }
    } else {
        url
    };
    let path = path.strip_suffix(".git").unwrap_or(path);
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() < 2 {
        return None;
    }
    let name = format!(
        "{}/{}",
        sanitize_part(parts[parts.len() - 2]),
        sanitize_part(parts[parts.len() - 1])
    );
    super::check_full_name(&name).ok().map(|_| name)
}

/// The commit `HEAD` points at, following one symbolic ref through loose refs or packed-refs.
fn head_commit(git: &Path) -> Option<String> {
    let head = std::fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let is_sha =
        |s: &str| (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
    let Some(refname) = head.strip_prefix("ref:").map(str::trim) else {
        return is_sha(head).then(|| head.to_string());
    };
    let common = std::fs::read_to_string(git.join("commondir"))
        .ok()
        .map(|c| git.join(c.trim()));
    for base in std::iter::once(git.to_path_buf()).chain(common) {
        if let Ok(s) = std::fs::read_to_string(base.join(refname)) {
            let s = s.trim();
            if is_sha(s) {
                return Some(s.to_string());
            }
        }
        if let Ok(packed) = std::fs::read_to_string(base.join("packed-refs")) {
            for line in packed.lines() {
                if let Some((sha, name)) = line.split_once(' ') {
                    if name.trim() == refname && is_sha(sha) {
                        return Some(sha.to_string());
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_remote_urls() {
        for (url, want) in [
            ("https://github.com/Owner/repo.git", "Owner/repo"),
            ("https://github.com/owner/repo", "owner/repo"),
            ("git@github.com:owner/repo.git", "owner/repo"),
            ("ssh://git@github.com/owner/repo.git", "owner/repo"),
            ("/srv/mirrors/owner/repo.git", "owner/repo"),
            ("https://gitlab.example/group/sub/repo.git", "sub/repo"),
        ] {
            assert_eq!(full_name_from_url(url).as_deref(), Some(want), "{url}");
        }
        assert_eq!(full_name_from_url("https://github.com/"), None);
    }
}
