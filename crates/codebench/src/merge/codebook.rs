//! The codebook's part of a merge: the check that the other copy's codebook can be merged (the
//! same dimensions), the codebook as it will be after the merge, and bringing in the codes
//! proposed there and the renames, edits and status changes made there more recently.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, OptionalExtension};

use super::{copy_history, MergeReport};
use crate::codebook::Codebook;
use crate::{Error, Result};

/// Refuses a copy whose codebook cannot be merged: another codebook id, or dimensions that
/// differ (ids, units, cardinality). Codes may differ: they are merged.
pub(super) fn compatible_codebook(ours: &Codebook, theirs: &Codebook, oname: &str) -> Result<()> {
    let mut why = Vec::new();
    if ours.id != theirs.id {
        why.push(format!("codebook {} here, {} there", ours.id, theirs.id));
    }
    let shape = |b: &Codebook| -> BTreeMap<String, (String, String)> {
        b.dimensions
            .iter()
            .map(|d| {
                (
                    d.id.clone(),
                    (
                        d.unit.as_str().to_string(),
                        d.cardinality.as_str().to_string(),
                    ),
                )
            })
            .collect()
    };
    let (a, b) = (shape(ours), shape(theirs));
    for (d, s) in &a {
        match b.get(d) {
            None => why.push(format!("dimension '{d}' is missing there")),
            Some(o) if o != s => why.push(format!(
                "dimension '{d}' is decided differently there ({} {} here, {} {} there)",
                s.0, s.1, o.0, o.1
            )),
            _ => {}
        }
    }
    for d in b.keys().filter(|d| !a.contains_key(*d)) {
        why.push(format!("dimension '{d}' is only there"));
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "{oname}: another codebook ({}); merge only copies of the same study; nothing was merged",
        why.join("; ")
    )))
}

/// The codebook as it will be after the merge: ours with the codes only the other copy has.
pub(super) fn merged_codebook(ours: &Codebook, theirs: &Codebook) -> Codebook {
    let mut out = ours.clone();
    for d in &mut out.dimensions {
        if let Some(t) = theirs.dimension(&d.id) {
            for c in &t.codes {
                if d.code(&c.id).is_none() {
                    d.codes.push(c.clone());
                }
            }
        }
    }
    out
}

/// When a code was last renamed, edited or re-statused in a study's history (`None`: never).
fn last_edit(c: &Connection, dim: &str, code: &str, actions: &[&str]) -> Result<Option<String>> {
    let mut latest: Option<String> = None;
    for a in actions {
        let at: Option<String> = c
            .query_row(
                "SELECT max(at) FROM history WHERE action = ?1 AND subject = ?2",
                params![a, format!("{dim}|{code}")],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if at > latest {
            latest = at;
        }
    }
    Ok(latest)
}

/// Brings in the other copy's codebook changes: codes only there are added (after ours, in
/// their order, with their parents); a name, definition or status changed there more recently
/// than here follows theirs. Each change is a history row.
pub(super) fn merge_codebook(
    oc: &Connection,
    tx: &Connection,
    ours: &Codebook,
    theirs: &Codebook,
    report: &mut MergeReport,
    by: &str,
) -> Result<()> {
    for td in &theirs.dimensions {
        let Some(od) = ours.dimension(&td.id) else {
            continue;
        };
        // Parents first: a new sub-code's parent may be new too.
        let mut pending: Vec<&crate::codebook::Code> = td
            .codes
            .iter()
            .filter(|c| od.code(&c.id).is_none())
            .collect();
        let mut added: BTreeSet<String> = BTreeSet::new();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|c| {
                let ready = c.parent.as_ref().is_none_or(|p| od.code(p).is_some() || added.contains(p));
                if !ready {
                    return true;
                }
                let r = tx.execute(
                    "INSERT INTO code (dimension, id, name, definition, include, exclude, example, aliases, grp, parent, status, position)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, (SELECT coalesce(max(position), 0) + 1 FROM code WHERE dimension = ?1))",
                    params![td.id, c.id, c.name, c.definition, c.include, c.exclude, c.example,
                        serde_json::to_string(&c.aliases).unwrap_or_else(|_| "[]".into()), c.group, c.parent, c.status.as_str()],
                );
                if r.is_ok() {
                    added.insert(c.id.clone());
                }
                false
            });
            if pending.len() == before {
                break;
            }
        }
        for id in &added {
            report.codes_added.push(format!("{}|{id}", td.id));
            let subject = format!("{}|{id}", td.id);
            report.history_added += copy_history(oc, tx, &["codebook.propose"], &subject)?;
        }
        for tc in &td.codes {
            let Some(oc_code) = od.code(&tc.id) else {
                continue;
            };
            let subject = format!("{}|{}", td.id, tc.id);
            let mut changed = false;
            for (actions, differs, apply) in [
                (
                    &["codebook.rename"][..],
                    oc_code.name != tc.name,
                    "UPDATE code SET name = ?3 WHERE dimension = ?1 AND id = ?2",
                ),
                (
                    &["codebook.status"][..],
                    oc_code.status != tc.status,
                    "UPDATE code SET status = ?3 WHERE dimension = ?1 AND id = ?2",
                ),
            ] {
                if !differs {
                    continue;
                }
                if last_edit(oc, &td.id, &tc.id, actions)? > last_edit(tx, &td.id, &tc.id, actions)?
                {
                    let value = if actions[0] == "codebook.rename" {
                        tc.name.clone()
                    } else {
                        tc.status.as_str().to_string()
                    };
                    tx.execute(apply, params![td.id, tc.id, value])?;
                    changed = true;
                }
            }
            let text_differs = (
                oc_code.definition.as_str(),
                oc_code.include.as_str(),
                oc_code.exclude.as_str(),
                oc_code.example.as_str(),
            ) != (
                tc.definition.as_str(),
                tc.include.as_str(),
                tc.exclude.as_str(),
                tc.example.as_str(),
            );
            if text_differs
                && last_edit(oc, &td.id, &tc.id, &["codebook.edit"])?
                    > last_edit(tx, &td.id, &tc.id, &["codebook.edit"])?
            {
                tx.execute(
                    "UPDATE code SET definition = ?3, include = ?4, exclude = ?5, example = ?6 WHERE dimension = ?1 AND id = ?2",
                    params![td.id, tc.id, tc.definition, tc.include, tc.exclude, tc.example],
                )?;
                changed = true;
            }
            if changed {
                report.codes_updated.push(subject.clone());
                report.history_added += copy_history(
                    oc,
                    tx,
                    &["codebook.rename", "codebook.status", "codebook.edit"],
                    &subject,
                )?;
            }
        }
    }
    // The code table's triggers move `codebook_rev` on, so every open study reads the
    // codebook again.
    let _ = by;
    Ok(())
}
