//! Where the sha256 of a layer blob is computed: inline on the decoding thread, or pipelined
//! on the calling thread while a scoped thread decompresses and walks.
//!
//! Invariants: both arrangements see the same bytes in the same order and give the same
//! result and the same errors (a read error of the blob travels down the pipe as a message and
//! is classified exactly as inline); memory is bounded by at most `PIPE_DEPTH + 2` chunks of
//! `CHUNK_BYTES`; the reader stops as soon as the decoder stops.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use serde::{Deserialize, Serialize};

use super::compression::Compression;
use super::metrics::Accumulator;
use super::walk::{decode_and_walk, Failure};
use super::Limits;
use crate::digest::HashingReader;

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
pub(super) const CHUNK_BYTES: usize = 256 * 1024;
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
pub(super) fn pipelined<R: Read>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_resolves_by_cores_per_layer() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let one = Hashing::Auto.resolve(1);
        assert_eq!(one == Hashing::Pipelined, cores >= 2);
        assert_eq!(Hashing::Auto.resolve(cores), Hashing::Inline);
        assert_eq!(Hashing::Inline.resolve(1), Hashing::Inline);
        assert_eq!(Hashing::Pipelined.resolve(64), Hashing::Pipelined);
    }
}
