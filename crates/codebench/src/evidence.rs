//! Evidence: a passage of a README or Dockerfile that a rater attaches to one code of their
//! decision, so the reason for a code can be read back, reconciled and cited.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::corpus::unit_by_name;
use crate::{Error, Result, Study};

/// Longest quote kept, in characters: evidence is a passage, not a file.
pub const MAX_QUOTE_CHARS: usize = 2000;

/// A quote attached to a code of a decision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
pub struct Evidence {
    /// Stable id, for removal.
    pub id: i64,
    /// The rater.
    pub rater: String,
    /// The unit.
    pub unit: String,
    /// The dimension.
    pub dimension: String,
    /// The code it supports.
    pub code: String,
    /// The file quoted (path inside the repository).
    pub file: String,
    /// The passage.
    pub quote: String,
    /// First line, 1-based, when known.
    pub line_start: Option<i64>,
    /// Last line, when known.
    pub line_end: Option<i64>,
    /// When it was attached.
    pub created_at: String,
}

/// What a rater selected.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct EvidenceInput {
    /// The rater.
    pub rater: String,
    /// The unit.
    pub unit: String,
    /// The dimension.
    pub dimension: String,
    /// The code (id, name or alias) of the rater's decision it supports.
    pub code: String,
    /// The file quoted.
    pub file: String,
    /// The passage.
    pub quote: String,
    /// Lines, when known.
    pub line_start: Option<i64>,
    /// Lines, when known.
    pub line_end: Option<i64>,
}

/// A quote to attach to a decision (what `import codings` reads from the evidence column).
#[derive(Debug, Clone)]
pub(crate) struct Quote {
    pub code: String,
    pub file: String,
    pub quote: String,
    pub line_start: Option<i64>,
    pub line_end: Option<i64>,
}

/// Checks a quote against the rules of [`Study::add_evidence`] (text, lines, the decision has
/// its code, the file is a README or Dockerfile of the unit's project).
fn check_quote(tx: &rusqlite::Connection, decision: i64, q: &Quote) -> Result<()> {
    let quote = q.quote.trim();
    if quote.is_empty() {
        return Err(Error::Invalid("evidence needs a quote".into()));
    }
    if quote.chars().count() > MAX_QUOTE_CHARS {
        return Err(Error::Invalid(format!(
            "a quote is at most {MAX_QUOTE_CHARS} characters"
        )));
    }
    if let (Some(a), Some(b)) = (q.line_start, q.line_end) {
        if a < 1 || b < a {
            return Err(Error::Invalid(format!(
                "lines {a}-{b} are not a range of lines"
            )));
        }
    }
    let has: bool = tx.query_row(
        "SELECT count(*) > 0 FROM decision_code WHERE decision_id = ?1 AND code = ?2",
        params![decision, q.code],
        |r| r.get(0),
    )?;
    if !has {
        return Err(Error::Invalid(format!(
            "the decision does not have code '{}'",
            q.code
        )));
    }
    let known: bool = tx.query_row(
        "SELECT count(*) > 0 FROM file f JOIN snapshot s ON s.id = f.snapshot_id
         JOIN unit u ON u.project_id = s.project_id JOIN decision d ON d.unit_id = u.id
         WHERE d.id = ?1 AND f.path = ?2 AND f.role IN ('readme', 'dockerfile')",
        params![decision, q.file],
        |r| r.get(0),
    )?;
    if !known {
        return Err(Error::Invalid(format!(
            "'{}' is not a README or Dockerfile of the unit's project",
            q.file
        )));
    }
    Ok(())
}

/// Adds a quote to a decision unless the same quote is there; whether it was added. Checked as
/// [`Study::add_evidence`] checks, with a history row.
pub(crate) fn add_quote(
    tx: &rusqlite::Connection,
    decision: i64,
    q: &Quote,
    at: &str,
) -> Result<bool> {
    check_quote(tx, decision, q)?;
    let quote = q.quote.trim();
    let have: bool = tx.query_row(
        "SELECT count(*) > 0 FROM evidence WHERE decision_id = ?1 AND code = ?2 AND file = ?3 AND quote = ?4
         AND line_start IS ?5 AND line_end IS ?6",
        params![decision, q.code, q.file, quote, q.line_start, q.line_end],
        |r| r.get(0),
    )?;
    if have {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO evidence (decision_id, code, file, quote, line_start, line_end, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![decision, q.code, q.file, quote, q.line_start, q.line_end, at],
    )?;
    let (rater, unit, dim): (String, String, String) = tx.query_row(
        "SELECT r.name, u.name, d.dimension FROM decision d JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id WHERE d.id = ?1",
        [decision],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let new = serde_json::json!({ "code": q.code, "file": q.file, "quote": quote, "line_start": q.line_start, "line_end": q.line_end });
    crate::history::record(
        tx,
        &rater,
        "evidence.add",
        &format!("{rater}|{unit}|{dim}"),
        None,
        Some(&new),
    )?;
    Ok(true)
}

impl Study {
    /// Attaches evidence to a code of the rater's current decision on the unit. The file must be
    /// one of the project's README or Dockerfiles.
    pub fn add_evidence(&mut self, input: &EvidenceInput) -> Result<Evidence> {
        let quote = input.quote.trim();
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(&input.dimension)?;
        let code = dim.require_code(&input.code)?.id.clone();
        let dim_id = dim.id.clone();
        self.write(|tx| {
            let (unit_id, unit) = unit_by_name(tx, &input.unit)?;
            let decision: Option<i64> = tx
                .query_row(
                    "SELECT d.id FROM decision d JOIN rater r ON r.id = d.rater_id
                     WHERE r.name = ?1 AND d.unit_id = ?2 AND d.dimension = ?3",
                    params![input.rater, unit_id, dim_id],
                    |r| r.get(0),
                )
                .optional()?;
            let decision = decision.ok_or_else(|| {
                Error::Invalid(format!("{} has no decision on {} for {dim_id} yet; code first, then attach evidence", input.rater, unit.name))
            })?;
            check_quote(
                tx,
                decision,
                &Quote {
                    code: code.clone(),
                    file: input.file.clone(),
                    quote: quote.to_string(),
                    line_start: input.line_start,
                    line_end: input.line_end,
                },
            )
            .map_err(|e| Error::Invalid(format!("{} on {}: {e}", input.rater, unit.name)))?;
            let at = crate::now();
            tx.execute(
                "INSERT INTO evidence (decision_id, code, file, quote, line_start, line_end, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![decision, code, input.file, quote, input.line_start, input.line_end, at],
            )?;
            let id = tx.last_insert_rowid();
            let ev = Evidence {
                id,
                rater: input.rater.clone(),
                unit: unit.name.clone(),
                dimension: dim_id.clone(),
                code: code.clone(),
                file: input.file.clone(),
                quote: quote.to_string(),
                line_start: input.line_start,
                line_end: input.line_end,
                created_at: at,
            };
            crate::history::record(tx, &input.rater, "evidence.add", &format!("{}|{}|{dim_id}", input.rater, unit.name), None, Some(&serde_json::to_value(&ev)?))?;
            Ok(ev)
        })
    }

    /// Removes one piece of evidence (kept in the history).
    pub fn remove_evidence(&mut self, id: i64, by: &str) -> Result<()> {
        let ev = self
            .evidence(None)?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| Error::unknown("evidence", id.to_string()))?;
        self.write(|tx| {
            tx.execute("DELETE FROM evidence WHERE id = ?1", [id])?;
            crate::history::record(
                tx,
                by,
                "evidence.remove",
                &format!("{}|{}|{}", ev.rater, ev.unit, ev.dimension),
                Some(&serde_json::to_value(&ev)?),
                None,
            )
        })
    }

    /// Evidence, of one rater or all, by rater, unit, dimension, code.
    pub fn evidence(&self, rater: Option<&str>) -> Result<Vec<Evidence>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT e.id, r.name, u.name, d.dimension, e.code, e.file, e.quote, e.line_start, e.line_end, e.created_at
             FROM evidence e JOIN decision d ON d.id = e.decision_id JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id
             WHERE ?1 IS NULL OR r.name = ?1
             ORDER BY r.name, u.name, d.dimension, e.code, e.id",
        )?;
        let rows = stmt.query_map([rater], |r| {
            Ok(Evidence {
                id: r.get(0)?,
                rater: r.get(1)?,
                unit: r.get(2)?,
                dimension: r.get(3)?,
                code: r.get(4)?,
                file: r.get(5)?,
                quote: r.get(6)?,
                line_start: r.get(7)?,
                line_end: r.get(8)?,
                created_at: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Evidence {
    /// One line for a table: `path:lines: "quote"`.
    pub fn cite(&self) -> String {
        let lines = match (self.line_start, self.line_end) {
            (Some(a), Some(b)) if a != b => format!(":{a}-{b}"),
            (Some(a), _) => format!(":{a}"),
            _ => String::new(),
        };
        format!(
            "{}{lines}: \"{}\"",
            self.file,
            self.quote.replace('\n', " ")
        )
    }
}
