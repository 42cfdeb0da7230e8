//! Opening the other copy of a merge: read-only, after checking it is a study file (an older
//! schema is upgraded in a temporary copy beside this study, never in place), and refused when
//! damaged (SQLite's quick check, foreign keys) before anything of it is read.

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::rows;
use crate::{Error, Result, Study};

/// A folder for a temporary, upgraded copy of an older other copy, beside this study (the same
/// file system, and removed when dropped).
pub(super) fn tempdir_for(study: &Path) -> Result<tempfile::TempDir> {
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
pub(super) fn open_other(path: &Path, scratch: &tempfile::TempDir) -> Result<Connection> {
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
pub(super) fn check_sound(c: &Connection, oname: &str) -> Result<()> {
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
