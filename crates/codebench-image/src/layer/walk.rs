//! The tar walk of one decompressed layer: headers in, accumulator records out, and every
//! failure classed (limit, transfer, malformed content) for the caller to report.
//!
//! Invariants: entry data is skipped, never stored; paths are normalised and `..` refused
//! before they are counted; the walk fails once a layer has more than
//! [`Limits::max_layer_entries`] records; the stream is read to its end even after the
//! end-of-archive marker, so the compressed blob is hashed in full.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use super::compression::{self, Compression};
use super::limits::{BombError, CountOut};
use super::metrics::Accumulator;
use super::paths::normalize_path;
use super::Limits;
use crate::digest::Oversized;
use crate::error::ImageError;
use crate::tarstream::{Streamed, TarErrorKind, TarReader};

/// Marker for a failed transfer inside a blob stream (the network, not the content).
#[derive(Debug)]
pub struct TransferError(pub String);

impl std::fmt::Display for TransferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transfer failed: {}", self.0)
    }
}

impl std::error::Error for TransferError {}

/// Why decoding or walking stopped, before it is turned into an [`ImageError`] with the
/// blob's context (the caller knows the digest, the declared size and the bytes read).
pub(super) enum Failure {
    /// The decoder could not be set up.
    Setup(ImageError),
    /// A limit against hostile content was hit.
    Limit(String),
    /// Reading the blob failed (transfer, size, truncation): classified by the caller.
    Stream { err: io::Error, offset: u64 },
    /// The content is malformed (bad compression or tar).
    Content { reason: String, offset: u64 },
}

/// Classifies an I/O error from the decoder or the tar reader at uncompressed `offset`.
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
pub(super) fn decode_and_walk<B: BufRead>(
    buffered: B,
    compression: Compression,
    compressed: Rc<Cell<u64>>,
    name: &str,
    limits: &Limits,
) -> Result<(Accumulator, u64), Failure> {
    let decoder = compression::decoder(buffered, compression, limits)
        .map_err(|e| Failure::Setup(ImageError::io(format!("{compression:?} decoder"), e)))?;
    let counted = CountOut {
        inner: decoder,
        count: 0,
        compressed,
        limits: limits.clone(),
    };
    walk(counted, name, limits)
}

/// Walks the tar headers of the decompressed stream into an [`Accumulator`], then reads what
/// follows the end-of-archive marker so the whole blob is hashed.
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
