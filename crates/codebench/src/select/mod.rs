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
//! holds the record's shape and its reading, with the record as stored in `record.rs`, its
//! outputs (`selection.csv`, `excluded.csv`, the funnel figure, the methods paragraph) in
//! `outputs.rs`, and what the network steps share in `network.rs`.

pub mod accept;
pub mod drift;
pub mod filter;
mod network;
mod outputs;
mod record;
pub mod sample;
pub mod search;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Error, Result, Study};

pub use filter::Criterion;
pub(crate) use network::{each_until, github, github_wait, hub, hub_wait, runtime};
pub use network::{NetOptions, SelectProgress};
pub(crate) use record::{
    clear, exclude, finish_step, insert_step, population, population_count, sql_int, step_row,
    steps, Candidate, Outcome, StepRow,
};

use record::{excluded_of, label_of};

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
}

#[cfg(test)]
mod tests;
