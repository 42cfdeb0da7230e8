//! Fetching one repository (metadata, commit, tree, README, selected files, image references)
//! and many at once with bounded concurrency.
//!
//! This module holds the stop poll, the failures on the way and the helpers every request
//! shares, and the fetch of many repositories at once; one repository is fetched and its
//! snapshot put together in `repo.rs`, its tree walked in `tree.rs`, and its README and files
//! downloaded in `files.rs`.

mod files;
mod repo;
mod tree;

use futures_util::StreamExt;
use http::StatusCode;
use serde::Deserialize;

use crate::client::{GitHub, Reply, RequestError};
use crate::snapshot::{Event, FailureKind, FileSelector, ImportSummary, RepoOutcome};

pub(crate) use repo::{metadata_of, RepoJson};

/// How often [`GitHub::fetch_many_until`] asks whether to stop while repositories are in flight.
pub const STOP_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// JSON answers (metadata, trees) larger than this are refused.
pub(crate) const MAX_JSON_BYTES: u64 = 64 * 1024 * 1024;

/// Runs `work` while asking `stop` every [`STOP_POLL`]: `None` when it said stop (the work is
/// dropped, its requests and waits cancelled). A stop already asked for starts no work.
pub(crate) async fn until_stopped<F: std::future::Future>(
    work: F,
    stop: &(dyn Fn() -> bool + Sync),
) -> Option<F::Output> {
    if stop() {
        return None;
    }
    let mut work = std::pin::pin!(work);
    let mut poll = tokio::time::interval(STOP_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            out = &mut work => return Some(out),
            _ = poll.tick() => {
                if stop() {
                    return None;
                }
            }
        }
    }
}

/// A failure on the way, turned into a [`RepoFailure`](crate::RepoFailure) at the end.
pub(crate) struct Fail(pub FailureKind, pub String);

impl From<RequestError> for Fail {
    fn from(e: RequestError) -> Self {
        Fail(e.kind, e.message)
    }
}

/// The failure for an unexpected status.
pub(crate) fn status_failure(reply: &Reply, what: &str) -> Fail {
    let kind = match reply.status {
        StatusCode::NOT_FOUND => FailureKind::NotFound,
        StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => FailureKind::Blocked,
        StatusCode::FORBIDDEN => FailureKind::Forbidden,
        StatusCode::CONFLICT => FailureKind::Empty,
        _ => FailureKind::Http,
    };
    Fail(kind, format!("{what}: {}", reply.message()))
}

pub(crate) fn json<T: for<'de> Deserialize<'de>>(reply: &Reply, what: &str) -> Result<T, Fail> {
    let body = reply.body.as_deref().ok_or_else(|| {
        Fail(
            FailureKind::InvalidResponse,
            format!("{what}: answer larger than {MAX_JSON_BYTES} bytes"),
        )
    })?;
    serde_json::from_slice(body)
        .map_err(|e| Fail(FailureKind::InvalidResponse, format!("{what}: {e}")))
}

/// Percent-encodes a git ref for a URL path, keeping `/`.
pub(crate) fn encode_ref(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    for b in r.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl GitHub {
    /// Fetches `names` with at most `options.concurrency` repositories in flight, handing each
    /// outcome to `on_outcome` as soon as it is complete (so the caller can store each in its
    /// own transaction; dropping the future cancels only the repositories in flight). Skipping
    /// repositories finished earlier is the caller's choice of `names`.
    pub async fn fetch_many(
        &self,
        names: &[String],
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
        mut on_outcome: impl FnMut(RepoOutcome),
    ) -> ImportSummary {
        self.fetch_many_until(names, select, on_event, &|| false, |o| {
            on_outcome(o);
            std::ops::ControlFlow::Continue(())
        })
        .await
    }

    /// [`GitHub::fetch_many`] that stops when `on_outcome` says `Break`, or as soon as `stop`
    /// says true (a user's Cancel; it is asked every [`STOP_POLL`], so a Cancel does not wait
    /// for a repository to finish nor for a rate-limit pause of up to an hour to end). The
    /// repositories still in flight are dropped (their requests and waits cancelled) and
    /// none is started after; what was handed to `on_outcome` before stays done.
    pub async fn fetch_many_until(
        &self,
        names: &[String],
        select: &dyn FileSelector,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
        mut on_outcome: impl FnMut(RepoOutcome) -> std::ops::ControlFlow<()>,
    ) -> ImportSummary {
        let requests_before = self.requests_sent();
        let waited_before = self.time_waited();
        let mut summary = ImportSummary::default();
        // The (not yet started) futures are collected first: a closure in the stream's type
        // would stop the whole future from being `Send` (rustc's higher-ranked lifetime issue).
        let fetches: Vec<_> = names
            .iter()
            .map(|name| self.fetch_repo(name, select, on_event))
            .collect();
        let mut outcomes =
            futures_util::stream::iter(fetches).buffer_unordered(self.options.concurrency.max(1));
        let mut poll = tokio::time::interval(STOP_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // `next()` is cancel-safe: a tick drops only the wait, never a finished outcome.
            let outcome = tokio::select! {
                next = outcomes.next() => match next {
                    Some(outcome) => outcome,
                    None => break,
                },
                _ = poll.tick() => {
                    if stop() {
                        break;
                    }
                    continue;
                }
            };
            match &outcome {
                RepoOutcome::Fetched(s) => {
                    summary.fetched += 1;
                    summary.renamed += usize::from(s.renamed());
                    summary.with_problems += usize::from(!s.problems.is_empty());
                }
                RepoOutcome::Failed(f) => {
                    summary.failed.push((f.requested_name.clone(), f.reason));
                }
            }
            if on_outcome(outcome).is_break() || stop() {
                break;
            }
        }
        summary.requests = self.requests_sent() - requests_before;
        summary.waited = self.time_waited().saturating_sub(waited_before);
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_encoded() {
        assert_eq!(encode_ref("main"), "main");
        assert_eq!(encode_ref("feature/ü x"), "feature/%C3%BC%20x");
    }
}
