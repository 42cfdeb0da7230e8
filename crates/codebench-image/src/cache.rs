//! A cache of layer analyses keyed by layer digest, so a base layer shared by many images is
//! fetched and analysed once. The core crate persists it; [`MemoryCache`] serves tests and runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::layer::LayerAnalysis;

/// Storage for layer analyses by digest (`sha256:…`).
pub trait LayerCache: Send + Sync {
    /// The stored analysis of `digest`, if any.
    fn get(&self, digest: &str) -> Option<LayerAnalysis>;
    /// Stores the analysis of `digest`.
    fn put(&self, digest: &str, analysis: &LayerAnalysis);
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
