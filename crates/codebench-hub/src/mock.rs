//! A local Docker Hub look-alike on 127.0.0.1 speaking the namespaces endpoints the client
//! uses, in the shapes of Docker Hub's API reference: `GET /v2/namespaces/{ns}/repositories/
//! {repo}` and `.../tags?page_size=N&page=P` (paged, `count` / `next` / `previous` /
//! `results`, at most 100 a page, 404 past the last page), with `X-RateLimit-Limit /
//! -Remaining / -Reset` on every answer, a per-window limit answered with 429, 429s to
//! trigger on chosen requests (with `X-Retry-After` as a Unix time, `Retry-After` as seconds,
//! or neither), and 404 for unknown repositories. Requests to the deprecated
//! `/v2/repositories/...` are answered 404 and counted, so tests can show none is sent.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

/// One tag of a [`HubFixtureRepo`].
#[derive(Debug, Clone)]
pub struct HubFixtureTag {
    /// The tag.
    pub name: String,
    /// Last push, ISO 8601.
    pub last_pushed: String,
    /// Manifest digest.
    pub digest: String,
    /// Compressed size.
    pub full_size: u64,
}

/// One repository the mock serves.
#[derive(Debug, Clone)]
pub struct HubFixtureRepo {
    /// Namespace (`library` for official images).
    pub namespace: String,
    /// Repository name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Markdown overview.
    pub full_description: String,
    /// Stars.
    pub star_count: u64,
    /// Pulls.
    pub pull_count: u64,
    /// Last update, ISO 8601.
    pub last_updated: String,
    /// Creation, ISO 8601.
    pub date_registered: String,
    /// Tags, most recently pushed first (the order Docker Hub lists them in).
    pub tags: Vec<HubFixtureTag>,
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl HubFixtureRepo {
    /// A repository with a description, a Markdown overview, counts derived from its name and
    /// one tag, `latest`.
    pub fn new(namespace: &str, name: &str) -> HubFixtureRepo {
        let h = fnv(&format!("{namespace}/{name}"));
        HubFixtureRepo {
            namespace: namespace.to_string(),
            name: name.to_string(),
            description: format!("{name}: a fictional image for tests"),
            full_description: format!(
                "# {name}\n\nA fictional image.\n\n```\ndocker run --rm {namespace}/{name}\n```\n"
            ),
            star_count: h % 500,
            pull_count: h % 10_000_000,
            last_updated: "2024-03-01T10:00:00.000000Z".into(),
            date_registered: "2019-06-01T08:00:00.000000Z".into(),
            tags: Vec::new(),
        }
        .with_tags(1)
    }

    /// Replaces the tags by `n` generated ones: `latest`, then `v{n-1}` down to `v1`, each
    /// pushed a day before the previous one.
    pub fn with_tags(mut self, n: usize) -> HubFixtureRepo {
        let start: i64 = 1_709_287_200; // 2024-03-01T10:00:00Z
        self.tags = (0..n)
            .map(|i| {
                let name = if i == 0 {
                    "latest".to_string()
                } else {
                    format!("v{}", n - i)
                };
                let when = start - 86_400 * i as i64;
                let secs = when.rem_euclid(86_400);
                let days = when.div_euclid(86_400);
                let (y, m, d) = civil(days);
                HubFixtureTag {
                    last_pushed: format!(
                        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000Z",
                        secs / 3600,
                        secs / 60 % 60,
                        secs % 60
                    ),
                    digest: format!(
                        "sha256:{:016x}{:016x}{:016x}{:016x}",
                        fnv(&name),
                        fnv(&self.name),
                        i,
                        n
                    ),
                    full_size: 10_000_000 + (fnv(&name) % 100_000_000),
                    name,
                }
            })
            .collect();
        self
    }
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Which header a 429 names its wait in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryHeader {
    /// `X-Retry-After: <Unix time>` (as the task and Docker Hub's older reference describe).
    XRetryAfter,
    /// `Retry-After: <seconds>` (Docker Hub's current reference).
    RetryAfter,
    /// Neither: the client falls back on `X-RateLimit-Reset` or its fallback wait.
    None,
}

/// A per-window limit: `limit` requests per `window`, then 429 until the window resets.
#[derive(Debug, Clone, Copy)]
pub struct HubLimit {
    /// Requests per window.
    pub limit: u64,
    /// Window length (rounded up to seconds).
    pub window: Duration,
}

/// A 429 on the `on_request`-th request (1-based), blocking every request for `seconds`.
#[derive(Debug, Clone, Copy)]
pub struct TooMany {
    /// Which request trips it.
    pub on_request: u64,
    /// How long every request is refused.
    pub seconds: u64,
    /// How the wait is announced.
    pub header: RetryHeader,
}

/// How the mock behaves beyond its repositories.
#[derive(Debug, Clone)]
pub struct HubMockConfig {
    /// A per-window limit; without one, headers say 180 a minute, never spent.
    pub limit: Option<HubLimit>,
    /// How 429s name their wait.
    pub retry_header: RetryHeader,
    /// 429s to trigger.
    pub too_many: Vec<TooMany>,
    /// Added before every answer.
    pub delay: Duration,
}

impl Default for HubMockConfig {
    fn default() -> Self {
        HubMockConfig {
            limit: None,
            retry_header: RetryHeader::XRetryAfter,
            too_many: Vec::new(),
            delay: Duration::ZERO,
        }
    }
}

/// Counters read by tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubMockStats {
    /// Requests received.
    pub requests: u64,
    /// 429 answers sent.
    pub too_many: u64,
    /// Requests that arrived while a 429's wait was still running.
    pub early_requests: u64,
    /// Requests to the deprecated `/v2/repositories/...`.
    pub deprecated_requests: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    too_many: AtomicU64,
    early: AtomicU64,
    deprecated: AtomicU64,
}

struct Limits {
    reset: u64,
    used: u64,
    /// A triggered 429's block: until when, as an instant and a Unix time, and its header.
    blocked_until: Option<(Instant, u64, RetryHeader)>,
}

struct Server {
    base: String,
    repos: Vec<HubFixtureRepo>,
    config: HubMockConfig,
    counters: Counters,
    limits: Mutex<Limits>,
    paths: Mutex<Vec<String>>,
}

/// A running mock Docker Hub; stops when dropped.
pub struct MockHub {
    server: Arc<Server>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Answer = Response<Full<Bytes>>;

fn epoch_f() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn epoch() -> u64 {
    epoch_f() as u64
}

fn json_answer(status: StatusCode, value: Value) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn not_found() -> Answer {
    json_answer(
        StatusCode::NOT_FOUND,
        json!({ "message": "httperror 404: object not found", "errinfo": {} }),
    )
}

impl MockHub {
    /// Starts a server on 127.0.0.1 (a free port) serving `repos`; needs a tokio runtime.
    pub async fn start(
        repos: Vec<HubFixtureRepo>,
        config: HubMockConfig,
    ) -> std::io::Result<MockHub> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr: SocketAddr = listener.local_addr()?;
        let server = Arc::new(Server {
            base: format!("http://{addr}"),
            repos,
            config,
            counters: Counters::default(),
            limits: Mutex::new(Limits {
                reset: 0,
                used: 0,
                blocked_until: None,
            }),
            paths: Mutex::new(Vec::new()),
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
        Ok(MockHub { server, task })
    }

    /// The base URL to give the client: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.base.clone()
    }

    /// Counters so far.
    pub fn stats(&self) -> HubMockStats {
        let c = &self.server.counters;
        HubMockStats {
            requests: c.requests.load(Ordering::Relaxed),
            too_many: c.too_many.load(Ordering::Relaxed),
            early_requests: c.early.load(Ordering::Relaxed),
            deprecated_requests: c.deprecated.load(Ordering::Relaxed),
        }
    }

    /// The path and query of every request, in order of arrival.
    pub fn paths(&self) -> Vec<String> {
        self.server
            .paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Server {
    /// A 429 asking to wait until the Unix time `until` (also sent as the reset).
    fn too_many(&self, until: u64, header: RetryHeader) -> Answer {
        self.counters.too_many.fetch_add(1, Ordering::Relaxed);
        let secs = (until as f64 - epoch_f()).ceil().max(1.0) as u64;
        let mut r = json_answer(
            StatusCode::TOO_MANY_REQUESTS,
            json!({ "message": "Too Many Requests", "errinfo": {} }),
        );
        let h = r.headers_mut();
        match header {
            RetryHeader::XRetryAfter => {
                h.insert("x-retry-after", until.into());
            }
            RetryHeader::RetryAfter => {
                h.insert("retry-after", secs.into());
            }
            RetryHeader::None => {}
        }
        h.insert("x-ratelimit-remaining", 0u64.into());
        h.insert("x-ratelimit-reset", until.into());
        r
    }

    async fn handle(&self, req: Request<Incoming>) -> Answer {
        if !self.config.delay.is_zero() {
            tokio::time::sleep(self.config.delay).await;
        }
        let n = self.counters.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let path_and_query = req
            .uri()
            .path_and_query()
            .map_or_else(String::new, |p| p.to_string());
        self.paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(path_and_query);
        let (limit, remaining, reset) = {
            let mut limits = self.limits.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if let Some((_, until, header)) = limits.blocked_until.filter(|(u, ..)| *u > now) {
                self.counters.early.fetch_add(1, Ordering::Relaxed);
                return self.too_many(until, header);
            }
            if let Some(t) = self.config.too_many.iter().find(|t| t.on_request == n) {
                // Blocked until a whole Unix second, so the header says exactly when.
                let now_f = epoch_f();
                let until = (now_f + t.seconds as f64).ceil() as u64;
                let block = Duration::from_secs_f64((until as f64 - now_f).max(0.0));
                limits.blocked_until = Some((now + block, until, t.header));
                return self.too_many(until, t.header);
            }
            match self.config.limit {
                Some(l) => {
                    let now = epoch();
                    if now >= limits.reset {
                        limits.reset = now + l.window.as_secs_f64().ceil().max(1.0) as u64;
                        limits.used = 0;
                    }
                    if limits.used >= l.limit {
                        let mut r = self.too_many(limits.reset, self.config.retry_header);
                        r.headers_mut().insert("x-ratelimit-limit", l.limit.into());
                        return r;
                    }
                    limits.used += 1;
                    (l.limit, l.limit - limits.used, limits.reset)
                }
                None => (180, 179, epoch() + 60),
            }
        };
        let mut r = self.route(&req);
        let h = r.headers_mut();
        h.insert("x-ratelimit-limit", limit.into());
        h.insert("x-ratelimit-remaining", remaining.into());
        h.insert("x-ratelimit-reset", reset.into());
        r
    }

    fn route(&self, req: &Request<Incoming>) -> Answer {
        if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
            return json_answer(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({ "message": "method not allowed" }),
            );
        }
        let segs: Vec<&str> = req
            .uri()
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let param = |key: &str| {
            req.uri().query().unwrap_or("").split('&').find_map(|kv| {
                kv.strip_prefix(key)?
                    .strip_prefix('=')
                    .and_then(|v| v.parse::<u64>().ok())
            })
        };
        let find = |ns: &str, name: &str| {
            self.repos
                .iter()
                .find(|r| r.namespace == ns && r.name == name)
        };
        match segs.as_slice() {
            ["v2", "repositories", ..] => {
                self.counters.deprecated.fetch_add(1, Ordering::Relaxed);
                not_found()
            }
            ["v2", "namespaces", ns, "repositories", name] => match find(ns, name) {
                None => not_found(),
                Some(r) => json_answer(StatusCode::OK, self.repository_json(r)),
            },
            ["v2", "namespaces", ns, "repositories", name, "tags"] => {
                let Some(r) = find(ns, name) else {
                    return not_found();
                };
                let page = param("page").unwrap_or(1);
                let page_size = param("page_size").unwrap_or(10);
                if page == 0 || page_size == 0 || page_size > 100 {
                    return json_answer(
                        StatusCode::BAD_REQUEST,
                        json!({ "message": "page must be at least 1 and page_size 1 to 100", "errinfo": {} }),
                    );
                }
                let total = r.tags.len() as u64;
                let start = (page - 1).saturating_mul(page_size);
                if start >= total && page > 1 {
                    return not_found();
                }
                let end = (start + page_size).min(total);
                let url = |p: u64| {
                    json!(format!(
                        "{}/v2/namespaces/{ns}/repositories/{name}/tags?page={p}&page_size={page_size}",
                        self.base
                    ))
                };
                let results: Vec<Value> = r.tags[start as usize..end as usize]
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        json!({
                            "creator": 1, "id": start + i as u64 + 1,
                            "images": [{
                                "architecture": "amd64", "features": "", "variant": null,
                                "digest": t.digest, "os": "linux", "os_features": "",
                                "os_version": null, "size": t.full_size, "status": "active",
                                "last_pulled": t.last_pushed, "last_pushed": t.last_pushed,
                            }],
                            "last_updated": t.last_pushed, "last_updater": 1,
                            "last_updater_username": r.namespace, "name": t.name,
                            "repository": 1, "full_size": t.full_size, "v2": true,
                            "tag_status": "active", "tag_last_pulled": t.last_pushed,
                            "tag_last_pushed": t.last_pushed,
                            "media_type": "application/vnd.oci.image.index.v1+json",
                            "content_type": "image", "digest": t.digest,
                        })
                    })
                    .collect();
                json_answer(
                    StatusCode::OK,
                    json!({
                        "count": total,
                        "next": if end < total { url(page + 1) } else { Value::Null },
                        "previous": if page > 1 { url(page - 1) } else { Value::Null },
                        "results": results,
                    }),
                )
            }
            _ => not_found(),
        }
    }

    fn repository_json(&self, r: &HubFixtureRepo) -> Value {
        json!({
            "user": r.namespace, "name": r.name, "namespace": r.namespace,
            "repository_type": "image", "status": 1, "status_description": "active",
            "description": r.description, "is_private": false, "is_automated": false,
            "star_count": r.star_count, "pull_count": r.pull_count,
            "last_updated": r.last_updated, "last_modified": r.last_updated,
            "date_registered": r.date_registered, "collaborator_count": 0,
            "affiliation": null, "hub_user": r.namespace, "has_starred": false,
            "full_description": r.full_description,
            "permissions": { "read": true, "write": false, "admin": false },
            "media_types": ["application/vnd.oci.image.index.v1+json"],
            "content_types": ["image"], "categories": [],
            "storage_size": r.tags.iter().map(|t| t.full_size).sum::<u64>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_783), (2024, 3, 1));
        assert_eq!(civil(19_782), (2024, 2, 29));
    }
}
