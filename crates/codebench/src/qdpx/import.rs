//! Reading a `.qdpx` project into a study whose units it codes (see [`super`]): codings of
//! sources by each user become that rater's decisions, selections become evidence, notes
//! become memos, the `consensus` user's codings become the consensus. All or nothing, in one
//! transaction; what cannot be mapped is reported, not guessed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use codebench_qdpx as q;
use rusqlite::params;
use serde::Serialize;

use super::{code_guid, dimension_guid, lines_of, parse_lines_marker};
use super::{CONSENSUS_USER, MEMO_PREFIX, RATIONALE_PREFIX};
use crate::codebook::{Codebook, UnitKind};
use crate::coding::{Change, DecisionInput};
use crate::evidence::{Quote, MAX_QUOTE_CHARS};
use crate::{Error, Result, Study};

/// What an import of a `.qdpx` project did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct QdpxImport {
    /// Nothing was written: this is what the import would do.
    pub dry_run: bool,
    /// Raters the file's users added to the study.
    pub raters_added: Vec<String>,
    /// New decisions.
    pub decisions_created: usize,
    /// Decisions that changed.
    pub decisions_updated: usize,
    /// Decisions already so.
    pub decisions_unchanged: usize,
    /// Evidence quotes added (one already there is not added twice).
    pub evidence_added: usize,
    /// Decisions whose memo came from the file's notes.
    pub memos: usize,
    /// Consensus decisions recorded from the `consensus` user's codings.
    pub consensus: usize,
    /// Sources that name no project or unit of the study (by name).
    pub unmatched_sources: Vec<String>,
    /// Codes of the file that match no code of the study's codebook (by path of names).
    pub unknown_codes: Vec<String>,
    /// Everything else that was left out, each with its reason.
    pub not_imported: Vec<String>,
}

/// What a code of the file is in the study.
#[derive(Clone)]
enum CodeMatch {
    Code(String, String),
    Dimension,
    Unknown(String),
}

/// One decision gathered from the file.
#[derive(Default)]
struct Gathered {
    codes: BTreeSet<String>,
    /// The latest time of its source-level codings.
    at: Option<String>,
    /// The latest time of its selections' codings (the decision's time when it has no
    /// source-level coding).
    selected_at: Option<String>,
    memos: Vec<String>,
    /// Quotes with their times.
    quotes: Vec<(Quote, Option<String>)>,
}

/// One consensus gathered from the file.
struct GatheredConsensus {
    codes: BTreeSet<String>,
    rationale: String,
    adjudicator: String,
    method: String,
}

impl Default for GatheredConsensus {
    fn default() -> Self {
        GatheredConsensus {
            codes: BTreeSet::new(),
            rationale: String::new(),
            adjudicator: "qdpx".into(),
            method: "decided".into(),
        }
    }
}

/// Who a user of the file is in the study.
#[derive(Clone)]
enum Who {
    Rater(String),
    Consensus,
}

fn key(guid: &str) -> String {
    guid.trim_matches(['{', '}']).to_ascii_lowercase()
}

/// `t` as the study keeps times (RFC 3339, UTC, milliseconds), if it is one.
fn time(t: &Option<String>) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(t.as_deref()?.trim()).ok()?;
    Some(
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

fn later(a: &mut Option<String>, b: Option<String>) {
    if b.is_some() && (a.is_none() || b > *a) {
        *a = b;
    }
}

/// Matches the file's codes to the study's: by GUID for a file Codebench wrote, else by name
/// (or alias) within the dimension an enclosing code names, else within the only dimension
/// that has a code of that name.
fn match_codes(book: &Codebook, codes: &[q::Code]) -> HashMap<String, CodeMatch> {
    let mut by_guid: HashMap<String, CodeMatch> = HashMap::new();
    for d in &book.dimensions {
        by_guid.insert(key(&dimension_guid(book, &d.id)), CodeMatch::Dimension);
        for c in &d.codes {
            by_guid.insert(
                key(&code_guid(book, &d.id, &c.id)),
                CodeMatch::Code(d.id.clone(), c.id.clone()),
            );
        }
    }
    let dim_named = |n: &str| {
        let n = n.trim().to_lowercase();
        book.dimensions
            .iter()
            .find(|d| d.id.to_lowercase() == n || d.name.trim().to_lowercase() == n)
    };
    let mut out = HashMap::new();
    let mut stack: Vec<(&q::Code, Vec<&str>)> = codes.iter().map(|c| (c, Vec::new())).collect();
    while let Some((c, ancestors)) = stack.pop() {
        let m = match by_guid.get(&key(&c.guid)) {
            Some(m) => m.clone(),
            None => {
                let path = ancestors
                    .iter()
                    .copied()
                    .chain([c.name.as_str()])
                    .collect::<Vec<_>>()
                    .join(" / ");
                match ancestors.iter().rev().find_map(|a| dim_named(a)) {
                    Some(d) => match d.resolve(&c.name) {
                        Some(code) => CodeMatch::Code(d.id.clone(), code.id.clone()),
                        None => CodeMatch::Unknown(path),
                    },
                    None if ancestors.is_empty() && dim_named(&c.name).is_some() => {
                        CodeMatch::Dimension
                    }
                    None => {
                        let hits: Vec<_> = book
                            .dimensions
                            .iter()
                            .filter_map(|d| d.resolve(&c.name).map(|x| (d, x)))
                            .collect();
                        match hits.as_slice() {
                            [(d, x)] => CodeMatch::Code(d.id.clone(), x.id.clone()),
                            [] => CodeMatch::Unknown(path),
                            many => CodeMatch::Unknown(format!(
                                "{path} (in dimensions {}: name its dimension as its parent code)",
                                many.iter()
                                    .map(|(d, _)| d.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        }
                    }
                }
            }
        };
        out.insert(key(&c.guid), m);
        let mut next = ancestors.clone();
        next.push(c.name.as_str());
        for child in &c.children {
            stack.push((child, next.clone()));
        }
    }
    out
}

impl Study {
    /// Imports a `.qdpx` project into this study (see [`super`]). Sources are matched to
    /// units by name (`owner/name:path`, or the source's name as a path inside the project
    /// its case names); codes by GUID, else by name. All or nothing: a decision the
    /// codebook refuses (a retired code, two codes of a one-code dimension) names its rater,
    /// unit and dimension and imports nothing. With `dry_run`, nothing is written.
    pub fn import_qdpx(&mut self, path: &Path, dry_run: bool) -> Result<QdpxImport> {
        let fname = path.display().to_string();
        let p = q::read_path(path, &q::Limits::default()).map_err(|e| Error::Qdpx {
            file: fname.clone(),
            source: e,
        })?;
        let book = self.codebook()?;
        let units: HashMap<String, crate::corpus::UnitInfo> = self
            .units()?
            .into_iter()
            .map(|u| (u.name.clone(), u))
            .collect();
        let projects: HashSet<String> = units.values().map(|u| u.project.clone()).collect();
        let files: HashSet<(String, String)> = {
            let mut stmt = self.conn().prepare(
                "SELECT DISTINCT p.full_name, f.path FROM file f JOIN snapshot s ON s.id = f.snapshot_id
                 JOIN project p ON p.id = s.project_id WHERE f.role IN ('readme', 'dockerfile')",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut report = QdpxImport {
            dry_run,
            ..Default::default()
        };
        let mut left = BTreeSet::new();
        let mut users: HashMap<String, Who> = HashMap::new();
        for u in &p.users {
            let name = u.name.trim();
            if name.eq_ignore_ascii_case(CONSENSUS_USER) {
                users.insert(key(&u.guid), Who::Consensus);
            } else {
                match crate::rater::check_rater_name(name) {
                    Ok(n) => {
                        users.insert(key(&u.guid), Who::Rater(n));
                    }
                    Err(e) => {
                        left.insert(format!("user '{name}': {e}"));
                    }
                }
            }
        }
        let codes = match_codes(&book, &p.codes);
        let notes: HashMap<String, &q::Note> = p.notes.iter().map(|n| (key(&n.guid), n)).collect();
        let mut case_of: HashMap<String, &str> = HashMap::new();
        for c in &p.cases {
            for s in &c.sources {
                case_of.entry(key(s)).or_insert(c.name.trim());
            }
        }
        let mut decisions: BTreeMap<(String, String, String), Gathered> = BTreeMap::new();
        let mut consensus: BTreeMap<(String, String), GatheredConsensus> = BTreeMap::new();
        let mut unknown = BTreeSet::new();
        for s in &p.sources {
            let name = s.name.trim();
            let place = if projects.contains(name) {
                Some((name.to_string(), None))
            } else if let Some((pre, rest)) =
                name.split_once(':').filter(|(a, _)| projects.contains(*a))
            {
                Some((pre.to_string(), Some(rest.to_string())))
            } else {
                case_of
                    .get(&key(&s.guid))
                    .filter(|c| projects.contains(**c))
                    .map(|c| (c.to_string(), Some(name.to_string())))
            };
            let Some((project, file)) = place else {
                report.unmatched_sources.push(name.to_string());
                continue;
            };
            // The unit a code of `dim` on this source is about.
            let unit_for = |dim: &str| -> Option<String> {
                let d = book.dimension(dim)?;
                match d.unit {
                    UnitKind::Project => Some(project.clone()),
                    UnitKind::Dockerfile => {
                        let u = crate::corpus::unit_name(&project, Some(file.as_deref()?));
                        units.contains_key(&u).then_some(u)
                    }
                }
            };
            let who =
                |g: &Option<String>, left: &mut BTreeSet<String>, what: &str| -> Option<Who> {
                    let Some(g) = g else {
                        left.insert(format!("{what} on '{name}': no creatingUser, so no rater"));
                        return None;
                    };
                    let w = users.get(&key(g)).cloned();
                    if w.is_none() && !p.users.iter().any(|u| key(&u.guid) == key(g)) {
                        left.insert(format!(
                            "{what} on '{name}': user {g} is not among the project's users"
                        ));
                    }
                    w
                };
            let mut resolve = |c: &q::Coding,
                               left: &mut BTreeSet<String>|
             -> Option<(String, String, String)> {
                match codes.get(&key(&c.code)) {
                    Some(CodeMatch::Code(d, code)) => match unit_for(d) {
                        Some(u) => Some((u, d.clone(), code.clone())),
                        None => {
                            left.insert(format!("code '{code}' of Dockerfile dimension '{d}' on '{name}': not a Dockerfile unit of the study"));
                            None
                        }
                    },
                    Some(CodeMatch::Dimension) => {
                        left.insert(format!("a coding on '{name}' with a dimension, not a code"));
                        None
                    }
                    Some(CodeMatch::Unknown(path)) => {
                        unknown.insert(path.clone());
                        None
                    }
                    None => {
                        left.insert(format!(
                            "a coding on '{name}' refers to no code of the file ({})",
                            c.code
                        ));
                        None
                    }
                }
            };
            for c in &s.codings {
                let Some(w) = who(&c.creating_user, &mut left, "a coding") else {
                    continue;
                };
                let Some((unit, dim, code)) = resolve(c, &mut left) else {
                    continue;
                };
                match w {
                    Who::Rater(r) => {
                        let g = decisions.entry((r, unit, dim)).or_default();
                        g.codes.insert(code);
                        later(&mut g.at, time(&c.created));
                    }
                    Who::Consensus => {
                        consensus.entry((unit, dim)).or_default().codes.insert(code);
                    }
                }
            }
            for sel in &s.selections {
                if sel.codings.is_empty() {
                    left.insert(format!(
                        "a selection on '{name}' ({}..{}) has no coding",
                        sel.start, sel.end
                    ));
                }
                for c in &sel.codings {
                    let user = c
                        .creating_user
                        .clone()
                        .or_else(|| sel.creating_user.clone());
                    let Some(w) = who(&user, &mut left, "a selection") else {
                        continue;
                    };
                    let Some((unit, dim, code)) = resolve(c, &mut left) else {
                        continue;
                    };
                    let Who::Rater(r) = w else {
                        left.insert(format!("a selection on '{name}' by the consensus: the consensus has no evidence"));
                        continue;
                    };
                    let g = decisions.entry((r.clone(), unit.clone(), dim)).or_default();
                    g.codes.insert(code.clone());
                    let at = time(&c.created).or_else(|| time(&sel.created));
                    later(&mut g.selected_at, at.clone());
                    let Some(text) = s.text.as_deref() else {
                        left.insert(format!(
                            "a selection on '{name}': its text is outside the file"
                        ));
                        continue;
                    };
                    let Some(path) = file
                        .clone()
                        .filter(|f| files.contains(&(project.clone(), f.clone())))
                    else {
                        left.insert(format!("a selection on '{name}': not a README or Dockerfile of {project}, so not evidence"));
                        continue;
                    };
                    let raw = q::slice_chars(text, sel.start, sel.end).unwrap_or("");
                    let quote = raw.replace("\r\n", "\n").trim().to_string();
                    if quote.is_empty() || quote.chars().count() > MAX_QUOTE_CHARS {
                        left.insert(format!(
                            "a selection on '{name}' ({}..{}) by {r}: evidence is 1 to {MAX_QUOTE_CHARS} characters",
                            sel.start, sel.end
                        ));
                        continue;
                    }
                    let (line_start, line_end) = parse_lines_marker(&sel.description)
                        .unwrap_or_else(|| {
                            let (a, b) = lines_of(text, sel.start, sel.end);
                            (Some(a), Some(b))
                        });
                    g.quotes.push((
                        Quote {
                            code,
                            file: path,
                            quote,
                            line_start,
                            line_end,
                        },
                        at,
                    ));
                }
            }
            let refs = s
                .note_refs
                .iter()
                .chain(s.selections.iter().flat_map(|x| x.note_refs.iter()));
            let mut seen = HashSet::new();
            for r in refs {
                if !seen.insert(key(r)) {
                    continue;
                }
                let Some(n) = notes.get(&key(r)) else {
                    left.insert(format!("'{name}' refers to note {r}, which the file lacks"));
                    continue;
                };
                let Some(w) = who(&n.creating_user, &mut left, "a note") else {
                    continue;
                };
                let named = |prefix: &str| {
                    n.name
                        .strip_prefix(prefix)
                        .filter(|d| book.dimension(d).is_some())
                };
                match w {
                    Who::Consensus => {
                        let Some((dim, unit)) =
                            named(RATIONALE_PREFIX).and_then(|d| Some((d, unit_for(d)?)))
                        else {
                            left.insert(format!("note '{}' on '{name}' by the consensus: not a rationale of a dimension", n.name));
                            continue;
                        };
                        let g = consensus.entry((unit, dim.to_string())).or_default();
                        g.rationale = n.text.clone();
                        if let Some(m) = n.description.split("[codebench method=").nth(1) {
                            if let Some((method, adj)) = m.split_once(" adjudicator=") {
                                if ["decided", "unanimous", "majority"].contains(&method) {
                                    g.method = method.to_string();
                                }
                                let adj = adj.rsplit_once(']').map(|x| x.0).unwrap_or(adj).trim();
                                if !adj.is_empty()
                                    && adj.len() <= 100
                                    && !adj.chars().any(char::is_control)
                                {
                                    g.adjudicator = adj.to_string();
                                }
                            }
                        }
                    }
                    Who::Rater(rater) => {
                        let targets: Vec<(String, String, String)> =
                            match named(MEMO_PREFIX).and_then(|d| Some((d, unit_for(d)?))) {
                                Some((d, u)) => vec![(rater.clone(), u, d.to_string())],
                                // Another tool's note on a source: the memo of every decision of its
                                // user on the units of the source.
                                None => book
                                    .dimensions
                                    .iter()
                                    .filter_map(|d| {
                                        Some((rater.clone(), unit_for(&d.id)?, d.id.clone()))
                                    })
                                    .filter(|k| decisions.contains_key(k))
                                    .collect(),
                            };
                        if targets.is_empty() {
                            left.insert(format!("note '{}' on '{name}' by {rater}: {rater} has no decision there to hold it", n.name));
                        }
                        for t in targets {
                            decisions.entry(t).or_default().memos.push(n.text.clone());
                        }
                    }
                }
            }
        }
        report.unknown_codes = unknown.into_iter().collect();
        report.not_imported = left.into_iter().collect();
        self.write_if(|tx| {
            let mut r = report;
            let mut touched = BTreeSet::new();
            for ((rater, unit, dim), g) in &decisions {
                let rater_id = crate::rater::rater_id_or_add(tx, rater, &mut r.raters_added)?;
                let memo = (!g.memos.is_empty()).then(|| g.memos.join("\n\n"));
                let input = DecisionInput {
                    rater: rater.clone(),
                    unit: unit.clone(),
                    dimension: dim.clone(),
                    codes: g.codes.iter().cloned().collect(),
                    memo: memo.clone(),
                    flagged: None,
                };
                let at = g.at.clone().or_else(|| g.selected_at.clone()).unwrap_or_else(crate::now);
                let bad = |e: Error| Error::Invalid(format!("{fname}: {rater} on {unit} ({dim}): {e}; nothing was imported"));
                let (change, _) = crate::coding::set_decision(tx, &book, rater_id, &input, &at).map_err(bad)?;
                match change {
                    Change::Created => r.decisions_created += 1,
                    Change::Updated => r.decisions_updated += 1,
                    Change::Unchanged => r.decisions_unchanged += 1,
                }
                r.memos += usize::from(memo.is_some());
                touched.insert((unit.clone(), dim.clone()));
                if g.quotes.is_empty() {
                    continue;
                }
                let id: i64 = tx.query_row(
                    "SELECT d.id FROM decision d JOIN unit u ON u.id = d.unit_id WHERE d.rater_id = ?1 AND u.name = ?2 AND d.dimension = ?3",
                    params![rater_id, unit, dim],
                    |row| row.get(0),
                )?;
                for (quote, when) in &g.quotes {
                    let when = when.as_deref().unwrap_or(&at);
                    let added = crate::evidence::add_quote(tx, id, quote, when).map_err(bad)?;
                    r.evidence_added += usize::from(added);
                }
            }
            for ((unit, dim), c) in &consensus {
                if crate::rules::is_blinded(tx, unit, dim)? {
                    r.not_imported.push(format!("the consensus on {unit} ({dim}): the unit is blind in a round not revealed yet"));
                    continue;
                }
                let bad = |e: Error| Error::Invalid(format!("{fname}: the consensus on {unit} ({dim}): {e}; nothing was imported"));
                let dimension = book.require_dimension(dim)?;
                let labels: Vec<String> = c.codes.iter().cloned().collect();
                let sorted = dimension.codes_of(&labels).map_err(bad)?;
                if let (crate::codebook::Cardinality::One, true) = (dimension.cardinality, sorted.len() > 1) {
                    return Err(bad(Error::Invalid("more than one code in a one-code dimension".into())));
                }
                let (unit_id, _) = crate::corpus::unit_by_name(tx, unit)?;
                crate::consensus::set_consensus(tx, unit_id, unit, dimension, &sorted, &c.adjudicator, &c.rationale, &c.method)?;
                r.consensus += 1;
            }
            for (unit, dim) in &touched {
                crate::rules::sync_auto_consensus_of(tx, &book, unit, dim)?;
            }
            Ok((r, !dry_run))
        })
    }
}
