//! The machine raters' provenance as export tables: `machine_runs.csv` (one row per run) and
//! `machine_answers.csv` (one row per answer). Answers on units of rounds not revealed yet keep
//! their row and status but lose their codes, rationale, confidence and raw text unless the
//! viewer is the machine rater, as everywhere else.

use crate::{Result, Study};

/// Columns of `machine_runs.csv`.
pub const MACHINE_RUNS_COLUMNS: [&str; 26] = [
    "run",
    "rater",
    "backend",
    "endpoint",
    "model",
    "model_version",
    "temperature",
    "seed",
    "max_chars",
    "parameters",
    "prompt_sha256",
    "codebook_version",
    "codebook_sha256",
    "dimension",
    "units",
    "answered",
    "failed",
    "started_at",
    "finished_at",
    "tokens_in",
    "tokens_out",
    "status",
    "cv_accuracy",
    "cv_kappa",
    "cv_baseline_accuracy",
    "prompt_template",
];

/// Columns of `machine_answers.csv`.
pub const MACHINE_ANSWERS_COLUMNS: [&str; 16] = [
    "run",
    "rater",
    "unit",
    "dimension",
    "status",
    "codes",
    "confidence",
    "rationale",
    "error",
    "finish_reason",
    "attempts",
    "tokens_in",
    "tokens_out",
    "truncated",
    "answered_at",
    "raw",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn num(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Study {
    /// The rows of `machine_runs.csv`, by run id.
    pub fn machine_run_rows(&self) -> Result<Vec<Vec<String>>> {
        Ok(self
            .machine_runs(None)?
            .into_iter()
            .map(|r| {
                let p = &r.parameters;
                let e = r.evaluation.clone().unwrap_or(serde_json::Value::Null);
                vec![
                    r.id.to_string(),
                    r.rater,
                    r.backend,
                    opt(r.endpoint),
                    opt(r.model),
                    opt(r.model_version),
                    num(&p["temperature"]),
                    num(&p["seed"]),
                    num(&p["max_chars"]),
                    p.to_string(),
                    r.prompt_sha256,
                    r.codebook_version,
                    r.codebook_sha256,
                    r.dimension,
                    r.units.to_string(),
                    r.answered.to_string(),
                    r.failed.to_string(),
                    r.started_at,
                    opt(r.finished_at),
                    r.tokens_in.to_string(),
                    r.tokens_out.to_string(),
                    r.status,
                    num(&e["accuracy"]),
                    num(&e["kappa"]),
                    num(&e["baseline_accuracy"]),
                    r.prompt_template,
                ]
            })
            .collect())
    }

    /// The rows of `machine_answers.csv` as `viewer` may see them, by run and unit, and how
    /// many answers' codes were withheld as blind.
    pub fn machine_answer_rows(&self, viewer: Option<&str>) -> Result<(Vec<Vec<String>>, usize)> {
        let (answers, withheld) = self.machine_answers(None, None, viewer)?;
        let rows = answers
            .into_iter()
            .map(|a| {
                vec![
                    a.run.to_string(),
                    a.rater,
                    a.unit,
                    a.dimension,
                    a.status,
                    a.codes.join(";"),
                    opt(a.confidence),
                    opt(a.rationale),
                    opt(a.error),
                    opt(a.finish_reason),
                    a.attempts.to_string(),
                    opt(a.tokens_in),
                    opt(a.tokens_out),
                    a.truncated.to_string(),
                    a.answered_at,
                    opt(a.raw),
                ]
            })
            .collect();
        Ok((rows, withheld))
    }
}
