//! The study's history: an append-only table of every change, who made it, and the old and
//! new values. A leaf of the core: every module that changes the study calls [`record`] inside
//! the transaction that makes the change, so the change and its record land together or not at
//! all. The table's triggers refuse UPDATE and DELETE (migration 0001).

use rusqlite::{params, Connection};

use crate::Result;

/// Appends one row to the history. Called inside the transaction that makes the change, so
/// the change and its record land together or not at all.
pub(crate) fn record(
    tx: &Connection,
    actor: &str,
    action: &str,
    subject: &str,
    old: Option<&serde_json::Value>,
    new: Option<&serde_json::Value>,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO history (at, actor, action, subject, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(
        params![
            crate::now(),
            actor,
            action,
            subject,
            old.map(|v| v.to_string()),
            new.map(|v| v.to_string())
        ],
    )?;
    Ok(())
}
