//! Loopback registry support for the image-job tests: small OCI images written by the test, the
//! real Debian `docker-registry` on 127.0.0.1 (from `codebench-testkit`), and a proxy in front
//! of it that can answer 503 with `Retry-After` or stall, to play a failing registry.
//! Shared by the core and CLI tests (`#[path]`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

pub use codebench_testkit::{sha, Registry};

/// A gzip layer: its tar, blob and digests.
pub struct Layer {
    pub tar: Vec<u8>,
    pub blob: Vec<u8>,
    pub digest: String,
    pub diff_id: String,
}

/// A layer holding `files` (path, size) and the directories they need.
pub fn layer(files: &[(&str, usize)]) -> Layer {
    let mut b = tar::Builder::new(Vec::new());
    let mut dirs = std::collections::BTreeSet::new();
    for (p, _) in files {
        let mut acc = String::new();
        let parts: Vec<&str> = p.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            dirs.insert(acc.clone());
        }
    }
    for d in &dirs {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_mtime(1_600_000_000);
        h.set_size(0);
        b.append_data(&mut h, format!("{d}/"), &[][..]).unwrap();
    }
    for (p, size) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        h.set_size(*size as u64);
        let data: Vec<u8> = (0..*size).map(|i| (i % 251) as u8).collect();
        b.append_data(&mut h, p, &data[..]).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&tar).unwrap();
    let blob = e.finish().unwrap();
    Layer {
        digest: sha(&blob),
        diff_id: sha(&tar),
        tar,
        blob,
    }
}

/// An OCI image: config and manifest over its layers.
pub struct Image {
    pub layers: Vec<Layer>,
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
}

pub fn image(layers: Vec<Layer>, env: &[&str]) -> Image {
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
        "config": {"Env": env, "Cmd": ["/bin/run"]},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
        "history": layers.iter().map(|_| json!({"created_by": "RUN x"})).collect::<Vec<_>>()
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": layers.iter().map(|l| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l.digest, "size": l.blob.len()})).collect::<Vec<_>>()
    }))
    .unwrap();
    Image {
        layers,
        config,
        manifest,
    }
}

/// Two images sharing their base layer (3 distinct layers in all).
pub fn two_images() -> (Image, Image) {
    let base = || {
        layer(&[
            ("usr/bin/python3", 30_000),
            ("etc/os-release", 200),
            ("usr/lib/x86_64-linux-gnu/libc.so.6", 12_000),
        ])
    };
    let a = image(
        vec![
            base(),
            layer(&[("app/main.py", 900), ("app/model/weights.bin", 5000)]),
        ],
        &["PATH=/usr/bin", "A=1"],
    );
    let b = image(
        vec![base(), layer(&[("srv/api/server.py", 700)])],
        &["PATH=/usr/bin", "B=1", "C=2"],
    );
    (a, b)
}

/// Pushes an [`Image`] to the shared test registry.
pub trait PushImage {
    /// Pushes `img` and tags it `tag`.
    fn push_image(&self, repo: &str, tag: &str, img: &Image);
}

impl PushImage for Registry {
    fn push_image(&self, repo: &str, tag: &str, img: &Image) {
        let blobs = img.layers.iter().map(|l| l.blob.as_slice());
        self.push_oci_image(repo, tag, blobs, &img.config, &img.manifest);
    }
}

/// What the proxy does with a connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Mode {
    /// Forward to the registry.
    Up = 0,
    /// Answer every request 503 with `Retry-After: 120`.
    Unavailable = 1,
    /// Accept and never answer.
    Stall = 2,
}

/// A TCP proxy on 127.0.0.1 in front of a registry, switchable between [`Mode`]s.
pub struct Proxy {
    pub addr: String,
    mode: Arc<AtomicU8>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let mode = Arc::new(AtomicU8::new(Mode::Up as u8));
        let (m, up) = (mode.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut c) = conn else { break };
                let (m, up) = (m.load(Ordering::SeqCst), up.clone());
                std::thread::spawn(move || match m {
                    0 => {
                        let Ok(mut u) = TcpStream::connect(&up) else {
                            return;
                        };
                        let (mut c2, mut u2) = (c.try_clone().unwrap(), u.try_clone().unwrap());
                        let t = std::thread::spawn(move || {
                            let _ = std::io::copy(&mut c2, &mut u2);
                            let _ = u2.shutdown(std::net::Shutdown::Write);
                        });
                        let _ = std::io::copy(&mut u, &mut c);
                        let _ = c.shutdown(std::net::Shutdown::Both);
                        let _ = t.join();
                    }
                    1 => {
                        let mut buf = [0u8; 4096];
                        let mut seen = Vec::new();
                        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                            match c.read(&mut buf) {
                                Ok(0) | Err(_) => return,
                                Ok(n) => seen.extend_from_slice(&buf[..n]),
                            }
                        }
                        let _ = c.write_all(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                    _ => {
                        std::thread::sleep(Duration::from_secs(3600));
                    }
                });
            }
        });
        Proxy { addr, mode }
    }

    pub fn set(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::SeqCst);
    }
}

/// Writes an OCI image layout holding `img` (index.json pointing at the manifest).
pub fn write_oci_layout(dir: &Path, img: &Image) {
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let blob = |data: &[u8]| {
        let p = dir.join("blobs/sha256").join(&sha(data)[7..]);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    blob(&img.manifest);
    blob(&img.config);
    for l in &img.layers {
        blob(&l.blob);
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&img.manifest), "size": img.manifest.len(),
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
    }))
    .unwrap();
    std::fs::write(dir.join("index.json"), index).unwrap();
}

/// Writes a legacy `docker save` archive of `img` (uncompressed layer tars).
pub fn write_docker_archive(file: &Path, img: &Image) {
    let tars = img.layers.iter().map(|l| l.tar.as_slice());
    codebench_testkit::write_docker_archive(file, &img.config, tars);
}
