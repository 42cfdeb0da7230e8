//! Team work: merging a rater's copy of the study back.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input;
use super::{ApiError, ApiResult, Ctx};
use crate::merge::MergeReport;

/// `merge_study`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MergeStudy {
    /// The other copy of the study (absolute path; only read).
    pub path: String,
}

/// Merges another copy of this study (a rater's) into the open one.
pub fn merge_study(ctx: &mut Ctx<'_>, req: MergeStudy) -> ApiResult<MergeReport> {
    let path = input::path(&req.path, "the other study file")?;
    if !path.is_file() {
        return Err(ApiError::new(
            super::ErrorKind::NotFound,
            format!("'{}' is not a file", path.display()),
        ));
    }
    Ok(ctx.study.merge_from(&path)?)
}
