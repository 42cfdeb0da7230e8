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

use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use http::StatusCode;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use crate::client::{GitHub, Reply, Resource, JSON};
use crate::fetch::until_stopped;
use crate::list::parse_repo_name;
use crate::snapshot::{Event, FailureKind};

/// GitHub answers at most this many results per search query (pages past it answer 422).
pub const SEARCH_CAP: u64 = 1000;
/// Results per page asked for (GitHub's maximum).
pub const SEARCH_PAGE_SIZE: u64 = 100;
/// The default start of the `created:` range split: before GitHub's first public repositories.
pub const DEFAULT_CREATED_FROM: &str = "2007-10-01T00:00:00Z";

/// Search answers larger than this are refused (a page of 100 repositories is about 600 KB).
const MAX_SEARCH_BYTES: u64 = 16 * 1024 * 1024;
/// Longest query accepted (GitHub's own limit is 256 characters without qualifiers' operators).
const MAX_QUERY_CHARS: usize = 1024;
/// The timestamp format of `created:` qualifiers and [`CreatedRange`] bounds.
const STAMP: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Characters percent-encoded in `q`: everything but unreserved characters.
const Q_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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

/// An inclusive `created:` range to the second, in UTC, written `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreatedRange {
    /// First second included.
    pub from: String,
    /// Last second included.
    pub to: String,
}

impl CreatedRange {
    /// A range from two instants (inclusive).
    fn of(from: DateTime<Utc>, to: DateTime<Utc>) -> CreatedRange {
        CreatedRange {
            from: from.format(STAMP).to_string(),
            to: to.format(STAMP).to_string(),
        }
    }

    /// The bounds as instants, or `None` when they are not in the range format.
    fn bounds(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let parse = |s: &str| {
            NaiveDateTime::parse_from_str(s, STAMP)
                .ok()
                .map(|n| n.and_utc())
        };
        Some((parse(&self.from)?, parse(&self.to)?))
    }

    /// The qualifier GitHub reads: `created:FROM..TO`.
    pub fn qualifier(&self) -> String {
        format!("created:{}..{}", self.from, self.to)
    }

    /// Whether `timestamp` (ISO 8601, as GitHub writes `created_at`) falls in the range.
    pub fn contains(&self, timestamp: &str) -> bool {
        match (self.bounds(), parse_instant(timestamp)) {
            (Some((from, to)), Some(t)) => from <= t && t <= to,
            _ => false,
        }
    }
}

/// One `q` counted while planning: GitHub's `total_count` for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchCount {
    /// The `q` sent (the key for [`PlanOptions::known`]).
    pub query: String,
    /// `total_count`.
    pub total_count: u64,
    /// `incomplete_results`: GitHub timed out and the total may be low.
    pub incomplete_results: bool,
}

/// One slice of a plan: a `q` whose results are all reachable (at most [`SEARCH_CAP`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchSlice {
    /// Position in the plan, 0-based, in `created:` order: the caller's key for the slice.
    pub index: usize,
    /// The slice's range, or `None` when the whole query is one slice (no qualifier added).
    pub created: Option<CreatedRange>,
    /// The `q` to send.
    pub query: String,
    /// `total_count` when planned.
    pub total_count: u64,
    /// More than [`SEARCH_CAP`] repositories were created within one second, so the slice
    /// could not be split: only its first 1,000 results are reachable.
    pub over_cap: bool,
}

/// How a query was split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPlan {
    /// The query as given.
    pub query: String,
    /// The query without its `created:` qualifier (slices add their own).
    pub base_query: String,
    /// The `created:` range the slices cover (the query's own, within the plan options).
    pub created: CreatedRange,
    /// GitHub's `total_count` for the query as given.
    pub total_count: u64,
    /// Whether any count answered `incomplete_results: true`.
    pub incomplete_results: bool,
    /// The slices, in `created:` order, covering [`SearchPlan::created`] without overlap.
    pub slices: Vec<SearchSlice>,
    /// Count requests sent by this call (0 when every count came from [`PlanOptions::known`]).
    pub counts_asked: u64,
    /// Counts taken from [`PlanOptions::known`] instead of asking.
    pub counts_reused: u64,
}

impl SearchPlan {
    /// The sum of the slices' totals (equals [`SearchPlan::total_count`] unless repositories
    /// were created after the range's end or GitHub's counts moved while planning).
    pub fn slices_total(&self) -> u64 {
        self.slices.iter().map(|s| s.total_count).sum()
    }
}

/// What [`GitHub::plan_search`] splits and what it may reuse.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Start of the range split, ISO 8601; `None` means [`DEFAULT_CREATED_FROM`]. A `created:`
    /// qualifier in the query narrows it further.
    pub created_from: Option<String>,
    /// End of the range, ISO 8601; `None` means now. Record it: a re-plan with the same end
    /// gives the same slices.
    pub created_until: Option<String>,
    /// Counts from an earlier, interrupted plan (`q` → count): not asked again.
    pub known: BTreeMap<String, SearchCount>,
    /// Count requests allowed per plan; 0 means 2,000.
    pub max_counts: u64,
}

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

#[derive(Deserialize)]
struct SearchJson {
    total_count: u64,
    #[serde(default)]
    incomplete_results: bool,
    #[serde(default)]
    items: Vec<serde_json::Value>,
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

/// Reads an ISO 8601 instant as GitHub and users write them: `YYYY-MM-DD` (its first second),
/// `YYYY-MM-DDTHH:MM:SS` (UTC) or RFC 3339 with `Z` or an offset.
fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        return Some(t.and_utc());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

/// The last second of the bound `s`: the day's last second for a bare date.
fn parse_upper(s: &str) -> Option<DateTime<Utc>> {
    let t = parse_instant(s)?;
    if s.trim().len() == 10 {
        Some(t + chrono::Duration::seconds(86_399))
    } else {
        Some(t)
    }
}

/// A `created:` value as an inclusive range; open ends are `None`.
#[allow(clippy::type_complexity)]
fn parse_created(value: &str) -> Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let one = chrono::Duration::seconds(1);
    if let Some((a, b)) = value.split_once("..") {
        let from = if a == "*" {
            None
        } else {
            Some(parse_instant(a)?)
        };
        let to = if b == "*" {
            None
        } else {
            Some(parse_upper(b)?)
        };
        return Some((from, to));
    }
    if let Some(v) = value.strip_prefix(">=") {
        return Some((Some(parse_instant(v)?), None));
    }
    if let Some(v) = value.strip_prefix("<=") {
        return Some((None, Some(parse_upper(v)?)));
    }
    if let Some(v) = value.strip_prefix('>') {
        return Some((Some(parse_upper(v)? + one), None));
    }
    if let Some(v) = value.strip_prefix('<') {
        return Some((None, Some(parse_instant(v)? - one)));
    }
    Some((Some(parse_instant(value)?), Some(parse_upper(value)?)))
}

/// Splits `q` into terms, keeping quoted parts (`language:"Jupyter Notebook"`) whole.
fn terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The query without its `created:` qualifier, and that qualifier's value.
fn split_created(query: &str) -> Result<(String, Option<String>), String> {
    let mut base = Vec::new();
    let mut created = None;
    for term in terms(query) {
        let lower = term.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("created:") {
            if created.is_some() {
                return Err("more than one created: qualifier".into());
            }
            created = Some(value.trim_matches('"').to_string());
        } else {
            base.push(term);
        }
    }
    Ok((base.join(" "), created))
}

/// `base` with `qualifier` appended.
fn with_qualifier(base: &str, qualifier: &str) -> String {
    if base.is_empty() {
        qualifier.to_string()
    } else {
        format!("{base} {qualifier}")
    }
}

fn search_path(q: &str, per_page: u64, page: u64) -> String {
    format!(
        "/search/repositories?q={}&per_page={per_page}&page={page}",
        utf8_percent_encode(q, Q_ENCODE)
    )
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

    /// GitHub's `total_count` for `q` (one request with `per_page=1`).
    pub async fn search_count(
        &self,
        q: &str,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<SearchCount, SearchError> {
        let page = self.search_page(q, 1, 1, on_event, stop).await?;
        Ok(SearchCount {
            query: q.to_string(),
            total_count: page.total_count,
            incomplete_results: page.incomplete_results,
        })
    }

    /// Plans `query`: counts it and, when it has more than [`SEARCH_CAP`] results, bisects its
    /// `created:` range (the query's own `created:` qualifier, within `options`) until every
    /// slice's total is at most the cap. Each count is handed to `on_count` as soon as it is
    /// known (store it; pass the stored ones back in [`PlanOptions::known`] to resume), and
    /// `stop` is asked every [`crate::STOP_POLL`] (a Cancel does not wait out a rate-limit
    /// pause). Slices with a total of 0 are kept so the slices cover the range.
    pub async fn plan_search(
        &self,
        query: &str,
        options: &PlanOptions,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
        mut on_count: impl FnMut(&SearchCount) + Send,
    ) -> Result<SearchPlan, SearchError> {
        let invalid = |message: String| SearchError::InvalidQuery {
            query: query.to_string(),
            message,
        };
        let query = query.trim();
        if query.is_empty() {
            return Err(invalid("the query is empty".into()));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid(format!("longer than {MAX_QUERY_CHARS} characters")));
        }
        let (base_query, created) = split_created(query).map_err(invalid)?;
        let opt_from = options
            .created_from
            .as_deref()
            .unwrap_or(DEFAULT_CREATED_FROM);
        let mut from = parse_instant(opt_from)
            .ok_or_else(|| invalid(format!("created_from {opt_from:?} is not a date")))?;
        let mut to = match options.created_until.as_deref() {
            Some(u) => parse_upper(u)
                .ok_or_else(|| invalid(format!("created_until {u:?} is not a date")))?,
            None => Utc::now(),
        };
        if let Some(value) = &created {
            let (a, b) = parse_created(value)
                .ok_or_else(|| invalid(format!("created:{value} is not a date range")))?;
            from = a.map_or(from, |a| a.max(from));
            to = b.map_or(to, |b| b.min(to));
        }
        // Whole seconds, so that ranges written back as qualifiers mean the same thing.
        let truncate = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
        let (from, to) = (truncate(from), truncate(to));
        if from > to {
            return Err(invalid("the created: range is empty".into()));
        }
        let max_counts = if options.max_counts == 0 {
            2000
        } else {
            options.max_counts
        };

        let mut counter = Counter {
            github: self,
            query,
            known: &options.known,
            max: max_counts,
            asked: 0,
            reused: 0,
            incomplete: false,
            on_count: &mut on_count,
        };
        let total = counter.count(query, on_event, stop).await?;
        let range = CreatedRange::of(from, to);
        let mut slices = Vec::new();
        if total <= SEARCH_CAP {
            slices.push(SearchSlice {
                index: 0,
                created: None,
                query: query.to_string(),
                total_count: total,
                over_cap: false,
            });
        } else {
            // Depth first, earlier half first, so slices come out in created: order. The
            // whole range is split at once: the query's total is already over the cap.
            let mut pending: Vec<(DateTime<Utc>, DateTime<Utc>, Option<u64>)> =
                vec![(from, to, Some(total))];
            while let Some((a, b, known_total)) = pending.pop() {
                let total = match known_total {
                    Some(t) => t,
                    None => {
                        let q = with_qualifier(&base_query, &CreatedRange::of(a, b).qualifier());
                        counter.count(&q, on_event, stop).await?
                    }
                };
                if total <= SEARCH_CAP || a == b {
                    let r = CreatedRange::of(a, b);
                    slices.push(SearchSlice {
                        index: slices.len(),
                        query: with_qualifier(&base_query, &r.qualifier()),
                        created: Some(r),
                        total_count: total,
                        over_cap: total > SEARCH_CAP,
                    });
                    continue;
                }
                let mid = a + (b - a) / 2;
                let mid = truncate(mid);
                pending.push((mid + chrono::Duration::seconds(1), b, None));
                pending.push((a, mid, None));
            }
        }
        Ok(SearchPlan {
            query: query.to_string(),
            base_query,
            created: range,
            total_count: total,
            incomplete_results: counter.incomplete,
            slices,
            counts_asked: counter.asked,
            counts_reused: counter.reused,
        })
    }

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

/// Counts for a plan: from the caller's earlier counts, else asked (and handed over).
struct Counter<'a> {
    github: &'a GitHub,
    query: &'a str,
    known: &'a BTreeMap<String, SearchCount>,
    max: u64,
    asked: u64,
    reused: u64,
    incomplete: bool,
    on_count: &'a mut (dyn FnMut(&SearchCount) + Send),
}

impl Counter<'_> {
    async fn count(
        &mut self,
        q: &str,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<u64, SearchError> {
        let c = match self.known.get(q) {
            Some(c) => {
                self.reused += 1;
                c.clone()
            }
            None => {
                if self.asked >= self.max {
                    return Err(SearchError::TooManySlices {
                        query: self.query.to_string(),
                        max: self.max,
                    });
                }
                self.asked += 1;
                let c = self.github.search_count(q, on_event, stop).await?;
                (self.on_count)(&c);
                c
            }
        };
        self.incomplete |= c.incomplete_results;
        Ok(c.total_count)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    #[test]
    fn created_values() {
        let (a, b) = parse_created("2019-01-01..2019-06-30").unwrap();
        assert_eq!(a, Some(t("2019-01-01T00:00:00Z")));
        assert_eq!(b, Some(t("2019-06-30T23:59:59Z")));
        assert_eq!(
            parse_created(">=2020-01-01").unwrap(),
            (Some(t("2020-01-01T00:00:00Z")), None)
        );
        assert_eq!(
            parse_created("<2020-01-01").unwrap(),
            (None, Some(t("2019-12-31T23:59:59Z")))
        );
        assert_eq!(
            parse_created(">2020-01-01").unwrap(),
            (Some(t("2020-01-02T00:00:00Z")), None)
        );
        assert_eq!(
            parse_created("2016-03-21T14:11:00Z..*").unwrap(),
            (Some(t("2016-03-21T14:11:00Z")), None)
        );
        assert_eq!(
            parse_created("2017-01-01T01:00:00+07:00..2017-01-01T02:00:00+07:00").unwrap(),
            (
                Some(t("2016-12-31T18:00:00Z")),
                Some(t("2016-12-31T19:00:00Z"))
            )
        );
        assert!(parse_created("yesterday").is_none());
        assert!(parse_created("2019-13-01").is_none());
    }

    #[test]
    fn created_is_taken_out_of_the_query() {
        let (base, c) =
            split_created("topic:mlops  created:>=2020-01-01 language:\"Jupyter Notebook\"")
                .unwrap();
        assert_eq!(base, "topic:mlops language:\"Jupyter Notebook\"");
        assert_eq!(c.as_deref(), Some(">=2020-01-01"));
        assert!(split_created("created:2019 created:2020").is_err());
    }

    #[test]
    fn q_is_percent_encoded() {
        assert_eq!(
            search_path("topic:x stars:>=10", 100, 2),
            "/search/repositories?q=topic%3Ax%20stars%3A%3E%3D10&per_page=100&page=2"
        );
    }

    #[test]
    fn ranges_round_trip() {
        let r = CreatedRange::of(t("2019-01-01T00:00:00Z"), t("2019-06-30T23:59:59Z"));
        assert_eq!(
            r.qualifier(),
            "created:2019-01-01T00:00:00Z..2019-06-30T23:59:59Z"
        );
        assert!(r.contains("2019-03-01T10:00:00Z"));
        assert!(r.contains("2019-06-30T23:59:59Z"));
        assert!(!r.contains("2019-07-01T00:00:00Z"));
        assert!(!r.contains("garbage"));
    }
}
