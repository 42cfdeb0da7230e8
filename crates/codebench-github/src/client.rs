//! The HTTP side: an octocrab client pointed at a settable base URL, with GitHub's rate limits
//! followed here rather than inside octocrab.
//!
//! octocrab's own retry layer (feature `retry`) waits on `retry-after` and on a 403 with
//! `x-ratelimit-remaining: 0`, but it cannot tell the caller that it is waiting, does not pause
//! before the limit is hit, and each concurrent request discovers the limit for itself. So the
//! feature is off and every request goes through [`GitHub::get`], which keeps one shared gate:
//! when any answer says the quota is spent (or a secondary limit asks to back off), every
//! request waits behind the gate, and one [`Event::Waiting`] says how long and why.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_LENGTH};
use http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::snapshot::{Event, FailureKind, WaitReason};

/// The public GitHub API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// GitHub's JSON media type.
pub(crate) const JSON: &str = "application/vnd.github+json";
/// GitHub's raw media type: file bytes instead of base64 JSON.
pub(crate) const RAW: &str = "application/vnd.github.raw+json";
/// The commits endpoint answers with the bare SHA under this media type.
pub(crate) const SHA: &str = "application/vnd.github.sha";

/// Longest wait a rate-limit header may impose (GitHub's primary window is one hour).
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// Retries for server errors and dropped connections, per request.
const TRANSIENT_RETRIES: u32 = 3;

/// How to reach GitHub.
#[derive(Clone)]
pub struct GitHubOptions {
    /// API base URL; `None` means [`DEFAULT_API_URL`]. GitHub Enterprise: `https://HOST/api/v3`.
    /// Plain `http://` works (tests and the mock server use `http://127.0.0.1:PORT`).
    pub api_url: Option<String>,
    /// Token sent as `Authorization: Bearer`; the caller reads it (e.g. from `GITHUB_TOKEN`).
    /// Never printed: `Debug` shows only whether it is set.
    pub token: Option<String>,
    /// Repositories fetched at once by [`GitHub::fetch_many`] (at least 1).
    pub concurrency: usize,
    /// Files (and READMEs) larger than this are recorded as [`crate::Content::TooLarge`].
    pub max_file_bytes: u64,
    /// Limit on one request, body included.
    pub request_timeout: Duration,
    /// Wait after a secondary rate limit that gives no `retry-after` (GitHub: "at least one
    /// minute").
    pub fallback_wait: Duration,
    /// Rate-limit waits allowed per request before the repository fails as rate-limited.
    pub max_rate_limit_waits: u32,
    /// First wait before retrying a server error or dropped connection; doubles each retry
    /// (three retries).
    pub retry_backoff: Duration,
}

impl Default for GitHubOptions {
    fn default() -> Self {
        GitHubOptions {
            api_url: None,
            token: None,
            concurrency: 4,
            max_file_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            fallback_wait: Duration::from_secs(60),
            max_rate_limit_waits: 10,
            retry_backoff: Duration::from_secs(1),
        }
    }
}

impl std::fmt::Debug for GitHubOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubOptions")
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("concurrency", &self.concurrency)
            .field("max_file_bytes", &self.max_file_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("fallback_wait", &self.fallback_wait)
            .field("max_rate_limit_waits", &self.max_rate_limit_waits)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API URL is not an absolute http(s) URL.
    #[error("invalid API URL {url:?}: {message}")]
    InvalidApiUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The token contains characters that cannot go in an HTTP header.
    #[error("the token contains characters that cannot be sent in an HTTP header")]
    InvalidToken,
    /// Called outside a tokio runtime (octocrab spawns its connection pool's task on build).
    #[error("the GitHub client must be built inside a tokio runtime")]
    NoRuntime,
    /// octocrab refused to build (e.g. no TLS root certificates on this machine).
    #[error("cannot build the GitHub client: {0}")]
    Build(String),
}

/// Which of GitHub's rate limits a request counts against: search has its own quota (30 a
/// minute with a token, 10 without) besides the core one (5,000 an hour), so each has its own
/// gate and a spent search quota does not hold back repository fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    /// Everything but search (`x-ratelimit-resource: core`).
    Core,
    /// `/search/*` (`x-ratelimit-resource: search`).
    Search,
}

/// A GitHub client for imports: one per import, shared by all concurrent fetches.
pub struct GitHub {
    pub(crate) octo: octocrab::Octocrab,
    pub(crate) options: GitHubOptions,
    gate: Mutex<Instant>,
    search_gate: Mutex<Instant>,
    requests: AtomicU64,
    waited_ms: AtomicU64,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// One answer, body read up to a limit.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    /// The `Link` header, if any (pagination).
    pub link: Option<String>,
    /// The body, or `None` when it was longer than the limit asked for.
    pub body: Option<Vec<u8>>,
}

impl Reply {
    /// GitHub's `message` field from an error body, or the status.
    pub fn message(&self) -> String {
        let from_json = self.body.as_deref().and_then(|b| {
            let v: serde_json::Value = serde_json::from_slice(b).ok()?;
            let mut m = v.get("message")?.as_str()?.to_string();
            if let Some(reason) = v.pointer("/block/reason").and_then(|r| r.as_str()) {
                m.push_str(&format!(" (reason: {reason})"));
            }
            Some(m)
        });
        match from_json {
            Some(m) => format!("HTTP {}: {m}", self.status.as_u16()),
            None => format!("HTTP {}", self.status),
        }
    }
}

/// A request that did not produce a usable answer.
#[derive(Debug)]
pub(crate) struct RequestError {
    pub kind: FailureKind,
    pub message: String,
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Time until `reset` (epoch seconds) plus a margin, within [0.5 s, [`MAX_WAIT`]].
fn until_reset(reset: u64) -> Duration {
    let secs = (reset as f64 - now_epoch() + 0.5).clamp(0.5, MAX_WAIT.as_secs_f64());
    Duration::from_secs_f64(secs)
}

impl GitHub {
    /// Builds a client; no request is sent yet. Must run inside a tokio runtime.
    pub fn new(options: GitHubOptions) -> Result<GitHub, ClientError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ClientError::NoRuntime);
        }
        let url = options
            .api_url
            .clone()
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let url = url.trim_end_matches('/').to_string();
        let bad = |message: &str| ClientError::InvalidApiUrl {
            url: url.clone(),
            message: message.to_string(),
        };
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => return Err(bad("it must start with http:// or https://")),
        }
        if uri.host().is_none() {
            return Err(bad("it has no host"));
        }
        let mut builder = octocrab::Octocrab::builder()
            .base_uri(url.as_str())
            .map_err(|e| bad(&e.to_string()))?
            .add_header(
                HeaderName::from_static("x-github-api-version"),
                "2022-11-28".to_string(),
            )
            .set_connect_timeout(Some(Duration::from_secs(15)))
            .set_read_timeout(Some(options.request_timeout));
        if let Some(token) = &options.token {
            if HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
                return Err(ClientError::InvalidToken);
            }
            builder = builder.personal_token(token.clone());
        }
        let octo = builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(GitHub {
            octo,
            options,
            gate: Mutex::new(Instant::now()),
            search_gate: Mutex::new(Instant::now()),
            requests: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
        })
    }

    /// The options this client was built with.
    pub fn options(&self) -> &GitHubOptions {
        &self.options
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Total pause announced so far through [`Event::Waiting`].
    pub fn time_waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    fn gate(&self, resource: Resource) -> &Mutex<Instant> {
        match resource {
            Resource::Core => &self.gate,
            Resource::Search => &self.search_gate,
        }
    }

    /// Holds every request on `resource` until `wait` from now; announces it once if it
    /// extends the pause.
    fn pause(
        &self,
        resource: Resource,
        wait: Duration,
        reason: WaitReason,
        repo: &str,
        on_event: &(dyn Fn(Event) + Sync),
    ) {
        let now = Instant::now();
        let until = now + wait;
        let extended = {
            let mut gate = self
                .gate(resource)
                .lock()
                .unwrap_or_else(|p| p.into_inner());
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
            on_event(Event::Waiting {
                repo: repo.to_string(),
                reason,
                wait,
            });
        }
    }

    /// Waits before retry number `attempt` of this request only (other requests go on).
    async fn backoff(&self, attempt: u32, repo: &str, on_event: &(dyn Fn(Event) + Sync)) {
        let wait = self.options.retry_backoff * (1 << attempt.saturating_sub(1).min(6));
        self.waited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        on_event(Event::Waiting {
            repo: repo.to_string(),
            reason: WaitReason::Retry,
            wait,
        });
        tokio::time::sleep(wait).await;
    }

    async fn pass_gate(&self, resource: Resource) {
        loop {
            let until = *self
                .gate(resource)
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if until <= now {
                return;
            }
            tokio::time::sleep(until - now).await;
        }
    }

    /// One GET, with rate limits and transient errors handled: returns the final answer
    /// (any status other than a rate limit), its body read up to `limit` bytes.
    pub(crate) async fn get(
        &self,
        repo: &str,
        path_and_query: &str,
        accept: &'static str,
        limit: u64,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<Reply, RequestError> {
        self.get_on(
            Resource::Core,
            repo,
            path_and_query,
            accept,
            limit,
            on_event,
        )
        .await
    }

    /// [`GitHub::get`] against the gate of `resource`; `repo` names the request in events
    /// (a repository, or a search query).
    pub(crate) async fn get_on(
        &self,
        resource: Resource,
        repo: &str,
        path_and_query: &str,
        accept: &'static str,
        limit: u64,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<Reply, RequestError> {
        let mut rate_waits = 0u32;
        let mut transient = 0u32;
        loop {
            self.pass_gate(resource).await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = tokio::time::timeout(
                self.options.request_timeout,
                self.send(path_and_query, accept, limit),
            )
            .await;
            let (status, headers, body) = match sent {
                Ok(Ok(answer)) => answer,
                failed => {
                    let message = match failed {
                        Ok(Err(message)) => message,
                        _ => format!("no answer within {:?}", self.options.request_timeout),
                    };
                    if transient < TRANSIENT_RETRIES {
                        transient += 1;
                        self.backoff(transient, repo, on_event).await;
                        continue;
                    }
                    return Err(RequestError {
                        kind: FailureKind::Network,
                        message: format!("GET {path_and_query}: {message}"),
                    });
                }
            };
            let remaining = header_u64(&headers, "x-ratelimit-remaining");
            let reset = header_u64(&headers, "x-ratelimit-reset");
            let link = headers
                .get(http::header::LINK)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let reply = Reply { status, link, body };

            if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
                let limited = if let Some(secs) = header_u64(&headers, "retry-after") {
                    Some((
                        Duration::from_secs(secs).min(MAX_WAIT),
                        WaitReason::SecondaryRateLimit,
                    ))
                } else if remaining == Some(0) {
                    Some((
                        reset.map_or(self.options.fallback_wait, until_reset),
                        WaitReason::PrimaryRateLimit,
                    ))
                } else if status == StatusCode::TOO_MANY_REQUESTS
                    || reply.message().to_ascii_lowercase().contains("rate limit")
                {
                    Some((self.options.fallback_wait, WaitReason::SecondaryRateLimit))
                } else {
                    None
                };
                if let Some((wait, reason)) = limited {
                    if rate_waits >= self.options.max_rate_limit_waits {
                        return Err(RequestError {
                            kind: FailureKind::RateLimited,
                            message: format!(
                                "GET {path_and_query}: still rate-limited after {rate_waits} waits ({})",
                                reply.message()
                            ),
                        });
                    }
                    rate_waits += 1;
                    self.pause(resource, wait, reason, repo, on_event);
                    continue;
                }
                return Ok(reply);
            }
            if status.is_server_error() && transient < TRANSIENT_RETRIES {
                transient += 1;
                self.backoff(transient, repo, on_event).await;
                continue;
            }
            if remaining == Some(0) {
                if let Some(reset) = reset {
                    self.pause(
                        resource,
                        until_reset(reset),
                        WaitReason::PrimaryRateLimit,
                        repo,
                        on_event,
                    );
                }
            }
            return Ok(reply);
        }
    }

    /// Sends one GET and reads the body: success bodies up to `limit`, error bodies up to 64 KiB.
    async fn send(
        &self,
        path_and_query: &str,
        accept: &'static str,
        limit: u64,
    ) -> Result<(StatusCode, HeaderMap, Option<Vec<u8>>), String> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        let response = self
            .octo
            ._get_with_headers(path_and_query, Some(headers))
            .await
            .map_err(|e| error_chain(&e))?;
        let (parts, body) = response.into_parts();
        let limit = if parts.status.is_success() {
            limit
        } else {
            64 * 1024
        };
        let declared = header_u64(&parts.headers, CONTENT_LENGTH.as_str());
        if declared.is_some_and(|n| n > limit) {
            return Ok((parts.status, parts.headers, None));
        }
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let body = match Limited::new(body, limit).collect().await {
            Ok(collected) => Some(collected.to_bytes().to_vec()),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => None,
            Err(e) => return Err(format!("reading the body: {e}")),
        };
        Ok((parts.status, parts.headers, body))
    }
}

/// An error and its sources, joined, so "error sending request" says why.
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
