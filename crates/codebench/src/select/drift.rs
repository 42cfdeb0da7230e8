//! Re-running a selection against today's GitHub: the recorded steps stay as they are, and a
//! report says what drifted since — repositories that vanished from the search, are new to it
//! or changed, and at each step the ones that newly match or no longer do.
//!
//! The search runs again with the recorded query and start and a new end (now). Criteria the
//! search's answer decides are applied to today's answer. Criteria that ask GitHub or Docker
//! Hub reuse a step's recorded answer for a repository not pushed since, and ask again for the
//! rest, so a re-run costs the search and the repositories that moved. A sample is not
//! drawn again: its report lists the sampled repositories that no longer reach it and the
//! repositories that now would.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::ControlFlow;

use codebench_github::PlanOptions;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::filter::{ask_all, Answer};
use super::search::SearchParams;
use super::{
    github, github_wait, hub, hub_wait, population, runtime, steps, Candidate, Criterion,
    NetOptions, SelectProgress, StepKind, StepStatus,
};
use crate::{Error, Result, Study};

/// Most repositories listed per kind of change in one report (the counts are complete).
const MAX_LISTED: usize = 10_000;

/// A repository named in a drift report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DriftRepo {
    /// `owner/name` (today's name when GitHub still has it).
    pub repository: String,
    /// GitHub's numeric id.
    pub repo_id: u64,
    /// Why it left, where that applies.
    pub reason: Option<String>,
}

/// One field of a repository that changed since the recorded search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldChange {
    /// `full_name`, `archived`, `fork`, `stars`, `pushed_at`, `language` or `default_branch`.
    pub field: String,
    /// As recorded.
    pub before: String,
    /// Today.
    pub now: String,
}

/// A repository found both times whose search answer changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DriftChange {
    /// `owner/name` today.
    pub repository: String,
    /// GitHub's numeric id.
    pub repo_id: u64,
    /// What changed.
    pub fields: Vec<FieldChange>,
}

/// The drift at one recorded step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DriftStep {
    /// The step's position.
    pub step: u32,
    /// What it does.
    pub label: String,
    /// Repositories out of it as recorded.
    pub recorded_out: u64,
    /// Repositories out of it today.
    pub out_now: u64,
    /// Out of it today, not as recorded (for a sample: now in its population, not before).
    pub newly_matching: Vec<DriftRepo>,
    /// Out of it as recorded, not today, with the reason.
    pub no_longer_matching: Vec<DriftRepo>,
}

/// What a re-run of the selection found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DriftReport {
    /// When it ran.
    pub ran_at: String,
    /// The query re-run.
    pub query: String,
    /// The end of today's `created:` range.
    pub created_until: String,
    /// Repositories the recorded search found.
    pub found_before: u64,
    /// Repositories the search finds today.
    pub found_now: u64,
    /// Found before, not today (deleted, made private, renamed out of the query, topic removed).
    pub vanished: Vec<DriftRepo>,
    /// Found today, not before (created since, or newly matching the query).
    pub new: Vec<DriftRepo>,
    /// Found both times, with a different answer (including renames).
    pub changed: Vec<DriftChange>,
    /// The drift at every later step.
    pub steps: Vec<DriftStep>,
    /// HTTP requests sent.
    pub requests: u64,
    /// False when some repositories could not be checked (they count as still matching).
    pub complete: bool,
    /// Why it is not complete.
    pub note: Option<String>,
}

/// The last drift report, if the selection was re-run.
pub(crate) fn last(c: &Connection) -> Result<Option<DriftReport>> {
    let json: Option<String> = c
        .query_row(
            "SELECT report FROM selection_drift ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

fn changes(before: &Candidate, now: &Candidate) -> Vec<FieldChange> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut out = Vec::new();
    let mut diff = |field: &str, a: String, b: String| {
        if a != b {
            out.push(FieldChange {
                field: field.into(),
                before: a,
                now: b,
            });
        }
    };
    diff("full_name", before.full_name.clone(), now.full_name.clone());
    diff(
        "archived",
        before.archived.to_string(),
        now.archived.to_string(),
    );
    diff("fork", before.fork.to_string(), now.fork.to_string());
    diff("stars", before.stars.to_string(), now.stars.to_string());
    diff("pushed_at", opt(&before.pushed_at), opt(&now.pushed_at));
    diff("language", opt(&before.language), opt(&now.language));
    diff(
        "default_branch",
        opt(&before.default_branch),
        opt(&now.default_branch),
    );
    out
}

fn repo(c: &Candidate, reason: Option<String>) -> DriftRepo {
    DriftRepo {
        repository: c.full_name.clone(),
        repo_id: c.repo_id,
        reason,
    }
}

/// Repository id → whether the step left it out, for the repositories the step checked.
fn recorded_answers(c: &Connection, step_id: i64) -> Result<HashMap<u64, Option<String>>> {
    let mut stmt = c.prepare(
        "SELECT k.repo_id, e.reason FROM selection_check k
         LEFT JOIN selection_excluded e ON e.step_id = k.step_id AND e.repo_id = k.repo_id
         WHERE k.step_id = ?1",
    )?;
    let rows = stmt.query_map([step_id], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (id, reason) = row?;
        out.insert(u64::try_from(id).unwrap_or(0), reason);
    }
    Ok(out)
}

impl Study {
    /// Re-runs the selection against today's GitHub (and Docker Hub) and reports the drift;
    /// the recorded steps do not change. The report is kept (the last one is shown with the
    /// selection).
    pub fn rerun_selection(
        &mut self,
        net: &NetOptions,
        progress: &(dyn Fn(SelectProgress) + Sync),
    ) -> Result<DriftReport> {
        let rows = steps(self.conn())?;
        let search = match rows.first() {
            Some(s) if s.kind == StepKind::Search && s.status == StepStatus::Done => s.clone(),
            _ => {
                return Err(Error::Conflict(
                    "the selection has no finished search to re-run".into(),
                ))
            }
        };
        let params: SearchParams = serde_json::from_value(search.parameters.clone())
            .map_err(|e| Error::Invalid(format!("search step: {e}")))?;
        let until = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let rt = runtime()?;
        let gh = github(&rt, net)?;
        let hub_client = hub(net)?;
        let stop = || net.cancelled();
        let on_event = |e| {
            if let Some(p) = github_wait(e) {
                progress(p)
            }
        };
        let on_hub = |e| progress(hub_wait(e));
        let search_error = |e: codebench_github::SearchError| -> Error {
            if net.cancelled() {
                Error::Cancelled("re-running the selection".into())
            } else {
                Error::Invalid(format!("re-running the search: {e}"))
            }
        };
        let plan = rt
            .block_on(gh.plan_search(
                &params.query,
                &PlanOptions {
                    created_from: Some(params.created_from.clone()),
                    created_until: Some(until.clone()),
                    ..PlanOptions::default()
                },
                &on_event,
                &stop,
                |c| {
                    progress(SelectProgress::Counted {
                        query: c.query.clone(),
                        total: c.total_count,
                    })
                },
            ))
            .map_err(search_error)?;
        progress(SelectProgress::Planned {
            slices: plan.slices.len() as u64,
            total: plan.total_count,
        });
        let mut now_by_id: BTreeMap<u64, Candidate> = BTreeMap::new();
        let summary = rt
            .block_on(
                gh.search_slices_until(&plan, &|_| false, &on_event, &stop, |hits| {
                    for h in &hits.hits {
                        now_by_id
                            .entry(h.id)
                            .or_insert_with(|| Candidate::of_hit(h));
                    }
                    progress(SelectProgress::Page {
                        slice: hits.index as u64,
                        page: hits.pages,
                        found: now_by_id.len() as u64,
                    });
                    ControlFlow::Continue(())
                }),
            )
            .map_err(search_error)?;
        if summary.stopped {
            return Err(Error::Cancelled("re-running the selection".into()));
        }
        let before: Vec<Candidate> = population(self.conn(), 0)?;
        let before_by_id: HashMap<u64, &Candidate> =
            before.iter().map(|c| (c.repo_id, c)).collect();
        let mut report = DriftReport {
            ran_at: crate::now(),
            query: params.query.clone(),
            created_until: until.clone(),
            found_before: before.len() as u64,
            found_now: now_by_id.len() as u64,
            vanished: Vec::new(),
            new: Vec::new(),
            changed: Vec::new(),
            steps: Vec::new(),
            requests: 0,
            complete: true,
            note: None,
        };
        // Why a repository is not in today's chain (for the steps' reasons).
        let mut gone: HashMap<u64, String> = HashMap::new();
        for c in &before {
            match now_by_id.get(&c.repo_id) {
                None => {
                    gone.insert(c.repo_id, "no longer found by the search".into());
                    if report.vanished.len() < MAX_LISTED {
                        report.vanished.push(repo(c, None));
                    }
                }
                Some(n) => {
                    let fields = changes(c, n);
                    if !fields.is_empty() && report.changed.len() < MAX_LISTED {
                        report.changed.push(DriftChange {
                            repository: n.full_name.clone(),
                            repo_id: n.repo_id,
                            fields,
                        });
                    }
                }
            }
        }
        for n in now_by_id.values() {
            if !before_by_id.contains_key(&n.repo_id) && report.new.len() < MAX_LISTED {
                report.new.push(repo(n, None));
            }
        }
        let mut current: Vec<Candidate> = now_by_id.values().cloned().collect();
        let mut transient = 0u64;
        let mut last_transient: Option<String> = None;
        for step in rows.iter().skip(1) {
            let recorded_in: BTreeSet<u64> =
                population(self.conn(), step.position.saturating_sub(1))?
                    .iter()
                    .map(|c| c.repo_id)
                    .collect();
            let recorded_out: Vec<Candidate> = population(self.conn(), step.position)?;
            let recorded_ids: BTreeSet<u64> = recorded_out.iter().map(|c| c.repo_id).collect();
            let label = super::label_of(step);
            let (kept, dropped): (Vec<Candidate>, Vec<(Candidate, String)>) = match step.kind {
                StepKind::Filter => {
                    let criterion: Criterion = serde_json::from_value(step.parameters.clone())
                        .map_err(|e| Error::Invalid(format!("step {}: {e}", step.position)))?;
                    let mut verdict: HashMap<u64, Option<String>> = HashMap::new();
                    let mut ask: Vec<Candidate> = Vec::new();
                    if criterion.decided_by_search() {
                        for c in &current {
                            verdict.insert(c.repo_id, criterion.leaves_out(c));
                        }
                    } else {
                        let answers = recorded_answers(self.conn(), step.id)?;
                        for c in &current {
                            let unmoved = before_by_id
                                .get(&c.repo_id)
                                .is_some_and(|b| b.pushed_at == c.pushed_at);
                            match answers.get(&c.repo_id) {
                                Some(reason) if unmoved => {
                                    verdict.insert(c.repo_id, reason.clone());
                                }
                                _ => ask.push(c.clone()),
                            }
                        }
                    }
                    progress(SelectProgress::Step {
                        step: step.position,
                        label: label.clone(),
                        to_do: ask.len() as u64,
                        done_before: verdict.len() as u64,
                    });
                    if !ask.is_empty() {
                        let mut on_answer = |c: &Candidate, a: Answer| {
                            match a {
                                Answer::Stored { left_out, .. } => {
                                    progress(SelectProgress::Checked {
                                        step: step.position,
                                        repository: c.full_name.clone(),
                                        kept: left_out.is_none(),
                                        reason: left_out.clone(),
                                    });
                                    verdict.insert(c.repo_id, left_out);
                                }
                                Answer::Transient(m) => {
                                    transient += 1;
                                    last_transient = Some(m);
                                }
                            }
                            ControlFlow::Continue(())
                        };
                        ask_all(
                            &rt,
                            &gh,
                            &hub_client,
                            &criterion,
                            &ask,
                            net.concurrency(),
                            &on_event,
                            &on_hub,
                            &stop,
                            &mut on_answer,
                        );
                        if net.cancelled() {
                            return Err(Error::Cancelled("re-running the selection".into()));
                        }
                    }
                    let mut kept = Vec::new();
                    let mut dropped = Vec::new();
                    for c in current {
                        match verdict.get(&c.repo_id).cloned().flatten() {
                            Some(reason) => dropped.push((c, reason)),
                            None => kept.push(c),
                        }
                    }
                    (kept, dropped)
                }
                // A sample is not drawn again; accept imports what reaches it.
                StepKind::Sample | StepKind::Accept => {
                    let in_now: HashSet<u64> = current.iter().map(|c| c.repo_id).collect();
                    let newly: Vec<DriftRepo> = current
                        .iter()
                        .filter(|c| !recorded_in.contains(&c.repo_id))
                        .take(MAX_LISTED)
                        .map(|c| repo(c, None))
                        .collect();
                    let lost: Vec<DriftRepo> = recorded_out
                        .iter()
                        .filter(|c| !in_now.contains(&c.repo_id))
                        .take(MAX_LISTED)
                        .map(|c| {
                            repo(
                                c,
                                Some(
                                    gone.get(&c.repo_id)
                                        .cloned()
                                        .unwrap_or_else(|| "no longer reaches this step".into()),
                                ),
                            )
                        })
                        .collect();
                    let kept: Vec<Candidate> = current
                        .into_iter()
                        .filter(|c| recorded_ids.contains(&c.repo_id))
                        .collect();
                    report.steps.push(DriftStep {
                        step: step.position,
                        label,
                        recorded_out: recorded_ids.len() as u64,
                        out_now: kept.len() as u64,
                        newly_matching: if step.kind == StepKind::Sample {
                            newly
                        } else {
                            Vec::new()
                        },
                        no_longer_matching: lost,
                    });
                    current = kept;
                    continue;
                }
                StepKind::Search => (current, Vec::new()),
            };
            for (c, reason) in &dropped {
                gone.insert(
                    c.repo_id,
                    format!("left out at step {}: {reason}", step.position),
                );
            }
            let kept_ids: HashSet<u64> = kept.iter().map(|c| c.repo_id).collect();
            let newly_matching = kept
                .iter()
                .filter(|c| !recorded_ids.contains(&c.repo_id))
                .take(MAX_LISTED)
                .map(|c| repo(c, None))
                .collect();
            let no_longer_matching = recorded_out
                .iter()
                .filter(|c| !kept_ids.contains(&c.repo_id))
                .take(MAX_LISTED)
                .map(|c| {
                    let reason = gone
                        .get(&c.repo_id)
                        .cloned()
                        .unwrap_or_else(|| "no longer reaches this step".into());
                    repo(c, Some(reason))
                })
                .collect();
            report.steps.push(DriftStep {
                step: step.position,
                label,
                recorded_out: recorded_ids.len() as u64,
                out_now: kept.len() as u64,
                newly_matching,
                no_longer_matching,
            });
            current = kept;
        }
        report.requests = gh.requests_sent() + hub_client.requests_sent();
        if transient > 0 {
            report.complete = false;
            report.note = Some(format!(
                "{transient} repositories could not be checked ({}); they count as still matching",
                last_transient.unwrap_or_default()
            ));
        }
        let json = serde_json::to_string(&report)?;
        let summary = serde_json::json!({
            "found_before": report.found_before, "found_now": report.found_now,
            "vanished": report.vanished.len(), "new": report.new.len(),
            "changed": report.changed.len(),
        });
        self.write(|tx| {
            tx.execute(
                "INSERT INTO selection_drift (ran_at, created_until, report) VALUES (?1, ?2, ?3)",
                params![report.ran_at, until, json],
            )?;
            crate::history::record(
                tx,
                "user",
                "selection.rerun",
                "selection",
                None,
                Some(&summary),
            )?;
            Ok(())
        })?;
        Ok(report)
    }
}
