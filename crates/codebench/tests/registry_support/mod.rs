//! Loopback registry support for the image-job tests: small OCI images written by the test, the
//! real Debian `docker-registry` on 127.0.0.1 (pushed to with plain HTTP/1.1), and a proxy in
//! front of it that can answer 503 with `Retry-After` or stall, to play a failing registry.
//! Shared by the core and CLI tests (`#[path]`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

pub fn sha(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    let mut s = String::from("sha256:");
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request with `Connection: close`; returns status, headers (lowercase) and body.
pub fn http(
    addr: &str,
    method: &str,
    target: &str,
    ctype: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, out[split + 4..].to_vec())
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
             (the project's Makefile installs it); the image job tests need a real registry"
        );
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
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
            if TcpStream::connect(&addr).is_ok()
                && http(&addr, "GET", "/v2/", "text/plain", b"").0 == 200
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer /v2/ on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }

    pub fn push_blob(&self, repo: &str, data: &[u8]) {
        let (st, h, _) = http(
            &self.addr,
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            "text/plain",
            b"",
        );
        assert_eq!(st, 202, "upload start");
        let loc = h.iter().find(|(k, _)| k == "location").unwrap().1.clone();
        let loc = match loc.find("/v2/") {
            Some(i) => loc[i..].to_string(),
            None => loc,
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        let (st, _, body) = http(
            &self.addr,
            "PUT",
            &format!("{loc}{sep}digest={}", sha(data)),
            "application/octet-stream",
            data,
        );
        assert_eq!(st, 201, "blob upload: {}", String::from_utf8_lossy(&body));
    }

    /// Pushes an image and tags it.
    pub fn push_image(&self, repo: &str, tag: &str, img: &Image) {
        for l in &img.layers {
            self.push_blob(repo, &l.blob);
        }
        self.push_blob(repo, &img.config);
        let (st, _, body) = http(
            &self.addr,
            "PUT",
            &format!("/v2/{repo}/manifests/{tag}"),
            "application/vnd.oci.image.manifest.v1+json",
            &img.manifest,
        );
        assert_eq!(st, 201, "manifest push: {}", String::from_utf8_lossy(&body));
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
    let mut b = tar::Builder::new(std::fs::File::create(file).unwrap());
    let add = |b: &mut tar::Builder<std::fs::File>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    };
    let config_name = format!("{}.json", &sha(&img.config)[7..]);
    add(&mut b, &config_name, &img.config);
    let mut names = vec![];
    for (i, l) in img.layers.iter().enumerate() {
        let name = format!("{:064x}/layer.tar", i + 1);
        add(&mut b, &name, &l.tar);
        names.push(name);
    }
    let manifest = serde_json::to_vec(
        &json!([{ "Config": config_name, "RepoTags": ["test/img:latest"], "Layers": names }]),
    )
    .unwrap();
    add(&mut b, "manifest.json", &manifest);
    b.into_inner().unwrap().flush().unwrap();
}
