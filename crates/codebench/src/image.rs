//! Container image metrics inside a study. The analysis itself is the crate `codebench-image`
//! (streaming, digest-verified, never extracting), re-exported here; this module stores its
//! results (`image_metrics` per reference and platform) and keeps a study-wide layer cache
//! (`layer_metrics`) so a base layer shared by many images is fetched and analysed once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

pub use codebench_image::*;

use crate::{Result, Study};

/// How long an analysis waits for another job that is analysing the same layer before it
/// analyses the layer itself (a safety net: the other job normally finishes first).
const INFLIGHT_WAIT: Duration = Duration::from_secs(600);

/// The stored metrics of one platform of an image reference.
#[derive(Debug, Clone, Serialize)]
pub struct StoredImageMetrics {
    /// The reference as enqueued.
    pub reference: String,
    /// `os/architecture[/variant]`, or `unknown`.
    pub platform: String,
    /// The platform's manifest digest.
    pub manifest_digest: String,
    /// The platform's report: image metrics and layer metrics.
    pub report: PlatformReport,
    /// When it was analysed (RFC 3339, UTC).
    pub analyzed_at: String,
}

impl Study {
    /// The stored image metrics, of one reference or of all, ordered by reference and platform.
    pub fn image_metrics(&self, reference: Option<&str>) -> Result<Vec<StoredImageMetrics>> {
        let mut stmt = self.conn().prepare(
            "SELECT reference, platform, manifest_digest, metrics, analyzed_at FROM image_metrics
             WHERE ?1 IS NULL OR reference = ?1 ORDER BY reference, platform",
        )?;
        let rows = stmt.query_map([reference], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (reference, platform, manifest_digest, json, analyzed_at) = row?;
            out.push(StoredImageMetrics {
                reference,
                platform,
                manifest_digest,
                report: serde_json::from_str(&json)?,
                analyzed_at,
            });
        }
        Ok(out)
    }

    /// The projects each image reference was found in (table `image_ref`), by reference.
    pub fn projects_by_reference(
        &self,
    ) -> Result<std::collections::BTreeMap<String, std::collections::BTreeSet<String>>> {
        let mut out: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for r in self.image_refs(None)? {
            out.entry(r.reference).or_default().insert(r.project);
        }
        Ok(out)
    }

    /// How many layer analyses the study's layer cache holds.
    pub fn cached_layers(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM layer_metrics", [], |r| r.get(0))?)
    }
}

/// The platform column of a report: `os/arch[/variant]` or `unknown`.
pub(crate) fn platform_key(p: &PlatformReport) -> String {
    p.platform
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Stores the successful platforms of `report` under `reference`; with `replace`, the
/// reference's earlier rows go first. Runs in the caller's transaction.
pub(crate) fn store_report(
    tx: &Connection,
    reference: &str,
    report: &ImageReport,
    replace: bool,
) -> Result<usize> {
    if replace {
        tx.execute(
            "DELETE FROM image_metrics WHERE reference = ?1",
            [reference],
        )?;
    }
    let now = crate::now();
    let mut n = 0;
    for p in report.platforms.iter().filter(|p| p.error.is_none()) {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO image_metrics (reference, platform, manifest_digest, metrics, analyzed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            reference,
            platform_key(p),
            p.manifest_digest,
            serde_json::to_string(p)?,
            now
        ])?;
        n += 1;
    }
    Ok(n)
}

/// Stores layer analyses in the study's layer cache (first one wins: they are content-addressed).
pub(crate) fn store_layers(tx: &Connection, layers: &[(String, LayerAnalysis)]) -> Result<()> {
    let now = crate::now();
    for (digest, a) in layers {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO layer_metrics (digest, metrics, paths, analyzed_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            digest,
            serde_json::to_string(&a.metrics)?,
            a.paths.to_bytes(),
            now
        ])?;
    }
    Ok(())
}

#[derive(Default)]
struct SharedState {
    /// Analyses made in this run and not yet committed to the study.
    fresh: HashMap<String, LayerAnalysis>,
    /// Layers some job is analysing right now, with that job's id.
    inflight: HashMap<String, i64>,
}

/// The study's layer cache as seen by one run of jobs: the `layer_metrics` table (read through
/// its own read-only connection, so analysis threads can use it while the runner writes), the
/// analyses of this run not yet committed, and the layers being analysed right now, so two jobs
/// running at once that share a layer analyse it once. With a shared folder
/// ([`DirCache`], e.g. for the shards of one metrics run on several machines), a layer the study
/// lacks is looked up there before it is analysed, and every analysis is written there too.
pub(crate) struct RunLayers {
    db: Mutex<Connection>,
    dir: Option<DirCache>,
    state: Mutex<SharedState>,
    changed: Condvar,
    analysed: AtomicU64,
    reused: AtomicU64,
}

impl RunLayers {
    /// Opens the cache over the study file at `path`, with the shared folder `dir` if given.
    pub(crate) fn open(path: &Path, dir: Option<&Path>) -> Result<Arc<RunLayers>> {
        let dir = match dir {
            Some(d) => Some(DirCache::open(d).map_err(|e| {
                crate::Error::Invalid(format!("the layer cache folder {}: {e}", d.display()))
            })?),
            None => None,
        };
        let db = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        db.busy_timeout(Duration::from_secs(10))?;
        Ok(Arc::new(RunLayers {
            db: Mutex::new(db),
            dir,
            state: Mutex::new(SharedState::default()),
            changed: Condvar::new(),
            analysed: AtomicU64::new(0),
            reused: AtomicU64::new(0),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, SharedState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Layers analysed (not found in any cache) in this run.
    pub(crate) fn analysed(&self) -> u64 {
        self.analysed.load(Ordering::Relaxed)
    }

    /// Layer lookups answered from the cache in this run.
    pub(crate) fn reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    /// Forgets fresh analyses once they are committed (the table answers from then on).
    pub(crate) fn committed(&self, digests: &[String]) {
        let mut st = self.lock();
        for d in digests {
            st.fresh.remove(d);
        }
    }

    /// Releases the layers `job` claimed but did not analyse (it failed), waking waiters.
    pub(crate) fn release(&self, job: i64) {
        let mut st = self.lock();
        st.inflight.retain(|_, owner| *owner != job);
        self.changed.notify_all();
    }

    fn read_table(&self, digest: &str) -> Option<LayerAnalysis> {
        let db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let row: Option<(String, Vec<u8>)> = db
            .prepare_cached("SELECT metrics, paths FROM layer_metrics WHERE digest = ?1")
            .and_then(|mut s| {
                s.query_row([digest], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .ok()
            .flatten();
        // A row that does not read back (written by an incompatible build) is a miss: the
        // layer is analysed again.
        let (metrics, paths) = row?;
        Some(LayerAnalysis {
            metrics: serde_json::from_str(&metrics).ok()?,
            paths: PathIndex::from_bytes(&paths).ok()?,
        })
    }
}

/// One job's view of [`RunLayers`]: a [`LayerCache`] that remembers what the job analysed so the
/// runner stores it in the job's transaction, and reports each layer to `on_layer`.
pub(crate) struct JobLayers {
    shared: Arc<RunLayers>,
    job: i64,
    puts: Mutex<Vec<(String, LayerAnalysis)>>,
    on_layer: Box<dyn Fn(bool) + Send + Sync>,
}

impl JobLayers {
    /// A cache for job `job`; `on_layer(analysed)` is called for every layer done.
    pub(crate) fn new(
        shared: Arc<RunLayers>,
        job: i64,
        on_layer: Box<dyn Fn(bool) + Send + Sync>,
    ) -> JobLayers {
        JobLayers {
            shared,
            job,
            puts: Mutex::new(Vec::new()),
            on_layer,
        }
    }

    /// The analyses this job made, to store with its result.
    pub(crate) fn take_puts(&self) -> Vec<(String, LayerAnalysis)> {
        std::mem::take(&mut *self.puts.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl LayerCache for JobLayers {
    fn get(&self, digest: &str) -> Option<LayerAnalysis> {
        let shared = &self.shared;
        let mut st = shared.lock();
        loop {
            if let Some(a) = st.fresh.get(digest) {
                let a = a.clone();
                drop(st);
                shared.reused.fetch_add(1, Ordering::Relaxed);
                (self.on_layer)(false);
                return Some(a);
            }
            match st.inflight.get(digest) {
                Some(owner) if *owner != self.job => {
                    let (next, waited) = shared
                        .changed
                        .wait_timeout(st, INFLIGHT_WAIT)
                        .unwrap_or_else(|p| p.into_inner());
                    st = next;
                    if waited.timed_out() {
                        break;
                    }
                }
                _ => break,
            }
        }
        // Read the table with the state locked, so no other job claims the layer meanwhile.
        if let Some(a) = shared.read_table(digest) {
            drop(st);
            shared.reused.fetch_add(1, Ordering::Relaxed);
            (self.on_layer)(false);
            return Some(a);
        }
        st.inflight.insert(digest.to_string(), self.job);
        drop(st);
        // The shared folder may have it (another shard analysed it); it may wait, bounded, for
        // a process analysing it right now. On a miss it reserves the digest for this job.
        if let Some(a) = shared.dir.as_ref().and_then(|d| d.get(digest)) {
            {
                let mut st = shared.lock();
                st.fresh.insert(digest.to_string(), a.clone());
                st.inflight.remove(digest);
                shared.changed.notify_all();
            }
            shared.reused.fetch_add(1, Ordering::Relaxed);
            // Stored in this study with the job, so the study (and a merge of it) holds it.
            self.puts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((digest.to_string(), a.clone()));
            (self.on_layer)(false);
            return Some(a);
        }
        None
    }

    fn abandon(&self, digest: &str) {
        {
            let mut st = self.shared.lock();
            if st.inflight.get(digest) == Some(&self.job) {
                st.inflight.remove(digest);
            }
            self.shared.changed.notify_all();
        }
        if let Some(d) = &self.shared.dir {
            d.abandon(digest);
        }
    }

    fn put(&self, digest: &str, analysis: &LayerAnalysis) {
        {
            let mut st = self.shared.lock();
            st.fresh.insert(digest.to_string(), analysis.clone());
            st.inflight.remove(digest);
            self.shared.changed.notify_all();
        }
        if let Some(d) = &self.shared.dir {
            d.put(digest, analysis);
        }
        self.shared.analysed.fetch_add(1, Ordering::Relaxed);
        self.puts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((digest.to_string(), analysis.clone()));
        (self.on_layer)(true);
    }
}
