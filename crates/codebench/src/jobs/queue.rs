//! The job queue as the study file stores it (`job` table): reading jobs back, queueing a
//! project's or an image's metrics jobs (once per kind and target, and on a project's first
//! decision), and cancelling or retrying one.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Job, JobKind, JobState};
use crate::image;
use crate::{Error, Result, Study};

pub(super) const JOB_COLUMNS: &str = "id, kind, target, state, progress, attempts, error, retryable, not_before, created_at, updated_at";

pub(super) fn job_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Job, String, String)> {
    let kind: String = r.get(1)?;
    let state: String = r.get(3)?;
    Ok((
        Job {
            id: r.get(0)?,
            kind: JobKind::DockerfileMetrics,
            target: r.get(2)?,
            state: JobState::Queued,
            progress: r.get(4)?,
            attempts: r.get(5)?,
            error: r.get(6)?,
            retryable: r.get::<_, i64>(7)? != 0,
            not_before: r.get(8)?,
            created_at: r.get(9)?,
            updated_at: r.get(10)?,
        },
        kind,
        state,
    ))
}

pub(super) fn finish_row((mut job, kind, state): (Job, String, String)) -> Result<Job> {
    job.kind = kind.parse()?;
    job.state = state.parse()?;
    Ok(job)
}

pub(super) fn load_job(c: &Connection, id: i64) -> Result<Job> {
    let row = c
        .prepare_cached(&format!("SELECT {JOB_COLUMNS} FROM job WHERE id = ?1"))?
        .query_row([id], job_from_row)
        .optional()?;
    finish_row(row.ok_or_else(|| Error::Unknown {
        what: "job",
        name: id.to_string(),
        context: String::new(),
    })?)
}

/// Queues a job unless one of that kind and target exists; true when it was new.
fn enqueue(tx: &Connection, kind: JobKind, target: &str) -> Result<bool> {
    let now = crate::now();
    let n = tx
        .prepare_cached(
            "INSERT INTO job (kind, target, state, created_at, updated_at) VALUES (?1, ?2, 'queued', ?3, ?3)
             ON CONFLICT (kind, target) DO NOTHING",
        )?
        .execute(params![kind.as_str(), target, now])?;
    Ok(n == 1)
}

/// True when table `image_ref` (image references found in a project's files) exists.
fn has_image_refs(c: &Connection) -> Result<bool> {
    Ok(c.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'image_ref'",
        [],
        |r| r.get::<_, i64>(0),
    )? > 0)
}

/// The image references recorded for a project (empty when table `image_ref` does not exist).
pub(super) fn image_refs_of(c: &Connection, project_id: i64) -> Result<Vec<String>> {
    if !has_image_refs(c)? {
        return Ok(Vec::new());
    }
    let mut stmt = c.prepare(
        "SELECT DISTINCT reference FROM image_ref WHERE project_id = ?1 ORDER BY reference",
    )?;
    let refs = stmt
        .query_map([project_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(refs)
}

/// Queues the metrics jobs of a project (of the given kinds); returns how many were new.
fn enqueue_project(tx: &Connection, project_id: i64, kinds: &[JobKind]) -> Result<usize> {
    let name: String = tx.query_row(
        "SELECT full_name FROM project WHERE id = ?1",
        [project_id],
        |r| r.get(0),
    )?;
    let mut n = 0;
    if kinds.contains(&JobKind::DockerfileMetrics) {
        n += enqueue(tx, JobKind::DockerfileMetrics, &name)? as usize;
    }
    if kinds.contains(&JobKind::ImageMetrics) {
        for r in image_refs_of(tx, project_id)? {
            n += enqueue(tx, JobKind::ImageMetrics, &r)? as usize;
        }
    }
    Ok(n)
}

/// The project a unit belongs to.
pub(crate) fn project_of_unit(tx: &Connection, unit_id: i64) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT project_id FROM unit WHERE id = ?1")?
        .query_row([unit_id], |r| r.get(0))?)
}

/// Called when a decision is created, inside its transaction: when it is the first decision on
/// any unit of the project, queues the project's metrics jobs.
pub(crate) fn on_first_decision(tx: &Connection, project_id: i64) -> Result<()> {
    let decisions: i64 = tx
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM unit u JOIN decision d ON d.unit_id = u.id
             WHERE u.project_id = ?1 LIMIT 2)",
        )?
        .query_row([project_id], |r| r.get(0))?;
    if decisions == 1 {
        enqueue_project(
            tx,
            project_id,
            &[JobKind::DockerfileMetrics, JobKind::ImageMetrics],
        )?;
    }
    Ok(())
}

impl Study {
    /// Queues the metrics jobs of every project, or of one: a Dockerfile job per project and an
    /// image job per reference in table `image_ref` (when that table exists). Jobs already
    /// there (in any state) are left as they are. Returns how many jobs were new.
    pub fn enqueue_metrics(&mut self, project: Option<&str>) -> Result<usize> {
        self.enqueue_metrics_of(
            project,
            &[JobKind::DockerfileMetrics, JobKind::ImageMetrics],
        )
    }

    /// [`Study::enqueue_metrics`] for some kinds only.
    pub fn enqueue_metrics_of(
        &mut self,
        project: Option<&str>,
        kinds: &[JobKind],
    ) -> Result<usize> {
        self.write(|tx| {
            let ids: Vec<i64> = match project {
                Some(p) => {
                    let id: Option<i64> = tx
                        .query_row("SELECT id FROM project WHERE full_name = ?1", [p], |r| {
                            r.get(0)
                        })
                        .optional()?;
                    vec![id.ok_or_else(|| Error::unknown("project", p))?]
                }
                None => {
                    let mut stmt = tx.prepare("SELECT id FROM project ORDER BY id")?;
                    let ids = stmt
                        .query_map([], |r| r.get(0))?
                        .collect::<Result<_, _>>()?;
                    ids
                }
            };
            let mut n = 0;
            for id in ids {
                n += enqueue_project(tx, id, kinds)?;
            }
            Ok(n)
        })
    }

    /// Queues an image job for `reference` (checked for syntax); true when it was new.
    pub fn enqueue_image(&mut self, reference: &str) -> Result<bool> {
        image::Reference::parse(reference).map_err(|e| Error::Invalid(e.to_string()))?;
        self.write(|tx| enqueue(tx, JobKind::ImageMetrics, reference))
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Result<Vec<Job>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {JOB_COLUMNS} FROM job ORDER BY id"))?;
        let rows = stmt.query_map([], job_from_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(finish_row(r?)?);
        }
        Ok(out)
    }

    /// One job.
    pub fn job(&self, id: i64) -> Result<Job> {
        load_job(self.conn(), id)
    }

    /// Cancels a queued, running or failed job. A run that is working on it discards its result.
    pub fn cancel_job(&mut self, id: i64) -> Result<Job> {
        self.write(|tx| {
            let job = load_job(tx, id)?;
            if matches!(job.state, JobState::Done | JobState::Cancelled) {
                return Err(Error::Invalid(format!(
                    "job {id} is {}; only queued, running or failed jobs can be cancelled",
                    job.state.as_str()
                )));
            }
            tx.execute(
                "UPDATE job SET state = 'cancelled', updated_at = ?2 WHERE id = ?1",
                params![id, crate::now()],
            )?;
            load_job(tx, id)
        })
    }

    /// Queues a failed or cancelled job again, now (its `not_before` is cleared).
    pub fn retry_job(&mut self, id: i64) -> Result<Job> {
        self.write(|tx| {
            let job = load_job(tx, id)?;
            if !matches!(job.state, JobState::Failed | JobState::Cancelled) {
                return Err(Error::Invalid(format!(
                    "job {id} is {}; only failed or cancelled jobs can be retried",
                    job.state.as_str()
                )));
            }
            tx.execute(
                "UPDATE job SET state = 'queued', progress = 0, not_before = NULL, updated_at = ?2 WHERE id = ?1",
                params![id, crate::now()],
            )?;
            load_job(tx, id)
        })
    }
}
