//! The computed part of a merge: image references the other copy found, and the metrics it
//! computed (Dockerfile, layer and image analyses) with the jobs it finished, so a shard of a
//! metrics run or a rater's copy that ran them brings its work back.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::rows;
use crate::Result;

/// Brings in image references the other copy found (by project, reference and place).
pub(super) fn merge_image_refs(
    oc: &Connection,
    tx: &Connection,
    projects: &HashMap<i64, i64>,
) -> Result<usize> {
    let refs: Vec<(i64, String, String, String, String)> = rows(
        oc,
        "SELECT project_id, reference, found_in, how, added_at FROM image_ref ORDER BY id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut n = 0;
    for (opid, reference, found_in, how, added_at) in refs {
        let Some(pid) = projects.get(&opid) else {
            continue;
        };
        n += tx.execute(
            "INSERT OR IGNORE INTO image_ref (project_id, reference, found_in, how, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![pid, reference, found_in, how, added_at],
        )?;
    }
    Ok(n)
}

/// Brings in metrics the other copy computed (a shard of a metrics run, or a rater's copy that
/// ran them): layer analyses by digest, image metrics by reference and platform (the newer
/// analysis wins), Dockerfile analyses of texts this study holds (by text hash, where it has
/// none), and marks done here the jobs done there.
pub(super) fn merge_metrics(oc: &Connection, tx: &Connection) -> Result<usize> {
    let mut n = 0;
    type AnalysisRow = (String, String, String, i64, i64, i64, i64, String);
    let analyses: Vec<AnalysisRow> = rows(
        oc,
        "SELECT sha256, analyzer, analysis, instructions, stages, errors, partial, analyzed_at FROM dockerfile_analysis ORDER BY sha256",
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        },
    )?;
    for (sha, analyzer, analysis, instructions, stages, errors, partial, at) in analyses {
        n += tx.execute(
            "INSERT OR IGNORE INTO dockerfile_analysis (sha256, analyzer, analysis, instructions, stages, errors, partial, analyzed_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM content WHERE sha256 = ?1)",
            params![sha, analyzer, analysis, instructions, stages, errors, partial, at],
        )?;
    }
    let layers: Vec<(String, String, Vec<u8>, String)> = rows(
        oc,
        "SELECT digest, metrics, paths, analyzed_at FROM layer_metrics ORDER BY digest",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    for (d, m, p, a) in layers {
        n += tx.execute(
            "INSERT OR IGNORE INTO layer_metrics (digest, metrics, paths, analyzed_at) VALUES (?1, ?2, ?3, ?4)",
            params![d, m, p, a],
        )?;
    }
    let images: Vec<(String, String, String, String, String)> = rows(
        oc,
        "SELECT reference, platform, manifest_digest, metrics, analyzed_at FROM image_metrics ORDER BY reference, platform",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    for (reference, platform, digest, metrics, at) in images {
        n += tx.execute(
            "INSERT INTO image_metrics (reference, platform, manifest_digest, metrics, analyzed_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (reference, platform) DO UPDATE SET manifest_digest = excluded.manifest_digest,
                 metrics = excluded.metrics, analyzed_at = excluded.analyzed_at
             WHERE excluded.analyzed_at > image_metrics.analyzed_at",
            params![reference, platform, digest, metrics, at],
        )?;
    }
    let done: Vec<(String, String, i64, String, String)> = rows(
        oc,
        "SELECT kind, target, attempts, created_at, updated_at FROM job WHERE state = 'done' ORDER BY id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    for (kind, target, attempts, created, updated) in done {
        n += tx.execute(
            "INSERT INTO job (kind, target, state, progress, attempts, created_at, updated_at) VALUES (?1, ?2, 'done', 1, ?3, ?4, ?5)
             ON CONFLICT (kind, target) DO UPDATE SET state = 'done', progress = 1, error = NULL, retryable = 0,
                 not_before = NULL, lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at
             WHERE job.state <> 'done'",
            params![kind, target, attempts, created, updated],
        )?;
    }
    Ok(n)
}
