//! The rounds' part of a merge: a round only the other copy holds comes with its units and
//! raters, a round both hold must hold the same units, and a round revealed there is revealed
//! here too.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::{rows, MergeReport};
use crate::Result;

/// Brings in the other copy's rounds: a round this study lacks is added with its units and
/// raters (all of which the merge has brought in by then); a round both have must hold the
/// same units, else a conflict; a round revealed there is revealed here too.
pub(super) fn merge_rounds(
    oc: &Connection,
    tx: &Connection,
    report: &mut MergeReport,
    conflicts: &mut Vec<String>,
    by: &str,
) -> Result<()> {
    type RoundRow = (
        i64,
        String,
        Option<String>,
        i64,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let theirs: Vec<RoundRow> = rows(
        oc,
        "SELECT r.id, r.name, r.dimension, r.seed, e.name, r.plan, r.created_at, r.revealed_at, r.revealed_by
         FROM round r LEFT JOIN round e ON e.id = r.extends ORDER BY r.id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
    )?;
    for (oid, name, dimension, seed, extends, plan, created_at, revealed_at, revealed_by) in theirs
    {
        let their_units: BTreeSet<String> = rows(
            oc,
            &format!("SELECT u.name FROM round_unit ru JOIN unit u ON u.id = ru.unit_id WHERE ru.round_id = {oid}"),
            |r| r.get(0),
        )?
        .into_iter()
        .collect();
        let their_raters: Vec<String> = rows(
            oc,
            &format!("SELECT ra.name FROM round_rater rr JOIN rater ra ON ra.id = rr.rater_id WHERE rr.round_id = {oid}"),
            |r| r.get(0),
        )?;
        let mine: Option<(i64, Option<String>)> = tx
            .query_row(
                "SELECT id, revealed_at FROM round WHERE name = ?1",
                [&name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let rid = match mine {
            Some((rid, my_revealed)) => {
                let my_units: BTreeSet<String> = rows(
                    tx,
                    &format!("SELECT u.name FROM round_unit ru JOIN unit u ON u.id = ru.unit_id WHERE ru.round_id = {rid}"),
                    |r| r.get(0),
                )?
                .into_iter()
                .collect();
                if my_units != their_units {
                    conflicts.push(format!(
                        "round '{name}' holds other units in the two copies ({} here, {} there)",
                        my_units.len(),
                        their_units.len()
                    ));
                    continue;
                }
                if my_revealed.is_none() && revealed_at.is_some() {
                    tx.execute(
                        "UPDATE round SET revealed_at = ?2, revealed_by = ?3 WHERE id = ?1",
                        params![rid, revealed_at, revealed_by],
                    )?;
                    report.rounds_revealed.push(name.clone());
                }
                rid
            }
            None => {
                let extends: Option<i64> = match &extends {
                    Some(e) => tx
                        .query_row("SELECT id FROM round WHERE name = ?1", [e], |r| r.get(0))
                        .optional()?,
                    None => None,
                };
                tx.execute(
                    "INSERT INTO round (name, dimension, seed, extends, plan, created_at, revealed_at, revealed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![name, dimension, seed, extends, plan, created_at, revealed_at, revealed_by],
                )?;
                let rid = tx.last_insert_rowid();
                for unit in &their_units {
                    tx.execute(
                        "INSERT INTO round_unit (round_id, unit_id) SELECT ?1, id FROM unit WHERE name = ?2",
                        params![rid, unit],
                    )?;
                }
                crate::history::record(
                    tx,
                    by,
                    "round.merge",
                    &name,
                    None,
                    Some(&serde_json::json!({ "units": their_units.len() })),
                )?;
                report.rounds_added.push(name.clone());
                rid
            }
        };
        for rater in their_raters {
            tx.execute(
                "INSERT OR IGNORE INTO round_rater (round_id, rater_id) SELECT ?1, id FROM rater WHERE name = ?2",
                params![rid, rater],
            )?;
        }
    }
    Ok(())
}
