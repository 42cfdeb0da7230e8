//! Machine raters: add one with its configuration, list them, run one (a task: progress,
//! cancel, resumable), read the provenance of its runs and answers, and the cross-validated
//! agreement of a local model before it labels anything.
//!
//! The API key of an `openai` rater comes from the OS keyring (kept per endpoint URL with
//! `keep_machine_key`), else from the environment variable its configuration names (default
//! `$CODEBENCH_MACHINE_KEY`); it is never stored in the study nor returned.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_LABEL, MAX_LIST, MAX_NAME, MAX_UNIT, MAX_URL};
use super::{ApiError, ApiResult, Check, Ctx, Done, Env, Task};
use crate::machine::{
    MachineAnswer, MachineConfig, MachineProgress, MachineRater, MachineRun, MachineRunSummary,
    RouteOptions, Routing, RunOptions, Suggestions, DEFAULT_KEY_ENV,
};

/// Longest prompt template accepted, in bytes.
pub const MAX_TEMPLATE: usize = 64 * 1024;

/// The keyring entry of the API key of an endpoint.
pub fn key_secret(url: &str) -> String {
    format!("machine-key:{}", url.trim().trim_end_matches('/'))
}

/// `add_machine_rater`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AddMachineRater {
    /// The machine rater's name (a rater name like any).
    pub name: String,
    /// Its configuration.
    pub config: MachineConfig,
}

fn check_config(c: &MachineConfig) -> ApiResult<()> {
    input::opt_line("dimension", &c.dimension, MAX_LABEL)?;
    input::opt_line("url", &c.url, MAX_URL)?;
    input::opt_line("model", &c.model, MAX_NAME)?;
    input::opt_line("key env", &c.key_env, MAX_LABEL)?;
    input::opt_line("train on", &c.train_on, MAX_NAME)?;
    if let Some(t) = &c.prompt_template {
        input::text("prompt template", t, MAX_TEMPLATE)?;
    }
    if c.temperature.is_some_and(|t| !t.is_finite())
        || c.timeout_seconds.is_some_and(|t| !t.is_finite())
    {
        return Err(ApiError::invalid("temperature and timeout must be numbers"));
    }
    Ok(())
}

/// Adds a machine rater with its configuration: `openai` needs a URL (one not on this
/// machine only with `allow_remote`) and a model; `local` needs `train_on`.
pub fn add_machine_rater(ctx: &mut Ctx<'_>, req: AddMachineRater) -> ApiResult<MachineRater> {
    input::line("name", &req.name, MAX_NAME)?;
    check_config(&req.config)?;
    Ok(ctx.study.add_machine_rater(&req.name, &req.config)?)
}

/// `machine_raters`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineRatersRequest {}

/// Every machine rater with its configuration, decision and run counts.
pub fn machine_raters(
    ctx: &mut Ctx<'_>,
    _req: MachineRatersRequest,
) -> ApiResult<Vec<MachineRater>> {
    Ok(ctx.study.machine_raters()?)
}

/// `machine_rater`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineRaterRequest {
    /// The machine rater.
    pub name: String,
}

/// One machine rater: its configuration and counts, with every run and its provenance.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MachineRaterDetail {
    /// The rater and its configuration.
    pub rater: MachineRater,
    /// Its runs, oldest first.
    pub runs: Vec<MachineRun>,
}

/// One machine rater with its configuration and runs (`codebench machine show`).
pub fn machine_rater(ctx: &mut Ctx<'_>, req: MachineRaterRequest) -> ApiResult<MachineRaterDetail> {
    input::line("name", &req.name, MAX_NAME)?;
    let name = req.name.trim();
    Ok(MachineRaterDetail {
        rater: ctx.study.machine_rater(name)?,
        runs: ctx.study.machine_runs(Some(name))?,
    })
}

/// `run_machine`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RunMachine {
    /// The machine rater.
    pub rater: String,
    /// The dimension (default: the rater's configured one).
    pub dimension: Option<String>,
    /// Only these units (default: every unit of the dimension's kind without its decision).
    #[serde(default)]
    pub units: Vec<String>,
    /// Only this round's units.
    pub round: Option<String>,
}

impl Check for RunMachine {
    fn check(&self) -> ApiResult<()> {
        input::line("rater", &self.rater, MAX_NAME)?;
        input::opt_line("dimension", &self.dimension, MAX_LABEL)?;
        input::opt_line("round", &self.round, MAX_LABEL)?;
        input::list("unit", &self.units, MAX_LIST, MAX_UNIT)?;
        Ok(())
    }
}

/// The API key for `url`: the OS keyring's, else the environment variable (a keyring this
/// session cannot reach counts as none).
fn api_key(env: &dyn Env, url: &str, key_env: Option<&str>) -> Option<String> {
    env.secret(&key_secret(url))
        .ok()
        .flatten()
        .or_else(|| env.var(key_env.unwrap_or(DEFAULT_KEY_ENV)))
}

/// Runs a machine rater over the units of a dimension; resumes its unfinished run of the same
/// configuration without asking any unit twice. Each answer (a label or a recorded failure) is
/// stored as it arrives. The model sees only the unit's own README and Dockerfiles and the
/// codebook.
pub fn run_machine(
    ctx: &mut Ctx<'_>,
    req: RunMachine,
    task: &Task<'_, MachineProgress>,
) -> ApiResult<MachineRunSummary> {
    req.check()?;
    let m = ctx.study.machine_rater(req.rater.trim())?;
    let api_key = m
        .config
        .url
        .as_deref()
        .and_then(|u| api_key(ctx.env, u, m.config.key_env.as_deref()));
    let options = RunOptions {
        dimension: req.dimension,
        units: req.units,
        round: req.round,
        api_key,
        cancel: Some(task.cancel_flag()),
    };
    Ok(ctx
        .study
        .run_machine(&m.name, &options, &|p| task.report(p))?)
}

/// `machine_runs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineRunsRequest {
    /// Only this machine rater's runs.
    pub rater: Option<String>,
}

/// Every run (of one machine rater) with its provenance: backend, endpoint, model and the
/// version the server reported, parameters, prompt template and hash, codebook version and
/// hash, times, tokens, answers.
pub fn machine_runs(ctx: &mut Ctx<'_>, req: MachineRunsRequest) -> ApiResult<Vec<MachineRun>> {
    input::opt_line("rater", &req.rater, MAX_NAME)?;
    Ok(ctx.study.machine_runs(req.rater.as_deref())?)
}

/// `machine_answers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineAnswersRequest {
    /// Only this run's answers.
    pub run: Option<i64>,
    /// Only this machine rater's answers.
    pub rater: Option<String>,
}

/// A machine rater's answers, as the viewer may see them.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MachineAnswers {
    /// The answers, by run and unit.
    pub answers: Vec<MachineAnswer>,
    /// Answers on units of rounds not revealed yet whose codes, rationale and raw text are
    /// left out (they are another rater's, and blind).
    pub withheld: usize,
}

/// The answers of a run (or of a machine rater) with the raw answer, rationale, confidence,
/// codes or the reason they failed; blind units keep their codes from everyone but the rater.
pub fn machine_answers(ctx: &mut Ctx<'_>, req: MachineAnswersRequest) -> ApiResult<MachineAnswers> {
    input::opt_line("rater", &req.rater, MAX_NAME)?;
    let (answers, withheld) =
        ctx.study
            .machine_answers(req.run, req.rater.as_deref(), ctx.viewer.as_deref())?;
    Ok(MachineAnswers { answers, withheld })
}

/// `machine_routing`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineRoutingRequest {
    /// The dimension (default: the one dimension machine raters answered on).
    pub dimension: Option<String>,
    /// Only these machine raters (default: every one that answered on the dimension).
    #[serde(default)]
    pub raters: Vec<String>,
    /// Labels with a confidence below this (0 to 1) are routed (default 0.6).
    pub below: Option<f64>,
}

/// The units to send to people first: where machine raters disagree with each other, are
/// below the confidence threshold, or failed. Units of rounds not revealed yet are left out
/// and counted, for every viewer.
pub fn machine_routing(ctx: &mut Ctx<'_>, req: MachineRoutingRequest) -> ApiResult<Routing> {
    input::opt_line("dimension", &req.dimension, MAX_LABEL)?;
    input::list("rater", &req.raters, MAX_LIST, MAX_NAME)?;
    if req.below.is_some_and(|b| !b.is_finite()) {
        return Err(ApiError::invalid(
            "the confidence threshold must be a number",
        ));
    }
    Ok(ctx.study.machine_routing(&RouteOptions {
        dimension: req.dimension.map(|d| d.trim().to_string()),
        raters: req.raters.iter().map(|r| r.trim().to_string()).collect(),
        below: req.below,
    })?)
}

/// `machine_suggestions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineSuggestionsRequest {
    /// The person shown the suggestions (the rater at the keyboard).
    pub rater: String,
    /// The unit.
    pub unit: String,
    /// The dimension.
    pub dimension: String,
}

/// Assist: the machine raters' latest answers on a unit, shown to a person before they decide.
/// Recorded, so the decision they make next carries `suggested_by`; refused as blind on a unit
/// of a round not revealed yet.
pub fn machine_suggestions(
    ctx: &mut Ctx<'_>,
    req: MachineSuggestionsRequest,
) -> ApiResult<Suggestions> {
    input::line("rater", &req.rater, MAX_NAME)?;
    input::line("unit", &req.unit, MAX_UNIT)?;
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    ctx.acting_as(&req.rater)?;
    Ok(ctx
        .study
        .machine_suggestions(req.rater.trim(), req.unit.trim(), req.dimension.trim())?)
}

/// `evaluate_local`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct EvaluateLocal {
    /// The local machine rater.
    pub rater: String,
    /// The dimension (default: its configured one).
    pub dimension: Option<String>,
}

/// The cross-validated agreement of a local machine rater's classifier with the labels it
/// learns from: k-fold accuracy, Cohen's kappa with its CI, and the majority-class baseline.
pub fn evaluate_local(
    ctx: &mut Ctx<'_>,
    req: EvaluateLocal,
) -> ApiResult<codebench_machine::local::Evaluation> {
    input::line("rater", &req.rater, MAX_NAME)?;
    input::opt_line("dimension", &req.dimension, MAX_LABEL)?;
    Ok(ctx
        .study
        .evaluate_local(req.rater.trim(), req.dimension.as_deref())?)
}

/// `keep_machine_key`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct KeepMachineKey {
    /// The endpoint's base URL the key is for.
    pub url: String,
    /// The key.
    pub key: String,
}

/// `forget_machine_key`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineKeyRequest {
    /// The endpoint's base URL.
    pub url: String,
}

/// Keeps an endpoint's API key in the OS keyring, for every machine rater that asks it.
pub fn keep_machine_key(env: &dyn Env, req: KeepMachineKey) -> ApiResult<Done> {
    input::line("url", &req.url, MAX_URL)?;
    codebench_machine::openai::check_base_url(&req.url)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let k = req.key.trim();
    if k.is_empty() || k.len() > 4096 || k.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid(
            "the key is not an API key (no spaces, at most 4,096 characters)",
        ));
    }
    env.keep_secret(&key_secret(&req.url), k)?;
    Ok(Done {})
}

/// Removes an endpoint's API key from the OS keyring; true when one was kept.
pub fn forget_machine_key(env: &dyn Env, req: MachineKeyRequest) -> ApiResult<bool> {
    input::line("url", &req.url, MAX_URL)?;
    env.forget_secret(&key_secret(&req.url))
}
