//! Streaming analysis of one layer blob: verify its digest, decompress (gzip, zstd or none), walk
//! the tar headers and count, never storing file contents or extracting anything.
//!
//! Memory is bounded by fixed buffers (≈1 MiB plus the decompressor's window; at most six more
//! 256 KiB chunks when hashing is pipelined, see [`Hashing`]) and by a compact path index of ~32
//! bytes per entry, which the image-level merge needs.
//!
//! One job per module, all re-exported here (every `codebench_image::layer::…` path is public
//! API):
//! - `compression`: media type → compression, magic-number sniffing, the decoders;
//! - `limits`: [`Limits`] and the counting readers that stop gzip/zstd bombs;
//! - `pipeline`: [`Hashing`], inline or pipelined sha256 of the compressed blob;
//! - `walk`: the tar walk and the classification of what stopped it;
//! - `paths`: path normalisation, the FNV path hash and the [`PathIndex`];
//! - `metrics`: the per-layer accumulator and [`LayerMetrics`].
//!
//! This module ties them together: [`analyze_layer_with`] checks the declared compression
//! against the content, runs the walk in the chosen arrangement, and turns every failure into
//! one [`ImageError`] naming the layer — a digest mismatch whenever the bytes are not what
//! their digest names, a truncation or connection error when the transfer is at fault.

mod compression;
mod limits;
mod metrics;
mod paths;
mod pipeline;
mod walk;

use std::cell::Cell;
use std::io::{self, BufReader, Cursor, Read};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

pub use compression::{compression_of_media_type, Compression};
pub use limits::Limits;
pub use metrics::{extension_of, quantile, ExtensionStat, FileSize, LayerMetrics};
pub use paths::{normalize_path, path_hash, PathIndex, PathKind, PathRecord};
pub use pipeline::Hashing;
pub use walk::TransferError;

use crate::digest::{HashingReader, Oversized};
use crate::error::ImageError;
use limits::CountIn;
use pipeline::{pipelined, CHUNK_BYTES};
use walk::{decode_and_walk, Failure};

/// A layer's metrics together with its path index: what the cache stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerAnalysis {
    /// The metrics.
    pub metrics: LayerMetrics,
    /// The hashed paths, for merging into the image filesystem.
    pub paths: PathIndex,
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
    let sniffed = compression::sniff(&head[..got]);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
