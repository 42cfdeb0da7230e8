//! Docker Hub repository names: `namespace/repository`, read from an image reference
//! (`python:3.11` → `library/python`) or a Hub page URL.

use serde::{Deserialize, Serialize};

/// The namespace of official images.
pub const OFFICIAL_NAMESPACE: &str = "library";

/// Longest reference read.
const MAX_REFERENCE_CHARS: usize = 512;

/// Why a text does not name a Docker Hub repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The reference names another registry (`ghcr.io/...`, `quay.io/...`).
    #[error("{reference:?} is on {registry}, not Docker Hub")]
    OtherRegistry {
        /// The text given.
        reference: String,
        /// The registry host.
        registry: String,
    },
    /// Not a valid Docker Hub name (upper case, nesting, bad characters, empty).
    #[error("{reference:?} is not a Docker Hub repository name: {message}")]
    Invalid {
        /// The text given.
        reference: String,
        /// What is wrong.
        message: String,
    },
}

/// A Docker Hub repository: `namespace/repository` (official images in `library`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct HubName {
    /// User or organisation, or `library` for official images.
    pub namespace: String,
    /// The repository within the namespace.
    pub repository: String,
}

impl HubName {
    /// A name from its two parts, checked.
    pub fn new(namespace: &str, repository: &str) -> Result<HubName, NameError> {
        let reference = format!("{namespace}/{repository}");
        for part in [namespace, repository] {
            if !codebench_reference::is_valid_component(part) {
                return Err(NameError::Invalid {
                    reference,
                    message: format!(
                        "{part:?} must be lower-case letters and digits joined by one ., one or two _ or any -"
                    ),
                });
            }
        }
        Ok(HubName {
            namespace: namespace.to_string(),
            repository: repository.to_string(),
        })
    }

    /// Reads an image reference (`python`, `python:3.11`, `library/python@sha256:…`,
    /// `docker.io/acme/app:1.0`) or a Hub page URL (`https://hub.docker.com/r/acme/app`,
    /// `https://hub.docker.com/_/python`). The tag and digest are dropped: they name an image
    /// within the repository. A reference to another registry is [`NameError::OtherRegistry`].
    pub fn parse(reference: &str) -> Result<HubName, NameError> {
        let invalid = |message: &str| NameError::Invalid {
            reference: reference.to_string(),
            message: message.to_string(),
        };
        let s = reference.trim();
        if s.is_empty() {
            return Err(invalid("empty"));
        }
        if s.chars().count() > MAX_REFERENCE_CHARS {
            return Err(invalid("too long"));
        }
        // Hub page URLs.
        let no_scheme = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        let page = no_scheme
            .strip_prefix("hub.docker.com/")
            .or_else(|| no_scheme.strip_prefix("www.hub.docker.com/"));
        if let Some(path) = page {
            let path = path.split(['?', '#']).next().unwrap_or_default();
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            return match parts.as_slice() {
                ["_", name, ..] => HubName::new(OFFICIAL_NAMESPACE, name),
                ["r", namespace, name, ..] => HubName::new(namespace, name),
                _ => Err(invalid("not a repository page")),
            };
        }
        if no_scheme.len() != s.len() {
            return Err(invalid(
                "a URL that is not a hub.docker.com repository page",
            ));
        }
        // The tag and digest are read (and must not be empty) but dropped.
        let s = codebench_reference::without_variable_tag(s);
        let parts = codebench_reference::parse_image_reference(&s).map_err(|e| match e {
            codebench_reference::ReferenceError::EmptyComponent(_) => {
                invalid("a name, tag or digest part is empty")
            }
            _ => invalid("white space or control characters"),
        })?;
        if !parts.is_docker_hub() {
            return Err(NameError::OtherRegistry {
                reference: reference.to_string(),
                registry: parts.registry.unwrap_or_default(),
            });
        }
        match parts.namespace.as_deref() {
            None => HubName::new(OFFICIAL_NAMESPACE, &parts.name),
            Some(namespace) if !namespace.contains('/') => HubName::new(namespace, &parts.name),
            Some(_) => Err(invalid(
                "Docker Hub names have at most namespace/repository",
            )),
        }
    }

    /// Whether this is an official image (namespace `library`).
    pub fn is_official(&self) -> bool {
        self.namespace == OFFICIAL_NAMESPACE
    }

    /// The repository's page on Docker Hub (`/_/python` for official images).
    pub fn web_url(&self) -> String {
        if self.is_official() {
            format!("https://hub.docker.com/_/{}", self.repository)
        } else {
            format!(
                "https://hub.docker.com/r/{}/{}",
                self.namespace, self.repository
            )
        }
    }
}

impl std::fmt::Display for HubName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.repository)
    }
}

impl std::str::FromStr for HubName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HubName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        HubName::parse(s)
            .map(|n| n.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn references() {
        assert_eq!(n("python:3.11"), "library/python");
        assert_eq!(n("python"), "library/python");
        assert_eq!(n("library/python:3.11-slim"), "library/python");
        assert_eq!(n("docker.io/acme/app:1.0"), "acme/app");
        assert_eq!(n("index.docker.io/acme/app"), "acme/app");
        // A tag made of variables is dropped with the tag.
        assert_eq!(
            n("pytorch/pytorch:${PYTORCH_TAG:-latest}"),
            "pytorch/pytorch"
        );
        assert!(n("python:").starts_with("error"));
        assert!(n("ubuntu:18.04 as base").starts_with("error"));
        assert!(n("a..b/c").starts_with("error"));
        let d = "acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(n(d), "acme/app");
        assert_eq!(n("acme/app:1.0@sha256:00"), "acme/app");
        assert_eq!(n("https://hub.docker.com/r/acme/app/tags"), "acme/app");
        assert_eq!(n("https://hub.docker.com/_/postgres"), "library/postgres");
        assert_eq!(n("  nvidia/cuda:11.3.1-runtime  "), "nvidia/cuda");
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            HubName::parse("ghcr.io/acme/app:1"),
            Err(NameError::OtherRegistry { .. })
        ));
        assert!(matches!(
            HubName::parse("localhost:5000/app"),
            Err(NameError::OtherRegistry { .. })
        ));
        for bad in [
            "",
            "Acme/App",
            "a/b/c",
            "acme/-app",
            "acme/app%2F..",
            "acme/../x",
            "https://example.org/acme/app",
            "https://hub.docker.com/search?q=x",
        ] {
            assert!(
                matches!(HubName::parse(bad), Err(NameError::Invalid { .. })),
                "{bad}: {:?}",
                HubName::parse(bad)
            );
        }
        assert!(HubName::parse(&"a".repeat(600)).is_err());
    }

    #[test]
    fn pages() {
        let official = HubName::parse("python").unwrap();
        assert!(official.is_official());
        assert_eq!(official.web_url(), "https://hub.docker.com/_/python");
        assert_eq!(
            HubName::parse("acme/app").unwrap().web_url(),
            "https://hub.docker.com/r/acme/app"
        );
    }
}
