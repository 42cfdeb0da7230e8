//! The HTTP side: reqwest against a settable base URL, every body read up to a bound, Docker
//! Hub's API rate limit followed here (one shared gate, each wait reported as a
//! [`HubEvent::Waiting`]), and a stop check asked while waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Deserialize;

use crate::model::{HubEvent, HubEvidence, HubRepository, HubTag, HubWaitReason, Lookup, TagList};
use crate::name::HubName;

/// Docker Hub.
pub const DEFAULT_HUB_URL: &str = "https://hub.docker.com";
/// How often a call asks its stop check while a request or a wait is under way.
pub const STOP_POLL: Duration = Duration::from_millis(100);
/// Tags asked per page (Docker Hub's maximum).
pub const TAG_PAGE_SIZE: u32 = 100;

/// Longest wait a rate-limit header may impose.
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// Retries for server errors and dropped connections, per request.
const TRANSIENT_RETRIES: u32 = 3;
/// Error bodies are read up to this much (for the message).
const MAX_ERROR_BYTES: u64 = 64 * 1024;

/// How to reach Docker Hub.
#[derive(Clone)]
pub struct HubOptions {
    /// Base URL; `None` means [`DEFAULT_HUB_URL`]. Plain `http://` works (tests).
    pub base_url: Option<String>,
    /// A bearer token sent as `Authorization: Bearer` (a JWT from Docker Hub's auth
    /// endpoint); public repositories need none. Never printed.
    pub token: Option<String>,
    /// Limit on one request, body included.
    pub request_timeout: Duration,
    /// Answers larger than this are refused (a repository with its full description, or a
    /// page of 100 tags with their images, is well under 1 MiB).
    pub max_body_bytes: u64,
    /// Tag pages read at most per repository (of [`TAG_PAGE_SIZE`] tags each); the list says
    /// whether it is complete.
    pub max_tag_pages: u32,
    /// Wait after a 429 that says neither `Retry-After`, `X-Retry-After` nor
    /// `X-RateLimit-Reset`.
    pub fallback_wait: Duration,
    /// Rate-limit waits allowed per request before the call fails as rate-limited.
    pub max_rate_limit_waits: u32,
    /// First wait before retrying a server error or dropped connection; doubles each retry.
    pub retry_backoff: Duration,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            base_url: None,
            token: None,
            request_timeout: Duration::from_secs(60),
            max_body_bytes: 4 * 1024 * 1024,
            max_tag_pages: 10,
            fallback_wait: Duration::from_secs(60),
            max_rate_limit_waits: 10,
            retry_backoff: Duration::from_secs(1),
        }
    }
}

impl std::fmt::Debug for HubOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubOptions")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_tag_pages", &self.max_tag_pages)
            .field("fallback_wait", &self.fallback_wait)
            .field("max_rate_limit_waits", &self.max_rate_limit_waits)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

/// Why a Docker Hub call gave no answer. A repository that does not exist is not an error
/// but [`Lookup::NotFound`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid Docker Hub URL {url:?}: {message}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The token cannot go in an HTTP header.
    #[error("the Docker Hub token contains characters that cannot be sent in an HTTP header")]
    InvalidToken,
    /// The HTTP client could not be built (e.g. no TLS roots).
    #[error("cannot build the Docker Hub client: {0}")]
    Build(String),
    /// The stop check said stop.
    #[error("stopped")]
    Stopped,
    /// Rate limits persisted past [`HubOptions::max_rate_limit_waits`].
    #[error("GET {url}: still rate-limited after {waits} waits")]
    RateLimited {
        /// The URL.
        url: String,
        /// Waits made.
        waits: u32,
    },
    /// No connection, a timeout, or a dropped connection (after retries).
    #[error("GET {url}: {message}")]
    Network {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// An unexpected status (after retries for 5xx).
    #[error("GET {url}: HTTP {status}: {message}")]
    Http {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// Docker Hub's message, if any.
        message: String,
    },
    /// An answer that could not be understood, or larger than the bound.
    #[error("GET {url}: {message}")]
    InvalidResponse {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
}

impl HubError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            HubError::Stopped | HubError::RateLimited { .. } | HubError::Network { .. } => true,
            HubError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// A Docker Hub client: one per run, shared by all calls (they share the rate-limit gate).
pub struct Hub {
    http: reqwest::Client,
    base: String,
    options: HubOptions,
    gate: Mutex<Instant>,
    requests: AtomicU64,
    waited_ms: AtomicU64,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

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
async fn until_stopped<F: std::future::Future>(
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

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
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

#[derive(Deserialize)]
struct RepositoryJson {
    namespace: Option<String>,
    name: Option<String>,
    description: Option<String>,
    full_description: Option<String>,
    #[serde(default)]
    star_count: u64,
    #[serde(default)]
    pull_count: u64,
    last_updated: Option<String>,
    date_registered: Option<String>,
    status: Option<i64>,
    status_description: Option<String>,
    #[serde(default)]
    is_private: bool,
}

#[derive(Deserialize)]
struct TagsJson {
    count: Option<u64>,
    next: Option<String>,
    #[serde(default)]
    results: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct TagJson {
    name: String,
    tag_last_pushed: Option<String>,
    last_updated: Option<String>,
    digest: Option<String>,
    full_size: Option<u64>,
    tag_status: Option<String>,
    #[serde(default)]
    images: Vec<ImageJson>,
}

#[derive(Deserialize)]
struct ImageJson {
    digest: Option<String>,
    last_pushed: Option<String>,
}

/// One answer that is not a rate limit.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

impl Hub {
    /// Builds a client; no request is sent yet.
    pub fn new(options: HubOptions) -> Result<Hub, HubError> {
        let url = options
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_HUB_URL.to_string());
        let base = url.trim_end_matches('/').to_string();
        let bad = |message: &str| HubError::InvalidUrl {
            url: url.clone(),
            message: message.to_string(),
        };
        let parsed = reqwest::Url::parse(&base).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("it must start with http:// or https://"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("it must not have a query or fragment"));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = &options.token {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| HubError::InvalidToken)?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::limited(5))
            .connect_timeout(Duration::from_secs(15))
            .timeout(options.request_timeout)
            .user_agent(concat!("codebench-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HubError::Build(error_chain(&e)))?;
        Ok(Hub {
            http,
            base,
            options,
            gate: Mutex::new(Instant::now()),
            requests: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
        })
    }

    /// The options this client was built with.
    pub fn options(&self) -> &HubOptions {
        &self.options
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Total pause announced so far through [`HubEvent::Waiting`].
    pub fn time_waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

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
    async fn get(
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

    fn status_error(&self, path: &str, reply: &Reply) -> HubError {
        HubError::Http {
            url: format!("{}{path}", self.base),
            status: reply.status.as_u16(),
            message: hub_message(&reply.body),
        }
    }

    /// The repository's description, full description (Markdown, as written: sanitise it
    /// before showing it), stars, pulls, last update and status, through
    /// `GET /v2/namespaces/{namespace}/repositories/{repository}`. 404 is
    /// [`Lookup::NotFound`]. `stop` is asked every [`STOP_POLL`].
    pub async fn repository(
        &self,
        name: &HubName,
        on_event: &(dyn Fn(HubEvent) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Lookup<HubRepository>, HubError> {
        let path = format!(
            "/v2/namespaces/{}/repositories/{}",
            name.namespace, name.repository
        );
        let reply = until_stopped(self.get(name, &path, on_event), stop)
            .await
            .ok_or(HubError::Stopped)??;
        match reply.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(Lookup::NotFound),
            _ => return Err(self.status_error(&path, &reply)),
        }
        let r: RepositoryJson =
            serde_json::from_slice(&reply.body).map_err(|e| HubError::InvalidResponse {
                url: format!("{}{path}", self.base),
                message: e.to_string(),
            })?;
        Ok(Lookup::Found(HubRepository {
            name: name.clone(),
            reported_name: match (r.namespace, r.name) {
                (Some(ns), Some(n)) => Some(format!("{ns}/{n}")),
                _ => None,
            },
            description: r.description.filter(|d| !d.is_empty()),
            full_description: r.full_description.filter(|d| !d.is_empty()),
            star_count: r.star_count,
            pull_count: r.pull_count,
            last_updated: r.last_updated,
            date_registered: r.date_registered,
            status: r.status,
            status_description: r.status_description,
            is_private: r.is_private,
            web_url: name.web_url(),
        }))
    }

    /// The repository's tags, newest first as Docker Hub orders them, through
    /// `GET /v2/namespaces/{namespace}/repositories/{repository}/tags?page_size=100&page=N`,
    /// at most [`HubOptions::max_tag_pages`] pages ([`TagList::complete`] says whether
    /// that was all). Pages are asked of the base URL by number: the `next` link in the body is
    /// read only as "there is more", never followed. 404 is [`Lookup::NotFound`].
    pub async fn tags(
        &self,
        name: &HubName,
        on_event: &(dyn Fn(HubEvent) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Lookup<TagList>, HubError> {
        let mut list = TagList {
            tags: Vec::new(),
            count: None,
            pages: 0,
            complete: false,
        };
        let max_pages = self.options.max_tag_pages.max(1);
        for page in 1..=max_pages {
            let path = format!(
                "/v2/namespaces/{}/repositories/{}/tags?page_size={TAG_PAGE_SIZE}&page={page}",
                name.namespace, name.repository
            );
            let reply = until_stopped(self.get(name, &path, on_event), stop)
                .await
                .ok_or(HubError::Stopped)??;
            match reply.status {
                StatusCode::OK => {}
                StatusCode::NOT_FOUND if page == 1 => return Ok(Lookup::NotFound),
                // Past the last page (tags deleted meanwhile): what was read is all.
                StatusCode::NOT_FOUND => {
                    list.complete = true;
                    break;
                }
                _ => return Err(self.status_error(&path, &reply)),
            }
            let t: TagsJson =
                serde_json::from_slice(&reply.body).map_err(|e| HubError::InvalidResponse {
                    url: format!("{}{path}", self.base),
                    message: e.to_string(),
                })?;
            list.pages += 1;
            if page == 1 {
                list.count = t.count;
            }
            let n = t.results.len();
            list.tags.extend(t.results.into_iter().filter_map(tag_of));
            if t.next.as_deref().is_none_or(str::is_empty) || n == 0 {
                list.complete = true;
                break;
            }
        }
        Ok(Lookup::Found(list))
    }

    /// [`Hub::repository`] and then [`Hub::tags`]: the evidence a rater reads.
    pub async fn evidence(
        &self,
        name: &HubName,
        on_event: &(dyn Fn(HubEvent) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Lookup<HubEvidence>, HubError> {
        let Lookup::Found(repository) = self.repository(name, on_event, stop).await? else {
            return Ok(Lookup::NotFound);
        };
        let Lookup::Found(tags) = self.tags(name, on_event, stop).await? else {
            return Ok(Lookup::NotFound);
        };
        Ok(Lookup::Found(HubEvidence { repository, tags }))
    }
}

fn tag_of(v: serde_json::Value) -> Option<HubTag> {
    let t: TagJson = serde_json::from_value(v).ok()?;
    let first = t.images.first();
    Some(HubTag {
        last_pushed: t
            .tag_last_pushed
            .or_else(|| first.and_then(|i| i.last_pushed.clone()))
            .or_else(|| t.last_updated.clone()),
        last_updated: t.last_updated,
        digest: t.digest.or_else(|| first.and_then(|i| i.digest.clone())),
        full_size: t.full_size,
        status: t.tag_status,
        name: t.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn tags_read_what_hub_sends() {
        let t = tag_of(serde_json::json!({
            "name": "latest", "full_size": 123, "last_updated": "2021-01-05T21:06:53Z",
            "images": [{ "digest": "sha256:ab", "last_pushed": "2021-01-04T00:00:00Z" }],
        }))
        .unwrap();
        assert_eq!(t.digest.as_deref(), Some("sha256:ab"));
        assert_eq!(t.last_pushed.as_deref(), Some("2021-01-04T00:00:00Z"));
        assert!(tag_of(serde_json::json!({ "nom": 1 })).is_none());
    }
}
