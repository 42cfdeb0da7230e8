//! Limits against hostile layers, and the counting readers that enforce the decompression
//! ones (gzip and zstd bombs).
//!
//! Invariants: [`CountIn`] sits on the compressed side and [`CountOut`] on the uncompressed
//! side of the decoder, so the ratio is always uncompressed bytes out over compressed bytes in;
//! a limit hit surfaces as a [`BombError`] inside an `io::Error`, which the tar walk turns into
//! `ImageError::Limit` (never retryable). Entry-size and entry-count limits are enforced by the
//! tar walk with the values kept here.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

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

/// Counts compressed bytes as they are read, for the ratio limit.
pub(super) struct CountIn<R> {
    pub(super) inner: R,
    pub(super) count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Marker error: a decompression limit was hit; carries the reason.
#[derive(Debug)]
pub(super) struct BombError(pub(super) String);

impl std::fmt::Display for BombError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BombError {}

/// Counts uncompressed bytes and stops gzip/zstd bombs.
pub(super) struct CountOut<R> {
    pub(super) inner: R,
    pub(super) count: u64,
    pub(super) compressed: Rc<Cell<u64>>,
    pub(super) limits: Limits,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_out_stops_at_the_size_and_ratio_limits() {
        let limits = Limits {
            max_layer_uncompressed_bytes: 1000,
            max_compression_ratio: 10.0,
            ratio_check_after_bytes: 100,
            ..Limits::default()
        };
        let drain = |compressed: u64, data: &[u8]| {
            let mut r = CountOut {
                inner: data,
                count: 0,
                compressed: Rc::new(Cell::new(compressed)),
                limits: limits.clone(),
            };
            let mut sink = Vec::new();
            r.read_to_end(&mut sink)
                .map_err(|e| e.get_ref().is_some_and(|i| i.is::<BombError>()))
        };
        assert_eq!(drain(100, &[0u8; 900]).map(|_| ()), Ok(()));
        assert_eq!(drain(1_000, &[0u8; 1001]).map(|_| ()), Err(true));
        assert_eq!(drain(10, &[0u8; 500]).map(|_| ()), Err(true));
    }
}
