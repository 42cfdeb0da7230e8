//! CSV exports. Every table is RFC 4180, UTF-8, with a header row, ISO 8601 times, an empty
//! cell for a missing value and a stable column order. The data dictionary is
//! `exports/README.md`.

mod agreement;
mod codebook;
mod codings;
mod files;
mod history;
mod images;
mod projects;
mod selection;
mod sheet;
#[cfg(test)]
mod tests;
mod view;

use std::path::Path;

use crate::{Error, Result, Study};

pub use agreement::{agreement_csv, report_csv, write_agreement};
pub use codebook::CODEBOOK_COLUMNS;
pub use codings::{write_codings, CODINGS_COLUMNS, CONSENSUS_COLUMNS, DISTRIBUTIONS_COLUMNS};
pub(crate) use files::write_file_atomic;
pub use files::Written;
pub use history::HISTORY_COLUMNS;
pub use images::{IMAGES_COLUMNS, LAYERS_COLUMNS};
pub(crate) use projects::{dockerfile_columns, dockerfile_rows, projects_rows};
pub use projects::{INSTRUCTION_KEYWORDS, PROJECTS_COLUMNS};
pub use selection::{
    selection_csv, EXCLUDED_COLUMNS, HUB_COLUMNS, HUB_TAGS_COLUMNS, SELECTION_COLUMNS,
};
pub use sheet::{neutralise, unquote};

use codebook::codebook_rows;
use codings::{codings_into, consensus_into, distribution_rows, wide_columns, wide_rows};
use files::write_atomic;
use history::history_rows;
use images::{image_rows, layer_rows};
use sheet::to_csv;
use view::View;

/// How an export is made.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// On whose behalf: other raters' decisions and evidence on blind units are left out
    /// (`None`: everyone's are). See [`crate::rules::Blind`].
    pub viewer: Option<String>,
    /// Write text cells exactly as they are, without neutralising spreadsheet formulas.
    pub raw: bool,
    /// Leave machine raters out: their decisions, evidence, wide columns, distributions and
    /// agreement pairs, and the machine tables (header only). `history.csv` stays the whole record.
    pub exclude_machine: bool,
}

/// Writes every export table into `dir` (created if missing), as `opts.viewer` may see the
/// study. Every table is read inside one read transaction (one moment of the study, even
/// while others write); each file is written to a temporary name, flushed to disk and
/// renamed, so a reader never sees half a table. Returns the files and how many decisions
/// and evidence were left out as blind.
pub fn export_all(
    study: &Study,
    dir: &Path,
    opts: &ExportOptions,
) -> Result<(Vec<Written>, usize)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // A deferred read transaction: in WAL mode every read below sees the snapshot taken at the
    // first one. Nothing is written; dropping it ends it.
    let tx = study.conn().unchecked_transaction()?;
    let view = View::read(study, opts.viewer.as_deref(), opts.exclude_machine)?;
    let raw = opts.raw;
    let mut files: Vec<(&str, Vec<u8>, usize)> = Vec::new();
    let (answer_rows, answers_withheld) = if opts.exclude_machine {
        (Vec::new(), 0)
    } else {
        study.machine_answer_rows(opts.viewer.as_deref())?
    };
    let run_rows = if opts.exclude_machine {
        Vec::new()
    } else {
        study.machine_run_rows()?
    };
    let mut buf = Vec::new();
    codings_into(&view, raw, &mut buf)?;
    let n = csv::Reader::from_reader(buf.as_slice()).records().count();
    files.push(("codings.csv", buf, n));
    for (name, columns, rows) in [
        (
            "projects.csv",
            owned(&PROJECTS_COLUMNS),
            projects_rows(study)?,
        ),
        (
            "dockerfiles.csv",
            owned(&dockerfile_columns()),
            dockerfile_rows(study)?,
        ),
        (
            "codebook.csv",
            owned(&CODEBOOK_COLUMNS),
            codebook_rows(study)?,
        ),
        ("codings_wide.csv", wide_columns(&view), wide_rows(&view)),
        (
            "distributions.csv",
            owned(&DISTRIBUTIONS_COLUMNS),
            distribution_rows(study, &view)?,
        ),
        (
            "history.csv",
            owned(&HISTORY_COLUMNS),
            history_rows(study, &view)?,
        ),
        ("images.csv", owned(&IMAGES_COLUMNS), image_rows(study)?),
        ("layers.csv", owned(&LAYERS_COLUMNS), layer_rows(study)?),
        (
            "selection.csv",
            owned(&SELECTION_COLUMNS),
            study.selection_rows()?,
        ),
        (
            "excluded.csv",
            owned(&EXCLUDED_COLUMNS),
            study.excluded_rows()?,
        ),
        ("hub.csv", owned(&HUB_COLUMNS), study.hub_rows()?),
        (
            "hub_tags.csv",
            owned(&HUB_TAGS_COLUMNS),
            study.hub_tag_rows()?,
        ),
        (
            "machine_runs.csv",
            owned(&crate::machine::MACHINE_RUNS_COLUMNS),
            run_rows,
        ),
        (
            "machine_answers.csv",
            owned(&crate::machine::MACHINE_ANSWERS_COLUMNS),
            answer_rows,
        ),
    ] {
        let n = rows.len();
        files.push((name, to_csv(&columns, &rows, raw)?, n));
    }
    let mut buf = Vec::new();
    consensus_into(study, raw, &mut buf)?;
    let n = csv::Reader::from_reader(buf.as_slice()).records().count();
    files.push(("consensus.csv", buf, n));
    let agreement = agreement_csv(study, raw, opts.exclude_machine)?;
    let n = csv::Reader::from_reader(agreement.as_bytes())
        .records()
        .count();
    files.push(("agreement.csv", agreement.into_bytes(), n));
    drop(tx);
    let mut written = Vec::new();
    for (name, bytes, rows) in files {
        written.push(write_atomic(&dir.join(name), &bytes, rows)?);
    }
    Ok((written, view.withheld + answers_withheld))
}

fn owned(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| c.to_string()).collect()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}
