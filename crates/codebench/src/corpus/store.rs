//! Storing a snapshot: the project (created on first sight), a new snapshot row when anything
//! differs from the current one, its files, their texts and Dockerfile analyses, and the units.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    check_full_name, sha256_hex, unit_name, FileContent, FileInput, Role, SnapshotInput,
    StoredSnapshot,
};
use crate::{Result, Study};

/// Writes a snapshot: the project (created on first sight), a new snapshot row when anything
/// differs from the current one, its files and contents, and the units. Runs inside the
/// caller's transaction.
pub(crate) fn store_snapshot(tx: &Connection, input: &SnapshotInput) -> Result<StoredSnapshot> {
    check_full_name(&input.full_name)?;
    let now = crate::now();
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM project WHERE full_name = ?1",
            [&input.full_name],
            |r| r.get(0),
        )
        .optional()?;
    let mut hashed: Vec<(&FileInput, Option<String>)> = input
        .files
        .iter()
        .map(|f| {
            (
                f,
                match &f.content {
                    FileContent::Text(t) => Some(sha256_hex(t.as_bytes())),
                    _ => None,
                },
            )
        })
        .collect();
    hashed.sort_by(|a, b| (a.0.role.as_str(), &a.0.path).cmp(&(b.0.role.as_str(), &b.0.path)));
    let fingerprint: BTreeSet<(String, String, String)> = hashed
        .iter()
        .map(|(f, h)| {
            (
                f.role.as_str().to_string(),
                f.path.clone(),
                h.clone().unwrap_or_else(|| f.content.status().to_string()),
            )
        })
        .collect();
    let skipped: Vec<String> = input
        .files
        .iter()
        .filter_map(|f| {
            f.content
                .problem(f.size)
                .map(|p| format!("{}: {p}", f.path))
        })
        .collect();
    let summary = |outcome| StoredSnapshot {
        project: input.full_name.clone(),
        outcome,
        commit: input.commit.clone(),
        dockerfiles: input
            .files
            .iter()
            .filter(|f| f.role == Role::Dockerfile)
            .count(),
        readme: input
            .files
            .iter()
            .any(|f| f.role == Role::Readme && matches!(f.content, FileContent::Text(_))),
        skipped: skipped.clone(),
    };

    let project_id = match existing {
        Some(id) => {
            let current: Option<(i64, Option<String>)> = tx
                .query_row(
                    "SELECT id, commit_sha FROM snapshot WHERE project_id = ?1 ORDER BY id DESC LIMIT 1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((snap, commit)) = current {
                let mut stmt = tx.prepare(
                    "SELECT role, path, coalesce(sha256, status) FROM file WHERE snapshot_id = ?1",
                )?;
                let old: BTreeSet<(String, String, String)> = stmt
                    .query_map([snap], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<_, _>>()?;
                if commit == input.commit && old == fingerprint {
                    tx.execute(
                        "UPDATE project SET metadata = ?2 WHERE id = ?1",
                        params![id, input.metadata.to_string()],
                    )?;
                    return Ok(summary("unchanged"));
                }
            }
            tx.execute(
                "UPDATE project SET changed = 1, metadata = ?2, location = ?3, problem = NULL WHERE id = ?1",
                params![id, input.metadata.to_string(), input.location],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO project (full_name, source, location, metadata, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![input.full_name, input.source.as_str(), input.location, input.metadata.to_string(), now],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO unit (project_id, kind, path, name) VALUES (?1, 'project', NULL, ?2)",
                params![id, input.full_name],
            )?;
            id
        }
    };
    tx.execute(
        "INSERT INTO snapshot (project_id, commit_sha, fetched_at) VALUES (?1, ?2, ?3)",
        params![project_id, input.commit, now],
    )?;
    let snapshot_id = tx.last_insert_rowid();
    let mut put_content =
        tx.prepare_cached("INSERT OR IGNORE INTO content (sha256, text) VALUES (?1, ?2)")?;
    let mut put_file = tx.prepare_cached(
        "INSERT INTO file (snapshot_id, role, path, size, sha256, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut put_unit =
        tx.prepare_cached("INSERT OR IGNORE INTO unit (project_id, kind, path, name) VALUES (?1, 'dockerfile', ?2, ?3)")?;
    for (f, hash) in &hashed {
        if let (FileContent::Text(text), Some(h)) = (&f.content, hash) {
            put_content.execute(params![h, text])?;
            if f.role == Role::Dockerfile {
                crate::dockerfile::store_analysis(tx, h, &f.path, text)?;
            }
        }
        put_file.execute(params![
            snapshot_id,
            f.role.as_str(),
            f.path,
            f.size as i64,
            hash,
            f.content.status()
        ])?;
        if f.role == Role::Dockerfile {
            put_unit.execute(params![
                project_id,
                f.path,
                unit_name(&input.full_name, Some(&f.path))
            ])?;
        }
    }
    let outcome = if existing.is_some() { "updated" } else { "new" };
    crate::history::record(
        tx,
        "system",
        "project.import",
        &input.full_name,
        None,
        Some(
            &serde_json::json!({ "outcome": outcome, "commit": input.commit, "source": input.source.as_str() }),
        ),
    )?;
    Ok(summary(outcome))
}

impl Study {
    /// Stores snapshots read by any source, all in one transaction.
    pub fn store_snapshots(&mut self, inputs: &[SnapshotInput]) -> Result<Vec<StoredSnapshot>> {
        self.write(|tx| inputs.iter().map(|i| store_snapshot(tx, i)).collect())
    }
}
