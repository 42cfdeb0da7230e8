//! Content digests: parsing `sha256:<hex>` and hashing blobs while they stream past.
//!
//! sha2 0.11 picks the SHA-NI (x86) or ARMv8 SHA instructions at run time, so verification costs
//! little next to decompression.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::error::ImageError;

/// Checks that `digest` is `sha256:` followed by 64 lowercase hex digits; returns the hex part.
pub fn sha256_hex(digest: &str) -> Result<&str, ImageError> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| ImageError::MediaType {
            what: digest.to_string(),
            reason: "only sha256 digests are supported".into(),
        })?;
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ImageError::Parse {
            what: "digest".into(),
            reason: format!("{digest:?} is not sha256:<64 lowercase hex digits>"),
        });
    }
    Ok(hex)
}

/// The `sha256:<hex>` digest of a byte slice.
pub fn sha256_of(data: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(data)))
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// A reader that hashes and counts everything read through it, and refuses to read past a
/// declared size (so an endless or oversized blob cannot run on).
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    max: Option<u64>,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`; when `max` is set, reading more than `max` bytes is an error.
    pub fn new(inner: R, max: Option<u64>) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
            max,
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Reads the rest of the stream (hashing it) and returns `(sha256:<hex>, total bytes)`.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((
            format!("sha256:{}", hex(&self.hasher.finalize())),
            self.count,
        ))
    }
}

/// Marker error: the blob is longer than its descriptor says.
#[derive(Debug)]
pub struct Oversized {
    /// The declared size.
    pub declared: u64,
}

impl std::fmt::Display for Oversized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "blob is longer than its declared {} bytes",
            self.declared
        )
    }
}

impl std::error::Error for Oversized {}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        if let Some(max) = self.max {
            if self.count > max {
                return Err(io::Error::other(Oversized { declared: max }));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(
            sha256_of(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (d, n) = HashingReader::new(&b"abc"[..], Some(3)).finish().unwrap();
        assert_eq!((d.as_str(), n), (sha256_of(b"abc").as_str(), 3));
        assert!(HashingReader::new(&b"abcd"[..], Some(3)).finish().is_err());
    }

    #[test]
    fn digest_syntax() {
        assert!(sha256_hex("sha256:abc").is_err());
        assert!(sha256_hex("md5:00").is_err());
        let ok = format!("sha256:{}", "a".repeat(64));
        assert_eq!(sha256_hex(&ok).unwrap().len(), 64);
    }
}
