//! Team work: hand-out copies for raters, and merging their copies back.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_LABEL, MAX_LIST, MAX_NAME};
use super::{ApiError, ApiResult, Ctx};
use crate::copy::{CopyReport, CopySpec};
use crate::merge::{MergeOptions, MergeReport, Prefer, Take};

/// `copy_study`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct CopyStudy {
    /// The new file (absolute path; refused when something is there).
    pub out: String,
    /// Hand it out for this rater: other raters' decisions on units of unrevealed rounds are
    /// left out, and the copy remembers for whom it is (default: the viewer, when there is one).
    pub for_rater: Option<String>,
    /// The round it is for (the rater must be assigned to it).
    pub round: Option<String>,
    /// Who makes the copy (kept in the history; default: the viewer).
    pub by: Option<String>,
}

/// Makes a consistent copy of the study, even while it is open elsewhere (every acknowledged
/// change is in it), optionally holding only what one rater may see.
pub fn copy_study(ctx: &mut Ctx<'_>, req: CopyStudy) -> ApiResult<CopyReport> {
    let out = input::path(&req.out, "the copy")?;
    input::opt_line("rater", &req.for_rater, MAX_NAME)?;
    input::opt_line("round", &req.round, MAX_LABEL)?;
    input::opt_line("by", &req.by, MAX_NAME)?;
    let by = req
        .by
        .or_else(|| ctx.viewer.clone())
        .unwrap_or_else(|| "system".into());
    // Someone at the keyboard copies only what they may see: without `for_rater`, the copy
    // is handed out for the viewer, so no read path (a copy is one) carries another rater's
    // blind decisions to them. Only a call without a viewer (the lead's script) copies all.
    let for_rater = req.for_rater.or_else(|| ctx.viewer.clone());
    Ok(ctx.study.copy_to(&CopySpec {
        out,
        for_rater,
        round: req.round,
        by,
    })?)
}

/// A choice for one conflict.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Choice {
    /// The conflict's id (from a report).
    pub id: String,
    /// The side to take.
    pub take: Take,
}

/// `merge_study`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MergeStudy {
    /// The other copy of the study (absolute path; only read).
    pub path: String,
    /// The rule for conflicts without a choice (none: list them and merge nothing).
    pub prefer: Option<Prefer>,
    /// Choices, one by one.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Report what the merge would do, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Merges another copy of this study (a rater's) into this one, per item: what differs is a
/// conflict settled by the rule or a choice; with one unsettled, nothing is written and the
/// report lists them.
pub fn merge_study(ctx: &mut Ctx<'_>, req: MergeStudy) -> ApiResult<MergeReport> {
    let path = input::path(&req.path, "the other study file")?;
    if !path.is_file() {
        return Err(ApiError::new(
            super::ErrorKind::NotFound,
            format!("'{}' is not a file", path.display()),
        ));
    }
    if req.choices.len() > MAX_LIST {
        return Err(ApiError::invalid(format!("more than {MAX_LIST} choices")));
    }
    let opts = MergeOptions {
        prefer: req.prefer,
        choices: req.choices.into_iter().map(|c| (c.id, c.take)).collect(),
        dry_run: req.dry_run,
        by: ctx.viewer.clone().unwrap_or_else(|| "system".into()),
    };
    Ok(ctx.study.merge_with(&path, &opts)?)
}
