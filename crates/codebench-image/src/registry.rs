//! A client of the OCI distribution API (Docker Hub and any OCI registry) that streams layer
//! blobs into the analyser.
//!
//! Written on reqwest rather than `oci-client` because this needs what oci-client 0.18 does not
//! offer: a size bound on manifests (it reads whole bodies), `Retry-After` and status codes kept
//! in errors (to class them retryable), and the Authorization header dropped on every redirect
//! (reqwest only drops it across hosts).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{StatusCode, Url};
use tokio::sync::{mpsc, Mutex, Semaphore};

use crate::digest::{sha256_hex, sha256_of};
use crate::error::ImageError;
use crate::index::IndexWalk;
use crate::layer::{analyze_layer_with, Hashing, LayerAnalysis, LayerInput, TransferError};
use crate::manifest::{
    parse_document, Descriptor, Document, Manifest, Platform, ACCEPT as MANIFEST_ACCEPT,
};
use crate::reference::Reference;
use crate::report::{build_platform, push_filtered, AnalyzeOptions, ImageReport, PlatformReport};

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

const MAX_REDIRECTS: usize = 5;
const MAX_TOKEN_BYTES: u64 = 1 << 20;

struct Client {
    http: reqwest::Client,
    base: String,
    repository: String,
    credentials: Option<Credentials>,
    auth: Mutex<Option<String>>,
}

fn conn_err(url: &str, e: reqwest::Error) -> ImageError {
    let mut reason = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        src = s.source();
    }
    ImageError::Connection {
        url: url.to_string(),
        reason,
    }
}

fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`).
fn parse_challenge(h: &str) -> (String, Vec<(String, String)>) {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(' ' | ',')) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.push((key.trim().to_ascii_lowercase(), value));
    }
    (scheme.to_ascii_lowercase(), params)
}

impl Client {
    fn new(base: String, repository: String, opts: &RegistryOptions) -> Result<Client, ImageError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            .user_agent(concat!("codebench-image/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| conn_err(&base, e))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            repository,
            credentials: opts.credentials.clone(),
            auth: Mutex::new(None),
        })
    }

    fn url(&self, kind: &str, reference: &str) -> String {
        format!("{}/v2/{}/{kind}/{reference}", self.base, self.repository)
    }

    /// One GET, following redirects by hand: the Authorization header goes to the registry only,
    /// never to the redirect target (blob storage, CDN).
    async fn get_following(
        &self,
        url: &str,
        accept: Option<&str>,
        auth: Option<&str>,
    ) -> Result<reqwest::Response, ImageError> {
        let mut current = Url::parse(url).map_err(|e| ImageError::Reference {
            reference: url.to_string(),
            reason: e.to_string(),
        })?;
        for hop in 0..=MAX_REDIRECTS {
            let mut req = self.http.get(current.clone());
            if let Some(a) = accept {
                req = req.header(ACCEPT, a);
            }
            if hop == 0 {
                if let Some(a) = auth {
                    req = req.header(AUTHORIZATION, a);
                }
            }
            let resp = req
                .send()
                .await
                .map_err(|e| conn_err(current.as_str(), e))?;
            if resp.status().is_redirection() {
                let loc = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| ImageError::Http {
                        status: resp.status().as_u16(),
                        url: current.to_string(),
                        retry_after: None,
                    })?;
                current = current.join(loc).map_err(|e| ImageError::Reference {
                    reference: loc.to_string(),
                    reason: format!("bad redirect: {e}"),
                })?;
                continue;
            }
            return Ok(resp);
        }
        Err(ImageError::Connection {
            url: url.to_string(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// GET with authentication: anonymous or cached token first, then the challenge flow once.
    async fn get(&self, url: &str, accept: Option<&str>) -> Result<reqwest::Response, ImageError> {
        let auth = self.auth.lock().await.clone();
        let resp = self.get_following(url, accept, auth.as_deref()).await?;
        let resp = if resp.status() == StatusCode::UNAUTHORIZED {
            let challenge = resp
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .ok_or_else(|| ImageError::Unauthorized {
                    url: url.to_string(),
                    reason: "401 without WWW-Authenticate challenge".into(),
                })?;
            let header = self.authenticate(url, &challenge).await?;
            *self.auth.lock().await = Some(header.clone());
            self.get_following(url, accept, Some(&header)).await?
        } else {
            resp
        };
        check_status(resp)
    }

    async fn authenticate(&self, url: &str, challenge: &str) -> Result<String, ImageError> {
        let (scheme, params) = parse_challenge(challenge);
        let param = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        match scheme.as_str() {
            "basic" => {
                let c = self
                    .credentials
                    .as_ref()
                    .ok_or_else(|| ImageError::Unauthorized {
                        url: url.to_string(),
                        reason: "registry wants basic auth and no credentials were given".into(),
                    })?;
                Ok(format!(
                    "Basic {}",
                    base64(format!("{}:{}", c.username, c.password).as_bytes())
                ))
            }
            "bearer" => {
                let realm = param("realm").ok_or_else(|| ImageError::Unauthorized {
                    url: url.to_string(),
                    reason: format!("bearer challenge without realm: {challenge}"),
                })?;
                let mut token_url = Url::parse(&realm).map_err(|e| ImageError::Unauthorized {
                    url: url.to_string(),
                    reason: format!("bad token realm {realm:?}: {e}"),
                })?;
                {
                    let mut q = token_url.query_pairs_mut();
                    if let Some(s) = param("service") {
                        q.append_pair("service", &s);
                    }
                    let scope = param("scope")
                        .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
                    q.append_pair("scope", &scope);
                }
                let mut req = self.http.get(token_url.clone());
                if let Some(c) = &self.credentials {
                    req = req.basic_auth(&c.username, Some(&c.password));
                }
                let resp = req
                    .send()
                    .await
                    .map_err(|e| conn_err(token_url.as_str(), e))?;
                if resp.status() == StatusCode::UNAUTHORIZED
                    || resp.status() == StatusCode::FORBIDDEN
                {
                    return Err(ImageError::Unauthorized {
                        url: token_url.to_string(),
                        reason: format!("token endpoint answered {}", resp.status()),
                    });
                }
                let resp = check_status(resp)?;
                let body = read_bounded(resp, MAX_TOKEN_BYTES, "token response").await?;
                #[derive(serde::Deserialize)]
                struct Token {
                    token: Option<String>,
                    access_token: Option<String>,
                }
                let t: Token = serde_json::from_slice(&body).map_err(|e| ImageError::Parse {
                    what: format!("token response from {realm}"),
                    reason: e.to_string(),
                })?;
                let tok = t
                    .token
                    .or(t.access_token)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| ImageError::Unauthorized {
                        url: realm.clone(),
                        reason: "token response has no token".into(),
                    })?;
                Ok(format!("Bearer {tok}"))
            }
            other => Err(ImageError::Unauthorized {
                url: url.to_string(),
                reason: format!("unsupported auth scheme {other:?}"),
            }),
        }
    }

    /// Fetches a manifest or index (bounded), verifying it against `expected` or the
    /// `Docker-Content-Digest` header. Returns bytes, content type and digest.
    async fn manifest(
        &self,
        reference: &str,
        expected: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<u8>, Option<String>, String), ImageError> {
        let url = self.url("manifests", reference);
        let resp = self.get(&url, Some(MANIFEST_ACCEPT)).await?;
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let header_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = read_bounded(resp, limit, &format!("manifest {url}")).await?;
        let actual = sha256_of(&body);
        for exp in [
            expected.map(str::to_string),
            header_digest.filter(|d| d.starts_with("sha256:")),
        ]
        .into_iter()
        .flatten()
        {
            if exp != actual {
                return Err(ImageError::DigestMismatch {
                    what: format!("manifest {url}"),
                    expected: exp,
                    actual,
                });
            }
        }
        Ok((body, ct, actual))
    }

    /// Fetches a small blob (config), bounded and verified.
    async fn small_blob(&self, d: &Descriptor, limit: u64) -> Result<Vec<u8>, ImageError> {
        sha256_hex(&d.digest)?;
        let url = self.url("blobs", &d.digest);
        let resp = self.get(&url, None).await?;
        let body = read_bounded(resp, limit, &format!("config {}", d.digest)).await?;
        let actual = sha256_of(&body);
        if actual != d.digest {
            return Err(ImageError::DigestMismatch {
                what: format!("blob {url}"),
                expected: d.digest.clone(),
                actual,
            });
        }
        Ok(body)
    }
}

fn check_status(resp: reqwest::Response) -> Result<reqwest::Response, ImageError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(ImageError::Unauthorized {
            url: resp.url().to_string(),
            reason: format!("HTTP {status}"),
        });
    }
    Err(ImageError::Http {
        status: status.as_u16(),
        url: resp.url().to_string(),
        retry_after: retry_after(resp.headers()),
    })
}

async fn read_bounded(
    mut resp: reqwest::Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, ImageError> {
    if let Some(len) = resp.content_length() {
        if len > limit {
            return Err(ImageError::TooLarge {
                what: what.to_string(),
                size: len,
                limit,
            });
        }
    }
    let url = resp.url().to_string();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| conn_err(&url, e))? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(ImageError::TooLarge {
                what: what.to_string(),
                size: body.len() as u64 + chunk.len() as u64,
                limit,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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
    if let Some(c) = &opts.cache {
        if let Some(a) = c.get(&d.digest) {
            return Ok(a);
        }
    }
    sha256_hex(&d.digest)?;
    let media_type = d.media_type.clone().ok_or_else(|| ImageError::MediaType {
        what: format!("layer {}", d.digest),
        reason: "descriptor has no media type".into(),
    })?;
    crate::layer::compression_of_media_type(&media_type).map_err(|_| ImageError::MediaType {
        what: format!("layer {}", d.digest),
        reason: format!("unknown layer media type {media_type:?}"),
    })?;
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
    if let Some(c) = &opts.cache {
        c.put(&d.digest, &a);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_parsing() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull""#,
        );
        assert_eq!(s, "bearer");
        assert_eq!(
            p[0],
            ("realm".into(), "https://auth.docker.io/token".into())
        );
        assert_eq!(
            p[2],
            ("scope".into(), "repository:library/python:pull".into())
        );
        let (s, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!((s.as_str(), p[0].1.as_str()), ("basic", "Registry Realm"));
    }

    #[test]
    fn base64_encodes() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
