//! A client of the OCI distribution API (Docker Hub and any OCI registry) that streams layer
//! blobs into the analyser.
//!
//! Written on reqwest rather than `oci-client` because this needs what oci-client 0.18 does not
//! offer: a size bound on manifests (it reads whole bodies), `Retry-After` and status codes kept
//! in errors (to class them retryable), and the Authorization header dropped on every redirect
//! (reqwest only drops it across hosts).
//!
//! `client` speaks HTTP to the registry; this module walks the index, streams each layer
//! blob into the analyser on a blocking thread and assembles the report.

mod client;

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};

use crate::cache::Pending;
use crate::digest::sha256_hex;
use crate::error::ImageError;
use crate::index::IndexWalk;
use crate::layer::{analyze_layer_with, Hashing, LayerAnalysis, LayerInput, TransferError};
use crate::manifest::{parse_document, Descriptor, Document, Manifest, Platform};
use crate::reference::Reference;
use crate::report::{build_platform, push_filtered, AnalyzeOptions, ImageReport, PlatformReport};
use client::{conn_err, Client};

/// Registry credentials (Docker Hub: user name and access token).
#[derive(Clone)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or access token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Options of a registry analysis.
#[derive(Clone)]
pub struct RegistryOptions {
    /// Options shared with local sources (platform filter, workers, limits, cache).
    pub analyze: AnalyzeOptions,
    /// Send every request to this base URL instead of the reference's registry (tests, mirrors).
    pub base_url: Option<String>,
    /// Credentials for the token endpoint or basic auth.
    pub credentials: Option<Credentials>,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Longest silence while reading a response.
    pub read_timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            analyze: AnalyzeOptions::default(),
            base_url: None,
            credentials: None,
            connect_timeout: Duration::from_secs(20),
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// Feeds a blob body, received on the async side, to the blocking analyser.
struct ChannelReader {
    rx: mpsc::Receiver<Result<bytes::Bytes, String>>,
    current: bytes::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(io::Error::other(TransferError(e))),
                Some(Ok(b)) => self.current = b,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

async fn analyze_remote_layer(
    client: Arc<Client>,
    d: Descriptor,
    opts: AnalyzeOptions,
    hashing: Hashing,
) -> Result<LayerAnalysis, ImageError> {
    sha256_hex(&d.digest)?;
    let media_type = d.media_type.clone().ok_or_else(|| ImageError::MediaType {
        what: format!("layer {}", d.digest),
        reason: "descriptor has no media type".into(),
    })?;
    crate::layer::compression_of_media_type(&media_type).map_err(|_| ImageError::MediaType {
        what: format!("layer {}", d.digest),
        reason: format!("unknown layer media type {media_type:?}"),
    })?;
    // The lookup may wait for another analyser of the layer, so it runs on a blocking thread.
    // A miss comes back as a `Pending`: should this task be aborted meanwhile, dropping it
    // releases what the miss reserved.
    let pending = match &opts.cache {
        Some(c) => {
            let (cache, key) = (c.clone(), d.digest.clone());
            let looked = tokio::task::spawn_blocking(move || match cache.get(&key) {
                Some(a) => Ok(a),
                None => Err(Pending::new(cache, Some(key))),
            })
            .await
            .map_err(|e| ImageError::Connection {
                url: d.digest.clone(),
                reason: format!("cache lookup failed: {e}"),
            })?;
            match looked {
                Ok(a) => return Ok(a),
                Err(p) => Some(p),
            }
        }
        None => None,
    };
    let url = client.url("blobs", &d.digest);
    let mut resp = client.get(&url, None).await?;
    let (tx, rx) = mpsc::channel::<Result<bytes::Bytes, String>>(16);
    let pump = tokio::spawn(async move {
        loop {
            match resp.chunk().await {
                Ok(Some(b)) => {
                    if tx.send(Ok(b)).await.is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(conn_err(&url, e).to_string())).await;
                    break;
                }
            }
        }
    });
    let input = LayerInput {
        digest: Some(d.digest.clone()),
        media_type: Some(media_type),
        size: Some(d.size),
    };
    let limits = opts.limits.clone();
    let result = tokio::task::spawn_blocking(move || {
        analyze_layer_with(
            ChannelReader {
                rx,
                current: bytes::Bytes::new(),
            },
            &input,
            &limits,
            hashing,
        )
    })
    .await
    .map_err(|e| ImageError::Connection {
        url: d.digest.clone(),
        reason: format!("analysis task failed: {e}"),
    })?;
    pump.abort();
    let a = result?;
    if let Some(p) = pending {
        let stored = a.clone();
        // Writing may touch a shared folder: a blocking thread too.
        let _ = tokio::task::spawn_blocking(move || p.put(&stored)).await;
    }
    Ok(a)
}

async fn analyze_remote_platform(
    client: Arc<Client>,
    platform: Option<Platform>,
    digest: String,
    media_type: String,
    manifest_bytes: u64,
    m: Manifest,
    opts: &AnalyzeOptions,
) -> Result<PlatformReport, ImageError> {
    let config = client.small_blob(&m.config, opts.max_config_bytes).await?;
    let sem = Arc::new(Semaphore::new(opts.workers.max(1)));
    let mut distinct: Vec<&str> = m.layers.iter().map(|l| l.digest.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let hashing = opts
        .hashing
        .resolve(opts.workers.max(1).min(distinct.len()));
    let mut handles: Vec<(
        String,
        tokio::task::JoinHandle<Result<LayerAnalysis, ImageError>>,
    )> = Vec::new();
    let mut started: HashSet<&str> = HashSet::new();
    for l in &m.layers {
        if !started.insert(l.digest.as_str()) {
            continue;
        }
        let (client, l2, opts2, sem) = (client.clone(), l.clone(), opts.clone(), sem.clone());
        handles.push((
            l.digest.clone(),
            tokio::spawn(async move {
                let _permit = sem
                    .acquire_owned()
                    .await
                    .map_err(|e| ImageError::Connection {
                        url: l2.digest.clone(),
                        reason: e.to_string(),
                    })?;
                analyze_remote_layer(client, l2, opts2, hashing).await
            }),
        ));
    }
    let mut done: HashMap<String, LayerAnalysis> = HashMap::new();
    let mut first_err: Option<ImageError> = None;
    for (d, h) in handles {
        if first_err.is_some() {
            h.abort();
            continue;
        }
        match h.await {
            Ok(Ok(a)) => {
                done.insert(d, a);
            }
            Ok(Err(e)) => first_err = Some(e),
            Err(e) => {
                first_err = Some(ImageError::Connection {
                    url: d,
                    reason: format!("layer task failed: {e}"),
                })
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let layers = m
        .layers
        .iter()
        .map(|l| {
            done.get(&l.digest)
                .cloned()
                .ok_or_else(|| ImageError::NotFound(format!("layer {} was not analysed", l.digest)))
        })
        .collect::<Result<Vec<LayerAnalysis>, ImageError>>()?;
    let config_digest = m.config.digest.clone();
    tokio::task::spawn_blocking(move || {
        build_platform(
            platform,
            &digest,
            &media_type,
            manifest_bytes,
            &m,
            &config,
            Some(&config_digest),
            layers,
        )
    })
    .await
    .map_err(|e| ImageError::Connection {
        url: "merge".into(),
        reason: format!("merge task failed: {e}"),
    })?
}

/// Analyses every platform of `reference` in its registry (Docker Hub by default).
///
/// Errors before any platform is known (bad reference, index fetch) are returned as `Err`;
/// failures of one platform are recorded in its [`PlatformReport`] and the others go on.
pub async fn analyze_registry(
    reference: &str,
    opts: &RegistryOptions,
) -> Result<ImageReport, ImageError> {
    let r = Reference::parse(reference)?;
    let base = opts.base_url.clone().unwrap_or_else(|| r.base_url());
    let client = Arc::new(Client::new(base, r.repository.clone(), opts)?);
    let mut shared = opts.analyze.clone();
    shared.cache = Some(shared.cache_or_local());
    let aopts = &shared;
    let (root, ct, root_digest) = client
        .manifest(
            r.manifest_ref(),
            r.digest.as_deref(),
            aopts.max_manifest_bytes,
        )
        .await?;
    let (doc, root_mt) = parse_document(&root, ct.as_deref(), &format!("manifest of {reference}"))?;
    let mut report = ImageReport {
        source: reference.to_string(),
        root_digest: Some(root_digest.clone()),
        root_media_type: root_mt.clone(),
        platforms: Vec::new(),
        attestations_skipped: 0,
    };
    let mut walk = IndexWalk::new(Some(&root_digest), aopts.max_manifests);
    match doc {
        Document::Manifest(m) => {
            let pr = analyze_remote_platform(
                client.clone(),
                None,
                root_digest.clone(),
                root_mt,
                root.len() as u64,
                m,
                aopts,
            )
            .await
            .unwrap_or_else(|e| PlatformReport::failed(None, &root_digest, &e));
            push_filtered(&mut report, pr, aopts);
        }
        Document::Index(idx) => {
            let filter = aopts.platform.as_ref();
            if let Some(f) = walk.add(&root_digest, idx.manifests, 0, filter, &mut report) {
                report.platforms.push(f);
            }
        }
    }
    while let Some((d, depth)) = walk.next() {
        let step = async {
            sha256_hex(&d.digest)?;
            let (bytes, ct, digest) = client
                .manifest(&d.digest, Some(&d.digest), aopts.max_manifest_bytes)
                .await?;
            let ct = d.media_type.clone().or(ct);
            let (doc, mt) =
                parse_document(&bytes, ct.as_deref(), &format!("manifest {}", d.digest))?;
            match doc {
                Document::Index(inner) => Ok(Err(inner.manifests)),
                Document::Manifest(m) => Ok(Ok(analyze_remote_platform(
                    client.clone(),
                    d.platform.clone(),
                    digest,
                    mt,
                    bytes.len() as u64,
                    m,
                    aopts,
                )
                .await?)),
            }
        };
        match step.await {
            Ok(Ok(pr)) => push_filtered(&mut report, pr, aopts),
            Ok(Err(more)) => {
                let filter = aopts.platform.as_ref();
                if let Some(f) = walk.add(&d.digest, more, depth + 1, filter, &mut report) {
                    report.platforms.push(f);
                }
            }
            Err(e) => {
                report
                    .platforms
                    .push(PlatformReport::failed(d.platform.clone(), &d.digest, &e))
            }
        }
    }
    if report.platforms.is_empty() {
        return Err(ImageError::NotFound(format!(
            "{reference}: no image{} to analyse",
            aopts
                .platform
                .as_ref()
                .map(|p| format!(" for platform {p}"))
                .unwrap_or_default()
        )));
    }
    Ok(report)
}

/// Blocking form of [`analyze_registry`], on a private two-thread tokio runtime.
/// Must not be called from inside an async runtime.
pub fn analyze_registry_blocking(
    reference: &str,
    opts: &RegistryOptions,
) -> Result<ImageReport, ImageError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ImageError::io("tokio runtime", e))?;
    rt.block_on(analyze_registry(reference, opts))
}
