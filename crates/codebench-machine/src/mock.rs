//! A local OpenAI-compatible chat-completions server on 127.0.0.1 for tests: `POST
//! /v1/chat/completions` answers in the shape of OpenAI's API (`id`, `object`, `model`,
//! `system_fingerprint`, `choices[0].message.content` / `refusal`, `finish_reason`, `usage`),
//! `GET /v1/models` lists the model. What it answers for a unit is scripted by the unit's name
//! (read from the prompt's `Unit: NAME` line): a good answer with the codes given, or by default
//! the first code of the request's schema; codes outside the codebook; broken JSON; 429s with
//! `retry-after` then a good answer; 500s; a refusal; a cut answer (`finish_reason: "length"`);
//! a slow answer. Every request is counted per unit, so a test can show no unit is asked twice.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

/// What the mock answers for one unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// A good answer with these codes (empty: the first code the schema allows).
    Answer(Vec<String>),
    /// This text as the message content (broken JSON, codes outside the codebook...).
    Content(String),
    /// `n` answers 429 with `retry-after: secs`, then as [`Behaviour::Answer`] with no codes.
    TooMany {
        /// 429s before the answer.
        times: u32,
        /// The `retry-after` value, in seconds.
        retry_after: u32,
    },
    /// Always HTTP 500.
    ServerError,
    /// A refusal (`message.refusal`, no content).
    Refusal(String),
    /// A cut answer: `finish_reason: "length"` with half a JSON object.
    Length,
    /// Waits this long, then answers as [`Behaviour::Answer`] with no codes.
    Slow(Duration),
}

/// Counters read by tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatMockStats {
    /// Chat-completions requests received.
    pub requests: u64,
    /// Requests per unit name (`?` when the prompt named none).
    pub per_unit: BTreeMap<String, u64>,
    /// Requests refused for a missing or wrong API key.
    pub unauthorized: u64,
}

struct Server {
    base: String,
    model: String,
    fingerprint: String,
    key: Option<String>,
    script: Vec<(String, Behaviour)>,
    requests: AtomicU64,
    unauthorized: AtomicU64,
    per_unit: Mutex<BTreeMap<String, u64>>,
    bodies: Mutex<Vec<Value>>,
}

/// A running mock server; stops when dropped.
pub struct MockChat {
    server: Arc<Server>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockChat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Answer = Response<Full<Bytes>>;

fn json_answer(status: StatusCode, value: Value) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn error(status: StatusCode, message: &str) -> Answer {
    json_answer(
        status,
        json!({ "error": { "message": message, "type": "mock_error", "code": null } }),
    )
}

/// Options of the mock beyond its script.
#[derive(Debug, Clone, Default)]
pub struct ChatMockConfig {
    /// The API key every request must send as `Authorization: Bearer` (none: no check).
    pub key: Option<String>,
}

impl MockChat {
    /// Starts a server on 127.0.0.1 (a free port) answering each unit as `script` says (the
    /// first entry whose name equals the unit's), else with a good answer; needs a tokio
    /// runtime.
    pub async fn start(
        script: Vec<(String, Behaviour)>,
        config: ChatMockConfig,
    ) -> std::io::Result<MockChat> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr: SocketAddr = listener.local_addr()?;
        let server = Arc::new(Server {
            base: format!("http://{addr}/v1"),
            model: "mock-model".into(),
            fingerprint: "fp_mock_0001".into(),
            key: config.key,
            script,
            requests: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            per_unit: Mutex::new(BTreeMap::new()),
            bodies: Mutex::new(Vec::new()),
        });
        let accept = Arc::clone(&server);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let server = Arc::clone(&accept);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let server = Arc::clone(&server);
                        async move { Ok::<_, Infallible>(server.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(MockChat { server, task })
    }

    /// The base URL to give the client: `http://127.0.0.1:PORT/v1`.
    pub fn url(&self) -> String {
        self.server.base.clone()
    }

    /// Counters so far.
    pub fn stats(&self) -> ChatMockStats {
        ChatMockStats {
            requests: self.server.requests.load(Ordering::Relaxed),
            per_unit: self
                .server
                .per_unit
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            unauthorized: self.server.unauthorized.load(Ordering::Relaxed),
        }
    }

    /// Every chat-completions request body received, in order.
    pub fn bodies(&self) -> Vec<Value> {
        self.server
            .bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The unit named by the prompt's `Unit: NAME` line.
fn unit_of(body: &Value) -> Option<String> {
    let messages = body.get("messages")?.as_array()?;
    messages.iter().find_map(|m| {
        let text = m.get("content")?.as_str()?;
        text.lines()
            .find_map(|l| l.strip_prefix("Unit: "))
            .map(|s| s.trim().to_string())
    })
}

impl Server {
    async fn handle(&self, req: Request<Incoming>) -> Answer {
        let path = req.uri().path().to_string();
        if let Some(key) = &self.key {
            let sent = req
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            if sent != Some(key.as_str()) {
                self.unauthorized.fetch_add(1, Ordering::Relaxed);
                return error(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
            }
        }
        match (req.method().as_str(), path.as_str()) {
            ("GET", "/v1/models") => json_answer(
                StatusCode::OK,
                json!({ "object": "list", "data": [{ "id": self.model, "object": "model", "owned_by": "mock" }] }),
            ),
            ("POST", "/v1/chat/completions") => {
                let bytes = match Limited::new(req.into_body(), 4 * 1024 * 1024)
                    .collect()
                    .await
                {
                    Ok(b) => b.to_bytes(),
                    Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "body too large"),
                };
                let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
                    return error(StatusCode::BAD_REQUEST, "the body is not JSON");
                };
                self.chat(body).await
            }
            _ => error(StatusCode::NOT_FOUND, "unknown path"),
        }
    }

    async fn chat(&self, body: Value) -> Answer {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let unit = unit_of(&body).unwrap_or_else(|| "?".into());
        let nth = {
            let mut per = self.per_unit.lock().unwrap_or_else(|p| p.into_inner());
            let n = per.entry(unit.clone()).or_insert(0);
            *n += 1;
            *n
        };
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(body.clone());
        if body.get("model").and_then(Value::as_str).is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                "you must provide a model parameter",
            );
        }
        let allowed: Vec<String> = body
            .pointer("/response_format/json_schema/schema/properties/codes/items/enum")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let good = |codes: &[String]| {
            let codes: Vec<String> = if codes.is_empty() {
                allowed.iter().take(1).cloned().collect()
            } else {
                codes.to_vec()
            };
            json!({ "codes": codes, "rationale": format!("the files of {unit} say so"), "confidence": 0.75 })
                .to_string()
        };
        let behaviour = self
            .script
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, b)| b.clone())
            .unwrap_or(Behaviour::Answer(Vec::new()));
        match behaviour {
            Behaviour::Answer(codes) => self.completion(Some(good(&codes)), None, "stop"),
            Behaviour::Content(text) => self.completion(Some(text), None, "stop"),
            Behaviour::TooMany { times, retry_after } => {
                if nth <= u64::from(times) {
                    let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached");
                    r.headers_mut().insert("retry-after", retry_after.into());
                    r
                } else {
                    self.completion(Some(good(&[])), None, "stop")
                }
            }
            Behaviour::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "the model crashed"),
            Behaviour::Refusal(text) => self.completion(None, Some(text), "stop"),
            Behaviour::Length => {
                let full = good(&[]);
                let half: String = full.chars().take(full.chars().count() / 2).collect();
                self.completion(Some(half), None, "length")
            }
            Behaviour::Slow(d) => {
                tokio::time::sleep(d).await;
                self.completion(Some(good(&[])), None, "stop")
            }
        }
    }

    fn completion(&self, content: Option<String>, refusal: Option<String>, finish: &str) -> Answer {
        let n = self.requests.load(Ordering::Relaxed);
        json_answer(
            StatusCode::OK,
            json!({
                "id": format!("chatcmpl-mock{n}"),
                "object": "chat.completion",
                "created": 1_700_000_000u64,
                "model": self.model,
                "system_fingerprint": self.fingerprint,
                "choices": [{
                    "index": 0,
                    "message": { "role": "assistant", "content": content, "refusal": refusal },
                    "logprobs": null,
                    "finish_reason": finish,
                }],
                "usage": { "prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150 },
            }),
        )
    }
}
