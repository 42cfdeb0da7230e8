//! Image references: `[host[:port]/]repository[:tag][@digest]`, with Docker Hub defaults.

use crate::error::ImageError;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host as written (`docker.io` when omitted).
    pub registry: String,
    /// Repository path (`library/python` for official Docker Hub images).
    pub repository: String,
    /// Tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// Digest, when pinned.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a reference the way Docker does: split by the workspace's one grammar
    /// ([`codebench_reference::parse_image_reference`]), then every part checked as a registry
    /// would (lower-case name components, a valid tag, a `sha256:` digest in lower-case hex).
    pub fn parse(s: &str) -> Result<Reference, ImageError> {
        let bad = |reason: &str| ImageError::Reference {
            reference: s.to_string(),
            reason: reason.to_string(),
        };
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_whitespace()) {
            return Err(bad("empty, too long or contains spaces"));
        }
        let parts = codebench_reference::parse_image_reference(s).map_err(|e| match e {
            codebench_reference::ReferenceError::EmptyComponent(_) if s.ends_with('@') => {
                bad("digest must be sha256:<64 hex>")
            }
            codebench_reference::ReferenceError::EmptyComponent(_) => {
                bad("invalid repository name (lowercase letters, digits, . _ - and /)")
            }
            _ => bad("empty, too long or contains spaces"),
        })?;
        if let Some(d) = &parts.digest {
            crate::digest::sha256_hex(d).map_err(|_| bad("digest must be sha256:<64 hex>"))?;
        }
        if parts
            .tag
            .as_deref()
            .is_some_and(|t| !codebench_reference::is_valid_tag(t))
        {
            return Err(bad("invalid tag"));
        }
        let namespace_ok = parts
            .namespace
            .as_deref()
            .is_none_or(|ns| ns.split('/').all(codebench_reference::is_valid_component));
        if !namespace_ok || !codebench_reference::is_valid_component(&parts.name) {
            return Err(bad(
                "invalid repository name (lowercase letters, digits, . _ - and /)",
            ));
        }
        let repository = match (&parts.namespace, parts.is_docker_hub()) {
            (None, true) => format!("library/{}", parts.name),
            _ => parts.repository(),
        };
        let tag = match (parts.tag, &parts.digest) {
            (None, None) => Some("latest".to_string()),
            (tag, _) => tag,
        };
        Ok(Reference {
            registry: parts.registry.unwrap_or_else(|| "docker.io".to_string()),
            repository,
            tag,
            digest: parts.digest,
        })
    }

    /// True for Docker Hub (under any of its host names).
    pub fn is_docker_hub(&self) -> bool {
        codebench_reference::is_docker_hub_host(&self.registry)
    }

    /// The API base URL: Docker Hub's API host, plain HTTP for loopback registries
    /// (`localhost`, `127.0.0.1`, `[::1]`), HTTPS for everything else.
    pub fn base_url(&self) -> String {
        if self.is_docker_hub() {
            return "https://registry-1.docker.io".to_string();
        }
        let host = if let Some(rest) = self.registry.strip_prefix('[') {
            rest.split(']').next().unwrap_or("")
        } else {
            self.registry.split(':').next().unwrap_or("")
        };
        let scheme = if matches!(host, "localhost" | "127.0.0.1" | "::1") {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}", self.registry)
    }

    /// The tag or digest to ask the manifest endpoint for (the digest wins).
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_defaults() {
        let r = Reference::parse("python:3.11").unwrap();
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/python");
        assert_eq!(r.tag.as_deref(), Some("3.11"));
        assert_eq!(r.base_url(), "https://registry-1.docker.io");
        let r = Reference::parse("pytorch/pytorch").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.manifest_ref()),
            ("pytorch/pytorch", "latest")
        );
    }

    #[test]
    fn loopback_is_plain_http() {
        let r = Reference::parse("127.0.0.1:5000/ns/img:tag").unwrap();
        assert_eq!(r.base_url(), "http://127.0.0.1:5000");
        assert_eq!(r.repository, "ns/img");
        let r = Reference::parse("localhost:5000/img").unwrap();
        assert_eq!(r.base_url(), "http://localhost:5000");
        assert_eq!(r.repository, "img");
        let r = Reference::parse("ghcr.io/o/r:1").unwrap();
        assert_eq!(r.base_url(), "https://ghcr.io");
    }

    #[test]
    fn digests_and_errors() {
        let d = format!("sha256:{}", "ab".repeat(32));
        let r = Reference::parse(&format!("quay.io/a/b@{d}")).unwrap();
        assert_eq!(r.manifest_ref(), d);
        assert!(Reference::parse("Upper/Case").is_err());
        assert!(Reference::parse("a b").is_err());
        assert!(Reference::parse("x@sha256:12").is_err());
        assert!(Reference::parse("img:bad/tag:").is_err());
        // Docker's grammar: no doubled separators, none at either end.
        assert!(Reference::parse("a..b").is_err());
        assert!(Reference::parse("-a").is_err());
        assert!(Reference::parse("ghcr.io/_/x").is_err());
        // Host names are compared without regard to case.
        let r = Reference::parse("Docker.IO/python").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.base_url().as_str()),
            ("library/python", "https://registry-1.docker.io")
        );
    }
}
