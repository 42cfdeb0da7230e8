//! The history's part of a merge: the other copy's history rows of what the merge brings in,
//! copied once (a row this study already holds is not copied again).

use rusqlite::{params, Connection};

use crate::Result;

/// Copies the other copy's history rows of `subject` (with one of `actions`) that this study
/// lacks; returns how many.
pub(super) fn copy_history(
    oc: &Connection,
    tx: &Connection,
    actions: &[&str],
    subject: &str,
) -> Result<usize> {
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let mut stmt = oc.prepare_cached(
        "SELECT at, actor, action, subject, old, new FROM history WHERE subject = ?1 ORDER BY id",
    )?;
    let hist: Vec<Row> = stmt
        .query_map([subject], |r| {
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
    let mut n = 0;
    for (at, actor, action, subject, old, new) in hist {
        if !actions.contains(&action.as_str()) {
            continue;
        }
        let have: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM history WHERE at = ?1 AND actor = ?2 AND action = ?3 AND subject = ?4 AND old IS ?5 AND new IS ?6)",
            params![at, actor, action, subject, old, new],
            |r| r.get(0),
        )?;
        if !have {
            tx.execute(
                "INSERT INTO history (at, actor, action, subject, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![at, actor, action, subject, old, new],
            )?;
            n += 1;
        }
    }
    Ok(n)
}
