//! The commands the web UI calls. Each validates its arguments, calls the core once and returns
//! the core's result; a failure comes back as the core's user-facing message.

use codebench::codebook::Codebook;
use codebench::coding::{Change, Decision, DecisionInput, Rater};
use codebench::corpus::{ProjectSummary, ProjectView, UnitInfo};
use codebench::evidence::{Evidence, EvidenceInput};
use codebench::export::Written;
use codebench::figures::RenderedFigure;
use codebench::merge::MergeReport;
use codebench::overview::Overview;
use codebench::reconcile::{AcceptReport, Consensus, ConsensusInput, Queue, Rule};
use codebench::report::{Compare, Report};
use codebench::study::Status;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use codebench::jobs::{Job, RunOptions};
use codebench::Study;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State, Url};

use crate::state::AppState;

/// Longest unit name accepted (`owner/name:path/to/Dockerfile`).
pub const MAX_UNIT: usize = 1024;
/// Longest dimension or code label accepted.
pub const MAX_LABEL: usize = 200;
/// Most codes in one decision.
pub const MAX_CODES: usize = 200;
/// Longest memo accepted, in bytes.
pub const MAX_MEMO: usize = 64 * 1024;
/// Longest rater name or project name accepted (the core applies its own, stricter rules).
pub const MAX_NAME: usize = 300;
/// Longest URL handed to the system browser.
pub const MAX_URL: usize = 4096;

/// What the UI needs to know about the open study.
#[derive(Debug, Clone, Serialize)]
pub struct StudyInfo {
    /// The study file.
    pub path: String,
    /// Whether it is the sample study in the app data folder.
    pub sample: bool,
    /// The study's summary.
    pub status: Status,
    /// The unit named by `--open`, if any.
    pub open_unit: Option<String>,
    /// Why the `--open` unit cannot be opened (unknown unit), if so.
    pub open_error: Option<String>,
}

/// The outcome of recording a decision.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// Created, updated or unchanged.
    pub change: Change,
    /// The decision as stored.
    pub decision: Decision,
}

/// Checks a one-line argument: not blank, not too long, no control characters.
fn line(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    if value.len() > max {
        return Err(format!("{field} is longer than {max} bytes"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} contains a control character"));
    }
    Ok(())
}

/// Checks a free-text argument (memo, quote, rationale, definition): not too long, and no
/// control characters other than line breaks and tabs. It may be empty.
fn text(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("{field} is longer than {max} bytes"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(format!("{field} contains a control character"));
    }
    Ok(())
}

fn check_input(input: &DecisionInput) -> Result<(), String> {
    line("rater", &input.rater, MAX_NAME)?;
    line("unit", &input.unit, MAX_UNIT)?;
    line("dimension", &input.dimension, MAX_LABEL)?;
    if input.codes.len() > MAX_CODES {
        return Err(format!("more than {MAX_CODES} codes in one decision"));
    }
    for code in &input.codes {
        line("code", code, MAX_LABEL)?;
    }
    if let Some(memo) = &input.memo {
        text("the memo", memo, MAX_MEMO)?;
    }
    Ok(())
}

/// The open study: path, summary, and the `--open` unit checked against the study.
#[tauri::command]
pub fn study_info(state: State<'_, AppState>) -> Result<StudyInfo, String> {
    let open_unit = state.open_unit();
    state.with(move |study, opened| {
        let open_error = match &open_unit {
            Some(unit) => study.unit(unit).err().map(|e| e.to_string()),
            None => None,
        };
        Ok(StudyInfo {
            path: opened.path.display().to_string(),
            sample: opened.sample,
            status: study.status()?,
            open_unit: open_unit.clone(),
            open_error,
        })
    })
}

/// Every project of the study.
#[tauri::command]
pub fn list_projects(state: State<'_, AppState>) -> Result<Vec<ProjectSummary>, String> {
    state.with(move |study, _| study.projects())
}

/// Every unit: each project and each of its Dockerfiles.
#[tauri::command]
pub fn list_units(state: State<'_, AppState>) -> Result<Vec<UnitInfo>, String> {
    state.with(move |study, _| study.units())
}

/// A project as a rater reads it: README (sanitised HTML) and Dockerfiles.
#[tauri::command]
pub fn project_view(state: State<'_, AppState>, name: String) -> Result<ProjectView, String> {
    line("project", &name, MAX_NAME)?;
    state.with(move |study, _| study.project_view(&name))
}

/// The study's codebook.
#[tauri::command]
pub fn codebook(state: State<'_, AppState>) -> Result<Codebook, String> {
    state.with(move |study, _| study.codebook())
}

/// Every rater.
#[tauri::command]
pub fn raters(state: State<'_, AppState>) -> Result<Vec<Rater>, String> {
    state.with(move |study, _| study.raters())
}

/// Adds a rater.
#[tauri::command]
pub fn add_rater(state: State<'_, AppState>, name: String) -> Result<Rater, String> {
    line("rater", &name, MAX_NAME)?;
    state.with(move |study, _| study.add_rater(&name))
}

/// One rater's current decisions.
#[tauri::command]
pub fn decisions(state: State<'_, AppState>, rater: String) -> Result<Vec<Decision>, String> {
    line("rater", &rater, MAX_NAME)?;
    state.with(move |study, _| study.decisions(Some(&rater)))
}

/// Records one decision (durable when this returns).
#[tauri::command]
pub fn record_decision(
    state: State<'_, AppState>,
    input: DecisionInput,
) -> Result<Recorded, String> {
    check_input(&input)?;
    state.with(move |study, _| {
        let (change, decision) = study.record(&input)?;
        Ok(Recorded { change, decision })
    })
}

/// Removes a rater's decision on a unit (the undo of a first decision); whether there was one.
#[tauri::command]
pub fn clear_decision(
    state: State<'_, AppState>,
    rater: String,
    unit: String,
    dimension: String,
) -> Result<bool, String> {
    line("rater", &rater, MAX_NAME)?;
    line("unit", &unit, MAX_UNIT)?;
    line("dimension", &dimension, MAX_LABEL)?;
    state.with(move |study, _| study.clear_decision(&rater, &unit, &dimension))
}

/// Longest quote accepted, in bytes (the core also limits it in characters).
pub const MAX_QUOTE: usize = 16 * 1024;
/// Longest file path accepted.
pub const MAX_PATH: usize = 4096;

fn check_evidence(input: &EvidenceInput) -> Result<(), String> {
    line("rater", &input.rater, MAX_NAME)?;
    line("unit", &input.unit, MAX_UNIT)?;
    line("dimension", &input.dimension, MAX_LABEL)?;
    line("code", &input.code, MAX_LABEL)?;
    line("file", &input.file, MAX_PATH)?;
    if input.quote.trim().is_empty() {
        return Err("the quote is empty: select some text first".into());
    }
    text("the quote", &input.quote, MAX_QUOTE)
}

/// One rater's evidence.
#[tauri::command]
pub fn evidence(state: State<'_, AppState>, rater: String) -> Result<Vec<Evidence>, String> {
    line("rater", &rater, MAX_NAME)?;
    state.with(move |study, _| study.evidence(Some(&rater)))
}

/// Attaches a quote of the README or a Dockerfile to a code of the rater's decision.
#[tauri::command]
pub fn add_evidence(state: State<'_, AppState>, input: EvidenceInput) -> Result<Evidence, String> {
    check_evidence(&input)?;
    state.with(move |study, _| study.add_evidence(&input))
}

/// Removes one piece of evidence, on behalf of `by`.
#[tauri::command]
pub fn remove_evidence(state: State<'_, AppState>, id: i64, by: String) -> Result<(), String> {
    line("by", &by, MAX_NAME)?;
    if id < 1 {
        return Err(format!("{id} is not an evidence id"));
    }
    state.with(move |study, _| study.remove_evidence(id, &by))
}

/// Most dimensions in one agreement request.
pub const MAX_DIMENSIONS: usize = 100;

/// Agreement between the raters on the given dimensions (all when empty), with the default
/// options: both levels, 95% intervals, the core's warning thresholds.
/// `raters` limits it to a subset (none: every rater), `round` to one round's units.
#[tauri::command]
pub fn agreement(
    state: State<'_, AppState>,
    dimensions: Vec<String>,
    raters: Option<Vec<String>>,
    round: Option<String>,
) -> Result<codebench::agreement::Report, String> {
    if dimensions.len() > MAX_DIMENSIONS {
        return Err(format!("more than {MAX_DIMENSIONS} dimensions"));
    }
    for d in &dimensions {
        line("dimension", d, MAX_LABEL)?;
    }
    if let Some(list) = &raters {
        if list.len() > MAX_RATERS {
            return Err(format!("more than {MAX_RATERS} raters"));
        }
        for r in list {
            line("rater", r, MAX_NAME)?;
        }
    }
    if let Some(r) = &round {
        line("round", r, MAX_NAME)?;
    }
    state.with(move |study, _| {
        let units = match &round {
            Some(r) => Some(study.round_units(r)?),
            None => None,
        };
        study.agreement_of_units(
            &dimensions,
            raters.as_deref(),
            units.as_ref(),
            &Default::default(),
        )
    })
}

/// Most raters in one agreement request.
pub const MAX_RATERS: usize = 1000;

/// The study's rounds with their units, raters' progress and whether they are revealed.
#[tauri::command]
pub fn rounds(state: State<'_, AppState>) -> Result<Vec<codebench::round::RoundInfo>, String> {
    state.with(|study, _| study.rounds())
}

/// Whether units where all raters agree become consensus automatically.
#[tauri::command]
pub fn auto_consensus(state: State<'_, AppState>) -> Result<bool, String> {
    state.with(|study, _| study.auto_consensus_enabled())
}

/// Turns automatic consensus on or off on behalf of `by`; turning it on returns the
/// consensus it made at once.
#[tauri::command]
pub fn set_auto_consensus(
    state: State<'_, AppState>,
    on: bool,
    by: String,
) -> Result<Vec<Consensus>, String> {
    line("by", &by, MAX_NAME)?;
    state.with(move |study, _| study.set_auto_consensus(on, &by))
}

/// The outcome of deciding a consensus.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    /// Created, updated or unchanged.
    pub change: Change,
    /// The consensus as stored.
    pub consensus: Consensus,
}

/// Longest rationale accepted, in bytes.
pub const MAX_RATIONALE: usize = 64 * 1024;

/// The reconciliation queue of one dimension (all when `None`); with `include_resolved`, also
/// the units that agree or already have a consensus.
#[tauri::command]
pub fn reconcile_queue(
    state: State<'_, AppState>,
    dimension: Option<String>,
    include_resolved: bool,
) -> Result<Queue, String> {
    if let Some(d) = &dimension {
        line("dimension", d, MAX_LABEL)?;
    }
    state.with(move |study, _| study.reconcile_queue(dimension.as_deref(), include_resolved))
}

/// Records the consensus on a unit; the core refuses codes that override every rater without
/// a rationale.
#[tauri::command]
pub fn decide_consensus(
    state: State<'_, AppState>,
    input: ConsensusInput,
) -> Result<Decided, String> {
    line("adjudicator", &input.adjudicator, MAX_NAME)?;
    line("unit", &input.unit, MAX_UNIT)?;
    line("dimension", &input.dimension, MAX_LABEL)?;
    if input.codes.len() > MAX_CODES {
        return Err(format!("more than {MAX_CODES} codes in one consensus"));
    }
    for code in &input.codes {
        line("code", code, MAX_LABEL)?;
    }
    text("the rationale", &input.rationale, MAX_RATIONALE)?;
    state.with(move |study, _| {
        let (change, consensus) = study.decide_consensus(&input)?;
        Ok(Decided { change, consensus })
    })
}

/// Accepts consensus in bulk in one dimension where `rule` holds, on behalf of `by`.
#[tauri::command]
pub fn accept_consensus(
    state: State<'_, AppState>,
    dimension: String,
    rule: Rule,
    by: String,
) -> Result<AcceptReport, String> {
    line("dimension", &dimension, MAX_LABEL)?;
    line("by", &by, MAX_NAME)?;
    state.with(move |study, _| study.accept_consensus(&dimension, rule, &by, None))
}

/// The report's comparison switch: the published EASE 2022 figures beside, or not.
fn compare_of(ease2022: bool) -> Compare {
    if ease2022 {
        Compare::Ease2022
    } else {
        Compare::None
    }
}

/// A folder typed by the user: an absolute path, created if missing.
fn output_folder(dir: &str) -> Result<std::path::PathBuf, String> {
    let path = typed_path(dir, "the folder")?;
    if path.exists() && !path.is_dir() {
        return Err(format!("'{}' is a file, not a folder", path.display()));
    }
    Ok(path)
}

/// The report's tables from one rater's labels (`None`: the study's only rater).
#[tauri::command]
pub fn report(
    state: State<'_, AppState>,
    rater: Option<String>,
    ease2022: bool,
) -> Result<Report, String> {
    if let Some(r) = &rater {
        line("rater", r, MAX_NAME)?;
    }
    state.with(move |study, _| {
        let rater = study.report_rater(rater.as_deref())?;
        study.report(&rater, compare_of(ease2022))
    })
}

/// The paper's figures as SVG documents, from the same labels as [`report`].
#[tauri::command]
pub fn figures(
    state: State<'_, AppState>,
    rater: Option<String>,
    ease2022: bool,
) -> Result<Vec<RenderedFigure>, String> {
    if let Some(r) = &rater {
        line("rater", r, MAX_NAME)?;
    }
    state.with(move |study, _| {
        let rater = study.report_rater(rater.as_deref())?;
        study.figures_svg(&rater, compare_of(ease2022))
    })
}

/// Writes every export table (`codebench export`) into a folder typed by the user.
#[tauri::command]
pub fn export_tables(state: State<'_, AppState>, dir: String) -> Result<Vec<Written>, String> {
    let dir = output_folder(&dir)?;
    state.with(move |study, _| codebench::export::export_all(study, &dir))
}

/// Writes the figures as SVG and PNG into a folder typed by the user; returns the files.
#[tauri::command]
pub fn export_figures(
    state: State<'_, AppState>,
    dir: String,
    rater: Option<String>,
    ease2022: bool,
) -> Result<Vec<String>, String> {
    let dir = output_folder(&dir)?;
    if let Some(r) = &rater {
        line("rater", r, MAX_NAME)?;
    }
    state.with(move |study, _| {
        let rater = study.report_rater(rater.as_deref())?;
        Ok(study
            .write_figures(&rater, compare_of(ease2022), &dir)?
            .into_iter()
            .map(|p| p.display().to_string())
            .collect())
    })
}

/// The study at a glance for `viewer`: raters' and rounds' progress, and the codes given so
/// far (other raters' blind decisions left out).
#[tauri::command]
pub fn overview(state: State<'_, AppState>, viewer: String) -> Result<Overview, String> {
    line("viewer", &viewer, MAX_NAME)?;
    state.with(move |study, _| study.overview(&viewer))
}

/// Whether a GitHub import is under way, and its Cancel switch.
static GITHUB_IMPORT: std::sync::Mutex<Option<Arc<AtomicBool>>> = std::sync::Mutex::new(None);

/// Event carrying a [`GithubEvent`] while a GitHub import runs.
pub const GITHUB_PROGRESS: &str = "github-progress";
/// Event carrying the outcome of a GitHub import, a [`Finished`]: `{ summary }` or `{ error }`.
pub const GITHUB_FINISHED: &str = "github-finished";

/// Most repositories in one import request from the app.
pub const MAX_REPOS: usize = 10_000;

/// One step of a GitHub import, for the app's dialog.
#[derive(Debug, Clone, Serialize)]
pub struct GithubEvent {
    /// `planned`, `started`, `waiting` or `done`.
    pub step: &'static str,
    /// The repository concerned (empty for `planned`).
    pub repo: String,
    /// Repositories to fetch (`planned`).
    pub to_fetch: usize,
    /// Repositories skipped as already imported (`planned`).
    pub skipped: usize,
    /// Why it waits and for how long, in words (`waiting`).
    pub reason: String,
    /// Seconds it waits (`waiting`).
    pub wait_seconds: f64,
    /// What was stored (`done`).
    pub result: Option<codebench::corpus::github::RepoImport>,
}

/// The end of a background task (a GitHub import, a jobs run), sent as its "finished" event.
#[derive(Debug, Clone, Serialize)]
pub struct Finished<T> {
    /// What the task did, when it ran.
    pub summary: Option<T>,
    /// Why it stopped, when it failed as a whole.
    pub error: Option<String>,
}

/// Runs `work` on a thread named `name` with a connection of its own to the study file at
/// `path` (SQLite's WAL lets the screens go on meanwhile), then calls `done` (which frees the
/// task's slot) and emits `event` with a [`Finished`]. `done` also runs when the thread cannot
/// start.
fn spawn_task<R: tauri::Runtime, T: Serialize + Clone + Send + 'static>(
    app: AppHandle<R>,
    path: std::path::PathBuf,
    name: &str,
    event: &'static str,
    done: fn(),
    work: impl FnOnce(&mut Study, &AppHandle<R>) -> codebench::Result<T> + Send + 'static,
) -> Result<(), String> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let outcome = Study::open(&path).and_then(|mut study| work(&mut study, &app));
            done();
            let finished = match outcome {
                Ok(summary) => Finished {
                    summary: Some(summary),
                    error: None,
                },
                Err(e) => Finished {
                    summary: None,
                    error: Some(e.to_string()),
                },
            };
            let _ = app.emit(event, finished);
        })
        .map(|_| ())
        .map_err(|e| {
            done();
            format!("could not start the {name} thread: {e}")
        })
}

/// Frees the GitHub import's slot.
fn github_import_done() {
    if let Ok(mut running) = GITHUB_IMPORT.lock() {
        *running = None;
    }
}

/// Starts importing repositories from GitHub in the background, on a connection of its own
/// to the study file: `names` are `owner/name` or GitHub URLs; `token` (typed in the dialog,
/// else the one kept in the OS keyring, else `GITHUB_TOKEN`) is never written to the study; `api_url` is GitHub
/// Enterprise's API (none: api.github.com). Progress comes as
/// [`GITHUB_PROGRESS`] events, the end as [`GITHUB_FINISHED`]. Returns false when an import
/// is already under way.
#[tauri::command]
pub fn import_github<R: tauri::Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    names: Vec<String>,
    token: Option<String>,
    api_url: Option<String>,
    refresh: bool,
) -> Result<bool, String> {
    let api_url = api_url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &api_url {
        line("API URL", u, MAX_URL)?;
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(format!("'{u}' is not an http(s) URL (the GitHub API, e.g. https://github.example.com/api/v3)"));
        }
    }
    if names.is_empty() {
        return Err("name at least one repository (owner/name or a GitHub URL)".into());
    }
    if names.len() > MAX_REPOS {
        return Err(format!("more than {MAX_REPOS} repositories in one import"));
    }
    for n in &names {
        line("repository", n, MAX_URL)?;
    }
    if let Some(t) = &token {
        if t.len() > MAX_NAME || t.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(
                "the token is not a GitHub token (no spaces, at most 300 characters)".into(),
            );
        }
    }
    let entries =
        codebench::corpus::github::entries_from_names(&names).map_err(|e| e.to_string())?;
    let path = state.with(|_, opened| Ok(opened.path.clone()))?;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let mut running = GITHUB_IMPORT
            .lock()
            .map_err(|_| "the import lock is poisoned".to_string())?;
        if running.is_some() {
            return Ok(false);
        }
        *running = Some(cancel.clone());
    }
    let options = codebench::corpus::github::GithubImportOptions {
        api_url,
        token: token.filter(|t| !t.is_empty()).or_else(|| {
            std::env::var("GITHUB_TOKEN")
                .ok()
                .filter(|t| !t.trim().is_empty())
        }),
        concurrency: 4,
        refresh,
        cancel: Some(cancel),
    };
    spawn_task(
        app,
        path,
        "github-import",
        GITHUB_FINISHED,
        github_import_done,
        move |study, app| {
            use codebench::corpus::github::ImportProgress as P;
            let emit = |e: GithubEvent| {
                let _ = app.emit(GITHUB_PROGRESS, e);
            };
            let blank = GithubEvent {
                step: "",
                repo: String::new(),
                to_fetch: 0,
                skipped: 0,
                reason: String::new(),
                wait_seconds: 0.0,
                result: None,
            };
            let on_progress = |p: P| match p {
                P::Planned { to_fetch, skipped } => emit(GithubEvent {
                    step: "planned",
                    to_fetch,
                    skipped,
                    ..blank.clone()
                }),
                P::Started { repo } => emit(GithubEvent {
                    step: "started",
                    repo,
                    ..blank.clone()
                }),
                P::Waiting { repo, reason, wait } => emit(GithubEvent {
                    step: "waiting",
                    repo,
                    reason,
                    wait_seconds: wait.as_secs_f64(),
                    ..blank.clone()
                }),
                P::Done(r) => emit(GithubEvent {
                    step: "done",
                    repo: r.requested.clone(),
                    result: Some(r),
                    ..blank.clone()
                }),
            };
            study.import_github(&entries, &options, &on_progress)
        },
    )?;
    Ok(true)
}

/// Whether a GitHub token is kept in the OS keyring (the token itself never reaches the UI).
#[tauri::command]
pub fn github_token_kept() -> Result<bool, String> {
    Ok(crate::secrets::github_token()?.is_some())
}

/// Keeps a GitHub token in the OS keyring for later imports.
#[tauri::command]
pub fn save_github_token(token: String) -> Result<(), String> {
    check_token(&token)?;
    if token.is_empty() {
        return Err("the token is empty".into());
    }
    crate::secrets::save_github_token(&token)
}

/// Removes the GitHub token from the OS keyring; true when one was kept.
#[tauri::command]
pub fn forget_github_token() -> Result<bool, String> {
    crate::secrets::forget_github_token()
}

fn check_token(t: &str) -> Result<(), String> {
    if t.len() > MAX_NAME || t.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("the token is not a GitHub token (no spaces, at most 300 characters)".into());
    }
    Ok(())
}

/// Asks the GitHub import under way to stop (repositories stored so far stay); false when
/// none is running.
#[tauri::command]
pub fn cancel_github_import() -> Result<bool, String> {
    let running = GITHUB_IMPORT
        .lock()
        .map_err(|_| "the import lock is poisoned".to_string())?;
    Ok(match running.as_ref() {
        Some(c) => {
            c.store(true, Ordering::SeqCst);
            true
        }
        None => false,
    })
}

/// The Docker image references of one project (or all), with where each was found.
#[tauri::command]
pub fn image_refs(
    state: State<'_, AppState>,
    project: Option<String>,
) -> Result<Vec<codebench::corpus::github::ImageRefInfo>, String> {
    if let Some(p) = &project {
        line("project", p, MAX_NAME)?;
    }
    state.with(move |study, _| study.image_refs(project.as_deref()))
}

/// Adds an image reference to a project by hand.
#[tauri::command]
pub fn add_image_ref(
    state: State<'_, AppState>,
    project: String,
    reference: String,
) -> Result<codebench::corpus::github::ImageRefInfo, String> {
    line("project", &project, MAX_NAME)?;
    line("reference", &reference, MAX_URL)?;
    state.with(move |study, _| study.add_image_ref(&project, &reference))
}

/// Removes an image reference from a project (every place it was found); the history keeps it.
#[tauri::command]
pub fn remove_image_ref(
    state: State<'_, AppState>,
    project: String,
    reference: String,
) -> Result<Vec<codebench::corpus::github::ImageRefInfo>, String> {
    line("project", &project, MAX_NAME)?;
    line("reference", &reference, MAX_URL)?;
    state.with(move |study, _| study.remove_image_ref(&project, &reference))
}

/// How often a code is used by decisions.
#[derive(Debug, Clone, Serialize)]
pub struct CodeUse {
    /// Dimension id.
    pub dimension: String,
    /// Code id.
    pub code: String,
    /// Decisions that give it.
    pub count: i64,
}

/// Longest code definition accepted, in bytes.
pub const MAX_DEFINITION: usize = 16 * 1024;

/// How many decisions give each code (codes never given are absent).
#[tauri::command]
pub fn code_uses(state: State<'_, AppState>) -> Result<Vec<CodeUse>, String> {
    state.with(|study, _| {
        let mut uses: Vec<CodeUse> = study
            .code_use_counts()?
            .into_iter()
            .map(|((dimension, code), count)| CodeUse {
                dimension,
                code,
                count,
            })
            .collect();
        uses.sort_by(|a, b| (&a.dimension, &a.code).cmp(&(&b.dimension, &b.code)));
        Ok(uses)
    })
}

/// Open coding: adds a code to a dimension as proposed (name and definition; optionally under
/// a parent), on behalf of `by`.
#[tauri::command]
pub fn propose_code(
    state: State<'_, AppState>,
    dimension: String,
    name: String,
    definition_text: String,
    parent: Option<String>,
    by: String,
) -> Result<codebench::codebook::Code, String> {
    line("dimension", &dimension, MAX_LABEL)?;
    line("name", &name, MAX_LABEL)?;
    text("the definition", &definition_text, MAX_DEFINITION)?;
    if let Some(p) = &parent {
        line("parent", p, MAX_LABEL)?;
    }
    line("by", &by, MAX_NAME)?;
    state.with(move |study, _| {
        study.propose_code(&dimension, &name, &definition_text, parent.as_deref(), &by)
    })
}

/// Renames a code (its id and decisions stay; the history keeps the old name).
#[tauri::command]
pub fn rename_code(
    state: State<'_, AppState>,
    dimension: String,
    code: String,
    name: String,
    by: String,
) -> Result<(), String> {
    line("dimension", &dimension, MAX_LABEL)?;
    line("code", &code, MAX_LABEL)?;
    line("name", &name, MAX_LABEL)?;
    line("by", &by, MAX_NAME)?;
    state.with(move |study, _| study.rename_code(&dimension, &code, &name, &by))
}

/// Sets a code's status: `active` (agreed), `proposed`, or `retired` (no new decisions).
#[tauri::command]
pub fn set_code_status(
    state: State<'_, AppState>,
    dimension: String,
    code: String,
    status: codebench::codebook::CodeStatus,
    by: String,
) -> Result<(), String> {
    line("dimension", &dimension, MAX_LABEL)?;
    line("code", &code, MAX_LABEL)?;
    line("by", &by, MAX_NAME)?;
    state.with(move |study, _| study.set_code_status(&dimension, &code, status, &by))
}

/// Merges code `from` into `into`: every decision and consensus with `from` gets `into`
/// (none is dropped); `from` is retired. Returns the decisions remapped.
#[tauri::command]
pub fn merge_codes(
    state: State<'_, AppState>,
    dimension: String,
    from: String,
    into: String,
    by: String,
) -> Result<usize, String> {
    line("dimension", &dimension, MAX_LABEL)?;
    line("from", &from, MAX_LABEL)?;
    line("into", &into, MAX_LABEL)?;
    line("by", &by, MAX_NAME)?;
    state.with(move |study, _| study.merge_codes(&dimension, &from, &into, &by))
}

/// What a split made: the new codes, and the units whose decisions need coding again.
#[derive(Debug, Clone, Serialize)]
pub struct Split {
    /// The new codes (proposed).
    pub codes: Vec<codebench::codebook::Code>,
    /// Units with a decision that gave the split code: to recode.
    pub recode: Vec<String>,
}

/// Splits a code into new ones (name, definition each); the old code is retired and the
/// units that used it are listed for recoding.
#[tauri::command]
pub fn split_code(
    state: State<'_, AppState>,
    dimension: String,
    code: String,
    into: Vec<(String, String)>,
    by: String,
) -> Result<Split, String> {
    line("dimension", &dimension, MAX_LABEL)?;
    line("code", &code, MAX_LABEL)?;
    if into.len() > MAX_CODES {
        return Err(format!("more than {MAX_CODES} new codes"));
    }
    for (name, definition) in &into {
        line("name", name, MAX_LABEL)?;
        text("the definition", definition, MAX_DEFINITION)?;
    }
    line("by", &by, MAX_NAME)?;
    state.with(move |study, _| {
        let (codes, recode) = study.split_code(&dimension, &code, &into, &by)?;
        Ok(Split { codes, recode })
    })
}

/// An absolute path to a study file typed by the user.
fn study_path(path: &str) -> Result<std::path::PathBuf, String> {
    typed_path(path, "the study file")
}

/// A path typed by the user (the app has no file dialog permission): one line, absolute,
/// because the app's working folder means nothing to them. `what` names it in the message.
fn typed_path(path: &str, what: &str) -> Result<std::path::PathBuf, String> {
    line("path", path, MAX_PATH)?;
    let p = std::path::PathBuf::from(path.trim());
    if !p.is_absolute() {
        return Err(format!(
            "'{}' is not an absolute path: give the full path of {what}",
            p.display()
        ));
    }
    Ok(p)
}

/// Opens another study file (the start screen's Open and recent studies).
#[tauri::command]
pub fn open_study(state: State<'_, AppState>, path: String) -> Result<StudyInfo, String> {
    let p = study_path(&path)?;
    state.switch(&p, false)?;
    study_info(state)
}

/// Creates a new study file with the shipped codebook and opens it (refused when a file is
/// already there).
#[tauri::command]
pub fn new_study(state: State<'_, AppState>, path: String) -> Result<StudyInfo, String> {
    let p = study_path(&path)?;
    state.switch(&p, true)?;
    study_info(state)
}

/// Opens the bundled sample study (created in the app's data folder when missing).
#[tauri::command]
pub fn open_sample_study<R: tauri::Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<StudyInfo, String> {
    use tauri::Manager;
    let dir = app
        .path()
        .app_data_dir()
        .map_err(|e| format!("no data folder for the sample study: {e}"))?;
    state.switch_to_sample(&dir.join(crate::SAMPLE_STUDY_FILE))?;
    study_info(state)
}

/// Every metrics job of the study, oldest first.
#[tauri::command]
pub fn jobs(state: State<'_, AppState>) -> Result<Vec<Job>, String> {
    state.with(|study, _| study.jobs())
}

/// Queues the metrics jobs of every project (Dockerfile metrics, and image metrics for each
/// image reference); returns how many jobs were new.
#[tauri::command]
pub fn enqueue_metrics(state: State<'_, AppState>) -> Result<usize, String> {
    state.with(|study, _| study.enqueue_metrics(None))
}

/// Cancels a queued, running or failed job (a running one stops at its next step).
#[tauri::command]
pub fn cancel_job(state: State<'_, AppState>, id: i64) -> Result<Job, String> {
    state.with(move |study, _| study.cancel_job(id))
}

/// Queues a failed or cancelled job again.
#[tauri::command]
pub fn retry_job(state: State<'_, AppState>, id: i64) -> Result<Job, String> {
    state.with(move |study, _| study.retry_job(id))
}

/// Whether a jobs run is under way (one at a time per app).
static JOBS_RUNNING: AtomicBool = AtomicBool::new(false);

/// Event carrying a [`codebench::jobs::JobEvent`] while jobs run.
pub const JOBS_PROGRESS: &str = "jobs-progress";
/// Event carrying the outcome of a run, a [`Finished`]: `{ summary }` or `{ error }`.
pub const JOBS_FINISHED: &str = "jobs-finished";

/// Starts running the queued jobs in the background, on a connection of its own to the study
/// file (SQLite's WAL lets the coding screens go on meanwhile); progress comes as
/// [`JOBS_PROGRESS`] events, the end as [`JOBS_FINISHED`]. Returns false when a run is
/// already under way.
#[tauri::command]
pub fn run_jobs<R: tauri::Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<bool, String> {
    let path = state.with(|_, opened| Ok(opened.path.clone()))?;
    if JOBS_RUNNING.swap(true, Ordering::SeqCst) {
        return Ok(false);
    }
    spawn_task(
        app,
        path,
        "jobs",
        JOBS_FINISHED,
        || JOBS_RUNNING.store(false, Ordering::SeqCst),
        |study, app| {
            study.run_jobs(&RunOptions::default(), &mut |e| {
                let _ = app.emit(JOBS_PROGRESS, e);
            })
        },
    )?;
    Ok(true)
}

/// Merges another copy of this study (a rater's) into the open one; `path` is typed by the user.
#[tauri::command]
pub fn merge_from(state: State<'_, AppState>, path: String) -> Result<MergeReport, String> {
    let path = typed_path(&path, "the other study file")?;
    if !path.is_file() {
        return Err(format!("'{}' is not a file", path.display()));
    }
    state.with(move |study, _| study.merge_from(&path))
}

/// Checks that `url` is an absolute http(s) URL with a host, and returns it normalised.
pub fn web_url(url: &str) -> Result<Url, String> {
    if url.len() > MAX_URL {
        return Err(format!("the link is longer than {MAX_URL} bytes"));
    }
    let parsed = Url::parse(url).map_err(|e| format!("'{url}' is not a link: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https links open in the browser, not {}:",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{url}' has no host"));
    }
    Ok(parsed)
}

/// Opens an http(s) link in the system browser, never inside the app.
#[tauri::command]
pub fn open_external(url: String) -> Result<(), String> {
    let url = web_url(&url)?;
    let mut cmd = browser_command(url.as_str());
    let mut child = cmd.spawn().map_err(|e| {
        format!(
            "could not start the system browser ({:?}): {e}",
            cmd.get_program()
        )
    })?;
    // Reap the opener when it exits so it does not linger as a zombie.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// The platform's "open this URL with the default browser" program, given the URL as one
/// argument (no shell in between).
fn browser_command(url: &str) -> std::process::Command {
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(target_os = "windows")]
    let mut cmd = {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    };
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let mut cmd = std::process::Command::new("xdg-open");
    cmd.arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_only() {
        assert_eq!(
            web_url("https://example.org/a b").unwrap().as_str(),
            "https://example.org/a%20b"
        );
        assert!(web_url("http://example.org").is_ok());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "tauri://localhost/",
            "mailto:a@b.org",
            "example.org",
            "",
            "http://",
        ] {
            assert!(web_url(bad).is_err(), "{bad} accepted");
        }
        assert!(web_url(&format!("https://e.org/{}", "a".repeat(MAX_URL))).is_err());
    }

    #[test]
    fn memo_may_span_lines_but_names_may_not() {
        let ok = DecisionInput {
            rater: "ana".into(),
            unit: "o/n".into(),
            dimension: "kind".into(),
            codes: vec!["model".into()],
            memo: Some("line one\nline two\ttab".into()),
            flagged: None,
        };
        assert!(check_input(&ok).is_ok());
        let mut bad = ok.clone();
        bad.unit = "o/n\n".into();
        assert_eq!(
            check_input(&bad).unwrap_err(),
            "unit contains a control character"
        );
        let mut bad = ok.clone();
        bad.memo = Some("a\u{0}b".into());
        assert!(check_input(&bad).is_err());
        let mut bad = ok.clone();
        bad.memo = Some("x".repeat(MAX_MEMO + 1));
        assert!(check_input(&bad).is_err());
        let mut bad = ok;
        bad.rater = "  ".into();
        assert_eq!(check_input(&bad).unwrap_err(), "rater is empty");
    }
}
