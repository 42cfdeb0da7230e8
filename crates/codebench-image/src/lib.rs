//! Container image metrics by streaming.
//!
//! Sources: any OCI/Docker registry ([`analyze_registry`]), an OCI image layout folder
//! ([`analyze_oci_layout`]), a `docker save` archive ([`analyze_docker_archive`]) and a skopeo
//! `dir:` folder ([`analyze_skopeo_dir`]). Layers are never extracted: each blob is hashed,
//! decompressed and its tar headers walked as it streams, in bounded memory, several layers in
//! parallel. Results per layer are cached by digest through [`LayerCache`].
//!
//! Definitions follow the EASE 2022 study where it has one: directory level = path
//! components − 1. Reports are serde-serialisable; every failure carries a reason and whether a
//! retry may help.

pub mod cache;
pub mod digest;
pub mod error;
pub mod filesystem;
mod index;
pub mod layer;
pub mod local;
pub mod manifest;
pub mod reference;
pub mod registry;
pub mod report;
pub mod tarstream;

pub use cache::{LayerCache, MemoryCache};
pub use error::{ErrorInfo, ImageError};
pub use filesystem::{merge_layers, FilesystemMetrics};
pub use layer::{
    analyze_layer, analyze_layer_with, Compression, ExtensionStat, FileSize, Hashing,
    LayerAnalysis, LayerInput, LayerMetrics, Limits, PathIndex,
};
pub use local::{analyze_docker_archive, analyze_oci_layout, analyze_skopeo_dir};
pub use manifest::Platform;
pub use reference::Reference;
pub use registry::{analyze_registry, analyze_registry_blocking, Credentials, RegistryOptions};
pub use report::{AnalyzeOptions, ImageMetrics, ImageReport, PlatformReport};
