//! The filter steps: one criterion per step, applied to the repositories still in.
//!
//! Criteria the search's answer decides (archived, fork, stars, last push, language) ask
//! nothing more. The others ask GitHub (commits and releases counted from the `Link` header of
//! a one-item page, the Dockerfiles of the default branch's tree by the importer's rules) or
//! Docker Hub (an image named in the README or a compose file, or named like the repository),
//! and store each repository's answer in its own transaction: a killed filter resumes with the
//! repositories it has no answer for.
//!
//! This module holds the filter steps as recorded and run ([`Study::select_filter`]); the
//! criteria are in `criterion.rs` and the answers asked of GitHub and Docker Hub in
//! `answer.rs`.

mod answer;
mod criterion;

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use codebench_github::FailureKind;
use rusqlite::{params, Connection};

use super::{
    exclude, finish_step, github, github_wait, hub, hub_wait, insert_step, population,
    population_count, runtime, sql_int, Candidate, NetOptions, Outcome, SelectProgress, Step,
    StepKind, StepRow, StepStatus,
};
use crate::{Error, Result, Study};

pub(crate) use answer::{ask_all, Answer};
pub use criterion::Criterion;

/// Most criteria in one filter call.
const MAX_CRITERIA: usize = 50;

fn checked_ids(c: &Connection, step_id: i64) -> Result<HashSet<u64>> {
    let mut stmt = c.prepare_cached("SELECT repo_id FROM selection_check WHERE step_id = ?1")?;
    let rows = stmt.query_map([step_id], |r| r.get::<_, i64>(0))?;
    let mut out = HashSet::new();
    for r in rows {
        out.insert(u64::try_from(r?).unwrap_or(0));
    }
    Ok(out)
}

/// Stores one repository's lasting answer (and its exclusion) in one transaction.
fn store_answer(
    tx: &Connection,
    step: &StepRow,
    c: &Candidate,
    value: &Option<serde_json::Value>,
    failure: Option<FailureKind>,
    message: &Option<String>,
    left_out: &Option<String>,
) -> Result<()> {
    let failure = match failure {
        Some(f) => Some(
            serde_json::to_value(f)?
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        None => None,
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO selection_check (step_id, repo_id, value, failure, message, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        step.id,
        sql_int(c.repo_id),
        value.as_ref().map(|v| v.to_string()),
        failure,
        message,
        crate::now()
    ])?;
    if let Some(reason) = left_out {
        exclude(tx, step, c, reason)?;
    }
    Ok(())
}

/// Which of `criteria` continue the trailing filter steps: the number already recorded (a
/// resumed or repeated call), and the steps that match them.
fn recorded_prefix<'a>(
    rows: &'a [StepRow],
    criteria: &[Criterion],
) -> Result<(usize, Vec<&'a StepRow>)> {
    let trailing: Vec<&StepRow> = rows
        .iter()
        .rev()
        .take_while(|s| s.kind == StepKind::Filter)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let wanted: Vec<serde_json::Value> = criteria
        .iter()
        .map(serde_json::to_value)
        .collect::<std::result::Result<_, _>>()?;
    for k in (1..=criteria.len().min(trailing.len())).rev() {
        let tail = &trailing[trailing.len() - k..];
        if tail.iter().zip(&wanted).all(|(s, w)| s.parameters == *w) {
            return Ok((k, tail.to_vec()));
        }
    }
    if let Some(last) = trailing.last() {
        if last.status != StepStatus::Done {
            return Err(Error::Conflict(format!(
                "step {} ({}) is not finished: run that filter again first",
                last.position,
                super::label_of(last)
            )));
        }
    }
    Ok((0, Vec::new()))
}

impl Study {
    /// Applies `criteria` in order, each as its own recorded step on the repositories the step
    /// before left in. Running the same call again resumes an unfinished step (asking only
    /// the repositories it has no answer for) and returns finished ones as they are. Stops at
    /// the first step that cannot finish (a cancel, or transient trouble: it stays unfinished
    /// with the reason); returns the steps of this call.
    pub fn select_filter(
        &mut self,
        criteria: &[Criterion],
        net: &NetOptions,
        progress: &(dyn Fn(SelectProgress) + Sync),
    ) -> Result<Vec<Step>> {
        if criteria.is_empty() {
            return Err(Error::Invalid("name at least one filter criterion".into()));
        }
        if criteria.len() > MAX_CRITERIA {
            return Err(Error::Invalid(format!(
                "at most {MAX_CRITERIA} criteria in one filter call"
            )));
        }
        for c in criteria {
            c.validate()?;
        }
        let rows = self.open_for_steps(StepKind::Filter)?;
        let (recorded, matched) = recorded_prefix(&rows, criteria)?;
        let mut out = Vec::new();
        let matched: Vec<StepRow> = matched.into_iter().cloned().collect();
        for (criterion, step) in criteria.iter().zip(&matched) {
            let view = if step.status == StepStatus::Done {
                self.step_view(step)?
            } else {
                self.run_filter(step, criterion, net, progress)?
            };
            let finished = view.status == StepStatus::Done;
            out.push(view);
            if !finished {
                return Ok(out);
            }
        }
        for criterion in &criteria[recorded..] {
            if net.cancelled() {
                break;
            }
            let last = steps_last_position(self.conn())?;
            let count_in = population_count(self.conn(), last)?;
            let parameters = serde_json::to_value(criterion)?;
            let (api, hub_url) = if criterion.decided_by_search() {
                (None, None)
            } else if *criterion == Criterion::HasHubImage {
                (Some(net.api()), Some(net.hub()))
            } else {
                (Some(net.api()), None)
            };
            let step = self.write(|tx| {
                insert_step(
                    tx,
                    StepKind::Filter,
                    Some(criterion.name()),
                    &parameters,
                    api.as_deref(),
                    hub_url.as_deref(),
                    Some(count_in),
                )
            })?;
            let view = self.run_filter(&step, criterion, net, progress)?;
            let finished = view.status == StepStatus::Done;
            out.push(view);
            if !finished {
                break;
            }
        }
        Ok(out)
    }

    fn run_filter(
        &mut self,
        step: &StepRow,
        criterion: &Criterion,
        net: &NetOptions,
        progress: &(dyn Fn(SelectProgress) + Sync),
    ) -> Result<Step> {
        let input = population(self.conn(), step.position.saturating_sub(1))?;
        if criterion.decided_by_search() {
            progress(SelectProgress::Step {
                step: step.position,
                label: criterion.label(),
                to_do: input.len() as u64,
                done_before: 0,
            });
            self.write(|tx| {
                for c in &input {
                    if let Some(reason) = criterion.leaves_out(c) {
                        exclude(tx, step, c, &reason)?;
                    }
                }
                let out = population_count(tx, step.position)?;
                finish_step(
                    tx,
                    step,
                    &Outcome {
                        status: StepStatus::Done,
                        count_in: Some(input.len() as u64),
                        count_out: Some(out),
                        requests: 0,
                        error: None,
                    },
                )
            })?;
            return self.step_view_of(step.id);
        }
        let checked = checked_ids(self.conn(), step.id)?;
        let targets: Vec<Candidate> = input
            .iter()
            .filter(|c| !checked.contains(&c.repo_id))
            .cloned()
            .collect();
        progress(SelectProgress::Step {
            step: step.position,
            label: criterion.label(),
            to_do: targets.len() as u64,
            done_before: checked.len() as u64,
        });
        let rt = runtime()?;
        let gh = github(&rt, net)?;
        let hub_client = hub(net)?;
        let store_failed = AtomicBool::new(false);
        let stop = || net.cancelled() || store_failed.load(Ordering::SeqCst);
        let on_event = |e| {
            if let Some(p) = github_wait(e) {
                progress(p)
            }
        };
        let on_hub = |e| progress(hub_wait(e));
        let mut store_error: Option<Error> = None;
        let mut transient: (u64, Option<String>) = (0, None);
        let mut handed = 0usize;
        {
            let study = &mut *self;
            let mut on_answer = |c: &Candidate, answer: Answer| -> ControlFlow<()> {
                handed += 1;
                match answer {
                    Answer::Transient(m) => {
                        transient.0 += 1;
                        transient.1 = Some(m);
                        ControlFlow::Continue(())
                    }
                    Answer::Stored {
                        value,
                        failure,
                        message,
                        left_out,
                    } => {
                        let r = study.write(|tx| {
                            store_answer(tx, step, c, &value, failure, &message, &left_out)
                        });
                        match r {
                            Ok(()) => {
                                progress(SelectProgress::Checked {
                                    step: step.position,
                                    repository: c.full_name.clone(),
                                    kept: left_out.is_none(),
                                    reason: left_out,
                                });
                                ControlFlow::Continue(())
                            }
                            Err(e) => {
                                store_error = Some(e);
                                store_failed.store(true, Ordering::SeqCst);
                                ControlFlow::Break(())
                            }
                        }
                    }
                }
            };
            ask_all(
                &rt,
                &gh,
                &hub_client,
                criterion,
                &targets,
                net.concurrency(),
                &on_event,
                &on_hub,
                &stop,
                &mut on_answer,
            );
        }
        if let Some(e) = store_error {
            return Err(e);
        }
        let requests = gh.requests_sent() + hub_client.requests_sent();
        let complete = handed == targets.len() && transient.0 == 0;
        let outcome = if complete {
            Outcome {
                status: StepStatus::Done,
                count_in: Some(input.len() as u64),
                count_out: Some(population_count(self.conn(), step.position)?),
                requests,
                error: None,
            }
        } else {
            let left = targets.len() - handed + transient.0 as usize;
            Outcome {
                status: StepStatus::Unfinished,
                count_in: Some(input.len() as u64),
                count_out: None,
                requests,
                error: Some(match (&transient.1, net.cancelled()) {
                    (_, true) => format!(
                        "cancelled with {left} repositories not checked; run the filter again to go on"
                    ),
                    (Some(m), false) => format!(
                        "{left} repositories could not be checked ({m}); run the filter again to check them"
                    ),
                    (None, false) => format!(
                        "{left} repositories not checked; run the filter again to go on"
                    ),
                }),
            }
        };
        self.write(|tx| finish_step(tx, step, &outcome))?;
        self.step_view_of(step.id)
    }
}

fn steps_last_position(c: &Connection) -> Result<u32> {
    let n: i64 = c.query_row(
        "SELECT coalesce(max(position), 0) FROM selection_step",
        [],
        |r| r.get(0),
    )?;
    Ok(u32::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests;
