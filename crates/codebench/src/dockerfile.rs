//! Dockerfile analysis inside a study. The analysis itself is the pure crate
//! `codebench-dockerfile` (BuildKit's parser semantics and the study's metrics), re-exported here;
//! this module stores one analysis per distinct Dockerfile text, when a project is imported.

use rusqlite::{params, Connection, OptionalExtension};

pub use codebench_dockerfile::*;

use crate::{Error, Result, Study};

/// Analyses one Dockerfile text and stores the result under its content hash, unless an
/// analysis by this analyzer version is already there.
pub(crate) fn store_analysis(tx: &Connection, sha256: &str, path: &str, text: &str) -> Result<()> {
    let have: Option<String> = tx
        .prepare_cached("SELECT analyzer FROM dockerfile_analysis WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?;
    if have.as_deref() == Some(VERSION) {
        return Ok(());
    }
    let a = analyze(path, text.as_bytes());
    tx.prepare_cached(
        "INSERT OR REPLACE INTO dockerfile_analysis (sha256, analyzer, analysis, instructions, stages, errors, partial, analyzed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        sha256,
        VERSION,
        serde_json::to_string(&a)?,
        a.instructions.len() as i64,
        a.stages.len() as i64,
        a.errors.len() as i64,
        a.partial as i64,
        crate::now()
    ])?;
    Ok(())
}

impl Study {
    /// The stored analysis of a Dockerfile unit's current text, if it has a text.
    pub fn dockerfile_analysis(&self, unit: &str) -> Result<Option<Analysis>> {
        let u = self.unit(unit)?;
        let Some(path) = u.path else {
            return Err(Error::Invalid(format!(
                "'{unit}' is a project unit, not a Dockerfile"
            )));
        };
        let json: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT a.analysis FROM file f
                 JOIN snapshot s ON s.id = f.snapshot_id
                 JOIN project p ON p.id = s.project_id
                 JOIN dockerfile_analysis a ON a.sha256 = f.sha256
                 WHERE p.full_name = ?1 AND f.role = 'dockerfile' AND f.path = ?2
                 ORDER BY s.id DESC LIMIT 1",
            )?
            .query_row([&u.project, &path], |r| r.get(0))
            .optional()?;
        Ok(match json {
            Some(j) => Some(serde_json::from_str(&j)?),
            None => None,
        })
    }

    /// Analyses every stored Dockerfile text that has no analysis by this analyzer version
    /// (or every one, with `all`), in one transaction. Returns how many were analysed.
    pub fn analyze_dockerfiles(&mut self, all: bool) -> Result<usize> {
        self.write(|tx| {
            if all {
                tx.execute("DELETE FROM dockerfile_analysis", [])?;
            }
            let mut stmt = tx.prepare(
                "SELECT DISTINCT f.sha256, f.path, c.text FROM file f JOIN content c ON c.sha256 = f.sha256
                 LEFT JOIN dockerfile_analysis a ON a.sha256 = f.sha256
                 WHERE f.role = 'dockerfile' AND (a.sha256 IS NULL OR a.analyzer <> ?1)
                 GROUP BY f.sha256",
            )?;
            let todo: Vec<(String, String, String)> =
                stmt.query_map([VERSION], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
            for (sha, path, text) in &todo {
                store_analysis(tx, sha, path, text)?;
            }
            Ok(todo.len())
        })
    }
}
