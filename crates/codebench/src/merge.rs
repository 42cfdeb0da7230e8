//! Merging raters' copies of one study: each rater codes in their own copy of the study file,
//! then the copies are merged into one ([`Study::merge_from`]).
//!
//! A merge brings in what this study lacks: raters (by name), projects (by `owner/name`),
//! snapshots (by commit and the SHA-256 of every file, texts checked against their digests),
//! units (by name), decisions with their history rows, consensus rows with theirs, and rounds
//! (by name, with their units and raters; a round revealed in either copy is revealed). An
//! automatic consensus (adjudicator `auto`) gives way to an adjudicator's, and after the merge
//! units where all raters now agree become consensus as they would have in one file. It is
//! idempotent: merging the same copy again changes nothing. It never overwrites: a copy with
//! another codebook, or a decision (or consensus) that differs between the copies, refuses
//! the whole merge with a message naming it, and this study is left as it was (one
//! transaction). The other copy is only read.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::codebook::Codebook;
use crate::corpus::sha256_hex;
use crate::{Error, Result, Study};

/// What a merge brought in.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct MergeReport {
    /// Raters this study did not have.
    pub raters_added: Vec<String>,
    /// Projects this study did not have.
    pub projects_added: Vec<String>,
    /// Snapshots added (of new or known projects).
    pub snapshots_added: usize,
    /// Units added.
    pub units_added: usize,
    /// Decisions added.
    pub decisions_added: usize,
    /// Decisions both copies hold identically.
    pub decisions_same: usize,
    /// Consensus rows added.
    pub consensus_added: usize,
    /// History rows copied (those of the added decisions and consensus rows).
    pub history_added: usize,
    /// Rounds this study did not have (by name).
    pub rounds_added: Vec<String>,
    /// Rounds revealed in the other copy and not yet here: revealed by the merge.
    pub rounds_revealed: Vec<String>,
    /// Automatic consensus rows made or changed after the merge, because all raters of a unit
    /// now agree.
    pub auto_consensus: usize,
}

impl MergeReport {
    /// Whether the merge changed anything.
    pub fn changed(&self) -> bool {
        !self.raters_added.is_empty()
            || !self.projects_added.is_empty()
            || !self.rounds_added.is_empty()
            || !self.rounds_revealed.is_empty()
            || self.snapshots_added
                + self.units_added
                + self.decisions_added
                + self.consensus_added
                + self.history_added
                + self.auto_consensus
                > 0
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

struct OtherDecision {
    rater: String,
    unit: String,
    dimension: String,
    snapshot: Option<i64>,
    memo: String,
    flagged: i64,
    coded_at: String,
    codes: BTreeSet<String>,
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

impl Study {
    /// Merges another copy of this study into this one (see the module documentation).
    pub fn merge_from(&mut self, other: &Path) -> Result<MergeReport> {
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
        let oc = open_other(other)?;
        let ours = self.cached_codebook()?;
        let theirs = crate::codebook::load(&oc)?;
        same_codebook(&ours, &theirs, &oname)?;
        let refuse = |what: String| Error::Invalid(format!("{oname}: {what}; nothing was merged"));

        self.write(|tx| {
            let mut report = MergeReport::default();
            // (unit id, unit, dimension) whose decisions or consensus the merge touched.
            let mut touched: BTreeSet<(i64, String, String)> = BTreeSet::new();
            // Raters.
            let raters: Vec<(String, String)> = rows(&oc, "SELECT name, created_at FROM rater ORDER BY name", |r| Ok((r.get(0)?, r.get(1)?)))?;
            for (name, created_at) in raters {
                let n = tx.execute("INSERT OR IGNORE INTO rater (name, created_at) VALUES (?1, ?2)", params![name, created_at])?;
                if n > 0 {
                    crate::history::record(tx, "system", "rater.add", &name, None, Some(&serde_json::json!({ "name": name, "merged_from": oname })))?;
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
                        crate::history::record(tx, "system", "project.import", &full_name, None, Some(&serde_json::json!({ "outcome": "merged", "merged_from": oname })))?;
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
                let pid = project_map[&opid];
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
            // Decisions.
            let mut conflicts = Vec::new();
            for d in other_decisions(&oc)? {
                let rater_id: i64 = tx.query_row("SELECT id FROM rater WHERE name = ?1", [&d.rater], |r| r.get(0))?;
                let unit_id: i64 = tx.query_row("SELECT id FROM unit WHERE name = ?1", [&d.unit], |r| r.get(0))?;
                let mine: Option<(i64, String, i64)> = tx
                    .query_row(
                        "SELECT id, memo, flagged FROM decision WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3",
                        params![rater_id, unit_id, d.dimension],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                if let Some((id, memo, flagged)) = mine {
                    let codes: BTreeSet<String> = rows(tx, &format!("SELECT code FROM decision_code WHERE decision_id = {id}"), |r| r.get(0))?.into_iter().collect();
                    if codes == d.codes && memo == d.memo && flagged == d.flagged {
                        report.decisions_same += 1;
                    } else {
                        conflicts.push(format!(
                            "rater '{}' decided '{}' ({}) differently in the two copies: here [{}]{}, there [{}]{}",
                            d.rater,
                            d.unit,
                            d.dimension,
                            codes.iter().cloned().collect::<Vec<_>>().join(", "),
                            if memo != d.memo { format!(" memo '{memo}'") } else { String::new() },
                            d.codes.iter().cloned().collect::<Vec<_>>().join(", "),
                            if memo != d.memo { format!(" memo '{}'", d.memo) } else { String::new() },
                        ));
                    }
                    continue;
                }
                let snapshot = d.snapshot.and_then(|s| snapshot_map.get(&s).copied());
                tx.execute(
                    "INSERT INTO decision (rater_id, unit_id, dimension, snapshot_id, memo, flagged, coded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![rater_id, unit_id, d.dimension, snapshot, d.memo, d.flagged, d.coded_at],
                )?;
                let id = tx.last_insert_rowid();
                for code in &d.codes {
                    tx.execute("INSERT INTO decision_code (decision_id, dimension, code) VALUES (?1, ?2, ?3)", params![id, d.dimension, code])?;
                }
                report.decisions_added += 1;
                touched.insert((unit_id, d.unit.clone(), d.dimension.clone()));
                let subject = format!("{}|{}|{}", d.rater, d.unit, d.dimension);
                report.history_added += copy_history(&oc, tx, &["decision.set", "decision.clear"], &subject)?;
            }
            // Consensus.
            for c in other_consensus(&oc)? {
                let unit_id: i64 = tx.query_row("SELECT id FROM unit WHERE name = ?1", [&c.unit], |r| r.get(0))?;
                let mine: Option<(i64, String, String)> = tx
                    .query_row(
                        "SELECT id, adjudicator, rationale FROM consensus WHERE unit_id = ?1 AND dimension = ?2",
                        params![unit_id, c.dimension],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                if let Some((id, adjudicator, rationale)) = mine {
                    let codes: BTreeSet<String> = rows(tx, &format!("SELECT code FROM consensus_code WHERE consensus_id = {id}"), |r| r.get(0))?.into_iter().collect();
                    let auto = crate::rules::AUTO_ADJUDICATOR;
                    if adjudicator == auto && c.adjudicator != auto {
                        // An adjudicator's decision there replaces our automatic one.
                        tx.execute("DELETE FROM consensus WHERE id = ?1", [id])?;
                    } else if c.adjudicator == auto
                        || (codes == c.codes && adjudicator == c.adjudicator && rationale == c.rationale)
                    {
                        // Theirs is automatic (ours stands; the sync below settles it), or the same.
                        touched.insert((unit_id, c.unit.clone(), c.dimension.clone()));
                        continue;
                    } else {
                        conflicts.push(format!(
                            "the consensus on '{}' ({}) differs: here [{}] by {adjudicator}, there [{}] by {}",
                            c.unit,
                            c.dimension,
                            codes.iter().cloned().collect::<Vec<_>>().join(", "),
                            c.codes.iter().cloned().collect::<Vec<_>>().join(", "),
                            c.adjudicator
                        ));
                        continue;
                    }
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
            merge_rounds(&oc, tx, &mut report, &mut conflicts)?;
            for name in &report.rounds_revealed {
                touched.extend(crate::round::decided_in_round(tx, name)?);
            }
            if !conflicts.is_empty() {
                let n = conflicts.len();
                conflicts.truncate(5);
                return Err(refuse(format!(
                    "{n} conflict{}: {}{}; make the two copies agree on these (or clear one side) and merge again",
                    if n == 1 { "" } else { "s" },
                    conflicts.join("; "),
                    if n > 5 { format!("; and {} more", n - 5) } else { String::new() }
                )));
            }
            for (unit_id, unit, dim) in &touched {
                if crate::rules::sync_auto_consensus(tx, &ours, *unit_id, unit, dim)?.is_some() {
                    report.auto_consensus += 1;
                }
            }
            if report.changed() {
                crate::history::record(tx, "system", "study.merge", &oname, None, Some(&serde_json::to_value(&report)?))?;
            }
            Ok(report)
        })
    }
}

/// Brings in the other copy's rounds: a round this study lacks is added with its units and
/// raters (all of which the merge has brought in by then); a round both have must hold the
/// same units, else a conflict; a round revealed there is revealed here too.
fn merge_rounds(
    oc: &Connection,
    tx: &Connection,
    report: &mut MergeReport,
    conflicts: &mut Vec<String>,
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
                    "system",
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

/// Opens the other copy read-only after checking it is a study of this schema version.
fn open_other(path: &Path) -> Result<Connection> {
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
    let version: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version != crate::study::SCHEMA_VERSION {
        return Err(Error::Invalid(format!(
            "{}: study schema version {version}, this Codebench writes {}; open that copy once with this Codebench (e.g. `codebench --study {} status`) and merge again; nothing was merged",
            path.display(),
            crate::study::SCHEMA_VERSION,
            path.display()
        )));
    }
    Ok(c)
}

/// Refuses a copy whose codebook differs (id, version, dimension ids, code ids).
fn same_codebook(ours: &Codebook, theirs: &Codebook, oname: &str) -> Result<()> {
    let shape = |b: &Codebook| -> BTreeMap<String, BTreeSet<String>> {
        b.dimensions
            .iter()
            .map(|d| (d.id.clone(), d.codes.iter().map(|c| c.id.clone()).collect()))
            .collect()
    };
    let mut why = Vec::new();
    if ours.id != theirs.id || ours.version != theirs.version {
        why.push(format!(
            "codebook {} {} here, {} {} there",
            ours.id, ours.version, theirs.id, theirs.version
        ));
    }
    let (a, b) = (shape(ours), shape(theirs));
    if a != b {
        for (d, codes) in &a {
            match b.get(d) {
                None => why.push(format!("dimension '{d}' is missing there")),
                Some(other) if other != codes => {
                    let only_here: Vec<&String> = codes.difference(other).collect();
                    let only_there: Vec<&String> = other.difference(codes).collect();
                    why.push(format!("dimension '{d}' codes differ (only here: {only_here:?}, only there: {only_there:?})"));
                }
                _ => {}
            }
        }
        for d in b.keys().filter(|d| !a.contains_key(*d)) {
            why.push(format!("dimension '{d}' is only there"));
        }
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "{oname}: another codebook ({}); merge only copies of the same study; nothing was merged",
        why.join("; ")
    )))
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
        "SELECT d.id, r.name, u.name, d.dimension, d.snapshot_id, d.memo, d.flagged, d.coded_at
         FROM decision d JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id ORDER BY d.id",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                OtherDecision {
                    rater: r.get(1)?,
                    unit: r.get(2)?,
                    dimension: r.get(3)?,
                    snapshot: r.get(4)?,
                    memo: r.get(5)?,
                    flagged: r.get(6)?,
                    coded_at: r.get(7)?,
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
    fn conflicting_decisions_refuse_the_whole_merge() {
        let (_d, mut a, mut b, p) = copies();
        b.add_rater("alice").unwrap();
        code(&mut a, "alice", &p[0], "model");
        code(&mut b, "alice", &p[0], "toolkit");
        code(&mut b, "bob", &p[1], "toolkit");
        let before = a.decisions(None).unwrap();
        let e = a.merge_from(b.path()).unwrap_err().to_string();
        assert!(
            e.contains("rater 'alice' decided")
                && e.contains("here [model]")
                && e.contains("there [toolkit]")
                && e.contains("nothing was merged"),
            "{e}"
        );
        assert_eq!(a.decisions(None).unwrap(), before);
        assert_eq!(a.raters().unwrap().len(), 1, "bob was not added either");
    }

    #[test]
    fn another_codebook_is_refused() {
        let (d, mut a, _b, _p) = copies();
        let mut book = Codebook::shipped();
        book.dimensions[0].codes.pop();
        let other = Study::create(d.path().join("o.codebench"), &book).unwrap();
        let e = a.merge_from(other.path()).unwrap_err().to_string();
        assert!(
            e.contains("another codebook") && e.contains("only here"),
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
