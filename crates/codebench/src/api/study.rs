//! The study file itself: creating one, and what it holds.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{input, ApiResult, Ctx, Env};
use crate::codebook::Codebook;
use crate::study::Status;
use crate::Study;

/// `status`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct StatusRequest {}

/// What the study holds: projects, units, raters and their decisions.
pub fn status(ctx: &mut Ctx<'_>, _req: StatusRequest) -> ApiResult<Status> {
    Ok(ctx.study.status()?)
}

/// `create_study`: where, and with what.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct CreateStudy {
    /// The new study file (absolute path; refused when a file is there).
    pub path: String,
    /// A codebook file (JSON or REFI-QDA .qdc); none: the shipped ml-docker-2022 codebook.
    pub codebook: Option<String>,
    /// The sample study (fictional projects) instead of an empty one.
    #[serde(default)]
    pub sample: bool,
}

/// A study created.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Created {
    /// The study file.
    pub path: String,
    /// Its codebook, `id version`.
    pub codebook: String,
}

/// Creates a new study file: with the shipped codebook, a codebook file, or as the sample study.
pub fn create_study(_env: &dyn Env, req: CreateStudy) -> ApiResult<Created> {
    let path = input::path(&req.path, "the study file")?;
    let study = if req.sample {
        if req.codebook.is_some() {
            return Err(super::ApiError::invalid(
                "the sample study comes with its own codebook; give either a codebook or the sample",
            ));
        }
        crate::sample::create(&path)?
    } else {
        let book = match &req.codebook {
            Some(f) => Codebook::from_file(&input::path(f, "the codebook file")?)?,
            None => Codebook::shipped(),
        };
        Study::create(&path, &book)?
    };
    Ok(Created {
        path: study.path().display().to_string(),
        codebook: study.status()?.codebook,
    })
}
