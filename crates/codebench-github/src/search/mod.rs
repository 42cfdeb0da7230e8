//! Repository search (`GET /search/repositories`) past GitHub's 1,000-result cap, in two
//! resumable halves: [`GitHub::plan_search`] splits a query by `created:` ranges until every
//! slice's total is at most [`SEARCH_CAP`], and [`GitHub::search_slice`] fetches one slice's
//! hits.
//!
//! Resumption is the caller's: it stores each [`SearchCount`] as the planner hands it over
//! (and passes them back in [`PlanOptions::known`], so a killed plan asks GitHub no count
//! twice), stores the [`SearchPlan`], and stores each [`SliceHits`] as it arrives; after a
//! kill it fetches only the slices it has no hits for ([`GitHub::search_slices_until`] takes
//! the finished indexes). A caller that wants no page asked twice stores each page instead,
//! as [`GitHub::search_slice_pages`] hands it over and resumes a slice at the page after the
//! last one stored. Search has its own rate limit; waits are reported as [`Event::Waiting`]
//! whose `repo` is `search: <q>`.
//!
//! This module holds the constants, the error and the one search request every step sends;
//! the `q` and its `created:` ranges are read and written in `query.rs`, a query is counted and
//! split into slices in `plan.rs`, and a slice's hits are fetched page by page in `hits.rs`.

mod hits;
mod plan;
mod query;

use http::StatusCode;
use serde::Deserialize;

use crate::client::{GitHub, Reply, Resource, JSON};
use crate::fetch::until_stopped;
use crate::snapshot::{Event, FailureKind};

pub use hits::{SearchHit, SearchSummary, SliceHits, SlicePage};
pub use plan::{PlanOptions, SearchCount, SearchPlan, SearchSlice};
use query::search_path;
pub use query::CreatedRange;

/// GitHub answers at most this many results per search query (pages past it answer 422).
pub const SEARCH_CAP: u64 = 1000;
/// Results per page asked for (GitHub's maximum).
pub const SEARCH_PAGE_SIZE: u64 = 100;
/// The default start of the `created:` range split: before GitHub's first public repositories.
pub const DEFAULT_CREATED_FROM: &str = "2007-10-01T00:00:00Z";

/// Search answers larger than this are refused (a page of 100 repositories is about 600 KB).
const MAX_SEARCH_BYTES: u64 = 16 * 1024 * 1024;

/// Why a search step could not finish. [`SearchError::is_transient`] says whether trying the
/// same call again later may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// The stop check said stop; nothing after the last handed-over result was done.
    #[error("stopped")]
    Stopped,
    /// GitHub refused the query (422 Validation Failed), or it could not be planned (two
    /// `created:` qualifiers, an unreadable date, an empty range).
    #[error("invalid search query {query:?}: {message}")]
    InvalidQuery {
        /// The `q` concerned.
        query: String,
        /// GitHub's message, or what is wrong.
        message: String,
    },
    /// Planning needed more count requests than [`PlanOptions::max_counts`].
    #[error("planning {query:?} needs more than {max} count requests; narrow the query")]
    TooManySlices {
        /// The query planned.
        query: String,
        /// The bound.
        max: u64,
    },
    /// A request failed (rate limit past the retry budget, network, HTTP, unreadable answer).
    #[error("search {query:?}: {message}")]
    Failed {
        /// The `q` concerned.
        query: String,
        /// Why, as a kind.
        kind: FailureKind,
        /// Why, for people.
        message: String,
    },
}

impl SearchError {
    /// Whether trying again later may succeed (a stop, rate limit, network, server error).
    pub fn is_transient(&self) -> bool {
        match self {
            SearchError::Stopped => true,
            SearchError::Failed { kind, .. } => kind.is_transient(),
            SearchError::InvalidQuery { .. } | SearchError::TooManySlices { .. } => false,
        }
    }
}

#[derive(Deserialize)]
struct SearchJson {
    total_count: u64,
    #[serde(default)]
    incomplete_results: bool,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

impl GitHub {
    /// One search request; `Ok(None)` means the stop check said stop.
    async fn search_page(
        &self,
        q: &str,
        per_page: u64,
        page: u64,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<SearchJson, SearchError> {
        let label = format!("search: {q}");
        let path = search_path(q, per_page, page);
        let request = self.get_on(
            Resource::Search,
            &label,
            &path,
            JSON,
            MAX_SEARCH_BYTES,
            on_event,
        );
        let reply = until_stopped(request, stop)
            .await
            .ok_or(SearchError::Stopped)?
            .map_err(|e| SearchError::Failed {
                query: q.to_string(),
                kind: e.kind,
                message: e.message,
            })?;
        search_json(q, &reply)
    }
}

fn search_json(q: &str, reply: &Reply) -> Result<SearchJson, SearchError> {
    let failed = |kind: FailureKind, message: String| SearchError::Failed {
        query: q.to_string(),
        kind,
        message,
    };
    match reply.status {
        StatusCode::OK => {}
        StatusCode::UNPROCESSABLE_ENTITY => {
            return Err(SearchError::InvalidQuery {
                query: q.to_string(),
                message: reply.message(),
            })
        }
        StatusCode::FORBIDDEN => return Err(failed(FailureKind::Forbidden, reply.message())),
        _ => return Err(failed(FailureKind::Http, reply.message())),
    }
    let body = reply.body.as_deref().ok_or_else(|| {
        failed(
            FailureKind::InvalidResponse,
            format!("answer larger than {MAX_SEARCH_BYTES} bytes"),
        )
    })?;
    serde_json::from_slice(body).map_err(|e| failed(FailureKind::InvalidResponse, e.to_string()))
}
