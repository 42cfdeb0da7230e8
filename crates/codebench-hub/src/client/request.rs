//! One GET to Docker Hub: every request passes the shared rate-limit gate, a 429 or a spent
//! quota pauses it for as long as the headers say, server errors and dropped connections are
//! retried with backoff, bodies are read up to a bound, and a stop check is asked meanwhile.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use super::{error_chain, Hub, HubError, STOP_POLL};
use crate::model::{HubEvent, HubWaitReason};
use crate::name::HubName;

/// Longest wait a rate-limit header may impose.
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// Retries for server errors and dropped connections, per request.
const TRANSIENT_RETRIES: u32 = 3;
/// Error bodies are read up to this much (for the message).
const MAX_ERROR_BYTES: u64 = 64 * 1024;

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header_str(headers, name)?.parse().ok()
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Time until `epoch` seconds plus a margin, within [0.5 s, [`MAX_WAIT`]].
fn until_epoch(epoch: u64) -> Duration {
    let secs = (epoch as f64 - now_epoch() + 0.5).clamp(0.5, MAX_WAIT.as_secs_f64());
    Duration::from_secs_f64(secs)
}

/// A value that is either seconds to wait or a Unix time: Docker Hub's documentation has
/// called `X-Retry-After` a Unix timestamp, and its newer `Retry-After` seconds; anything
/// above a billion is read as a timestamp.
fn wait_of(value: u64) -> Duration {
    if value > 1_000_000_000 {
        until_epoch(value)
    } else {
        Duration::from_secs(value).min(MAX_WAIT)
    }
}

/// How long a 429 asks to wait, from its headers.
fn retry_wait(headers: &HeaderMap) -> Option<Duration> {
    header_u64(headers, RETRY_AFTER.as_str())
        .or_else(|| header_u64(headers, "x-retry-after"))
        .map(wait_of)
        .or_else(|| header_u64(headers, "x-ratelimit-reset").map(until_epoch))
}

/// Runs `work` while asking `stop` every [`STOP_POLL`]; `None` when it said stop.
pub(super) async fn until_stopped<F: std::future::Future>(
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

/// Docker Hub's error message (`message`, `detail` or `errinfo`), or nothing.
fn hub_message(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    ["message", "detail", "error"]
        .iter()
        .find_map(|k| v.get(*k)?.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// One answer that is not a rate limit.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Vec<u8>,
}

impl Hub {
    /// Holds every request until `wait` from now; announces it if it extends the pause.
    fn pause(
        &self,
        wait: Duration,
        reason: HubWaitReason,
        name: &HubName,
        on_event: &(dyn Fn(HubEvent) + Sync),
    ) {
        let now = Instant::now();
        let until = now + wait;
        let extended = {
            let mut gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
            let previous = (*gate).max(now);
            if until > previous + Duration::from_millis(250) {
                *gate = until;
                Some(until - previous)
            } else {
                None
            }
        };
        if let Some(extra) = extended {
            self.waited_ms
                .fetch_add(extra.as_millis() as u64, Ordering::Relaxed);
            on_event(HubEvent::Waiting {
                name: name.clone(),
                reason,
                wait,
            });
        }
    }

    async fn pass_gate(&self) {
        loop {
            let until = *self.gate.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if until <= now {
                return;
            }
            tokio::time::sleep(until - now).await;
        }
    }

    /// One GET with rate limits and transient errors handled; the final answer's body is
    /// read up to the bound.
    pub(super) async fn get(
        &self,
        name: &HubName,
        path_and_query: &str,
        on_event: &(dyn Fn(HubEvent) + Sync),
    ) -> Result<Reply, HubError> {
        let url = format!("{}{path_and_query}", self.base);
        let mut rate_waits = 0u32;
        let mut transient = 0u32;
        loop {
            self.pass_gate().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self.send(&url).await;
            let (status, headers, body) = match sent {
                Ok(answer) => answer,
                Err(message) => {
                    if transient < TRANSIENT_RETRIES {
                        transient += 1;
                        self.backoff(transient, name, on_event).await;
                        continue;
                    }
                    return Err(HubError::Network { url, message });
                }
            };
            if status == StatusCode::TOO_MANY_REQUESTS {
                if rate_waits >= self.options.max_rate_limit_waits {
                    return Err(HubError::RateLimited {
                        url,
                        waits: rate_waits,
                    });
                }
                rate_waits += 1;
                let wait = retry_wait(&headers).unwrap_or(self.options.fallback_wait);
                self.pause(wait, HubWaitReason::TooManyRequests, name, on_event);
                continue;
            }
            if status.is_server_error() && transient < TRANSIENT_RETRIES {
                transient += 1;
                self.backoff(transient, name, on_event).await;
                continue;
            }
            if header_u64(&headers, "x-ratelimit-remaining") == Some(0) {
                if let Some(reset) = header_u64(&headers, "x-ratelimit-reset") {
                    self.pause(wait_of(reset), HubWaitReason::RateLimit, name, on_event);
                }
            }
            let body = body.ok_or_else(|| HubError::InvalidResponse {
                url: url.clone(),
                message: format!("answer larger than {} bytes", self.options.max_body_bytes),
            })?;
            return Ok(Reply { status, body });
        }
    }

    async fn backoff(&self, attempt: u32, name: &HubName, on_event: &(dyn Fn(HubEvent) + Sync)) {
        let wait = self.options.retry_backoff * (1 << attempt.saturating_sub(1).min(6));
        self.waited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        on_event(HubEvent::Waiting {
            name: name.clone(),
            reason: HubWaitReason::Retry,
            wait,
        });
        tokio::time::sleep(wait).await;
    }

    /// Sends one GET; the body is `None` when it is over the bound.
    async fn send(&self, url: &str) -> Result<(StatusCode, HeaderMap, Option<Vec<u8>>), String> {
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let limit = if status.is_success() {
            self.options.max_body_bytes
        } else {
            MAX_ERROR_BYTES
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Ok((status, headers, None));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Ok((status, headers, None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, Some(body)))
    }

    pub(super) fn status_error(&self, path: &str, reply: &Reply) -> HubError {
        HubError::Http {
            url: format!("{}{path}", self.base),
            status: reply.status.as_u16(),
            message: hub_message(&reply.body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn waits_from_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_wait(&h), None);
        h.insert("x-retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_wait(&h), Some(Duration::from_secs(3)));
        let soon = (now_epoch() as u64 + 2).to_string();
        h.insert("x-retry-after", HeaderValue::from_str(&soon).unwrap());
        let w = retry_wait(&h).unwrap();
        assert!(
            w >= Duration::from_millis(500) && w <= Duration::from_secs(3),
            "{w:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_wait(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("999999999"));
        assert_eq!(retry_wait(&h), Some(MAX_WAIT));
    }
}
