//! Loopback servers for the registry tests: the real Debian `docker-registry`, and a small fake
//! registry that speaks Docker Hub's token flow, redirects blobs and injects faults.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{sha, TestImage};

pub use codebench_testkit::Registry;

/// Pushes a [`TestImage`] to the shared test registry, under its manifest's digest.
pub trait PushTestImage {
    /// Pushes `img`'s layers, config and manifest (tag it with `push_manifest`).
    fn push_image(&self, repo: &str, img: &TestImage);
}

impl PushTestImage for Registry {
    fn push_image(&self, repo: &str, img: &TestImage) {
        let blobs = img.layers.iter().map(|l| l.blob.as_slice());
        self.push_oci_image(repo, &sha(&img.manifest), blobs, &img.config, &img.manifest);
    }
}

/// What the fake registry answers on a path.
#[derive(Clone)]
pub enum Route {
    Ok(Vec<u8>, &'static str),
    Status(u16, Option<u64>),
    /// Declares the full length, sends `n` bytes and closes the connection.
    Drop(Vec<u8>, usize),
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
}

/// A fake registry on 127.0.0.1 with Docker Hub's bearer-token flow (when `auth`), blobs
/// answered by a redirect to `/cdn/…` that rejects any Authorization header.
pub struct Fake {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub routes: Arc<Mutex<HashMap<String, Route>>>,
}

pub const TOKEN: &str = "tok-123";

impl Fake {
    pub async fn start(auth: bool) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::new(Mutex::new(HashMap::new()));
        let (s2, r2, b2) = (seen.clone(), routes.clone(), base.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    break;
                };
                let (seen, routes, base) = (s2.clone(), r2.clone(), b2.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut tmp = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut tmp).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&tmp[..n]),
                        }
                        if buf.len() > 65536 {
                            return;
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let mut lines = head.split("\r\n");
                    let target = lines
                        .next()
                        .unwrap_or("")
                        .split(' ')
                        .nth(1)
                        .unwrap_or("/")
                        .to_string();
                    let mut authz = None;
                    for l in lines {
                        if let Some((k, v)) = l.split_once(':') {
                            if k.eq_ignore_ascii_case("authorization") {
                                authz = Some(v.trim().to_string());
                            }
                        }
                    }
                    seen.lock().unwrap().push(Seen {
                        path: target.clone(),
                        authorization: authz.clone(),
                    });
                    let path = target.split('?').next().unwrap().to_string();
                    let mut extra = String::new();
                    let (status, body, ctype, drop_at): (u16, Vec<u8>, &str, Option<usize>) =
                        if path == "/token" {
                            (
                                200,
                                format!("{{\"token\":\"{TOKEN}\",\"expires_in\":300}}")
                                    .into_bytes(),
                                "application/json",
                                None,
                            )
                        } else if let Some(rest) = path.strip_prefix("/cdn") {
                            if authz.is_some() {
                                (
                                    400,
                                    b"authorization leaked to blob storage".to_vec(),
                                    "text/plain",
                                    None,
                                )
                            } else {
                                match routes.lock().unwrap().get(rest).cloned() {
                                    Some(Route::Ok(b, ct)) => (200, b, ct, None),
                                    Some(Route::Drop(b, n)) => {
                                        (200, b, "application/octet-stream", Some(n))
                                    }
                                    Some(Route::Status(c, ra)) => {
                                        if let Some(ra) = ra {
                                            extra.push_str(&format!("Retry-After: {ra}\r\n"));
                                        }
                                        (c, vec![], "text/plain", None)
                                    }
                                    None => (404, vec![], "text/plain", None),
                                }
                            }
                        } else if auth && authz.as_deref() != Some(&format!("Bearer {TOKEN}")) {
                            let repo = path
                                .trim_start_matches("/v2/")
                                .split("/manifests/")
                                .next()
                                .unwrap_or("")
                                .split("/blobs/")
                                .next()
                                .unwrap_or("");
                            extra.push_str(&format!(
                            "WWW-Authenticate: Bearer realm=\"{base}/token\",service=\"fake.hub\",scope=\"repository:{repo}:pull\"\r\n"
                        ));
                            (
                                401,
                                b"{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".to_vec(),
                                "application/json",
                                None,
                            )
                        } else if path.contains("/blobs/")
                            && !matches!(routes.lock().unwrap().get(&path), Some(Route::Status(..)))
                        {
                            // Blob storage lives elsewhere: redirect (relative Location on purpose).
                            extra.push_str(&format!("Location: /cdn{path}\r\n"));
                            (307, vec![], "text/plain", None)
                        } else {
                            match routes.lock().unwrap().get(&path).cloned() {
                                Some(Route::Ok(b, ct)) => (200, b, ct, None),
                                Some(Route::Drop(b, n)) => {
                                    (200, b, "application/octet-stream", Some(n))
                                }
                                Some(Route::Status(c, ra)) => {
                                    if let Some(ra) = ra {
                                        extra.push_str(&format!("Retry-After: {ra}\r\n"));
                                    }
                                    (c, vec![], "text/plain", None)
                                }
                                None => (
                                    404,
                                    b"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".to_vec(),
                                    "application/json",
                                    None,
                                ),
                            }
                        };
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: {ctype}\r\nConnection: close\r\n{extra}\r\n",
                        body.len()
                    );
                    let _ = sock.write_all(head.as_bytes()).await;
                    let n = drop_at.unwrap_or(body.len()).min(body.len());
                    let _ = sock.write_all(&body[..n]).await;
                    let _ = sock.flush().await;
                });
            }
        });
        Fake { base, seen, routes }
    }

    pub fn route(&self, path: &str, r: Route) {
        self.routes.lock().unwrap().insert(path.to_string(), r);
    }

    /// Serves an image: its manifest by digest (and by `tag` if given), config and layers.
    pub fn serve_image(&self, repo: &str, img: &TestImage, tag: Option<&str>) {
        let mt = "application/vnd.oci.image.manifest.v1+json";
        self.route(
            &format!("/v2/{repo}/manifests/{}", sha(&img.manifest)),
            Route::Ok(img.manifest.clone(), mt),
        );
        if let Some(t) = tag {
            self.route(
                &format!("/v2/{repo}/manifests/{t}"),
                Route::Ok(img.manifest.clone(), mt),
            );
        }
        self.route(
            &format!("/v2/{repo}/blobs/{}", sha(&img.config)),
            Route::Ok(img.config.clone(), "application/octet-stream"),
        );
        for l in &img.layers {
            self.route(
                &format!("/v2/{repo}/blobs/{}", l.digest),
                Route::Ok(l.blob.clone(), "application/octet-stream"),
            );
        }
    }
}
