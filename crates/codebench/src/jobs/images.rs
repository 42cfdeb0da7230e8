//! The work of one image metrics job: fetching and analysing the image on a worker thread (its
//! layers through the run's shared cache, each reported to the run), and storing the outcome in
//! one transaction, with a retry time after a failure that may pass.

use std::sync::mpsc;
use std::sync::Arc;

use rusqlite::params;

use super::queue::load_job;
use super::{Job, JobState, RunOptions};
use crate::image::{self, JobLayers, RunLayers};
use crate::{Result, Study};

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
pub(super) struct Outcome {
    report: Option<image::ImageReport>,
    error: Option<String>,
    retryable: bool,
    retry_after: Option<u64>,
    pub(super) layers: Vec<(String, image::LayerAnalysis)>,
}

pub(super) enum Msg {
    Layer { id: i64, analysed: bool },
    Finished { id: i64, outcome: Box<Outcome> },
}

impl Study {
    /// Stores an image job's outcome in one transaction: the layers it analysed, its platforms'
    /// metrics, its new state. A job cancelled meanwhile keeps its state; its layers are kept
    /// (they are content-addressed and verified), its image metrics are not.
    pub(super) fn store_image_outcome(&mut self, id: i64, o: &Outcome) -> Result<Job> {
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

/// Fetches and analyses one image reference (on a worker thread).
pub(super) fn analyze_image_job(
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
