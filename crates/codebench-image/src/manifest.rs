//! OCI and Docker v2 manifests, indexes (manifest lists) and image configs: just the fields the
//! metrics need, parsed leniently (unknown fields ignored) but with clear errors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ImageError;

/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker manifest list media type.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker v2 schema 2 manifest media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// The `Accept` header value asking for any of the four.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Its digest.
    pub digest: String,
    /// Its size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Platform, in index entries.
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Annotations (attestation manifests are marked here).
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An OS/architecture pair (and variant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Platform {
    /// Operating system, e.g. `linux`.
    #[serde(default)]
    pub os: String,
    /// CPU architecture, e.g. `amd64`.
    #[serde(default)]
    pub architecture: String,
    /// Variant, e.g. `v8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform, ImageError> {
        let parts: Vec<&str> = s.split('/').collect();
        let (os, architecture, variant) = match parts.as_slice() {
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => ("", "", None),
        };
        if os.is_empty() || architecture.is_empty() || variant.is_some_and(str::is_empty) {
            return Err(ImageError::Reference {
                reference: s.to_string(),
                reason: "platform must be OS/ARCH or OS/ARCH/VARIANT".into(),
            });
        }
        Ok(Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.map(str::to_string),
        })
    }

    /// True when `self` (a filter) accepts `other`; a filter without variant accepts any.
    pub fn accepts(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

/// An index or manifest list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Entries.
    pub manifests: Vec<Descriptor>,
}

/// A single-platform image manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Media type field, when present.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, lowest first.
    pub layers: Vec<Descriptor>,
}

/// A parsed manifest document: an index or an image manifest.
#[derive(Debug, Clone)]
pub enum Document {
    /// Index / manifest list.
    Index(Index),
    /// Image manifest.
    Manifest(Manifest),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
}

/// Parses a manifest or index; `content_type` is the HTTP Content-Type (or descriptor media type)
/// when known. Returns the document and its effective media type.
pub fn parse_document(
    bytes: &[u8],
    content_type: Option<&str>,
    what: &str,
) -> Result<(Document, String), ImageError> {
    let perr = |e: serde_json::Error| ImageError::Parse {
        what: what.to_string(),
        reason: e.to_string(),
    };
    let probe: Probe = serde_json::from_slice(bytes).map_err(perr)?;
    let ct = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
        .filter(|c| !c.is_empty() && c != "application/json" && c != "application/octet-stream");
    let media_type = probe.media_type.clone().or(ct).unwrap_or_else(|| {
        if probe.manifests.is_some() {
            OCI_INDEX.to_string()
        } else {
            OCI_MANIFEST.to_string()
        }
    });
    if probe.schema_version == Some(1) {
        return Err(ImageError::MediaType {
            what: what.to_string(),
            reason: "Docker schema 1 manifests are not supported".into(),
        });
    }
    match media_type.as_str() {
        OCI_INDEX | DOCKER_LIST => Ok((
            Document::Index(serde_json::from_slice(bytes).map_err(perr)?),
            media_type,
        )),
        OCI_MANIFEST | DOCKER_MANIFEST => Ok((
            Document::Manifest(serde_json::from_slice(bytes).map_err(perr)?),
            media_type,
        )),
        other => Err(ImageError::MediaType {
            what: what.to_string(),
            reason: format!("unsupported manifest media type {other:?}"),
        }),
    }
}

/// True for index entries that are not runnable images (BuildKit attestations, `unknown/unknown`).
pub fn is_attestation(d: &Descriptor) -> bool {
    let annotated = d
        .annotations
        .as_ref()
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest");
    let unknown = d
        .platform
        .as_ref()
        .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
    annotated || unknown
}

/// The image config (`application/vnd.oci.image.config.v1+json` and Docker's equivalent).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigFile {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: Option<String>,
    /// OS.
    #[serde(default)]
    pub os: Option<String>,
    /// Variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Creation time (RFC 3339), as written.
    #[serde(default)]
    pub created: Option<String>,
    /// Runtime configuration.
    #[serde(default)]
    pub config: Option<RunConfig>,
    /// The layer diff IDs.
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    /// Build history.
    #[serde(default)]
    pub history: Option<Vec<History>>,
}

/// The runtime part of a config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    /// `NAME=value` strings.
    #[serde(default)]
    pub env: Option<Vec<String>>,
    /// Labels.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Exposed ports as map keys (`80/tcp`).
    #[serde(default)]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// User.
    #[serde(default)]
    pub user: Option<String>,
    /// Entrypoint.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// Cmd.
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
}

/// `rootfs` of a config.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RootFs {
    /// Uncompressed layer digests.
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One history entry.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct History {
    /// True when the step made no layer.
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

/// Parses a config blob.
pub fn parse_config(bytes: &[u8], what: &str) -> Result<ConfigFile, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::Parse {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds() {
        let idx = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:00","size":1}]}"#;
        assert!(matches!(
            parse_document(idx, None, "x").unwrap().0,
            Document::Index(_)
        ));
        let s1 = br#"{"schemaVersion":1,"fsLayers":[]}"#;
        assert_eq!(
            parse_document(s1, None, "x").unwrap_err().kind(),
            "media_type"
        );
        let odd = br#"{"schemaVersion":2,"mediaType":"text/plain"}"#;
        assert_eq!(
            parse_document(odd, None, "x").unwrap_err().kind(),
            "media_type"
        );
        let bad = b"{not json";
        let e = parse_document(bad, None, "manifest.json").unwrap_err();
        assert!(e.to_string().contains("manifest.json") && e.to_string().contains("line 1"));
    }

    #[test]
    fn platform_filter() {
        let f = Platform::parse("linux/arm64").unwrap();
        assert!(f.accepts(&Platform::parse("linux/arm64/v8").unwrap()));
        assert!(!f.accepts(&Platform::parse("linux/amd64").unwrap()));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v8").is_err());
        assert!(Platform::parse("linux/arm64/").is_err());
        assert!(Platform::parse("a/b/c/d").is_err());
    }
}
