//! Images on disk: OCI image layout folders, skopeo `dir:` folders and `docker save` archives.
//! Blobs are read in place (archives by seeking to each member), never extracted.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::digest::{sha256_hex, sha256_of};
use crate::error::ImageError;
use crate::index::IndexWalk;
use crate::layer::LayerInput;
use crate::manifest::{parse_document, Descriptor, Document, Manifest, Platform};
use crate::report::{
    build_platform, push_filtered, run_layers, AnalyzeOptions, ImageReport, LayerJob,
    PlatformReport,
};
use crate::tarstream::{Seekable, TarReader};

/// Reads a whole file, refusing files over `limit` bytes.
fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, ImageError> {
    let f = File::open(path).map_err(|e| ImageError::io(path.display().to_string(), e))?;
    let len = f
        .metadata()
        .map_err(|e| ImageError::io(path.display().to_string(), e))?
        .len();
    if len > limit {
        return Err(ImageError::TooLarge {
            what: format!("{what} {}", path.display()),
            size: len,
            limit,
        });
    }
    let mut v = Vec::with_capacity(len as usize);
    f.take(limit + 1)
        .read_to_end(&mut v)
        .map_err(|e| ImageError::io(path.display().to_string(), e))?;
    Ok(v)
}

/// A folder of content-addressed blobs.
trait BlobDir: Sync {
    fn blob_path(&self, digest: &str) -> Result<PathBuf, ImageError>;
    fn manifest_path(&self, digest: &str) -> Result<PathBuf, ImageError> {
        self.blob_path(digest)
    }
}

struct OciLayout(PathBuf);

impl BlobDir for OciLayout {
    fn blob_path(&self, digest: &str) -> Result<PathBuf, ImageError> {
        let hex = sha256_hex(digest)?;
        Ok(self.0.join("blobs").join("sha256").join(hex))
    }
}

struct SkopeoDir(PathBuf);

impl BlobDir for SkopeoDir {
    fn blob_path(&self, digest: &str) -> Result<PathBuf, ImageError> {
        let hex = sha256_hex(digest)?;
        let plain = self.0.join(hex);
        if plain.exists() {
            return Ok(plain);
        }
        // Older skopeo versions named layer blobs `<hex>.tar`.
        let tar = self.0.join(format!("{hex}.tar"));
        Ok(if tar.exists() { tar } else { plain })
    }
    fn manifest_path(&self, digest: &str) -> Result<PathBuf, ImageError> {
        let hex = sha256_hex(digest)?;
        let p = self.0.join(format!("{hex}.manifest.json"));
        if p.exists() {
            Ok(p)
        } else {
            self.blob_path(digest)
        }
    }
}

/// Reads a blob and checks its digest (and its declared size when non-zero).
fn read_verified(
    path: &Path,
    digest: &str,
    declared: u64,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, ImageError> {
    let data = read_bounded(path, limit, what)?;
    let actual = sha256_of(&data);
    if actual != digest {
        return Err(ImageError::DigestMismatch {
            what: format!("{what} {}", path.display()),
            expected: digest.to_string(),
            actual,
        });
    }
    if declared != 0 && declared != data.len() as u64 {
        return Err(ImageError::SizeMismatch {
            digest: digest.to_string(),
            expected: declared,
            actual: data.len() as u64,
        });
    }
    Ok(data)
}

/// Analyses every image of an OCI image layout folder (`oci-layout`, `index.json`, `blobs/`).
pub fn analyze_oci_layout(dir: &Path, opts: &AnalyzeOptions) -> Result<ImageReport, ImageError> {
    let layout = read_bounded(&dir.join("oci-layout"), 64 * 1024, "oci-layout file")?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct LayoutFile {
        image_layout_version: String,
    }
    let lf: LayoutFile = serde_json::from_slice(&layout).map_err(|e| ImageError::Parse {
        what: dir.join("oci-layout").display().to_string(),
        reason: e.to_string(),
    })?;
    if !lf.image_layout_version.starts_with("1.") {
        return Err(ImageError::MediaType {
            what: dir.join("oci-layout").display().to_string(),
            reason: format!("unsupported layout version {:?}", lf.image_layout_version),
        });
    }
    let index_path = dir.join("index.json");
    let root = read_bounded(&index_path, opts.max_manifest_bytes, "index")?;
    analyze_blob_dir(
        &OciLayout(dir.to_path_buf()),
        &root,
        None,
        &index_path.display().to_string(),
        dir,
        opts,
    )
}

/// Analyses a skopeo `dir:` folder (`manifest.json`, blobs named by hex digest; with
/// `--all`, per-platform manifests named `<hex>.manifest.json`).
pub fn analyze_skopeo_dir(dir: &Path, opts: &AnalyzeOptions) -> Result<ImageReport, ImageError> {
    let mpath = dir.join("manifest.json");
    let root = read_bounded(&mpath, opts.max_manifest_bytes, "manifest")?;
    analyze_blob_dir(
        &SkopeoDir(dir.to_path_buf()),
        &root,
        Some(sha256_of(&root)),
        &mpath.display().to_string(),
        dir,
        opts,
    )
}

fn analyze_blob_dir(
    store: &dyn BlobDir,
    root: &[u8],
    root_digest: Option<String>,
    root_name: &str,
    dir: &Path,
    opts: &AnalyzeOptions,
) -> Result<ImageReport, ImageError> {
    let (doc, media_type) = parse_document(root, None, root_name)?;
    let mut report = ImageReport {
        source: dir.display().to_string(),
        root_digest: root_digest.clone(),
        root_media_type: media_type.clone(),
        platforms: Vec::new(),
        attestations_skipped: 0,
    };
    let cache = opts.cache_or_local();
    let mut walk = IndexWalk::new(root_digest.as_deref(), opts.max_manifests);
    match doc {
        Document::Manifest(m) => {
            let digest = root_digest.unwrap_or_else(|| sha256_of(root));
            let r = analyze_manifest(
                store,
                None,
                &digest,
                &media_type,
                root.len() as u64,
                &m,
                opts,
                &cache,
            );
            push_filtered(&mut report, r, opts);
        }
        Document::Index(idx) => {
            let filter = opts.platform.as_ref();
            let name = root_digest.as_deref().unwrap_or(root_name);
            if let Some(f) = walk.add(name, idx.manifests, 0, filter, &mut report) {
                report.platforms.push(f);
            }
        }
    }
    while let Some((d, depth)) = walk.next() {
        let fail = |e: &ImageError| PlatformReport::failed(d.platform.clone(), &d.digest, e);
        let step = || -> Result<Result<PlatformReport, Vec<Descriptor>>, ImageError> {
            let path = store.manifest_path(&d.digest)?;
            let bytes = read_verified(
                &path,
                &d.digest,
                d.size,
                opts.max_manifest_bytes,
                "manifest",
            )?;
            let (doc, mt) =
                parse_document(&bytes, d.media_type.as_deref(), &path.display().to_string())?;
            Ok(match doc {
                Document::Index(inner) => Err(inner.manifests),
                Document::Manifest(m) => Ok(analyze_manifest(
                    store,
                    d.platform.clone(),
                    &d.digest,
                    &mt,
                    bytes.len() as u64,
                    &m,
                    opts,
                    &cache,
                )),
            })
        };
        match step() {
            Ok(Ok(r)) => push_filtered(&mut report, r, opts),
            Ok(Err(more)) => {
                let filter = opts.platform.as_ref();
                if let Some(f) = walk.add(&d.digest, more, depth + 1, filter, &mut report) {
                    report.platforms.push(f);
                }
            }
            Err(e) => report.platforms.push(fail(&e)),
        }
    }
    if report.platforms.is_empty() {
        return Err(ImageError::NotFound(format!(
            "{}: no image{} to analyse",
            dir.display(),
            opts.platform
                .as_ref()
                .map(|p| format!(" for platform {p}"))
                .unwrap_or_default()
        )));
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn analyze_manifest(
    store: &dyn BlobDir,
    platform: Option<Platform>,
    digest: &str,
    media_type: &str,
    manifest_bytes: u64,
    m: &Manifest,
    opts: &AnalyzeOptions,
    cache: &std::sync::Arc<dyn crate::cache::LayerCache>,
) -> PlatformReport {
    let go = || -> Result<PlatformReport, ImageError> {
        let cpath = store.blob_path(&m.config.digest)?;
        let config = read_verified(
            &cpath,
            &m.config.digest,
            m.config.size,
            opts.max_config_bytes,
            "config",
        )?;
        let jobs = m
            .layers
            .iter()
            .map(|l| -> Result<LayerJob<'_>, ImageError> {
                let path = store.blob_path(&l.digest)?;
                let media_type = l.media_type.clone().ok_or_else(|| ImageError::MediaType {
                    what: format!("layer {}", l.digest),
                    reason: "descriptor has no media type".into(),
                })?;
                Ok(LayerJob {
                    input: LayerInput {
                        digest: Some(l.digest.clone()),
                        media_type: Some(media_type),
                        size: Some(l.size),
                    },
                    key: Some(l.digest.clone()),
                    open: Box::new(move || {
                        let f = File::open(&path)
                            .map_err(|e| ImageError::io(path.display().to_string(), e))?;
                        Ok(Box::new(f) as Box<dyn Read + Send>)
                    }),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let layers = run_layers(jobs, opts, cache)?;
        build_platform(
            platform.clone(),
            digest,
            media_type,
            manifest_bytes,
            m,
            &config,
            Some(&m.config.digest),
            layers,
        )
    };
    go().unwrap_or_else(|e| PlatformReport::failed(platform.clone(), digest, &e))
}

/// One member of a tar archive: where its data starts and how long it is.
#[derive(Debug, Clone, Copy)]
struct Member {
    offset: u64,
    size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaveEntry {
    config: String,
    #[serde(default)]
    layers: Vec<String>,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
}

/// Analyses every image in a `docker save` archive (legacy layout or the OCI layout Docker 25+
/// writes), reading members in place by offset.
pub fn analyze_docker_archive(
    file: &Path,
    opts: &AnalyzeOptions,
) -> Result<ImageReport, ImageError> {
    let name = file.display().to_string();
    let f = File::open(file).map_err(|e| ImageError::io(&name, e))?;
    let mut tar = TarReader::new(Seekable(BufReader::new(f)), u64::MAX);
    let mut members: HashMap<String, Member> = HashMap::new();
    let mut manifest_json: Option<Vec<u8>> = None;
    let archive_err = |e: crate::tarstream::TarError| ImageError::Archive {
        digest: name.clone(),
        offset: e.offset,
        reason: e.kind.to_string(),
    };
    while let Some(entry) = tar.next_entry().map_err(archive_err)? {
        let Ok(Some(path)) = crate::layer::normalize_path(&entry.path) else {
            continue;
        };
        if path == "manifest.json" {
            manifest_json = Some(
                tar.read_data(&entry, opts.max_manifest_bytes)
                    .map_err(archive_err)?,
            );
        }
        if members.len() as u64 >= opts.limits.max_layer_entries {
            return Err(ImageError::Archive {
                digest: name.clone(),
                offset: entry.data_offset,
                reason: format!(
                    "more than {} members (limit max_layer_entries)",
                    opts.limits.max_layer_entries
                ),
            });
        }
        members.insert(
            path,
            Member {
                offset: entry.data_offset,
                size: entry.stored_size,
            },
        );
    }
    let manifest_json = manifest_json.ok_or_else(|| {
        ImageError::NotFound(format!(
            "{name}: no manifest.json (not a docker save archive)"
        ))
    })?;
    let entries: Vec<SaveEntry> =
        serde_json::from_slice(&manifest_json).map_err(|e| ImageError::Parse {
            what: format!("{name}: manifest.json"),
            reason: e.to_string(),
        })?;
    let cache = opts.cache_or_local();
    let mut report = ImageReport {
        source: name.clone(),
        root_digest: None,
        root_media_type: "application/vnd.docker.save.manifest+json".into(),
        platforms: Vec::new(),
        attestations_skipped: 0,
    };
    for e in &entries {
        let label = e
            .repo_tags
            .as_ref()
            .and_then(|t| t.first().cloned())
            .unwrap_or_else(|| e.config.clone());
        let r = analyze_save_entry(file, &members, e, opts, &cache)
            .unwrap_or_else(|err| PlatformReport::failed(None, &label, &err));
        push_filtered(&mut report, r, opts);
    }
    if report.platforms.is_empty() {
        return Err(ImageError::NotFound(format!("{name}: no image to analyse")));
    }
    Ok(report)
}

/// The digest a path like `blobs/sha256/<hex>` or `<hex>.json` names, if any.
fn digest_in_path(path: &str) -> Option<String> {
    let hex = path
        .strip_prefix("blobs/sha256/")
        .or_else(|| path.strip_suffix(".json"))?;
    let d = format!("sha256:{hex}");
    if sha256_hex(&d).is_ok() {
        Some(d)
    } else {
        None
    }
}

fn read_member(file: &Path, m: Member, limit: u64, what: &str) -> Result<Vec<u8>, ImageError> {
    if m.size > limit {
        return Err(ImageError::TooLarge {
            what: what.to_string(),
            size: m.size,
            limit,
        });
    }
    let mut f = File::open(file).map_err(|e| ImageError::io(file.display().to_string(), e))?;
    f.seek(SeekFrom::Start(m.offset))
        .map_err(|e| ImageError::io(file.display().to_string(), e))?;
    let mut v = vec![0u8; m.size as usize];
    f.read_exact(&mut v)
        .map_err(|e| ImageError::io(file.display().to_string(), e))?;
    Ok(v)
}

fn analyze_save_entry(
    file: &Path,
    members: &HashMap<String, Member>,
    e: &SaveEntry,
    opts: &AnalyzeOptions,
    cache: &std::sync::Arc<dyn crate::cache::LayerCache>,
) -> Result<PlatformReport, ImageError> {
    let member = |p: &str| -> Result<Member, ImageError> {
        let key = crate::layer::normalize_path(p)
            .ok()
            .flatten()
            .unwrap_or_default();
        members.get(&key).copied().ok_or_else(|| {
            ImageError::NotFound(format!("{}: member {p:?} missing", file.display()))
        })
    };
    let config = read_member(file, member(&e.config)?, opts.max_config_bytes, &e.config)?;
    let config_digest = sha256_of(&config);
    if let Some(named) = digest_in_path(&e.config) {
        if named != config_digest {
            return Err(ImageError::DigestMismatch {
                what: format!("config {}", e.config),
                expected: named,
                actual: config_digest,
            });
        }
    }
    let parsed = crate::manifest::parse_config(&config, &e.config)?;
    let diff_ids = parsed.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    let mut jobs = Vec::new();
    let mut descriptors = Vec::new();
    for (i, lp) in e.layers.iter().enumerate() {
        let m = member(lp)?;
        // Blob-addressed layers are verified against their name; legacy `<id>/layer.tar`
        // members are plain tars whose digest is the config's diff_id.
        let expected = digest_in_path(lp).or_else(|| diff_ids.get(i).cloned());
        descriptors.push(Descriptor {
            media_type: Some(String::new()),
            digest: expected.clone().unwrap_or_default(),
            size: m.size,
            platform: None,
            annotations: None,
        });
        let path = file.to_path_buf();
        jobs.push(LayerJob {
            input: LayerInput {
                digest: expected.clone(),
                media_type: None,
                size: Some(m.size),
            },
            key: expected,
            open: Box::new(move || {
                let mut f =
                    File::open(&path).map_err(|e| ImageError::io(path.display().to_string(), e))?;
                f.seek(SeekFrom::Start(m.offset))
                    .map_err(|e| ImageError::io(path.display().to_string(), e))?;
                Ok(Box::new(f.take(m.size)) as Box<dyn Read + Send>)
            }),
        });
    }
    let layers = run_layers(jobs, opts, cache)?;
    let manifest = Manifest {
        media_type: None,
        config: Descriptor {
            media_type: None,
            digest: config_digest.clone(),
            size: config.len() as u64,
            platform: None,
            annotations: None,
        },
        layers: descriptors,
    };
    let mut r = build_platform(
        None,
        &config_digest,
        "application/vnd.docker.save.manifest+json",
        0,
        &manifest,
        &config,
        Some(&config_digest),
        layers,
    )?;
    if let Some(img) = r.image.as_mut() {
        img.layer_media_types.clear();
    }
    Ok(r)
}
