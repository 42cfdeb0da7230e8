//! Test support shared by the image tests of `codebench-image`, `codebench` and
//! `codebench-cli`: the real Debian `docker-registry` on 127.0.0.1 (pushed to with plain
//! HTTP/1.1), and the `docker save` archive format. Each crate keeps its own image
//! builders; what talks to the registry or writes an archive lives here once.
//!
//! Test code: failures panic with what went wrong, as a test wants.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

/// Media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// `sha256:<hex>` of `data`: the digest a registry and a layout name a blob by.
pub fn sha(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    let mut s = String::from("sha256:");
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A port on 127.0.0.1 that was free a moment ago, for a server the test starts.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request with `Connection: close`; returns status, headers (lowercase names)
/// and body. Plain sockets, so it works inside and outside an async runtime alike.
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
    /// `127.0.0.1:<port>` it listens on.
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts the registry and waits (up to 20 s) until `/v2/` answers 200.
    pub fn start() -> Registry {
        let bin = PathBuf::from("/usr/bin/docker-registry");
        assert!(
            bin.exists(),
            "/usr/bin/docker-registry is missing: run `apt-get install docker-registry` \
             (scripts/deps.sh installs it); the image tests need a real registry"
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

    /// Pushes a blob with the monolithic upload (POST, then PUT `?digest=`).
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

    /// Puts a manifest (or index) under `reference`, a tag or a digest.
    pub fn push_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) {
        let (st, _, answer) = http(
            &self.addr,
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            media_type,
            body,
        );
        assert_eq!(
            st,
            201,
            "manifest push: {}",
            String::from_utf8_lossy(&answer)
        );
    }

    /// Pushes an OCI image: its layer blobs, its config, then its manifest under `reference`.
    pub fn push_oci_image<'a>(
        &self,
        repo: &str,
        reference: &str,
        layer_blobs: impl IntoIterator<Item = &'a [u8]>,
        config: &[u8],
        manifest: &[u8],
    ) {
        for blob in layer_blobs {
            self.push_blob(repo, blob);
        }
        self.push_blob(repo, config);
        self.push_manifest(repo, reference, OCI_MANIFEST, manifest);
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a legacy `docker save` archive tagged `test/img:latest`: the config as `<hex>.json`,
/// uncompressed `<id>/layer.tar` members, and `manifest.json` last, so a reader must index the
/// whole archive before it knows what is in it.
pub fn write_docker_archive<'a>(
    file: &Path,
    config: &[u8],
    layer_tars: impl IntoIterator<Item = &'a [u8]>,
) {
    let mut b = tar::Builder::new(std::fs::File::create(file).unwrap());
    let add = |b: &mut tar::Builder<std::fs::File>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    };
    let config_name = format!("{}.json", &sha(config)[7..]);
    add(&mut b, &config_name, config);
    let mut names = vec![];
    for (i, tar) in layer_tars.into_iter().enumerate() {
        let name = format!("{:064x}/layer.tar", i + 1);
        add(&mut b, &name, tar);
        names.push(name);
    }
    let manifest = serde_json::to_vec(
        &json!([{ "Config": config_name, "RepoTags": ["test/img:latest"], "Layers": names }]),
    )
    .unwrap();
    add(&mut b, "manifest.json", &manifest);
    b.into_inner().unwrap().flush().unwrap();
}
