//! Merging raters' copies of one study: each rater codes in their own copy (a hand-out copy,
//! see [`crate::copy`]), then the copies are merged into one ([`Study::merge_from`]).
//!
//! A merge carries everything the other copy holds that this study lacks: raters, projects,
//! snapshots (texts checked against their digests), units, decisions with their memos, flags and
//! evidence, consensus, rounds with their units, raters and reveals, image references, metrics
//! (image, layer and Dockerfile analyses, finished jobs), the codebook's changes (a code proposed
//! there is added; a rename, an edited definition or a status change follows the newer edit by
//! the two copies' histories), and the history rows of what it brings. It decides per item: what
//! both copies hold alike is left, what only one holds is brought in, and what both hold
//! differently is a **conflict**, listed with both sides and settled by the rule the user picks
//! ([`Prefer`]: keep mine, take theirs, the newest) or one by one ([`MergeOptions::choices`]).
//! With a conflict left unsettled nothing is written and the report lists the conflicts.
//!
//! Every incoming row is checked: the other copy must be a sound study file (SQLite's own checks,
//! foreign keys), its codebook compatible (the same dimensions), and each decision must follow
//! the codebook (dimension, unit kind, codes, cardinality) and name a valid rater. A copy handed
//! out for one rater that brings another rater's decisions has those flagged and left out. A bad
//! copy is refused with one message naming what is wrong, and this study is left as it was (one
//! transaction). The other copy is only read (an older one is upgraded in a temporary copy). A
//! merge is idempotent, and merges of copies that do not conflict give the same study in any
//! order.

mod codebook;
mod decisions;
mod history;
mod machine;
mod metrics;
mod other_copy;
mod report;
mod rounds;
mod snapshots;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::corpus::sha256_hex;
use crate::{Error, Result, Study};

use codebook::{compatible_codebook, merge_codebook, merged_codebook};
use decisions::{
    add_quotes, describe, list, other_consensus, other_decisions, our_decision, replace_decision,
    Quote,
};
use history::copy_history;
use metrics::{merge_image_refs, merge_metrics};
use other_copy::{check_sound, open_other, tempdir_for};
use report::settle;
pub use report::{Conflict, MergeOptions, MergeReport, Prefer, Take};
use rounds::merge_rounds;
use snapshots::{fingerprint, snapshots};

impl Study {
    /// Merges another copy of this study into this one, listing conflicts and writing nothing
    /// while one is unsettled (see the module documentation).
    pub fn merge_from(&mut self, other: &Path) -> Result<MergeReport> {
        self.merge_with(
            other,
            &MergeOptions {
                by: "system".into(),
                ..Default::default()
            },
        )
    }

    /// Merges another copy with the given rules (see the module documentation).
    pub fn merge_with(&mut self, other: &Path, opts: &MergeOptions) -> Result<MergeReport> {
        let oname = other.display().to_string();
        if let (Ok(a), Ok(b)) = (
            std::fs::canonicalize(other),
            std::fs::canonicalize(self.path()),
        ) {
            if a == b {
                return Err(Error::Invalid(format!(
                    "{oname}: that is this study; merge another copy"
                )));
            }
        }
        let refuse = |what: String| Error::Invalid(format!("{oname}: {what}; nothing was merged"));
        // An older copy is upgraded in a temporary copy; the file itself is only read.
        let upgraded = tempdir_for(self.path())?;
        let oc = open_other(other, &upgraded)?;
        check_sound(&oc, &oname)?;
        let ours = self.cached_codebook()?;
        let theirs = crate::codebook::load(&oc)
            .map_err(|e| refuse(format!("its codebook cannot be read ({e})")))?;
        compatible_codebook(&ours, &theirs, &oname)?;
        let meta = |c: &Connection, k: &str| -> Result<Option<String>> {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
                    .optional()?,
            )
        };
        let handed_out_for = meta(&oc, crate::copy::HANDED_OUT_FOR)?;
        let same_study = match (meta(self.conn(), "study_id")?, meta(&oc, "study_id")?) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        let their_decisions = other_decisions(&oc)?;
        let their_consensus = other_consensus(&oc)?;
        let commit = !opts.dry_run;
        let book_after = merged_codebook(&ours, &theirs);
        self.write_if(|tx| {
            let mut report = MergeReport {
                same_study,
                handed_out_for: handed_out_for.clone(),
                ..Default::default()
            };
            // (unit id, unit, dimension) whose decisions or consensus the merge touched.
            let mut touched: BTreeSet<(i64, String, String)> = BTreeSet::new();
            merge_codebook(&oc, tx, &ours, &theirs, &mut report, &opts.by)?;
            // Raters.
            let raters: Vec<(String, String, String)> = rows(&oc, "SELECT name, created_at, kind FROM rater ORDER BY name", |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            for (name, created_at, kind) in raters {
                let checked = crate::rater::check_rater_name(&name).map_err(|e| refuse(format!("rater '{name}': {e}")))?;
                if checked != name {
                    return Err(refuse(format!("rater name '{name}' has blanks around it")));
                }
                let have: Option<String> = tx.query_row("SELECT kind FROM rater WHERE name = ?1", [&name], |r| r.get(0)).optional()?;
                if have.as_ref().is_some_and(|h| h != &kind) {
                    return Err(refuse(format!("rater '{name}' is a {kind} rater there and a {} rater here", have.unwrap_or_default())));
                }
                let n = tx.execute("INSERT OR IGNORE INTO rater (name, created_at, kind) VALUES (?1, ?2, ?3)", params![name, created_at, kind])?;
                if n > 0 {
                    crate::history::record(tx, &opts.by, "rater.add", &name, None, Some(&serde_json::json!({ "name": name, "merged_from": oname })))?;
                    report.raters_added.push(name);
                }
            }
            // Projects, snapshots, files, contents.
            type ProjectRow = (i64, String, String, Option<String>, String, i64, Option<String>, String);
            let projects: Vec<ProjectRow> = rows(
                &oc,
                "SELECT id, full_name, source, location, metadata, changed, problem, created_at FROM project ORDER BY id",
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )?;
            let mut snapshot_map: HashMap<i64, i64> = HashMap::new();
            let mut project_map: HashMap<i64, i64> = HashMap::new();
            for (oid, full_name, source, location, metadata, changed, problem, created_at) in projects {
                crate::corpus::check_full_name(&full_name).map_err(|e| refuse(e.to_string()))?;
                let pid = match tx
                    .query_row("SELECT id FROM project WHERE full_name = ?1", [&full_name], |r| r.get::<_, i64>(0))
                    .optional()?
                {
                    Some(id) => id,
                    None => {
                        tx.execute(
                            "INSERT INTO project (full_name, source, location, metadata, changed, problem, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            params![full_name, source, location, metadata, changed, problem, created_at],
                        )?;
                        let id = tx.last_insert_rowid();
                        crate::history::record(tx, &opts.by, "project.import", &full_name, None, Some(&serde_json::json!({ "outcome": "merged", "merged_from": oname })))?;
                        report.projects_added.push(full_name.clone());
                        id
                    }
                };
                project_map.insert(oid, pid);
                let ours_snaps = snapshots(tx, pid)?;
                for (osid, commit, fetched_at, files) in snapshots(&oc, oid)? {
                    let fp = fingerprint(&commit, &files);
                    if let Some((sid, ..)) = ours_snaps.iter().find(|(_, c, _, f)| fingerprint(c, f) == fp) {
                        snapshot_map.insert(osid, *sid);
                        continue;
                    }
                    tx.execute("INSERT INTO snapshot (project_id, commit_sha, fetched_at) VALUES (?1, ?2, ?3)", params![pid, commit, fetched_at])?;
                    let sid = tx.last_insert_rowid();
                    snapshot_map.insert(osid, sid);
                    report.snapshots_added += 1;
                    for (role, path, size, sha, status) in &files {
                        if let Some(h) = sha {
                            let text: String = oc
                                .query_row("SELECT text FROM content WHERE sha256 = ?1", [h], |r| r.get(0))
                                .optional()?
                                .ok_or_else(|| refuse(format!("{full_name}:{path}: the text of {h} is missing")))?;
                            if &sha256_hex(text.as_bytes()) != h {
                                return Err(refuse(format!("{full_name}:{path}: the stored text does not match its SHA-256 {h}")));
                            }
                            let added = tx.execute("INSERT OR IGNORE INTO content (sha256, text) VALUES (?1, ?2)", params![h, text])?;
                            if added > 0 && role == "dockerfile" {
                                crate::dockerfile::store_analysis(tx, h, path, &text)?;
                            }
                        }
                        tx.execute(
                            "INSERT INTO file (snapshot_id, role, path, size, sha256, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![sid, role, path, size, sha, status],
                        )?;
                    }
                }
            }
            // Units.
            let units: Vec<(i64, String, Option<String>, String)> =
                rows(&oc, "SELECT project_id, kind, path, name FROM unit ORDER BY id", |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            for (opid, kind, path, name) in units {
                let Some(&pid) = project_map.get(&opid) else {
                    return Err(refuse(format!("unit '{name}' names a project the copy does not have")));
                };
                let have: Option<(i64, String)> = tx
                    .query_row("SELECT project_id, kind FROM unit WHERE name = ?1", [&name], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                match have {
                    Some((p, k)) if p == pid && k == kind => {}
                    Some(_) => return Err(refuse(format!("unit '{name}' belongs to another project or kind here"))),
                    None => {
                        tx.execute("INSERT INTO unit (project_id, kind, path, name) VALUES (?1, ?2, ?3, ?4)", params![pid, kind, path, name])?;
                        report.units_added += 1;
                    }
                }
            }
            // Decisions, with their evidence.
            for d in &their_decisions {
                let dim = book_after
                    .dimension(&d.dimension)
                    .ok_or_else(|| refuse(format!("a decision on '{}' names dimension '{}', which the codebook lacks", d.unit, d.dimension)))?;
                let (unit_id, unit) = crate::corpus::unit_by_name(tx, &d.unit).map_err(|e| refuse(e.to_string()))?;
                dim.check_unit(&unit.name, &unit.kind).map_err(|e| refuse(format!("{} on '{}': {e}", d.rater, d.unit)))?;
                let labels: Vec<String> = d.codes.iter().cloned().collect();
                dim.codes_of(&labels).map_err(|e| refuse(format!("{}'s decision on '{}' ({}): {e}", d.rater, d.unit, d.dimension)))?;
                if let Some(q) = d.evidence.iter().find(|q| !d.codes.contains(&q.code)) {
                    return Err(refuse(format!("{}'s evidence on '{}' supports code '{}', which the decision does not have", d.rater, d.unit, q.code)));
                }
                let rater_id: i64 = tx.query_row("SELECT id FROM rater WHERE name = ?1", [&d.rater], |r| r.get(0))?;
                let mine = our_decision(tx, rater_id, unit_id, &d.dimension)?;
                let same = mine.as_ref().is_some_and(|m| m.codes == d.codes && m.memo == d.memo && m.flagged == d.flagged);
                if let Some(owner) = &handed_out_for {
                    if &d.rater != owner && !same {
                        report.flagged.push(format!(
                            "{}'s decision on '{}' ({}) is in a copy handed out for {owner}; left out",
                            d.rater, d.unit, d.dimension
                        ));
                        continue;
                    }
                }
                let subject = format!("{}|{}|{}", d.rater, d.unit, d.dimension);
                match mine {
                    None => {
                        let snapshot = d.snapshot.and_then(|s| snapshot_map.get(&s).copied());
                        tx.execute(
                            "INSERT INTO decision (rater_id, unit_id, dimension, snapshot_id, memo, flagged, coded_at, suggested_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            params![rater_id, unit_id, d.dimension, snapshot, d.memo, d.flagged, d.coded_at, d.suggested_by],
                        )?;
                        let id = tx.last_insert_rowid();
                        for code in &d.codes {
                            tx.execute("INSERT INTO decision_code (decision_id, dimension, code) VALUES (?1, ?2, ?3)", params![id, d.dimension, code])?;
                        }
                        report.evidence_added += add_quotes(tx, id, &d.evidence, &[])?;
                        report.decisions_added += 1;
                        touched.insert((unit_id, d.unit.clone(), d.dimension.clone()));
                        report.history_added += copy_history(&oc, tx, &["decision.set", "decision.clear", "evidence.add", "evidence.remove"], &subject)?;
                    }
                    Some(m) if same => {
                        report.decisions_same += 1;
                        // Seen a suggestion in either copy: the decision was assisted.
                        tx.execute(
                            "UPDATE decision SET suggested_by = ?2 WHERE id = ?1 AND suggested_by <> ?2",
                            params![m.id, crate::coding::union_of(&m.suggested_by, &d.suggested_by)],
                        )?;
                        let added = add_quotes(tx, m.id, &d.evidence, &m.evidence)?;
                        if added > 0 {
                            report.evidence_added += added;
                            report.history_added += copy_history(&oc, tx, &["evidence.add", "evidence.remove"], &subject)?;
                        }
                    }
                    Some(m) => {
                        let id = format!("decision:{subject}");
                        let taken = settle(opts, &id, &m.coded_at, &d.coded_at);
                        report.conflicts.push(Conflict {
                            id,
                            kind: "decision".into(),
                            subject: format!("{}'s decision on '{}' ({})", d.rater, d.unit, d.dimension),
                            mine: describe(&m.codes, &m.memo, m.flagged),
                            theirs: describe(&d.codes, &d.memo, d.flagged),
                            mine_at: m.coded_at.clone(),
                            theirs_at: d.coded_at.clone(),
                            taken,
                        });
                        match taken {
                            Some(Take::Theirs) => {
                                replace_decision(tx, &m, d, &opts.by, &subject)?;
                                report.decisions_replaced += 1;
                                touched.insert((unit_id, d.unit.clone(), d.dimension.clone()));
                            }
                            Some(Take::Mine) => {
                                // Their quotes of codes this decision also has join it.
                                let keep: Vec<Quote> = d.evidence.iter().filter(|q| m.codes.contains(&q.code)).cloned().collect();
                                report.evidence_added += add_quotes(tx, m.id, &keep, &m.evidence)?;
                            }
                            None => {}
                        }
                    }
                }
            }
            // Consensus.
            for c in &their_consensus {
                let (unit_id, _) = crate::corpus::unit_by_name(tx, &c.unit).map_err(|e| refuse(e.to_string()))?;
                let dim = book_after
                    .dimension(&c.dimension)
                    .ok_or_else(|| refuse(format!("the consensus on '{}' names dimension '{}', which the codebook lacks", c.unit, c.dimension)))?;
                let labels: Vec<String> = c.codes.iter().cloned().collect();
                dim.codes_of(&labels).map_err(|e| refuse(format!("the consensus on '{}': {e}", c.unit)))?;
                let mine: Option<(i64, String, String, String)> = tx
                    .query_row(
                        "SELECT id, adjudicator, rationale, decided_at FROM consensus WHERE unit_id = ?1 AND dimension = ?2",
                        params![unit_id, c.dimension],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                let auto = crate::rules::AUTO_ADJUDICATOR;
                if let Some((id, adjudicator, rationale, decided_at)) = mine {
                    let codes: BTreeSet<String> = rows(tx, &format!("SELECT code FROM consensus_code WHERE consensus_id = {id}"), |r| r.get(0))?.into_iter().collect();
                    if c.adjudicator == auto || (codes == c.codes && adjudicator == c.adjudicator && rationale == c.rationale) {
                        // Theirs is automatic (ours stands; the sync below settles it), or the same.
                        touched.insert((unit_id, c.unit.clone(), c.dimension.clone()));
                        continue;
                    }
                    if adjudicator != auto {
                        let cid = format!("consensus:{}|{}", c.unit, c.dimension);
                        let taken = settle(opts, &cid, &decided_at, &c.decided_at);
                        report.conflicts.push(Conflict {
                            id: cid,
                            kind: "consensus".into(),
                            subject: format!("the consensus on '{}' ({})", c.unit, c.dimension),
                            mine: format!("[{}] by {adjudicator}: {rationale}", list(&codes)),
                            theirs: format!("[{}] by {}: {}", list(&c.codes), c.adjudicator, c.rationale),
                            mine_at: decided_at.clone(),
                            theirs_at: c.decided_at.clone(),
                            taken,
                        });
                        if taken != Some(Take::Theirs) {
                            continue;
                        }
                    }
                    // An adjudicator's decision there replaces ours (automatic, or set aside by
                    // the choice); the old one stays in the history.
                    let old = serde_json::json!({ "codes": codes, "adjudicator": adjudicator, "rationale": rationale, "decided_at": decided_at });
                    crate::history::record(tx, &opts.by, "consensus.clear", &format!("{}|{}", c.unit, c.dimension), Some(&old), Some(&serde_json::json!({ "replaced_by_merge_of": oname })))?;
                    tx.execute("DELETE FROM consensus WHERE id = ?1", [id])?;
                }
                tx.execute(
                    "INSERT INTO consensus (unit_id, dimension, adjudicator, rationale, method, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![unit_id, c.dimension, c.adjudicator, c.rationale, c.method, c.decided_at],
                )?;
                let id = tx.last_insert_rowid();
                for code in &c.codes {
                    tx.execute("INSERT INTO consensus_code (consensus_id, dimension, code) VALUES (?1, ?2, ?3)", params![id, c.dimension, code])?;
                }
                report.consensus_added += 1;
                report.history_added += copy_history(&oc, tx, &["consensus.set", "consensus.clear"], &format!("{}|{}", c.unit, c.dimension))?;
            }
            let mut structural = Vec::new();
            merge_rounds(&oc, tx, &mut report, &mut structural, &opts.by)?;
            if !structural.is_empty() {
                return Err(refuse(structural.join("; ")));
            }
            for name in &report.rounds_revealed {
                touched.extend(crate::round::decided_in_round(tx, name)?);
            }
            report.image_refs_added += merge_image_refs(&oc, tx, &project_map)?;
            report.metrics_added += merge_metrics(&oc, tx)?;
            machine::merge_machine(&oc, tx, &mut report, &opts.by)?;
            if report.unsettled() > 0 {
                // Nothing is written while a conflict waits for a choice.
                return Ok((report, false));
            }
            for (unit_id, unit, dim) in &touched {
                if crate::rules::sync_auto_consensus(tx, &book_after, *unit_id, unit, dim)?.is_some() {
                    report.auto_consensus += 1;
                }
            }
            report.merged = commit;
            if report.changed() && commit {
                crate::history::record(tx, &opts.by, "study.merge", &oname, None, Some(&serde_json::to_value(&report)?))?;
            }
            Ok((report, commit))
        })
    }
}

fn rows<T>(
    c: &Connection,
    sql: &str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = c.prepare(sql)?;
    let out = stmt.query_map([], f)?.collect::<Result<_, _>>()?;
    Ok(out)
}
