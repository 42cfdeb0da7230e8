//! Persisted background jobs: the Dockerfile metrics of a project and the metrics of an image
//! reference. Jobs live in the study (`job` table) so they survive restarts. A run leases each
//! job it works on and renews the lease while it runs (a heartbeat thread), so a job a killed
//! process left `running` is queued again by the next run once its lease ran out, and a job
//! another process (the app, a shard) is running is never taken from it. Registry failures that may pass
//! (HTTP 429 and 5xx, lost connections) mark the job failed *and retryable* with `not_before`,
//! the registry's `Retry-After` (or an exponential back-off); later runs retry it after that
//! time, up to [`RunOptions::max_attempts`].
//!
//! This module holds the jobs' types; the queue as stored is in `queue.rs`, the leases in
//! `lease.rs`, the runner ([`crate::Study::run_jobs`]) in `run.rs` and one image job's work
//! in `images.rs`.

mod images;
mod lease;
mod queue;
mod run;

use std::str::FromStr;

use serde::Serialize;

use crate::image;
use crate::{Error, Result};

pub(crate) use queue::{on_first_decision, project_of_unit};

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

/// How [`crate::Study::run_jobs`] runs.
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
