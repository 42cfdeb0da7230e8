//! Running a machine rater: the openai backend asks the endpoint about each unit, the local
//! backend cross-validates its classifier against the labels it learns from, then labels.
//!
//! A run is recorded before its first unit (the units it asks, in order, with the complete
//! provenance) and each answer is stored with its decision in one transaction as it arrives.
//! A run stopped (cancelled, killed) stays `unfinished`; the next run of the same rater,
//! dimension and configuration resumes it and asks only the units it has no answer for. A new
//! run asks the units of its scope the rater has no decision on (failed units included).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use codebench_machine::prompt::{self, sha256_hex};

use super::text::{dimension_text, unit_files, unit_text};
use super::Backend;
use crate::coding::DecisionInput;
use crate::rater::rater_id;
use crate::{Error, Result, Study};

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The dimension (default: the rater's configured one).
    pub dimension: Option<String>,
    /// Only these units (default: every unit of the dimension's kind, or the round's).
    pub units: Vec<String>,
    /// Only this round's units.
    pub round: Option<String>,
    /// The API key (openai), from the keyring or the environment; never stored.
    pub api_key: Option<String>,
    /// Set to stop: what was stored stays, and the run resumes next time.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Progress of a run. No event carries codes: whoever watches a run may be a rater of a
/// blind round.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum MachineProgress {
    /// Sent once: the run, how many units it asks, how many it had answered before.
    Planned {
        /// Run id.
        run: i64,
        /// Units of the run.
        units: u64,
        /// Answered before (a resumed run).
        answered_before: u64,
        /// Whether an unfinished run is resumed.
        resumed: bool,
    },
    /// A 429 or a retry makes the run wait.
    Waiting {
        /// The unit being asked.
        unit: String,
        /// How long, in seconds.
        wait_seconds: f64,
    },
    /// One unit's answer is stored.
    Answered {
        /// The unit.
        unit: String,
        /// Whether the answer became a decision.
        ok: bool,
        /// Why it failed.
        error: Option<String>,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct MachineRunSummary {
    /// The run.
    pub run: i64,
    /// Whether it resumed an unfinished run.
    pub resumed: bool,
    /// Units of the run.
    pub units: u64,
    /// Answered now: became decisions.
    pub labelled: u64,
    /// Answered now: recorded failures.
    pub failed: u64,
    /// Answered before this call (skipped).
    pub skipped: u64,
    /// Requests sent now.
    pub requests: u64,
    /// Stopped before the end: run it again to go on.
    pub cancelled: bool,
    /// local: the cross-validation the labels rest on.
    pub evaluation: Option<codebench_machine::local::Evaluation>,
}

/// A run's fixed provenance, compared to resume it.
struct Plan {
    endpoint: Option<String>,
    model: Option<String>,
    parameters: serde_json::Value,
    template: String,
    codebook_sha: String,
}

const LOCAL_TEMPLATE: &str = "local: words of the README (w:) and Dockerfiles (d:), Dockerfile analysis tokens (base:TYPE, kw:INSTRUCTION, run:CATEGORY, multistage, nonroot, partial)";

impl Study {
    /// Runs a machine rater (see the module documentation).
    pub fn run_machine(
        &mut self,
        rater: &str,
        options: &RunOptions,
        progress: &(dyn Fn(MachineProgress) + Sync),
    ) -> Result<MachineRunSummary> {
        let m = self.machine_rater(rater)?;
        let book = self.cached_codebook()?;
        let dim_id = options
            .dimension
            .clone()
            .or(m.config.dimension.clone())
            .ok_or_else(|| {
                Error::Invalid(format!("name the dimension '{rater}' codes (--dimension)"))
            })?;
        let dim = book.require_dimension(&dim_id)?.clone();
        let dtext = dimension_text(&dim);
        if dtext.codes.is_empty() {
            return Err(Error::Invalid(format!(
                "dimension '{}' has no codes to give",
                dim.id
            )));
        }
        let c = &m.config;
        let plan = match c.backend {
            Backend::Openai => Plan {
                endpoint: c
                    .url
                    .as_deref()
                    .map(|u| u.trim().trim_end_matches('/').to_string()),
                model: c.model.clone(),
                parameters: serde_json::json!({
                    "temperature": c.temperature.unwrap_or(0.0),
                    "seed": c.seed,
                    "max_chars": c.max_chars.unwrap_or(prompt::DEFAULT_MAX_CHARS),
                    "max_attempts": c.max_attempts.unwrap_or(4),
                    "timeout_seconds": c.timeout_seconds.unwrap_or(120.0),
                }),
                template: c
                    .prompt_template
                    .clone()
                    .unwrap_or_else(|| prompt::DEFAULT_TEMPLATE.to_string()),
                codebook_sha: dtext.codebook_sha256(),
            },
            Backend::Local => Plan {
                endpoint: None,
                model: Some(codebench_machine::local::CLASSIFIER.to_string()),
                parameters: serde_json::json!({
                    "train_on": c.train_on,
                    "folds": c.folds.unwrap_or(5),
                    "cv_seed": c.cv_seed.unwrap_or(1),
                }),
                template: LOCAL_TEMPLATE.to_string(),
                codebook_sha: dtext.codebook_sha256(),
            },
        };
        let prompt_sha = sha256_hex(plan.template.as_bytes());
        let rid = rater_id(self.conn(), rater)?;
        let params_text = serde_json::to_string(&plan.parameters)?;
        // An unfinished run of the same configuration is resumed.
        let open: Option<(i64, String)> = self
            .conn()
            .query_row(
                "SELECT id, units FROM machine_run WHERE rater_id = ?1 AND dimension = ?2 AND status = 'unfinished'
                   AND prompt_sha256 = ?3 AND codebook_sha256 = ?4 AND parameters = ?5
                   AND endpoint IS ?6 AND model IS ?7 ORDER BY id DESC LIMIT 1",
                params![rid, dim.id, prompt_sha, plan.codebook_sha, params_text, plan.endpoint, plan.model],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (run_id, units, resumed) = match open {
            Some((id, units)) => (id, serde_json::from_str::<Vec<String>>(&units)?, true),
            None => {
                let units = self.machine_scope(rid, &dim, options)?;
                let id = self.write(|tx| {
                    tx.execute(
                        "INSERT INTO machine_run (rater_id, backend, endpoint, model, parameters, prompt_template,
                           prompt_sha256, codebook_version, codebook_sha256, dimension, units, started_at, status)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'unfinished')",
                        params![rid, c.backend.as_str(), plan.endpoint, plan.model, params_text, plan.template,
                                prompt_sha, book.version, plan.codebook_sha, dim.id,
                                serde_json::to_string(&units)?, crate::now()],
                    )?;
                    let id = tx.last_insert_rowid();
                    crate::history::record(tx, rater, "machine.run", &format!("{rater}|{}", dim.id), None,
                        Some(&serde_json::json!({ "run": id, "units": units.len() })))?;
                    Ok(id)
                })?;
                (id, units, false)
            }
        };
        let answered: std::collections::HashSet<String> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT unit FROM machine_answer WHERE run_id = ?1")?;
            let rows = stmt.query_map([run_id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let todo: Vec<String> = units
            .iter()
            .filter(|u| !answered.contains(*u))
            .cloned()
            .collect();
        progress(MachineProgress::Planned {
            run: run_id,
            units: units.len() as u64,
            answered_before: answered.len() as u64,
            resumed,
        });
        let mut summary = MachineRunSummary {
            run: run_id,
            resumed,
            units: units.len() as u64,
            skipped: answered.len() as u64,
            ..Default::default()
        };
        let cancelled = || {
            options
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::SeqCst))
        };
        match c.backend {
            Backend::Openai => self.ask_openai(
                rater,
                &dtext,
                &plan,
                run_id,
                &todo,
                options,
                &cancelled,
                progress,
                &mut summary,
            )?,
            Backend::Local => self.label_local(
                rater,
                &dtext,
                c,
                run_id,
                &todo,
                &cancelled,
                progress,
                &mut summary,
            )?,
        }
        let left: i64 = self.conn().query_row(
            "SELECT count(*) FROM machine_answer WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )?;
        if left as usize >= units.len() {
            self.write(|tx| {
                tx.execute(
                    "UPDATE machine_run SET status = 'done', finished_at = ?2 WHERE id = ?1",
                    params![run_id, crate::now()],
                )?;
                Ok(())
            })?;
        } else {
            summary.cancelled = true;
        }
        Ok(summary)
    }

    /// The units a new run asks: those named, or the round's, or every unit of the
    /// dimension's kind; less those the rater has a decision on (unless named).
    fn machine_scope(
        &self,
        rid: i64,
        dim: &crate::codebook::Dimension,
        options: &RunOptions,
    ) -> Result<Vec<String>> {
        let all = self.units()?;
        let round = match &options.round {
            Some(r) => Some(self.round_units(r)?),
            None => None,
        };
        let named = !options.units.is_empty();
        for u in &options.units {
            let info = self.unit(u)?;
            dim.check_unit(&info.name, &info.kind)?;
        }
        let decided: std::collections::HashSet<String> = {
            let mut stmt = self.conn().prepare(
                "SELECT u.name FROM decision d JOIN unit u ON u.id = d.unit_id WHERE d.rater_id = ?1 AND d.dimension = ?2",
            )?;
            let rows = stmt.query_map(params![rid, dim.id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        Ok(all
            .into_iter()
            .filter(|u| u.kind == dim.unit.as_str())
            .filter(|u| !named || options.units.contains(&u.name))
            .filter(|u| round.as_ref().is_none_or(|r| r.contains(&u.name)))
            .filter(|u| named || !decided.contains(&u.name))
            .map(|u| u.name)
            .collect())
    }

    /// Stores one answer, and its decision when it is a label, in one transaction.
    pub(super) fn store_answer(
        &mut self,
        rater: &str,
        dim: &str,
        run_id: i64,
        unit: &str,
        rec: &Record<'_>,
    ) -> Result<()> {
        let Record {
            answer,
            confidence,
            raw,
            finish_reason,
            attempts,
            tokens,
            truncated,
            model_version,
        } = *rec;
        let book = self.cached_codebook()?;
        self.write(|tx| {
            let (status, codes, rationale, confidence, error) = match answer {
                Ok(a) => ("ok", Some(serde_json::to_string(&a.codes)?), Some(a.rationale.clone()), confidence, None),
                Err(e) => ("failed", None, None, None, Some(e.clone())),
            };
            tx.execute(
                "INSERT INTO machine_answer (run_id, unit, raw, rationale, confidence, codes, status, error, finish_reason,
                   attempts, tokens_in, tokens_out, truncated, answered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![run_id, unit, raw, rationale, confidence, codes, status, error, finish_reason, attempts,
                        tokens.0.map(|t| t as i64), tokens.1.map(|t| t as i64), truncated as i64, crate::now()],
            )?;
            tx.execute(
                "UPDATE machine_run SET tokens_in = tokens_in + ?2, tokens_out = tokens_out + ?3,
                   model_version = coalesce(?4, model_version) WHERE id = ?1",
                params![run_id, tokens.0.unwrap_or(0) as i64, tokens.1.unwrap_or(0) as i64, model_version],
            )?;
            if let Ok(a) = answer {
                let rid = rater_id(tx, rater)?;
                let memo: String = a.rationale.chars().take(2000).collect();
                let input = DecisionInput {
                    rater: rater.to_string(),
                    unit: unit.to_string(),
                    dimension: dim.to_string(),
                    codes: a.codes.clone(),
                    memo: Some(memo),
                    flagged: None,
                };
                let (change, d) = crate::coding::set_decision(tx, &book, rid, &input, &crate::now())?;
                if change != crate::coding::Change::Unchanged {
                    crate::rules::sync_auto_consensus_of(tx, &book, &d.unit, &d.dimension)?;
                }
            }
            Ok(())
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn ask_openai(
        &mut self,
        rater: &str,
        dtext: &prompt::DimensionText,
        plan: &Plan,
        run_id: i64,
        todo: &[String],
        options: &RunOptions,
        cancelled: &(dyn Fn() -> bool + Sync),
        progress: &(dyn Fn(MachineProgress) + Sync),
        summary: &mut MachineRunSummary,
    ) -> Result<()> {
        if todo.is_empty() {
            return Ok(());
        }
        let p = &plan.parameters;
        let client = codebench_machine::ChatClient::new(codebench_machine::ChatOptions {
            base_url: plan.endpoint.clone().unwrap_or_default(),
            api_key: options.api_key.clone(),
            request_timeout: Duration::from_secs_f64(
                p["timeout_seconds"].as_f64().unwrap_or(120.0),
            ),
            max_attempts: p["max_attempts"].as_u64().unwrap_or(4) as u32,
            ..Default::default()
        })
        .map_err(|e| Error::Invalid(e.to_string()))?;
        let rt = crate::select::runtime()?;
        let codes = dtext.code_ids();
        let max_chars = p["max_chars"]
            .as_u64()
            .unwrap_or(prompt::DEFAULT_MAX_CHARS as u64) as usize;
        for unit in todo {
            if cancelled() {
                break;
            }
            let info = self.unit(unit)?;
            let files = unit_files(self.conn(), &info)?;
            let pr = prompt::build(&plan.template, dtext, &unit_text(&info, &files), max_chars)
                .map_err(Error::Invalid)?;
            let req = codebench_machine::request(
                plan.model.as_deref().unwrap_or_default(),
                p["temperature"].as_f64().unwrap_or(0.0),
                p["seed"].as_i64(),
                &pr,
                &dtext.id,
                &codes,
                dtext.many,
            );
            let on_wait = |d: Duration, _: &str| {
                progress(MachineProgress::Waiting {
                    unit: unit.clone(),
                    wait_seconds: d.as_secs_f64(),
                })
            };
            let Some(l) = rt.block_on(codebench_machine::label(
                &client, &req, &codes, dtext.many, &on_wait, cancelled,
            )) else {
                break;
            };
            summary.requests += u64::from(l.attempts);
            let rec = Record {
                answer: &l.answer,
                confidence: l.answer.as_ref().ok().map(|a| a.confidence),
                raw: l.raw.as_deref(),
                finish_reason: l.finish_reason.as_deref(),
                attempts: l.attempts,
                tokens: (l.tokens_in, l.tokens_out),
                truncated: pr.truncated,
                model_version: l.model_version.as_deref(),
            };
            self.store_answer(rater, &dtext.id, run_id, unit, &rec)?;
            match &l.answer {
                Ok(_) => summary.labelled += 1,
                Err(_) => summary.failed += 1,
            }
            progress(MachineProgress::Answered {
                unit: unit.clone(),
                ok: l.answer.is_ok(),
                error: l.answer.err(),
            });
        }
        Ok(())
    }
}

/// One answer to store, with its provenance.
#[derive(Clone, Copy)]
pub(super) struct Record<'a> {
    pub(super) answer: &'a std::result::Result<codebench_machine::Answer, String>,
    /// The model's confidence (local: none).
    pub(super) confidence: Option<f64>,
    pub(super) raw: Option<&'a str>,
    pub(super) finish_reason: Option<&'a str>,
    pub(super) attempts: u32,
    pub(super) tokens: (Option<u64>, Option<u64>),
    pub(super) truncated: bool,
    pub(super) model_version: Option<&'a str>,
}
