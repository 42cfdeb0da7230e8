//! The HTTP side of the registry client: requests with the OCI distribution API's
//! authentication (anonymous, basic, or Docker Hub's bearer-token flow), redirects followed by
//! hand, and bounded, verified reads of manifests and small blobs.
//!
//! Invariants: the Authorization header goes to the registry only, never to a redirect target
//! (blob storage, CDN); at most five redirects; manifests, configs and token answers are read
//! up to a size bound; every manifest is checked against the digest that names it (the one
//! asked for and `Docker-Content-Digest`); status codes and `Retry-After` are kept in errors.

use reqwest::header::{
    HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{StatusCode, Url};
use tokio::sync::Mutex;

use super::{Credentials, RegistryOptions};
use crate::digest::{sha256_hex, sha256_of};
use crate::error::ImageError;
use crate::manifest::{Descriptor, ACCEPT as MANIFEST_ACCEPT};

const MAX_REDIRECTS: usize = 5;
const MAX_TOKEN_BYTES: u64 = 1 << 20;

/// A registry client for one repository: base URL, credentials and the bearer token it got.
pub(super) struct Client {
    http: reqwest::Client,
    base: String,
    repository: String,
    credentials: Option<Credentials>,
    auth: Mutex<Option<String>>,
}

/// A connection error for `url`, with the whole chain of causes.
pub(super) fn conn_err(url: &str, e: reqwest::Error) -> ImageError {
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
    /// A client of `repository` at `base`.
    pub(super) fn new(
        base: String,
        repository: String,
        opts: &RegistryOptions,
    ) -> Result<Client, ImageError> {
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

    /// The API URL of a manifest or blob.
    pub(super) fn url(&self, kind: &str, reference: &str) -> String {
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
    pub(super) async fn get(
        &self,
        url: &str,
        accept: Option<&str>,
    ) -> Result<reqwest::Response, ImageError> {
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
    pub(super) async fn manifest(
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
    pub(super) async fn small_blob(
        &self,
        d: &Descriptor,
        limit: u64,
    ) -> Result<Vec<u8>, ImageError> {
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
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
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
