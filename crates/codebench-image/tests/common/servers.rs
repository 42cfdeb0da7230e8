//! Loopback servers for the registry tests: the real Debian `docker-registry`, and a small fake
//! registry that speaks Docker Hub's token flow, redirects blobs and injects faults.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{sha, TestImage};

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `docker-registry serve` on 127.0.0.1 with a temporary config and storage; killed on drop.
pub struct Registry {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        let bin = PathBuf::from("/usr/bin/docker-registry");
        assert!(
            bin.exists(),
            "/usr/bin/docker-registry is missing: run `apt-get install docker-registry` \
             (the project's Makefile installs it); the registry tests need it"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
                dir.path().join("storage").display()
            ),
        )
        .unwrap();
        let child = Command::new(&bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let reg = Registry {
            child,
            addr: addr.clone(),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read_exact(&mut buf).is_ok()
                    && buf.starts_with(b"HTTP/1.")
                    && &buf[9..12] == b"200"
                {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer /v2/ on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }

    /// Pushes a blob with the monolithic upload (POST then PUT ?digest=).
    pub async fn push_blob(&self, repo: &str, data: &[u8]) {
        let c = reqwest::Client::new();
        let r = c
            .post(format!("http://{}/v2/{repo}/blobs/uploads/", self.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202, "upload start");
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let loc = if loc.starts_with("http") {
            loc
        } else {
            format!("http://{}{loc}", self.addr)
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        let r = c
            .put(format!("{loc}{sep}digest={}", sha(data)))
            .header("content-type", "application/octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            201,
            "blob upload: {}",
            r.text().await.unwrap()
        );
    }

    pub async fn push_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) {
        let r = reqwest::Client::new()
            .put(format!(
                "http://{}/v2/{repo}/manifests/{reference}",
                self.addr
            ))
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            201,
            "manifest push: {}",
            r.text().await.unwrap()
        );
    }

    pub async fn push_image(&self, repo: &str, img: &TestImage) {
        for l in &img.layers {
            self.push_blob(repo, &l.blob).await;
        }
        self.push_blob(repo, &img.config).await;
        self.push_manifest(
            repo,
            &sha(&img.manifest),
            "application/vnd.oci.image.manifest.v1+json",
            &img.manifest,
        )
        .await;
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
