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

mod machine;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::codebook::Codebook;
use crate::corpus::sha256_hex;
use crate::{Error, Result, Study};

/// How conflicts are settled when no choice is given for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Prefer {
    /// Keep this study's side.
    Mine,
    /// Take the other copy's side.
    Theirs,
    /// Take the side changed last.
    Newest,
}

/// One side of a conflict to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Take {
    /// This study's side.
    Mine,
    /// The other copy's side.
    Theirs,
}

/// How to merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The rule for conflicts without a choice; `None`: list them and write nothing.
    pub prefer: Option<Prefer>,
    /// Choices per conflict, by [`Conflict::id`].
    pub choices: BTreeMap<String, Take>,
    /// Work out the merge and report it, writing nothing.
    pub dry_run: bool,
    /// Who merges (kept in the history).
    pub by: String,
}

/// Something both copies hold differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Conflict {
    /// Stable id for a choice: `decision:RATER|UNIT|DIMENSION` or `consensus:UNIT|DIMENSION`.
    pub id: String,
    /// `decision` or `consensus`.
    pub kind: String,
    /// What it is about, for people.
    pub subject: String,
    /// This study's side, in words.
    pub mine: String,
    /// The other copy's side, in words.
    pub theirs: String,
    /// When this study's side was last changed.
    pub mine_at: String,
    /// When the other copy's side was last changed.
    pub theirs_at: String,
    /// The side taken, when a choice or the rule settled it.
    pub taken: Option<Take>,
}

/// What a merge brought in (or, when `merged` is false, would bring in).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct MergeReport {
    /// Whether the merge was written (false: a dry run, or conflicts left unsettled).
    pub merged: bool,
    /// Whether the other copy is a copy of this study (the same study id).
    pub same_study: bool,
    /// The rater the other copy was handed out for, if it was.
    pub handed_out_for: Option<String>,
    /// Raters this study did not have.
    pub raters_added: Vec<String>,
    /// Codes proposed in the other copy, added here (`dimension|code`).
    pub codes_added: Vec<String>,
    /// Codes renamed, edited or re-statused there more recently, updated here.
    pub codes_updated: Vec<String>,
    /// Projects this study did not have.
    pub projects_added: Vec<String>,
    /// Snapshots added (of new or known projects).
    pub snapshots_added: usize,
    /// Units added.
    pub units_added: usize,
    /// Decisions added.
    pub decisions_added: usize,
    /// Decisions replaced by the other copy's side of a conflict.
    pub decisions_replaced: usize,
    /// Decisions both copies hold identically.
    pub decisions_same: usize,
    /// Evidence quotes added.
    pub evidence_added: usize,
    /// Consensus rows added or replaced.
    pub consensus_added: usize,
    /// History rows copied (those of the added decisions, evidence and consensus rows).
    pub history_added: usize,
    /// Rounds this study did not have (by name).
    pub rounds_added: Vec<String>,
    /// Rounds revealed in the other copy and not yet here: revealed by the merge.
    pub rounds_revealed: Vec<String>,
    /// Image references added.
    pub image_refs_added: usize,
    /// Image, layer and Dockerfile metrics brought in, and jobs the other copy finished.
    pub metrics_added: usize,
    /// Machine rater runs this study did not have (with their provenance).
    pub machine_runs_added: usize,
    /// Machine rater answers added (of new runs, or answers a shared run gained there).
    pub machine_answers_added: usize,
    /// Machine runs the other copy holds and this study lacks, left out because the copy was
    /// handed out for a rater (as other raters' decisions there are).
    pub machine_runs_left_out: usize,
    /// Automatic consensus rows made or changed after the merge, because all raters of a unit
    /// now agree.
    pub auto_consensus: usize,
    /// Conflicts, each with the side taken (none: unsettled).
    pub conflicts: Vec<Conflict>,
    /// Decisions left out because the copy was handed out for another rater.
    pub flagged: Vec<String>,
}

impl MergeReport {
    /// Whether the merge changes anything.
    pub fn changed(&self) -> bool {
        !self.raters_added.is_empty()
            || !self.codes_added.is_empty()
            || !self.codes_updated.is_empty()
            || !self.projects_added.is_empty()
            || !self.rounds_added.is_empty()
            || !self.rounds_revealed.is_empty()
            || self.snapshots_added
                + self.units_added
                + self.decisions_added
                + self.decisions_replaced
                + self.evidence_added
                + self.consensus_added
                + self.history_added
                + self.image_refs_added
                + self.metrics_added
                + self.machine_runs_added
                + self.machine_answers_added
                + self.auto_consensus
                > 0
    }

    /// Conflicts no choice or rule settled.
    pub fn unsettled(&self) -> usize {
        self.conflicts.iter().filter(|c| c.taken.is_none()).count()
    }
}

/// A file row: role, path, size, sha256, status.
type FileRow = (String, String, i64, Option<String>, String);

/// A snapshot: id, commit, fetched_at, files.
type SnapshotRow = (i64, Option<String>, String, Vec<FileRow>);

/// A snapshot's identity: commit and each file's role, path and digest (or status).
type Fingerprint = (Option<String>, BTreeSet<(String, String, String)>);

fn fingerprint(commit: &Option<String>, files: &[FileRow]) -> Fingerprint {
    (
        commit.clone(),
        files
            .iter()
            .map(|(role, path, _, sha, status)| {
                (
                    role.clone(),
                    path.clone(),
                    sha.clone().unwrap_or_else(|| status.clone()),
                )
            })
            .collect(),
    )
}

/// One evidence quote, as both copies identify it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Quote {
    code: String,
    file: String,
    quote: String,
    line_start: Option<i64>,
    line_end: Option<i64>,
    created_at: String,
}

impl Quote {
    /// What makes two quotes the same quote (not when they were attached).
    fn key(&self) -> (&str, &str, &str, Option<i64>, Option<i64>) {
        (
            &self.code,
            &self.file,
            &self.quote,
            self.line_start,
            self.line_end,
        )
    }
}

struct OtherDecision {
    id: i64,
    rater: String,
    unit: String,
    dimension: String,
    snapshot: Option<i64>,
    memo: String,
    flagged: i64,
    coded_at: String,
    suggested_by: String,
    codes: BTreeSet<String>,
    evidence: Vec<Quote>,
}

struct OtherConsensus {
    unit: String,
    dimension: String,
    adjudicator: String,
    rationale: String,
    method: String,
    decided_at: String,
    codes: BTreeSet<String>,
}

fn list(codes: &BTreeSet<String>) -> String {
    codes.iter().cloned().collect::<Vec<_>>().join(", ")
}

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

/// Settles a conflict by its choice, else by the rule; `None` when neither says.
fn settle(opts: &MergeOptions, id: &str, mine_at: &str, theirs_at: &str) -> Option<Take> {
    if let Some(t) = opts.choices.get(id) {
        return Some(*t);
    }
    match opts.prefer? {
        Prefer::Mine => Some(Take::Mine),
        Prefer::Theirs => Some(Take::Theirs),
        Prefer::Newest => Some(if theirs_at > mine_at {
            Take::Theirs
        } else {
            Take::Mine
        }),
    }
}

fn describe(codes: &BTreeSet<String>, memo: &str, flagged: i64) -> String {
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
struct MyDecision {
    id: i64,
    memo: String,
    flagged: i64,
    coded_at: String,
    suggested_by: String,
    codes: BTreeSet<String>,
    evidence: Vec<Quote>,
}

fn our_decision(
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
fn add_quotes(tx: &Connection, id: i64, theirs: &[Quote], mine: &[Quote]) -> Result<usize> {
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
fn replace_decision(
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

/// Brings in the other copy's rounds: a round this study lacks is added with its units and
/// raters (all of which the merge has brought in by then); a round both have must hold the
/// same units, else a conflict; a round revealed there is revealed here too.
fn merge_rounds(
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

/// A folder for a temporary, upgraded copy of an older other copy, beside this study (the same
/// file system, and removed when dropped).
fn tempdir_for(study: &Path) -> Result<tempfile::TempDir> {
    let dir = study
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    tempfile::Builder::new()
        .prefix(".codebench-merge-")
        .tempdir_in(dir)
        .or_else(|_| tempfile::tempdir())
        .map_err(|e| Error::io(dir, e))
}

/// Opens the other copy read-only after checking it is a study; a copy of an older schema is
/// copied into `scratch` and upgraded there (the copy itself is never written).
fn open_other(path: &Path, scratch: &tempfile::TempDir) -> Result<Connection> {
    let not = |why: String| Error::NotAStudy {
        path: path.into(),
        why,
    };
    let mut header = [0u8; 16];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let n = f.read(&mut header).map_err(|e| Error::io(path, e))?;
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(not("not an SQLite database".into()));
    }
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let app: i64 = c
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| not(e.to_string()))?;
    if app != crate::study::APPLICATION_ID {
        return Err(not(format!(
            "an SQLite database of another application (application_id {app:#x})"
        )));
    }
    let version: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| not(e.to_string()))?;
    if !(1..=crate::study::SCHEMA_VERSION).contains(&version) {
        if version > crate::study::SCHEMA_VERSION {
            return Err(Error::TooNew {
                path: path.into(),
                found: version,
                supported: crate::study::SCHEMA_VERSION,
            });
        }
        return Err(not(format!(
            "its schema version {version} is not one Codebench ever wrote"
        )));
    }
    if version == crate::study::SCHEMA_VERSION {
        return Ok(c);
    }
    let up = scratch.path().join("upgraded.codebench");
    c.execute("VACUUM INTO ?1", [up.display().to_string()])?;
    drop(c);
    drop(Study::open(&up)?);
    Ok(Connection::open_with_flags(
        &up,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?)
}

/// Refuses a damaged copy: SQLite's own quick check and every foreign key must hold (a unit
/// whose project is missing, a decision of an unknown rater...).
fn check_sound(c: &Connection, oname: &str) -> Result<()> {
    let damaged = |why: String| {
        Error::Invalid(format!(
            "{oname}: the copy is damaged ({why}); nothing was merged"
        ))
    };
    let problems: Vec<String> =
        rows(c, "PRAGMA quick_check", |r| r.get(0)).map_err(|e| damaged(e.to_string()))?;
    let problems: Vec<String> = problems.into_iter().filter(|p| p != "ok").collect();
    if !problems.is_empty() {
        return Err(damaged(
            problems.into_iter().take(3).collect::<Vec<_>>().join("; "),
        ));
    }
    let broken: Vec<(String, Option<i64>, String)> = rows(c, "PRAGMA foreign_key_check", |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .map_err(|e| damaged(e.to_string()))?;
    if let Some((table, row, parent)) = broken.first() {
        return Err(damaged(format!(
            "{} row(s) point nowhere, e.g. {table} row {} names a missing {parent}",
            broken.len(),
            row.map(|r| r.to_string()).unwrap_or_else(|| "?".into())
        )));
    }
    Ok(())
}

/// Refuses a copy whose codebook cannot be merged: another codebook id, or dimensions that
/// differ (ids, units, cardinality). Codes may differ: they are merged.
fn compatible_codebook(ours: &Codebook, theirs: &Codebook, oname: &str) -> Result<()> {
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
fn merged_codebook(ours: &Codebook, theirs: &Codebook) -> Codebook {
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
fn merge_codebook(
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

/// Brings in image references the other copy found (by project, reference and place).
fn merge_image_refs(
    oc: &Connection,
    tx: &Connection,
    projects: &HashMap<i64, i64>,
) -> Result<usize> {
    let refs: Vec<(i64, String, String, String, String)> = rows(
        oc,
        "SELECT project_id, reference, found_in, how, added_at FROM image_ref ORDER BY id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut n = 0;
    for (opid, reference, found_in, how, added_at) in refs {
        let Some(pid) = projects.get(&opid) else {
            continue;
        };
        n += tx.execute(
            "INSERT OR IGNORE INTO image_ref (project_id, reference, found_in, how, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![pid, reference, found_in, how, added_at],
        )?;
    }
    Ok(n)
}

/// Brings in metrics the other copy computed (a shard of a metrics run, or a rater's copy that
/// ran them): layer analyses by digest, image metrics by reference and platform (the newer
/// analysis wins), Dockerfile analyses of texts this study holds (by text hash, where it has
/// none), and marks done here the jobs done there.
fn merge_metrics(oc: &Connection, tx: &Connection) -> Result<usize> {
    let mut n = 0;
    type AnalysisRow = (String, String, String, i64, i64, i64, i64, String);
    let analyses: Vec<AnalysisRow> = rows(
        oc,
        "SELECT sha256, analyzer, analysis, instructions, stages, errors, partial, analyzed_at FROM dockerfile_analysis ORDER BY sha256",
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        },
    )?;
    for (sha, analyzer, analysis, instructions, stages, errors, partial, at) in analyses {
        n += tx.execute(
            "INSERT OR IGNORE INTO dockerfile_analysis (sha256, analyzer, analysis, instructions, stages, errors, partial, analyzed_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM content WHERE sha256 = ?1)",
            params![sha, analyzer, analysis, instructions, stages, errors, partial, at],
        )?;
    }
    let layers: Vec<(String, String, Vec<u8>, String)> = rows(
        oc,
        "SELECT digest, metrics, paths, analyzed_at FROM layer_metrics ORDER BY digest",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    for (d, m, p, a) in layers {
        n += tx.execute(
            "INSERT OR IGNORE INTO layer_metrics (digest, metrics, paths, analyzed_at) VALUES (?1, ?2, ?3, ?4)",
            params![d, m, p, a],
        )?;
    }
    let images: Vec<(String, String, String, String, String)> = rows(
        oc,
        "SELECT reference, platform, manifest_digest, metrics, analyzed_at FROM image_metrics ORDER BY reference, platform",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    for (reference, platform, digest, metrics, at) in images {
        n += tx.execute(
            "INSERT INTO image_metrics (reference, platform, manifest_digest, metrics, analyzed_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (reference, platform) DO UPDATE SET manifest_digest = excluded.manifest_digest,
                 metrics = excluded.metrics, analyzed_at = excluded.analyzed_at
             WHERE excluded.analyzed_at > image_metrics.analyzed_at",
            params![reference, platform, digest, metrics, at],
        )?;
    }
    let done: Vec<(String, String, i64, String, String)> = rows(
        oc,
        "SELECT kind, target, attempts, created_at, updated_at FROM job WHERE state = 'done' ORDER BY id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    for (kind, target, attempts, created, updated) in done {
        n += tx.execute(
            "INSERT INTO job (kind, target, state, progress, attempts, created_at, updated_at) VALUES (?1, ?2, 'done', 1, ?3, ?4, ?5)
             ON CONFLICT (kind, target) DO UPDATE SET state = 'done', progress = 1, error = NULL, retryable = 0,
                 not_before = NULL, lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at
             WHERE job.state <> 'done'",
            params![kind, target, attempts, created, updated],
        )?;
    }
    Ok(n)
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

/// A project's snapshots with their files.
fn snapshots(c: &Connection, project: i64) -> Result<Vec<SnapshotRow>> {
    let snaps: Vec<(i64, Option<String>, String)> = rows(
        c,
        &format!("SELECT id, commit_sha, fetched_at FROM snapshot WHERE project_id = {project} ORDER BY id"),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut out = Vec::new();
    for (id, commit, at) in snaps {
        let files = rows(
            c,
            &format!("SELECT role, path, size, sha256, status FROM file WHERE snapshot_id = {id} ORDER BY role, path"),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        out.push((id, commit, at, files));
    }
    Ok(out)
}

fn other_decisions(c: &Connection) -> Result<Vec<OtherDecision>> {
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

fn other_consensus(c: &Connection) -> Result<Vec<OtherConsensus>> {
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

/// Copies the other copy's history rows of `subject` (with one of `actions`) that this study
/// lacks; returns how many.
fn copy_history(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::DecisionInput;

    fn code(s: &mut Study, rater: &str, unit: &str, c: &str) {
        s.record(&DecisionInput {
            rater: rater.into(),
            unit: unit.into(),
            dimension: "kind".into(),
            codes: vec![c.into()],
            memo: Some("m".into()),
            flagged: None,
        })
        .unwrap();
    }

    fn copies() -> (tempfile::TempDir, Study, Study, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base.codebench");
        let s = crate::sample::create(&base).unwrap();
        drop(s);
        let a = dir.path().join("a.codebench");
        let b = dir.path().join("b.codebench");
        // A checkpointed copy of the file is a copy of the study.
        let c = Connection::open(&base).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        drop(c);
        std::fs::copy(&base, &a).unwrap();
        std::fs::copy(&base, &b).unwrap();
        let mut sa = Study::open(&a).unwrap();
        let mut sb = Study::open(&b).unwrap();
        sa.add_rater("alice").unwrap();
        sb.add_rater("bob").unwrap();
        let p: Vec<String> = sa
            .units()
            .unwrap()
            .into_iter()
            .filter(|u| u.kind == "project")
            .map(|u| u.name)
            .collect();
        (dir, sa, sb, p)
    }

    #[test]
    fn merges_decisions_idempotently() {
        let (_d, mut a, mut b, p) = copies();
        code(&mut a, "alice", &p[0], "model");
        code(&mut a, "alice", &p[0], "toolkit");
        code(&mut b, "bob", &p[0], "model");
        let r = a.merge_from(b.path()).unwrap();
        assert_eq!(r.raters_added, vec!["bob"]);
        assert_eq!(r.decisions_added, 1);
        assert_eq!(r.history_added, 1);
        assert!(r.projects_added.is_empty() && r.snapshots_added == 0 && r.units_added == 0);
        let again = a.merge_from(b.path()).unwrap();
        assert!(!again.changed(), "{again:?}");
        assert_eq!(again.decisions_same, 1);
        assert_eq!(a.decisions(Some("bob")).unwrap()[0].codes, vec!["model"]);
        // And the other way round: alice's decision and both history rows arrive.
        let r = b.merge_from(a.path()).unwrap();
        assert_eq!(r.decisions_added, 1);
        assert_eq!(r.history_added, 2);
    }

    #[test]
    fn merge_brings_rounds_and_makes_automatic_consensus() {
        let (_d, mut a, mut b, p) = copies();
        // The round is made in b (bob's copy), coded blind by both, revealed in b only.
        b.create_round(&crate::round::RoundSpec {
            name: "pilot".into(),
            size: crate::round::RoundSize::Count(2),
            dimension: Some("kind".into()),
            stratify: None,
            seed: Some(3),
            extend: None,
            by: None,
        })
        .unwrap();
        let sample: Vec<String> = b.round_units("pilot").unwrap().into_iter().collect();
        for u in &sample {
            code(&mut a, "alice", u, "model");
            code(&mut b, "bob", u, "model");
        }
        // Outside the round they agree on p[x] too.
        let other = p.iter().find(|u| !sample.contains(u)).unwrap().clone();
        code(&mut a, "alice", &other, "toolkit");
        code(&mut b, "bob", &other, "toolkit");
        b.reveal_round("pilot", "dana", true).unwrap();
        let r = a.merge_from(b.path()).unwrap();
        assert_eq!(r.rounds_added, vec!["pilot"]);
        assert_eq!(r.auto_consensus, 3, "{r:?}");
        let round = a.round("pilot").unwrap();
        assert!(round.revealed_at.is_some());
        assert_eq!(a.round_units("pilot").unwrap().len(), 2);
        let made: Vec<String> = a
            .consensus(Some("kind"))
            .unwrap()
            .into_iter()
            .map(|c| c.unit)
            .collect();
        assert_eq!(made.len(), 3);
        assert!(made.contains(&other));
        // b gets alice's decisions and its own automatic consensus; merging back is quiet.
        let r = b.merge_from(a.path()).unwrap();
        assert_eq!(r.decisions_added, 3);
        assert!(r.rounds_added.is_empty());
        assert_eq!(b.consensus(Some("kind")).unwrap().len(), 3);
        assert!(!a.merge_from(b.path()).unwrap().changed());
    }

    #[test]
    fn a_round_revealed_in_the_other_copy_is_revealed_by_the_merge() {
        let (_d, mut a, mut b, _p) = copies();
        let spec = crate::round::RoundSpec {
            name: "pilot".into(),
            size: crate::round::RoundSize::Count(2),
            dimension: Some("kind".into()),
            stratify: None,
            seed: Some(3),
            extend: None,
            by: None,
        };
        a.create_round(&spec).unwrap();
        b.create_round(&spec).unwrap();
        let sample: Vec<String> = a.round_units("pilot").unwrap().into_iter().collect();
        for u in &sample {
            code(&mut a, "alice", u, "model");
        }
        for u in &sample {
            code(&mut b, "bob", u, "model");
        }
        b.reveal_round("pilot", "dana", true).unwrap();
        let r = a.merge_from(b.path()).unwrap();
        assert!(r.rounds_added.is_empty());
        assert_eq!(r.rounds_revealed, vec!["pilot"]);
        assert_eq!(r.auto_consensus, 2);
        // Another sample under the same name is a conflict, and nothing is merged.
        let (_d2, mut c, d, _) = copies();
        c.create_round(&spec).unwrap();
        let mut other = spec.clone();
        other.seed = Some(99);
        other.size = crate::round::RoundSize::Count(5);
        let mut d = d;
        d.create_round(&other).unwrap();
        let e = c.merge_from(d.path()).unwrap_err().to_string();
        assert!(e.contains("round 'pilot' holds other units"), "{e}");
        assert!(c.raters().unwrap().iter().all(|r| r.name != "bob"));
    }

    #[test]
    fn a_conflict_is_listed_and_settled_by_rule_or_choice() {
        let (_d, mut a, mut b, p) = copies();
        b.add_rater("alice").unwrap();
        code(&mut a, "alice", &p[0], "model");
        code(&mut b, "alice", &p[0], "toolkit");
        code(&mut b, "bob", &p[1], "toolkit");
        let before = a.decisions(None).unwrap();
        // No rule: the conflict is listed and nothing is written, not even bob.
        let r = a.merge_from(b.path()).unwrap();
        assert!(!r.merged);
        assert_eq!(r.unsettled(), 1);
        let c = &r.conflicts[0];
        assert_eq!(c.id, format!("decision:alice|{}|kind", p[0]));
        assert!(
            c.mine.contains("[model]") && c.theirs.contains("[toolkit]"),
            "{c:?}"
        );
        assert_eq!(a.decisions(None).unwrap(), before);
        assert_eq!(a.raters().unwrap().len(), 1, "bob was not added either");
        // Keep mine: everything else merges.
        let mut keep = MergeOptions {
            prefer: Some(Prefer::Mine),
            by: "lead".into(),
            ..Default::default()
        };
        let r = a
            .merge_with(b.path(), &{
                keep.dry_run = true;
                keep.clone()
            })
            .unwrap();
        assert!(
            !r.merged && r.decisions_added == 1,
            "a dry run says what it would do"
        );
        assert_eq!(a.decisions(None).unwrap(), before, "and writes nothing");
        keep.dry_run = false;
        let r = a.merge_with(b.path(), &keep).unwrap();
        assert!(r.merged);
        assert_eq!(r.decisions_added, 1);
        assert_eq!(
            a.decision("alice", &p[0], "kind").unwrap().unwrap().codes,
            vec!["model"]
        );
        // One by one: take theirs; the old side stays in the history.
        let mut choices = BTreeMap::new();
        choices.insert(format!("decision:alice|{}|kind", p[0]), Take::Theirs);
        let r = a
            .merge_with(
                b.path(),
                &MergeOptions {
                    choices,
                    by: "lead".into(),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(r.decisions_replaced, 1);
        assert_eq!(
            a.decision("alice", &p[0], "kind").unwrap().unwrap().codes,
            vec!["toolkit"]
        );
        let old: String = a
            .conn()
            .query_row(
                "SELECT old FROM history WHERE action = 'decision.set' AND new LIKE '%\"merge\":\"theirs\"%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(old.contains("model"), "{old}");
    }

    #[test]
    fn another_codebook_is_refused_but_new_codes_are_merged() {
        let (d, mut a, mut b, p) = copies();
        // A code proposed in bob's copy and given there arrives with the decision.
        let c = b
            .propose_code("kind", "Edge Device", "On a device.", None, "bob")
            .unwrap();
        code(&mut b, "bob", &p[0], &c.id);
        let r = a.merge_from(b.path()).unwrap();
        assert!(r.merged, "{r:?}");
        assert_eq!(r.codes_added, vec!["kind|edge-device"]);
        assert_eq!(
            a.decision("bob", &p[0], "kind").unwrap().unwrap().codes,
            vec!["edge-device"]
        );
        // A rename there, later than here, follows.
        b.rename_code("kind", "edge-device", "Edge Devices", "bob")
            .unwrap();
        let r = a.merge_from(b.path()).unwrap();
        assert_eq!(r.codes_updated, vec!["kind|edge-device"]);
        let book = a.codebook().unwrap();
        assert_eq!(
            book.dimension("kind")
                .unwrap()
                .code("edge-device")
                .unwrap()
                .name,
            "Edge Devices"
        );
        // Another dimension shape is another codebook.
        let mut other = Codebook::shipped();
        other.dimensions.pop();
        let o = Study::create(d.path().join("o.codebench"), &other).unwrap();
        let e = a.merge_from(o.path()).unwrap_err().to_string();
        assert!(
            e.contains("another codebook") && e.contains("missing there"),
            "{e}"
        );
        let e = a
            .merge_from(a.path().to_path_buf().as_path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("that is this study"), "{e}");
        std::fs::write(d.path().join("junk"), "not a study at all").unwrap();
        assert!(matches!(
            a.merge_from(&d.path().join("junk")).unwrap_err(),
            Error::NotAStudy { .. }
        ));
    }

    #[test]
    fn evidence_and_image_references_come_with_the_merge() {
        let (_d, mut a, mut b, p) = copies();
        let u = "lumen-labs/tinyserve:Dockerfile";
        b.record(&DecisionInput {
            rater: "bob".into(),
            unit: u.into(),
            dimension: "purpose".into(),
            codes: vec!["hosting".into()],
            memo: Some("exposes ports".into()),
            flagged: Some(true),
        })
        .unwrap();
        b.add_evidence(&crate::evidence::EvidenceInput {
            rater: "bob".into(),
            unit: u.into(),
            dimension: "purpose".into(),
            code: "hosting".into(),
            file: "Dockerfile".into(),
            quote: "EXPOSE 8080".into(),
            line_start: Some(3),
            line_end: Some(3),
        })
        .unwrap();
        b.add_image_ref(&p[0], "acme/img:1").unwrap();
        let r = a.merge_from(b.path()).unwrap();
        assert_eq!(
            (r.decisions_added, r.evidence_added, r.image_refs_added),
            (1, 1, 1),
            "{r:?}"
        );
        let ev = a.evidence(Some("bob")).unwrap();
        assert_eq!(ev[0].quote, "EXPOSE 8080");
        let d = a.decision("bob", u, "purpose").unwrap().unwrap();
        assert!(d.flagged && d.memo == "exposes ports");
        // Merging again changes nothing.
        assert!(!a.merge_from(b.path()).unwrap().changed());
    }

    #[test]
    fn a_copy_for_bob_brings_only_bobs_decisions() {
        let (d, mut a, b, p) = copies();
        drop(b);
        let copy = d.path().join("for-bob.codebench");
        let e = a
            .copy_to(&crate::copy::CopySpec {
                out: copy.clone(),
                for_rater: Some("nobody".into()),
                round: None,
                by: "lead".into(),
            })
            .unwrap_err();
        assert!(e.to_string().contains("unknown rater 'nobody'"), "{e}");
        assert!(!copy.exists());
        a.add_rater("bob").unwrap();
        a.copy_to(&crate::copy::CopySpec {
            out: copy.clone(),
            for_rater: Some("bob".into()),
            round: None,
            by: "lead".into(),
        })
        .unwrap();
        let mut bob = Study::open(&copy).unwrap();
        code(&mut bob, "bob", &p[0], "model");
        // A decision recorded under alice's name in bob's copy is flagged, not merged.
        code(&mut bob, "alice", &p[1], "toolkit");
        let r = a.merge_from(&copy).unwrap();
        assert_eq!(r.handed_out_for.as_deref(), Some("bob"));
        assert_eq!(r.decisions_added, 1);
        assert_eq!(r.flagged.len(), 1, "{r:?}");
        assert!(r.flagged[0].contains("alice"));
        assert!(a.decision("alice", &p[1], "kind").unwrap().is_none());
    }

    #[test]
    fn a_damaged_copy_is_refused_with_nothing_changed() {
        let (d, mut a, b, _p) = copies();
        let bad = d.path().join("bad.codebench");
        std::fs::copy(b.path(), &bad).unwrap();
        drop(b);
        {
            let c = Connection::open(&bad).unwrap();
            c.execute_batch(
                "PRAGMA foreign_keys = OFF; INSERT INTO unit (project_id, kind, path, name) VALUES (9999, 'project', NULL, 'ghost/project');",
            )
            .unwrap();
        }
        let before = a.status().unwrap().decisions;
        let e = a.merge_from(&bad).unwrap_err().to_string();
        assert!(
            e.contains("damaged") && e.contains("nothing was merged"),
            "{e}"
        );
        assert_eq!(a.status().unwrap().decisions, before);
    }

    #[test]
    fn brings_in_projects_the_copy_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let mut empty =
            Study::create(dir.path().join("e.codebench"), &Codebook::shipped()).unwrap();
        let mut full = crate::sample::create(&dir.path().join("f.codebench")).unwrap();
        full.add_rater("alice").unwrap();
        let unit = full.units().unwrap()[0].name.clone();
        let dim = if full.unit(&unit).unwrap().kind == "project" {
            "kind"
        } else {
            "purpose"
        };
        full.record(&DecisionInput {
            rater: "alice".into(),
            unit: unit.clone(),
            dimension: dim.into(),
            codes: if dim == "kind" {
                vec!["model".into()]
            } else {
                vec![]
            },
            memo: None,
            flagged: None,
        })
        .unwrap();
        let r = empty.merge_from(full.path()).unwrap();
        assert_eq!(r.projects_added.len(), 12);
        assert_eq!(r.snapshots_added, 12);
        assert_eq!(r.units_added, full.units().unwrap().len());
        assert_eq!(empty.units().unwrap(), full.units().unwrap());
        let name = &full.projects().unwrap()[0].name;
        let (va, vb) = (
            empty.project_view(name).unwrap(),
            full.project_view(name).unwrap(),
        );
        assert_eq!(va.readme.map(|f| f.text), vb.readme.map(|f| f.text));
        assert_eq!(
            empty.decisions(None).unwrap(),
            full.decisions(None).unwrap()
        );
        assert!(!empty.merge_from(full.path()).unwrap().changed());
    }
}
