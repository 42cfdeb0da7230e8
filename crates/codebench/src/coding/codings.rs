//! The import of a codings CSV (`rater,unit,dimension,code[,memo,flagged,coded_at,evidence,
//! suggested_by]`, the shape `export` writes): its rows read and grouped into decisions, then
//! recorded all or nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use super::{set_decision, union_of, Change, DecisionInput};
use crate::rater::{check_rater_name, rater_id_or_add};
use crate::{Error, Result, Study};

impl Study {
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
