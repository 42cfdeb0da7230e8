//! A local GitHub look-alike on 127.0.0.1 that speaks the REST shapes the client uses
//! (repository, commits, git trees and blobs, readme, the commits and releases lists with
//! `Link` pagination, repository search), with the behaviours an import and a selection must
//! survive: rate limits (primary, secondary, and search's own), truncated trees, 301 renames,
//! 404, 451, empty repositories, search's 1,000-result cap (422 past it), and a delay on every
//! answer for benchmarks.
//!
//! Payloads follow GitHub's REST documentation (API version 2022-11-28); fields the client
//! does not read are kept to a few for realism. Shared by this crate's tests and bench, the
//! core's and the CLI's tests, and the `github-mock` binary.

mod fixture;
mod objects;
mod search;

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, LOCATION};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

pub use fixture::{Fixture, FixtureRepo, RepoState, TOPIC_CREATED_FROM, TOPIC_CREATED_SPAN};
use objects::RepoObjects;

/// A primary rate limit: `limit` requests per window of `window` (rounded up to seconds).
#[derive(Debug, Clone, Copy)]
pub struct PrimaryLimit {
    /// Requests per window.
    pub limit: u64,
    /// Window length.
    pub window: Duration,
}

/// A secondary rate limit triggered by the `on_request`-th request (1-based, counted over the
/// whole server): it answers `status` (403 or 429) and, for `retry_after`, blocks every request
/// for that long (requests arriving meanwhile are refused too and counted as early).
#[derive(Debug, Clone, Copy)]
pub struct SecondaryLimit {
    /// Which request trips it.
    pub on_request: u64,
    /// 403 or 429.
    pub status: u16,
    /// Seconds in the `retry-after` header; `None` sends no header (client falls back).
    pub retry_after: Option<u64>,
}

/// How the server behaves beyond its fixture.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// Added before every answer.
    pub delay: Duration,
    /// A primary rate limit; without one, headers say 5000 per hour, never spent.
    pub primary: Option<PrimaryLimit>,
    /// Secondary limits.
    pub secondary: Vec<SecondaryLimit>,
    /// Recursive tree listings with more entries than this answer `truncated: true` with the
    /// first entries only (GitHub's limit is 100,000 entries or 7 MB).
    pub tree_entry_limit: Option<usize>,
    /// Search's own quota (GitHub: 30 a minute with a token, 10 without); without one,
    /// search headers say 30 a minute, never spent. Search requests do not count against
    /// [`MockConfig::primary`], nor other requests against this.
    pub search: Option<PrimaryLimit>,
}

/// One search request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// The decoded `q`.
    pub q: String,
    /// `page` (1 when absent).
    pub page: u64,
    /// `per_page` (30 when absent).
    pub per_page: u64,
}

/// GitHub's cap on reachable search results.
const SEARCH_CAP: usize = 1000;

/// Counters read by tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MockStats {
    /// Requests answered.
    pub requests: u64,
    /// Requests refused because the primary quota was spent.
    pub primary_refusals: u64,
    /// Requests that tripped a secondary limit.
    pub secondary_trips: u64,
    /// Requests that arrived while a secondary limit's `retry-after` was running.
    pub early_requests: u64,
    /// 301 answers sent.
    pub redirects: u64,
    /// Search requests received (refused ones included).
    pub search_requests: u64,
    /// Search requests refused because the search quota was spent.
    pub search_refusals: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    primary_refusals: AtomicU64,
    secondary_trips: AtomicU64,
    early_requests: AtomicU64,
    redirects: AtomicU64,
    search_requests: AtomicU64,
    search_refusals: AtomicU64,
}

struct Limits {
    /// Epoch second at which the primary window resets, and requests used in it.
    reset: u64,
    used: u64,
    /// The same for the search quota.
    search_reset: u64,
    search_used: u64,
    /// Secondary block.
    blocked_until: Option<Instant>,
}

struct Server {
    base: String,
    config: MockConfig,
    repos: Vec<RepoObjects>,
    by_name: HashMap<String, usize>,
    by_old_name: HashMap<String, usize>,
    by_id: HashMap<u64, usize>,
    counters: Counters,
    limits: Mutex<Limits>,
    authorizations: Mutex<BTreeSet<String>>,
    searches: Mutex<Vec<SearchRequest>>,
}

/// A running mock server; stops when dropped.
pub struct MockGitHub {
    addr: SocketAddr,
    server: Arc<Server>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, content_type: &str, body: Vec<u8>) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn json_answer(status: StatusCode, value: Value) -> Answer {
    answer(
        status,
        "application/json; charset=utf-8",
        value.to_string().into_bytes(),
    )
}

fn message(status: StatusCode, text: &str) -> Answer {
    json_answer(
        status,
        json!({
            "message": text,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.as_u16().to_string(),
        }),
    )
}

/// Item indexes `[from, to)` of `page` (1-based) of a list of `total`.
fn page_bounds(page: u64, per_page: u64, total: u64) -> (u64, u64) {
    let from = (page - 1).saturating_mul(per_page).min(total);
    (from, from.saturating_add(per_page).min(total))
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl MockGitHub {
    /// Starts a server on 127.0.0.1 (a free port) serving `fixture`; requires a tokio runtime.
    pub async fn start(fixture: Fixture, config: MockConfig) -> std::io::Result<MockGitHub> {
        Self::start_on(fixture, config, 0).await
    }

    /// Like [`MockGitHub::start`] on a chosen port (0 for any).
    pub async fn start_on(
        fixture: Fixture,
        config: MockConfig,
        port: u16,
    ) -> std::io::Result<MockGitHub> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let fixture = Fixture::new(fixture.repos);
        let mut by_name = HashMap::new();
        let mut by_old_name = HashMap::new();
        let mut by_id = HashMap::new();
        let mut repos = Vec::new();
        for (i, repo) in fixture.repos.into_iter().enumerate() {
            by_name.insert(repo.full_name.to_ascii_lowercase(), i);
            for old in &repo.renamed_from {
                by_old_name.insert(old.to_ascii_lowercase(), i);
            }
            by_id.insert(repo.id, i);
            repos.push(RepoObjects::build(repo));
        }
        let server = Arc::new(Server {
            base: format!("http://{addr}"),
            config,
            repos,
            by_name,
            by_old_name,
            by_id,
            counters: Counters::default(),
            limits: Mutex::new(Limits {
                reset: 0,
                used: 0,
                search_reset: 0,
                search_used: 0,
                blocked_until: None,
            }),
            authorizations: Mutex::new(BTreeSet::new()),
            searches: Mutex::new(Vec::new()),
        });
        let accept_server = Arc::clone(&server);
        let task = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors or similar: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let server = Arc::clone(&accept_server);
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
        Ok(MockGitHub { addr, server, task })
    }

    /// The base URL to give the client: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.base.clone()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Counters so far.
    pub fn stats(&self) -> MockStats {
        let c = &self.server.counters;
        MockStats {
            requests: c.requests.load(Ordering::Relaxed),
            primary_refusals: c.primary_refusals.load(Ordering::Relaxed),
            secondary_trips: c.secondary_trips.load(Ordering::Relaxed),
            early_requests: c.early_requests.load(Ordering::Relaxed),
            redirects: c.redirects.load(Ordering::Relaxed),
            search_requests: c.search_requests.load(Ordering::Relaxed),
            search_refusals: c.search_refusals.load(Ordering::Relaxed),
        }
    }

    /// Every search request received (refused ones included), in order of arrival.
    pub fn searches(&self) -> Vec<SearchRequest> {
        self.server
            .searches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Every distinct `Authorization` header received (tests check the token is sent).
    pub fn authorizations(&self) -> Vec<String> {
        self.server
            .authorizations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

impl Server {
    async fn handle(&self, req: Request<Incoming>) -> Answer {
        if !self.config.delay.is_zero() {
            tokio::time::sleep(self.config.delay).await;
        }
        let n = self.counters.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let is_search = req.uri().path().starts_with("/search/");
        let search_request = is_search.then(|| {
            self.counters
                .search_requests
                .fetch_add(1, Ordering::Relaxed);
            let query = req.uri().query().unwrap_or("");
            let get = |key: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                    .map(|v| percent_decode(&v.replace('+', " ")))
            };
            // An unreadable number reads as 0, which the search answers with 422.
            let number = |key: &str, default: u64| {
                get(key)
                    .map_or(Some(default), |v| v.parse().ok())
                    .unwrap_or(0)
            };
            let request = SearchRequest {
                q: get("q").unwrap_or_default(),
                page: number("page", 1),
                per_page: number("per_page", 30),
            };
            self.searches
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(request.clone());
            request
        });
        let resource = if is_search { "search" } else { "core" };
        if let Some(auth) = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            self.authorizations
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(auth.to_string());
        }
        let (remaining, reset, limit) = {
            let mut limits = self.limits.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            // Secondary limits.
            if let Some(until) = limits.blocked_until.filter(|u| *u > now) {
                self.counters.early_requests.fetch_add(1, Ordering::Relaxed);
                let secs = (until - now).as_secs_f64().ceil() as u64;
                let mut r = message(
                    StatusCode::FORBIDDEN,
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                );
                r.headers_mut().insert("retry-after", secs.max(1).into());
                return r;
            }
            if let Some(s) = self.config.secondary.iter().find(|s| s.on_request == n) {
                self.counters
                    .secondary_trips
                    .fetch_add(1, Ordering::Relaxed);
                let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::FORBIDDEN);
                let mut r = message(
                    status,
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                );
                if let Some(secs) = s.retry_after {
                    limits.blocked_until = Some(now + Duration::from_secs(secs));
                    r.headers_mut().insert("retry-after", secs.into());
                }
                return r;
            }
            // Primary limit, or search's own.
            let (quota, default, refusals) = if is_search {
                (
                    self.config.search,
                    (29, epoch() + 60, 30),
                    &self.counters.search_refusals,
                )
            } else {
                (
                    self.config.primary,
                    (4999, epoch() + 3600, 5000),
                    &self.counters.primary_refusals,
                )
            };
            let Limits {
                reset: core_reset,
                used: core_used,
                search_reset,
                search_used,
                ..
            } = &mut *limits;
            let (window_reset, used) = if is_search {
                (search_reset, search_used)
            } else {
                (core_reset, core_used)
            };
            match quota {
                Some(p) => {
                    let now = epoch();
                    if now >= *window_reset {
                        *window_reset = now + p.window.as_secs_f64().ceil().max(1.0) as u64;
                        *used = 0;
                    }
                    if *used >= p.limit {
                        refusals.fetch_add(1, Ordering::Relaxed);
                        let mut r = message(
                            StatusCode::FORBIDDEN,
                            "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit.)",
                        );
                        rate_headers(&mut r, p.limit, 0, *window_reset, resource);
                        return r;
                    }
                    *used += 1;
                    (p.limit - *used, *window_reset, p.limit)
                }
                None => default,
            }
        };
        let mut resp = match search_request {
            Some(request) => self.search(&req, request),
            None => self.route(&req),
        };
        rate_headers(&mut resp, limit, remaining, reset, resource);
        resp
    }

    /// `GET /search/repositories`.
    fn search(&self, req: &Request<Incoming>, request: SearchRequest) -> Answer {
        if req.uri().path().trim_end_matches('/') != "/search/repositories" {
            return message(StatusCode::NOT_FOUND, "Not Found");
        }
        let invalid = |text: &str| {
            json_answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "message": "Validation Failed",
                    "errors": [{ "resource": "Search", "field": "q", "code": "invalid", "message": text }],
                    "documentation_url": "https://docs.github.com/v3/search",
                    "status": "422",
                }),
            )
        };
        if request.q.trim().is_empty() {
            return invalid("q is missing");
        }
        let query = match search::Query::parse(&request.q) {
            Ok(q) => q,
            Err(e) => return invalid(&e),
        };
        let (page, per_page) = (request.page, request.per_page);
        if page == 0 || per_page == 0 {
            return invalid("page and per_page must be positive");
        }
        let per_page = per_page.min(100) as usize;
        let start = (page as usize - 1).saturating_mul(per_page);
        if start >= SEARCH_CAP {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Only the first 1000 search results are available",
            );
        }
        // "Best match", made deterministic: most stars first, then oldest id.
        let mut found: Vec<&RepoObjects> = self
            .repos
            .iter()
            .filter(|o| query.matches(&o.repo))
            .collect();
        found.sort_by(|a, b| {
            b.repo
                .stars
                .cmp(&a.repo.stars)
                .then(a.repo.id.cmp(&b.repo.id))
        });
        let total = found.len();
        let end = (start + per_page).min(total).min(SEARCH_CAP);
        let items: Vec<Value> = found
            .get(start..end.max(start))
            .unwrap_or_default()
            .iter()
            .map(|o| {
                let mut v = self.repo_json(&o.repo, o);
                v["score"] = json!(1.0);
                v
            })
            .collect();
        let mut r = json_answer(
            StatusCode::OK,
            json!({ "total_count": total, "incomplete_results": false, "items": items }),
        );
        let last = total.min(SEARCH_CAP).div_ceil(per_page).max(1) as u64;
        let q = utf8_percent_encode(&request.q, NON_ALPHANUMERIC).to_string();
        let url = |p: u64| {
            format!(
                "{}/search/repositories?q={q}&per_page={per_page}&page={p}",
                self.base
            )
        };
        link_header(&mut r, page, last, url);
        r
    }

    fn route(&self, req: &Request<Incoming>) -> Answer {
        let path = req.uri().path();
        let query = req.uri().query().unwrap_or("");
        let raw = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/vnd.github.raw"));
        let wants_sha = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/vnd.github.sha"));
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (index, rest) = match segs.as_slice() {
            ["repos", owner, name, rest @ ..] => {
                let key = format!("{owner}/{name}").to_ascii_lowercase();
                if let Some(&i) = self.by_name.get(&key) {
                    (i, rest)
                } else if let Some(&i) = self.by_old_name.get(&key) {
                    self.counters.redirects.fetch_add(1, Ordering::Relaxed);
                    let id = self.repos[i].repo.id;
                    let mut location = format!("{}/repositories/{id}", self.base);
                    for r in rest {
                        location.push('/');
                        location.push_str(r);
                    }
                    if !query.is_empty() {
                        location.push('?');
                        location.push_str(query);
                    }
                    let mut r = message(StatusCode::MOVED_PERMANENTLY, "Moved Permanently");
                    if let Ok(v) = HeaderValue::from_str(&location) {
                        r.headers_mut().insert(LOCATION, v);
                    }
                    return r;
                } else {
                    return message(StatusCode::NOT_FOUND, "Not Found");
                }
            }
            ["repositories", id, rest @ ..] => {
                match id.parse::<u64>().ok().and_then(|id| self.by_id.get(&id)) {
                    Some(&i) => (i, rest),
                    None => return message(StatusCode::NOT_FOUND, "Not Found"),
                }
            }
            _ => return message(StatusCode::NOT_FOUND, "Not Found"),
        };
        let objects = &self.repos[index];
        let repo = &objects.repo;
        if repo.state == RepoState::Blocked {
            return json_answer(
                StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
                json!({
                    "message": "Repository access blocked",
                    "block": {
                        "reason": "dmca",
                        "created_at": "2021-03-01T00:00:00Z",
                        "html_url": "https://github.com/github/dmca/blob/master/2021/03/fictional.md"
                    }
                }),
            );
        }
        let param = |key: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .map(percent_decode)
        };
        let empty = || message(StatusCode::CONFLICT, "Git Repository is empty.");
        let list_page = || {
            let per_page = param("per_page")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(30)
                .clamp(1, 100);
            let page = param("page")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
                .max(1);
            (page, per_page)
        };
        let list_url = |what: &'static str, per_page: u64| {
            let (base, id) = (self.base.clone(), repo.id);
            move |p: u64| format!("{base}/repositories/{id}/{what}?per_page={per_page}&page={p}")
        };
        match rest {
            [] => json_answer(StatusCode::OK, self.repo_json(repo, objects)),
            ["commits"] => {
                let Some(commit) = &objects.commit else {
                    return empty();
                };
                let (page, per_page) = list_page();
                let (from, to) = page_bounds(page, per_page, repo.commits);
                let items: Vec<Value> = (from..to)
                    .map(|i| {
                        let sha = if i == 0 {
                            commit.clone()
                        } else {
                            crate::git::object_sha("commit", format!("{}#{i}", repo.full_name).as_bytes())
                        };
                        json!({
                            "sha": sha,
                            "commit": { "message": format!("commit {i}") },
                            "html_url": format!("https://github.com/{}/commit/{sha}", repo.full_name),
                        })
                    })
                    .collect();
                let mut r = json_answer(StatusCode::OK, Value::Array(items));
                let last = repo.commits.div_ceil(per_page).max(1);
                link_header(&mut r, page, last, list_url("commits", per_page));
                r
            }
            ["releases"] => {
                let (page, per_page) = list_page();
                let (from, to) = page_bounds(page, per_page, repo.releases);
                let items: Vec<Value> = (from..to)
                    .map(|i| {
                        let tag = format!("v0.{}", repo.releases - i);
                        json!({
                            "id": repo.id * 1000 + i,
                            "tag_name": tag,
                            "name": tag,
                            "draft": false,
                            "prerelease": false,
                            "created_at": repo.pushed_at,
                            "published_at": repo.pushed_at,
                            "html_url": format!("https://github.com/{}/releases/tag/{tag}", repo.full_name),
                        })
                    })
                    .collect();
                let mut r = json_answer(StatusCode::OK, Value::Array(items));
                let last = repo.releases.div_ceil(per_page).max(1);
                link_header(&mut r, page, last, list_url("releases", per_page));
                r
            }
            ["commits", reference @ ..] if !reference.is_empty() => {
                let Some(commit) = &objects.commit else {
                    return empty();
                };
                let reference = percent_decode(&reference.join("/"));
                if reference != repo.default_branch && reference != *commit {
                    return message(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &format!("No commit found for SHA: {reference}"),
                    );
                }
                if wants_sha {
                    answer(
                        StatusCode::OK,
                        "application/vnd.github.sha; charset=utf-8",
                        commit.clone().into_bytes(),
                    )
                } else {
                    json_answer(
                        StatusCode::OK,
                        json!({
                            "sha": commit,
                            "commit": {
                                "tree": { "sha": objects.root_tree },
                                "message": repo.full_name,
                            },
                            "html_url": format!("https://github.com/{}/commit/{commit}", repo.full_name),
                        }),
                    )
                }
            }
            ["git", "trees", sha] => {
                if objects.commit.is_none() {
                    return empty();
                }
                let recursive =
                    param("recursive").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
                // A branch name stands for its commit, as on GitHub.
                let branch = percent_decode(sha);
                let sha = match &objects.commit {
                    Some(c) if branch == repo.default_branch => c.as_str(),
                    _ => *sha,
                };
                let Some(mut entries) = objects.listing(sha, recursive) else {
                    return message(StatusCode::NOT_FOUND, "Not Found");
                };
                let mut truncated = false;
                if let Some(limit) = self.config.tree_entry_limit.filter(|_| recursive) {
                    if entries.len() > limit {
                        entries.truncate(limit);
                        truncated = true;
                    }
                }
                let tree_sha = if Some(sha) == objects.commit.as_deref() {
                    objects.root_tree.clone().unwrap_or_default()
                } else {
                    sha.to_string()
                };
                let api = format!("{}/repos/{}", self.base, repo.full_name);
                let tree: Vec<Value> = entries
                    .iter()
                    .map(|e| {
                        let url = if e.kind == "tree" {
                            format!("{api}/git/trees/{}", e.sha)
                        } else {
                            format!("{api}/git/blobs/{}", e.sha)
                        };
                        let mut v = json!({
                            "path": e.name, "mode": e.mode, "type": e.kind, "sha": e.sha, "url": url,
                        });
                        if let Some(size) = e.size {
                            v["size"] = size.into();
                        }
                        v
                    })
                    .collect();
                json_answer(
                    StatusCode::OK,
                    json!({
                        "sha": tree_sha,
                        "url": format!("{api}/git/trees/{tree_sha}"),
                        "tree": tree,
                        "truncated": truncated,
                    }),
                )
            }
            ["git", "blobs", sha] => match objects.blobs.get(*sha) {
                None => message(StatusCode::NOT_FOUND, "Not Found"),
                Some(bytes) if raw => {
                    answer(StatusCode::OK, "application/vnd.github.raw", bytes.clone())
                }
                Some(bytes) => json_answer(
                    StatusCode::OK,
                    json!({
                        "sha": sha, "node_id": "", "size": bytes.len(),
                        "url": format!("{}/repos/{}/git/blobs/{sha}", self.base, repo.full_name),
                        "content": base64(bytes), "encoding": "base64",
                    }),
                ),
            },
            ["readme"] => {
                if let Some(r) = param("ref") {
                    if objects.commit.as_deref() != Some(r.as_str()) && r != repo.default_branch {
                        return message(
                            StatusCode::NOT_FOUND,
                            &format!("No commit found for the ref {r}"),
                        );
                    }
                }
                let Some((path, bytes)) = objects.readme_bytes() else {
                    return message(StatusCode::NOT_FOUND, "Not Found");
                };
                if raw {
                    answer(StatusCode::OK, "application/vnd.github.raw", bytes.to_vec())
                } else {
                    let sha = crate::git::blob_sha(bytes);
                    json_answer(
                        StatusCode::OK,
                        json!({
                            "type": "file", "encoding": "base64", "size": bytes.len(),
                            "name": path, "path": path, "content": base64(bytes), "sha": sha,
                            "url": format!("{}/repos/{}/contents/{path}", self.base, repo.full_name),
                        }),
                    )
                }
            }
            _ => message(StatusCode::NOT_FOUND, "Not Found"),
        }
    }

    fn repo_json(&self, repo: &FixtureRepo, objects: &RepoObjects) -> Value {
        let (owner, _) = repo
            .full_name
            .split_once('/')
            .unwrap_or((&repo.full_name, ""));
        let size: u64 = repo
            .files
            .iter()
            .map(|(_, c, _)| c.len() as u64)
            .sum::<u64>()
            .div_ceil(1024);
        json!({
            "id": repo.id,
            "node_id": format!("R_fixture{}", repo.id),
            "name": repo.full_name.split_once('/').map_or("", |(_, n)| n),
            "full_name": repo.full_name,
            "private": false,
            "owner": { "login": owner, "type": "Organization" },
            "html_url": format!("https://github.com/{}", repo.full_name),
            "url": format!("{}/repos/{}", self.base, repo.full_name),
            "description": repo.description,
            "fork": repo.fork,
            "homepage": null,
            "size": if objects.commit.is_some() { size } else { 0 },
            "stargazers_count": repo.stars,
            "watchers_count": repo.stars,
            "subscribers_count": repo.watchers,
            "language": repo.language,
            "forks_count": repo.forks,
            "open_issues_count": repo.open_issues,
            "license": repo.license.as_ref().map(|l| json!({ "key": l.to_ascii_lowercase(), "name": l, "spdx_id": l })),
            "topics": repo.topics,
            "archived": repo.archived,
            "disabled": false,
            "visibility": "public",
            "default_branch": repo.default_branch,
            "created_at": repo.created_at,
            "updated_at": repo.pushed_at,
            "pushed_at": if objects.commit.is_some() { json!(repo.pushed_at) } else { Value::Null },
        })
    }
}

fn rate_headers(r: &mut Answer, limit: u64, remaining: u64, reset: u64, resource: &'static str) {
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", limit.into());
    h.insert("x-ratelimit-remaining", remaining.into());
    h.insert("x-ratelimit-reset", reset.into());
    h.insert("x-ratelimit-used", (limit - remaining).into());
    h.insert("x-ratelimit-resource", HeaderValue::from_static(resource));
}

/// GitHub's pagination header: `next`, `last`, `first` and `prev` where they apply.
fn link_header(r: &mut Answer, page: u64, last: u64, url: impl Fn(u64) -> String) {
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", url(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", url(1)));
        links.push(format!("<{}>; rel=\"prev\"", url((page - 1).min(last))));
    }
    if links.is_empty() {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        r.headers_mut().insert(http::header::LINK, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("feature%2Fx%20y"), "feature/x y");
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
    }
}
