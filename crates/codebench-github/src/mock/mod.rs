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
//!
//! This module holds the configuration, the counters and the server's state with its start;
//! each request's way in (counting, recording, rate limits) is in `limits.rs`, the endpoints
//! in `endpoints.rs`, and the answers' bodies, headers and encodings in `answers.rs`.

mod answers;
mod endpoints;
mod fixture;
mod limits;
mod objects;
mod search;

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

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
