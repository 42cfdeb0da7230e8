//! The filter steps: one criterion per step, applied to the repositories still in.
//!
//! Criteria the search's answer decides (archived, fork, stars, last push, language) ask
//! nothing more. The others ask GitHub (commits and releases counted from the `Link` header of
//! a one-item page, the Dockerfiles of the default branch's tree by the importer's rules) or
//! Docker Hub (an image named in the README or a compose file, or named like the repository),
//! and store each repository's answer in its own transaction: a killed filter resumes with the
//! repositories it has no answer for.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use codebench_github::{
    Check, CheckOutcome, CheckTarget, CheckValue, FailureKind, FileRole, FileSelector, GitHub,
    RefSource, RepoFailure, RepoOutcome,
};
use codebench_hub::{Hub, HubName, Lookup};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{
    each_until, exclude, finish_step, github, github_wait, hub, hub_wait, insert_step, population,
    population_count, runtime, sql_int, Candidate, NetOptions, Outcome, SelectProgress, Step,
    StepKind, StepRow, StepStatus,
};
use crate::corpus::github::StudySelector;
use crate::corpus::names::{self, Role};
use crate::{Error, Result, Study};

/// Most criteria in one filter call.
const MAX_CRITERIA: usize = 50;

/// One criterion of a filter step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "criterion", rename_all = "snake_case")]
pub enum Criterion {
    /// At least this many commits on the default branch (counted through the API's paging).
    MinCommits {
        /// The least kept.
        min: u64,
    },
    /// At least this many releases.
    MinReleases {
        /// The least kept.
        min: u64,
    },
    /// Not archived (from the search's answer).
    NotArchived,
    /// Not a fork (from the search's answer).
    NotFork,
    /// At least this many stars (from the search's answer).
    MinStars {
        /// The least kept.
        min: u64,
    },
    /// Pushed later than a date (`YYYY-MM-DD`: after that day, as GitHub's `pushed:>DATE`;
    /// or an RFC 3339 time), from the search's answer.
    PushedAfter {
        /// The date or time.
        date: String,
    },
    /// GitHub's primary language is this one (any case), from the search's answer.
    Language {
        /// The language, as GitHub names it (`Python`, `Jupyter Notebook`).
        language: String,
    },
    /// A Dockerfile in the default branch's tree, by the importer's rules (names such as
    /// `Dockerfile`, `Dockerfile.gpu`, `api.dockerfile`; not under `node_modules/`, `vendor/`
    /// or `.git/`; not a symbolic link).
    HasDockerfile,
    /// An image on Docker Hub: one named in the README or a compose file, or one named like
    /// the repository (`owner/name` in lower case).
    HasHubImage,
}

impl Criterion {
    /// The criterion's name (`min_commits`...), as recorded.
    pub fn name(&self) -> &'static str {
        match self {
            Criterion::MinCommits { .. } => "min_commits",
            Criterion::MinReleases { .. } => "min_releases",
            Criterion::NotArchived => "not_archived",
            Criterion::NotFork => "not_fork",
            Criterion::MinStars { .. } => "min_stars",
            Criterion::PushedAfter { .. } => "pushed_after",
            Criterion::Language { .. } => "language",
            Criterion::HasDockerfile => "has_dockerfile",
            Criterion::HasHubImage => "has_hub_image",
        }
    }

    /// What it keeps, in words (`at least 100 commits`).
    pub fn label(&self) -> String {
        let plural = |n: u64, one: &str, many: &str| {
            if n == 1 {
                format!("at least 1 {one}")
            } else {
                format!("at least {n} {many}")
            }
        };
        match self {
            Criterion::MinCommits { min } => plural(*min, "commit", "commits"),
            Criterion::MinReleases { min } => plural(*min, "release", "releases"),
            Criterion::NotArchived => "not archived".into(),
            Criterion::NotFork => "not a fork".into(),
            Criterion::MinStars { min } => plural(*min, "star", "stars"),
            Criterion::PushedAfter { date } => format!("pushed after {date}"),
            Criterion::Language { language } => format!("language {language}"),
            Criterion::HasDockerfile => "a Dockerfile in the tree".into(),
            Criterion::HasHubImage => "an image on Docker Hub".into(),
        }
    }

    /// What it keeps, as a clause of the methods paragraph (`that are not archived`).
    pub fn phrase(&self) -> String {
        match self {
            Criterion::NotArchived => "that are not archived".into(),
            Criterion::NotFork => "that are not forks".into(),
            Criterion::PushedAfter { date } => format!("pushed after {date}"),
            Criterion::Language { language } => {
                format!("whose primary language is {language}")
            }
            Criterion::HasDockerfile => "with a Dockerfile in the tree".into(),
            Criterion::HasHubImage => "with an image on Docker Hub".into(),
            other => format!("with {}", other.label()),
        }
    }

    /// Checks the criterion's value.
    pub fn validate(&self) -> Result<()> {
        match self {
            Criterion::PushedAfter { date } => {
                super::search::instant(date, true).ok_or_else(|| {
                    Error::Invalid(format!(
                        "pushed after: '{date}' is not a date (YYYY-MM-DD) or an RFC 3339 time"
                    ))
                })?;
            }
            Criterion::Language { language } => {
                let l = language.trim();
                if l.is_empty() || l.len() > 100 || l.chars().any(char::is_control) {
                    return Err(Error::Invalid(
                        "language: name one language, as GitHub names it (e.g. Python)".into(),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the search's answer decides it (no request).
    pub(crate) fn decided_by_search(&self) -> bool {
        !matches!(
            self,
            Criterion::MinCommits { .. }
                | Criterion::MinReleases { .. }
                | Criterion::HasDockerfile
                | Criterion::HasHubImage
        )
    }

    /// For a criterion the search's answer decides: why `c` is left out, or `None`.
    pub(crate) fn leaves_out(&self, c: &Candidate) -> Option<String> {
        match self {
            Criterion::NotArchived => c.archived.then(|| "archived".to_string()),
            Criterion::NotFork => c.fork.then(|| "a fork".to_string()),
            Criterion::MinStars { min } => {
                (c.stars < *min).then(|| format!("{} stars, fewer than {min}", c.stars))
            }
            Criterion::PushedAfter { date } => {
                let bound = super::search::instant(date, true).unwrap_or_default();
                let pushed = c
                    .pushed_at
                    .as_deref()
                    .and_then(|p| super::search::instant(p, false));
                match pushed {
                    Some(p) if p > bound => None,
                    Some(p) => Some(format!("last pushed {p}, not after {date}")),
                    None => Some("never pushed".into()),
                }
            }
            Criterion::Language { language } => {
                let want = language.trim();
                match c.language.as_deref() {
                    Some(l) if l.eq_ignore_ascii_case(want) => None,
                    Some(l) => Some(format!("language {l}, not {want}")),
                    None => Some(format!("no language detected, not {want}")),
                }
            }
            _ => None,
        }
    }
}

/// The importer's rules, for compose files only (the README comes through its own endpoint).
struct ComposeSelector;

impl FileSelector for ComposeSelector {
    fn role(&self, path: &str) -> Option<FileRole> {
        (names::role_of(path) == Some(Role::Compose)).then_some(FileRole::Compose)
    }

    fn descend(&self, path: &str) -> bool {
        !path.split('/').any(names::is_skipped_dir)
    }
}

/// One repository's answer for a filter that asks the network.
pub(crate) enum Answer {
    /// A lasting answer: the value stored, and why it is left out (`None`: kept).
    Stored {
        value: Option<serde_json::Value>,
        failure: Option<FailureKind>,
        message: Option<String>,
        left_out: Option<String>,
    },
    /// Transient trouble: nothing stored, asked again next run.
    Transient(String),
}

/// Why a repository that could not be read is left out.
fn failure_reason(f: &RepoFailure) -> String {
    match f.reason {
        FailureKind::NotFound => format!("gone from GitHub (404): {}", f.message),
        FailureKind::Blocked => format!("blocked (451): {}", f.message),
        FailureKind::Empty => "empty repository (no commits)".into(),
        FailureKind::Forbidden => format!("access forbidden (403): {}", f.message),
        _ => f.message.clone(),
    }
}

fn lasting_failure(f: &RepoFailure) -> Answer {
    if f.reason.is_transient() {
        return Answer::Transient(f.message.clone());
    }
    Answer::Stored {
        value: None,
        failure: Some(f.reason),
        message: Some(f.message.clone()),
        left_out: Some(failure_reason(f)),
    }
}

fn check_answer(criterion: &Criterion, o: &CheckOutcome) -> Answer {
    let value = match &o.result {
        Ok(v) => v,
        Err(f) => return lasting_failure(f),
    };
    match (criterion, value) {
        (Criterion::MinCommits { min }, CheckValue::Count(n)) => Answer::Stored {
            value: Some(serde_json::json!({ "commits": n })),
            failure: None,
            message: None,
            left_out: (n < min).then(|| format!("{n} commits, fewer than {min}")),
        },
        (Criterion::MinReleases { min }, CheckValue::Count(n)) => Answer::Stored {
            value: Some(serde_json::json!({ "releases": n })),
            failure: None,
            message: None,
            left_out: (n < min).then(|| {
                if *n == 0 {
                    "no release".to_string()
                } else {
                    format!("{n} releases, fewer than {min}")
                }
            }),
        },
        (Criterion::HasDockerfile, CheckValue::Files(t)) => {
            let dockerfiles: Vec<&str> = t
                .files
                .iter()
                .filter(|f| f.role == FileRole::Dockerfile)
                .map(|f| f.path.as_str())
                .collect();
            Answer::Stored {
                value: Some(serde_json::json!({
                    "reference": t.reference, "dockerfiles": dockerfiles,
                })),
                failure: None,
                message: None,
                left_out: dockerfiles
                    .is_empty()
                    .then(|| format!("no Dockerfile in the tree of {}", t.reference)),
            }
        }
        (_, other) => Answer::Transient(format!("unexpected answer {other:?}")),
    }
}

/// Asks Docker Hub for the images a repository names and its own name, until one exists.
async fn hub_answer(
    gh: &GitHub,
    hub: &Hub,
    c: &Candidate,
    on_event: &(dyn Fn(codebench_github::Event) + Sync),
    on_hub: &(dyn Fn(codebench_hub::HubEvent) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Answer {
    let snap = match gh
        .fetch_repo(&c.full_name, &ComposeSelector, on_event)
        .await
    {
        RepoOutcome::Fetched(s) => s,
        RepoOutcome::Failed(f) => return lasting_failure(&f),
    };
    let mut names: Vec<(HubName, &'static str)> = Vec::new();
    let mut references = Vec::new();
    for r in &snap.image_refs {
        let via = match r.how {
            RefSource::ComposeImage => "compose",
            RefSource::ReadmeLink | RefSource::DockerPull => "readme",
            _ => continue,
        };
        references.push(r.reference.clone());
        if let Ok(n) = HubName::parse(&r.reference) {
            if !names.iter().any(|(m, _)| *m == n) {
                names.push((n, via));
            }
        }
    }
    if let Some((owner, repo)) = snap.full_name.split_once('/') {
        if let Ok(n) = HubName::new(&owner.to_ascii_lowercase(), &repo.to_ascii_lowercase()) {
            if !names.iter().any(|(m, _)| *m == n) {
                names.push((n, "own-name"));
            }
        }
    }
    let mut tried = Vec::new();
    for (name, via) in names {
        match hub.repository(&name, on_hub, stop).await {
            Ok(Lookup::Found(_)) => {
                return Answer::Stored {
                    value: Some(serde_json::json!({
                        "found": name.to_string(), "via": via, "tried": tried,
                        "references": references,
                    })),
                    failure: None,
                    message: None,
                    left_out: None,
                }
            }
            Ok(Lookup::NotFound) => tried.push(name.to_string()),
            Err(e) if e.is_transient() => return Answer::Transient(e.to_string()),
            Err(e) => tried.push(format!("{name} ({e})")),
        }
    }
    let left_out = if tried.is_empty() {
        "no Docker Hub image name to check".to_string()
    } else {
        format!("no image on Docker Hub: {} not found", tried.join(", "))
    };
    Answer::Stored {
        value: Some(serde_json::json!({
            "found": null, "via": null, "tried": tried, "references": references,
        })),
        failure: None,
        message: None,
        left_out: Some(left_out),
    }
}

/// Asks GitHub (or Docker Hub) about every target for a criterion the search's answer does not
/// decide, handing each answer to `on_answer` as it arrives; ends early when `stop` says true
/// or `on_answer` says `Break`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ask_all(
    rt: &tokio::runtime::Runtime,
    gh: &GitHub,
    hub_client: &Hub,
    criterion: &Criterion,
    targets: &[Candidate],
    concurrency: usize,
    on_event: &(dyn Fn(codebench_github::Event) + Sync),
    on_hub: &(dyn Fn(codebench_hub::HubEvent) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
    on_answer: &mut dyn FnMut(&Candidate, Answer) -> ControlFlow<()>,
) {
    if *criterion == Criterion::HasHubImage {
        let jobs: Vec<_> = targets
            .iter()
            .map(|c| async move {
                let a = hub_answer(gh, hub_client, c, on_event, on_hub, stop).await;
                (c, a)
            })
            .collect();
        rt.block_on(each_until(jobs, concurrency, stop, |(c, a)| {
            on_answer(c, a)
        }));
        return;
    }
    let by_name: HashMap<String, &Candidate> = targets
        .iter()
        .map(|c| (c.full_name.to_ascii_lowercase(), c))
        .collect();
    let check_targets: Vec<CheckTarget> = targets
        .iter()
        .map(|c| CheckTarget {
            full_name: c.full_name.clone(),
            default_branch: c.default_branch.clone().filter(|b| !b.is_empty()),
        })
        .collect();
    let check = match criterion {
        Criterion::MinCommits { .. } => Check::Commits,
        Criterion::MinReleases { .. } => Check::Releases,
        _ => Check::Files(&StudySelector),
    };
    rt.block_on(
        gh.check_many_until(&check_targets, check, on_event, stop, |o| {
            match by_name.get(&o.requested_name.to_ascii_lowercase()) {
                Some(c) => on_answer(c, check_answer(criterion, &o)),
                None => ControlFlow::Continue(()),
            }
        }),
    );
}

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
mod tests {
    use super::*;

    #[test]
    fn criteria_read_and_write_as_recorded() {
        let c: Criterion =
            serde_json::from_str(r#"{"criterion":"min_commits","min":100}"#).unwrap();
        assert_eq!(c, Criterion::MinCommits { min: 100 });
        assert_eq!(
            serde_json::to_string(&Criterion::NotFork).unwrap(),
            r#"{"criterion":"not_fork"}"#
        );
        assert_eq!(
            Criterion::MinReleases { min: 1 }.label(),
            "at least 1 release"
        );
        assert!(Criterion::PushedAfter {
            date: "2021-13-01".into()
        }
        .validate()
        .is_err());
        assert!(Criterion::Language {
            language: " ".into()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn search_answers_decide_the_cheap_criteria() {
        let c = Candidate {
            repo_id: 1,
            full_name: "a/b".into(),
            created_at: Some("2019-01-01T00:00:00Z".into()),
            pushed_at: Some("2021-06-01T12:00:00Z".into()),
            stars: 10,
            fork: true,
            archived: false,
            language: Some("Jupyter Notebook".into()),
            default_branch: Some("main".into()),
            topics: vec![],
            description: None,
            html_url: String::new(),
        };
        assert_eq!(Criterion::NotArchived.leaves_out(&c), None);
        assert_eq!(Criterion::NotFork.leaves_out(&c).as_deref(), Some("a fork"));
        assert!(Criterion::MinStars { min: 11 }.leaves_out(&c).is_some());
        assert!(Criterion::MinStars { min: 10 }.leaves_out(&c).is_none());
        let after = |d: &str| Criterion::PushedAfter { date: d.into() }.leaves_out(&c);
        assert!(after("2021-05-31").is_none());
        assert!(
            after("2021-06-01").is_some(),
            "a bare date means after that day"
        );
        assert!(after("2021-06-01T11:59:59Z").is_none());
        let lang = |l: &str| Criterion::Language { language: l.into() }.leaves_out(&c);
        assert!(lang("jupyter notebook").is_none());
        assert!(lang("Python").is_some());
    }
}
