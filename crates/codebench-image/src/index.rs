//! Walking an image index (OCI index, Docker manifest list) and the indexes nested in it, in
//! bounded work whatever the index says.
//!
//! Invariants: each digest is fetched at most once per walk (a visited set that holds the root,
//! every queued entry and every attestation), so an index that lists the same nested index
//! thousands of times costs one fetch; indexes nest at most [`MAX_INDEX_DEPTH`] deep; at most
//! `max_manifests` distinct manifests and nested indexes are queued below one root, so the
//! queue, the fetches and the report are bounded too. A cycle cannot be followed: every entry
//! is fetched by digest and verified against it, and a digest already visited is skipped.
//! Going past a bound records one failed platform naming the index, and the walk goes on with
//! what it had already queued.

use std::collections::{HashSet, VecDeque};

use crate::error::ImageError;
use crate::manifest::{is_attestation, Descriptor, Platform};
use crate::report::{ImageReport, PlatformReport};

/// Deepest nesting of indexes below the root: entries of the root are at depth 0, entries of an
/// index listed by the root at depth 1, and so on.
pub(crate) const MAX_INDEX_DEPTH: u32 = 4;

/// The work list of one index walk: entries still to fetch, with their depth.
pub(crate) struct IndexWalk {
    queue: VecDeque<(Descriptor, u32)>,
    seen: HashSet<String>,
    queued: usize,
    max_manifests: usize,
    refused: bool,
}

impl IndexWalk {
    /// A walk below the root document `root_digest` (when known), queueing at most
    /// `max_manifests` entries.
    pub(crate) fn new(root_digest: Option<&str>, max_manifests: usize) -> IndexWalk {
        IndexWalk {
            queue: VecDeque::new(),
            seen: root_digest.map(str::to_string).into_iter().collect(),
            queued: 0,
            max_manifests,
            refused: false,
        }
    }

    /// Queues the entries of index `index` (its digest or name), which sit at `depth`.
    /// Attestations are counted in `report` and skipped, as are entries the platform `filter`
    /// rejects and digests already visited. Returns the failure to record when these entries
    /// take the walk past a bound (once per walk; later entries are then dropped).
    pub(crate) fn add(
        &mut self,
        index: &str,
        entries: Vec<Descriptor>,
        depth: u32,
        filter: Option<&Platform>,
        report: &mut ImageReport,
    ) -> Option<PlatformReport> {
        if self.refused {
            return None;
        }
        if depth > MAX_INDEX_DEPTH {
            return Some(self.refuse(
                index,
                format!("indexes nested more than {MAX_INDEX_DEPTH} deep"),
            ));
        }
        for d in entries {
            if is_attestation(&d) {
                if self.seen.insert(d.digest.clone()) {
                    report.attestations_skipped += 1;
                }
                continue;
            }
            if let (Some(f), Some(p)) = (filter, &d.platform) {
                if !f.accepts(p) {
                    continue;
                }
            }
            if self.seen.contains(&d.digest) {
                continue;
            }
            if self.queued >= self.max_manifests {
                return Some(self.refuse(
                    index,
                    format!(
                        "lists more than {} distinct manifests below the root",
                        self.max_manifests
                    ),
                ));
            }
            self.seen.insert(d.digest.clone());
            self.queued += 1;
            self.queue.push_back((d, depth));
        }
        None
    }

    /// The next entry to fetch, in the order the indexes list them (breadth first).
    pub(crate) fn next(&mut self) -> Option<(Descriptor, u32)> {
        self.queue.pop_front()
    }

    fn refuse(&mut self, index: &str, reason: String) -> PlatformReport {
        self.refused = true;
        let e = ImageError::IndexLimit {
            index: index.to_string(),
            reason,
        };
        PlatformReport::failed(None, index, &e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(n: u32, platform: Option<&str>) -> Descriptor {
        Descriptor {
            media_type: None,
            digest: format!("sha256:{n:064x}"),
            size: 1,
            platform: platform.map(|p| Platform::parse(p).unwrap()),
            annotations: None,
        }
    }

    fn report() -> ImageReport {
        ImageReport {
            source: "x".into(),
            root_digest: None,
            root_media_type: String::new(),
            platforms: Vec::new(),
            attestations_skipped: 0,
        }
    }

    #[test]
    fn duplicates_the_root_and_filtered_entries_are_not_queued() {
        let mut r = report();
        let root = desc(0, None).digest;
        let mut w = IndexWalk::new(Some(&root), 10);
        let mut entries = vec![desc(0, None)];
        entries.extend((0..5000).map(|_| desc(1, Some("linux/amd64"))));
        entries.push(desc(2, Some("linux/arm64")));
        entries.push(desc(3, Some("unknown/unknown")));
        entries.push(desc(3, Some("unknown/unknown")));
        let f = Platform::parse("linux/amd64").unwrap();
        assert!(w.add(&root, entries, 0, Some(&f), &mut r).is_none());
        assert_eq!(r.attestations_skipped, 1);
        assert_eq!(w.next().map(|(d, _)| d.digest), Some(desc(1, None).digest));
        assert!(w.next().is_none());
        // Listed again by a nested index: still visited once.
        assert!(w
            .add("nested", vec![desc(1, None)], 1, None, &mut r)
            .is_none());
        assert!(w.next().is_none());
    }

    #[test]
    fn bounds_refuse_once_and_keep_what_was_queued() {
        let mut r = report();
        let mut w = IndexWalk::new(None, 3);
        let failed = w
            .add(
                "root",
                (1..=5).map(|n| desc(n, None)).collect(),
                0,
                None,
                &mut r,
            )
            .unwrap();
        let e = failed.error.unwrap();
        assert_eq!(e.kind, "index_limit");
        assert!(e.message.contains("more than 3") && !e.retryable, "{e:?}");
        assert!(w
            .add("again", vec![desc(9, None)], 0, None, &mut r)
            .is_none());
        let queued: Vec<_> = std::iter::from_fn(|| w.next()).collect();
        assert_eq!(queued.len(), 3);

        let mut w = IndexWalk::new(None, 100);
        let deep = w
            .add(
                "deep",
                vec![desc(1, None)],
                MAX_INDEX_DEPTH + 1,
                None,
                &mut r,
            )
            .unwrap();
        assert!(deep
            .error
            .unwrap()
            .message
            .contains("nested more than 4 deep"));
        assert!(w.next().is_none());
    }
}
