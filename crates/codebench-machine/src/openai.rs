//! An OpenAI-compatible chat-completions client (Ollama, llama.cpp's server, vLLM, OpenAI,
//! Azure's OpenAI-compatible endpoints): `POST {base}/chat/completions` with the model,
//! messages, temperature, seed and a strict JSON-schema `response_format`.
//!
//! Every body is read up to a bound. A 429 waits what its `retry-after` says (bounded), a 5xx,
//! a dropped connection or a timeout backs off and tries again, all within a bounded number of
//! attempts; whatever still fails is an error for that one unit, never a label. A stop check
//! is asked while a request or a wait is under way.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;

/// How often a call asks its stop check while a request or a wait is under way.
pub const STOP_POLL: Duration = Duration::from_millis(100);
/// Longest wait a `retry-after` may impose.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);
/// Error bodies are read up to this much (for the message).
const MAX_ERROR_BYTES: u64 = 16 * 1024;

/// How to reach a chat-completions server.
#[derive(Clone)]
pub struct ChatOptions {
    /// The base URL, usually ending in `/v1` (`http://localhost:11434/v1` for Ollama).
    pub base_url: String,
    /// Sent as `Authorization: Bearer`; local servers need none. Never printed.
    pub api_key: Option<String>,
    /// Limit on one request, body included.
    pub request_timeout: Duration,
    /// Requests at most per unit (429s, 5xx, timeouts and dropped connections included).
    pub max_attempts: u32,
    /// First back-off after a 5xx or a network failure; doubles each time.
    pub backoff: Duration,
    /// Wait after a 429 that says no `retry-after`.
    pub fallback_wait: Duration,
    /// Answers larger than this are refused.
    pub max_body_bytes: u64,
}

impl Default for ChatOptions {
    fn default() -> Self {
        ChatOptions {
            base_url: String::new(),
            api_key: None,
            request_timeout: Duration::from_secs(120),
            max_attempts: 4,
            backoff: Duration::from_secs(2),
            fallback_wait: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
        }
    }
}

impl std::fmt::Debug for ChatOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatOptions")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// Why the client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The base URL is not an absolute http(s) URL without query.
    #[error("invalid chat-completions URL {url:?}: {message}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The key cannot go in an HTTP header.
    #[error("the API key contains characters that cannot be sent in an HTTP header")]
    InvalidKey,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// One message of a conversation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Message {
    /// `system` or `user`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// One chat-completions request.
#[derive(Debug, Clone, Serialize)]
pub struct ChatRequest {
    /// The model to ask.
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    pub temperature: f64,
    /// Seed, where the server honours one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// The structured-output schema.
    pub response_format: Value,
}

/// What the server answered (HTTP 200), before the answer is validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    /// `choices[0].message.content`.
    pub content: Option<String>,
    /// `choices[0].message.refusal`.
    pub refusal: Option<String>,
    /// `choices[0].finish_reason`.
    pub finish_reason: Option<String>,
    /// `usage.prompt_tokens`.
    pub prompt_tokens: Option<u64>,
    /// `usage.completion_tokens`.
    pub completion_tokens: Option<u64>,
    /// `system_fingerprint`.
    pub system_fingerprint: Option<String>,
    /// `model`, as the server names what answered.
    pub model: Option<String>,
    /// The body as received (bounded by [`ChatOptions::max_body_bytes`]).
    pub body: String,
}

/// Why a request gave no reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// The stop check said stop.
    #[error("stopped")]
    Stopped,
    /// Still 429 after every attempt.
    #[error("still rate-limited (HTTP 429) after {attempts} attempts")]
    RateLimited {
        /// Attempts made.
        attempts: u32,
    },
    /// No connection, a timeout or a dropped connection, after every attempt.
    #[error("{message} (after {attempts} attempts)")]
    Network {
        /// Why.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An error status (5xx after every attempt, or a 4xx).
    #[error("HTTP {status}: {message}")]
    Http {
        /// The status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// An answer that is not a chat completion, or over the bound.
    #[error("the server's answer is not a chat completion: {0}")]
    InvalidResponse(String),
}

/// A chat-completions client.
pub struct ChatClient {
    http: reqwest::Client,
    url: String,
    options: ChatOptions,
}

impl std::fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Whether `base_url` names this machine (a loopback address or `localhost`), so nothing
/// sent to it leaves the machine.
pub fn is_loopback(base_url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(base_url.trim()) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Checks a base URL: absolute http(s), a host, no query or fragment; returns it without a
/// trailing slash.
pub fn check_base_url(base_url: &str) -> Result<String, BuildError> {
    let base = base_url.trim().trim_end_matches('/').to_string();
    let bad = |message: &str| BuildError::InvalidUrl {
        url: base_url.to_string(),
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
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("it must not carry a user name or password"));
    }
    Ok(base)
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

/// The server's error message (`error.message` or `message`), or nothing.
fn server_message(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(body).chars().take(300).collect();
    };
    v.pointer("/error/message")
        .or_else(|| v.get("message"))
        .or_else(|| v.get("error"))
        .and_then(Value::as_str)
        .map(|s| s.chars().take(300).collect())
        .unwrap_or_default()
}

/// A reply parsed from a 200 body.
fn parse_reply(body: Vec<u8>) -> Result<Reply, ChatError> {
    let text = String::from_utf8(body)
        .map_err(|_| ChatError::InvalidResponse("the body is not UTF-8".into()))?;
    let v: Value =
        serde_json::from_str(&text).map_err(|e| ChatError::InvalidResponse(e.to_string()))?;
    let choice = v
        .pointer("/choices/0")
        .ok_or_else(|| ChatError::InvalidResponse("no choices".into()))?;
    let s = |p: &str| {
        choice
            .pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(Reply {
        content: s("/message/content"),
        refusal: s("/message/refusal"),
        finish_reason: s("/finish_reason"),
        prompt_tokens: v.pointer("/usage/prompt_tokens").and_then(Value::as_u64),
        completion_tokens: v
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64),
        system_fingerprint: v
            .get("system_fingerprint")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(200).collect()),
        model: v
            .get("model")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(200).collect()),
        body: text,
    })
}

/// How long a 429 asks to wait (`retry-after` in seconds, or `retry-after-ms`).
fn retry_wait(headers: &HeaderMap) -> Option<Duration> {
    let get = |n: &str| headers.get(n)?.to_str().ok()?.trim().parse::<f64>().ok();
    get("retry-after-ms")
        .map(|ms| Duration::from_secs_f64((ms / 1000.0).clamp(0.0, 1e6)))
        .or_else(|| get(RETRY_AFTER.as_str()).map(|s| Duration::from_secs_f64(s.clamp(0.0, 1e6))))
        .map(|d| d.min(MAX_RETRY_WAIT))
}

impl ChatClient {
    /// Builds a client; nothing is sent yet.
    pub fn new(options: ChatOptions) -> Result<ChatClient, BuildError> {
        let base = check_base_url(&options.base_url)?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(key) = &options.api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", key.trim()))
                .map_err(|_| BuildError::InvalidKey)?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15).min(options.request_timeout))
            .timeout(options.request_timeout)
            .user_agent(concat!("codebench-machine/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError::Client(error_chain(&e)))?;
        Ok(ChatClient {
            http,
            url: format!("{base}/chat/completions"),
            options,
        })
    }

    /// The URL asked: `{base}/chat/completions`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one chat completion with retries (see the module documentation); returns the
    /// reply or why there is none, and the attempts made. `on_wait` hears of every wait.
    pub async fn complete(
        &self,
        request: &ChatRequest,
        on_wait: &(dyn Fn(Duration, &str) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> (Result<Reply, ChatError>, u32) {
        let body = match serde_json::to_vec(request) {
            Ok(b) => b,
            Err(e) => return (Err(ChatError::InvalidResponse(e.to_string())), 0),
        };
        let max = self.options.max_attempts.max(1);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let Some(sent) = until_stopped(self.send(body.clone()), stop).await else {
                return (Err(ChatError::Stopped), attempts);
            };
            let last = attempts >= max;
            let wait = match sent {
                Err(message) => {
                    if last {
                        return (Err(ChatError::Network { message, attempts }), attempts);
                    }
                    self.backoff(attempts)
                }
                Ok((status, headers, body)) if status == StatusCode::TOO_MANY_REQUESTS => {
                    if last {
                        return (Err(ChatError::RateLimited { attempts }), attempts);
                    }
                    let _ = body;
                    retry_wait(&headers).unwrap_or(self.options.fallback_wait)
                }
                Ok((status, _, body)) if status.is_server_error() => {
                    if last {
                        let message = body.as_deref().map(server_message).unwrap_or_default();
                        return (
                            Err(ChatError::Http {
                                status: status.as_u16(),
                                message,
                            }),
                            attempts,
                        );
                    }
                    self.backoff(attempts)
                }
                Ok((status, _, body)) if !status.is_success() => {
                    let message = body.as_deref().map(server_message).unwrap_or_default();
                    return (
                        Err(ChatError::Http {
                            status: status.as_u16(),
                            message,
                        }),
                        attempts,
                    );
                }
                Ok((_, _, None)) => {
                    return (
                        Err(ChatError::InvalidResponse(format!(
                            "larger than {} bytes",
                            self.options.max_body_bytes
                        ))),
                        attempts,
                    )
                }
                Ok((_, _, Some(body))) => return (parse_reply(body), attempts),
            };
            on_wait(wait, "retry");
            if until_stopped(tokio::time::sleep(wait), stop)
                .await
                .is_none()
            {
                return (Err(ChatError::Stopped), attempts);
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.options.backoff * (1u32 << attempt.saturating_sub(1).min(6))
    }

    /// One POST; the body is `None` when it is over the bound.
    async fn send(
        &self,
        body: Vec<u8>,
    ) -> Result<(StatusCode, HeaderMap, Option<Vec<u8>>), String> {
        let mut response = self
            .http
            .post(&self.url)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("timed out after {:?}", self.options.request_timeout)
                } else {
                    error_chain(&e)
                }
            })?;
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
        let mut out = Vec::new();
        loop {
            let chunk = response.chunk().await.map_err(|e| {
                if e.is_timeout() {
                    format!("timed out after {:?}", self.options.request_timeout)
                } else {
                    error_chain(&e)
                }
            })?;
            let Some(chunk) = chunk else { break };
            if out.len() as u64 + chunk.len() as u64 > limit {
                return Ok((status, headers, None));
            }
            out.extend_from_slice(&chunk);
        }
        Ok((status, headers, Some(out)))
    }
}
