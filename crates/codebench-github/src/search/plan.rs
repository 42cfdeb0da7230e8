//! Planning a search ([`GitHub::plan_search`]): counting a query and bisecting its `created:`
//! range until every slice's total is within [`SEARCH_CAP`], reusing the counts an earlier,
//! interrupted plan handed over.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::query::{
    parse_created, parse_instant, parse_upper, split_created, with_qualifier, CreatedRange,
};
use super::{SearchError, DEFAULT_CREATED_FROM, SEARCH_CAP};
use crate::client::GitHub;
use crate::snapshot::Event;

/// Longest query accepted (GitHub's own limit is 256 characters without qualifiers' operators).
const MAX_QUERY_CHARS: usize = 1024;

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

impl GitHub {
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
