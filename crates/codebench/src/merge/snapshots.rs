//! Snapshots as a merge compares them: a project's snapshots with their files, and the
//! fingerprint (commit and each file's digest) by which a snapshot of one copy is known to be the
//! same snapshot in the other.

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::rows;
use crate::Result;

/// A file row: role, path, size, sha256, status.
pub(super) type FileRow = (String, String, i64, Option<String>, String);

/// A snapshot: id, commit, fetched_at, files.
pub(super) type SnapshotRow = (i64, Option<String>, String, Vec<FileRow>);

/// A snapshot's identity: commit and each file's role, path and digest (or status).
pub(super) type Fingerprint = (Option<String>, BTreeSet<(String, String, String)>);

pub(super) fn fingerprint(commit: &Option<String>, files: &[FileRow]) -> Fingerprint {
    (
        commit.clone(),
        files
            .iter()
            .map(|(role, path, _, sha, status)| {
                (
                    role.clone(),
                    path.clone(),
                    sha.clone().unwrap_or_else(|| status.clone()),
                )
            })
            .collect(),
    )
}

/// A project's snapshots with their files.
pub(super) fn snapshots(c: &Connection, project: i64) -> Result<Vec<SnapshotRow>> {
    let snaps: Vec<(i64, Option<String>, String)> = rows(
        c,
        &format!("SELECT id, commit_sha, fetched_at FROM snapshot WHERE project_id = {project} ORDER BY id"),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut out = Vec::new();
    for (id, commit, at) in snaps {
        let files = rows(
            c,
            &format!("SELECT role, path, size, sha256, status FROM file WHERE snapshot_id = {id} ORDER BY role, path"),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        out.push((id, commit, at, files));
    }
    Ok(out)
}
