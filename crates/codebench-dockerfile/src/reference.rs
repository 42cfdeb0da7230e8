//! Image references (`[registry/][namespace/]name[:tag][@digest]`) split into their parts, the
//! way Docker's `distribution/reference` reads them: the first path component is a registry when
//! it contains a `.` or a `:` or is `localhost`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A container image reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// Registry host (`nvcr.io`, `localhost:5000`); `None` means Docker Hub by default.
    pub registry: Option<String>,
    /// Path components between the registry and the name (`nvidia`, `nvidia/k8s`); `None` for
    /// an official Docker Hub image (also when written `library/…`).
    pub namespace: Option<String>,
    /// Last path component (`cuda`).
    pub name: String,
    /// Tag (`11.8.0-runtime-ubuntu22.04`), if written.
    pub tag: Option<String>,
    /// Digest (`sha256:…`), if written.
    pub digest: Option<String>,
}

/// Why a reference could not be split.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReferenceError {
    /// The text was empty.
    #[error("empty image reference")]
    Empty,
    /// The text contains white space or control characters.
    #[error("image reference {0:?} contains white space or control characters")]
    Whitespace(String),
    /// A path component is empty (`a//b`, trailing `/`, nothing before `:` or `@`).
    #[error("image reference {0:?} has an empty name component")]
    EmptyComponent(String),
}

impl ImageRef {
    /// Whether the image is on Docker Hub (no registry, or `docker.io` and its aliases).
    pub fn is_docker_hub(&self) -> bool {
        self.registry.as_deref().is_none_or(is_docker_hub_host)
    }

    /// Whether this is a Docker Official Image (`python`, `docker.io/library/python`); the study
    /// contrasts these with organisation images written `{org}/name`.
    pub fn is_official(&self) -> bool {
        self.is_docker_hub() && self.namespace.is_none()
    }

    /// `namespace/name` (just `name` for an official image).
    pub fn repository(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The path the base-image type table matches: `repository()` for Docker Hub images,
    /// `registry/repository()` for the rest; lower-cased.
    pub fn match_path(&self) -> String {
        let mut path = String::with_capacity(64);
        if let Some(r) = self.registry.as_deref().filter(|_| !self.is_docker_hub()) {
            path.push_str(r);
            path.push('/');
        }
        if let Some(ns) = &self.namespace {
            path.push_str(ns);
            path.push('/');
        }
        path.push_str(&self.name);
        path.make_ascii_lowercase();
        path
    }
}

impl ImageRef {
    /// [`ImageRef::match_path`] written into `buf` (no allocation); `None` when it does not fit.
    pub(crate) fn match_path_in<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        let mut len = 0;
        let mut put = |part: &str, buf: &mut [u8]| -> Option<()> {
            let end = len + part.len();
            buf.get_mut(len..end)?.copy_from_slice(part.as_bytes());
            len = end;
            Some(())
        };
        if let Some(r) = self.registry.as_deref().filter(|_| !self.is_docker_hub()) {
            put(r, buf)?;
            put("/", buf)?;
        }
        if let Some(ns) = &self.namespace {
            put(ns, buf)?;
            put("/", buf)?;
        }
        put(&self.name, buf)?;
        let path = &mut buf[..len];
        path.make_ascii_lowercase();
        // Whole UTF-8 strings were copied and only ASCII letters changed, so this cannot fail.
        std::str::from_utf8(path).ok()
    }
}

/// Docker Hub's host names.
fn is_docker_hub_host(host: &str) -> bool {
    [
        "docker.io",
        "index.docker.io",
        "registry-1.docker.io",
        "registry.hub.docker.com",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(host))
}

/// Splits an image reference. Lenient on characters (it keeps `$` and upper case so partially
/// resolved or unusual references can still be examined) but rejects empty parts and white space.
pub fn parse_image_reference(text: &str) -> Result<ImageRef, ReferenceError> {
    if text.is_empty() {
        return Err(ReferenceError::Empty);
    }
    // One pass over the bytes: printable ASCII (the usual case) needs no per-character Unicode
    // lookups; the first `@` ends the name.
    let b = text.as_bytes();
    let mut printable_ascii = true;
    let mut at = None;
    for (i, &c) in b.iter().enumerate() {
        printable_ascii &= (0x21..0x7F).contains(&c);
        if c == b'@' && at.is_none() {
            at = Some(i);
        }
    }
    if !printable_ascii && text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ReferenceError::Whitespace(text.to_string()));
    }
    let bad = || ReferenceError::EmptyComponent(text.to_string());
    // All cuts below are at ASCII bytes, so at character boundaries.
    let (rest, digest) = match at {
        Some(i) if i + 1 < text.len() => (&text[..i], Some(text[i + 1..].to_string())),
        Some(_) => return Err(bad()),
        None => (text, None),
    };
    let rb = rest.as_bytes();
    // The last `/`, and the last `:` after it (the tag separator).
    let mut last_slash = None;
    let mut colon = None;
    for (i, &c) in rb.iter().enumerate().rev() {
        match c {
            b'/' => {
                last_slash = Some(i);
                break;
            }
            b':' if colon.is_none() => colon = Some(i),
            _ => {}
        }
    }
    let (path, tag) = match colon {
        Some(i) if i + 1 == rest.len() => return Err(bad()),
        Some(i) => (&rest[..i], Some(rest[i + 1..].to_string())),
        None => (rest, None),
    };
    let pb = path.as_bytes();
    if pb.is_empty()
        || pb[0] == b'/'
        || pb[pb.len() - 1] == b'/'
        || pb.windows(2).any(|w| w == b"//")
    {
        return Err(bad());
    }
    let first_slash = pb.iter().position(|&c| c == b'/');
    // Where the path after the registry starts, in `rest` (and in `path`).
    let mut after_registry = 0;
    let mut registry = None;
    if let Some(i) = first_slash {
        let first = &path[..i];
        if first.bytes().any(|c| c == b'.' || c == b':') || first == "localhost" {
            registry = Some(first.to_string());
            after_registry = i + 1;
        }
    }
    // `last_slash` (in `rest`) comes before the tag separator, so it is inside `path`.
    let (namespace, name) = match last_slash {
        Some(i) if i >= after_registry => {
            (Some(&path[after_registry..i]), path[i + 1..].to_string())
        }
        _ => (None, path[after_registry..].to_string()),
    };
    let hub = registry.as_deref().is_none_or(is_docker_hub_host);
    let namespace = match namespace {
        Some("library") if hub => None,
        other => other.map(str::to_string),
    };
    Ok(ImageRef {
        registry,
        namespace,
        name,
        tag,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `split`-based version `parse_image_reference` replaced, kept as its specification.
    fn parse_by_splits(text: &str) -> Result<ImageRef, ReferenceError> {
        if text.is_empty() {
            return Err(ReferenceError::Empty);
        }
        // Printable ASCII (the usual case) needs no per-character Unicode lookups.
        let printable_ascii = text.bytes().all(|b| (0x21..0x7F).contains(&b));
        if !printable_ascii && text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ReferenceError::Whitespace(text.to_string()));
        }
        let bad = || ReferenceError::EmptyComponent(text.to_string());
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) if !d.is_empty() => (r, Some(d.to_string())),
            Some(_) => return Err(bad()),
            None => (text, None),
        };
        let last_slash = rest.rfind('/');
        let last_part = &rest[last_slash.map_or(0, |i| i + 1)..];
        let (path, tag) = match last_part.rfind(':') {
            Some(i) => {
                let tag = &last_part[i + 1..];
                if tag.is_empty() {
                    return Err(bad());
                }
                (&rest[..rest.len() - tag.len() - 1], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        if path.split('/').any(str::is_empty) {
            return Err(bad());
        }
        let (first, after_first) = path.split_once('/').unwrap_or((path, ""));
        let (registry, path) =
            if !after_first.is_empty() && (first.contains(['.', ':']) || first == "localhost") {
                (Some(first.to_string()), after_first)
            } else {
                (None, path)
            };
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
            None => (None, path.to_string()),
        };
        let mut namespace = namespace;
        let hub = registry.as_deref().is_none_or(is_docker_hub_host);
        if hub && namespace.as_deref() == Some("library") {
            namespace = None;
        }
        Ok(ImageRef {
            registry,
            namespace,
            name,
            tag,
            digest,
        })
    }

    #[test]
    fn agrees_with_the_split_version() {
        let alphabet = [
            "a",
            "B",
            "/",
            ":",
            "@",
            ".",
            "localhost",
            "library",
            "docker.io",
            "1",
            "$",
            " ",
            "é",
            "\u{7f}",
            "-",
            "_",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50_000 {
            let mut text = String::new();
            for _ in 0..next() % 9 {
                text.push_str(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            assert_eq!(
                parse_image_reference(&text),
                parse_by_splits(&text),
                "{text:?}"
            );
        }
    }

    fn r(s: &str) -> ImageRef {
        parse_image_reference(s).unwrap()
    }

    #[test]
    fn official_images() {
        let p = r("python:3.11-slim");
        assert_eq!(p.registry, None);
        assert_eq!(p.namespace, None);
        assert_eq!(p.name, "python");
        assert_eq!(p.tag.as_deref(), Some("3.11-slim"));
        assert!(p.is_official());
        assert!(r("docker.io/library/ubuntu").is_official());
        assert!(r("ubuntu").tag.is_none());
    }

    #[test]
    fn registries_namespaces_digests() {
        let c = r("nvcr.io/nvidia/k8s/dcgm-exporter:2.0@sha256:abc");
        assert_eq!(c.registry.as_deref(), Some("nvcr.io"));
        assert_eq!(c.namespace.as_deref(), Some("nvidia/k8s"));
        assert_eq!(c.name, "dcgm-exporter");
        assert_eq!(c.tag.as_deref(), Some("2.0"));
        assert_eq!(c.digest.as_deref(), Some("sha256:abc"));
        assert!(!c.is_official());
        assert_eq!(c.match_path(), "nvcr.io/nvidia/k8s/dcgm-exporter");

        let l = r("localhost:5000/app");
        assert_eq!(l.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(l.namespace, None);
        assert!(!l.is_official());

        let o = r("nvidia/cuda:11.8.0-devel");
        assert_eq!(o.registry, None);
        assert_eq!(o.namespace.as_deref(), Some("nvidia"));
        assert_eq!(o.match_path(), "nvidia/cuda");

        let d = r("debian@sha256:0123");
        assert_eq!(d.tag, None);
        assert_eq!(d.digest.as_deref(), Some("sha256:0123"));
    }

    #[test]
    fn match_path_on_the_stack_equals_match_path() {
        let c = r("nvcr.io/nvidia/k8s/dcgm-exporter:2.0@sha256:abc");
        let mut buf = [0u8; 64];
        assert_eq!(
            c.match_path_in(&mut buf),
            Some("nvcr.io/nvidia/k8s/dcgm-exporter")
        );
        assert_eq!(c.match_path_in(&mut [0u8; 8]), None);
        for text in [
            "Docker.io/Library/Ubuntu",
            "NVIDIA/Cuda:12",
            "python",
            "Reg.io/A/B/C",
        ] {
            let image = r(text);
            let mut buf = [0u8; 64];
            assert_eq!(
                image.match_path_in(&mut buf),
                Some(image.match_path().as_str())
            );
        }
    }

    #[test]
    fn bad_references() {
        assert_eq!(parse_image_reference(""), Err(ReferenceError::Empty));
        assert!(parse_image_reference("a b").is_err());
        assert!(parse_image_reference("a//b").is_err());
        assert!(parse_image_reference("a:").is_err());
        assert!(parse_image_reference("a@").is_err());
        assert!(parse_image_reference("/a").is_err());
    }
}
