//! The sample study shipped with Codebench: fictional projects covering every kind and many
//! purposes, used by `make run`, the tests and the docs. Its files are embedded at build time.

use std::path::Path;

use include_dir::{include_dir, Dir};

use crate::codebook::Codebook;
use crate::corpus::{names, FileContent, FileInput, SnapshotInput, Source};
use crate::{Result, Study};

static SAMPLE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../sample");

/// The sample projects as snapshots, one per `owner/name` folder of `sample/`.
pub fn snapshots() -> Vec<SnapshotInput> {
    let mut out = Vec::new();
    for owner in SAMPLE.dirs() {
        for project in owner.dirs() {
            let root = project.path();
            let full_name = root.to_string_lossy().replace('\\', "/");
            let mut files = Vec::new();
            collect(project, root, &mut files);
            files.sort_by(|a: &FileInput, b| a.path.cmp(&b.path));
            out.push(SnapshotInput {
                full_name,
                source: Source::Sample,
                location: None,
                commit: None,
                metadata: serde_json::json!({ "description": "Fictional project of the Codebench sample study" }),
                files,
            });
        }
    }
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    out
}

fn collect(dir: &Dir<'static>, root: &Path, out: &mut Vec<FileInput>) {
    for f in dir.files() {
        let rel = f.path().strip_prefix(root).unwrap_or(f.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        if let Some(role) = names::role_of(&rel) {
            let bytes = f.contents().to_vec();
            out.push(FileInput {
                path: rel,
                role,
                size: bytes.len() as u64,
                content: FileContent::classify(bytes.len() as u64, bytes),
            });
        }
    }
    for d in dir.dirs() {
        let name = d
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !names::is_skipped_dir(&name) {
            collect(d, root, out);
        }
    }
}

/// Creates the sample study at `path` with the shipped codebook and every sample project.
pub fn create(path: &Path) -> Result<Study> {
    let mut study = Study::create(path, &Codebook::shipped())?;
    study.store_snapshots(&snapshots())?;
    Ok(study)
}

/// Opens the sample study at `path`, creating it first when the file does not exist.
pub fn open_or_create(path: &Path) -> Result<Study> {
    if path.exists() {
        Study::open(path)
    } else {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
        }
        create(path)
    }
}
