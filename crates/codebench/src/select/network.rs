//! What the network steps (search, the filters that ask GitHub or Docker Hub, accept, the
//! drift re-run) share: how they reach GitHub and Docker Hub ([`NetOptions`]), the progress
//! they report ([`SelectProgress`]), the runtime and clients they run on, and the bounded,
//! stoppable loop that runs their requests.

use std::future::Future;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use ts_rs::TS;

use crate::corpus::github::RepoImport;
use crate::{Error, Result};

/// How often a long step asks whether to stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// How the network steps reach GitHub and Docker Hub.
#[derive(Clone, Default)]
pub struct NetOptions {
    /// The GitHub API; `None` is `https://api.github.com`.
    pub api_url: Option<String>,
    /// Docker Hub; `None` is `https://hub.docker.com`.
    pub hub_url: Option<String>,
    /// The GitHub token (sent to GitHub only; never stored, never printed).
    pub token: Option<String>,
    /// Repositories checked at once (0 means 8).
    pub concurrency: usize,
    /// Set to stop (a Cancel button): what was stored stays, running the step again goes on.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for NetOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetOptions")
            .field("api_url", &self.api_url)
            .field("hub_url", &self.hub_url)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("concurrency", &self.concurrency)
            .field("cancel", &self.cancel.is_some())
            .finish()
    }
}

impl NetOptions {
    pub(super) fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }

    pub(super) fn concurrency(&self) -> usize {
        if self.concurrency == 0 {
            8
        } else {
            self.concurrency.min(64)
        }
    }

    /// The GitHub API as recorded on a step.
    pub(super) fn api(&self) -> String {
        self.api_url
            .as_deref()
            .unwrap_or(codebench_github::DEFAULT_API_URL)
            .trim_end_matches('/')
            .to_string()
    }

    /// Docker Hub as recorded on a step.
    pub(super) fn hub(&self) -> String {
        self.hub_url
            .as_deref()
            .unwrap_or(codebench_hub::DEFAULT_HUB_URL)
            .trim_end_matches('/')
            .to_string()
    }
}

/// Progress of a selection step, for a progress bar or the app's Selection screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SelectProgress {
    /// A step starts or resumes: how much it has to do and how much an earlier run did.
    Step {
        /// Its position.
        step: u32,
        /// What it does.
        label: String,
        /// Repositories (or, for a search, slices) still to do.
        to_do: u64,
        /// Done by an earlier run.
        done_before: u64,
    },
    /// The search planner counted one `q`.
    Counted {
        /// The `q`.
        query: String,
        /// GitHub's `total_count`.
        total: u64,
    },
    /// The search is planned: its slices and GitHub's total.
    Planned {
        /// Slices of at most 1,000 results.
        slices: u64,
        /// GitHub's total for the query.
        total: u64,
    },
    /// A page of search results is stored.
    Page {
        /// The slice (0-based).
        slice: u64,
        /// The page (1-based).
        page: u64,
        /// Repositories found so far.
        found: u64,
    },
    /// One repository was checked.
    Checked {
        /// The step.
        step: u32,
        /// `owner/name`.
        repository: String,
        /// Whether it stays in.
        kept: bool,
        /// Why it was left out.
        reason: Option<String>,
    },
    /// A rate limit or a retry makes the step wait.
    Waiting {
        /// What the request was for.
        repo: String,
        /// Why, in words.
        reason: String,
        /// How long, in seconds.
        wait_seconds: f64,
    },
    /// The accept step stored one repository.
    Imported {
        /// What was stored.
        result: RepoImport,
    },
}

/// A tokio runtime for one network step (the core stays synchronous).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the network runtime: {e}")))
}

/// A GitHub client on `rt` for `net`.
pub(crate) fn github(
    rt: &tokio::runtime::Runtime,
    net: &NetOptions,
) -> Result<codebench_github::GitHub> {
    let _guard = rt.enter();
    codebench_github::GitHub::new(codebench_github::GitHubOptions {
        api_url: net.api_url.clone(),
        token: net.token.clone(),
        concurrency: net.concurrency(),
        max_file_bytes: crate::corpus::MAX_FILE_BYTES,
        ..codebench_github::GitHubOptions::default()
    })
    .map_err(|e| Error::Invalid(e.to_string()))
}

/// A Docker Hub client for `net`.
pub(crate) fn hub(net: &NetOptions) -> Result<codebench_hub::Hub> {
    codebench_hub::Hub::new(codebench_hub::HubOptions {
        base_url: net.hub_url.clone(),
        ..codebench_hub::HubOptions::default()
    })
    .map_err(|e| Error::Invalid(e.to_string()))
}

/// A GitHub wait as a progress event.
pub(crate) fn github_wait(event: codebench_github::Event) -> Option<SelectProgress> {
    match event {
        codebench_github::Event::Waiting { repo, reason, wait } => Some(SelectProgress::Waiting {
            repo,
            reason: crate::corpus::github::wait_reason(reason).to_string(),
            wait_seconds: wait.as_secs_f64(),
        }),
        codebench_github::Event::Started { .. } => None,
    }
}

/// A Docker Hub wait as a progress event.
pub(crate) fn hub_wait(event: codebench_hub::HubEvent) -> SelectProgress {
    let codebench_hub::HubEvent::Waiting { name, reason, wait } = event;
    SelectProgress::Waiting {
        repo: format!("Docker Hub: {name}"),
        reason: match reason {
            codebench_hub::HubWaitReason::RateLimit => {
                "Docker Hub rate limit spent; waiting for it to reset"
            }
            codebench_hub::HubWaitReason::TooManyRequests => {
                "Docker Hub answered 429 Too Many Requests; waiting"
            }
            codebench_hub::HubWaitReason::Retry => "server error or dropped connection; retrying",
        }
        .to_string(),
        wait_seconds: wait.as_secs_f64(),
    }
}

/// Runs `jobs` with at most `n` in flight, handing each result to `on_each` as soon as it is
/// complete. Ends when all are handed over (true), or when `on_each` says `Break` or `stop`
/// says true (asked every [`STOP_POLL`]; the jobs in flight are dropped) (false).
pub(crate) async fn each_until<F, T>(
    jobs: Vec<F>,
    n: usize,
    stop: &(dyn Fn() -> bool + Sync),
    mut on_each: impl FnMut(T) -> ControlFlow<()>,
) -> bool
where
    F: Future<Output = T>,
{
    let mut stream = futures_util::stream::iter(jobs).buffer_unordered(n.max(1));
    let mut poll = tokio::time::interval(STOP_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some(t) => {
                    if on_each(t).is_break() || stop() {
                        return false;
                    }
                }
                None => return true,
            },
            _ = poll.tick() => {
                if stop() {
                    return false;
                }
            }
        }
    }
}
