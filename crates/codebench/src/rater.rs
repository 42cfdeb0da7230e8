//! Raters: the people (and later machines) whose decisions a study holds. Adding, listing,
//! renaming, merging and removing them; every change is one transaction with a history row,
//! and nothing that would lose a decision is allowed (a merge where two decisions on the same
//! unit differ is refused, a rater with decisions cannot be removed).

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Study};

/// A rater.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
pub struct Rater {
    /// The rater's unique name.
    pub name: String,
    /// When the rater was added.
    pub created_at: String,
}

impl Study {
    /// Renames a rater: their decisions, evidence, round assignments and the consensus they
    /// adjudicated follow (the history keeps the old name). Refused when the new name is taken
    /// (merge the two raters instead).
    pub fn rename_rater(&mut self, old: &str, new: &str, by: &str) -> Result<Rater> {
        let new = check_rater_name(new)?;
        self.write(|tx| {
            let id = rater_id(tx, old)?;
            if old == new {
                return rater_by_id(tx, id);
            }
            if rater_id(tx, &new).is_ok() {
                return Err(Error::Conflict(format!(
                    "a rater named '{new}' is already in this study; merge '{old}' into '{new}' instead"
                )));
            }
            tx.execute("UPDATE rater SET name = ?2 WHERE id = ?1", params![id, new])?;
            tx.execute(
                "UPDATE consensus SET adjudicator = ?2 WHERE adjudicator = ?1",
                params![old, new],
            )?;
            crate::history::record(
                tx,
                by,
                "rater.rename",
                old,
                Some(&serde_json::json!({ "name": old })),
                Some(&serde_json::json!({ "name": new })),
            )?;
            rater_by_id(tx, id)
        })
    }

    /// Merges rater `from` into rater `into` (the same person entered twice, e.g. "Alice" and
    /// "alice"): `from`'s decisions, evidence and round assignments become `into`'s, and
    /// `from` is removed. Where both decided the same unit and dimension with the same codes,
    /// `into`'s decision stays and `from`'s memo and evidence join it; where their codes
    /// differ the merge is refused (listing the units) and nothing changes.
    pub fn merge_raters(&mut self, from: &str, into: &str, by: &str) -> Result<RaterMerge> {
        let book = self.cached_codebook()?;
        self.write(|tx| {
            let a = rater_id(tx, from)?;
            let b = rater_id(tx, into)?;
            if a == b {
                return Err(Error::Invalid(format!("cannot merge rater '{from}' into itself")));
            }
            let machine: i64 = tx.query_row(
                "SELECT count(*) FROM rater WHERE id IN (?1, ?2) AND kind = 'machine'",
                params![a, b],
                |r| r.get(0),
            )?;
            if machine > 0 {
                return Err(Error::Invalid(format!(
                    "'{from}' or '{into}' is a machine rater: machine raters keep their own runs and are never merged"
                )));
            }
            let mut stmt = tx.prepare(
                "SELECT d.id, d.unit_id, u.name, d.dimension, d.memo, d.flagged,
                        (SELECT group_concat(code, ' ') FROM (SELECT code FROM decision_code WHERE decision_id = d.id ORDER BY code)),
                        e.id, e.memo, e.flagged,
                        (SELECT group_concat(code, ' ') FROM (SELECT code FROM decision_code WHERE decision_id = e.id ORDER BY code))
                 FROM decision d JOIN unit u ON u.id = d.unit_id
                 LEFT JOIN decision e ON e.rater_id = ?2 AND e.unit_id = d.unit_id AND e.dimension = d.dimension
                 WHERE d.rater_id = ?1 ORDER BY u.name, d.dimension",
            )?;
            type Row = (i64, i64, String, String, String, i64, Option<String>, Option<i64>, Option<String>, Option<i64>, Option<String>);
            let rows: Vec<Row> = stmt
                .query_map(params![a, b], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            let conflicts: Vec<String> = rows
                .iter()
                .filter(|r| r.7.is_some() && r.6 != r.10)
                .map(|r| format!("{} ({})", r.2, r.3))
                .collect();
            if !conflicts.is_empty() {
                let shown: Vec<&str> = conflicts.iter().take(5).map(String::as_str).collect();
                return Err(Error::Conflict(format!(
                    "'{from}' and '{into}' decided {} unit(s) differently ({}{}); reconcile them first, nothing was merged",
                    conflicts.len(),
                    shown.join(", "),
                    if conflicts.len() > 5 { ", ..." } else { "" }
                )));
            }
            let mut report = RaterMerge {
                from: from.to_string(),
                into: into.to_string(),
                ..Default::default()
            };
            let mut touched = BTreeSet::new();
            for (id, unit_id, unit, dim, memo, flagged, _, other, other_memo, other_flag, _) in &rows {
                touched.insert((*unit_id, unit.clone(), dim.clone()));
                match other {
                    None => {
                        tx.execute("UPDATE decision SET rater_id = ?2 WHERE id = ?1", params![id, b])?;
                        report.decisions_moved += 1;
                    }
                    Some(keep) => {
                        let other_memo = other_memo.clone().unwrap_or_default();
                        let joined = match (other_memo.trim().is_empty(), memo.trim().is_empty()) {
                            (_, true) => other_memo.clone(),
                            (true, false) => memo.clone(),
                            (false, false) if other_memo == *memo => other_memo.clone(),
                            (false, false) => format!("{other_memo}\n\n{memo}"),
                        };
                        let flag = other_flag.unwrap_or(0) != 0 || *flagged != 0;
                        tx.execute(
                            "UPDATE decision SET memo = ?2, flagged = ?3 WHERE id = ?1",
                            params![keep, joined, flag as i64],
                        )?;
                        report.evidence_moved += tx.execute(
                            "UPDATE evidence SET decision_id = ?2 WHERE decision_id = ?1",
                            params![id, keep],
                        )?;
                        tx.execute("DELETE FROM decision WHERE id = ?1", [id])?;
                        report.decisions_joined += 1;
                    }
                }
            }
            tx.execute(
                "INSERT OR IGNORE INTO round_rater (round_id, rater_id) SELECT round_id, ?2 FROM round_rater WHERE rater_id = ?1",
                params![a, b],
            )?;
            tx.execute("DELETE FROM round_rater WHERE rater_id = ?1", [a])?;
            tx.execute(
                "UPDATE consensus SET adjudicator = ?2 WHERE adjudicator = ?1",
                params![from, into],
            )?;
            tx.execute("DELETE FROM rater WHERE id = ?1", [a])?;
            crate::history::record(
                tx,
                by,
                "rater.merge",
                from,
                Some(&serde_json::json!({ "name": from })),
                Some(&serde_json::to_value(&report)?),
            )?;
            for (unit_id, unit, dim) in touched {
                crate::rules::sync_auto_consensus(tx, &book, unit_id, &unit, &dim)?;
            }
            Ok(report)
        })
    }

    /// Removes a rater who has no decision (their round assignments go with them; the
    /// history keeps them). A rater with decisions is refused: nothing is lost.
    pub fn remove_rater(&mut self, name: &str, by: &str) -> Result<()> {
        self.write(|tx| {
            let id = rater_id(tx, name)?;
            let n: i64 = tx.query_row("SELECT count(*) FROM decision WHERE rater_id = ?1", [id], |r| r.get(0))?;
            if n > 0 {
                return Err(Error::Conflict(format!(
                    "'{name}' has {n} decision(s) and cannot be removed; merge them into another rater, or clear the decisions first"
                )));
            }
            let runs: i64 = tx.query_row("SELECT count(*) FROM machine_run WHERE rater_id = ?1", [id], |r| r.get(0))?;
            if runs > 0 {
                return Err(Error::Conflict(format!(
                    "'{name}' is a machine rater with {runs} recorded run(s); its provenance stays, so it cannot be removed"
                )));
            }
            let rounds: Vec<String> = tx
                .prepare("SELECT r.name FROM round_rater rr JOIN round r ON r.id = rr.round_id WHERE rr.rater_id = ?1 ORDER BY r.id")?
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            tx.execute("DELETE FROM round_rater WHERE rater_id = ?1", [id])?;
            tx.execute("DELETE FROM rater WHERE id = ?1", [id])?;
            crate::history::record(
                tx,
                by,
                "rater.remove",
                name,
                Some(&serde_json::json!({ "name": name, "rounds": rounds })),
                None,
            )
        })
    }

    /// Every rater with how many decisions they have and their kind (`human` or `machine`).
    pub fn rater_counts(&self) -> Result<Vec<(Rater, usize, String)>> {
        let mut stmt = self.conn().prepare(
            "SELECT r.name, r.created_at, (SELECT count(*) FROM decision d WHERE d.rater_id = r.id), r.kind
             FROM rater r ORDER BY r.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                Rater {
                    name: r.get(0)?,
                    created_at: r.get(1)?,
                },
                r.get::<_, i64>(2)? as usize,
                r.get::<_, String>(3)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds a rater; a rater of that name already there is an error.
    pub fn add_rater(&mut self, name: &str) -> Result<Rater> {
        let name = check_rater_name(name)?;
        self.write(|tx| add_rater_tx(tx, &name))
    }

    /// Every rater, by name.
    pub fn raters(&self) -> Result<Vec<Rater>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name, created_at FROM rater ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(Rater {
                name: r.get(0)?,
                created_at: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Names no rater may have: `auto` adjudicates the automatic consensus, `consensus` names the
/// reconciled labels in reports.
pub const RESERVED_NAMES: [&str; 2] = [
    crate::rules::AUTO_ADJUDICATOR,
    crate::report::CONSENSUS_LABELS,
];

/// The name of a person who acts on the study (an adjudicator, whoever changes a setting),
/// as the history records it: 1 to 100 characters, no control characters, not a reserved
/// name. `role` names them in the error ("adjudicator").
pub(crate) fn check_person(role: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "{role} '{name}': give a name (1 to 100 characters, no control characters)"
        )));
    }
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(Error::Invalid(format!(
            "{role} '{name}': the name is reserved for the automatic consensus; give a person's name"
        )));
    }
    Ok(name.to_string())
}

pub(crate) fn check_rater_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 100
        || name.contains(',')
        || name.chars().any(char::is_control)
    {
        return Err(Error::Invalid(format!(
            "'{name}' is not a rater name (1 to 100 characters, no commas or control characters)"
        )));
    }
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(Error::Invalid(format!(
            "'{name}' is reserved (it names the automatic consensus or the consensus labels); choose another rater name"
        )));
    }
    Ok(name.to_string())
}

pub(crate) fn add_rater_tx(tx: &Connection, name: &str) -> Result<Rater> {
    let at = crate::now();
    // "Alice" beside "alice" is almost always the same person typed twice: refused, so it
    // does not become a third rater in every agreement table.
    let same: Option<String> = tx
        .prepare_cached("SELECT name FROM rater WHERE lower(name) = lower(?1) AND name <> ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(other) = same {
        return Err(Error::Conflict(format!(
            "a rater named '{other}' is already in this study ('{name}' differs only in case); use that name, or rename the rater"
        )));
    }
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO rater (name, created_at) VALUES (?1, ?2)",
        params![name, at],
    )?;
    if inserted == 0 {
        return Err(Error::Conflict(format!(
            "a rater named '{name}' is already in this study"
        )));
    }
    crate::history::record(
        tx,
        name,
        "rater.add",
        name,
        None,
        Some(&serde_json::json!({ "name": name })),
    )?;
    Ok(Rater {
        name: name.to_string(),
        created_at: at,
    })
}

/// The id of a rater named in an imported file, adding the rater (and naming them in `added`)
/// when the study does not have them yet.
pub(crate) fn rater_id_or_add(tx: &Connection, name: &str, added: &mut Vec<String>) -> Result<i64> {
    match rater_id(tx, name) {
        Err(Error::Unknown { .. }) => {
            let name = check_rater_name(name)?;
            add_rater_tx(tx, &name)?;
            added.push(name.clone());
            rater_id(tx, &name)
        }
        other => other,
    }
}

pub(crate) fn rater_id(c: &Connection, name: &str) -> Result<i64> {
    c.prepare_cached("SELECT id FROM rater WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::Unknown {
            what: "rater",
            name: name.to_string(),
            context: String::new(),
        })
}

fn rater_by_id(c: &Connection, id: i64) -> Result<Rater> {
    Ok(c.query_row(
        "SELECT name, created_at FROM rater WHERE id = ?1",
        [id],
        |r| {
            Ok(Rater {
                name: r.get(0)?,
                created_at: r.get(1)?,
            })
        },
    )?)
}

/// What merging two raters did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct RaterMerge {
    /// The rater merged (removed).
    pub from: String,
    /// The rater kept.
    pub into: String,
    /// Decisions that became the kept rater's.
    pub decisions_moved: usize,
    /// Decisions both had with the same codes: joined (memos kept, evidence moved).
    pub decisions_joined: usize,
    /// Evidence moved onto a joined decision.
    pub evidence_moved: usize,
}
