//! A request's way in ([`Server::handle`]): the delay, the counters, the recorded search
//! requests and `Authorization` headers, then the rate limits (secondary, primary, and
//! search's own) with their `x-ratelimit-*` headers, before the endpoint answers.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderValue, AUTHORIZATION};
use http::{Request, StatusCode};
use hyper::body::Incoming;

use super::answers::{message, percent_decode, Answer};
use super::{Limits, SearchRequest, Server};

fn epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Server {
    pub(super) async fn handle(&self, req: Request<Incoming>) -> Answer {
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
}

fn rate_headers(r: &mut Answer, limit: u64, remaining: u64, reset: u64, resource: &'static str) {
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", limit.into());
    h.insert("x-ratelimit-remaining", remaining.into());
    h.insert("x-ratelimit-reset", reset.into());
    h.insert("x-ratelimit-used", (limit - remaining).into());
    h.insert("x-ratelimit-resource", HeaderValue::from_static(resource));
}
