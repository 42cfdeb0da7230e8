//! How an export's files reach the disk: each is written to a temporary name beside it, flushed
//! and renamed, so a reader sees the old file or the whole new one; [`Written`] says what was
//! written. Other writers of the crate (the QDPX export, the codebook export) use the same.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result};

/// One file written by an export.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Written {
    /// Where.
    pub path: PathBuf,
    /// Data rows (not counting the header).
    pub rows: usize,
}

pub(super) fn write_atomic(path: &Path, bytes: &[u8], rows: usize) -> Result<Written> {
    write_file_atomic(path, bytes)?;
    Ok(Written {
        path: path.to_path_buf(),
        rows,
    })
}

/// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, and a
/// crash leaves one of the two: a temporary file beside it is written, flushed to disk
/// (fsync), renamed over `path`, and the folder is flushed so the rename is durable too.
pub(crate) fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Flushing a folder is how POSIX makes a rename durable; where a platform cannot
        // open a folder (Windows) the rename is already durable once it returns.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
