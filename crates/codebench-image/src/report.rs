//! Reports (one entry per platform, with image and layer metrics or the error that stopped it),
//! the options shared by every source, and the parallel layer runner.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::cache::{LayerCache, MemoryCache, Pending};
use crate::digest::sha256_of;
use crate::error::{ErrorInfo, ImageError};
use crate::filesystem::{merge_layers, FilesystemMetrics};
use crate::layer::{analyze_layer_with, Hashing, LayerAnalysis, LayerInput, LayerMetrics, Limits};
use crate::manifest::{parse_config, Manifest, Platform};

/// Options shared by every source.
#[derive(Clone)]
pub struct AnalyzeOptions {
    /// Only analyse platforms this filter accepts (`None`: every platform).
    pub platform: Option<Platform>,
    /// Layers analysed in parallel.
    pub workers: usize,
    /// Limits against hostile layers.
    pub limits: Limits,
    /// Largest manifest or index accepted.
    pub max_manifest_bytes: u64,
    /// Largest config blob accepted.
    pub max_config_bytes: u64,
    /// Layer cache; when `None` a per-call in-memory cache still dedupes layers.
    pub cache: Option<Arc<dyn LayerCache>>,
    /// Where layer digests are computed; `Auto` pipelines hashing on its own thread only when
    /// every layer running at once can have two cores.
    pub hashing: Hashing,
    /// Most distinct manifests and nested indexes fetched below one index (a hostile index
    /// could list thousands); past it the walk records an `index_limit` failure.
    pub max_manifests: usize,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            platform: None,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 4),
            limits: Limits::default(),
            max_manifest_bytes: 4 << 20,
            max_config_bytes: 16 << 20,
            cache: None,
            hashing: Hashing::Auto,
            max_manifests: 256,
        }
    }
}

impl AnalyzeOptions {
    pub(crate) fn cache_or_local(&self) -> Arc<dyn LayerCache> {
        match &self.cache {
            Some(c) => c.clone(),
            None => Arc::new(MemoryCache::new()),
        }
    }
}

/// Metrics of one image (one platform of a reference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageMetrics {
    /// Manifest digest.
    pub manifest_digest: String,
    /// Manifest media type.
    pub manifest_media_type: String,
    /// Manifest size in bytes.
    pub manifest_bytes: u64,
    /// Config digest.
    pub config_digest: String,
    /// Config media type (empty for docker-save archives).
    pub config_media_type: String,
    /// Config size in bytes.
    pub config_bytes: u64,
    /// Distinct layer media types, in layer order.
    pub layer_media_types: Vec<String>,
    /// Architecture from the config.
    pub architecture: Option<String>,
    /// OS from the config.
    pub os: Option<String>,
    /// Variant from the config.
    pub variant: Option<String>,
    /// Creation time as written in the config.
    pub created: Option<String>,
    /// Number of environment variables.
    pub env_count: u64,
    /// Their names (text before `=`), in config order.
    pub env_names: Vec<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Exposed ports (`80/tcp`), sorted.
    pub exposed_ports: Vec<String>,
    /// User (`None` when unset or empty).
    pub user: Option<String>,
    /// Entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// Cmd.
    pub cmd: Option<Vec<String>>,
    /// History entries.
    pub history_entries: u64,
    /// History entries marked `empty_layer`.
    pub empty_layer_history_entries: u64,
    /// Layers in the manifest.
    pub layer_count: u64,
    /// `rootfs.diff_ids` in the config.
    pub diff_id_count: u64,
    /// Sum of layer blob sizes.
    pub compressed_bytes: u64,
    /// Sum of uncompressed layer sizes.
    pub uncompressed_bytes: u64,
    /// Merged filesystem metrics.
    pub filesystem: FilesystemMetrics,
}

/// The outcome for one platform: metrics, or the error that stopped it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformReport {
    /// Platform from the index entry or the config.
    pub platform: Option<Platform>,
    /// Manifest digest.
    pub manifest_digest: String,
    /// Image metrics, when everything succeeded.
    pub image: Option<ImageMetrics>,
    /// Layer metrics in layer order, when everything succeeded.
    pub layers: Vec<LayerMetrics>,
    /// Why this platform failed.
    pub error: Option<ErrorInfo>,
}

impl PlatformReport {
    pub(crate) fn failed(platform: Option<Platform>, digest: &str, e: &ImageError) -> Self {
        PlatformReport {
            platform,
            manifest_digest: digest.to_string(),
            image: None,
            layers: Vec::new(),
            error: Some(e.info()),
        }
    }
}

/// The analysis of a reference, layout or archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageReport {
    /// What was analysed (reference, folder or file).
    pub source: String,
    /// Digest of the top-level index or manifest, when it is content-addressed.
    pub root_digest: Option<String>,
    /// Media type of the top-level document.
    pub root_media_type: String,
    /// One entry per analysed platform.
    pub platforms: Vec<PlatformReport>,
    /// Attestation manifests skipped in the index.
    pub attestations_skipped: u64,
}

impl ImageReport {
    /// True when some platform failed.
    pub fn failed(&self) -> bool {
        self.platforms.iter().any(|p| p.error.is_some())
    }

    /// True when some failure may go away on retry.
    pub fn retryable(&self) -> bool {
        self.platforms
            .iter()
            .filter_map(|p| p.error.as_ref())
            .any(|e| e.retryable)
    }

    /// The longest `Retry-After` any failure asked for.
    pub fn retry_after(&self) -> Option<u64> {
        self.platforms
            .iter()
            .filter_map(|p| p.error.as_ref()?.retry_after)
            .max()
    }
}

/// Adds a platform result unless the platform filter (applied late, for manifests whose
/// platform is known only from the config) rejects it.
pub(crate) fn push_filtered(report: &mut ImageReport, r: PlatformReport, opts: &AnalyzeOptions) {
    if let (Some(f), Some(p), true) = (&opts.platform, &r.platform, r.error.is_none()) {
        if !f.accepts(p) {
            return;
        }
    }
    report.platforms.push(r);
}

/// Builds a platform's metrics from its manifest, config and analysed layers.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_platform(
    index_platform: Option<Platform>,
    manifest_digest: &str,
    manifest_media_type: &str,
    manifest_bytes: u64,
    manifest: &Manifest,
    config_bytes: &[u8],
    config_digest: Option<&str>,
    layers: Vec<LayerAnalysis>,
) -> Result<PlatformReport, ImageError> {
    let config_digest = config_digest
        .map(str::to_string)
        .unwrap_or_else(|| sha256_of(config_bytes));
    let config = parse_config(config_bytes, &format!("config {config_digest}"))?;
    let run = config.config.clone().unwrap_or_default();
    let env = run.env.clone().unwrap_or_default();
    let mut layer_media_types: Vec<String> = Vec::new();
    for l in &manifest.layers {
        let mt = l.media_type.clone().unwrap_or_default();
        if !layer_media_types.contains(&mt) {
            layer_media_types.push(mt);
        }
    }
    let history = config.history.clone().unwrap_or_default();
    let indexes: Vec<_> = layers.iter().map(|l| &l.paths).collect();
    let filesystem = merge_layers(&indexes);
    let image = ImageMetrics {
        manifest_digest: manifest_digest.to_string(),
        manifest_media_type: manifest_media_type.to_string(),
        manifest_bytes,
        config_digest,
        config_media_type: manifest.config.media_type.clone().unwrap_or_default(),
        config_bytes: config_bytes.len() as u64,
        layer_media_types,
        architecture: config.architecture.clone(),
        os: config.os.clone(),
        variant: config.variant.clone(),
        created: config.created.clone(),
        env_count: env.len() as u64,
        env_names: env
            .iter()
            .map(|e| e.split('=').next().unwrap_or("").to_string())
            .collect(),
        labels: run.labels.clone().unwrap_or_default(),
        exposed_ports: run
            .exposed_ports
            .as_ref()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
        user: run.user.clone().filter(|u| !u.is_empty()),
        entrypoint: run.entrypoint.clone(),
        cmd: run.cmd.clone(),
        history_entries: history.len() as u64,
        empty_layer_history_entries: history
            .iter()
            .filter(|h| h.empty_layer == Some(true))
            .count() as u64,
        layer_count: manifest.layers.len() as u64,
        diff_id_count: config
            .rootfs
            .as_ref()
            .map(|r| r.diff_ids.len() as u64)
            .unwrap_or(0),
        compressed_bytes: layers.iter().map(|l| l.metrics.compressed_bytes).sum(),
        uncompressed_bytes: layers.iter().map(|l| l.metrics.uncompressed_bytes).sum(),
        filesystem,
    };
    let platform = index_platform.or_else(|| {
        Some(Platform {
            os: config.os.clone().unwrap_or_default(),
            architecture: config.architecture.clone().unwrap_or_default(),
            variant: config.variant.clone(),
        })
    });
    Ok(PlatformReport {
        platform,
        manifest_digest: manifest_digest.to_string(),
        image: Some(image),
        layers: layers.into_iter().map(|l| l.metrics).collect(),
        error: None,
    })
}

/// Opens a layer blob for reading.
pub(crate) type Opener<'a> =
    Box<dyn Fn() -> Result<Box<dyn Read + Send + 'a>, ImageError> + Send + Sync + 'a>;

/// One layer to analyse: its description, cache key and how to open it.
pub(crate) struct LayerJob<'a> {
    pub input: LayerInput,
    /// Cache key; `None` disables caching (content not addressed by a known digest).
    pub key: Option<String>,
    pub open: Opener<'a>,
}

/// Analyses layers with `workers` threads, deduplicating by cache key; results in job order.
/// Stops starting new layers after the first failure.
pub(crate) fn run_layers(
    jobs: Vec<LayerJob<'_>>,
    opts: &AnalyzeOptions,
    cache: &Arc<dyn LayerCache>,
) -> Result<Vec<LayerAnalysis>, ImageError> {
    // Dedupe: the first job with a key does the work.
    let mut first_of: HashMap<String, usize> = HashMap::new();
    let mut source: Vec<usize> = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        match &j.key {
            Some(k) => source.push(*first_of.entry(k.clone()).or_insert(i)),
            None => source.push(i),
        }
    }
    let todo: Vec<usize> = (0..jobs.len()).filter(|&i| source[i] == i).collect();
    let results: Vec<Mutex<Option<Result<LayerAnalysis, ImageError>>>> =
        (0..jobs.len()).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let workers = opts.workers.max(1).min(todo.len().max(1));
    let hashing = opts.hashing.resolve(workers);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = todo.get(n) else { break };
                let job = &jobs[i];
                let r = analyze_job(job, opts, cache, hashing);
                if r.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
            });
        }
    });
    let mut done: Vec<Option<Result<LayerAnalysis, ImageError>>> = results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect();
    // Report the first failure in layer order.
    for slot in done.iter_mut() {
        if let Some(Err(_)) = slot {
            if let Some(Err(e)) = slot.take() {
                return Err(e);
            }
        }
    }
    let mut out = Vec::with_capacity(jobs.len());
    for i in 0..jobs.len() {
        let a = match &done[source[i]] {
            Some(Ok(a)) => a.clone(),
            _ => {
                return Err(ImageError::NotFound(format!(
                    "layer {} was not analysed",
                    jobs[i].input.digest.as_deref().unwrap_or("?")
                )))
            }
        };
        out.push(a);
    }
    Ok(out)
}

fn analyze_job(
    job: &LayerJob<'_>,
    opts: &AnalyzeOptions,
    cache: &Arc<dyn LayerCache>,
    hashing: Hashing,
) -> Result<LayerAnalysis, ImageError> {
    if let Some(k) = &job.key {
        if let Some(a) = cache.get(k) {
            return Ok(a);
        }
    }
    // Dropped without `put` on any failure, which releases what the miss reserved.
    let pending = Pending::new(cache.clone(), job.key.clone());
    let reader = (job.open)()?;
    let a = analyze_layer_with(reader, &job.input, &opts.limits, hashing)?;
    pending.put(&a);
    Ok(a)
}
