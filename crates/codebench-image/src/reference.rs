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
    /// Parses a reference the way Docker does.
    pub fn parse(s: &str) -> Result<Reference, ImageError> {
        let bad = |reason: &str| ImageError::Reference {
            reference: s.to_string(),
            reason: reason.to_string(),
        };
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_whitespace()) {
            return Err(bad("empty, too long or contains spaces"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                crate::digest::sha256_hex(d).map_err(|_| bad("digest must be sha256:<64 hex>"))?;
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i + 1..].contains('/') => {
                (&rest[..i], Some(rest[i + 1..].to_string()))
            }
            _ => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !ok {
                return Err(bad("invalid tag"));
            }
        }
        let (registry, repo) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        if repo.is_empty()
            || repo.split('/').any(|c| {
                c.is_empty()
                    || !c.chars().all(|ch| {
                        ch.is_ascii_lowercase()
                            || ch.is_ascii_digit()
                            || matches!(ch, '.' | '_' | '-')
                    })
            })
        {
            return Err(bad(
                "invalid repository name (lowercase letters, digits, . _ - and /)",
            ));
        }
        let is_hub = matches!(
            registry.as_str(),
            "docker.io" | "index.docker.io" | "registry-1.docker.io"
        );
        let repository = if is_hub && !repo.contains('/') {
            format!("library/{repo}")
        } else {
            repo
        };
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// True for Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        matches!(
            self.registry.as_str(),
            "docker.io" | "index.docker.io" | "registry-1.docker.io"
        )
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
    }
}
