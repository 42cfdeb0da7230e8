//! The search step: GitHub's repository search, split by `created:` ranges until every slice
//! holds at most 1,000 results, every count and every page stored as it arrives.
//!
//! The step fixes the end of its `created:` range when it first runs, so a resumed run plans
//! the same slices (from the stored counts, asking none again) and fetches only the pages it
//! has not stored.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use codebench_github::{GitHub, PlanOptions, SearchCount, SearchError, SlicePage};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::{
    finish_step, github, github_wait, insert_step, runtime, sql_int, steps, Candidate, NetOptions,
    Outcome, SelectProgress, Step, StepKind, StepRow, StepStatus,
};
use crate::{Error, Result, Study};

/// Longest query accepted.
const MAX_QUERY_CHARS: usize = 1024;

/// The recorded parameters of a search step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SearchParams {
    /// The query as given.
    pub query: String,
    /// Start of the `created:` range split.
    pub created_from: String,
    /// End of the range, fixed on the first run.
    pub created_until: String,
    /// Slices of the plan, once planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices: Option<u64>,
}

/// Reads a user's date or instant (`YYYY-MM-DD`, RFC 3339) as `YYYY-MM-DDTHH:MM:SSZ`; a bare
/// date is its last second when `end` (an inclusive upper bound), else its first.
pub(crate) fn instant(s: &str, end: bool) -> Option<String> {
    let s = s.trim();
    let t = if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&chrono::Utc)
    } else {
        let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        let t = if end {
            d.and_hms_opt(23, 59, 59)?
        } else {
            d.and_hms_opt(0, 0, 0)?
        };
        t.and_utc()
    };
    Some(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn known_counts(c: &Connection, step_id: i64) -> Result<BTreeMap<String, SearchCount>> {
    let mut stmt = c.prepare_cached(
        "SELECT query, total_count, incomplete FROM search_count WHERE step_id = ?1",
    )?;
    let rows = stmt.query_map([step_id], |r| {
        Ok(SearchCount {
            query: r.get(0)?,
            total_count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            incomplete_results: r.get::<_, i64>(2)? != 0,
        })
    })?;
    let mut out = BTreeMap::new();
    for c in rows {
        let c = c?;
        out.insert(c.query.clone(), c);
    }
    Ok(out)
}

/// Slice index → (pages stored, finished).
fn slice_state(c: &Connection, step_id: i64) -> Result<HashMap<usize, (u64, bool)>> {
    let mut stmt = c.prepare_cached(
        "SELECT idx, pages, fetched_at IS NOT NULL FROM search_slice WHERE step_id = ?1",
    )?;
    let rows = stmt.query_map([step_id], |r| {
        Ok((
            usize::try_from(r.get::<_, i64>(0)?).unwrap_or(usize::MAX),
            u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            r.get::<_, bool>(2)?,
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (i, pages, done) = row?;
        out.insert(i, (pages, done));
    }
    Ok(out)
}

fn candidates_found(c: &Connection, step_id: i64) -> Result<u64> {
    let n: i64 = c
        .prepare_cached("SELECT count(*) FROM selection_candidate WHERE step_id = ?1")?
        .query_row([step_id], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Stores one page of a slice: its repositories (each id once) and how far the slice got.
/// Returns the repositories found so far.
fn store_page(tx: &Connection, step_id: i64, page: &SlicePage) -> Result<u64> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO selection_candidate
             (step_id, repo_id, full_name, created_at, pushed_at, stars, fork, archived,
              language, default_branch, topics, description, html_url, slice_idx)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut new = 0i64;
    for h in &page.hits {
        let c = Candidate::of_hit(h);
        new += insert.execute(params![
            step_id,
            sql_int(c.repo_id),
            c.full_name,
            c.created_at,
            c.pushed_at,
            sql_int(c.stars),
            c.fork,
            c.archived,
            c.language,
            c.default_branch,
            serde_json::to_string(&c.topics)?,
            c.description,
            c.html_url,
            sql_int(page.index as u64),
        ])? as i64;
    }
    tx.execute(
        "UPDATE search_slice SET pages = ?3, total_count = ?4, hits = hits + ?5,
                invalid_items = invalid_items + ?6, incomplete = max(incomplete, ?7),
                fetched_at = CASE WHEN ?8 THEN ?9 ELSE fetched_at END
         WHERE step_id = ?1 AND idx = ?2",
        params![
            step_id,
            sql_int(page.index as u64),
            sql_int(page.page),
            sql_int(page.total_count),
            new,
            sql_int(page.invalid_items),
            page.incomplete_results,
            page.last,
            crate::now()
        ],
    )?;
    candidates_found(tx, step_id)
}

impl Study {
    /// Runs the selection's search for `query` (a GitHub search query, e.g.
    /// `topic:mlops fork:true`; GitHub leaves forks out unless it says `fork:true`), or resumes
    /// it after a cancel, a kill or a rate limit. The first step of a selection; a finished
    /// search for the same query is returned as it is. A search for another query replaces an
    /// unfinished or failed one; once later steps exist it needs `restart` (refused after the
    /// corpus was accepted). `created_until` fixes the end of the `created:` range (default:
    /// now), recorded so the search can be reproduced.
    pub fn select_search(
        &mut self,
        query: &str,
        created_until: Option<&str>,
        restart: bool,
        net: &NetOptions,
        progress: &(dyn Fn(SelectProgress) + Sync),
    ) -> Result<Step> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Error::Invalid("the search query is empty".into()));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::Invalid(format!(
                "the search query is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let until = match created_until {
            Some(u) => instant(u, true).ok_or_else(|| {
                Error::Invalid(format!(
                    "'{u}' is not a date (YYYY-MM-DD) or an RFC 3339 time"
                ))
            })?,
            None => chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        };
        let rows = steps(self.conn())?;
        let accepted = rows
            .iter()
            .any(|s| s.kind == StepKind::Accept && s.status == StepStatus::Done);
        let step = match rows.first() {
            None => self.new_search(query, &until, net)?,
            Some(first) => {
                let same = first.parameters.get("query").and_then(|q| q.as_str()) == Some(query);
                if same && first.status == StepStatus::Unfinished && !restart {
                    first.clone()
                } else if same && first.status == StepStatus::Done && !restart {
                    return self.step_view(first);
                } else if accepted {
                    return Err(Error::Conflict(
                        "the selection is accepted as the corpus; it cannot start over".into(),
                    ));
                } else if restart || (rows.len() == 1 && first.status != StepStatus::Done) {
                    self.write(|tx| super::clear(tx))?;
                    self.new_search(query, &until, net)?
                } else {
                    return Err(Error::Conflict(format!(
                        "the selection already starts with the search `{}` and has {} steps; \
                         start it over to search for another query",
                        first
                            .parameters
                            .get("query")
                            .and_then(|q| q.as_str())
                            .unwrap_or_default(),
                        rows.len()
                    )));
                }
            }
        };
        self.run_search(&step, net, progress)
    }

    fn new_search(&mut self, query: &str, until: &str, net: &NetOptions) -> Result<StepRow> {
        let params = SearchParams {
            query: query.to_string(),
            created_from: codebench_github::DEFAULT_CREATED_FROM.to_string(),
            created_until: until.to_string(),
            slices: None,
        };
        let value = serde_json::to_value(&params)?;
        let api = net.api();
        self.write(|tx| insert_step(tx, StepKind::Search, None, &value, Some(&api), None, None))
    }

    fn run_search(
        &mut self,
        step: &StepRow,
        net: &NetOptions,
        progress: &(dyn Fn(SelectProgress) + Sync),
    ) -> Result<Step> {
        let mut params: SearchParams = serde_json::from_value(step.parameters.clone())
            .map_err(|e| Error::Invalid(format!("search step {}: {e}", step.position)))?;
        let rt = runtime()?;
        let gh = github(&rt, net)?;
        let store_failed = AtomicBool::new(false);
        let stop = || net.cancelled() || store_failed.load(Ordering::SeqCst);
        let on_event = |e| {
            if let Some(p) = github_wait(e) {
                progress(p)
            }
        };
        let options = PlanOptions {
            created_from: Some(params.created_from.clone()),
            created_until: Some(params.created_until.clone()),
            known: known_counts(self.conn(), step.id)?,
            max_counts: 0,
        };
        let mut store_error: Option<Error> = None;
        let step_id = step.id;
        let planned = {
            let study = &mut *self;
            let store_error = &mut store_error;
            let store_failed = &store_failed;
            rt.block_on(
                gh.plan_search(&params.query, &options, &on_event, &stop, |c| {
                    progress(SelectProgress::Counted {
                        query: c.query.clone(),
                        total: c.total_count,
                    });
                    let stored = study.write(|tx| {
                        tx.execute(
                            "INSERT OR REPLACE INTO search_count
                             (step_id, query, total_count, incomplete, asked_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![
                                step_id,
                                c.query,
                                sql_int(c.total_count),
                                c.incomplete_results,
                                crate::now()
                            ],
                        )?;
                        Ok(())
                    });
                    if let Err(e) = stored {
                        *store_error = Some(e);
                        store_failed.store(true, Ordering::SeqCst);
                    }
                }),
            )
        };
        if let Some(e) = store_error {
            return Err(e);
        }
        let plan = match planned {
            Ok(p) => p,
            Err(e) => return self.search_ended(step, &gh, e, net),
        };
        progress(SelectProgress::Planned {
            slices: plan.slices.len() as u64,
            total: plan.total_count,
        });
        params.slices = Some(plan.slices.len() as u64);
        let value = serde_json::to_value(&params)?;
        self.write(|tx| {
            for s in &plan.slices {
                tx.execute(
                    "INSERT OR IGNORE INTO search_slice
                         (step_id, idx, created_from, created_to, query, planned_total, over_cap)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        step_id,
                        sql_int(s.index as u64),
                        s.created.as_ref().map(|c| c.from.clone()),
                        s.created.as_ref().map(|c| c.to.clone()),
                        s.query,
                        sql_int(s.total_count),
                        s.over_cap
                    ],
                )?;
            }
            tx.execute(
                "UPDATE selection_step SET count_in = ?2, parameters = ?3 WHERE id = ?1",
                params![step_id, sql_int(plan.total_count), value.to_string()],
            )?;
            Ok(())
        })?;
        let state = slice_state(self.conn(), step.id)?;
        let done_before = state.values().filter(|(_, done)| *done).count() as u64;
        progress(SelectProgress::Step {
            step: step.position,
            label: format!("search {}", params.query),
            to_do: (plan.slices.len() as u64).saturating_sub(done_before),
            done_before,
        });
        let cap_pages = codebench_github::SEARCH_CAP.div_ceil(codebench_github::SEARCH_PAGE_SIZE);
        for slice in &plan.slices {
            let (pages, done) = state.get(&slice.index).copied().unwrap_or((0, false));
            if done {
                continue;
            }
            if stop() {
                break;
            }
            if pages >= cap_pages {
                // Every page the cap reaches is stored: the slice is complete.
                self.write(|tx| {
                    tx.execute(
                        "UPDATE search_slice SET fetched_at = ?3 WHERE step_id = ?1 AND idx = ?2",
                        params![step_id, sql_int(slice.index as u64), crate::now()],
                    )?;
                    Ok(())
                })?;
                continue;
            }
            let fetched = {
                let study = &mut *self;
                let store_error = &mut store_error;
                rt.block_on(
                    gh.search_slice_pages(slice, pages + 1, &on_event, &stop, |page| {
                        match study.write(|tx| store_page(tx, step_id, &page)) {
                            Ok(found) => {
                                progress(SelectProgress::Page {
                                    slice: page.index as u64,
                                    page: page.page,
                                    found,
                                });
                                ControlFlow::Continue(())
                            }
                            Err(e) => {
                                *store_error = Some(e);
                                ControlFlow::Break(())
                            }
                        }
                    }),
                )
            };
            if let Some(e) = store_error.take() {
                return Err(e);
            }
            if let Err(e) = fetched {
                return self.search_ended(step, &gh, e, net);
            }
        }
        let state = slice_state(self.conn(), step.id)?;
        let all_done = plan
            .slices
            .iter()
            .all(|s| state.get(&s.index).is_some_and(|(_, d)| *d));
        let found = candidates_found(self.conn(), step.id)?;
        let outcome = if all_done {
            let over: u64 = plan
                .slices
                .iter()
                .filter(|s| s.over_cap)
                .map(|s| s.total_count.saturating_sub(codebench_github::SEARCH_CAP))
                .sum();
            Outcome {
                status: StepStatus::Done,
                count_in: Some(plan.total_count),
                count_out: Some(found),
                requests: gh.requests_sent(),
                error: (over > 0).then(|| {
                    format!(
                        "more than 1,000 repositories were created within one second: {over} could not be reached"
                    )
                }),
            }
        } else {
            Outcome {
                status: StepStatus::Unfinished,
                count_in: Some(plan.total_count),
                count_out: None,
                requests: gh.requests_sent(),
                error: Some("cancelled; run the search again to go on".into()),
            }
        };
        self.write(|tx| finish_step(tx, step, &outcome))?;
        self.step_view_of(step.id)
    }

    /// Records how a search that could not go on ended, and returns the step.
    fn search_ended(
        &mut self,
        step: &StepRow,
        gh: &GitHub,
        e: SearchError,
        net: &NetOptions,
    ) -> Result<Step> {
        let (status, error) = match &e {
            SearchError::Stopped if net.cancelled() => (
                StepStatus::Unfinished,
                "cancelled; run the search again to go on".to_string(),
            ),
            e if e.is_transient() => (
                StepStatus::Unfinished,
                format!("{e}; run the search again to go on"),
            ),
            e => (StepStatus::Failed, e.to_string()),
        };
        let outcome = Outcome {
            status,
            count_in: None,
            count_out: None,
            requests: gh.requests_sent(),
            error: Some(error),
        };
        self.write(|tx| finish_step(tx, step, &outcome))?;
        self.step_view_of(step.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(instant("2024-01-31", true).unwrap(), "2024-01-31T23:59:59Z");
        assert_eq!(
            instant("2024-01-31", false).unwrap(),
            "2024-01-31T00:00:00Z"
        );
        assert_eq!(
            instant("2024-01-31T10:00:00+02:00", true).unwrap(),
            "2024-01-31T08:00:00Z"
        );
        assert!(instant("yesterday", true).is_none());
        assert!(instant("2024-02-30", true).is_none());
    }
}
