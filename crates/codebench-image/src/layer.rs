//! Streaming analysis of one layer blob: verify its digest, decompress (gzip, zstd or none), walk
//! the tar headers and count, never storing file contents or extracting anything.
//!
//! Memory is bounded by fixed buffers (≈1 MiB plus the decompressor's window; at most six more
//! 256 KiB chunks when hashing is pipelined, see [`Hashing`]) and by a compact path index of ~32
//! bytes per entry, which the image-level merge needs.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use serde::{Deserialize, Serialize};

use crate::digest::{HashingReader, Oversized};
use crate::error::ImageError;
use crate::tarstream::{EntryKind, Streamed, TarErrorKind, TarReader};

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// Zstandard.
    Zstd,
    /// A plain tar.
    None,
}

/// Maps a layer media type to its compression; `Err` for media types that are not layers.
pub fn compression_of_media_type(media_type: &str) -> Result<Compression, ImageError> {
    let c = match media_type {
        "application/vnd.oci.image.layer.v1.tar+gzip"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        | "application/vnd.docker.image.rootfs.diff.tar.gzip"
        | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => Compression::Gzip,
        "application/vnd.oci.image.layer.v1.tar+zstd"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
        | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Compression::Zstd,
        "application/vnd.oci.image.layer.v1.tar"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar"
        | "application/vnd.docker.image.rootfs.diff.tar"
        | "application/vnd.docker.image.rootfs.foreign.diff.tar" => Compression::None,
        other => {
            return Err(ImageError::MediaType {
                what: "layer".into(),
                reason: format!("unknown layer media type {other:?}"),
            })
        }
    };
    Ok(c)
}

/// Limits that protect the analysis from hostile or absurd content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    /// Most uncompressed bytes one layer may expand to (gzip bombs).
    pub max_layer_uncompressed_bytes: u64,
    /// Most uncompressed/compressed ratio, checked once `ratio_check_after_bytes` are out.
    pub max_compression_ratio: f64,
    /// Uncompressed bytes after which the ratio limit applies.
    pub ratio_check_after_bytes: u64,
    /// Most bytes one tar entry may declare.
    pub max_entry_bytes: u64,
    /// Most tar entries in one layer (the path index costs ~32 bytes per entry).
    pub max_layer_entries: u64,
    /// Largest zstd window accepted, as a power of two (25 = 32 MiB), to bound memory.
    pub zstd_window_log_max: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_uncompressed_bytes: 64 << 30,
            max_compression_ratio: 1100.0,
            ratio_check_after_bytes: 1 << 30,
            max_entry_bytes: 32 << 30,
            max_layer_entries: 1_000_000,
            zstd_window_log_max: 25,
        }
    }
}

/// One extension's share of a layer's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionStat {
    /// Lowercase extension without the dot; empty for files without one; `(other)` collects
    /// extensions past the 10,000th distinct one.
    pub extension: String,
    /// Regular files with this extension.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// A file and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSize {
    /// Normalised path (no leading `/` or `./`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

/// Metrics of one layer; definitions follow the 2022 study where it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerMetrics {
    /// The blob digest (`sha256:…`), verified.
    pub digest: String,
    /// Media type from the manifest (empty for docker-save archives, which have none).
    pub media_type: String,
    /// Detected compression.
    pub compression: Compression,
    /// Blob size in bytes.
    pub compressed_bytes: u64,
    /// Size of the tar stream after decompression.
    pub uncompressed_bytes: u64,
    /// `uncompressed_bytes / compressed_bytes` (0 for an empty blob).
    pub compression_ratio: f64,
    /// Every tar entry except the root directory (`./`), whiteouts included.
    pub entries: u64,
    /// Regular files (whiteout markers excluded).
    pub files: u64,
    /// Directories.
    pub directories: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Hard links.
    pub hard_links: u64,
    /// Devices, FIFOs and other special entries.
    pub other_entries: u64,
    /// Whiteout markers `.wh.<name>` (opaque ones not included).
    pub whiteouts: u64,
    /// Opaque whiteout markers `.wh..wh..opq`.
    pub opaque_whiteouts: u64,
    /// Deepest directory level over non-whiteout entries; level = path components − 1.
    pub max_directory_level: u32,
    /// Median directory level over non-whiteout entries (mean of the middle two when even).
    pub median_directory_level: f64,
    /// Bytes of regular files.
    pub file_bytes: u64,
    /// Median regular-file size (mean of the middle two when even; 0 without files).
    pub file_size_median: f64,
    /// 90th percentile of regular-file sizes, linear interpolation (numpy's default).
    pub file_size_p90: f64,
    /// Largest regular file.
    pub file_size_max: u64,
    /// Files and bytes per extension, most bytes first (ties by extension).
    pub extensions: Vec<ExtensionStat>,
    /// The ten largest regular files, largest first (ties by path).
    pub largest_files: Vec<FileSize>,
}

/// What a path index record stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum PathKind {
    /// Regular file.
    File = 0,
    /// Directory entry in the tar.
    Directory = 1,
    /// Symbolic link.
    Symlink = 2,
    /// Hard link.
    HardLink = 3,
    /// Device, FIFO, other.
    Other = 4,
    /// `.wh.<name>`: removes `<name>` of lower layers; the record's path is the removed one.
    Whiteout = 5,
    /// `.wh..wh..opq`: hides lower layers' contents of the record's directory.
    Opaque = 6,
    /// A parent directory implied by an entry's path but absent from the tar.
    ImpliedDirectory = 7,
}

impl PathKind {
    fn from_u8(b: u8) -> Option<PathKind> {
        Some(match b {
            0 => PathKind::File,
            1 => PathKind::Directory,
            2 => PathKind::Symlink,
            3 => PathKind::HardLink,
            4 => PathKind::Other,
            5 => PathKind::Whiteout,
            6 => PathKind::Opaque,
            7 => PathKind::ImpliedDirectory,
            _ => return None,
        })
    }

    /// True for directories, listed or implied.
    pub fn is_dir(self) -> bool {
        matches!(self, PathKind::Directory | PathKind::ImpliedDirectory)
    }
}

/// One path of a layer, by hash: enough to merge layers into the image filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRecord {
    /// FNV-1a 64 of the normalised path.
    pub hash: u64,
    /// FNV-1a 64 of its parent directory's path (`""` for top-level entries).
    pub parent: u64,
    /// Regular-file size (0 for everything else).
    pub size: u64,
    /// Directory level (path components − 1).
    pub level: u32,
    /// What it is.
    pub kind: PathKind,
}

/// A layer's paths in tar order, hashed; the part of a cached layer that image merging needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathIndex {
    /// The records, in tar order.
    pub records: Vec<PathRecord>,
}

const RECORD_BYTES: usize = 29;

impl PathIndex {
    /// A compact binary form (29 bytes per record, little endian) for storage as a blob.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.records.len() * RECORD_BYTES);
        out.extend_from_slice(b"CBP1");
        for r in &self.records {
            out.extend_from_slice(&r.hash.to_le_bytes());
            out.extend_from_slice(&r.parent.to_le_bytes());
            out.extend_from_slice(&r.size.to_le_bytes());
            out.extend_from_slice(&r.level.to_le_bytes());
            out.push(r.kind as u8);
        }
        out
    }

    /// Reads the form written by [`PathIndex::to_bytes`].
    pub fn from_bytes(data: &[u8]) -> Result<PathIndex, ImageError> {
        let bad = |reason: String| ImageError::Parse {
            what: "path index".into(),
            reason,
        };
        let body = data
            .strip_prefix(b"CBP1")
            .ok_or_else(|| bad("missing CBP1 header".into()))?;
        if body.len() % RECORD_BYTES != 0 {
            return Err(bad(format!(
                "length {} is not a whole number of records",
                data.len()
            )));
        }
        let mut records = Vec::with_capacity(body.len() / RECORD_BYTES);
        for (i, c) in body.chunks_exact(RECORD_BYTES).enumerate() {
            let u = |r: std::ops::Range<usize>| u64::from_le_bytes(c[r].try_into().unwrap());
            records.push(PathRecord {
                hash: u(0..8),
                parent: u(8..16),
                size: u(16..24),
                level: u32::from_le_bytes(c[24..28].try_into().unwrap()),
                kind: PathKind::from_u8(c[28])
                    .ok_or_else(|| bad(format!("record {i}: unknown kind {}", c[28])))?,
            });
        }
        Ok(PathIndex { records })
    }
}

/// A layer's metrics together with its path index: what the cache stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerAnalysis {
    /// The metrics.
    pub metrics: LayerMetrics,
    /// The hashed paths, for merging into the image filesystem.
    pub paths: PathIndex,
}

/// FNV-1a, 64 bit: a stable hash for paths (stable across versions, so cached indexes stay valid).
pub fn path_hash(path: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in path.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Normalises a tar path: drops leading `/` and `./`, `.` components and trailing `/`.
/// `Ok(None)` for the root itself; `Err` for paths with `..` components.
pub fn normalize_path(raw: &str) -> Result<Option<String>, String> {
    let mut out = String::with_capacity(raw.len());
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "entry name {raw:?} climbs out of the layer with '..'"
                ))
            }
            c => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(c);
            }
        }
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

/// The extension used for per-extension counts: lowercase text after the last dot of the file
/// name, when the name does not start with that dot and the extension has 1–16 characters.
pub fn extension_of(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 && i + 1 < name.len() && name.len() - i - 1 <= 16 => {
            name[i + 1..].to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

/// Describes the blob being analysed.
#[derive(Debug, Clone, Default)]
pub struct LayerInput {
    /// Expected digest; the content is verified against it when set.
    pub digest: Option<String>,
    /// Media type from the manifest; `None` sniffs the compression from the content.
    pub media_type: Option<String>,
    /// Declared size; reading more is an error, reading less is a truncation.
    pub size: Option<u64>,
}

/// Where a layer's sha256 is computed while it streams.
///
/// Hashing the compressed blob costs about a sixth of gzip decompression. On the decoding thread
/// that time adds to the layer's wall time; on a second thread it overlaps with decompression
/// but needs a core of its own to pay off. So: pipelined for a lone layer on a multi-core
/// machine, inline when every core already decodes a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hashing {
    /// Pipelined when each layer running at once can have two cores, else inline.
    #[default]
    Auto,
    /// Read and hash on the calling thread, handing bounded chunks to a decoding thread.
    Pipelined,
    /// Read, hash, decompress and walk on the calling thread.
    Inline,
}

impl Hashing {
    /// Resolves [`Hashing::Auto`] for `concurrent` layers analysed at the same time, from the
    /// machine's available parallelism; the other values are returned as they are.
    pub fn resolve(self, concurrent: usize) -> Hashing {
        match self {
            Hashing::Auto => {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                if cores >= 2 * concurrent.max(1) {
                    Hashing::Pipelined
                } else {
                    Hashing::Inline
                }
            }
            other => other,
        }
    }
}

/// Size of the read buffers (compressed side) in both arrangements.
const CHUNK_BYTES: usize = 256 * 1024;
/// Filled chunks that may wait for the decoder in the pipelined arrangement; with the one being
/// decoded, the one being filled and returned ones, at most `PIPE_DEPTH + 2` chunks exist.
const PIPE_DEPTH: usize = 4;

/// The decoder's end of the pipeline: filled chunks in, emptied chunks back for reuse. A read
/// error of the blob travels as a message, so it is classified exactly as when inline.
struct PipeReader {
    full: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    ended: bool,
    count: Rc<Cell<u64>>,
}

impl BufRead for PipeReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len() && !self.ended {
            match self.full.recv() {
                Ok(Ok(chunk)) => {
                    let done = std::mem::replace(&mut self.current, chunk);
                    // The pool is bounded: a chunk the producer has no room for is freed.
                    let _ = self.empty.try_send(done);
                    self.pos = 0;
                    self.count.set(self.count.get() + self.current.len() as u64);
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                // The producer hung up: end of the blob.
                Err(_) => self.ended = true,
            }
        }
        Ok(&self.current[self.pos.min(self.current.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.current.len());
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Fills `buf` from `hr` (hashing it) until full or the end of the blob; a read error comes back
/// with the bytes read before it.
fn fill_chunk<R: Read>(hr: &mut HashingReader<R>, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match hr.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

/// The pipelined arrangement: this thread reads and hashes the blob into a small pool of reused
/// chunks; a scoped thread decompresses and walks them. Stops reading as soon as the decoder
/// stops (error or limit), like the inline arrangement.
fn pipelined<R: Read>(
    hr: &mut HashingReader<R>,
    head: &[u8],
    compression: Compression,
    name: &str,
    limits: &Limits,
) -> Result<(Accumulator, u64), Failure> {
    let (full_tx, full_rx) = sync_channel::<io::Result<Vec<u8>>>(PIPE_DEPTH);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(PIPE_DEPTH + 2);
    std::thread::scope(|s| {
        let decoder = s.spawn(move || {
            let count = Rc::new(Cell::new(0));
            let mut pipe = PipeReader {
                full: full_rx,
                empty: empty_tx,
                current: Vec::new(),
                pos: 0,
                ended: false,
                count: count.clone(),
            };
            let (acc, uncompressed) = decode_and_walk(&mut pipe, compression, count, name, limits)?;
            // The decoders read their input to its end; drain anyway so that a read error of the
            // blob can never go unreported.
            loop {
                let n = match pipe.fill_buf() {
                    Ok(b) => b.len(),
                    Err(err) => {
                        return Err(Failure::Stream {
                            err,
                            offset: uncompressed,
                        })
                    }
                };
                if n == 0 {
                    break;
                }
                pipe.consume(n);
            }
            Ok((acc, uncompressed))
        });
        let mut first = true;
        loop {
            let mut buf = empty_rx
                .try_recv()
                .unwrap_or_else(|_| vec![0u8; CHUNK_BYTES]);
            buf.resize(CHUNK_BYTES, 0);
            let start = if std::mem::take(&mut first) {
                buf[..head.len()].copy_from_slice(head);
                head.len()
            } else {
                0
            };
            let (n, err) = fill_chunk(hr, &mut buf[start..]);
            buf.truncate(start + n);
            if !buf.is_empty() && full_tx.send(Ok(buf)).is_err() {
                break; // the decoder stopped
            }
            if let Some(e) = err {
                let _ = full_tx.send(Err(e));
                break;
            }
            if n == 0 {
                break; // end of the blob
            }
        }
        drop(full_tx);
        decoder
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Marker for a failed transfer inside a blob stream (the network, not the content).
#[derive(Debug)]
pub struct TransferError(pub String);

impl std::fmt::Display for TransferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transfer failed: {}", self.0)
    }
}

impl std::error::Error for TransferError {}

/// Counts compressed bytes as they are read, for the ratio limit.
struct CountIn<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

#[derive(Debug)]
struct BombError(String);

impl std::fmt::Display for BombError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BombError {}

/// Counts uncompressed bytes and stops gzip/zstd bombs.
struct CountOut<R> {
    inner: R,
    count: u64,
    compressed: Rc<Cell<u64>>,
    limits: Limits,
}

impl<R: Read> Read for CountOut<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limits.max_layer_uncompressed_bytes {
            return Err(io::Error::other(BombError(format!(
                "decompresses to more than {} bytes (gzip bomb?)",
                self.limits.max_layer_uncompressed_bytes
            ))));
        }
        if self.count > self.limits.ratio_check_after_bytes {
            let c = self.compressed.get().max(1) as f64;
            if self.count as f64 / c > self.limits.max_compression_ratio {
                return Err(io::Error::other(BombError(format!(
                    "compression ratio over {} after {} bytes (gzip bomb?)",
                    self.limits.max_compression_ratio, self.count
                ))));
            }
        }
        Ok(n)
    }
}

fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Analyses one layer blob read from `reader`, hashing on a second thread when the machine has a
/// spare core ([`Hashing::Auto`]).
///
/// The blob is hashed as it streams and checked against `input.digest`; the compression comes
/// from the media type (and must match the content) or is sniffed.
pub fn analyze_layer<R: Read>(
    reader: R,
    input: &LayerInput,
    limits: &Limits,
) -> Result<LayerAnalysis, ImageError> {
    analyze_layer_with(reader, input, limits, Hashing::Auto)
}

/// [`analyze_layer`] with the hashing arrangement chosen by the caller (see [`Hashing`]); the
/// result, digest check and errors are the same in every arrangement.
pub fn analyze_layer_with<R: Read>(
    reader: R,
    input: &LayerInput,
    limits: &Limits,
    hashing: Hashing,
) -> Result<LayerAnalysis, ImageError> {
    let name = input.digest.clone().unwrap_or_else(|| "(layer)".into());
    let declared = match &input.media_type {
        Some(mt) => Some(
            compression_of_media_type(mt).map_err(|_| ImageError::MediaType {
                what: format!("layer {name}"),
                reason: format!("unknown layer media type {mt:?}"),
            })?,
        ),
        None => None,
    };
    let mut hr = HashingReader::new(reader, input.size);
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match hr.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(stream_error(&name, input, hr.count(), e, 0)),
        }
    }
    let sniffed = sniff(&head[..got]);
    let compression = match declared {
        Some(d) if d != sniffed && got > 0 => {
            return Err(ImageError::MediaType {
                what: format!("layer {name}"),
                reason: format!(
                    "media type {:?} says {d:?} but the content is {sniffed:?}",
                    input.media_type.as_deref().unwrap_or("")
                ),
            })
        }
        Some(d) => d,
        None => sniffed,
    };
    let result = match hashing.resolve(1) {
        Hashing::Pipelined => pipelined(&mut hr, &head[..got], compression, &name, limits),
        _ => {
            let compressed = Rc::new(Cell::new(got as u64));
            let src = Cursor::new(&head[..got]).chain(CountIn {
                inner: &mut hr,
                count: compressed.clone(),
            });
            let buffered = BufReader::with_capacity(CHUNK_BYTES, src);
            decode_and_walk(buffered, compression, compressed, &name, limits)
        }
    };
    let analysis = match result {
        Ok(a) => a,
        Err(Failure::Setup(e)) => return Err(e),
        Err(Failure::Limit(reason)) => {
            return Err(ImageError::Limit {
                digest: name,
                reason,
            })
        }
        Err(Failure::Stream { err, offset }) => {
            let count = hr.count();
            return Err(stream_error(&name, input, count, err, offset));
        }
        Err(Failure::Content { reason, offset }) => {
            // Corrupt content usually means the blob is not what its digest names: say so.
            if let Some(expected) = &input.digest {
                if let Ok((actual, _)) = hr.finish() {
                    if &actual != expected {
                        return Err(ImageError::DigestMismatch {
                            what: format!("layer {name}"),
                            expected: expected.clone(),
                            actual,
                        });
                    }
                }
            }
            return Err(ImageError::Archive {
                digest: name,
                offset,
                reason,
            });
        }
    };
    let (entries_acc, uncompressed) = analysis;
    let (actual, total) = hr
        .finish()
        .map_err(|e| stream_error(&name, input, 0, e, uncompressed))?;
    if let Some(size) = input.size {
        if total < size {
            return Err(ImageError::Truncated {
                digest: name,
                got: total,
                expected: size,
            });
        }
    }
    if let Some(expected) = &input.digest {
        if &actual != expected {
            return Err(ImageError::DigestMismatch {
                what: format!("layer {name}"),
                expected: expected.clone(),
                actual,
            });
        }
    }
    let media_type = input.media_type.clone().unwrap_or_default();
    Ok(entries_acc.finish(actual, media_type, compression, total, uncompressed))
}

/// Classifies an I/O error raised while reading the blob.
fn stream_error(name: &str, input: &LayerInput, got: u64, e: io::Error, offset: u64) -> ImageError {
    if let Some(inner) = e.get_ref() {
        if let Some(t) = inner.downcast_ref::<TransferError>() {
            return ImageError::Connection {
                url: name.to_string(),
                reason: t.0.clone(),
            };
        }
        if let Some(o) = inner.downcast_ref::<Oversized>() {
            return ImageError::SizeMismatch {
                digest: name.to_string(),
                expected: o.declared,
                actual: got,
            };
        }
    }
    match input.size {
        Some(size) if got < size => ImageError::Truncated {
            digest: name.to_string(),
            got,
            expected: size,
        },
        _ => ImageError::Archive {
            digest: name.to_string(),
            offset,
            reason: e.to_string(),
        },
    }
}

enum Failure {
    Setup(ImageError),
    Limit(String),
    Stream { err: io::Error, offset: u64 },
    Content { reason: String, offset: u64 },
}

fn classify(e: io::Error, offset: u64) -> Failure {
    if let Some(inner) = e.get_ref() {
        if let Some(b) = inner.downcast_ref::<BombError>() {
            return Failure::Limit(b.0.clone());
        }
        if inner.is::<TransferError>() || inner.is::<Oversized>() {
            return Failure::Stream { err: e, offset };
        }
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Failure::Stream { err: e, offset },
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
            Failure::Content {
                reason: format!("decompression failed: {e}"),
                offset,
            }
        }
        _ => Failure::Stream { err: e, offset },
    }
}

/// Decompresses `buffered` and walks the tar inside; `compressed` counts the compressed bytes
/// consumed, for the ratio limit.
fn decode_and_walk<B: BufRead>(
    buffered: B,
    compression: Compression,
    compressed: Rc<Cell<u64>>,
    name: &str,
    limits: &Limits,
) -> Result<(Accumulator, u64), Failure> {
    let decoder: Box<dyn Read + '_> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => {
            let setup = |e| Failure::Setup(ImageError::io("zstd decoder", e));
            let mut d = zstd::stream::read::Decoder::with_buffer(buffered).map_err(setup)?;
            d.window_log_max(limits.zstd_window_log_max)
                .map_err(setup)?;
            Box::new(d)
        }
        Compression::None => Box::new(buffered),
    };
    let counted = CountOut {
        inner: decoder,
        count: 0,
        compressed,
        limits: limits.clone(),
    };
    walk(counted, name, limits)
}

fn walk<R: Read>(
    counted: CountOut<R>,
    name: &str,
    limits: &Limits,
) -> Result<(Accumulator, u64), Failure> {
    let mut tar = TarReader::new(Streamed(counted), limits.max_entry_bytes);
    let mut acc = Accumulator::default();
    loop {
        let entry = match tar.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => {
                return Err(match e.kind {
                    TarErrorKind::Io(io) => classify(io, e.offset),
                    TarErrorKind::Eof => Failure::Stream {
                        err: io::ErrorKind::UnexpectedEof.into(),
                        offset: e.offset,
                    },
                    TarErrorKind::Malformed(m) => Failure::Content {
                        reason: m,
                        offset: e.offset,
                    },
                    TarErrorKind::TooLarge(n) => Failure::Limit(format!(
                        "tar entry at offset {} declares an absurd size of {n} bytes (limit {})",
                        e.offset, limits.max_entry_bytes
                    )),
                })
            }
        };
        let path = match normalize_path(&entry.path) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(m) => {
                return Err(Failure::Limit(format!(
                    "unsafe tar entry at offset {}: {m}",
                    tar.position()
                )))
            }
        };
        acc.add(&path, entry.kind, entry.size);
        if acc.records.len() as u64 > limits.max_layer_entries {
            return Err(Failure::Limit(format!(
                "more than {} entries in layer {name}",
                limits.max_layer_entries
            )));
        }
    }
    // Read whatever follows the end-of-archive marker so the whole stream is decompressed
    // (and so the compressed blob is fully hashed).
    let offset = tar.position();
    let mut rest = tar.into_inner();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(classify(e, offset)),
        }
    }
    Ok((acc, rest.0.count))
}

#[derive(Default)]
struct Accumulator {
    entries: u64,
    files: u64,
    directories: u64,
    symlinks: u64,
    hard_links: u64,
    other: u64,
    whiteouts: u64,
    opaque: u64,
    levels: BTreeMap<u32, u64>,
    file_bytes: u64,
    extensions: HashMap<String, (u64, u64)>,
    largest: Vec<(u64, String)>,
    records: Vec<PathRecord>,
    dirs_seen: HashSet<u64>,
}

const MAX_EXTENSIONS: usize = 10_000;

fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

fn level_of(path: &str) -> u32 {
    path.bytes().filter(|&b| b == b'/').count() as u32
}

impl Accumulator {
    fn add(&mut self, path: &str, kind: EntryKind, size: u64) {
        self.entries += 1;
        let (dir, base) = split_parent(path);
        self.imply_dirs(dir);
        if let Some(rest) = base.strip_prefix(".wh.") {
            if rest == ".wh..opq" {
                self.opaque += 1;
                let (pdir, _) = split_parent(dir);
                self.records.push(PathRecord {
                    hash: path_hash(dir),
                    parent: path_hash(pdir),
                    size: 0,
                    level: level_of(dir),
                    kind: PathKind::Opaque,
                });
                return;
            }
            if !rest.starts_with(".wh.") {
                self.whiteouts += 1;
                let target = if dir.is_empty() {
                    rest.to_string()
                } else {
                    format!("{dir}/{rest}")
                };
                self.records.push(PathRecord {
                    hash: path_hash(&target),
                    parent: path_hash(dir),
                    size: 0,
                    level: level_of(&target),
                    kind: PathKind::Whiteout,
                });
                return;
            }
            // Other `.wh..wh.*` names are aufs bookkeeping: counted as special entries below.
        }
        let level = level_of(path);
        *self.levels.entry(level).or_insert(0) += 1;
        let pk = match kind {
            EntryKind::File if base.starts_with(".wh.") => PathKind::Other,
            EntryKind::File => PathKind::File,
            EntryKind::Directory => PathKind::Directory,
            EntryKind::Symlink => PathKind::Symlink,
            EntryKind::HardLink => PathKind::HardLink,
            EntryKind::Other => PathKind::Other,
        };
        match pk {
            PathKind::File => {
                self.files += 1;
                self.file_bytes += size;
                let ext = extension_of(base);
                if let Some(e) = self.extensions.get_mut(&ext) {
                    e.0 += 1;
                    e.1 += size;
                } else {
                    let key = if self.extensions.len() < MAX_EXTENSIONS {
                        ext
                    } else {
                        "(other)".to_string()
                    };
                    let e = self.extensions.entry(key).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += size;
                }
                self.consider_largest(path, size);
            }
            PathKind::Directory => {
                self.directories += 1;
                self.dirs_seen.insert(path_hash(path));
            }
            PathKind::Symlink => self.symlinks += 1,
            PathKind::HardLink => self.hard_links += 1,
            _ => self.other += 1,
        }
        self.records.push(PathRecord {
            hash: path_hash(path),
            parent: path_hash(dir),
            size: if pk == PathKind::File { size } else { 0 },
            level,
            kind: pk,
        });
    }

    /// Records parent directories that the tar does not list, so whiteouts of them can find
    /// their contents when layers are merged.
    fn imply_dirs(&mut self, mut dir: &str) {
        while !dir.is_empty() {
            let h = path_hash(dir);
            if !self.dirs_seen.insert(h) {
                break;
            }
            let (parent, _) = split_parent(dir);
            self.records.push(PathRecord {
                hash: h,
                parent: path_hash(parent),
                size: 0,
                level: level_of(dir),
                kind: PathKind::ImpliedDirectory,
            });
            dir = parent;
        }
    }

    fn consider_largest(&mut self, path: &str, size: u64) {
        let better = |a: &(u64, String), size: u64, path: &str| {
            size > a.0 || (size == a.0 && path < a.1.as_str())
        };
        if self.largest.len() == 10 && !better(self.largest.last().unwrap(), size, path) {
            return;
        }
        let pos = self
            .largest
            .iter()
            .position(|a| better(a, size, path))
            .unwrap_or(self.largest.len());
        self.largest.insert(pos, (size, path.to_string()));
        self.largest.truncate(10);
    }

    fn finish(
        self,
        digest: String,
        media_type: String,
        compression: Compression,
        compressed: u64,
        uncompressed: u64,
    ) -> LayerAnalysis {
        let level_total: u64 = self.levels.values().sum();
        let median_directory_level = median_of_counts(&self.levels, level_total);
        let max_directory_level = self.levels.keys().next_back().copied().unwrap_or(0);
        let mut sizes: Vec<u64> = self
            .records
            .iter()
            .filter(|r| r.kind == PathKind::File)
            .map(|r| r.size)
            .collect();
        sizes.sort_unstable();
        let mut extensions: Vec<ExtensionStat> = self
            .extensions
            .into_iter()
            .map(|(extension, (files, bytes))| ExtensionStat {
                extension,
                files,
                bytes,
            })
            .collect();
        extensions.sort_by(|a, b| {
            (Reverse(a.bytes), &a.extension).cmp(&(Reverse(b.bytes), &b.extension))
        });
        LayerAnalysis {
            metrics: LayerMetrics {
                digest,
                media_type,
                compression,
                compressed_bytes: compressed,
                uncompressed_bytes: uncompressed,
                compression_ratio: if compressed == 0 {
                    0.0
                } else {
                    uncompressed as f64 / compressed as f64
                },
                entries: self.entries,
                files: self.files,
                directories: self.directories,
                symlinks: self.symlinks,
                hard_links: self.hard_links,
                other_entries: self.other,
                whiteouts: self.whiteouts,
                opaque_whiteouts: self.opaque,
                max_directory_level,
                median_directory_level,
                file_bytes: self.file_bytes,
                file_size_median: quantile(&sizes, 0.5),
                file_size_p90: quantile(&sizes, 0.9),
                file_size_max: sizes.last().copied().unwrap_or(0),
                extensions,
                largest_files: self
                    .largest
                    .into_iter()
                    .map(|(size, path)| FileSize { path, size })
                    .collect(),
            },
            paths: PathIndex {
                records: self.records,
            },
        }
    }
}

/// Quantile with linear interpolation between closest ranks (numpy's default); 0 when empty.
pub fn quantile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] as f64 + (sorted[hi] as f64 - sorted[lo] as f64) * frac
}

fn median_of_counts(counts: &BTreeMap<u32, u64>, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let nth = |k: u64| -> u32 {
        let mut seen = 0;
        for (&level, &n) in counts {
            seen += n;
            if seen > k {
                return level;
            }
        }
        0
    };
    if total % 2 == 1 {
        f64::from(nth(total / 2))
    } else {
        (f64::from(nth(total / 2 - 1)) + f64::from(nth(total / 2))) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise() {
        assert_eq!(normalize_path("./usr/bin/").unwrap().unwrap(), "usr/bin");
        assert_eq!(
            normalize_path("/etc//passwd").unwrap().unwrap(),
            "etc/passwd"
        );
        assert_eq!(normalize_path("./").unwrap(), None);
        assert!(normalize_path("a/../../etc").is_err());
    }

    #[test]
    fn extensions() {
        assert_eq!(extension_of("a/b/Lib.SO"), "so");
        assert_eq!(extension_of("a/.bashrc"), "");
        assert_eq!(extension_of("a/noext"), "");
        assert_eq!(extension_of("a/x."), "");
        assert_eq!(extension_of("x.averyveryverylongextension"), "");
    }

    #[test]
    fn quantiles_match_numpy() {
        assert_eq!(quantile(&[1, 2, 3, 4], 0.5), 2.5);
        assert!((quantile(&[1, 2, 3, 4, 10], 0.9) - 7.6).abs() < 1e-9);
        assert_eq!(quantile(&[], 0.5), 0.0);
        let mut m = BTreeMap::new();
        m.insert(1, 2);
        m.insert(4, 2);
        assert_eq!(median_of_counts(&m, 4), 2.5);
    }

    /// A tar of a few files, large enough to pass through the pipeline in several chunks.
    fn sample_tar() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut x = 1u32;
        for i in 0..12u32 {
            let data: Vec<u8> = (0..100_000 + i * 7_919)
                .map(|_| {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (x >> 24) as u8
                })
                .collect();
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, format!("d{}/f{i}.bin", i % 3), &data[..])
                .unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    const MODES: [Hashing; 2] = [Hashing::Inline, Hashing::Pipelined];

    #[test]
    fn hashing_modes_agree_for_every_compression() {
        let tar = sample_tar();
        let blobs = [
            (gzip(&tar), Compression::Gzip),
            (zstd::encode_all(&tar[..], 3).unwrap(), Compression::Zstd),
            (tar.clone(), Compression::None),
        ];
        for (blob, c) in blobs {
            let input = LayerInput {
                digest: Some(crate::digest::sha256_of(&blob)),
                media_type: None,
                size: Some(blob.len() as u64),
            };
            let [a, b] = MODES.map(|m| {
                analyze_layer_with(&blob[..], &input, &Limits::default(), m)
                    .unwrap_or_else(|e| panic!("{c:?} {m:?}: {e}"))
            });
            assert_eq!(a, b, "{c:?}");
            assert_eq!(a.metrics.compression, c);
            assert_eq!(a.metrics.files, 12);
            assert_eq!(a.metrics.uncompressed_bytes, tar.len() as u64);
            assert_eq!(a.metrics.compressed_bytes, blob.len() as u64);
        }
    }

    #[test]
    fn digest_mismatch_and_sizes_are_errors_in_both_modes() {
        let blob = gzip(&sample_tar());
        let good = crate::digest::sha256_of(&blob);
        let wrong = crate::digest::sha256_of(b"something else");
        for m in MODES {
            let run = |digest: &str, size: u64, data: &[u8]| {
                let input = LayerInput {
                    digest: Some(digest.to_string()),
                    media_type: Some("application/vnd.oci.image.layer.v1.tar+gzip".into()),
                    size: Some(size),
                };
                analyze_layer_with(data, &input, &Limits::default(), m)
            };
            let n = blob.len() as u64;
            let e = run(&wrong, n, &blob).unwrap_err();
            assert!(matches!(e, ImageError::DigestMismatch { .. }), "{m:?}: {e}");
            let e = run(&good, n - 1, &blob).unwrap_err();
            assert!(matches!(e, ImageError::SizeMismatch { .. }), "{m:?}: {e}");
            let e = run(&good, n + 1, &blob).unwrap_err();
            assert!(matches!(e, ImageError::Truncated { .. }), "{m:?}: {e}");
            // Flipping a byte inside the deflate data: corrupt content reported as a mismatch.
            let mut bad = blob.clone();
            bad[blob.len() / 2] ^= 0x55;
            let e = run(&good, n, &bad).unwrap_err();
            assert!(matches!(e, ImageError::DigestMismatch { .. }), "{m:?}: {e}");
            assert!(run(&good, n, &blob).is_ok());
        }
    }

    /// Yields `data` in small reads, then fails like a dropped connection after `fail_at` bytes.
    struct Flaky<'a> {
        data: &'a [u8],
        pos: usize,
        fail_at: usize,
    }

    impl Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos >= self.fail_at {
                return Err(io::Error::other(TransferError("connection reset".into())));
            }
            let n = buf.len().min(7_000).min(self.fail_at - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn transfer_errors_mid_stream_are_connection_errors_in_both_modes() {
        let blob = gzip(&sample_tar());
        let input = LayerInput {
            digest: Some(crate::digest::sha256_of(&blob)),
            media_type: None,
            size: Some(blob.len() as u64),
        };
        for m in MODES {
            for fail_at in [0, 3, 600_000, blob.len() - 1] {
                let r = Flaky {
                    data: &blob,
                    pos: 0,
                    fail_at,
                };
                let e = analyze_layer_with(r, &input, &Limits::default(), m).unwrap_err();
                assert!(
                    matches!(e, ImageError::Connection { .. }),
                    "{m:?} at {fail_at}: {e}"
                );
                assert!(e.retryable(), "{m:?}: {e}");
            }
        }
    }

    #[test]
    fn auto_resolves_by_cores_per_layer() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let one = Hashing::Auto.resolve(1);
        assert_eq!(one == Hashing::Pipelined, cores >= 2);
        assert_eq!(Hashing::Auto.resolve(cores), Hashing::Inline);
        assert_eq!(Hashing::Inline.resolve(1), Hashing::Inline);
        assert_eq!(Hashing::Pipelined.resolve(64), Hashing::Pipelined);
    }

    #[test]
    fn path_index_roundtrip() {
        let idx = PathIndex {
            records: vec![PathRecord {
                hash: 1,
                parent: 2,
                size: 3,
                level: 4,
                kind: PathKind::Opaque,
            }],
        };
        assert_eq!(PathIndex::from_bytes(&idx.to_bytes()).unwrap(), idx);
        assert!(PathIndex::from_bytes(b"CBP1x").is_err());
    }
}
