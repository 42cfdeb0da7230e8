//! CSV exports. Every table is RFC 4180, UTF-8, with a header row, ISO 8601 times, an empty
//! cell for a missing value and a stable column order. The data dictionary is
//! `exports/README.md`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result, Study};

/// Columns of `codings.csv`, the long table of decisions: one row per code (a decision with no
/// code has one row with an empty `code`). `codebench import codings` reads the same shape.
pub const CODINGS_COLUMNS: [&str; 7] = [
    "rater",
    "unit",
    "dimension",
    "code",
    "memo",
    "flagged",
    "coded_at",
];

/// Writes `codings.csv` to any writer.
pub fn write_codings(study: &Study, out: impl std::io::Write) -> Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(CODINGS_COLUMNS)?;
    for d in study.decisions(None)? {
        let flagged = if d.flagged { "true" } else { "false" };
        let codes: Vec<&str> = if d.codes.is_empty() {
            vec![""]
        } else {
            d.codes.iter().map(String::as_str).collect()
        };
        for code in codes {
            w.write_record([
                d.rater.as_str(),
                &d.unit,
                &d.dimension,
                code,
                &d.memo,
                flagged,
                &d.coded_at,
            ])?;
        }
    }
    w.flush().map_err(|e| Error::io("codings.csv", e))?;
    Ok(())
}

/// One file written by an export.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// Where.
    pub path: PathBuf,
    /// Data rows (not counting the header).
    pub rows: usize,
}

/// Writes every export table into `dir` (created if missing). Each file is written to a
/// temporary name and renamed, so a reader never sees half a table.
pub fn export_all(study: &Study, dir: &Path) -> Result<Vec<Written>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let mut buf = Vec::new();
    write_codings(study, &mut buf)?;
    written.push(write_atomic(&dir.join("codings.csv"), &buf)?);
    Ok(written)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Written> {
    let tmp = path.with_extension("csv.partial");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    let rows = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
        .saturating_sub(1);
    Ok(Written {
        path: path.to_path_buf(),
        rows,
    })
}
