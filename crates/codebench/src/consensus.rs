//! The consensus store: the reconciled codes of a unit in a dimension, who decided them, when
//! and why, read and written inside the caller's transaction with a history row for every
//! change. [`crate::reconcile`] (adjudication by people) and [`crate::rules`] (automatic
//! consensus) both write through here; nothing else touches the `consensus` tables.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::codebook::{Codebook, Dimension};
use crate::coding::Change;
use crate::Result;

/// The consensus on one unit in one dimension.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
pub struct Consensus {
    /// The unit's public name.
    pub unit: String,
    /// The dimension id.
    pub dimension: String,
    /// Code ids in codebook order.
    pub codes: Vec<String>,
    /// Who decided it.
    pub adjudicator: String,
    /// Why (required when it overrides every rater).
    pub rationale: String,
    /// `decided` (by hand), `unanimous` or `majority` (accepted in bulk).
    pub method: String,
    /// When (ISO 8601, UTC).
    pub decided_at: String,
}

/// One rater's decision as shown in the queue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct RaterCodes {
    /// The rater's name.
    pub rater: String,
    /// Code ids in codebook order.
    pub codes: Vec<String>,
    /// The rater's memo.
    pub memo: String,
    /// Flagged for discussion.
    pub flagged: bool,
}

/// Every rater's decision on a unit in a dimension, by rater name.
pub(crate) fn rater_codes(
    c: &Connection,
    book: &Codebook,
    unit_id: i64,
    dim: &str,
) -> Result<Vec<RaterCodes>> {
    let dimension = book.require_dimension(dim)?;
    let mut stmt = c.prepare_cached(
        "SELECT d.id, r.name, d.memo, d.flagged FROM decision d JOIN rater r ON r.id = d.rater_id
         WHERE d.unit_id = ?1 AND d.dimension = ?2 ORDER BY r.name",
    )?;
    let rows: Vec<(i64, String, String, i64)> = stmt
        .query_map(params![unit_id, dim], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut codes_of = c.prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1")?;
    let mut out = Vec::new();
    for (id, rater, memo, flagged) in rows {
        let mut codes: Vec<String> = codes_of
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        dimension.sort_codes(&mut codes);
        out.push(RaterCodes {
            rater,
            codes,
            memo,
            flagged: flagged != 0,
        });
    }
    Ok(out)
}

/// The consensus rows of a dimension (every dimension when `None`), by unit name.
pub(crate) fn consensus_of(
    c: &Connection,
    book: &Codebook,
    dim: Option<&str>,
) -> Result<BTreeMap<String, Consensus>> {
    let mut stmt = c.prepare_cached(&format!(
        "{CONSENSUS_SELECT} WHERE ?1 IS NULL OR c.dimension = ?1 ORDER BY c.dimension, u.name"
    ))?;
    let rows: Vec<(i64, Consensus)> = stmt
        .query_map([dim], consensus_from_row)?
        .collect::<Result<_, _>>()?;
    let mut out = BTreeMap::new();
    for (id, cons) in rows {
        let cons = with_codes(c, book, id, cons)?;
        out.insert(cons.unit.clone(), cons);
    }
    Ok(out)
}

/// The columns [`consensus_from_row`] reads, from `consensus c` joined to its unit `u`.
const CONSENSUS_SELECT: &str =
    "SELECT c.id, u.name, c.dimension, c.adjudicator, c.rationale, c.method, c.decided_at
     FROM consensus c JOIN unit u ON u.id = c.unit_id";

/// A consensus row (without its codes) and its id, from a [`CONSENSUS_SELECT`] row.
fn consensus_from_row(r: &rusqlite::Row) -> rusqlite::Result<(i64, Consensus)> {
    Ok((
        r.get(0)?,
        Consensus {
            unit: r.get(1)?,
            dimension: r.get(2)?,
            codes: Vec::new(),
            adjudicator: r.get(3)?,
            rationale: r.get(4)?,
            method: r.get(5)?,
            decided_at: r.get(6)?,
        },
    ))
}

/// `cons` with the codes of consensus `id`, in codebook order.
fn with_codes(c: &Connection, book: &Codebook, id: i64, mut cons: Consensus) -> Result<Consensus> {
    cons.codes = c
        .prepare_cached("SELECT code FROM consensus_code WHERE consensus_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if let Some(d) = book.dimension(&cons.dimension) {
        d.sort_codes(&mut cons.codes);
    }
    Ok(cons)
}

pub(crate) fn consensus_row(
    c: &Connection,
    book: &Codebook,
    unit_id: i64,
    dim: &str,
) -> Result<Option<Consensus>> {
    let row: Option<(i64, Consensus)> = c
        .prepare_cached(&format!(
            "{CONSENSUS_SELECT} WHERE c.unit_id = ?1 AND c.dimension = ?2"
        ))?
        .query_row(params![unit_id, dim], consensus_from_row)
        .optional()?;
    row.map(|(id, cons)| with_codes(c, book, id, cons))
        .transpose()
}

/// Writes the consensus on a unit with its history row; `Unchanged` when it already is so.
#[allow(clippy::too_many_arguments)]
pub(crate) fn set_consensus(
    tx: &Connection,
    unit_id: i64,
    unit: &str,
    dim: &Dimension,
    codes: &[String],
    adjudicator: &str,
    rationale: &str,
    method: &str,
) -> Result<(Change, Consensus)> {
    let at = crate::now();
    let old: Option<(i64, Vec<String>, String, String, String, String)> = {
        let row: Option<(i64, String, String, String, String)> = tx
            .prepare_cached(
                "SELECT id, adjudicator, rationale, method, decided_at FROM consensus WHERE unit_id = ?1 AND dimension = ?2",
            )?
            .query_row(params![unit_id, dim.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .optional()?;
        match row {
            Some((id, a, r, m, t)) => {
                let mut codes: Vec<String> = tx
                    .prepare_cached("SELECT code FROM consensus_code WHERE consensus_id = ?1")?
                    .query_map([id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                dim.sort_codes(&mut codes);
                Some((id, codes, a, r, m, t))
            }
            None => None,
        }
    };
    let new = Consensus {
        unit: unit.to_string(),
        dimension: dim.id.clone(),
        codes: codes.to_vec(),
        adjudicator: adjudicator.to_string(),
        rationale: rationale.to_string(),
        method: method.to_string(),
        decided_at: at.clone(),
    };
    let (change, id, old_v) = match old {
        Some((id, old_codes, a, r, m, t)) => {
            if old_codes == codes && a == adjudicator && r == rationale && m == method {
                return Ok((
                    Change::Unchanged,
                    Consensus {
                        decided_at: t,
                        ..new
                    },
                ));
            }
            let old_v = serde_json::json!({ "codes": old_codes, "adjudicator": a, "rationale": r, "method": m, "decided_at": t });
            tx.prepare_cached(
                "UPDATE consensus SET adjudicator = ?2, rationale = ?3, method = ?4, decided_at = ?5 WHERE id = ?1",
            )?
            .execute(params![id, adjudicator, rationale, method, at])?;
            tx.prepare_cached("DELETE FROM consensus_code WHERE consensus_id = ?1")?
                .execute([id])?;
            (Change::Updated, id, Some(old_v))
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO consensus (unit_id, dimension, adjudicator, rationale, method, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![unit_id, dim.id, adjudicator, rationale, method, at])?;
            (Change::Created, tx.last_insert_rowid(), None)
        }
    };
    let mut put = tx.prepare_cached(
        "INSERT INTO consensus_code (consensus_id, dimension, code) VALUES (?1, ?2, ?3)",
    )?;
    for code in codes {
        put.execute(params![id, dim.id, code])?;
    }
    let new_v = serde_json::json!({ "codes": codes, "adjudicator": adjudicator, "rationale": rationale, "method": method });
    crate::history::record(
        tx,
        adjudicator,
        "consensus.set",
        &format!("{unit}|{}", dim.id),
        old_v.as_ref(),
        Some(&new_v),
    )?;
    Ok((change, new))
}

/// Removes the consensus `old` of unit `unit_id` (it goes back to the queue), with a history
/// row by `by` saying why.
pub(crate) fn clear_consensus(
    tx: &Connection,
    unit_id: i64,
    old: &Consensus,
    by: &str,
    why: &str,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM consensus WHERE unit_id = ?1 AND dimension = ?2")?
        .execute(params![unit_id, old.dimension])?;
    crate::history::record(
        tx,
        by,
        "consensus.clear",
        &format!("{}|{}", old.unit, old.dimension),
        Some(&serde_json::to_value(old)?),
        Some(&serde_json::json!({ "reopened_because": why })),
    )
}
