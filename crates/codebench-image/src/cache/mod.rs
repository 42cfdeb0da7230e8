//! A cache of layer analyses keyed by layer digest, so a base layer shared by many images is
//! fetched and analysed once: [`MemoryCache`] for one run, [`DirCache`] for a folder that
//! several processes (on one machine or several) share. The core crate persists its own.
//!
//! The protocol between an analyser and a cache: [`LayerCache::get`] first. `Some` is the
//! analysis. `None` means the caller analyses the layer and then either
//! [`put`](LayerCache::put)s the result or, when the analysis failed,
//! [`abandon`](LayerCache::abandon)s it. A cache shared by several analysers may, on a miss,
//! reserve the digest for the caller (a claim) so that the others' `get` waits — bounded — for
//! its `put` instead of analysing the same layer again; `abandon` releases that reservation.
//! So `get` may block: the analysers of this crate call it from blocking threads only.

mod claim;
mod dir;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::layer::LayerAnalysis;

pub use dir::{DirCache, DirCacheOptions, DirCacheStats};

/// Storage for layer analyses by digest (`sha256:…`).
pub trait LayerCache: Send + Sync {
    /// The stored analysis of `digest`, if any. A shared cache may wait (bounded) for another
    /// analyser's result, and on a miss may reserve `digest` for the caller, who then calls
    /// [`put`](LayerCache::put) or [`abandon`](LayerCache::abandon).
    fn get(&self, digest: &str) -> Option<LayerAnalysis>;
    /// Stores the analysis of `digest` (and releases the caller's reservation, if any).
    fn put(&self, digest: &str, analysis: &LayerAnalysis);
    /// The analysis of `digest` that followed a miss failed or was given up: release whatever
    /// the miss reserved, so a waiting analyser takes the layer on. Nothing by default.
    fn abandon(&self, digest: &str) {
        let _ = digest;
    }
}

/// A miss being worked on: `put` stores the result; dropping it without `put` (an error, a
/// panic, an aborted task) abandons the digest, so a reservation is never left behind.
pub(crate) struct Pending {
    cache: Arc<dyn LayerCache>,
    key: Option<String>,
}

impl Pending {
    /// A miss of `key` in `cache` (`None`: nothing to store or release).
    pub(crate) fn new(cache: Arc<dyn LayerCache>, key: Option<String>) -> Pending {
        Pending { cache, key }
    }

    /// Stores the analysis under the key.
    pub(crate) fn put(mut self, analysis: &LayerAnalysis) {
        if let Some(k) = self.key.take() {
            self.cache.put(&k, analysis);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.cache.abandon(&k);
        }
    }
}

/// An in-memory [`LayerCache`] that also counts hits and misses.
#[derive(Default)]
pub struct MemoryCache {
    map: Mutex<HashMap<String, LayerAnalysis>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl MemoryCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lookups that found an entry.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that found nothing.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// Number of layers stored.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl LayerCache for MemoryCache {
    fn get(&self, digest: &str) -> Option<LayerAnalysis> {
        let found = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(digest)
            .cloned();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn put(&self, digest: &str, analysis: &LayerAnalysis) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(digest.to_string(), analysis.clone());
    }
}
