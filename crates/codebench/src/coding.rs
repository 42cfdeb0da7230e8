//! Raters and their decisions. A decision is (rater, unit, dimension) → a set of codes with a
//! memo. Every decision is validated against the codebook and written in one transaction with
//! its history row; nothing is overwritten without a trace.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::codebook::Codebook;
use crate::corpus::unit_by_name;
pub use crate::rater::Rater;
use crate::rater::{check_rater_name, rater_id, rater_id_or_add};
use crate::{Error, Result, Study};

/// What a rater decides on a unit, as asked for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct DecisionInput {
    /// The rater's name.
    pub rater: String,
    /// The unit's public name (`owner/name` or `owner/name:path`).
    pub unit: String,
    /// The dimension id.
    pub dimension: String,
    /// Codes by id, name or alias.
    pub codes: Vec<String>,
    /// The rater's memo; `None` keeps the current one.
    pub memo: Option<String>,
    /// Flag for discussion; `None` keeps the current flag.
    pub flagged: Option<bool>,
}

/// A decision as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
pub struct Decision {
    /// The rater's name.
    pub rater: String,
    /// The unit's public name.
    pub unit: String,
    /// The dimension id.
    pub dimension: String,
    /// Code ids, sorted in codebook order.
    pub codes: Vec<String>,
    /// The memo.
    pub memo: String,
    /// Flagged for discussion.
    pub flagged: bool,
    /// When it was last changed (ISO 8601, UTC).
    pub coded_at: String,
    /// The machine raters whose suggestions the rater had been shown (assist) when recording
    /// or changing this decision, sorted; empty when they decided unassisted.
    #[serde(default)]
    pub suggested_by: Vec<String>,
}

/// What a change did.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// A new decision.
    Created,
    /// An existing decision now differs.
    Updated,
    /// The decision was already exactly this.
    Unchanged,
}

impl Study {
    /// Validates and records one decision in one transaction; durable when this returns.
    pub fn record(&mut self, input: &DecisionInput) -> Result<(Change, Decision)> {
        let book = self.cached_codebook()?;
        self.write(|tx| {
            let rater_id = rater_id(tx, &input.rater)?;
            let at = crate::now();
            let (change, d) = set_decision(tx, &book, rater_id, input, &at)?;
            if change != Change::Unchanged {
                crate::rules::sync_auto_consensus_of(tx, &book, &d.unit, &d.dimension)?;
            }
            Ok((change, d))
        })
    }

    /// Removes a rater's decision on a unit (an undo of its first recording). The removal is
    /// kept in the history with the old value. Returns whether there was a decision.
    pub fn clear_decision(&mut self, rater: &str, unit: &str, dimension: &str) -> Result<bool> {
        let book = self.codebook()?;
        let dim = book.require_dimension(dimension)?.id.clone();
        self.write(|tx| {
            let rater_id = rater_id(tx, rater)?;
            let (unit_id, unit) = unit_by_name(tx, unit)?;
            let found: Option<(i64, String, i64)> = tx
                .query_row(
                    "SELECT id, memo, flagged FROM decision WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3",
                    params![rater_id, unit_id, dim],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((id, memo, flagged)) = found else { return Ok(false) };
            let mut stmt = tx.prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1 ORDER BY code")?;
            let codes: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
            // Its evidence goes with it (ON DELETE CASCADE): the history row keeps it.
            let mut stmt = tx.prepare_cached("SELECT code, file, quote, line_start, line_end FROM evidence WHERE decision_id = ?1 ORDER BY id")?;
            let evidence: Vec<serde_json::Value> = stmt
                .query_map([id], |r| {
                    Ok(serde_json::json!({
                        "code": r.get::<_, String>(0)?, "file": r.get::<_, String>(1)?, "quote": r.get::<_, String>(2)?,
                        "line_start": r.get::<_, Option<i64>>(3)?, "line_end": r.get::<_, Option<i64>>(4)?,
                    }))
                })?
                .collect::<Result<_, _>>()?;
            tx.execute("DELETE FROM decision WHERE id = ?1", [id])?;
            let old = serde_json::json!({ "codes": codes, "memo": memo, "flagged": flagged != 0, "evidence": evidence });
            crate::history::record(tx, rater, "decision.clear", &format!("{rater}|{}|{dim}", unit.name), Some(&old), None)?;
            crate::rules::sync_auto_consensus(tx, &book, unit_id, &unit.name, &dim)?;
            Ok(true)
        })
    }

    /// One rater's current decision on a unit in a dimension, if any.
    pub fn decision(&self, rater: &str, unit: &str, dimension: &str) -> Result<Option<Decision>> {
        Ok(self
            .query_decisions(Some(rater), Some(unit), Some(dimension))?
            .pop())
    }

    /// Current decisions, optionally of one rater, by rater, unit and dimension.
    pub fn decisions(&self, rater: Option<&str>) -> Result<Vec<Decision>> {
        self.query_decisions(rater, None, None)
    }

    /// Current decisions matching the given rater, unit and dimension (each optional).
    fn query_decisions(
        &self,
        rater: Option<&str>,
        unit: Option<&str>,
        dimension: Option<&str>,
    ) -> Result<Vec<Decision>> {
        let c = self.conn();
        let book = self.cached_codebook()?;
        let order = code_order(&book);
        // One query: a decision's codes come as consecutive rows (NULL code: none).
        let mut stmt = c.prepare_cached(
            "SELECT d.id, r.name, u.name, d.dimension, d.memo, d.flagged, d.coded_at, dc.code, d.suggested_by
             FROM decision d JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id
             LEFT JOIN decision_code dc ON dc.decision_id = d.id
             WHERE (?1 IS NULL OR r.name = ?1) AND (?2 IS NULL OR u.name = ?2) AND (?3 IS NULL OR d.dimension = ?3)
             ORDER BY r.name, u.name, d.dimension, d.id",
        )?;
        let mut rows = stmt.query(rusqlite::params![rater, unit, dimension])?;
        let mut out: Vec<Decision> = Vec::new();
        let mut last: Option<i64> = None;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if last != Some(id) {
                last = Some(id);
                out.push(Decision {
                    rater: r.get(1)?,
                    unit: r.get(2)?,
                    dimension: r.get(3)?,
                    codes: Vec::new(),
                    memo: r.get(4)?,
                    flagged: r.get::<_, i64>(5)? != 0,
                    coded_at: r.get(6)?,
                    suggested_by: names_of(&r.get::<_, String>(8)?),
                });
            }
            if let Some(code) = r.get::<_, Option<String>>(7)? {
                out.last_mut().expect("pushed above").codes.push(code);
            }
        }
        for d in &mut out {
            if d.codes.len() > 1 {
                let dim = order.get(d.dimension.as_str());
                d.codes.sort_by_key(|c| {
                    dim.and_then(|m| m.get(c.as_str()))
                        .copied()
                        .unwrap_or(usize::MAX)
                });
            }
        }
        Ok(out)
    }

    /// Imports decisions from a codings CSV (`rater,unit,dimension,code[,memo,flagged,coded_at,evidence]`,
    /// one row per code), the shape `export` writes. All or nothing: one bad row imports nothing
    /// and names the row and field. Raters named in the file that the study lacks are added; a
    /// column the file lacks keeps what the study holds; quotes given are added to the evidence.
    pub fn import_codings(&mut self, path: &Path) -> Result<CodingsImport> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let rows = read_codings(file, &path.display().to_string())?;
        let book = self.codebook()?;
        let fname = path.display().to_string();
        self.write(|tx| {
            let mut summary = CodingsImport::default();
            let mut touched = BTreeSet::new();
            for group in rows {
                let at = group.coded_at.clone().unwrap_or_else(crate::now);
                let row_err = |field: &str, e: Error| Error::Row {
                    file: fname.clone(),
                    line: group.line,
                    field: field.to_string(),
                    message: e.to_string(),
                };
                let rater_id = rater_id_or_add(tx, &group.input.rater, &mut summary.raters_added)
                    .map_err(|e| match e {
                    e @ Error::Invalid(_) => row_err("rater", e),
                    e => e,
                })?;
                let field = |e: &Error| match e {
                    Error::Unknown { what, .. } => *what,
                    _ => "code",
                };
                match set_decision(tx, &book, rater_id, &group.input, &at) {
                    Ok((change, d)) => {
                        match change {
                            Change::Created => summary.created += 1,
                            Change::Updated => summary.updated += 1,
                            Change::Unchanged => summary.unchanged += 1,
                        }
                        if let Some(quotes) = &group.evidence {
                            let id: i64 = tx.query_row(
                                "SELECT d.id FROM decision d JOIN unit u ON u.id = d.unit_id WHERE d.rater_id = ?1 AND u.name = ?2 AND d.dimension = ?3",
                                params![rater_id, d.unit, d.dimension],
                                |r| r.get(0),
                            )?;
                            for (code, q) in quotes {
                                let added = crate::evidence::add_quote(
                                    tx,
                                    id,
                                    &crate::evidence::Quote {
                                        code: code.clone(),
                                        file: q.file.clone(),
                                        quote: q.quote.clone(),
                                        line_start: q.line_start,
                                        line_end: q.line_end,
                                    },
                                    &at,
                                )
                                .map_err(|e| row_err("evidence", e))?;
                                summary.evidence_added += usize::from(added);
                            }
                        }
                        if !group.suggested_by.is_empty() {
                            let have = d.suggested_by.join(",");
                            let all = union_of(&have, &group.suggested_by);
                            if all != have {
                                tx.execute(
                                    "UPDATE decision SET suggested_by = ?1 WHERE rater_id = ?2 AND dimension = ?3 AND unit_id = (SELECT id FROM unit WHERE name = ?4)",
                                    params![all, rater_id, d.dimension, d.unit],
                                )?;
                            }
                        }
                        if change != Change::Unchanged {
                            touched.insert((d.unit, d.dimension));
                        }
                    }
                    Err(e @ (Error::Unknown { .. } | Error::Invalid(_))) => {
                        return Err(row_err(field(&e), e))
                    }
                    Err(e) => return Err(e),
                }
            }
            for (unit, dim) in &touched {
                crate::rules::sync_auto_consensus_of(tx, &book, unit, dim)?;
            }
            Ok(summary)
        })
    }
}

/// Which columns of a CSV hold labels, for [`Study::import_labels`].
#[derive(Debug, Clone)]
pub struct LabelColumns {
    /// The rater the labels are recorded for (added if missing).
    pub rater: String,
    /// The dimension they belong to.
    pub dimension: String,
    /// The column naming the unit (`owner/name` or `owner/name:path`).
    pub unit_column: String,
    /// The column holding the label (a code id, name or alias; `;` separates several).
    pub code_column: String,
}

impl Study {
    /// Imports one column of labels from any CSV (e.g. a published study's spreadsheet) as
    /// one rater's decisions. Blank rows and a UTF-8 BOM are ignored; rows with an empty label
    /// are skipped and counted. All or nothing: a bad row names its line and field.
    pub fn import_labels(&mut self, path: &Path, cols: &LabelColumns) -> Result<LabelsImport> {
        let fname = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Row {
            file: fname.clone(),
            line: 0,
            field: "file".into(),
            message: format!("not UTF-8 text ({e})"),
        })?;
        let text = text.trim_start_matches('\u{feff}');
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = rdr
            .headers()?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| Error::Row {
                    file: fname.clone(),
                    line: 1,
                    field: name.to_string(),
                    message: format!("no such column (columns: {})", headers.join(", ")),
                })
        };
        let (ui, ci) = (find(&cols.unit_column)?, find(&cols.code_column)?);
        let mut inputs = Vec::new();
        let mut skipped = 0;
        for rec in rdr.records() {
            let rec = rec?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let unit = rec.get(ui).unwrap_or("").trim();
            let label = rec.get(ci).unwrap_or("").trim();
            if unit.is_empty() && label.is_empty() {
                continue;
            }
            if label.is_empty() {
                skipped += 1;
                continue;
            }
            let codes = label
                .split(';')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            inputs.push((
                line,
                DecisionInput {
                    rater: cols.rater.clone(),
                    unit: unit.to_string(),
                    dimension: cols.dimension.clone(),
                    codes,
                    memo: None,
                    flagged: None,
                },
            ));
        }
        let book = self.cached_codebook()?;
        let rater = check_rater_name(&cols.rater)?;
        self.write(|tx| {
            let mut summary = LabelsImport {
                skipped_empty: skipped,
                ..Default::default()
            };
            let rater_id = rater_id_or_add(tx, &rater, &mut Vec::new())?;
            let at = crate::now();
            let mut touched = BTreeSet::new();
            for (line, input) in &inputs {
                let field = |e: &Error| match e {
                    Error::Unknown { what: "unit", .. } => cols.unit_column.clone(),
                    _ => cols.code_column.clone(),
                };
                match set_decision(tx, &book, rater_id, input, &at) {
                    Ok((Change::Unchanged, _)) => summary.unchanged += 1,
                    Ok((_, d)) => {
                        summary.recorded += 1;
                        touched.insert((d.unit, d.dimension));
                    }
                    Err(e @ (Error::Unknown { .. } | Error::Invalid(_))) => {
                        return Err(Error::Row {
                            file: fname.clone(),
                            line: *line,
                            field: field(&e),
                            message: e.to_string(),
                        })
                    }
                    Err(e) => return Err(e),
                }
            }
            for (unit, dim) in &touched {
                crate::rules::sync_auto_consensus_of(tx, &book, unit, dim)?;
            }
            Ok(summary)
        })
    }
}

/// What an import of labels did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct LabelsImport {
    /// Decisions created or changed.
    pub recorded: usize,
    /// Decisions already so.
    pub unchanged: usize,
    /// Rows with a unit but no label.
    pub skipped_empty: usize,
}

/// What an import of codings did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct CodingsImport {
    /// New decisions.
    pub created: usize,
    /// Decisions that changed.
    pub updated: usize,
    /// Decisions already so.
    pub unchanged: usize,
    /// Raters the file named that the study did not have.
    pub raters_added: Vec<String>,
    /// Evidence quotes added (a quote already there is not added twice).
    pub evidence_added: usize,
}

/// One decision gathered from the rows of a codings CSV.
struct CodingGroup {
    line: u64,
    input: DecisionInput,
    coded_at: Option<String>,
    /// Quotes per code, when the file has an `evidence` column.
    evidence: Option<Vec<(String, QuoteCell)>>,
    /// The machine raters whose suggestions the rater had seen (`suggested_by`, comma-separated).
    suggested_by: String,
}

/// One quote of the `evidence` column (JSON, as `export` writes it).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteCell {
    file: String,
    quote: String,
    #[serde(default)]
    line_start: Option<i64>,
    #[serde(default)]
    line_end: Option<i64>,
}

const CODINGS_REQUIRED: [&str; 4] = ["rater", "unit", "dimension", "code"];
const CODINGS_OPTIONAL: [&str; 5] = ["memo", "flagged", "coded_at", "evidence", "suggested_by"];

/// Reads and groups the rows of a codings CSV; checks shape, not meaning (the study checks that).
/// Cells are read as `export` wrote them: a spreadsheet formula it neutralised gets its text back.
/// A column the file lacks keeps what the study holds (a missing `memo` column keeps memos);
/// rows of one decision must agree on memo, flag and time (the error names both lines).
fn read_codings(reader: impl std::io::Read, fname: &str) -> Result<Vec<CodingGroup>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let row_err = |line: u64, field: &str, message: String| Error::Row {
        file: fname.to_string(),
        line,
        field: field.into(),
        message,
    };
    let headers = rdr
        .headers()
        .map_err(|e| row_err(1, "header", e.to_string()))?
        .clone();
    let headers: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    for h in &headers {
        if !CODINGS_REQUIRED.contains(&h.as_str()) && !CODINGS_OPTIONAL.contains(&h.as_str()) {
            return Err(row_err(
                1,
                h,
                format!(
                    "unknown column (expected {} and optionally {})",
                    CODINGS_REQUIRED.join(","),
                    CODINGS_OPTIONAL.join(",")
                ),
            ));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut idx = [0usize; 4];
    for (i, name) in CODINGS_REQUIRED.iter().enumerate() {
        idx[i] = col(name).ok_or_else(|| row_err(1, name, "missing column".into()))?;
    }
    let (memo_i, flag_i, at_i, ev_i, sb_i) = (
        col("memo"),
        col("flagged"),
        col("coded_at"),
        col("evidence"),
        col("suggested_by"),
    );
    let mut groups: BTreeMap<(String, String, String), CodingGroup> = BTreeMap::new();
    let mut order: Vec<(String, String, String)> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            row_err(line, "row", e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| crate::export::unquote(rec.get(i).unwrap_or("")).to_string();
        let get = |i: usize| cell(i).trim().to_string();
        let (rater, unit, dimension, code) = (get(idx[0]), get(idx[1]), get(idx[2]), get(idx[3]));
        for (field, v) in [
            ("rater", &rater),
            ("unit", &unit),
            ("dimension", &dimension),
        ] {
            if v.is_empty() {
                return Err(row_err(line, field, "empty".into()));
            }
        }
        let memo = memo_i.map(cell);
        let flagged = match flag_i.map(get) {
            None => None,
            Some(v) => match v.as_str() {
                "" => None,
                "1" | "true" | "TRUE" | "yes" => Some(true),
                "0" | "false" | "FALSE" | "no" => Some(false),
                other => {
                    return Err(row_err(
                        line,
                        "flagged",
                        format!("'{other}' is not true/false"),
                    ))
                }
            },
        };
        let coded_at = match at_i.map(get) {
            Some(v) if !v.is_empty() => {
                let t = chrono::DateTime::parse_from_rfc3339(&v).map_err(|e| {
                    row_err(
                        line,
                        "coded_at",
                        format!("'{v}' is not an ISO 8601 time ({e})"),
                    )
                })?;
                Some(
                    t.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                )
            }
            _ => None,
        };
        let quotes: Option<Vec<QuoteCell>> = match ev_i.map(cell) {
            None => None,
            Some(v) if v.trim().is_empty() => Some(Vec::new()),
            Some(v) => Some(serde_json::from_str(&v).map_err(|e| {
                row_err(
                    line,
                    "evidence",
                    format!("not the JSON list of quotes `export` writes ({e})"),
                )
            })?),
        };
        if quotes.as_ref().is_some_and(|q| !q.is_empty()) && code.is_empty() {
            return Err(row_err(
                line,
                "evidence",
                "a quote needs the code it supports".into(),
            ));
        }
        let suggested_by = sb_i.map(get).unwrap_or_default();
        for n in suggested_by
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            check_rater_name(n).map_err(|e| row_err(line, "suggested_by", e.to_string()))?;
        }
        let tagged = |q: Option<Vec<QuoteCell>>| {
            q.map(|q| q.into_iter().map(|x| (code.clone(), x)).collect::<Vec<_>>())
        };
        let key = (rater.clone(), unit.clone(), dimension.clone());
        match groups.get_mut(&key) {
            Some(g) => {
                let first = g.line;
                if !code.is_empty() {
                    g.input.codes.push(code.clone());
                }
                if let (Some(m), Some(old)) = (&memo, &mut g.input.memo) {
                    if !m.is_empty() && old.is_empty() {
                        *old = m.clone();
                    } else if !m.is_empty() && m != old {
                        return Err(row_err(line, "memo", format!("differs from the memo of the same decision on line {first} ('{old}')")));
                    }
                }
                match (flagged, g.input.flagged) {
                    (Some(f), Some(old)) if f != old => {
                        return Err(row_err(
                            line,
                            "flagged",
                            format!(
                                "'{f}' differs from '{old}' of the same decision on line {first}"
                            ),
                        ))
                    }
                    (Some(f), None) => g.input.flagged = Some(f),
                    _ => {}
                }
                match (&coded_at, &g.coded_at) {
                    (Some(t), Some(old)) if t != old => {
                        return Err(row_err(
                            line,
                            "coded_at",
                            format!(
                                "'{t}' differs from '{old}' of the same decision on line {first}"
                            ),
                        ))
                    }
                    (Some(t), None) => g.coded_at = Some(t.clone()),
                    _ => {}
                }
                if let (Some(mine), Some(more)) = (&mut g.evidence, tagged(quotes)) {
                    mine.extend(more);
                }
                g.suggested_by = union_of(&g.suggested_by, &suggested_by);
            }
            None => {
                order.push(key.clone());
                groups.insert(
                    key,
                    CodingGroup {
                        line,
                        input: DecisionInput {
                            rater,
                            unit,
                            dimension,
                            codes: if code.is_empty() {
                                vec![]
                            } else {
                                vec![code.clone()]
                            },
                            // No memo column: the study's memo stays.
                            memo,
                            flagged,
                        },
                        coded_at,
                        evidence: tagged(quotes),
                        suggested_by: union_of("", &suggested_by),
                    },
                );
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|k| groups.remove(&k))
        .collect())
}

/// Each code's position in its dimension, by dimension and code id.
fn code_order(book: &Codebook) -> HashMap<&str, HashMap<&str, usize>> {
    book.dimensions
        .iter()
        .map(|d| {
            let codes = d
                .codes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.as_str(), i))
                .collect();
            (d.id.as_str(), codes)
        })
        .collect()
}

/// Removes the quotes of decision `id` whose code is not among `codes`; returns them (as the
/// history keeps them).
fn drop_orphan_quotes(
    tx: &Connection,
    id: i64,
    codes: &[String],
) -> Result<Vec<serde_json::Value>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, code, file, quote, line_start, line_end FROM evidence WHERE decision_id = ?1 ORDER BY id",
    )?;
    /// id, code, file, quote, first and last line.
    type QuoteRow = (i64, String, String, String, Option<i64>, Option<i64>);
    let rows: Vec<QuoteRow> = stmt
        .query_map([id], |r| {
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
    let mut out = Vec::new();
    for (eid, code, file, quote, a, b) in rows {
        if codes.contains(&code) {
            continue;
        }
        tx.prepare_cached("DELETE FROM evidence WHERE id = ?1")?
            .execute([eid])?;
        out.push(serde_json::json!({ "code": code, "file": file, "quote": quote, "line_start": a, "line_end": b }));
    }
    Ok(out)
}

/// Validates `input` against the codebook and the unit, then writes it with a history row.
pub(crate) fn set_decision(
    tx: &Connection,
    book: &Codebook,
    rater_id: i64,
    input: &DecisionInput,
    at: &str,
) -> Result<(Change, Decision)> {
    let dim = book.require_dimension(&input.dimension)?;
    let (unit_id, unit) = unit_by_name(tx, &input.unit)?;
    dim.check_unit(&unit.name, &unit.kind)?;
    let sorted = dim.codes_of(&input.codes)?;
    let retired: Vec<&String> = sorted
        .iter()
        .filter(|c| {
            dim.code(c)
                .is_some_and(|c| c.status == crate::codebook::CodeStatus::Retired)
        })
        .collect();
    let rater: String = tx
        .prepare_cached("SELECT name FROM rater WHERE id = ?1")?
        .query_row([rater_id], |r| r.get(0))?;
    let snapshot: Option<i64> = tx
        .prepare_cached("SELECT max(s.id) FROM snapshot s JOIN unit u ON u.project_id = s.project_id WHERE u.id = ?1")?
        .query_row([unit_id], |r| r.get(0))?;
    let existing: Option<(i64, String, i64, String)> = tx
        .prepare_cached("SELECT id, memo, flagged, suggested_by FROM decision WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3")?
        .query_row(params![rater_id, unit_id, dim.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let before = existing.as_ref().map(|e| e.3.clone()).unwrap_or_default();
    if !retired.is_empty() {
        // A retired code stays on decisions that had it, but is not given anew.
        let had: Vec<String> = match existing {
            Some((id, _, _, _)) => tx
                .prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1")?
                .query_map([id], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        if let Some(r) = retired.iter().find(|r| !had.contains(*r)) {
            return Err(Error::Invalid(format!(
                "code '{r}' of dimension '{}' is retired; choose another code",
                dim.id
            )));
        }
    }
    let subject = format!("{rater}|{}|{}", unit.name, dim.id);
    let (change, decision_id, memo, flagged, old) = match existing {
        Some((id, old_memo, old_flag, _)) => {
            let mut stmt =
                tx.prepare_cached("SELECT code FROM decision_code WHERE decision_id = ?1")?;
            let mut old_codes: Vec<String> = stmt
                .query_map([id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            dim.sort_codes(&mut old_codes);
            let memo = input.memo.clone().unwrap_or_else(|| old_memo.clone());
            let flagged = input.flagged.unwrap_or(old_flag != 0);
            let old = serde_json::json!({ "codes": old_codes, "memo": old_memo, "flagged": old_flag != 0 });
            if old_codes == sorted && memo == old_memo && flagged == (old_flag != 0) {
                let coded_at: String = tx
                    .prepare_cached("SELECT coded_at FROM decision WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))?;
                return Ok((
                    Change::Unchanged,
                    Decision {
                        rater,
                        unit: unit.name,
                        dimension: dim.id.clone(),
                        codes: sorted,
                        memo,
                        flagged,
                        coded_at,
                        suggested_by: names_of(&before),
                    },
                ));
            }
            tx.prepare_cached("UPDATE decision SET memo = ?2, flagged = ?3, coded_at = ?4, snapshot_id = ?5 WHERE id = ?1")?
                .execute(params![id, memo, flagged as i64, at, snapshot])?;
            tx.prepare_cached("DELETE FROM decision_code WHERE decision_id = ?1")?
                .execute([id])?;
            // Quotes of codes the decision no longer gives support nothing: they go, and the
            // history row keeps them with the old codes.
            let mut old = old;
            let dropped = drop_orphan_quotes(tx, id, &sorted)?;
            if !dropped.is_empty() {
                old["evidence"] = serde_json::Value::Array(dropped);
            }
            (Change::Updated, id, memo, flagged, Some(old))
        }
        None => {
            let memo = input.memo.clone().unwrap_or_default();
            let flagged = input.flagged.unwrap_or(false);
            tx.prepare_cached(
                "INSERT INTO decision (rater_id, unit_id, dimension, snapshot_id, memo, flagged, coded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![rater_id, unit_id, dim.id, snapshot, memo, flagged as i64, at])?;
            (Change::Created, tx.last_insert_rowid(), memo, flagged, None)
        }
    };
    let mut put = tx.prepare_cached(
        "INSERT INTO decision_code (decision_id, dimension, code) VALUES (?1, ?2, ?3)",
    )?;
    for code in &sorted {
        put.execute(params![decision_id, dim.id, code])?;
    }
    if matches!(change, Change::Created) {
        crate::jobs::on_first_decision(tx, crate::jobs::project_of_unit(tx, unit_id)?)?;
    }
    // Once shown a suggestion, every later change of the decision was made having seen it.
    let shown: String = tx
        .prepare_cached("SELECT machines FROM suggestion_shown WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3")?
        .query_row(params![rater_id, unit_id, dim.id], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let suggested_by = union_of(&before, &shown);
    if suggested_by != before {
        tx.prepare_cached("UPDATE decision SET suggested_by = ?2 WHERE id = ?1")?
            .execute(params![decision_id, suggested_by])?;
    }
    let mut new = serde_json::json!({ "codes": sorted, "memo": memo, "flagged": flagged });
    if !suggested_by.is_empty() {
        new["suggested_by"] = serde_json::Value::String(suggested_by.clone());
    }
    crate::history::record(
        tx,
        &rater,
        "decision.set",
        &subject,
        old.as_ref(),
        Some(&new),
    )?;
    Ok((
        change,
        Decision {
            rater,
            unit: unit.name,
            dimension: dim.id.clone(),
            codes: sorted,
            memo,
            flagged,
            coded_at: at.to_string(),
            suggested_by: names_of(&suggested_by),
        },
    ))
}

/// The names of a comma-separated list as stored in `suggested_by` and `suggestion_shown`.
pub(crate) fn names_of(list: &str) -> Vec<String> {
    let mut v: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Two comma-separated name lists as one, sorted, without repeats.
pub(crate) fn union_of(a: &str, b: &str) -> String {
    names_of(&format!("{a},{b}")).join(",")
}
