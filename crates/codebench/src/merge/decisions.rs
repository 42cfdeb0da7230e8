//! The raters' decisions and the consensus rows of a merge, as the two copies hold them: the
//! other copy's decisions (with codes and evidence quotes) and consensus rows, this study's
//! decision of a rater on a unit, and the writes that add quotes or replace a decision with the
//! other copy's side of a conflict (the old one kept in the history). `merge_with` walks them.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::rows;
use crate::Result;

/// One evidence quote, as both copies identify it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Quote {
    pub(super) code: String,
    pub(super) file: String,
    pub(super) quote: String,
    pub(super) line_start: Option<i64>,
    pub(super) line_end: Option<i64>,
    pub(super) created_at: String,
}

impl Quote {
    /// What makes two quotes the same quote (not when they were attached).
    pub(super) fn key(&self) -> (&str, &str, &str, Option<i64>, Option<i64>) {
        (
            &self.code,
            &self.file,
            &self.quote,
            self.line_start,
            self.line_end,
        )
    }
}

pub(super) struct OtherDecision {
    pub(super) id: i64,
    pub(super) rater: String,
    pub(super) unit: String,
    pub(super) dimension: String,
    pub(super) snapshot: Option<i64>,
    pub(super) memo: String,
    pub(super) flagged: i64,
    pub(super) coded_at: String,
    pub(super) suggested_by: String,
    pub(super) codes: BTreeSet<String>,
    pub(super) evidence: Vec<Quote>,
}

pub(super) struct OtherConsensus {
    pub(super) unit: String,
    pub(super) dimension: String,
    pub(super) adjudicator: String,
    pub(super) rationale: String,
    pub(super) method: String,
    pub(super) decided_at: String,
    pub(super) codes: BTreeSet<String>,
}

pub(super) fn list(codes: &BTreeSet<String>) -> String {
    codes.iter().cloned().collect::<Vec<_>>().join(", ")
}

pub(super) fn describe(codes: &BTreeSet<String>, memo: &str, flagged: i64) -> String {
    let mut s = format!("[{}]", list(codes));
    if !memo.is_empty() {
        s.push_str(&format!(" memo '{memo}'"));
    }
    if flagged != 0 {
        s.push_str(" (flagged)");
    }
    s
}

/// This study's decision of a rater on a unit, with its codes and quotes.
pub(super) struct MyDecision {
    pub(super) id: i64,
    pub(super) memo: String,
    pub(super) flagged: i64,
    pub(super) coded_at: String,
    pub(super) suggested_by: String,
    pub(super) codes: BTreeSet<String>,
    pub(super) evidence: Vec<Quote>,
}

pub(super) fn our_decision(
    tx: &Connection,
    rater_id: i64,
    unit_id: i64,
    dim: &str,
) -> Result<Option<MyDecision>> {
    let row: Option<(i64, String, i64, String, String)> = tx
        .query_row(
            "SELECT id, memo, flagged, coded_at, suggested_by FROM decision WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3",
            params![rater_id, unit_id, dim],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((id, memo, flagged, coded_at, suggested_by)) = row else {
        return Ok(None);
    };
    let codes: BTreeSet<String> = tx
        .prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(MyDecision {
        id,
        memo,
        flagged,
        coded_at,
        suggested_by,
        codes,
        evidence: quotes_of(tx, id)?,
    }))
}

fn quotes_of(c: &Connection, decision: i64) -> Result<Vec<Quote>> {
    let mut stmt = c.prepare_cached(
        "SELECT code, file, quote, line_start, line_end, created_at FROM evidence WHERE decision_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([decision], |r| {
        Ok(Quote {
            code: r.get(0)?,
            file: r.get(1)?,
            quote: r.get(2)?,
            line_start: r.get(3)?,
            line_end: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Adds to decision `id` the quotes of `theirs` that `mine` lacks; returns how many.
pub(super) fn add_quotes(
    tx: &Connection,
    id: i64,
    theirs: &[Quote],
    mine: &[Quote],
) -> Result<usize> {
    let have: BTreeSet<_> = mine.iter().map(Quote::key).collect();
    let mut n = 0;
    for q in theirs {
        if have.contains(&q.key()) {
            continue;
        }
        tx.execute(
            "INSERT INTO evidence (decision_id, code, file, quote, line_start, line_end, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, q.code, q.file, q.quote, q.line_start, q.line_end, q.created_at],
        )?;
        n += 1;
    }
    Ok(n)
}

/// Replaces this study's decision with the other copy's side of a conflict; the old one, with
/// its quotes, stays in the history.
pub(super) fn replace_decision(
    tx: &Connection,
    m: &MyDecision,
    d: &OtherDecision,
    by: &str,
    subject: &str,
) -> Result<()> {
    let old = serde_json::json!({
        "codes": m.codes, "memo": m.memo, "flagged": m.flagged != 0, "coded_at": m.coded_at,
        "evidence": m.evidence.iter().map(|q| serde_json::json!({"code": q.code, "file": q.file, "quote": q.quote, "line_start": q.line_start, "line_end": q.line_end})).collect::<Vec<_>>(),
    });
    tx.execute(
        "UPDATE decision SET memo = ?2, flagged = ?3, coded_at = ?4, suggested_by = ?5 WHERE id = ?1",
        params![m.id, d.memo, d.flagged, d.coded_at, crate::coding::union_of(&m.suggested_by, &d.suggested_by)],
    )?;
    tx.execute("DELETE FROM decision_code WHERE decision_id = ?1", [m.id])?;
    for code in &d.codes {
        tx.execute(
            "INSERT INTO decision_code (decision_id, dimension, code) VALUES (?1, ?2, ?3)",
            params![m.id, d.dimension, code],
        )?;
    }
    // Quotes of codes the decision no longer has go (they are in the history row); theirs join.
    tx.execute(
        "DELETE FROM evidence WHERE decision_id = ?1 AND code NOT IN (SELECT code FROM decision_code WHERE decision_id = ?1)",
        [m.id],
    )?;
    let kept: Vec<Quote> = m
        .evidence
        .iter()
        .filter(|q| d.codes.contains(&q.code))
        .cloned()
        .collect();
    add_quotes(tx, m.id, &d.evidence, &kept)?;
    let new = serde_json::json!({ "codes": d.codes, "memo": d.memo, "flagged": d.flagged != 0, "merge": "theirs" });
    crate::history::record(tx, by, "decision.set", subject, Some(&old), Some(&new))?;
    let _ = d.id;
    Ok(())
}

pub(super) fn other_decisions(c: &Connection) -> Result<Vec<OtherDecision>> {
    let mut out = rows(
        c,
        "SELECT d.id, r.name, u.name, d.dimension, d.snapshot_id, d.memo, d.flagged, d.coded_at, d.suggested_by
         FROM decision d JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id ORDER BY d.id",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                OtherDecision {
                    id: r.get(0)?,
                    evidence: Vec::new(),
                    rater: r.get(1)?,
                    unit: r.get(2)?,
                    dimension: r.get(3)?,
                    snapshot: r.get(4)?,
                    memo: r.get(5)?,
                    flagged: r.get(6)?,
                    coded_at: r.get(7)?,
                    suggested_by: r.get(8)?,
                    codes: BTreeSet::new(),
                },
            ))
        },
    )?;
    let mut stmt = c.prepare("SELECT code FROM decision_code WHERE decision_id = ?1")?;
    for (id, d) in &mut out {
        d.codes = stmt
            .query_map([*id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        d.evidence = quotes_of(c, *id)?;
    }
    Ok(out.into_iter().map(|(_, d)| d).collect())
}

pub(super) fn other_consensus(c: &Connection) -> Result<Vec<OtherConsensus>> {
    let mut out = rows(
        c,
        "SELECT c.id, u.name, c.dimension, c.adjudicator, c.rationale, c.method, c.decided_at
         FROM consensus c JOIN unit u ON u.id = c.unit_id ORDER BY c.id",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                OtherConsensus {
                    unit: r.get(1)?,
                    dimension: r.get(2)?,
                    adjudicator: r.get(3)?,
                    rationale: r.get(4)?,
                    method: r.get(5)?,
                    decided_at: r.get(6)?,
                    codes: BTreeSet::new(),
                },
            ))
        },
    )?;
    let mut stmt = c.prepare("SELECT code FROM consensus_code WHERE consensus_id = ?1")?;
    for (id, x) in &mut out {
        x.codes = stmt
            .query_map([*id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
    }
    Ok(out.into_iter().map(|(_, x)| x).collect())
}
