//! Path normalisation and the path index: each tar entry of a layer as a small hashed record
//! (path hash, parent hash, size, level, kind), enough to merge layers into the image
//! filesystem without keeping path strings.
//!
//! Invariants: paths are normalised before hashing (no leading `/` or `./`, no `.` components,
//! no trailing `/`; `..` is refused), so the same file hashes alike in every layer; the hash is
//! FNV-1a 64 and the binary form `CBP1` is fixed, so indexes cached by an earlier build stay
//! valid; [`PathIndex::from_bytes`] never panics on foreign bytes.

use serde::{Deserialize, Serialize};

use crate::error::ImageError;

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
            let short = || bad(format!("record {i} is short"));
            let (hash, c) = c.split_first_chunk::<8>().ok_or_else(short)?;
            let (parent, c) = c.split_first_chunk::<8>().ok_or_else(short)?;
            let (size, c) = c.split_first_chunk::<8>().ok_or_else(short)?;
            let (level, c) = c.split_first_chunk::<4>().ok_or_else(short)?;
            let kind = *c.first().ok_or_else(short)?;
            records.push(PathRecord {
                hash: u64::from_le_bytes(*hash),
                parent: u64::from_le_bytes(*parent),
                size: u64::from_le_bytes(*size),
                level: u32::from_le_bytes(*level),
                kind: PathKind::from_u8(kind)
                    .ok_or_else(|| bad(format!("record {i}: unknown kind {kind}")))?,
            });
        }
        Ok(PathIndex { records })
    }
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
        assert!(PathIndex::from_bytes(b"CBP2").is_err());
        let mut bad_kind = idx.to_bytes();
        if let Some(last) = bad_kind.last_mut() {
            *last = 99;
        }
        assert!(PathIndex::from_bytes(&bad_kind).is_err());
    }
}
