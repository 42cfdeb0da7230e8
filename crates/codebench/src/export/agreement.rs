//! `agreement.csv`: the agreement report as `codebench_agreement::to_csv` writes it, formulas
//! neutralised, for the whole study (what `export` writes) or for one report (what
//! `codebench agreement` prints and the Agreement screen's export writes).

use std::path::Path;

use super::files::{write_atomic, Written};
use super::sheet::Sheet;
use crate::{Error, Result, Study};

/// The agreement report of the whole study (every dimension, its raters, default options;
/// never a blind pair, see [`Study::agreement_for`]) as `codebench_agreement::to_csv` writes
/// it, formulas neutralised, machine raters left out when `exclude_machine`. With no dimension
/// that two raters decided: the header only.
pub fn agreement_csv(study: &Study, raw: bool, exclude_machine: bool) -> Result<String> {
    let (report, _) = study.agreement_for(&crate::agreement::Scope {
        exclude_machine,
        ..Default::default()
    })?;
    report_csv(&report, raw)
}

/// An agreement report as `agreement.csv` holds it (`codebench_agreement::to_csv`), formulas
/// neutralised unless `raw`: what `codebench agreement --format csv` prints and
/// [`write_agreement`] writes.
pub fn report_csv(report: &crate::agreement::Report, raw: bool) -> Result<String> {
    let text = crate::agreement::to_csv(report);
    if raw {
        return Ok(text);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut w = Sheet::new(Vec::new(), false);
    for rec in rdr.records() {
        w.row(rec?.iter())?;
    }
    let bytes = w.finish("agreement.csv")?;
    String::from_utf8(bytes).map_err(|e| Error::Invalid(format!("agreement.csv: {e}")))
}

/// Writes an agreement report to `path` as `agreement.csv` holds it (see [`report_csv`]),
/// atomically (a temporary name, flushed, renamed).
pub fn write_agreement(
    report: &crate::agreement::Report,
    path: &Path,
    raw: bool,
) -> Result<Written> {
    let text = report_csv(report, raw)?;
    let rows = csv::Reader::from_reader(text.as_bytes()).records().count();
    write_atomic(path, text.as_bytes(), rows)
}
