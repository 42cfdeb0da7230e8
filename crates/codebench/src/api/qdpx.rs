//! REFI-QDA project exchange (`.qdpx`): the whole study out, codings from another tool in.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input;
use super::{ApiError, ApiResult, Ctx};
use crate::qdpx::export::QdpxExport;
use crate::qdpx::import::QdpxImport;

/// `export_qdpx`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ExportQdpx {
    /// Where to write the `.qdpx` file (absolute path; replaced if there).
    pub file: String,
}

/// Writes the study as a REFI-QDA project (`.qdpx`) as the viewer may see it: raters as
/// users, the codebook, READMEs and Dockerfiles as sources, decisions as codings, evidence as
/// selections, memos and rationales as notes, projects as cases. Written atomically.
pub fn export_qdpx(ctx: &mut Ctx<'_>, req: ExportQdpx) -> ApiResult<QdpxExport> {
    let path = input::path(&req.file, "the .qdpx file")?;
    if path.is_dir() {
        return Err(ApiError::invalid(format!(
            "'{}' is a folder; name the .qdpx file to write",
            path.display()
        )));
    }
    Ok(crate::qdpx::export::export_qdpx(
        ctx.study,
        ctx.viewer(),
        &path,
    )?)
}

/// `import_qdpx`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImportQdpx {
    /// The `.qdpx` file (absolute path).
    pub file: String,
    /// Report what would be imported, and write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports a REFI-QDA project's codings into this study (its units must be the file's
/// sources): each user's codings become that rater's decisions (raters added as needed),
/// selections evidence, notes memos. All or nothing; the report lists what could not be
/// mapped (sources, codes, users).
pub fn import_qdpx(ctx: &mut Ctx<'_>, req: ImportQdpx) -> ApiResult<QdpxImport> {
    let path = input::path(&req.file, "the .qdpx file")?;
    Ok(ctx.study.import_qdpx(&path, req.dry_run)?)
}
