//! Fetching a plan's slices ([`GitHub::search_slice`], [`GitHub::search_slice_pages`],
//! [`GitHub::search_slices_until`]): the repositories found, each slice's hits and pages, and
//! the totals of a run.

use std::collections::HashSet;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::plan::{SearchPlan, SearchSlice};
use super::{SearchError, SEARCH_CAP, SEARCH_PAGE_SIZE};
use crate::client::GitHub;
use crate::list::parse_repo_name;
use crate::snapshot::Event;

/// One repository found by search, as the search API describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// `owner/name`.
    pub full_name: String,
    /// GitHub's numeric id, stable across renames.
    pub id: u64,
    /// Creation time, ISO 8601.
    pub created_at: Option<String>,
    /// Last push, ISO 8601.
    pub pushed_at: Option<String>,
    /// Stars.
    pub stargazers_count: u64,
    /// Whether it is a fork.
    pub fork: bool,
    /// Whether it is archived.
    pub archived: bool,
    /// Primary language.
    pub language: Option<String>,
    /// Default branch.
    pub default_branch: Option<String>,
    /// Topics.
    pub topics: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Web page.
    pub html_url: String,
}

#[derive(Deserialize)]
struct HitJson {
    full_name: String,
    id: u64,
    created_at: Option<String>,
    pushed_at: Option<String>,
    #[serde(default)]
    stargazers_count: u64,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    archived: bool,
    language: Option<String>,
    default_branch: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
    description: Option<String>,
    #[serde(default)]
    html_url: String,
}

/// The hits of one slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliceHits {
    /// [`SearchSlice::index`].
    pub index: usize,
    /// The `q` sent.
    pub query: String,
    /// `total_count` now (first page); differs from the plan's when repositories came or went.
    pub total_count: u64,
    /// Whether any page answered `incomplete_results: true`.
    pub incomplete_results: bool,
    /// The repositories, each once, in GitHub's order.
    pub hits: Vec<SearchHit>,
    /// Pages fetched.
    pub pages: u64,
    /// Repositories seen again on a later page (GitHub's order shifted between pages).
    pub duplicates: u64,
    /// Items GitHub sent that are not readable repositories (skipped).
    pub invalid_items: u64,
    /// The slice now holds more than [`SEARCH_CAP`]: only the first 1,000 were fetched; plan
    /// its range again (`plan_search(base_query, created_from/until = the slice's range)`).
    pub over_cap: bool,
}

impl SliceHits {
    /// Results GitHub reported but that were not fetched (order shifts, or the cap).
    pub fn missing(&self) -> u64 {
        self.total_count.saturating_sub(self.hits.len() as u64)
    }
}

/// One page of a slice's hits, as [`GitHub::search_slice_pages`] hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlicePage {
    /// [`SearchSlice::index`].
    pub index: usize,
    /// The page number, 1-based.
    pub page: u64,
    /// `total_count` in this page's answer.
    pub total_count: u64,
    /// `incomplete_results` in this page's answer.
    pub incomplete_results: bool,
    /// The page's readable repositories, in GitHub's order (a repository may reappear on a
    /// later page when GitHub's order shifts: the caller keeps each id once).
    pub hits: Vec<SearchHit>,
    /// Items GitHub sent that are not readable repositories (skipped).
    pub invalid_items: u64,
    /// Whether this is the slice's last page (a short page, or the last the cap reaches).
    pub last: bool,
}

/// Totals of a [`GitHub::search_slices_until`] run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchSummary {
    /// Slices fetched and handed over.
    pub slices: usize,
    /// Slices skipped because the caller had them.
    pub skipped: usize,
    /// Hits handed over.
    pub hits: usize,
    /// HTTP requests sent (including retries).
    pub requests: u64,
    /// Whether it ended early (stop, or `Break`).
    pub stopped: bool,
}

impl GitHub {
    /// Fetches every hit of `slice` (up to 10 pages of 100), each repository once. A slice
    /// planned with a total of 0 is answered without a request. `stop` is asked every
    /// [`crate::STOP_POLL`]; a stopped slice yields [`SearchError::Stopped`] and nothing.
    pub async fn search_slice(
        &self,
        slice: &SearchSlice,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<SliceHits, SearchError> {
        let mut out = SliceHits {
            index: slice.index,
            query: slice.query.clone(),
            total_count: 0,
            incomplete_results: false,
            hits: Vec::new(),
            pages: 0,
            duplicates: 0,
            invalid_items: 0,
            over_cap: false,
        };
        let mut seen = HashSet::new();
        let pages = self
            .search_slice_pages(slice, 1, on_event, stop, |page| {
                if page.page == 1 {
                    out.total_count = page.total_count;
                    out.over_cap = page.total_count > SEARCH_CAP;
                }
                out.incomplete_results |= page.incomplete_results;
                out.invalid_items += page.invalid_items;
                for hit in page.hits {
                    if seen.insert(hit.id) {
                        out.hits.push(hit);
                    } else {
                        out.duplicates += 1;
                    }
                }
                ControlFlow::Continue(())
            })
            .await?;
        out.pages = pages;
        Ok(out)
    }

    /// Fetches the pages of `slice` from `first_page` (1-based) on, handing each to `on_page`
    /// as soon as it arrives, so a caller that stores each page in its own transaction resumes
    /// a killed slice at the page after the last one it stored and asks no page twice. Ends
    /// after the slice's last page (a short page, or the last one the 1,000 cap reaches), when
    /// `on_page` says `Break`, or with [`SearchError::Stopped`] when `stop` says true (the page
    /// in flight is dropped). A slice planned with a total of 0 gets one empty last page
    /// without a request; a `first_page` past the cap's last page gets nothing. Returns the
    /// pages requested.
    pub async fn search_slice_pages(
        &self,
        slice: &SearchSlice,
        first_page: u64,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
        mut on_page: impl FnMut(SlicePage) -> ControlFlow<()>,
    ) -> Result<u64, SearchError> {
        let mut page = first_page.max(1);
        if slice.total_count == 0 {
            let _ = on_page(SlicePage {
                index: slice.index,
                page,
                total_count: 0,
                incomplete_results: false,
                hits: Vec::new(),
                invalid_items: 0,
                last: true,
            });
            return Ok(0);
        }
        let cap_pages = SEARCH_CAP.div_ceil(SEARCH_PAGE_SIZE);
        let mut requested = 0u64;
        while page <= cap_pages {
            let answer = self
                .search_page(&slice.query, SEARCH_PAGE_SIZE, page, on_event, stop)
                .await?;
            requested += 1;
            let last_page = answer
                .total_count
                .min(SEARCH_CAP)
                .div_ceil(SEARCH_PAGE_SIZE);
            let n = answer.items.len() as u64;
            let mut out = SlicePage {
                index: slice.index,
                page,
                total_count: answer.total_count,
                incomplete_results: answer.incomplete_results,
                hits: Vec::with_capacity(answer.items.len()),
                invalid_items: 0,
                last: n < SEARCH_PAGE_SIZE || page >= last_page,
            };
            for item in answer.items {
                match hit_of(item) {
                    Some(hit) => out.hits.push(hit),
                    None => out.invalid_items += 1,
                }
            }
            let last = out.last;
            if on_page(out).is_break() || last {
                break;
            }
            page += 1;
        }
        Ok(requested)
    }

    /// Fetches the slices of `plan` one after another (search's rate limit makes concurrency
    /// pointless), skipping those `done` says the caller already has, handing each to
    /// `on_slice` as soon as it is complete. Ends when every slice is handed over, when
    /// `on_slice` says `Break`, or when `stop` says true (then the slice in flight is dropped
    /// and the summary says `stopped`); an error ends it with that error (earlier slices stay
    /// handed over).
    pub async fn search_slices_until(
        &self,
        plan: &SearchPlan,
        done: &(dyn Fn(usize) -> bool + Sync),
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
        mut on_slice: impl FnMut(SliceHits) -> ControlFlow<()>,
    ) -> Result<SearchSummary, SearchError> {
        let before = self.requests_sent();
        let mut summary = SearchSummary::default();
        for slice in &plan.slices {
            if done(slice.index) {
                summary.skipped += 1;
                continue;
            }
            if stop() {
                summary.stopped = true;
                break;
            }
            let hits = match self.search_slice(slice, on_event, stop).await {
                Ok(h) => h,
                Err(SearchError::Stopped) => {
                    summary.stopped = true;
                    break;
                }
                Err(e) => return Err(e),
            };
            summary.slices += 1;
            summary.hits += hits.hits.len();
            if on_slice(hits).is_break() {
                summary.stopped = true;
                break;
            }
        }
        summary.requests = self.requests_sent() - before;
        Ok(summary)
    }
}

fn hit_of(item: serde_json::Value) -> Option<SearchHit> {
    let h: HitJson = serde_json::from_value(item).ok()?;
    let full_name = parse_repo_name(&h.full_name).ok()?;
    Some(SearchHit {
        full_name,
        id: h.id,
        created_at: h.created_at,
        pushed_at: h.pushed_at,
        stargazers_count: h.stargazers_count,
        fork: h.fork,
        archived: h.archived,
        language: h.language,
        default_branch: h.default_branch,
        topics: h.topics,
        description: h.description,
        html_url: h.html_url,
    })
}
