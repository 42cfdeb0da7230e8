//! Projects and what is read of them: a snapshot of the README, every Dockerfile, compose and
//! workflow files, pinned to a commit. Sources (`local`, and later `github`) produce a
//! [`SnapshotInput`]; [`store_snapshot`] is the one place that writes it into a study.
//!
//! This module holds what a source hands over (a [`SnapshotInput`] and its files) and the
//! names of projects and units; storing a snapshot is in `store.rs`, the project list and a
//! project's removal in `projects.rs`, the units in `units.rs` and a project as a rater reads
//! it in `view.rs`.

pub mod github;
pub mod local;
pub mod names;
mod projects;
mod store;
mod units;
mod view;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use names::Role;

use crate::{Error, Result};

pub use projects::{ProjectRemoval, ProjectSummary};
pub(crate) use store::store_snapshot;
pub(crate) use units::unit_by_name;
pub use units::UnitInfo;
pub use view::{FileView, ProjectView};

/// Files larger than this are recorded with their size but their text is not stored.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Where a project came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A checkout on disk.
    Local,
    /// The GitHub API.
    Github,
    /// The sample study shipped with Codebench.
    Sample,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Local => "local",
            Source::Github => "github",
            Source::Sample => "sample",
        }
    }
}

/// The content of a file as read, before storing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// UTF-8 text within the size bound.
    Text(String),
    /// Over [`MAX_FILE_BYTES`].
    TooLarge,
    /// Holds NUL bytes: not a text file.
    Binary,
    /// Bytes that are not UTF-8 (e.g. UTF-16, Latin-1).
    NotUtf8,
}

impl FileContent {
    /// Classifies raw bytes of a file of `size` bytes (`bytes` may be empty when over the bound).
    pub fn classify(size: u64, bytes: Vec<u8>) -> FileContent {
        if size > MAX_FILE_BYTES {
            return FileContent::TooLarge;
        }
        if bytes.contains(&0) {
            return FileContent::Binary;
        }
        match String::from_utf8(bytes) {
            Ok(text) => FileContent::Text(text),
            Err(_) => FileContent::NotUtf8,
        }
    }

    /// The status word stored in the study.
    pub fn status(&self) -> &'static str {
        match self {
            FileContent::Text(_) => "stored",
            FileContent::TooLarge => "too_large",
            FileContent::Binary => "binary",
            FileContent::NotUtf8 => "not_utf8",
        }
    }

    /// Why the text is not stored, in words; `None` for text.
    pub fn problem(&self, size: u64) -> Option<String> {
        match self {
            FileContent::Text(_) => None,
            FileContent::TooLarge => Some(format!(
                "{:.1} MiB, over the {} MiB limit",
                size as f64 / 1048576.0,
                MAX_FILE_BYTES / 1048576
            )),
            FileContent::Binary => Some("not a text file (holds NUL bytes)".into()),
            FileContent::NotUtf8 => Some("not UTF-8 text".into()),
        }
    }
}

/// One file of a snapshot.
#[derive(Debug, Clone)]
pub struct FileInput {
    /// Path inside the repository, forward slashes, no leading slash.
    pub path: String,
    /// What the file is to the study.
    pub role: Role,
    /// Size in bytes.
    pub size: u64,
    /// The content as read.
    pub content: FileContent,
}

/// What a source read of one project.
#[derive(Debug, Clone)]
pub struct SnapshotInput {
    /// `owner/name`.
    pub full_name: String,
    /// Where it came from.
    pub source: Source,
    /// Checkout path or API URL.
    pub location: Option<String>,
    /// The commit read, when known.
    pub commit: Option<String>,
    /// Repository metadata (JSON object).
    pub metadata: serde_json::Value,
    /// The files the study reads.
    pub files: Vec<FileInput>,
}

/// What storing a snapshot did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct StoredSnapshot {
    /// `owner/name`.
    pub project: String,
    /// `new`, `unchanged` or `updated` (a new snapshot of a known project).
    pub outcome: &'static str,
    /// The commit now current.
    pub commit: Option<String>,
    /// Dockerfiles in the snapshot.
    pub dockerfiles: usize,
    /// Whether a README text was stored.
    pub readme: bool,
    /// Files recorded without their text, with the reason.
    pub skipped: Vec<String>,
}

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Checks an `owner/name` project name.
pub fn check_full_name(name: &str) -> Result<()> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    match name.split_once('/') {
        Some((o, n)) if ok_part(o) && ok_part(n) => Ok(()),
        _ => Err(Error::Invalid(format!(
            "'{name}' is not a project name of the form owner/name (letters, digits, '-', '_', '.')"
        ))),
    }
}

/// The public name of a unit: `owner/name` for the project, `owner/name:path` for a Dockerfile.
pub fn unit_name(project: &str, path: Option<&str>) -> String {
    match path {
        None => project.to_string(),
        Some(p) => format!("{project}:{p}"),
    }
}
