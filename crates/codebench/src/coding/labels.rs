//! The import of one column of labels from any CSV (a published study's spreadsheet, say) as
//! one rater's decisions.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::{set_decision, Change, DecisionInput};
use crate::rater::{check_rater_name, rater_id_or_add};
use crate::{Error, Result, Study};

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
