//! The merged (union) filesystem of an image: layers applied in order with their whiteouts, and
//! the metrics of the result, including dive-style efficiency.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::layer::{PathIndex, PathKind};

/// Metrics of an image's merged filesystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilesystemMetrics {
    /// Regular files and hard links present after all layers.
    pub files: u64,
    /// Directories present (listed or implied by paths).
    pub directories: u64,
    /// Symbolic links present.
    pub symlinks: u64,
    /// Bytes of the regular files present (hard links add nothing).
    pub total_bytes: u64,
    /// Deepest directory level present (path components − 1).
    pub max_directory_level: u32,
    /// Share of `total_bytes` in the largest 1% of files (at least one file), 0 without bytes.
    pub share_bytes_largest_1pct: f64,
    /// Share of `total_bytes` in the ten largest files, 0 without bytes.
    pub share_bytes_largest_10: f64,
    /// Non-directory paths added by two or more layers.
    pub paths_in_several_layers: u64,
    /// dive's efficiency score: Σ smallest copy / Σ all copies over non-directory paths
    /// (whiteouts count as a copy the size of what they remove); 1 when nothing was seen.
    pub efficiency: f64,
    /// dive's wasted bytes: Σ of all copies of paths seen more than once.
    pub wasted_bytes: u64,
}

#[derive(Clone, Copy)]
struct Node {
    size: u64,
    level: u32,
    kind: PathKind,
}

#[derive(Default, Clone, Copy)]
struct Seen {
    cumulative: u64,
    min: u64,
    copies: u32,
    added_by_layers: u32,
}

impl Seen {
    fn copy(&mut self, size: u64) {
        self.min = if self.copies == 0 {
            size
        } else {
            self.min.min(size)
        };
        self.cumulative += size;
        self.copies += 1;
    }
}

/// Applies layers in order (lowest first) and measures the result.
///
/// Whiteouts of a layer apply to the lower layers only, so they are applied before the layer's
/// own entries; a non-directory replacing a directory removes the directory's contents.
pub fn merge_layers(layers: &[&PathIndex]) -> FilesystemMetrics {
    let mut present: HashMap<u64, Node> = HashMap::new();
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut seen: HashMap<u64, Seen> = HashMap::new();

    for layer in layers {
        for r in &layer.records {
            match r.kind {
                PathKind::Whiteout if present.contains_key(&r.hash) => {
                    let removed = remove_subtree(&mut present, &mut children, r.hash);
                    seen.entry(r.hash).or_default().copy(removed);
                }
                PathKind::Opaque => {
                    let mut removed = 0;
                    let mut any = false;
                    for c in children.remove(&r.hash).unwrap_or_default() {
                        if present.contains_key(&c) {
                            any = true;
                            removed += remove_subtree(&mut present, &mut children, c);
                        }
                    }
                    if any {
                        seen.entry(r.hash).or_default().copy(removed);
                    }
                }
                _ => {}
            }
        }
        for r in &layer.records {
            if matches!(r.kind, PathKind::Whiteout | PathKind::Opaque) {
                continue;
            }
            let node = Node {
                size: r.size,
                level: r.level,
                kind: r.kind,
            };
            match present.get(&r.hash).copied() {
                Some(old) => {
                    if r.kind == PathKind::ImpliedDirectory && old.kind.is_dir() {
                        continue;
                    }
                    if old.kind.is_dir() && !r.kind.is_dir() {
                        let subtree: Vec<u64> = children.remove(&r.hash).unwrap_or_default();
                        for c in subtree {
                            remove_subtree(&mut present, &mut children, c);
                        }
                    }
                    present.insert(r.hash, node);
                }
                None => {
                    present.insert(r.hash, node);
                    children.entry(r.parent).or_default().push(r.hash);
                }
            }
            if !r.kind.is_dir() {
                let s = seen.entry(r.hash).or_default();
                s.copy(r.size);
                s.added_by_layers += 1;
            }
        }
    }

    let mut files = 0;
    let mut directories = 0;
    let mut symlinks = 0;
    let mut max_level = 0;
    let mut sizes = Vec::new();
    for n in present.values() {
        max_level = max_level.max(n.level);
        match n.kind {
            PathKind::File => {
                files += 1;
                sizes.push(n.size);
            }
            PathKind::HardLink => files += 1,
            PathKind::Symlink => symlinks += 1,
            PathKind::Directory | PathKind::ImpliedDirectory => directories += 1,
            _ => {}
        }
    }
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = sizes.iter().sum();
    let share = |n: usize| -> f64 {
        if total == 0 {
            0.0
        } else {
            sizes.iter().take(n).sum::<u64>() as f64 / total as f64
        }
    };
    let top1 = sizes.len().div_ceil(100).max(1);
    let (mut min_sum, mut cum_sum, mut wasted, mut several) = (0u64, 0u64, 0u64, 0u64);
    for s in seen.values() {
        min_sum += s.min;
        cum_sum += s.cumulative;
        if s.copies >= 2 {
            wasted += s.cumulative;
        }
        if s.added_by_layers >= 2 {
            several += 1;
        }
    }
    FilesystemMetrics {
        files,
        directories,
        symlinks,
        total_bytes: total,
        max_directory_level: max_level,
        share_bytes_largest_1pct: share(top1),
        share_bytes_largest_10: share(10),
        paths_in_several_layers: several,
        efficiency: if cum_sum == 0 {
            1.0
        } else {
            min_sum as f64 / cum_sum as f64
        },
        wasted_bytes: wasted,
    }
}

/// Removes a path and everything under it; returns the regular-file bytes removed.
fn remove_subtree(
    present: &mut HashMap<u64, Node>,
    children: &mut HashMap<u64, Vec<u64>>,
    root: u64,
) -> u64 {
    let mut bytes = 0;
    let mut stack = vec![root];
    while let Some(h) = stack.pop() {
        if let Some(node) = present.remove(&h) {
            if node.kind == PathKind::File {
                bytes += node.size;
            }
            if let Some(c) = children.remove(&h) {
                stack.extend(c);
            }
        }
    }
    bytes
}
