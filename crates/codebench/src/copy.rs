//! Hand-out copies: a consistent copy of the study file, made while it is open elsewhere (the
//! app, another command), optionally holding only what one rater may see.
//!
//! The copy is SQLite's `VACUUM INTO`: one read transaction, so it holds every change
//! acknowledged before it started, including what still sits in the write-ahead log (a plain
//! `cp` of the file misses those). A copy handed out **for** a rater leaves out the other raters'
//! decisions, evidence and their history rows on units of rounds not revealed yet, and records
//! for whom, from which round and when it was made; a merge of it back checks that it brings
//! decisions of that rater only.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags};
use serde::Serialize;

use crate::{Error, Result, Study};

/// What to copy.
#[derive(Debug, Clone, Default)]
pub struct CopySpec {
    /// The new file (refused when something is there).
    pub out: PathBuf,
    /// Hand it out for this rater: only what they may see.
    pub for_rater: Option<String>,
    /// The round the copy is for (the rater must be assigned to it).
    pub round: Option<String>,
    /// Who makes the copy (kept in the history).
    pub by: String,
}

/// What a copy holds.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CopyReport {
    /// The copy.
    pub path: String,
    /// For whom, if handed out.
    pub for_rater: Option<String>,
    /// For which round.
    pub round: Option<String>,
    /// Decisions in the study.
    pub decisions: usize,
    /// Other raters' decisions left out (blind for the rater).
    pub decisions_withheld: usize,
    /// Other raters' history rows left out with them.
    pub history_withheld: usize,
}

/// The `meta` keys a hand-out copy carries.
pub(crate) const HANDED_OUT_FOR: &str = "handed_out_for";
pub(crate) const HANDED_OUT_ROUND: &str = "handed_out_round";
pub(crate) const HANDED_OUT_AT: &str = "handed_out_at";

impl Study {
    /// Makes a consistent copy of the study at `spec.out` (see the module documentation).
    /// The copy is written to a temporary name beside `out` and renamed when complete, so a
    /// half-made copy never carries the name.
    pub fn copy_to(&mut self, spec: &CopySpec) -> Result<CopyReport> {
        let out = &spec.out;
        if out.exists() {
            return Err(Error::AlreadyExists(out.clone()));
        }
        if let Some(r) = &spec.for_rater {
            if !self.raters()?.iter().any(|x| &x.name == r) {
                return Err(Error::unknown("rater", r.clone()));
            }
        }
        if let Some(round) = &spec.round {
            let info = self.round(round)?;
            if let Some(r) = &spec.for_rater {
                if !info.raters.iter().any(|p| &p.rater == r) {
                    return Err(Error::Invalid(format!(
                        "{r} is not assigned to round '{round}'; assign them first"
                    )));
                }
            }
        }
        let tmp = partial_name(out);
        let _ = std::fs::remove_file(&tmp);
        let made = (|| -> Result<CopyReport> {
            self.conn()
                .execute("VACUUM INTO ?1", [tmp.display().to_string()])?;
            let report = restrict(&tmp, spec)?;
            std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
            Ok(report)
        })();
        if made.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        let mut report = made?;
        report.path = out.display().to_string();
        self.write(|tx| {
            crate::history::record(
                tx,
                &spec.by,
                "study.copy",
                &out.display().to_string(),
                None,
                Some(&serde_json::json!({
                    "for": spec.for_rater,
                    "round": spec.round,
                    "withheld": report.decisions_withheld,
                })),
            )
        })?;
        Ok(report)
    }
}

fn partial_name(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.partial"))
}

/// Leaves in the copy at `path` only what `spec.for_rater` may see, and marks it handed out.
fn restrict(path: &Path, spec: &CopySpec) -> Result<CopyReport> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut report = CopyReport {
        path: path.display().to_string(),
        for_rater: spec.for_rater.clone(),
        round: spec.round.clone(),
        decisions: c.query_row("SELECT count(*) FROM decision", [], |r| r.get::<_, i64>(0))?
            as usize,
        decisions_withheld: 0,
        history_withheld: 0,
    };
    let Some(rater) = &spec.for_rater else {
        return Ok(report);
    };
    let tx = c.unchecked_transaction()?;
    let blind = crate::rules::Blind::load(&tx)?;
    // Other raters' decisions on blind pairs go, with their evidence (ON DELETE CASCADE).
    let hidden: Vec<(i64, String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT d.id, r.name, u.name, d.dimension FROM decision d
             JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|(_, r, u, d)| blind.hides(Some(rater), r, u, d))
            .collect()
    };
    // History refuses deletes (its triggers); in the copy they are set aside for this, then
    // put back exactly as they were.
    let triggers: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history' AND sql IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    tx.execute_batch(
        "DROP TRIGGER IF EXISTS history_no_update; DROP TRIGGER IF EXISTS history_no_delete;",
    )?;
    for (id, r, u, d) in &hidden {
        tx.execute("DELETE FROM decision WHERE id = ?1", [id])?;
        report.history_withheld += tx.execute(
            "DELETE FROM history WHERE (action LIKE 'decision.%' OR action LIKE 'evidence.%') AND subject = ?1",
            [format!("{r}|{u}|{d}")],
        )?;
    }
    report.decisions_withheld = hidden.len();
    // A machine rater's answers on blind pairs carry its codes and rationale too: they go.
    let answers: Vec<(i64, String)> = {
        let mut stmt = tx.prepare(
            "SELECT a.run_id, a.unit, r.name, x.dimension FROM machine_answer a
             JOIN machine_run x ON x.id = a.run_id JOIN rater r ON r.id = x.rater_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|(_, u, r, d)| blind.hides(Some(rater), r, u, d))
            .map(|(run, u, _, _)| (run, u))
            .collect()
    };
    for (run, unit) in &answers {
        tx.execute(
            "DELETE FROM machine_answer WHERE run_id = ?1 AND unit = ?2",
            params![run, unit],
        )?;
    }
    for t in &triggers {
        tx.execute_batch(t)?;
    }
    for (k, v) in [
        (HANDED_OUT_FOR, Some(rater.clone())),
        (HANDED_OUT_ROUND, spec.round.clone()),
        (HANDED_OUT_AT, Some(crate::now())),
    ] {
        tx.execute("DELETE FROM meta WHERE key = ?1", [k])?;
        if let Some(v) = v {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![k, v],
            )?;
        }
    }
    tx.commit()?;
    // The removed rows leave no trace in the file's free pages either.
    c.execute_batch("VACUUM")?;
    Ok(report)
}
