//! Machine raters inside a study: a rater of kind `machine` with a recorded configuration
//! (backend `openai`: an OpenAI-compatible chat-completions endpoint; backend `local`: a text
//! classifier trained on the study's own human or consensus labels), its runs and every answer
//! with its provenance. The prompts, the HTTP client, the answer check and the classifier are
//! the crate `codebench-machine`; this module stores and reads.
//!
//! A machine's labels are ordinary decisions of its rater, so agreement, reconcile, rounds,
//! reports and exports count them like anyone's (agreement can leave machine raters out). A
//! failed answer (codes outside the codebook, broken JSON, a refusal, a cut answer, a timeout,
//! 429s or 5xx past the attempts) is recorded as failed and is never a decision. The model sees
//! only the unit's own README and Dockerfiles and the codebook; no API key is ever stored.

mod export;
mod latest;
mod local;
mod route;
mod run;
mod suggest;
mod text;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A local model's cross-validation report (from `codebench-machine`).
pub use codebench_machine::local::{CodeScore, Evaluation};
pub use export::{MACHINE_ANSWERS_COLUMNS, MACHINE_RUNS_COLUMNS};
pub use route::{RouteAnswer, RouteOptions, RouteReason, RoutedUnit, Routing, DEFAULT_BELOW};
pub use run::{MachineProgress, MachineRunSummary, RunOptions};
pub use suggest::{Suggestion, Suggestions};

use crate::rater::{add_rater_tx, check_rater_name, rater_id};
use crate::{Error, Result, Study};

/// Environment variable read for the API key when the keyring has none (unless the
/// configuration names another).
pub const DEFAULT_KEY_ENV: &str = "CODEBENCH_MACHINE_KEY";

/// The two backends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp, vLLM, OpenAI...).
    #[default]
    Openai,
    /// A naive Bayes text classifier trained on the study's labels; no network.
    Local,
}

impl Backend {
    /// Its name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Openai => "openai",
            Backend::Local => "local",
        }
    }
}

/// A machine rater's configuration, as recorded (never a key). Fields not set are left out of
/// its JSON (the stored configuration, the API's answers), as the UI's optional fields say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MachineConfig {
    /// `openai` or `local`.
    pub backend: Backend,
    /// The dimension it codes unless a run names another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// openai: the base URL, usually ending in `/v1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// openai: the model to ask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// openai: sampling temperature (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// openai: the seed sent (servers that honour it answer reproducibly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// openai: most characters of a unit's file text in one prompt (default 24,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
    /// openai: requests at most per unit, retries included (default 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// openai: limit on one request in seconds (default 120).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    /// openai: the prompt template (default: the built-in one, see `codebench machine list`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_template: Option<String>,
    /// openai: the environment variable holding the API key when the OS keyring has none
    /// (default `CODEBENCH_MACHINE_KEY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_env: Option<String>,
    /// openai: this study may send unit text to this endpoint although it is not on this
    /// machine (the opt-in names the endpoint: it is the recorded `url`).
    #[serde(default)]
    pub allow_remote: bool,
    /// local: whose labels it learns from: `consensus` or a rater's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_on: Option<String>,
    /// local: folds of the cross-validation (default 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folds: Option<usize>,
    /// local: seed of the cross-validation's shuffle (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv_seed: Option<u64>,
}

/// A machine rater with its configuration.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MachineRater {
    /// The rater's name.
    pub name: String,
    /// Its configuration.
    pub config: MachineConfig,
    /// When it was added.
    pub created_at: String,
    /// Its current decisions.
    pub decisions: usize,
    /// Its runs.
    pub runs: usize,
}

/// One run of a machine rater, with its provenance.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MachineRun {
    /// Run id.
    pub id: i64,
    /// The machine rater.
    pub rater: String,
    /// `openai` or `local`.
    pub backend: String,
    /// The endpoint asked (openai).
    pub endpoint: Option<String>,
    /// The model asked for (openai) or the classifier (local).
    pub model: Option<String>,
    /// What the server reported of itself (`system_fingerprint`, else its model name).
    pub model_version: Option<String>,
    /// Temperature, seed, bounds, attempts (openai); training labels, folds (local).
    pub parameters: serde_json::Value,
    /// The prompt template (openai), or a description of the features (local).
    pub prompt_template: String,
    /// SHA-256 of the template.
    pub prompt_sha256: String,
    /// The codebook's version.
    pub codebook_version: String,
    /// SHA-256 of the dimension's codebook text as the model read it.
    pub codebook_sha256: String,
    /// The dimension coded.
    pub dimension: String,
    /// Units the run asks.
    pub units: usize,
    /// Answers recorded (ok and failed).
    pub answered: usize,
    /// Of those, failed.
    pub failed: usize,
    /// Started, ISO 8601 UTC.
    pub started_at: String,
    /// Finished (`None`: unfinished, resumed by the next run).
    pub finished_at: Option<String>,
    /// Prompt tokens the server counted.
    pub tokens_in: i64,
    /// Completion tokens the server counted.
    pub tokens_out: i64,
    /// `unfinished` or `done`.
    pub status: String,
    /// local: the cross-validation report the run began with.
    pub evaluation: Option<serde_json::Value>,
}

/// One answer of a run for one unit.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MachineAnswer {
    /// The run.
    pub run: i64,
    /// The machine rater.
    pub rater: String,
    /// The unit.
    pub unit: String,
    /// The dimension.
    pub dimension: String,
    /// `ok` (the codes became the rater's decision) or `failed` (no decision).
    pub status: String,
    /// The validated codes (ok only).
    pub codes: Vec<String>,
    /// The model's rationale.
    pub rationale: Option<String>,
    /// The model's confidence, 0 to 1.
    pub confidence: Option<f64>,
    /// The answer as received (bounded).
    pub raw: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// `finish_reason` of the reply.
    pub finish_reason: Option<String>,
    /// Requests sent for the unit.
    pub attempts: i64,
    /// Prompt tokens.
    pub tokens_in: Option<i64>,
    /// Completion tokens.
    pub tokens_out: Option<i64>,
    /// The unit's text was cut to fit the bound.
    pub truncated: bool,
    /// When it was recorded.
    pub answered_at: String,
}

/// Checks a configuration before it is recorded.
fn check_config(book: &crate::codebook::Codebook, c: &MachineConfig) -> Result<()> {
    if let Some(d) = &c.dimension {
        book.require_dimension(d)?;
    }
    match c.backend {
        Backend::Openai => {
            let url = c.url.as_deref().ok_or_else(|| {
                Error::Invalid("an openai machine rater needs --url (the base URL, e.g. http://localhost:11434/v1)".into())
            })?;
            codebench_machine::openai::check_base_url(url)
                .map_err(|e| Error::Invalid(e.to_string()))?;
            if !c.allow_remote && !codebench_machine::openai::is_loopback(url) {
                return Err(Error::Invalid(format!(
                    "{url} is not on this machine: unit text would leave it; opt in for this study with --allow-remote"
                )));
            }
            if c.model.as_deref().is_none_or(|m| m.trim().is_empty()) {
                return Err(Error::Invalid(
                    "an openai machine rater needs --model".into(),
                ));
            }
            if let Some(t) = c.temperature {
                if !(0.0..=2.0).contains(&t) {
                    return Err(Error::Invalid(format!("temperature {t} is outside 0 to 2")));
                }
            }
            if c.max_chars.is_some_and(|m| !(100..=1_000_000).contains(&m)) {
                return Err(Error::Invalid("max chars must be 100 to 1,000,000".into()));
            }
            if c.max_attempts.is_some_and(|m| !(1..=20).contains(&m)) {
                return Err(Error::Invalid("max attempts must be 1 to 20".into()));
            }
            if c.timeout_seconds
                .is_some_and(|t| !(0.05..=3600.0).contains(&t))
            {
                return Err(Error::Invalid(
                    "the timeout must be 0.05 to 3,600 seconds".into(),
                ));
            }
            if let Some(t) = &c.prompt_template {
                codebench_machine::prompt::check_template(t).map_err(Error::Invalid)?;
            }
            if let Some(k) = &c.key_env {
                if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(Error::Invalid(format!(
                        "'{k}' is not an environment variable name"
                    )));
                }
            }
        }
        Backend::Local => {
            if c.train_on.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(Error::Invalid(
                    "a local machine rater needs --train-on (consensus or a rater)".into(),
                ));
            }
            if c.folds.is_some_and(|f| !(2..=50).contains(&f)) {
                return Err(Error::Invalid("folds must be 2 to 50".into()));
            }
        }
    }
    Ok(())
}

pub(crate) fn rater_kind(c: &Connection, name: &str) -> Result<String> {
    let id = rater_id(c, name)?;
    Ok(c.query_row("SELECT kind FROM rater WHERE id = ?1", [id], |r| r.get(0))?)
}

impl Study {
    /// Adds a machine rater with its configuration (checked; the rater name as for people).
    pub fn add_machine_rater(
        &mut self,
        name: &str,
        config: &MachineConfig,
    ) -> Result<MachineRater> {
        let name = check_rater_name(name)?;
        let book = self.cached_codebook()?;
        check_config(&book, config)?;
        if let Some(t) = config.train_on.as_deref() {
            if !t.eq_ignore_ascii_case(crate::report::CONSENSUS_LABELS) {
                let kind = rater_kind(self.conn(), t)?;
                if kind == "machine" || t == name {
                    return Err(Error::Invalid(format!(
                        "'{t}' is a machine rater: a local model learns from people or the consensus"
                    )));
                }
            }
        }
        self.write(|tx| {
            add_rater_tx(tx, &name)?;
            let id = rater_id(tx, &name)?;
            tx.execute("UPDATE rater SET kind = 'machine' WHERE id = ?1", [id])?;
            tx.execute(
                "INSERT INTO machine_rater (rater_id, backend, config, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, config.backend.as_str(), serde_json::to_string(config)?, crate::now()],
            )?;
            crate::history::record(
                tx,
                "system",
                "machine.add",
                &name,
                None,
                Some(&serde_json::to_value(config)?),
            )?;
            Ok(())
        })?;
        self.machine_rater(&name)
    }

    /// Every machine rater, by name.
    pub fn machine_raters(&self) -> Result<Vec<MachineRater>> {
        let mut stmt = self.conn().prepare(
            "SELECT r.name, m.config, m.created_at,
                    (SELECT count(*) FROM decision d WHERE d.rater_id = r.id),
                    (SELECT count(*) FROM machine_run x WHERE x.rater_id = r.id)
             FROM machine_rater m JOIN rater r ON r.id = m.rater_id ORDER BY r.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, config, created_at, decisions, runs) = row?;
            out.push(MachineRater {
                config: serde_json::from_str(&config)?,
                name,
                created_at,
                decisions: decisions as usize,
                runs: runs as usize,
            });
        }
        Ok(out)
    }

    /// One machine rater, or an error naming it.
    pub fn machine_rater(&self, name: &str) -> Result<MachineRater> {
        self.machine_raters()?
            .into_iter()
            .find(|m| m.name == name)
            .ok_or_else(|| match rater_id(self.conn(), name) {
                Ok(_) => Error::Invalid(format!("'{name}' is a person, not a machine rater")),
                Err(e) => e,
            })
    }

    /// Names of the raters of kind `machine`.
    pub fn machine_rater_names(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT name FROM rater WHERE kind = 'machine' ORDER BY name")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The runs (of one machine rater, or all), oldest first.
    pub fn machine_runs(&self, rater: Option<&str>) -> Result<Vec<MachineRun>> {
        if let Some(r) = rater {
            self.machine_rater(r)?;
        }
        let mut stmt = self.conn().prepare(
            "SELECT x.id, r.name, x.backend, x.endpoint, x.model, x.model_version, x.parameters,
                    x.prompt_template, x.prompt_sha256, x.codebook_version, x.codebook_sha256,
                    x.dimension, x.units, x.started_at, x.finished_at, x.tokens_in, x.tokens_out,
                    x.status, x.evaluation,
                    (SELECT count(*) FROM machine_answer a WHERE a.run_id = x.id),
                    (SELECT count(*) FROM machine_answer a WHERE a.run_id = x.id AND a.status = 'failed')
             FROM machine_run x JOIN rater r ON r.id = x.rater_id
             WHERE ?1 IS NULL OR r.name = ?1 ORDER BY x.id",
        )?;
        let rows = stmt.query_map([rater], |r| {
            let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
            Ok(MachineRun {
                id: r.get(0)?,
                rater: r.get(1)?,
                backend: r.get(2)?,
                endpoint: r.get(3)?,
                model: r.get(4)?,
                model_version: r.get(5)?,
                parameters: json(r.get(6)?).unwrap_or(serde_json::Value::Null),
                prompt_template: r.get(7)?,
                prompt_sha256: r.get(8)?,
                codebook_version: r.get(9)?,
                codebook_sha256: r.get(10)?,
                dimension: r.get(11)?,
                units: json(r.get(12)?)
                    .and_then(|v: serde_json::Value| v.as_array().map(Vec::len))
                    .unwrap_or(0),
                started_at: r.get(13)?,
                finished_at: r.get(14)?,
                tokens_in: r.get(15)?,
                tokens_out: r.get(16)?,
                status: r.get(17)?,
                evaluation: json(r.get(18)?),
                answered: r.get::<_, i64>(19)? as usize,
                failed: r.get::<_, i64>(20)? as usize,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The answers (of one run, or one machine rater, or all) as `viewer` may see them: on a
    /// unit of a round not revealed yet, another rater's answer keeps its status but loses its
    /// codes, rationale and raw text. Returns the answers and how many were withheld so.
    pub fn machine_answers(
        &self,
        run: Option<i64>,
        rater: Option<&str>,
        viewer: Option<&str>,
    ) -> Result<(Vec<MachineAnswer>, usize)> {
        if let Some(r) = rater {
            self.machine_rater(r)?;
        }
        if let Some(id) = run {
            let known: Option<i64> = self
                .conn()
                .query_row("SELECT id FROM machine_run WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            if known.is_none() {
                return Err(Error::unknown("machine run", id.to_string()));
            }
        }
        let blind = self.blind()?;
        let mut stmt = self.conn().prepare(
            "SELECT a.run_id, r.name, a.unit, x.dimension, a.status, a.codes, a.rationale,
                    a.confidence, a.raw, a.error, a.finish_reason, a.attempts, a.tokens_in,
                    a.tokens_out, a.truncated, a.answered_at
             FROM machine_answer a JOIN machine_run x ON x.id = a.run_id JOIN rater r ON r.id = x.rater_id
             WHERE (?1 IS NULL OR a.run_id = ?1) AND (?2 IS NULL OR r.name = ?2)
             ORDER BY a.run_id, a.unit",
        )?;
        let rows = stmt.query_map(params![run, rater], |r| {
            let codes: Option<String> = r.get(5)?;
            Ok(MachineAnswer {
                run: r.get(0)?,
                rater: r.get(1)?,
                unit: r.get(2)?,
                dimension: r.get(3)?,
                status: r.get(4)?,
                codes: codes
                    .and_then(|c| serde_json::from_str(&c).ok())
                    .unwrap_or_default(),
                rationale: r.get(6)?,
                confidence: r.get(7)?,
                raw: r.get(8)?,
                error: r.get(9)?,
                finish_reason: r.get(10)?,
                attempts: r.get(11)?,
                tokens_in: r.get(12)?,
                tokens_out: r.get(13)?,
                truncated: r.get::<_, i64>(14)? != 0,
                answered_at: r.get(15)?,
            })
        })?;
        let mut out = Vec::new();
        let mut withheld = 0;
        for a in rows {
            let mut a = a?;
            if blind.hides(viewer, &a.rater, &a.unit, &a.dimension) {
                a.codes.clear();
                a.rationale = None;
                a.raw = None;
                a.confidence = None;
                withheld += 1;
            }
            out.push(a);
        }
        Ok((out, withheld))
    }
}
