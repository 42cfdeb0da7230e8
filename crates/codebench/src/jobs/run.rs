//! Running the queue ([`Study::run_jobs`]): taking back abandoned jobs, choosing the jobs of a
//! run's scope (kinds, project, shard), claiming each under a lease, the Dockerfile jobs in
//! turn and the image jobs on worker threads, with progress events and a summary.

use std::sync::mpsc;

use rusqlite::{params, Connection, OptionalExtension};

use super::images::{analyze_image_job, Msg};
use super::lease::{lease_owner, lease_until, owner_is_gone, Heartbeat};
use super::queue::{finish_row, image_refs_of, job_from_row, load_job, JOB_COLUMNS};
use super::{Job, JobEvent, JobKind, JobState, RunOptions, RunSummary};
use crate::image::RunLayers;
use crate::{Error, Result, Study};

impl Study {
    /// Runs the queued jobs whose `not_before` has passed (and retryable failures with attempts
    /// left), image jobs `concurrency` at a time, calling `on_progress` for every start, layer
    /// and finish. Jobs left `running` by a killed process are queued again first.
    pub fn run_jobs(
        &mut self,
        opts: &RunOptions,
        on_progress: &mut dyn FnMut(&JobEvent),
    ) -> Result<RunSummary> {
        let mut summary = RunSummary::default();
        let now = crate::now();
        let (resumed, todo, waiting) = self.write(|tx| {
            // Only abandoned jobs are taken back: their lease ran out (the process that ran them
            // died), or they have none (left by a Codebench before leases). A job another
            // process is running keeps its lease fresh and is left alone.
            let mut resumed = tx.execute(
                "UPDATE job SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = ?1
                 WHERE state = 'running' AND (lease_until IS NULL OR lease_until < ?1)",
                [&now],
            )?;
            // A lease held by a process of this machine that is gone (killed) is abandoned at
            // once, without waiting for it to run out.
            let held: Vec<(i64, String)> = tx
                .prepare("SELECT id, lease_owner FROM job WHERE state = 'running' AND lease_owner IS NOT NULL")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (id, owner) in held {
                if owner_is_gone(&owner) {
                    resumed += tx.execute(
                        "UPDATE job SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                }
            }
            tx.execute(
                "UPDATE job SET state = 'queued', updated_at = ?1
                 WHERE state = 'failed' AND retryable = 1 AND attempts < ?2 AND (not_before IS NULL OR not_before <= ?1)",
                params![now, opts.max_attempts],
            )?;
            let mut stmt = tx.prepare(&format!(
                "SELECT {JOB_COLUMNS} FROM job WHERE state = 'queued' ORDER BY id"
            ))?;
            let rows = stmt.query_map([], job_from_row)?;
            let mut all = Vec::new();
            for r in rows {
                all.push(finish_row(r?)?);
            }
            let scope = self_scope(tx, opts)?;
            let (mut todo, mut waiting) = (Vec::new(), 0);
            for j in all {
                if !scope.accepts(&j) {
                    continue;
                }
                if j.not_before.as_deref().is_some_and(|t| t > now.as_str()) {
                    waiting += 1;
                } else {
                    todo.push(j);
                }
            }
            Ok((resumed, todo, waiting))
        })?;
        summary.resumed = resumed;
        summary.waiting = waiting;
        // While this run works, a heartbeat on a connection of its own renews the leases of the
        // jobs it holds, so a run in another process does not take them back.
        let _heartbeat = Heartbeat::start(self.path())?;

        let (dockerfile_jobs, image_jobs): (Vec<Job>, Vec<Job>) = todo
            .into_iter()
            .partition(|j| j.kind == JobKind::DockerfileMetrics);
        for job in dockerfile_jobs {
            if opts.cancelled() {
                break;
            }
            let Some(job) = self.claim(job.id)? else {
                continue;
            };
            on_progress(&event(&job, 0, 0, "started"));
            let job = self.run_dockerfile_job(job)?;
            count(&mut summary, &job);
            on_progress(&event(&job, 0, 0, job.state.as_str()));
        }
        if image_jobs.is_empty() {
            return Ok(summary);
        }

        let layers = RunLayers::open(self.path(), opts.layer_cache.as_deref())?;
        let (send, recv) = mpsc::channel::<Msg>();
        let mut counts: std::collections::HashMap<i64, (u64, u64, Job)> = Default::default();
        let mut pending = image_jobs.into_iter();
        let mut active = 0usize;
        let result: Result<()> = std::thread::scope(|s| loop {
            while active < opts.concurrency.max(1) && !opts.cancelled() {
                let Some(next) = pending.next() else { break };
                let Some(job) = self.claim(next.id)? else {
                    continue;
                };
                on_progress(&event(&job, 0, 0, "started"));
                counts.insert(job.id, (0, 0, job.clone()));
                active += 1;
                let (send, layers, opts) = (send.clone(), layers.clone(), opts.clone());
                s.spawn(move || {
                    let outcome = analyze_image_job(&job, &opts, layers, send.clone());
                    let _ = send.send(Msg::Finished {
                        id: job.id,
                        outcome: Box::new(outcome),
                    });
                });
            }
            if active == 0 {
                return Ok(());
            }
            let Ok(msg) = recv.recv() else { return Ok(()) };
            match msg {
                Msg::Layer { id, analysed } => {
                    if let Some((a, r, job)) = counts.get_mut(&id) {
                        if analysed {
                            *a += 1;
                        } else {
                            *r += 1;
                        }
                        on_progress(&event(job, *a, *r, "layer"));
                    }
                }
                Msg::Finished { id, outcome } => {
                    active -= 1;
                    let digests: Vec<String> =
                        outcome.layers.iter().map(|(d, _)| d.clone()).collect();
                    let job = self.store_image_outcome(id, &outcome);
                    layers.committed(&digests);
                    layers.release(id);
                    let job = job?;
                    count(&mut summary, &job);
                    let (a, r, _) = counts.remove(&id).unwrap_or((0, 0, job.clone()));
                    let note = job
                        .error
                        .clone()
                        .unwrap_or_else(|| job.state.as_str().into());
                    on_progress(&event(&job, a, r, &note));
                }
            }
        });
        result?;
        summary.layers_analysed = layers.analysed();
        summary.layers_reused = layers.reused();
        Ok(summary)
    }

    /// Marks a queued job running (one more attempt); `None` when it is no longer queued
    /// (cancelled meanwhile, e.g. from the app).
    fn claim(&mut self, id: i64) -> Result<Option<Job>> {
        let owner = lease_owner();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE job SET state = 'running', attempts = attempts + 1, progress = 0, updated_at = ?2,
                     lease_owner = ?3, lease_until = ?4
                 WHERE id = ?1 AND state = 'queued'",
                params![id, crate::now(), owner, lease_until()],
            )?;
            if n == 0 {
                return Ok(None);
            }
            Ok(Some(load_job(tx, id)?))
        })
    }

    /// Analyses the project's stored Dockerfile texts that lack an analysis by this analyzer.
    fn run_dockerfile_job(&mut self, job: Job) -> Result<Job> {
        self.write(|tx| {
            let id: Option<i64> = tx
                .query_row("SELECT id FROM project WHERE full_name = ?1", [&job.target], |r| r.get(0))
                .optional()?;
            let (state, error) = match id {
                None => ("failed", Some(format!("no project '{}' in the study", job.target))),
                Some(pid) => {
                    let mut stmt = tx.prepare(
                        "SELECT DISTINCT f.sha256, f.path, c.text FROM file f
                         JOIN snapshot s ON s.id = f.snapshot_id
                         JOIN content c ON c.sha256 = f.sha256
                         WHERE s.project_id = ?1 AND f.role = 'dockerfile'
                         GROUP BY f.sha256",
                    )?;
                    let texts: Vec<(String, String, String)> = stmt
                        .query_map([pid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect::<Result<_, _>>()?;
                    for (sha, path, text) in &texts {
                        crate::dockerfile::store_analysis(tx, sha, path, text)?;
                    }
                    ("done", None)
                }
            };
            tx.execute(
                "UPDATE job SET state = ?2, progress = ?3, error = ?4, retryable = 0, not_before = NULL, updated_at = ?5, lease_owner = NULL, lease_until = NULL
                 WHERE id = ?1 AND state = 'running'",
                params![job.id, state, if state == "done" { 1.0 } else { 0.0 }, error, crate::now()],
            )?;
            load_job(tx, job.id)
        })
    }
}

/// Which jobs a run takes, from its options.
struct Scope {
    kinds: Option<Vec<JobKind>>,
    shard: Option<crate::shard::Shard>,
    /// With a project: its name and its image references.
    project: Option<(String, Vec<String>)>,
}

impl Scope {
    fn accepts(&self, j: &Job) -> bool {
        if let Some(k) = &self.kinds {
            if !k.contains(&j.kind) {
                return false;
            }
        }
        if let Some(shard) = &self.shard {
            if !shard.contains(j.kind, &j.target) {
                return false;
            }
        }
        match &self.project {
            None => true,
            Some((name, refs)) => match j.kind {
                JobKind::DockerfileMetrics => &j.target == name,
                JobKind::ImageMetrics => refs.contains(&j.target),
            },
        }
    }
}

fn self_scope(tx: &Connection, opts: &RunOptions) -> Result<Scope> {
    let project = match &opts.project {
        None => None,
        Some(p) => {
            let id: Option<i64> = tx
                .query_row("SELECT id FROM project WHERE full_name = ?1", [p], |r| {
                    r.get(0)
                })
                .optional()?;
            let id = id.ok_or_else(|| Error::unknown("project", p))?;
            Some((p.clone(), image_refs_of(tx, id)?))
        }
    };
    Ok(Scope {
        kinds: opts.kinds.clone(),
        shard: opts.shard,
        project,
    })
}

fn count(s: &mut RunSummary, job: &Job) {
    match job.state {
        JobState::Done => s.done += 1,
        JobState::Failed => s.failed += 1,
        JobState::Cancelled => s.cancelled += 1,
        _ => {}
    }
}

fn event(job: &Job, analysed: u64, reused: u64, note: &str) -> JobEvent {
    JobEvent {
        job: job.clone(),
        layers_analysed: analysed,
        layers_reused: reused,
        note: note.to_string(),
    }
}
