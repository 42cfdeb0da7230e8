//! The machine raters' part of a merge: each machine rater's configuration, its runs with their
//! provenance, and their answers, so a run made in another copy (a lead's copy, a shard) arrives
//! as what it is and not as a person's decisions.
//!
//! A run is the same run in both copies when its rater, dimension, start time and prompt hash
//! agree (ids differ between copies). A run this study lacks comes whole, with its answers; a
//! run both hold gains the answers only the other copy has, and a run finished there and not
//! here takes the other copy's end, status and tokens. A copy handed out for a rater carries no
//! machine run (like another rater's decisions there, they are not that rater's to bring).

use rusqlite::{params, Connection, OptionalExtension};

use super::MergeReport;
use crate::Result;

/// A run as the other copy stores it.
struct OtherRun {
    id: i64,
    rater: String,
    backend: String,
    endpoint: Option<String>,
    model: Option<String>,
    model_version: Option<String>,
    parameters: String,
    prompt_template: String,
    prompt_sha256: String,
    codebook_version: String,
    codebook_sha256: String,
    dimension: String,
    units: String,
    started_at: String,
    finished_at: Option<String>,
    tokens_in: i64,
    tokens_out: i64,
    status: String,
    evaluation: Option<String>,
}

/// Brings the other copy's machine rater configurations, runs and answers (see the module
/// documentation); raters are already merged. Counts what it added into `report`.
pub(super) fn merge_machine(
    oc: &Connection,
    tx: &Connection,
    report: &mut MergeReport,
    by: &str,
) -> Result<()> {
    // Configurations: a machine rater this study has no configuration for gets the other's.
    let configs: Vec<(String, String, String, String)> = super::rows(
        oc,
        "SELECT r.name, m.backend, m.config, m.created_at FROM machine_rater m JOIN rater r ON r.id = m.rater_id ORDER BY r.name",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    for (name, backend, config, created_at) in configs {
        let n = tx.execute(
            "INSERT OR IGNORE INTO machine_rater (rater_id, backend, config, created_at)
             SELECT id, ?2, ?3, ?4 FROM rater WHERE name = ?1",
            params![name, backend, config, created_at],
        )?;
        if n > 0 {
            crate::history::record(
                tx,
                by,
                "machine.add",
                &name,
                None,
                Some(&serde_json::json!({ "backend": backend, "merged": true })),
            )?;
        }
    }
    let handed_out = report.handed_out_for.is_some();
    let mut stmt = oc.prepare(
        "SELECT x.id, r.name, x.backend, x.endpoint, x.model, x.model_version, x.parameters,
                x.prompt_template, x.prompt_sha256, x.codebook_version, x.codebook_sha256,
                x.dimension, x.units, x.started_at, x.finished_at, x.tokens_in, x.tokens_out,
                x.status, x.evaluation
         FROM machine_run x JOIN rater r ON r.id = x.rater_id ORDER BY x.id",
    )?;
    let runs: Vec<OtherRun> = stmt
        .query_map([], |r| {
            Ok(OtherRun {
                id: r.get(0)?,
                rater: r.get(1)?,
                backend: r.get(2)?,
                endpoint: r.get(3)?,
                model: r.get(4)?,
                model_version: r.get(5)?,
                parameters: r.get(6)?,
                prompt_template: r.get(7)?,
                prompt_sha256: r.get(8)?,
                codebook_version: r.get(9)?,
                codebook_sha256: r.get(10)?,
                dimension: r.get(11)?,
                units: r.get(12)?,
                started_at: r.get(13)?,
                finished_at: r.get(14)?,
                tokens_in: r.get(15)?,
                tokens_out: r.get(16)?,
                status: r.get(17)?,
                evaluation: r.get(18)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for run in runs {
        let rater_id: i64 =
            tx.query_row("SELECT id FROM rater WHERE name = ?1", [&run.rater], |r| {
                r.get(0)
            })?;
        let mine: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, status FROM machine_run WHERE rater_id = ?1 AND dimension = ?2 AND started_at = ?3 AND prompt_sha256 = ?4",
                params![rater_id, run.dimension, run.started_at, run.prompt_sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if handed_out {
            report.machine_runs_left_out += usize::from(mine.is_none());
            continue;
        }
        let our_id = match mine {
            Some((id, status)) => {
                if status == "unfinished" && run.status == "done" {
                    tx.execute(
                        "UPDATE machine_run SET finished_at = ?2, status = 'done', tokens_in = max(tokens_in, ?3), tokens_out = max(tokens_out, ?4), model_version = coalesce(model_version, ?5) WHERE id = ?1",
                        params![id, run.finished_at, run.tokens_in, run.tokens_out, run.model_version],
                    )?;
                }
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO machine_run (rater_id, backend, endpoint, model, model_version, parameters, prompt_template,
                        prompt_sha256, codebook_version, codebook_sha256, dimension, units, started_at, finished_at,
                        tokens_in, tokens_out, status, evaluation)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                    params![
                        rater_id,
                        run.backend,
                        run.endpoint,
                        run.model,
                        run.model_version,
                        run.parameters,
                        run.prompt_template,
                        run.prompt_sha256,
                        run.codebook_version,
                        run.codebook_sha256,
                        run.dimension,
                        run.units,
                        run.started_at,
                        run.finished_at,
                        run.tokens_in,
                        run.tokens_out,
                        run.status,
                        run.evaluation
                    ],
                )?;
                report.machine_runs_added += 1;
                tx.last_insert_rowid()
            }
        };
        let mut read = oc.prepare_cached(
            "SELECT unit, raw, rationale, confidence, codes, status, error, finish_reason, attempts, tokens_in,
                    tokens_out, truncated, answered_at
             FROM machine_answer WHERE run_id = ?1 ORDER BY unit",
        )?;
        let mut put = tx.prepare_cached(
            "INSERT OR IGNORE INTO machine_answer (run_id, unit, raw, rationale, confidence, codes, status, error,
                finish_reason, attempts, tokens_in, tokens_out, truncated, answered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        let mut answers = read.query([run.id])?;
        while let Some(a) = answers.next()? {
            report.machine_answers_added += put.execute(params![
                our_id,
                a.get::<_, String>(0)?,
                a.get::<_, Option<String>>(1)?,
                a.get::<_, Option<String>>(2)?,
                a.get::<_, Option<f64>>(3)?,
                a.get::<_, Option<String>>(4)?,
                a.get::<_, String>(5)?,
                a.get::<_, Option<String>>(6)?,
                a.get::<_, Option<String>>(7)?,
                a.get::<_, i64>(8)?,
                a.get::<_, Option<i64>>(9)?,
                a.get::<_, Option<i64>>(10)?,
                a.get::<_, i64>(11)?,
                a.get::<_, String>(12)?,
            ])?;
        }
    }
    Ok(())
}
