//! Container image metrics by streaming.
//!
//! Sources: any OCI/Docker registry ([`analyze_registry`]), an OCI image layout folder
//! ([`analyze_oci_layout`]), a `docker save` archive ([`analyze_docker_archive`]) and a skopeo
//! `dir:` folder ([`analyze_skopeo_dir`]). Layers are never extracted: each blob is hashed,
//! decompressed and its tar headers walked as it streams, in bounded memory, several layers in
//! parallel. Results per layer are cached by digest through [`LayerCache`]: in memory
//! ([`MemoryCache`]) or in a folder shared by many processes and machines ([`DirCache`]),
//! where each layer is analysed once however many analysers ask for it at the same time.
//!
//! Definitions follow the EASE 2022 study where it has one: directory level = path
//! components − 1. Reports are serde-serialisable; every failure carries a reason and whether a
//! retry may help.
//!
//! Invariants: nothing read from a registry, a file or an archive can make the analysis panic
//! or allocate without bound — every blob is verified against its digest, every document and
//! header is read up to a size limit, index walks visit each digest once within depth and
//! count bounds, and decompression stops at the size and ratio limits of [`Limits`].

#![warn(missing_docs)]

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

pub use cache::{DirCache, DirCacheOptions, DirCacheStats, LayerCache, MemoryCache};
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
