//! The per-layer accumulator and the metrics it yields: counts by entry kind, whiteouts,
//! directory levels, file sizes (median, p90, max), extensions and the largest files.
//!
//! Invariants: memory grows with the number of entries only through the path records (~32
//! bytes each); distinct extensions are capped at 10,000 and the largest-files list at ten;
//! definitions follow the EASE 2022 study (directory level = path components − 1) and
//! quantiles interpolate linearly like numpy's default.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::compression::Compression;
use super::paths::{path_hash, PathIndex, PathKind, PathRecord};
use super::LayerAnalysis;
use crate::tarstream::EntryKind;

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

/// Counts of one layer as its entries stream past, and its path records; turned into
/// [`LayerMetrics`] and a [`PathIndex`] by [`Accumulator::finish`].
#[derive(Default)]
pub(super) struct Accumulator {
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
    pub(super) records: Vec<PathRecord>,
    dirs_seen: HashSet<u64>,
}

/// Distinct extensions counted one by one; the rest are pooled under `(other)`.
const MAX_EXTENSIONS: usize = 10_000;
/// Largest files kept in [`LayerMetrics::largest_files`].
const LARGEST_KEPT: usize = 10;

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
    /// Counts one entry at normalised `path`.
    pub(super) fn add(&mut self, path: &str, kind: EntryKind, size: u64) {
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
        if self.largest.len() >= LARGEST_KEPT
            && self
                .largest
                .last()
                .is_some_and(|last| !better(last, size, path))
        {
            return;
        }
        let pos = self
            .largest
            .iter()
            .position(|a| better(a, size, path))
            .unwrap_or(self.largest.len());
        self.largest.insert(pos, (size, path.to_string()));
        self.largest.truncate(LARGEST_KEPT);
    }

    /// The layer's metrics and path index.
    pub(super) fn finish(
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
    let last = sorted.len() - 1;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let lo = (pos.floor() as usize).min(last);
    let hi = (pos.ceil() as usize).min(last);
    let frac = pos - lo as f64;
    let at = |i: usize| sorted.get(i).copied().unwrap_or(0) as f64;
    at(lo) + (at(hi) - at(lo)) * frac
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
        assert_eq!(quantile(&[5], 2.0), 5.0);
        let mut m = BTreeMap::new();
        m.insert(1, 2);
        m.insert(4, 2);
        assert_eq!(median_of_counts(&m, 4), 2.5);
    }

    #[test]
    fn largest_files_keep_ten_by_size_then_path() {
        let mut acc = Accumulator::default();
        for i in 0..25u64 {
            acc.add(&format!("d/f{i:02}"), EntryKind::File, i % 12);
        }
        let a = acc.finish(String::new(), String::new(), Compression::None, 0, 0);
        let got: Vec<(u64, &str)> = a
            .metrics
            .largest_files
            .iter()
            .map(|f| (f.size, f.path.as_str()))
            .collect();
        assert_eq!(got.len(), 10);
        assert_eq!(got[0], (11, "d/f11"));
        assert_eq!(got[1], (11, "d/f23"));
        assert_eq!(got[2], (10, "d/f10"));
    }
}
