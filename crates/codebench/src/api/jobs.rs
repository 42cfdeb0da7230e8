//! Metrics: what to compute (planning), the persisted jobs, and running them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_LIST, MAX_NAME, MAX_URL};
use super::{ApiError, ApiResult, Ctx, Task};
use crate::jobs::{Job, JobEvent, JobKind, RunOptions, RunSummary};
use crate::shard::{Shard, ShardReport, ShardSpec};

/// `jobs`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct JobsRequest {}

/// `hold_jobs`: hold queued jobs or let them run as soon as they are queued.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct HoldJobs {
    /// Hold (`true`) or run as soon as queued (`false`).
    pub hold: bool,
    /// Who changes the setting (kept in the history).
    pub by: String,
}

/// Whether the study holds queued metrics jobs (by default they run as soon as queued).
pub fn jobs_held(ctx: &mut Ctx<'_>, _req: JobsRequest) -> ApiResult<bool> {
    Ok(ctx.study.jobs_held()?)
}

/// Holds queued metrics jobs until someone runs them, or lets them run as soon as queued
/// (a study setting, recorded in the history). Returns the setting now.
pub fn hold_jobs(ctx: &mut Ctx<'_>, req: HoldJobs) -> ApiResult<bool> {
    input::line("by", &req.by, MAX_NAME)?;
    ctx.study.hold_jobs(req.hold, &req.by)?;
    Ok(req.hold)
}

/// Every metrics job of the study, oldest first.
pub fn jobs(ctx: &mut Ctx<'_>, _req: JobsRequest) -> ApiResult<Vec<Job>> {
    Ok(ctx.study.jobs()?)
}

/// A job by id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct JobRequest {
    /// The job's id.
    pub id: i64,
}

/// Cancels a queued, running or failed job (a running one stops at its next step).
pub fn cancel_job(ctx: &mut Ctx<'_>, req: JobRequest) -> ApiResult<Job> {
    Ok(ctx.study.cancel_job(req.id)?)
}

/// Queues a failed or cancelled job again, now.
pub fn retry_job(ctx: &mut Ctx<'_>, req: JobRequest) -> ApiResult<Job> {
    Ok(ctx.study.retry_job(req.id)?)
}

/// `enqueue_metrics`: which metrics, of what.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct EnqueueMetrics {
    /// Dockerfile metrics.
    #[serde(default)]
    pub dockerfiles: bool,
    /// Image metrics, one job per image reference.
    #[serde(default)]
    pub images: bool,
    /// Only this project's.
    pub project: Option<String>,
    /// Also these image references (implies images).
    #[serde(default)]
    pub image_refs: Vec<String>,
    /// Recompute Dockerfile analyses even where present (study-wide only).
    #[serde(default)]
    pub all: bool,
}

/// What was planned.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Enqueued {
    /// Dockerfile texts analysed at once (study-wide Dockerfile metrics need no job).
    pub dockerfiles_analysed: usize,
    /// Jobs newly queued.
    pub jobs_queued: usize,
    /// The kinds of job to run now (what `run_jobs` should be given).
    pub kinds: Vec<JobKind>,
    /// The project to run them for, when only its jobs are to run.
    pub project: Option<String>,
    /// The study holds queued jobs: they wait until someone runs them (`run_jobs`) instead
    /// of starting now.
    pub held: bool,
}

/// Plans metrics: study-wide Dockerfile metrics are computed at once (each distinct text
/// once); a project's Dockerfile metrics and every image are queued as jobs. The answer says
/// which jobs to run next.
pub fn enqueue_metrics(ctx: &mut Ctx<'_>, req: EnqueueMetrics) -> ApiResult<Enqueued> {
    input::opt_line("project", &req.project, MAX_NAME)?;
    input::list("image reference", &req.image_refs, MAX_LIST, MAX_URL)?;
    let images = req.images || !req.image_refs.is_empty();
    if !req.dockerfiles && !images {
        return Err(ApiError::invalid(
            "say which metrics to run: Dockerfile metrics, image metrics, or both",
        ));
    }
    let mut out = Enqueued {
        dockerfiles_analysed: 0,
        jobs_queued: 0,
        kinds: Vec::new(),
        // Explicit references are not tied to a project: every queued image job runs then.
        project: if req.image_refs.is_empty() {
            req.project.clone()
        } else {
            None
        },
        held: ctx.study.jobs_held()?,
    };
    if req.dockerfiles {
        match &req.project {
            None => out.dockerfiles_analysed = ctx.study.analyze_dockerfiles(req.all)?,
            Some(p) => {
                out.jobs_queued += ctx
                    .study
                    .enqueue_metrics_of(Some(p), &[JobKind::DockerfileMetrics])?;
                out.kinds.push(JobKind::DockerfileMetrics);
            }
        }
    }
    if images {
        for r in &req.image_refs {
            out.jobs_queued += usize::from(ctx.study.enqueue_image(r)?);
        }
        out.jobs_queued += ctx
            .study
            .enqueue_metrics_of(req.project.as_deref(), &[JobKind::ImageMetrics])?;
        out.kinds.push(JobKind::ImageMetrics);
    }
    Ok(out)
}

/// `run_jobs`: which jobs, and how to reach registries.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RunJobs {
    /// Only these kinds (none: every kind).
    pub kinds: Option<Vec<JobKind>>,
    /// Only this project's jobs.
    pub project: Option<String>,
    /// Image jobs at once (1 to 16; none: 2).
    pub concurrency: Option<usize>,
    /// Send every registry request to this base URL (a pull-through mirror, e.g.
    /// `http://127.0.0.1:5000`); references keep their names.
    pub registry_url: Option<String>,
    /// Registry user name; the password comes from `registry_password`, else
    /// `$CODEBENCH_REGISTRY_PASSWORD`.
    pub registry_user: Option<String>,
    /// The registry password (never stored; the CLI reads it from standard input).
    pub registry_password: Option<String>,
    /// A layer cache folder shared with other runs (absolute path; created if missing).
    pub layer_cache: Option<String>,
}

/// How to reach registries: the mirror URL, checked, and the credentials (the password
/// given, else `$CODEBENCH_REGISTRY_PASSWORD`). Shared by the metrics jobs and the CLI's
/// `analyze image`.
pub fn registry_access(
    env: &dyn super::Env,
    registry_url: Option<&str>,
    registry_user: Option<&str>,
    registry_password: Option<String>,
) -> ApiResult<(Option<String>, Option<crate::image::Credentials>)> {
    let url = match registry_url {
        Some(u) => {
            input::line("registry URL", u, MAX_URL)?;
            let host = u
                .strip_prefix("http://")
                .or_else(|| u.strip_prefix("https://"))
                .map(|rest| rest.split('/').next().unwrap_or(""));
            if !matches!(host, Some(h) if !h.is_empty() && !h.contains(char::is_whitespace)) {
                return Err(ApiError::invalid(format!(
                    "registry URL '{u}': give an http:// or https:// URL with a host"
                )));
            }
            Some(u.trim_end_matches('/').to_string())
        }
        None => None,
    };
    let env_password = env.var("CODEBENCH_REGISTRY_PASSWORD");
    let credentials = match registry_user {
        None => {
            if registry_password.is_some() || env_password.is_some() {
                return Err(ApiError::invalid(
                    "a registry password is given but no registry user names whose it is",
                ));
            }
            None
        }
        Some(user) => {
            input::line("registry user", user, MAX_NAME)?;
            let password = registry_password.or(env_password).ok_or_else(|| {
                ApiError::invalid(format!(
                    "registry user {user}: give the password (CODEBENCH_REGISTRY_PASSWORD, or on standard input)"
                ))
            })?;
            if password.is_empty() {
                return Err(ApiError::invalid(format!(
                    "registry user {user}: the password is empty"
                )));
            }
            Some(crate::image::Credentials {
                username: user.to_string(),
                password,
            })
        }
    };
    Ok((url, credentials))
}

impl super::Check for RunJobs {
    fn check(&self) -> ApiResult<()> {
        input::opt_line("project", &self.project, MAX_NAME)?;
        if !(1..=16).contains(&self.concurrency.unwrap_or(2)) {
            return Err(ApiError::invalid(
                "concurrency: run 1 to 16 image jobs at once",
            ));
        }
        if let Some(u) = &self.registry_url {
            input::line("registry URL", u, MAX_URL)?;
        }
        if let Some(d) = &self.layer_cache {
            input::path(d, "the layer cache folder")?;
        }
        Ok(())
    }
}

/// The run options both `run_jobs` and `run_metrics_shard` take from a request.
fn run_options(ctx: &Ctx<'_>, req: &RunJobs, task: &Task<'_, JobEvent>) -> ApiResult<RunOptions> {
    super::Check::check(req)?;
    let (registry_base_url, credentials) = registry_access(
        ctx.env,
        req.registry_url.as_deref(),
        req.registry_user.as_deref(),
        req.registry_password.clone(),
    )?;
    Ok(RunOptions {
        kinds: req.kinds.clone(),
        project: req.project.clone(),
        concurrency: req.concurrency.unwrap_or(2),
        registry_base_url,
        credentials,
        cancel: Some(task.cancel_flag()),
        layer_cache: match &req.layer_cache {
            Some(d) => Some(input::path(d, "the layer cache folder")?),
            None => None,
        },
        ..Default::default()
    })
}

/// Runs the queued metrics jobs (Dockerfile and image metrics), reporting every start, layer
/// and finish. Cancel stops starting new jobs; each job's own Cancel stops it at its next step.
pub fn run_jobs(
    ctx: &mut Ctx<'_>,
    req: RunJobs,
    task: &Task<'_, JobEvent>,
) -> ApiResult<RunSummary> {
    let opts = run_options(ctx, &req, task)?;
    Ok(ctx
        .study
        .run_jobs(&opts, &mut |e: &JobEvent| task.report(e.clone()))?)
}

/// `run_metrics_shard`: one shard of a metrics run split over machines.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RunShard {
    /// The shard, `I/N` (1-based: Slurm's `$SLURM_ARRAY_TASK_ID` of `--array=1-N`).
    pub shard: String,
    /// The copy of the study the shard runs in (absolute path): made when missing, resumed
    /// when there. Merge it back with `merge_study`.
    pub into: String,
    /// Dockerfile metrics.
    #[serde(default)]
    pub dockerfiles: bool,
    /// Image metrics.
    #[serde(default)]
    pub images: bool,
    /// How the jobs run: concurrency, registry, shared layer cache (`kinds` and `project` are
    /// ignored: a shard runs its part of every project's jobs of the kinds above).
    #[serde(default)]
    pub run: RunJobs,
}

impl super::Check for RunShard {
    fn check(&self) -> ApiResult<()> {
        input::line("shard", &self.shard, 16)?;
        self.shard.parse::<Shard>()?;
        input::path(&self.into, "the shard's copy")?;
        if !self.dockerfiles && !self.images {
            return Err(ApiError::invalid(
                "say which metrics the shard runs: Dockerfile metrics, image metrics, or both",
            ));
        }
        super::Check::check(&self.run)
    }
}

/// Runs one shard (`I/N`, a deterministic 1/N) of the study's pending Dockerfile and image
/// jobs in a copy of the study, so N machines (an array job) measure a corpus together; the
/// study itself is only read. A shared `layer_cache` folder keeps shards from analysing a
/// layer twice.
pub fn run_metrics_shard(
    ctx: &mut Ctx<'_>,
    req: RunShard,
    task: &Task<'_, JobEvent>,
) -> ApiResult<ShardReport> {
    super::Check::check(&req)?;
    let run = run_options(ctx, &req.run, task)?;
    let spec = ShardSpec {
        shard: req.shard.parse()?,
        into: input::path(&req.into, "the shard's copy")?,
        dockerfiles: req.dockerfiles,
        images: req.images,
        run,
        by: ctx.viewer.clone().unwrap_or_else(|| "system".into()),
        for_rater: ctx.viewer.clone(),
    };
    Ok(ctx
        .study
        .run_shard(&spec, &mut |e: &JobEvent| task.report(e.clone()))?)
}
