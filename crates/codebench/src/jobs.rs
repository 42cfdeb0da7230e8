//! Persisted background jobs: the Dockerfile metrics of a project and the metrics of an image
//! reference. Jobs live in the study (`job` table) so they survive restarts. A run leases each
//! job it works on and renews the lease while it runs (a heartbeat thread), so a job a killed
//! process left `running` is queued again by the next run once its lease ran out, and a job
//! another process (the app, a shard) is running is never taken from it. Registry failures that may pass
//! (HTTP 429 and 5xx, lost connections) mark the job failed *and retryable* with `not_before`,
//! the registry's `Retry-After` (or an exponential back-off); later runs retry it after that
//! time, up to [`RunOptions::max_attempts`].

use std::str::FromStr;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::image::{self, JobLayers, RunLayers};
use crate::{Error, Result, Study};

/// What a job computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Dockerfile analyses of a project's stored Dockerfile texts (target: `owner/name`).
    DockerfileMetrics,
    /// Metrics of every platform of an image reference (target: the reference).
    ImageMetrics,
}

impl JobKind {
    /// The word stored in the study.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::DockerfileMetrics => "dockerfile_metrics",
            JobKind::ImageMetrics => "image_metrics",
        }
    }
}

impl FromStr for JobKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dockerfile_metrics" => Ok(JobKind::DockerfileMetrics),
            "image_metrics" => Ok(JobKind::ImageMetrics),
            _ => Err(Error::Invalid(format!("unknown job kind '{s}'"))),
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting to run (maybe not before `not_before`).
    Queued,
    /// Being run (or left so by a killed process; the next run queues it again).
    Running,
    /// Finished; its results are stored.
    Done,
    /// Failed; `retryable` says whether trying again may help.
    Failed,
    /// Cancelled by a user; `retry` queues it again.
    Cancelled,
}

impl JobState {
    /// The word stored in the study.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }
}

impl FromStr for JobState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "queued" => Ok(JobState::Queued),
            "running" => Ok(JobState::Running),
            "done" => Ok(JobState::Done),
            "failed" => Ok(JobState::Failed),
            "cancelled" => Ok(JobState::Cancelled),
            _ => Err(Error::Invalid(format!("unknown job state '{s}'"))),
        }
    }
}

/// How long a job's lease lasts; the heartbeat renews it three times as often.
const LEASE: Duration = Duration::from_secs(60);

/// This process's name on the leases it holds: host, process id, and when it started.
fn lease_owner() -> String {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER
        .get_or_init(|| {
            let host = std::env::var("HOSTNAME")
                .ok()
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "host".into());
            format!("{host}:{}:{}", std::process::id(), crate::now())
        })
        .clone()
}

/// Whether the process named by a lease owner (`host:pid:start`) ran on this machine and is no
/// longer running. Where that cannot be told (another host, no `/proc`), it is not gone: its
/// lease runs out instead.
fn owner_is_gone(owner: &str) -> bool {
    let mine = lease_owner();
    let host = |o: &str| o.split(':').next().map(str::to_string);
    if host(owner) != host(&mine) || owner == mine {
        return false;
    }
    let Some(pid) = owner.split(':').nth(1).and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    let proc = std::path::Path::new("/proc");
    proc.is_dir() && !proc.join(pid.to_string()).exists()
}

/// The end of a lease taken now.
fn lease_until() -> String {
    (chrono::Utc::now()
        + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(60)))
    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Renews this process's leases every third of [`LEASE`] until dropped.
struct Heartbeat {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(path: &std::path::Path) -> Result<Heartbeat> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let owner = lease_owner();
        let thread = std::thread::Builder::new()
            .name("job-leases".into())
            .spawn(move || {
                let tick = Duration::from_millis(200);
                let every = LEASE / 3;
                let mut waited = Duration::ZERO;
                while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(tick);
                    waited += tick;
                    if waited >= every {
                        waited = Duration::ZERO;
                        // A failed renewal is retried at the next beat; a lease that runs out
                        // only lets another run take the job back, it loses nothing.
                        let _ = conn.execute(
                            "UPDATE job SET lease_until = ?2 WHERE state = 'running' AND lease_owner = ?1",
                            params![owner, lease_until()],
                        );
                    }
                }
            })
            .map_err(|e| Error::Invalid(format!("could not start the job lease thread: {e}")))?;
        Ok(Heartbeat {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One job as stored.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Job {
    /// Its id (what `codebench jobs cancel|retry` take).
    pub id: i64,
    /// What it computes.
    pub kind: JobKind,
    /// The project (`owner/name`) or image reference.
    pub target: String,
    /// Where it stands.
    pub state: JobState,
    /// 0 to 1.
    pub progress: f64,
    /// How many times it was started.
    pub attempts: i64,
    /// The last failure, in words.
    pub error: Option<String>,
    /// Whether the last failure may pass on retry.
    pub retryable: bool,
    /// Not to be retried before this time (RFC 3339, UTC).
    pub not_before: Option<String>,
    /// When it was first queued.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// How [`Study::run_jobs`] runs.
#[derive(Clone)]
pub struct RunOptions {
    /// Send every registry request to this base URL (a mirror, or a test registry).
    pub registry_base_url: Option<String>,
    /// Registry credentials.
    pub credentials: Option<image::Credentials>,
    /// Image jobs run at once.
    pub concurrency: usize,
    /// Layers analysed in parallel within one image.
    pub layer_workers: usize,
    /// Analyse only this platform of each image.
    pub platform: Option<image::Platform>,
    /// Run only these kinds (`None`: every kind).
    pub kinds: Option<Vec<JobKind>>,
    /// Run only the jobs of this project: its Dockerfile job and, when table `image_ref`
    /// exists, its images.
    pub project: Option<String>,
    /// Retryable failures are retried automatically (once `not_before` passed) until a job
    /// was started this many times; `jobs retry` always can.
    pub max_attempts: i64,
    /// Set (a Cancel button) to stop starting jobs; the jobs under way finish their step.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Run only this shard's jobs (a deterministic 1/N, see [`crate::shard::Shard`]).
    pub shard: Option<crate::shard::Shard>,
    /// A layer cache folder shared with other runs ([`image::DirCache`]): layers found there
    /// are not analysed again, and every analysis is written there too.
    pub layer_cache: Option<std::path::PathBuf>,
}

impl RunOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            registry_base_url: None,
            credentials: None,
            concurrency: 2,
            layer_workers: 2,
            platform: None,
            kinds: None,
            project: None,
            max_attempts: 3,
            cancel: None,
            shard: None,
            layer_cache: None,
        }
    }
}

/// What happened to a job during a run, for progress displays.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct JobEvent {
    /// The job as it now stands.
    pub job: Job,
    /// Layers of this job analysed so far in this run.
    pub layers_analysed: u64,
    /// Layers of this job taken from the cache so far in this run.
    pub layers_reused: u64,
    /// A short note: `started`, `layer`, `done`, the error...
    pub note: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct RunSummary {
    /// Jobs that finished.
    pub done: usize,
    /// Jobs that failed.
    pub failed: usize,
    /// Jobs that were cancelled while running.
    pub cancelled: usize,
    /// Jobs left waiting for their `not_before`.
    pub waiting: usize,
    /// Jobs found `running` (left by a killed process) and queued again.
    pub resumed: usize,
    /// Layers analysed in this run.
    pub layers_analysed: u64,
    /// Layer lookups answered from the study's layer cache.
    pub layers_reused: u64,
}

const JOB_COLUMNS: &str = "id, kind, target, state, progress, attempts, error, retryable, not_before, created_at, updated_at";

fn job_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Job, String, String)> {
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

fn finish_row((mut job, kind, state): (Job, String, String)) -> Result<Job> {
    job.kind = kind.parse()?;
    job.state = state.parse()?;
    Ok(job)
}

fn load_job(c: &Connection, id: i64) -> Result<Job> {
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
fn image_refs_of(c: &Connection, project_id: i64) -> Result<Vec<String>> {
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

/// Seconds to wait before retrying when the registry named no time: 30 s doubling per attempt,
/// at most an hour.
fn backoff_secs(attempts: i64) -> u64 {
    let exp = (attempts.max(1) - 1).min(7) as u32;
    (30u64 << exp).min(3600)
}

fn time_in(secs: u64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The outcome of one job's work, before it is stored.
struct Outcome {
    report: Option<image::ImageReport>,
    error: Option<String>,
    retryable: bool,
    retry_after: Option<u64>,
    layers: Vec<(String, image::LayerAnalysis)>,
}

enum Msg {
    Layer { id: i64, analysed: bool },
    Finished { id: i64, outcome: Box<Outcome> },
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

    /// Stores an image job's outcome in one transaction: the layers it analysed, its platforms'
    /// metrics, its new state. A job cancelled meanwhile keeps its state; its layers are kept
    /// (they are content-addressed and verified), its image metrics are not.
    fn store_image_outcome(&mut self, id: i64, o: &Outcome) -> Result<Job> {
        self.write(|tx| {
            image::store_layers(tx, &o.layers)?;
            let job = load_job(tx, id)?;
            if job.state != JobState::Running {
                return Ok(job);
            }
            let ok = o.error.is_none();
            if let Some(r) = &o.report {
                image::store_report(tx, &job.target, r, ok)?;
            }
            let not_before = (!ok && o.retryable)
                .then(|| time_in(o.retry_after.unwrap_or_else(|| backoff_secs(job.attempts))));
            tx.execute(
                "UPDATE job SET state = ?2, progress = ?3, error = ?4, retryable = ?5, not_before = ?6, updated_at = ?7, lease_owner = NULL, lease_until = NULL
                 WHERE id = ?1",
                params![
                    id,
                    if ok { "done" } else { "failed" },
                    if ok { 1.0 } else { job.progress },
                    o.error,
                    (!ok && o.retryable) as i64,
                    not_before,
                    crate::now()
                ],
            )?;
            load_job(tx, id)
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

/// Fetches and analyses one image reference (on a worker thread).
fn analyze_image_job(
    job: &Job,
    opts: &RunOptions,
    layers: Arc<RunLayers>,
    send: mpsc::Sender<Msg>,
) -> Outcome {
    let id = job.id;
    let tell = std::sync::Mutex::new(send);
    let cache = Arc::new(JobLayers::new(
        layers,
        id,
        Box::new(move |analysed| {
            let _ = tell
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(Msg::Layer { id, analysed });
        }),
    ));
    let ropts = image::RegistryOptions {
        analyze: image::AnalyzeOptions {
            platform: opts.platform.clone(),
            workers: opts.layer_workers.max(1),
            cache: Some(cache.clone()),
            ..Default::default()
        },
        base_url: opts.registry_base_url.clone(),
        credentials: opts.credentials.clone(),
        ..Default::default()
    };
    let result = image::analyze_registry_blocking(&job.target, &ropts);
    let layers = cache.take_puts();
    match result {
        Ok(report) => {
            let failures: Vec<String> = report
                .platforms
                .iter()
                .filter_map(|p| {
                    p.error
                        .as_ref()
                        .map(|e| format!("{}: {}", image::platform_key(p), e.message))
                })
                .collect();
            Outcome {
                error: (!failures.is_empty()).then(|| failures.join("; ")),
                retryable: report.retryable(),
                retry_after: report.retry_after(),
                report: Some(report),
                layers,
            }
        }
        Err(e) => Outcome {
            report: None,
            error: Some(e.to_string()),
            retryable: e.retryable(),
            retry_after: e.retry_after(),
            layers,
        },
    }
}
