//! Raters and their decisions. A decision is (rater, unit, dimension) → a set of codes with a
//! memo. Every decision is validated against the codebook and written in one transaction with
//! its history row; nothing is overwritten without a trace.
//!
//! This module holds the decisions' types and their reading; writing one decision is in
//! `store.rs`, the import of a codings CSV in `codings.rs` and the import of one column of
//! labels in `labels.rs`.

mod codings;
mod labels;
mod store;

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::codebook::Codebook;
use crate::corpus::unit_by_name;
use crate::rater::rater_id;
pub use crate::rater::Rater;
use crate::{Result, Study};

pub use codings::CodingsImport;
pub use labels::{LabelColumns, LabelsImport};
pub(crate) use store::set_decision;

/// What a rater decides on a unit, as asked for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct DecisionInput {
    /// The rater's name.
    pub rater: String,
    /// The unit's public name (`owner/name` or `owner/name:path`).
    pub unit: String,
    /// The dimension id.
    pub dimension: String,
    /// Codes by id, name or alias.
    pub codes: Vec<String>,
    /// The rater's memo; `None` keeps the current one.
    pub memo: Option<String>,
    /// Flag for discussion; `None` keeps the current flag.
    pub flagged: Option<bool>,
}

/// A decision as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
pub struct Decision {
    /// The rater's name.
    pub rater: String,
    /// The unit's public name.
    pub unit: String,
    /// The dimension id.
    pub dimension: String,
    /// Code ids, sorted in codebook order.
    pub codes: Vec<String>,
    /// The memo.
    pub memo: String,
    /// Flagged for discussion.
    pub flagged: bool,
    /// When it was last changed (ISO 8601, UTC).
    pub coded_at: String,
    /// The machine raters whose suggestions the rater had been shown (assist) when recording
    /// or changing this decision, sorted; empty when they decided unassisted.
    #[serde(default)]
    pub suggested_by: Vec<String>,
}

/// What a change did.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// A new decision.
    Created,
    /// An existing decision now differs.
    Updated,
    /// The decision was already exactly this.
    Unchanged,
}

impl Study {
    /// Validates and records one decision in one transaction; durable when this returns.
    pub fn record(&mut self, input: &DecisionInput) -> Result<(Change, Decision)> {
        let book = self.cached_codebook()?;
        self.write(|tx| {
            let rater_id = rater_id(tx, &input.rater)?;
            let at = crate::now();
            let (change, d) = set_decision(tx, &book, rater_id, input, &at)?;
            if change != Change::Unchanged {
                crate::rules::sync_auto_consensus_of(tx, &book, &d.unit, &d.dimension)?;
            }
            Ok((change, d))
        })
    }

    /// Removes a rater's decision on a unit (an undo of its first recording). The removal is
    /// kept in the history with the old value. Returns whether there was a decision.
    pub fn clear_decision(&mut self, rater: &str, unit: &str, dimension: &str) -> Result<bool> {
        let book = self.codebook()?;
        let dim = book.require_dimension(dimension)?.id.clone();
        self.write(|tx| {
            let rater_id = rater_id(tx, rater)?;
            let (unit_id, unit) = unit_by_name(tx, unit)?;
            let found: Option<(i64, String, i64)> = tx
                .query_row(
                    "SELECT id, memo, flagged FROM decision WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3",
                    params![rater_id, unit_id, dim],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((id, memo, flagged)) = found else { return Ok(false) };
            let mut stmt = tx.prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1 ORDER BY code")?;
            let codes: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
            // Its evidence goes with it (ON DELETE CASCADE): the history row keeps it.
            let mut stmt = tx.prepare_cached("SELECT code, file, quote, line_start, line_end FROM evidence WHERE decision_id = ?1 ORDER BY id")?;
            let evidence: Vec<serde_json::Value> = stmt
                .query_map([id], |r| {
                    Ok(serde_json::json!({
                        "code": r.get::<_, String>(0)?, "file": r.get::<_, String>(1)?, "quote": r.get::<_, String>(2)?,
                        "line_start": r.get::<_, Option<i64>>(3)?, "line_end": r.get::<_, Option<i64>>(4)?,
                    }))
                })?
                .collect::<Result<_, _>>()?;
            tx.execute("DELETE FROM decision WHERE id = ?1", [id])?;
            let old = serde_json::json!({ "codes": codes, "memo": memo, "flagged": flagged != 0, "evidence": evidence });
            crate::history::record(tx, rater, "decision.clear", &format!("{rater}|{}|{dim}", unit.name), Some(&old), None)?;
            crate::rules::sync_auto_consensus(tx, &book, unit_id, &unit.name, &dim)?;
            Ok(true)
        })
    }

    /// One rater's current decision on a unit in a dimension, if any.
    pub fn decision(&self, rater: &str, unit: &str, dimension: &str) -> Result<Option<Decision>> {
        Ok(self
            .query_decisions(Some(rater), Some(unit), Some(dimension))?
            .pop())
    }

    /// Current decisions, optionally of one rater, by rater, unit and dimension.
    pub fn decisions(&self, rater: Option<&str>) -> Result<Vec<Decision>> {
        self.query_decisions(rater, None, None)
    }

    /// Current decisions matching the given rater, unit and dimension (each optional).
    fn query_decisions(
        &self,
        rater: Option<&str>,
        unit: Option<&str>,
        dimension: Option<&str>,
    ) -> Result<Vec<Decision>> {
        let c = self.conn();
        let book = self.cached_codebook()?;
        let order = code_order(&book);
        // One query: a decision's codes come as consecutive rows (NULL code: none).
        let mut stmt = c.prepare_cached(
            "SELECT d.id, r.name, u.name, d.dimension, d.memo, d.flagged, d.coded_at, dc.code, d.suggested_by
             FROM decision d JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id
             LEFT JOIN decision_code dc ON dc.decision_id = d.id
             WHERE (?1 IS NULL OR r.name = ?1) AND (?2 IS NULL OR u.name = ?2) AND (?3 IS NULL OR d.dimension = ?3)
             ORDER BY r.name, u.name, d.dimension, d.id",
        )?;
        let mut rows = stmt.query(rusqlite::params![rater, unit, dimension])?;
        let mut out: Vec<Decision> = Vec::new();
        let mut last: Option<i64> = None;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if last != Some(id) {
                last = Some(id);
                out.push(Decision {
                    rater: r.get(1)?,
                    unit: r.get(2)?,
                    dimension: r.get(3)?,
                    codes: Vec::new(),
                    memo: r.get(4)?,
                    flagged: r.get::<_, i64>(5)? != 0,
                    coded_at: r.get(6)?,
                    suggested_by: names_of(&r.get::<_, String>(8)?),
                });
            }
            if let Some(code) = r.get::<_, Option<String>>(7)? {
                out.last_mut().expect("pushed above").codes.push(code);
            }
        }
        for d in &mut out {
            if d.codes.len() > 1 {
                let dim = order.get(d.dimension.as_str());
                d.codes.sort_by_key(|c| {
                    dim.and_then(|m| m.get(c.as_str()))
                        .copied()
                        .unwrap_or(usize::MAX)
                });
            }
        }
        Ok(out)
    }
}

/// Each code's position in its dimension, by dimension and code id.
fn code_order(book: &Codebook) -> HashMap<&str, HashMap<&str, usize>> {
    book.dimensions
        .iter()
        .map(|d| {
            let codes = d
                .codes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.as_str(), i))
                .collect();
            (d.id.as_str(), codes)
        })
        .collect()
}

/// The names of a comma-separated list as stored in `suggested_by` and `suggestion_shown`.
pub(crate) fn names_of(list: &str) -> Vec<String> {
    let mut v: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Two comma-separated name lists as one, sorted, without repeats.
pub(crate) fn union_of(a: &str, b: &str) -> String {
    names_of(&format!("{a},{b}")).join(",")
}
