//! Writing one decision: checked against the codebook (codes, cardinality, the unit's kind,
//! retired codes), stored with its codes and a history row, its quotes of codes it no longer
//! gives dropped, and the machine raters whose suggestions the rater had been shown recorded.

use rusqlite::{params, Connection, OptionalExtension};

use super::{names_of, union_of, Change, Decision, DecisionInput};
use crate::codebook::Codebook;
use crate::corpus::unit_by_name;
use crate::{Error, Result};

/// Removes the quotes of decision `id` whose code is not among `codes`; returns them (as the
/// history keeps them).
fn drop_orphan_quotes(
    tx: &Connection,
    id: i64,
    codes: &[String],
) -> Result<Vec<serde_json::Value>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, code, file, quote, line_start, line_end FROM evidence WHERE decision_id = ?1 ORDER BY id",
    )?;
    /// id, code, file, quote, first and last line.
    type QuoteRow = (i64, String, String, String, Option<i64>, Option<i64>);
    let rows: Vec<QuoteRow> = stmt
        .query_map([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (eid, code, file, quote, a, b) in rows {
        if codes.contains(&code) {
            continue;
        }
        tx.prepare_cached("DELETE FROM evidence WHERE id = ?1")?
            .execute([eid])?;
        out.push(serde_json::json!({ "code": code, "file": file, "quote": quote, "line_start": a, "line_end": b }));
    }
    Ok(out)
}

/// Validates `input` against the codebook and the unit, then writes it with a history row.
pub(crate) fn set_decision(
    tx: &Connection,
    book: &Codebook,
    rater_id: i64,
    input: &DecisionInput,
    at: &str,
) -> Result<(Change, Decision)> {
    let dim = book.require_dimension(&input.dimension)?;
    let (unit_id, unit) = unit_by_name(tx, &input.unit)?;
    dim.check_unit(&unit.name, &unit.kind)?;
    let sorted = dim.codes_of(&input.codes)?;
    let retired: Vec<&String> = sorted
        .iter()
        .filter(|c| {
            dim.code(c)
                .is_some_and(|c| c.status == crate::codebook::CodeStatus::Retired)
        })
        .collect();
    let rater: String = tx
        .prepare_cached("SELECT name FROM rater WHERE id = ?1")?
        .query_row([rater_id], |r| r.get(0))?;
    let snapshot: Option<i64> = tx
        .prepare_cached("SELECT max(s.id) FROM snapshot s JOIN unit u ON u.project_id = s.project_id WHERE u.id = ?1")?
        .query_row([unit_id], |r| r.get(0))?;
    let existing: Option<(i64, String, i64, String)> = tx
        .prepare_cached("SELECT id, memo, flagged, suggested_by FROM decision WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3")?
        .query_row(params![rater_id, unit_id, dim.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let before = existing.as_ref().map(|e| e.3.clone()).unwrap_or_default();
    if !retired.is_empty() {
        // A retired code stays on decisions that had it, but is not given anew.
        let had: Vec<String> = match existing {
            Some((id, _, _, _)) => tx
                .prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1")?
                .query_map([id], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        if let Some(r) = retired.iter().find(|r| !had.contains(*r)) {
            return Err(Error::Invalid(format!(
                "code '{r}' of dimension '{}' is retired; choose another code",
                dim.id
            )));
        }
    }
    let subject = format!("{rater}|{}|{}", unit.name, dim.id);
    let (change, decision_id, memo, flagged, old) = match existing {
        Some((id, old_memo, old_flag, _)) => {
            let mut stmt =
                tx.prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1")?;
            let mut old_codes: Vec<String> = stmt
                .query_map([id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            dim.sort_codes(&mut old_codes);
            let memo = input.memo.clone().unwrap_or_else(|| old_memo.clone());
            let flagged = input.flagged.unwrap_or(old_flag != 0);
            let old = serde_json::json!({ "codes": old_codes, "memo": old_memo, "flagged": old_flag != 0 });
            if old_codes == sorted && memo == old_memo && flagged == (old_flag != 0) {
                let coded_at: String = tx
                    .prepare_cached("SELECT coded_at FROM decision WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))?;
                return Ok((
                    Change::Unchanged,
                    Decision {
                        rater,
                        unit: unit.name,
                        dimension: dim.id.clone(),
                        codes: sorted,
                        memo,
                        flagged,
                        coded_at,
                        suggested_by: names_of(&before),
                    },
                ));
            }
            tx.prepare_cached("UPDATE decision SET memo = ?2, flagged = ?3, coded_at = ?4, snapshot_id = ?5 WHERE id = ?1")?
                .execute(params![id, memo, flagged as i64, at, snapshot])?;
            tx.prepare_cached("DELETE FROM decision_code WHERE decision_id = ?1")?
                .execute([id])?;
            // Quotes of codes the decision no longer gives support nothing: they go, and the
            // history row keeps them with the old codes.
            let mut old = old;
            let dropped = drop_orphan_quotes(tx, id, &sorted)?;
            if !dropped.is_empty() {
                old["evidence"] = serde_json::Value::Array(dropped);
            }
            (Change::Updated, id, memo, flagged, Some(old))
        }
        None => {
            let memo = input.memo.clone().unwrap_or_default();
            let flagged = input.flagged.unwrap_or(false);
            tx.prepare_cached(
                "INSERT INTO decision (rater_id, unit_id, dimension, snapshot_id, memo, flagged, coded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![rater_id, unit_id, dim.id, snapshot, memo, flagged as i64, at])?;
            (Change::Created, tx.last_insert_rowid(), memo, flagged, None)
        }
    };
    let mut put = tx.prepare_cached(
        "INSERT INTO decision_code (decision_id, dimension, code) VALUES (?1, ?2, ?3)",
    )?;
    for code in &sorted {
        put.execute(params![decision_id, dim.id, code])?;
    }
    if matches!(change, Change::Created) {
        crate::jobs::on_first_decision(tx, crate::jobs::project_of_unit(tx, unit_id)?)?;
    }
    // Once shown a suggestion, every later change of the decision was made having seen it.
    let shown: String = tx
        .prepare_cached("SELECT machines FROM suggestion_shown WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3")?
        .query_row(params![rater_id, unit_id, dim.id], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let suggested_by = union_of(&before, &shown);
    if suggested_by != before {
        tx.prepare_cached("UPDATE decision SET suggested_by = ?2 WHERE id = ?1")?
            .execute(params![decision_id, suggested_by])?;
    }
    let mut new = serde_json::json!({ "codes": sorted, "memo": memo, "flagged": flagged });
    if !suggested_by.is_empty() {
        new["suggested_by"] = serde_json::Value::String(suggested_by.clone());
    }
    crate::history::record(
        tx,
        &rater,
        "decision.set",
        &subject,
        old.as_ref(),
        Some(&new),
    )?;
    Ok((
        change,
        Decision {
            rater,
            unit: unit.name,
            dimension: dim.id.clone(),
            codes: sorted,
            memo,
            flagged,
            coded_at: at.to_string(),
            suggested_by: names_of(&suggested_by),
        },
    ))
}
