//! The projects of a study: the list with each one's current snapshot, and the removal of a
//! project no coding holds.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::{Error, Result, Study};

/// A project in a list.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProjectSummary {
    /// `owner/name`.
    pub name: String,
    /// `local`, `github` or `sample`.
    pub source: String,
    /// Commit of the current snapshot.
    pub commit: Option<String>,
    /// Number of Dockerfiles in the current snapshot.
    pub dockerfiles: i64,
    /// Whether the current snapshot has a README text.
    pub has_readme: bool,
    /// Upstream moved since the first snapshot.
    pub changed: bool,
    /// Why the last import was incomplete.
    pub problem: Option<String>,
}

impl Study {
    /// Every project, by name.
    pub fn projects(&self) -> Result<Vec<ProjectSummary>> {
        let mut stmt = self.conn().prepare(
            "SELECT p.full_name, p.source, s.commit_sha,
                    (SELECT count(*) FROM file f WHERE f.snapshot_id = s.id AND f.role = 'dockerfile'),
                    (SELECT count(*) FROM file f WHERE f.snapshot_id = s.id AND f.role = 'readme' AND f.status = 'stored'),
                    p.changed, p.problem
             FROM project p
             LEFT JOIN snapshot s ON s.id = (SELECT max(id) FROM snapshot WHERE project_id = p.id)
             ORDER BY p.full_name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ProjectSummary {
                name: r.get(0)?,
                source: r.get(1)?,
                commit: r.get(2)?,
                dockerfiles: r.get(3)?,
                has_readme: r.get::<_, i64>(4)? > 0,
                changed: r.get::<_, i64>(5)? != 0,
                problem: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// What removing a project took away.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProjectRemoval {
    /// The project removed.
    pub project: String,
    /// Its units removed (the project and its Dockerfiles).
    pub units: usize,
    /// Its snapshots removed.
    pub snapshots: usize,
}

impl Study {
    /// Removes a project, its snapshots, units, image references and jobs, on behalf of `by`,
    /// with a history row. Refused while a decision, consensus or round holds one of its units:
    /// removing it would lose coding (remove or merge those first).
    pub fn remove_project(&mut self, name: &str, by: &str) -> Result<ProjectRemoval> {
        self.write(|tx| {
            let pid: i64 = tx
                .query_row("SELECT id FROM project WHERE full_name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| Error::unknown("project", name))?;
            let count = |sql: &str| -> Result<i64> { Ok(tx.query_row(sql, [pid], |r| r.get(0))?) };
            let decisions = count(
                "SELECT count(*) FROM decision d JOIN unit u ON u.id = d.unit_id WHERE u.project_id = ?1",
            )?;
            let consensus = count(
                "SELECT count(*) FROM consensus c JOIN unit u ON u.id = c.unit_id WHERE u.project_id = ?1",
            )?;
            let rounds = count(
                "SELECT count(DISTINCT ru.round_id) FROM round_unit ru JOIN unit u ON u.id = ru.unit_id WHERE u.project_id = ?1",
            )?;
            if decisions + consensus + rounds > 0 {
                return Err(Error::Conflict(format!(
                    "{name} cannot be removed: {decisions} decision(s), {consensus} consensus and {rounds} round(s) hold its units; nothing was removed"
                )));
            }
            let units = count("SELECT count(*) FROM unit WHERE project_id = ?1")? as usize;
            let snapshots = count("SELECT count(*) FROM snapshot WHERE project_id = ?1")? as usize;
            let old = serde_json::json!({ "units": units, "snapshots": snapshots });
            tx.execute("DELETE FROM unit WHERE project_id = ?1", [pid])?;
            tx.execute(
                "DELETE FROM file WHERE snapshot_id IN (SELECT id FROM snapshot WHERE project_id = ?1)",
                [pid],
            )?;
            tx.execute("DELETE FROM snapshot WHERE project_id = ?1", [pid])?;
            tx.execute("DELETE FROM image_ref WHERE project_id = ?1", [pid])?;
            tx.execute(
                "DELETE FROM job WHERE kind = 'dockerfile_metrics' AND target = ?1",
                [name],
            )?;
            tx.execute("DELETE FROM project WHERE id = ?1", [pid])?;
            crate::history::record(tx, by, "project.remove", name, Some(&old), None)?;
            Ok(ProjectRemoval {
                project: name.to_string(),
                units,
                snapshots,
            })
        })
    }
}
