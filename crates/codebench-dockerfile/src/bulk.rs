//! Bulk analysis: many Dockerfiles read from disk, analysed over the cores, written as NDJSON
//! (one compact JSON object per file per line, in input order) while the run goes on.
//!
//! Invariants:
//! - **Order**: line *n* of the output is the *n*-th path of the input, whatever the number of
//!   threads (work is cut into numbered batches; a batch is written once all before it are).
//! - **Bounded memory**: at most [`BulkOptions::max_in_flight`] batches of
//!   [`BulkOptions::batch_files`] paths are read, analysed or waiting to be written at any
//!   time, however long the list; files are read into one reused buffer per thread, or mapped.
//! - **One line per path**: a file that is missing, unreadable, a directory, or changes while
//!   being read gets an error record (`{"path":…,"error":…}`) and the run goes on.
//! - **Closed output**: when the reader goes away (`| head -1`: `BrokenPipe`) the run stops
//!   quietly with [`BulkSummary::output_closed`]; any other write error is a [`BulkError`].
//!
//! ```no_run
//! use codebench_dockerfile::bulk::{analyze_stream, paths_from_lines, BulkOptions};
//! let list = std::io::stdin().lock();
//! let out = std::io::stdout().lock();
//! let summary = analyze_stream(paths_from_lines(list), out, &BulkOptions::default())?;
//! eprintln!("{} files, {} could not be read", summary.files, summary.unreadable);
//! # Ok::<(), codebench_dockerfile::bulk::BulkError>(())
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::{File, Metadata};
use std::io::{self, BufRead, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::SystemTime;

use crate::analysis::{analyze_with, too_large, Analysis};
use crate::base_types::BaseImageTypes;
use crate::record::Record;
use crate::source::MAX_BYTES;

/// What each line holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// A [`Record`]: the per-file figures without per-instruction detail, defaults left out
    /// (smaller than the Dockerfiles on real corpora).
    #[default]
    Summary,
    /// The whole [`Analysis`] as `--format json` writes it (same fields, instructions
    /// included), compact, one per line: about four times the input.
    Full,
}

/// How a bulk run reads, analyses and writes.
#[derive(Debug, Clone)]
pub struct BulkOptions<'a> {
    /// What each line holds.
    pub detail: Detail,
    /// Analysis threads; 0 means rayon's default (`RAYON_NUM_THREADS`, else one per core).
    pub threads: usize,
    /// Regular files of at least this many bytes are memory-mapped instead of read (default
    /// 1 MiB; `u64::MAX` never maps). See [`analyze_stream`] on mapped files that shrink.
    pub mmap_threshold: u64,
    /// Paths per unit of work (default 64; 0 is taken as 1).
    pub batch_files: usize,
    /// Batches read, analysed or waiting to be written at once; 0 means four per thread.
    pub max_in_flight: usize,
    /// The base-image type table (the shipped one by default).
    pub types: &'a BaseImageTypes,
}

impl Default for BulkOptions<'static> {
    fn default() -> Self {
        BulkOptions {
            detail: Detail::Summary,
            threads: 0,
            mmap_threshold: 1 << 20,
            batch_files: 64,
            max_in_flight: 0,
            types: BaseImageTypes::shipped(),
        }
    }
}

/// What a run did, counted over the lines written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkSummary {
    /// Lines written (one per path).
    pub files: u64,
    /// Of those, files analysed (the rest are error records).
    pub analysed: u64,
    /// Error records: files missing, unreadable, or changed while read.
    pub unreadable: u64,
    /// Analysed files with at least one parse error (in their `errors`).
    pub with_errors: u64,
    /// Bytes of the analysed files.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// The output was closed by its reader (`BrokenPipe`), so the run stopped early; not an
    /// error (a CLI exits 0, as `head` expects).
    pub output_closed: bool,
}

/// Why a bulk run failed. Lines written before the failure stay written.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// Writing the output failed (other than the reader closing it).
    #[error("writing the output: {0}")]
    Write(#[source] io::Error),
    /// Reading the list of paths failed.
    #[error("reading the list of paths: {0}")]
    List(#[source] io::Error),
    /// The analysis threads could not be started.
    #[error("starting {threads} analysis threads: {message}")]
    Threads {
        /// Threads asked for (0: the default).
        threads: usize,
        /// The thread pool's error.
        message: String,
    },
}

/// The paths of a list, one per line (`\n` or `\r\n`); empty lines are skipped, nothing else is
/// trimmed. On Unix a path may hold any bytes but NUL and newline; elsewhere a line that is
/// not UTF-8 is an `InvalidData` error.
pub fn paths_from_lines<R: BufRead>(reader: R) -> impl Iterator<Item = io::Result<PathBuf>> {
    reader.split(b'\n').filter_map(|line| match line {
        Err(e) => Some(Err(e)),
        Ok(mut bytes) => {
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            (!bytes.is_empty()).then(|| bytes_to_path(bytes))
        }
    })
}

#[cfg(unix)]
fn bytes_to_path(bytes: Vec<u8>) -> io::Result<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn bytes_to_path(bytes: Vec<u8>) -> io::Result<PathBuf> {
    String::from_utf8(bytes)
        .map(PathBuf::from)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Analyses every path of `paths` and writes one NDJSON line per path to `out`, in input
/// order, as results come (see the module documentation for the guarantees).
///
/// `paths` yields `io::Result` so that a list read from a file or stdin ([`paths_from_lines`])
/// can report a read error; it is consumed on the calling thread, a batch at a time, so a list
/// far past the argument limit is never held whole. `out` is written on the calling thread in
/// large chunks (one per batch); wrap it in nothing, or pass a locked stdout.
///
/// Files are opened and checked with `fstat` first: one over [`MAX_BYTES`] is reported as
/// `analyze` would (an error in its analysis) without being read. Mapped files
/// ([`BulkOptions::mmap_threshold`]) are never copied; as with any memory map, a file truncated
/// by another process *while it is mapped* can stop the process with `SIGBUS`, so the default
/// threshold keeps mapping to unusually large files (a raised threshold avoids it entirely).
pub fn analyze_stream<I, W>(
    paths: I,
    mut out: W,
    opts: &BulkOptions<'_>,
) -> Result<BulkSummary, BulkError>
where
    I: IntoIterator<Item = io::Result<PathBuf>>,
    W: Write,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .thread_name(|i| format!("dockerfile-{i}"))
        .build()
        .map_err(|e| BulkError::Threads {
            threads: opts.threads,
            message: e.to_string(),
        })?;
    let window = match opts.max_in_flight {
        0 => pool.current_num_threads().saturating_mul(4).max(1),
        n => n,
    } as u64;
    let batch_files = opts.batch_files.max(1);
    let cancel = AtomicBool::new(false);
    let mut summary = BulkSummary::default();
    let mut failure: Option<BulkError> = None;

    pool.in_place_scope_fifo(|scope| {
        let (tx, rx) = mpsc::channel::<(u64, Batch)>();
        let mut paths = paths.into_iter();
        let mut list_done = false;
        // Batches are numbered as they start and written in that order; every batch between
        // `next_write` and `next_batch` is running or done and waiting in `ready`, and there are
        // never more than `window` of them.
        let mut next_batch = 0u64;
        let mut next_write = 0u64;
        let mut ready: BTreeMap<u64, Batch> = BTreeMap::new();
        loop {
            while !list_done && next_batch - next_write < window && !cancel.load(Ordering::Relaxed)
            {
                let mut items = Vec::with_capacity(batch_files);
                while items.len() < batch_files {
                    match paths.next() {
                        Some(Ok(p)) => items.push(p),
                        Some(Err(e)) => {
                            failure.get_or_insert(BulkError::List(e));
                            list_done = true;
                            break;
                        }
                        None => {
                            list_done = true;
                            break;
                        }
                    }
                }
                if items.is_empty() {
                    break;
                }
                let tx = tx.clone();
                let seq = next_batch;
                next_batch += 1;
                let cancel = &cancel;
                scope.spawn_fifo(move |_| {
                    let batch = run_batch(&items, opts, cancel);
                    // The receiver outlives every task (it waits for all of them below).
                    let _ = tx.send((seq, batch));
                });
            }
            if next_batch == next_write {
                break;
            }
            // Every task sends exactly once (run_batch catches panics), so this returns.
            let Ok((seq, batch)) = rx.recv() else { break };
            ready.insert(seq, batch);
            while let Some(batch) = ready.remove(&next_write) {
                next_write += 1;
                if cancel.load(Ordering::Relaxed) {
                    continue;
                }
                match out.write_all(&batch.buf) {
                    Ok(()) => summary.add(&batch),
                    Err(e) => {
                        if e.kind() == io::ErrorKind::BrokenPipe {
                            summary.output_closed = true;
                        } else {
                            failure.get_or_insert(BulkError::Write(e));
                        }
                        // Stop starting work; tasks still running see this and finish early.
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
    });
    if !cancel.load(Ordering::Relaxed) {
        if let Err(e) = out.flush() {
            if e.kind() == io::ErrorKind::BrokenPipe {
                summary.output_closed = true;
            } else {
                failure.get_or_insert(BulkError::Write(e));
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

impl BulkSummary {
    fn add(&mut self, b: &Batch) {
        self.files += b.files;
        self.analysed += b.analysed;
        self.unreadable += b.unreadable;
        self.with_errors += b.with_errors;
        self.bytes_in += b.bytes_in;
        self.bytes_out += b.buf.len() as u64;
    }
}

/// The NDJSON lines of one batch and their counts.
#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
    files: u64,
    analysed: u64,
    unreadable: u64,
    with_errors: u64,
    bytes_in: u64,
}

thread_local! {
    /// Each analysis thread's read buffer, reused for every file below the mapping threshold
    /// (so it never grows past that threshold, or [`MAX_BYTES`] for non-regular files).
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn run_batch(items: &[PathBuf], opts: &BulkOptions<'_>, cancel: &AtomicBool) -> Batch {
    let mut batch = Batch {
        buf: Vec::with_capacity(items.len() * 640),
        ..Batch::default()
    };
    for path in items {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let name = path.to_string_lossy().into_owned();
        let result = catch_unwind(AssertUnwindSafe(|| {
            READ_BUF.with(|buf| match buf.try_borrow_mut() {
                Ok(mut buf) => analyze_file(path, &name, opts, &mut buf),
                Err(_) => analyze_file(path, &name, opts, &mut Vec::new()),
            })
        }));
        let outcome = result.unwrap_or_else(|_| {
            Err("internal error: the analysis of this file panicked".to_string())
        });
        batch.files += 1;
        match outcome {
            Ok(a) => {
                batch.analysed += 1;
                batch.bytes_in += a.bytes;
                batch.with_errors += u64::from(!a.errors.is_empty());
                write_line(&mut batch.buf, a, opts.detail);
            }
            Err(message) => {
                batch.unreadable += 1;
                write_record(&mut batch.buf, &Record::failed(name, message));
            }
        }
    }
    batch
}

fn write_line(buf: &mut Vec<u8>, a: Analysis, detail: Detail) {
    match detail {
        Detail::Summary => write_record(buf, &Record::from_analysis(a)),
        Detail::Full => {
            let start = buf.len();
            if serde_json::to_writer(&mut *buf, &a).is_err() {
                // Not reachable (every field serialises); keep one line per path anyway.
                buf.truncate(start);
                write_record(
                    buf,
                    &Record::failed(a.path, "internal error: unserialisable".into()),
                );
                return;
            }
            buf.push(b'\n');
        }
    }
}

fn write_record(buf: &mut Vec<u8>, r: &Record) {
    let start = buf.len();
    if serde_json::to_writer(&mut *buf, r).is_err() {
        // Not reachable (every field serialises); a minimal line keeps the count right.
        buf.truncate(start);
        buf.extend_from_slice(b"{\"error\":\"internal error: unserialisable\"}");
    }
    buf.push(b'\n');
}

/// Size and modification time, to tell whether a file changed while it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(m: &Metadata) -> Stamp {
        Stamp {
            len: m.len(),
            modified: m.modified().ok(),
        }
    }
}

/// Reads (or maps) and analyses one file; `Err` is the message of its error record.
///
/// A read file is checked for a size change (the bytes read against `fstat`); a mapped one,
/// read in place all through its analysis, also for a new modification time afterwards.
fn analyze_file(
    path: &Path,
    name: &str,
    opts: &BulkOptions<'_>,
    buf: &mut Vec<u8>,
) -> Result<Analysis, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if meta.is_dir() {
        return Err("is a directory".to_string());
    }
    let regular = meta.is_file();
    let before = Stamp::of(&meta);
    if regular && before.len > MAX_BYTES as u64 {
        return Ok(too_large(name, before.len));
    }
    if regular && before.len > 0 && before.len >= opts.mmap_threshold {
        // SAFETY: the map is only read, and dropped before this function returns. Another
        // process truncating the file while it is mapped is the one case memmap2 cannot make
        // safe (SIGBUS); see `analyze_stream`. Changes of size or time are detected below.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            // A mapped file is read in place as it is analysed, so a change during the analysis
            // is checked afterwards (size and modification time).
            let a = analyze_with(name, &map, opts.types);
            drop(map);
            unchanged(&file, before, a.bytes)?;
            return Ok(a);
        }
        // Mapping refused (some file systems): read instead.
    }
    if regular {
        read_regular(&file, before.len, buf).map_err(|e| format!("cannot read: {e}"))?;
        if buf.len() as u64 != before.len {
            // Grown or shrunk since the `fstat` above: the bytes read may be a mix.
            return Err(format!(
                "changed while being read (size {} when opened, {} or more read); not analysed",
                before.len,
                buf.len()
            ));
        }
    } else {
        buf.clear();
        (&file)
            .take(MAX_BYTES as u64 + 1)
            .read_to_end(buf)
            .map_err(|e| format!("cannot read: {e}"))?;
        if buf.len() > MAX_BYTES {
            return Err(format!(
                "not a regular file and more than {MAX_BYTES} bytes long; not analysed"
            ));
        }
    }
    Ok(analyze_with(name, buf, opts.types))
}

/// Reads a regular file of `len` bytes (its size when opened) into `buf`, usually with one
/// `read` call: it asks for one byte more than `len`, so a file that grew since shows as longer
/// and a short read at `len` is the end of the file. Ends at `len + 1` bytes at most.
fn read_regular(mut file: &File, len: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    // `len` is at most MAX_BYTES here (checked by the caller), so it fits in usize.
    let len = usize::try_from(len).unwrap_or(MAX_BYTES);
    buf.clear();
    buf.resize(len + 1, 0);
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if filled == len {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(())
}

/// Checks that an open regular file still has the size and time it had when opened, and that
/// `read` bytes (the size seen) match.
fn unchanged(file: &File, before: Stamp, read: u64) -> Result<(), String> {
    let after = file
        .metadata()
        .map(|m| Stamp::of(&m))
        .map_err(|e| format!("cannot stat after reading: {e}"))?;
    if after != before || read != before.len {
        return Err(format!(
            "changed while being read (size {} when opened, {} read, {} after); not analysed",
            before.len, read, after.len
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_changes_while_open_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile");
        std::fs::write(&p, "FROM alpine\n").unwrap();
        let f = File::open(&p).unwrap();
        let before = Stamp::of(&f.metadata().unwrap());
        assert!(unchanged(&f, before, 12).is_ok());
        assert!(unchanged(&f, before, 11).is_err(), "short read");
        std::fs::write(&p, "FROM alpine:3.19\n").unwrap();
        let e = unchanged(&f, before, 12).unwrap_err();
        assert!(e.starts_with("changed while being read"), "{e}");
    }

    #[test]
    fn a_read_shows_a_file_that_grew_or_shrank_since_it_was_opened() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile");
        std::fs::write(&p, "FROM alpine\n").unwrap();
        let f = File::open(&p).unwrap();
        let len = f.metadata().unwrap().len();
        let mut buf = Vec::new();
        read_regular(&f, len, &mut buf).unwrap();
        assert_eq!(buf, b"FROM alpine\n");
        // Grown: one byte more than the size seen at open is read.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"RUN echo hi\n")
            .unwrap();
        let f = File::open(&p).unwrap();
        read_regular(&f, len, &mut buf).unwrap();
        assert_eq!(buf.len() as u64, len + 1);
        // Shrunk.
        std::fs::write(&p, "FROM\n").unwrap();
        let f = File::open(&p).unwrap();
        read_regular(&f, len, &mut buf).unwrap();
        assert_eq!(buf, b"FROM\n");
    }

    #[test]
    fn list_lines() {
        let list = b"a/Dockerfile\r\n\nb c/Dockerfile \n\nlast";
        let got: Vec<PathBuf> = paths_from_lines(&list[..]).map(Result::unwrap).collect();
        assert_eq!(
            got,
            [
                PathBuf::from("a/Dockerfile"),
                PathBuf::from("b c/Dockerfile "),
                PathBuf::from("last")
            ]
        );
    }
}
