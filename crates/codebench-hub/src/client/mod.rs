//! The HTTP side: reqwest against a settable base URL, every body read up to a bound, Docker
//! Hub's API rate limit followed here (one shared gate, each wait reported as a
//! [`HubEvent::Waiting`](crate::HubEvent::Waiting)), and a stop check asked while waiting.
//!
//! This module holds the options, the errors and the client with its counters; one GET with
//! the rate-limit gate, retries and bounded bodies is in `request.rs`, and the repository and
//! tag lookups that make a rater's evidence are in `evidence.rs`.

mod evidence;
mod request;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};

/// Docker Hub.
pub const DEFAULT_HUB_URL: &str = "https://hub.docker.com";
/// How often a call asks its stop check while a request or a wait is under way.
pub const STOP_POLL: Duration = Duration::from_millis(100);
/// Tags asked per page (Docker Hub's maximum).
pub const TAG_PAGE_SIZE: u32 = 100;

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
/// but [`Lookup::NotFound`](crate::Lookup::NotFound).
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

    /// Total pause announced so far through [`HubEvent::Waiting`](crate::HubEvent::Waiting).
    pub fn time_waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }
}
