//! The corpus selection as a recorded funnel: a GitHub search split past the 1,000-result cap,
//! the study's filters, a seeded sample, and its acceptance as the corpus.
//!
//! A study holds one selection: an ordered list of steps (`search`, then any `filter`s and
//! `sample`s, then `accept`). Each step records its parameters, when it ran, the API it asked,
//! how many repositories went in and came out, and every repository it left out with the
//! reason. A step's output is the search's candidates minus every repository excluded at that
//! step or an earlier one, so the funnel is the record itself.
//!
//! Invariants:
//! - every answer from GitHub or Docker Hub is stored as it arrives, each in its own
//!   transaction (a count, a page of search results, one repository's check), so a step killed
//!   at any moment resumes where it stopped and asks nothing twice that it had an answer to;
//! - a search fixes the end of its `created:` range on its first run, so its slices are the
//!   same when it resumes (re-running the selection later uses a new end and reports drift);
//! - lasting answers (a repository gone, blocked or empty) exclude it with the reason;
//!   transient trouble (rate limits past their budget, the network) leaves the step unfinished
//!   and running it again checks only what is missing;
//! - the same seed over the same population draws the same sample.
//!
//! The steps live in [`search`], [`filter`], [`sample`], [`accept`] and [`drift`]; this module
//! holds the record, its reading, its outputs (`selection.csv`, `excluded.csv`, the funnel
//! figure, the methods paragraph) and what the network steps share.

pub mod accept;
pub mod drift;
pub mod filter;
pub mod sample;
pub mod search;

use std::future::Future;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::corpus::github::RepoImport;
use crate::{Error, Result, Study};

pub use filter::Criterion;

/// How often a long step asks whether to stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// GitHub's repository search, split by `created:` ranges past the 1,000-result cap.
    Search,
    /// One criterion applied to the repositories still in.
    Filter,
    /// A random or stratified sample with a seed.
    Sample,
    /// The repositories still in become the corpus (imported from GitHub).
    Accept,
}

impl StepKind {
    /// The word stored in the study file.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Search => "search",
            StepKind::Filter => "filter",
            StepKind::Sample => "sample",
            StepKind::Accept => "accept",
        }
    }

    fn parse(s: &str) -> Result<StepKind> {
        Ok(match s {
            "search" => StepKind::Search,
            "filter" => StepKind::Filter,
            "sample" => StepKind::Sample,
            "accept" => StepKind::Accept,
            other => {
                return Err(Error::Invalid(format!(
                    "unknown selection step kind '{other}'"
                )))
            }
        })
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// Running, or stopped before the end (cancelled, killed, or transient trouble): running
    /// it again goes on from where it stopped.
    Unfinished,
    /// Finished: its output is final.
    Done,
    /// Refused for good (e.g. GitHub rejected the query); a new search replaces it.
    Failed,
}

impl StepStatus {
    fn as_str(self) -> &'static str {
        match self {
            StepStatus::Unfinished => "unfinished",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> StepStatus {
        match s {
            "done" => StepStatus::Done,
            "failed" => StepStatus::Failed,
            _ => StepStatus::Unfinished,
        }
    }
}

/// A repository a step left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Excluded {
    /// `owner/name` as the search found it.
    pub repository: String,
    /// GitHub's numeric id.
    pub repo_id: u64,
    /// Why, for people.
    pub reason: String,
}

/// One recorded step of the selection.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Step {
    /// Its position in the funnel, 1-based.
    pub step: u32,
    /// What it does.
    pub kind: StepKind,
    /// For a filter: the criterion's name (`min_commits`, `has_dockerfile`...).
    pub criterion: Option<String>,
    /// What it does, in words (`at least 100 commits`).
    pub label: String,
    /// Its parameters as recorded (the query and its fixed `created:` range, the criterion,
    /// the sample's size, seed and stratification field).
    #[ts(type = "Record<string, unknown>")]
    pub parameters: serde_json::Value,
    /// The GitHub API it asked (none for steps that ask nothing).
    pub api_url: Option<String>,
    /// The Docker Hub it asked (the `has_hub_image` filter).
    pub hub_url: Option<String>,
    /// When it first ran.
    pub started_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
    /// Where it stands.
    pub status: StepStatus,
    /// Repositories that went in (for the search: GitHub's total for the query).
    #[serde(rename = "in")]
    #[ts(rename = "in")]
    pub count_in: Option<u64>,
    /// Repositories that came out (so far, while unfinished).
    #[serde(rename = "out")]
    #[ts(rename = "out")]
    pub count_out: Option<u64>,
    /// Every repository it left out, with the reason.
    pub excluded: Vec<Excluded>,
    /// HTTP requests sent for it, over all its runs.
    pub requests: u64,
    /// Why it is unfinished or failed.
    pub error: Option<String>,
}

/// The whole selection.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Selection {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Repositories after the last step.
    pub population: u64,
    /// Whether an accept step finished: the corpus is the selection's.
    pub accepted: bool,
    /// The last re-run against today's GitHub, if any.
    pub drift: Option<drift::DriftReport>,
}

/// How the network steps reach GitHub and Docker Hub.
#[derive(Clone, Default)]
pub struct NetOptions {
    /// The GitHub API; `None` is `https://api.github.com`.
    pub api_url: Option<String>,
    /// Docker Hub; `None` is `https://hub.docker.com`.
    pub hub_url: Option<String>,
    /// The GitHub token (sent to GitHub only; never stored, never printed).
    pub token: Option<String>,
    /// Repositories checked at once (0 means 8).
    pub concurrency: usize,
    /// Set to stop (a Cancel button): what was stored stays, running the step again goes on.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for NetOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetOptions")
            .field("api_url", &self.api_url)
            .field("hub_url", &self.hub_url)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("concurrency", &self.concurrency)
            .field("cancel", &self.cancel.is_some())
            .finish()
    }
}

impl NetOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }

    fn concurrency(&self) -> usize {
        if self.concurrency == 0 {
            8
        } else {
            self.concurrency.min(64)
        }
    }

    /// The GitHub API as recorded on a step.
    fn api(&self) -> String {
        self.api_url
            .as_deref()
            .unwrap_or(codebench_github::DEFAULT_API_URL)
            .trim_end_matches('/')
            .to_string()
    }

    /// Docker Hub as recorded on a step.
    fn hub(&self) -> String {
        self.hub_url
            .as_deref()
            .unwrap_or(codebench_hub::DEFAULT_HUB_URL)
            .trim_end_matches('/')
            .to_string()
    }
}

/// Progress of a selection step, for a progress bar or the app's Selection screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SelectProgress {
    /// A step starts or resumes: how much it has to do and how much an earlier run did.
    Step {
        /// Its position.
        step: u32,
        /// What it does.
        label: String,
        /// Repositories (or, for a search, slices) still to do.
        to_do: u64,
        /// Done by an earlier run.
        done_before: u64,
    },
    /// The search planner counted one `q`.
    Counted {
        /// The `q`.
        query: String,
        /// GitHub's `total_count`.
        total: u64,
    },
    /// The search is planned: its slices and GitHub's total.
    Planned {
        /// Slices of at most 1,000 results.
        slices: u64,
        /// GitHub's total for the query.
        total: u64,
    },
    /// A page of search results is stored.
    Page {
        /// The slice (0-based).
        slice: u64,
        /// The page (1-based).
        page: u64,
        /// Repositories found so far.
        found: u64,
    },
    /// One repository was checked.
    Checked {
        /// The step.
        step: u32,
        /// `owner/name`.
        repository: String,
        /// Whether it stays in.
        kept: bool,
        /// Why it was left out.
        reason: Option<String>,
    },
    /// A rate limit or a retry makes the step wait.
    Waiting {
        /// What the request was for.
        repo: String,
        /// Why, in words.
        reason: String,
        /// How long, in seconds.
        wait_seconds: f64,
    },
    /// The accept step stored one repository.
    Imported {
        /// What was stored.
        result: RepoImport,
    },
}

/// One repository found by the search, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub repo_id: u64,
    pub full_name: String,
    pub created_at: Option<String>,
    pub pushed_at: Option<String>,
    pub stars: u64,
    pub fork: bool,
    pub archived: bool,
    pub language: Option<String>,
    pub default_branch: Option<String>,
    pub topics: Vec<String>,
    pub description: Option<String>,
    pub html_url: String,
}

impl Candidate {
    pub(crate) fn of_hit(h: &codebench_github::SearchHit) -> Candidate {
        Candidate {
            repo_id: h.id,
            full_name: h.full_name.clone(),
            created_at: h.created_at.clone(),
            pushed_at: h.pushed_at.clone(),
            stars: h.stargazers_count,
            fork: h.fork,
            archived: h.archived,
            language: h.language.clone(),
            default_branch: h.default_branch.clone(),
            topics: h.topics.clone(),
            description: h.description.clone(),
            html_url: h.html_url.clone(),
        }
    }
}

/// A step as stored.
#[derive(Debug, Clone)]
pub(crate) struct StepRow {
    pub id: i64,
    pub position: u32,
    pub kind: StepKind,
    pub criterion: Option<String>,
    pub parameters: serde_json::Value,
    pub api_url: Option<String>,
    pub hub_url: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: StepStatus,
    pub count_in: Option<u64>,
    pub count_out: Option<u64>,
    pub requests: u64,
    pub error: Option<String>,
}

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.map(|n| u64::try_from(n).unwrap_or(0))
}

/// An id or count as SQLite stores it (ids and counts fit in 63 bits).
pub(crate) fn sql_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn steps(c: &Connection) -> Result<Vec<StepRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, position, kind, criterion, parameters, api_url, hub_url, started_at,
                finished_at, status, count_in, count_out, requests, error
         FROM selection_step ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, Option<String>>(8)?,
            r.get::<_, String>(9)?,
            r.get::<_, Option<i64>>(10)?,
            r.get::<_, Option<i64>>(11)?,
            r.get::<_, i64>(12)?,
            r.get::<_, Option<String>>(13)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            id,
            pos,
            kind,
            criterion,
            params,
            api,
            hub,
            started,
            finished,
            status,
            cin,
            cout,
            req,
            err,
        ) = row?;
        out.push(StepRow {
            id,
            position: u32::try_from(pos).unwrap_or(0),
            kind: StepKind::parse(&kind)?,
            criterion,
            parameters: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
            api_url: api,
            hub_url: hub,
            started_at: started,
            finished_at: finished,
            status: StepStatus::parse(&status),
            count_in: to_u64(cin),
            count_out: to_u64(cout),
            requests: u64::try_from(req).unwrap_or(0),
            error: err,
        });
    }
    Ok(out)
}

/// Appends a step (unfinished) and records it in the history; returns it.
pub(crate) fn insert_step(
    tx: &Connection,
    kind: StepKind,
    criterion: Option<&str>,
    parameters: &serde_json::Value,
    api_url: Option<&str>,
    hub_url: Option<&str>,
    count_in: Option<u64>,
) -> Result<StepRow> {
    let position: i64 = tx.query_row(
        "SELECT coalesce(max(position), 0) + 1 FROM selection_step",
        [],
        |r| r.get(0),
    )?;
    let now = crate::now();
    tx.execute(
        "INSERT INTO selection_step (position, kind, criterion, parameters, api_url, hub_url,
                                     started_at, status, count_in)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'unfinished', ?8)",
        params![
            position,
            kind.as_str(),
            criterion,
            parameters.to_string(),
            api_url,
            hub_url,
            now,
            count_in.map(sql_int)
        ],
    )?;
    let id = tx.last_insert_rowid();
    crate::history::record(
        tx,
        "user",
        &format!("selection.{}", kind.as_str()),
        &position.to_string(),
        None,
        Some(&serde_json::json!({ "criterion": criterion, "parameters": parameters })),
    )?;
    Ok(StepRow {
        id,
        position: u32::try_from(position).unwrap_or(0),
        kind,
        criterion: criterion.map(str::to_string),
        parameters: parameters.clone(),
        api_url: api_url.map(str::to_string),
        hub_url: hub_url.map(str::to_string),
        started_at: now,
        finished_at: None,
        status: StepStatus::Unfinished,
        count_in,
        count_out: None,
        requests: 0,
        error: None,
    })
}

/// How a run of a step ended, as stored on the step.
pub(crate) struct Outcome {
    pub status: StepStatus,
    pub count_in: Option<u64>,
    pub count_out: Option<u64>,
    pub requests: u64,
    pub error: Option<String>,
}

/// Stores how a run of `step` ended (adding its requests), with a history row when it
/// finished or failed.
pub(crate) fn finish_step(tx: &Connection, step: &StepRow, o: &Outcome) -> Result<()> {
    let finished = (o.status != StepStatus::Unfinished).then(crate::now);
    tx.execute(
        "UPDATE selection_step SET status = ?2, finished_at = ?3,
                count_in = coalesce(?4, count_in), count_out = ?5,
                requests = requests + ?6, error = ?7
         WHERE id = ?1",
        params![
            step.id,
            o.status.as_str(),
            finished,
            o.count_in.map(sql_int),
            o.count_out.map(sql_int),
            sql_int(o.requests),
            o.error
        ],
    )?;
    if o.status != StepStatus::Unfinished {
        crate::history::record(
            tx,
            "system",
            &format!("selection.{}.{}", step.kind.as_str(), o.status.as_str()),
            &step.position.to_string(),
            None,
            Some(&serde_json::json!({
                "in": o.count_in.or(step.count_in),
                "out": o.count_out,
                "error": o.error,
            })),
        )?;
    }
    Ok(())
}

/// The search step's candidates still in after the step at `after` (0: all of them), by id.
pub(crate) fn population(c: &Connection, after: u32) -> Result<Vec<Candidate>> {
    let mut stmt = c.prepare_cached(
        "SELECT c.repo_id, c.full_name, c.created_at, c.pushed_at, c.stars, c.fork, c.archived,
                c.language, c.default_branch, c.topics, c.description, c.html_url
         FROM selection_candidate c
         JOIN selection_step s ON s.id = c.step_id AND s.kind = 'search'
         WHERE NOT EXISTS (
             SELECT 1 FROM selection_excluded e JOIN selection_step es ON es.id = e.step_id
             WHERE e.repo_id = c.repo_id AND es.position <= ?1)
         ORDER BY c.repo_id",
    )?;
    let rows = stmt.query_map([i64::from(after)], |r| {
        Ok(Candidate {
            repo_id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
            full_name: r.get(1)?,
            created_at: r.get(2)?,
            pushed_at: r.get(3)?,
            stars: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
            fork: r.get::<_, i64>(5)? != 0,
            archived: r.get::<_, i64>(6)? != 0,
            language: r.get(7)?,
            default_branch: r.get(8)?,
            topics: serde_json::from_str(&r.get::<_, String>(9)?).unwrap_or_default(),
            description: r.get(10)?,
            html_url: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(crate) fn population_count(c: &Connection, after: u32) -> Result<u64> {
    let n: i64 = c
        .prepare_cached(
            "SELECT count(*) FROM selection_candidate c
             JOIN selection_step s ON s.id = c.step_id AND s.kind = 'search'
             WHERE NOT EXISTS (
                 SELECT 1 FROM selection_excluded e JOIN selection_step es ON es.id = e.step_id
                 WHERE e.repo_id = c.repo_id AND es.position <= ?1)",
        )?
        .query_row([i64::from(after)], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Records that `step` leaves out `c`, with the reason.
pub(crate) fn exclude(tx: &Connection, step: &StepRow, c: &Candidate, reason: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO selection_excluded (step_id, repo_id, full_name, reason)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![step.id, sql_int(c.repo_id), c.full_name, reason])?;
    Ok(())
}

fn excluded_of(c: &Connection, step_id: i64) -> Result<Vec<Excluded>> {
    let mut stmt = c.prepare_cached(
        "SELECT full_name, repo_id, reason FROM selection_excluded WHERE step_id = ?1
         ORDER BY lower(full_name), repo_id",
    )?;
    let rows = stmt.query_map([step_id], |r| {
        Ok(Excluded {
            repository: r.get(0)?,
            repo_id: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            reason: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The label of a step, in words.
fn label_of(s: &StepRow) -> String {
    let p = &s.parameters;
    match s.kind {
        StepKind::Search => format!(
            "search {}",
            p.get("query").and_then(|q| q.as_str()).unwrap_or_default()
        ),
        StepKind::Filter => serde_json::from_value::<Criterion>(p.clone())
            .map(|c| c.label())
            .unwrap_or_else(|_| s.criterion.clone().unwrap_or_default()),
        StepKind::Sample => sample::SampleParams::of(p)
            .map(|sp| sp.label())
            .unwrap_or_else(|| "sample".into()),
        StepKind::Accept => "accepted as the corpus".into(),
    }
}

impl Study {
    /// The selection: every step with its counts and exclusions, and the last drift report.
    pub fn selection(&self) -> Result<Selection> {
        let rows = steps(self.conn())?;
        let mut out = Vec::with_capacity(rows.len());
        for s in &rows {
            out.push(self.step_view(s)?);
        }
        let last = rows.last().map_or(0, |s| s.position);
        let population = if rows.is_empty() {
            0
        } else {
            population_count(self.conn(), last)?
        };
        Ok(Selection {
            accepted: rows
                .iter()
                .any(|s| s.kind == StepKind::Accept && s.status == StepStatus::Done),
            steps: out,
            population,
            drift: drift::last(self.conn())?,
        })
    }

    pub(crate) fn step_view(&self, s: &StepRow) -> Result<Step> {
        let excluded = excluded_of(self.conn(), s.id)?;
        let count_out = match (s.kind, s.status) {
            (_, StepStatus::Done) => s.count_out,
            (StepKind::Search, _) => {
                let n: i64 = self.conn().query_row(
                    "SELECT count(*) FROM selection_candidate WHERE step_id = ?1",
                    [s.id],
                    |r| r.get(0),
                )?;
                Some(u64::try_from(n).unwrap_or(0))
            }
            (_, _) => Some(population_count(self.conn(), s.position)?),
        };
        Ok(Step {
            step: s.position,
            kind: s.kind,
            criterion: s.criterion.clone(),
            label: label_of(s),
            parameters: s.parameters.clone(),
            api_url: s.api_url.clone(),
            hub_url: s.hub_url.clone(),
            started_at: s.started_at.clone(),
            finished_at: s.finished_at.clone(),
            status: s.status,
            count_in: s.count_in,
            count_out,
            excluded,
            requests: s.requests,
            error: s.error.clone(),
        })
    }

    /// The step with this id, as shown.
    pub(crate) fn step_view_of(&self, id: i64) -> Result<Step> {
        let row = step_row(self.conn(), id)?
            .ok_or_else(|| Error::Invalid("the selection step vanished".into()))?;
        self.step_view(&row)
    }

    /// Refuses a new step once the corpus is accepted, and before any search.
    fn open_for_steps(&self, kind: StepKind) -> Result<Vec<StepRow>> {
        let rows = steps(self.conn())?;
        if rows
            .iter()
            .any(|s| s.kind == StepKind::Accept && s.status == StepStatus::Done)
            && kind != StepKind::Accept
        {
            return Err(Error::Conflict(
                "the selection is accepted as the corpus; it takes no more steps".into(),
            ));
        }
        match rows.first() {
            None => Err(Error::Conflict(format!(
                "the selection has no search yet: search GitHub before a {} step",
                kind.as_str()
            ))),
            Some(s) if s.status != StepStatus::Done => Err(Error::Conflict(
                "the selection's search is not finished: run it again first".into(),
            )),
            Some(_) => {
                if let Some(last) = rows.last() {
                    if last.status != StepStatus::Done && last.kind != kind {
                        return Err(Error::Conflict(format!(
                            "step {} ({}) is not finished: run it again first",
                            last.position,
                            label_of(last)
                        )));
                    }
                }
                Ok(rows)
            }
        }
    }

    /// The rows of `selection.csv`: one per step.
    pub fn selection_rows(&self) -> Result<Vec<Vec<String>>> {
        let sel = self.selection()?;
        Ok(sel
            .steps
            .iter()
            .map(|s| {
                vec![
                    s.step.to_string(),
                    s.kind.as_str().to_string(),
                    s.criterion.clone().unwrap_or_default(),
                    s.label.clone(),
                    s.parameters.to_string(),
                    s.api_url.clone().unwrap_or_default(),
                    s.hub_url.clone().unwrap_or_default(),
                    s.started_at.clone(),
                    s.finished_at.clone().unwrap_or_default(),
                    s.status.as_str().to_string(),
                    s.count_in.map(|n| n.to_string()).unwrap_or_default(),
                    s.count_out.map(|n| n.to_string()).unwrap_or_default(),
                    s.excluded.len().to_string(),
                    s.requests.to_string(),
                    s.error.clone().unwrap_or_default(),
                ]
            })
            .collect())
    }

    /// The rows of `excluded.csv`: one per repository a step left out.
    pub fn excluded_rows(&self) -> Result<Vec<Vec<String>>> {
        let mut stmt = self.conn().prepare(
            "SELECT e.full_name, e.repo_id, s.position, s.kind, coalesce(s.criterion, ''), e.reason
             FROM selection_excluded e JOIN selection_step s ON s.id = e.step_id
             ORDER BY s.position, lower(e.full_name), e.repo_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(vec![
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?.to_string(),
                r.get::<_, i64>(2)?.to_string(),
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ])
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The funnel as a figure: the repositories out of each step, or `None` without a search.
    pub fn selection_funnel(&self) -> Result<Option<codebench_figures::Figure>> {
        let sel = self.selection()?;
        if sel.steps.is_empty() {
            return Ok(None);
        }
        let mut categories = Vec::new();
        let mut values = Vec::new();
        for s in sel.steps.iter().take(codebench_figures::MAX_CATEGORIES) {
            let short = match s.kind {
                StepKind::Search => "search".to_string(),
                _ => s.label.clone(),
            };
            categories.push(format!("{}. {short}", s.step));
            values.push(s.count_out.unwrap_or(0) as f64);
        }
        Ok(Some(codebench_figures::Figure::Bars(
            codebench_figures::BarFigure {
                id: "selection_funnel".into(),
                title: "Corpus selection: repositories after each step".into(),
                x_label: "Step".into(),
                y_label: "Repositories".into(),
                categories,
                series: vec![codebench_figures::Series {
                    name: "Repositories".into(),
                    values,
                }],
                horizontal: true,
                percent: false,
            },
        )))
    }

    /// A methods paragraph stating the query, the dates, every criterion with its counts, the
    /// sample's size and seed, and the acceptance; `None` without a search.
    pub fn selection_methods(&self) -> Result<Option<String>> {
        let sel = self.selection()?;
        Ok(methods_paragraph(&sel))
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn day(stamp: &str) -> &str {
    stamp.get(..10).unwrap_or(stamp)
}

/// The methods paragraph of a selection (see [`Study::selection_methods`]).
pub(crate) fn methods_paragraph(sel: &Selection) -> Option<String> {
    let search = sel.steps.first().filter(|s| s.kind == StepKind::Search)?;
    let p = &search.parameters;
    let query = p.get("query").and_then(|v| v.as_str()).unwrap_or_default();
    let from = p
        .get("created_from")
        .and_then(|v| v.as_str())
        .unwrap_or(codebench_github::DEFAULT_CREATED_FROM);
    let until = p
        .get("created_until")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let slices = p.get("slices").and_then(|v| v.as_u64());
    let found = search.count_out.unwrap_or(0);
    let mut text = format!(
        "We searched GitHub's repository search API ({}) on {} for `{query}`, covering \
         repositories created from {} to {}",
        search
            .api_url
            .as_deref()
            .unwrap_or(codebench_github::DEFAULT_API_URL),
        day(&search.started_at),
        day(from),
        until,
    );
    match slices {
        Some(n) if n > 1 => text.push_str(&format!(
            "; because the API returns at most 1,000 results per query, the search was split \
             into {n} `created:` ranges of at most 1,000 results each"
        )),
        _ => {}
    }
    text.push_str(&format!(
        ". GitHub reported {} repositories and the search returned {}",
        thousands(search.count_in.unwrap_or(found)),
        thousands(found)
    ));
    if search.status != StepStatus::Done {
        text.push_str(" (the search is not finished)");
    }
    text.push('.');
    let filters: Vec<&Step> = sel
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Filter)
        .collect();
    if !filters.is_empty() {
        let parts: Vec<String> = filters
            .iter()
            .map(|s| {
                format!(
                    "{} ({} of {} remained{})",
                    serde_json::from_value::<Criterion>(s.parameters.clone())
                        .map(|c| c.phrase())
                        .unwrap_or_else(|_| s.label.clone()),
                    thousands(s.count_out.unwrap_or(0)),
                    thousands(s.count_in.unwrap_or(0)),
                    match s.criterion.as_deref() {
                        Some("has_dockerfile") =>
                            ", by the importer's Dockerfile names in the default branch's tree",
                        Some("has_hub_image") =>
                            ", checked against Docker Hub for the images named in the README and compose files and for the repository's own owner/name",
                        Some("min_commits") | Some("min_releases") =>
                            ", counted through the API's pagination",
                        _ => "",
                    }
                )
            })
            .collect();
        text.push_str(&format!(
            " We then kept, in this order, the repositories {}.",
            join_words(&parts)
        ));
        let unfinished: Vec<String> = filters
            .iter()
            .filter(|s| s.status != StepStatus::Done)
            .map(|s| s.label.clone())
            .collect();
        if !unfinished.is_empty() {
            text.push_str(&format!(" (Not finished: {}.)", join_words(&unfinished)));
        }
    }
    for s in sel.steps.iter().filter(|s| s.kind == StepKind::Sample) {
        if let Some(sp) = sample::SampleParams::of(&s.parameters) {
            text.push_str(&format!(
                " From the remaining {} we drew {} of {} repositories with seed {} \
                 (SplitMix64, Codebench {}), so the same seed draws the same sample.",
                thousands(s.count_in.unwrap_or(0)),
                match &sp.stratify {
                    Some(f) => format!("a sample stratified by {f} (proportional allocation)"),
                    None => "a simple random sample".to_string(),
                },
                thousands(s.count_out.unwrap_or(0)),
                sp.seed,
                env!("CARGO_PKG_VERSION"),
            ));
        }
    }
    if let Some(a) = sel.steps.iter().rev().find(|s| s.kind == StepKind::Accept) {
        text.push_str(&format!(
            " The {} repositories were imported on {} at their default branch's commit{}.",
            thousands(a.count_in.unwrap_or(0)),
            day(a.finished_at.as_deref().unwrap_or(&a.started_at)),
            match a.count_out {
                Some(n) if Some(n) != a.count_in => format!(
                    "; {} could not be imported and are listed with the reason",
                    thousands(a.count_in.unwrap_or(0).saturating_sub(n))
                ),
                _ => String::new(),
            }
        ));
    } else {
        text.push_str(&format!(
            " The selection holds {} repositories.",
            thousands(sel.population)
        ));
    }
    Some(text)
}

fn join_words(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

/// A tokio runtime for one network step (the core stays synchronous).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the network runtime: {e}")))
}

/// A GitHub client on `rt` for `net`.
pub(crate) fn github(
    rt: &tokio::runtime::Runtime,
    net: &NetOptions,
) -> Result<codebench_github::GitHub> {
    let _guard = rt.enter();
    codebench_github::GitHub::new(codebench_github::GitHubOptions {
        api_url: net.api_url.clone(),
        token: net.token.clone(),
        concurrency: net.concurrency(),
        max_file_bytes: crate::corpus::MAX_FILE_BYTES,
        ..codebench_github::GitHubOptions::default()
    })
    .map_err(|e| Error::Invalid(e.to_string()))
}

/// A Docker Hub client for `net`.
pub(crate) fn hub(net: &NetOptions) -> Result<codebench_hub::Hub> {
    codebench_hub::Hub::new(codebench_hub::HubOptions {
        base_url: net.hub_url.clone(),
        ..codebench_hub::HubOptions::default()
    })
    .map_err(|e| Error::Invalid(e.to_string()))
}

/// A GitHub wait as a progress event.
pub(crate) fn github_wait(event: codebench_github::Event) -> Option<SelectProgress> {
    match event {
        codebench_github::Event::Waiting { repo, reason, wait } => Some(SelectProgress::Waiting {
            repo,
            reason: crate::corpus::github::wait_reason(reason).to_string(),
            wait_seconds: wait.as_secs_f64(),
        }),
        codebench_github::Event::Started { .. } => None,
    }
}

/// A Docker Hub wait as a progress event.
pub(crate) fn hub_wait(event: codebench_hub::HubEvent) -> SelectProgress {
    let codebench_hub::HubEvent::Waiting { name, reason, wait } = event;
    SelectProgress::Waiting {
        repo: format!("Docker Hub: {name}"),
        reason: match reason {
            codebench_hub::HubWaitReason::RateLimit => {
                "Docker Hub rate limit spent; waiting for it to reset"
            }
            codebench_hub::HubWaitReason::TooManyRequests => {
                "Docker Hub answered 429 Too Many Requests; waiting"
            }
            codebench_hub::HubWaitReason::Retry => "server error or dropped connection; retrying",
        }
        .to_string(),
        wait_seconds: wait.as_secs_f64(),
    }
}

/// Runs `jobs` with at most `n` in flight, handing each result to `on_each` as soon as it is
/// complete. Ends when all are handed over (true), or when `on_each` says `Break` or `stop`
/// says true (asked every [`STOP_POLL`]; the jobs in flight are dropped) (false).
pub(crate) async fn each_until<F, T>(
    jobs: Vec<F>,
    n: usize,
    stop: &(dyn Fn() -> bool + Sync),
    mut on_each: impl FnMut(T) -> ControlFlow<()>,
) -> bool
where
    F: Future<Output = T>,
{
    let mut stream = futures_util::stream::iter(jobs).buffer_unordered(n.max(1));
    let mut poll = tokio::time::interval(STOP_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some(t) => {
                    if on_each(t).is_break() || stop() {
                        return false;
                    }
                }
                None => return true,
            },
            _ = poll.tick() => {
                if stop() {
                    return false;
                }
            }
        }
    }
}

/// Deletes every step (a restart before anything was accepted), recording what was there.
pub(crate) fn clear(tx: &Connection) -> Result<()> {
    let rows = steps(tx)?;
    if rows.is_empty() {
        return Ok(());
    }
    let old: Vec<serde_json::Value> = rows
        .iter()
        .map(|s| {
            serde_json::json!({
                "step": s.position, "kind": s.kind.as_str(), "parameters": s.parameters,
                "status": s.status.as_str(), "in": s.count_in, "out": s.count_out,
            })
        })
        .collect();
    tx.execute("DELETE FROM selection_step", [])?;
    tx.execute("DELETE FROM selection_drift", [])?;
    crate::history::record(
        tx,
        "user",
        "selection.restart",
        "selection",
        Some(&serde_json::Value::Array(old)),
        None,
    )?;
    Ok(())
}

/// The stored step with this id, if any.
pub(crate) fn step_row(c: &Connection, id: i64) -> Result<Option<StepRow>> {
    let found: Option<i64> = c
        .query_row("SELECT id FROM selection_step WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    match found {
        Some(_) => Ok(steps(c)?.into_iter().find(|s| s.id == id)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests;
