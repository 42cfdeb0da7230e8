//! Container image references (`[registry/][namespace/]name[:tag][@digest]`): the one grammar
//! every crate of the workspace reads them with.
//!
//! [`parse_image_reference`] splits a reference into its parts the way Docker's
//! `distribution/reference` does: the first path component is a registry when another component
//! follows it and it contains a `.` or a `:` or is `localhost`; the tag is the last `:` after the
//! last `/`; the digest follows the first `@`; `library/` is dropped from Docker Hub names. The
//! split is lenient on characters (a Dockerfile's `FROM $BASE` or `FROM NVIDIA/cuda` can still be
//! examined); callers that need a name Docker would accept check the parts with
//! [`is_valid_component`], [`is_valid_tag`] and [`is_sha256_digest`]. Who uses which:
//!
//! - `codebench-dockerfile`: the split alone, for base-image metrics;
//! - `codebench-image`: the split and all three checks, before asking a registry;
//! - `codebench-github`: Docker Hub references found in READMEs, compose files and workflows;
//! - `codebench-hub`: Docker Hub repository names (`namespace/repository`).
//!
//! Pure: no I/O, no allocation beyond the parts returned.

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
    pub fn match_path_in<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
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

/// The host names under which Docker Hub's registry is written in references.
pub const DOCKER_HUB_HOSTS: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// Whether `host` is Docker Hub under one of its names ([`DOCKER_HUB_HOSTS`]); host names are
/// compared without regard to case.
pub fn is_docker_hub_host(host: &str) -> bool {
    DOCKER_HUB_HOSTS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
}

/// Whether a reference's first path component names a registry rather than a namespace: it
/// contains a `.` or a `:`, or is `localhost` (only when another component follows it).
pub fn is_registry_component(first: &str) -> bool {
    first.bytes().any(|c| c == b'.' || c == b':') || first == "localhost"
}

/// Whether `p` is a path component Docker accepts: `[a-z0-9]+` runs joined by one `.`, one or
/// two `_`, or any number of `-`; at most 255 bytes.
pub fn is_valid_component(p: &str) -> bool {
    let b = p.as_bytes();
    if b.is_empty() || b.len() > 255 {
        return false;
    }
    if !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'))
    {
        return false;
    }
    // No separators other than `__` next to each other (dashes may repeat).
    !p.contains("..") && !p.contains("___") && !p.contains("._") && !p.contains("_.")
}

/// Whether `t` is a tag Docker accepts: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// Whether `d` is a SHA-256 digest: `sha256:` and 64 hex digits (either case).
pub fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `text` without a tag made of variables (`app:${{ github.sha }}`, `torch:${TAG:-latest}`),
/// which may hold `:`, spaces or braces that are no part of the grammar; the digest stays. A
/// reference whose tag is plain text comes back as it is.
pub fn without_variable_tag(text: &str) -> std::borrow::Cow<'_, str> {
    let name_end = text.find('@').unwrap_or(text.len());
    let last_slash = text[..name_end].rfind('/').map_or(0, |i| i + 1);
    match text[last_slash..name_end].find(':') {
        Some(i) if text[last_slash + i..name_end].contains(['$', '{']) => {
            std::borrow::Cow::Owned(format!("{}{}", &text[..last_slash + i], &text[name_end..]))
        }
        _ => std::borrow::Cow::Borrowed(text),
    }
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
        if is_registry_component(first) {
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

    #[test]
    fn docker_accepts_these_parts() {
        for ok in [
            "a", "python", "a-b", "a--b", "a_b", "a__b", "a.b", "cuda12", "0",
        ] {
            assert!(is_valid_component(ok), "{ok}");
        }
        for bad in [
            "", "A", "-a", "a-", "a..b", "a___b", "a._b", "a_.b", "a b", "a/b", "$a",
        ] {
            assert!(!is_valid_component(bad), "{bad}");
        }
        assert!(!is_valid_component(&"a".repeat(256)));
        for ok in ["latest", "3.11-slim", "_x", "V1.0", &"t".repeat(128)] {
            assert!(is_valid_tag(ok), "{ok}");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", "${TAG}", &"t".repeat(129)] {
            assert!(!is_valid_tag(bad), "{bad}");
        }
        let hex = "0123456789abcdef".repeat(4);
        assert!(is_sha256_digest(&format!("sha256:{hex}")));
        assert!(is_sha256_digest(&format!("sha256:{}", hex.to_uppercase())));
        assert!(!is_sha256_digest(&format!("sha512:{hex}")));
        assert!(!is_sha256_digest("sha256:abc"));
        assert!(is_docker_hub_host("Docker.IO"));
        assert!(is_docker_hub_host("registry.hub.docker.com"));
        assert!(!is_docker_hub_host("ghcr.io"));
        assert!(is_registry_component("localhost"));
        assert!(is_registry_component("reg:5000"));
        assert!(!is_registry_component("nvidia"));
    }

    #[test]
    fn variable_tags_are_cut_off() {
        assert_eq!(without_variable_tag("app:${{ github.sha }}"), "app");
        assert_eq!(
            without_variable_tag("pytorch/pytorch:${TAG:-latest}"),
            "pytorch/pytorch"
        );
        let hex = "0123456789abcdef".repeat(4);
        assert_eq!(
            without_variable_tag(&format!("a/b:${{T}}@sha256:{hex}")),
            format!("a/b@sha256:{hex}")
        );
        assert_eq!(without_variable_tag("python:3.11"), "python:3.11");
        assert_eq!(without_variable_tag("${REG}/app:1"), "${REG}/app:1");
        assert_eq!(
            without_variable_tag("localhost:5000/app"),
            "localhost:5000/app"
        );
    }
}
