//! Raters: the people whose decisions the study holds.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_NAME};
use super::{ApiResult, Ctx, Done};
use crate::coding::Rater;

/// `list_raters`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RatersRequest {}

/// A rater with how many decisions they have.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RaterInfo {
    /// The rater's name.
    pub name: String,
    /// When they were added.
    pub created_at: String,
    /// Their current decisions (a count reveals no codes).
    pub decisions: usize,
    /// `human`, or `machine` for a machine rater (see `machine_raters`).
    pub kind: String,
}

/// Every rater, by name, with how many decisions each has.
pub fn list_raters(ctx: &mut Ctx<'_>, _req: RatersRequest) -> ApiResult<Vec<RaterInfo>> {
    Ok(ctx
        .study
        .rater_counts()?
        .into_iter()
        .map(|(r, decisions, kind)| RaterInfo {
            name: r.name,
            created_at: r.created_at,
            decisions,
            kind,
        })
        .collect())
}

/// `add_rater`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AddRater {
    /// The new rater's name (refused when it differs from another only in case).
    pub name: String,
}

/// Adds a rater.
pub fn add_rater(ctx: &mut Ctx<'_>, req: AddRater) -> ApiResult<Rater> {
    input::line("rater", &req.name, MAX_NAME)?;
    Ok(ctx.study.add_rater(&req.name)?)
}

/// `rename_rater`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RenameRater {
    /// The rater's current name.
    pub rater: String,
    /// The new name.
    pub name: String,
    /// Who renames (kept in the history).
    pub by: String,
}

/// Renames a rater; their decisions, evidence, assignments and adjudications follow.
pub fn rename_rater(ctx: &mut Ctx<'_>, req: RenameRater) -> ApiResult<Rater> {
    input::line("rater", &req.rater, MAX_NAME)?;
    input::line("name", &req.name, MAX_NAME)?;
    input::line("by", &req.by, MAX_NAME)?;
    Ok(ctx
        .study
        .rename_rater(&req.rater, &req.name, req.by.trim())?)
}

/// `merge_raters`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MergeRaters {
    /// The rater that goes.
    pub from: String,
    /// The rater that stays.
    pub into: String,
    /// Who merges (kept in the history).
    pub by: String,
}

/// What merging two raters did.
pub type RatersMerged = crate::rater::RaterMerge;

/// Merges one rater into another; refused (nothing changes) where both decided a unit
/// differently.
pub fn merge_raters(ctx: &mut Ctx<'_>, req: MergeRaters) -> ApiResult<RatersMerged> {
    input::line("from", &req.from, MAX_NAME)?;
    input::line("into", &req.into, MAX_NAME)?;
    input::line("by", &req.by, MAX_NAME)?;
    Ok(ctx
        .study
        .merge_raters(&req.from, &req.into, req.by.trim())?)
}

/// `remove_rater`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RemoveRater {
    /// The rater to remove.
    pub rater: String,
    /// Who removes (kept in the history).
    pub by: String,
}

/// Removes a rater who has no decisions (refused otherwise: nothing is lost).
pub fn remove_rater(ctx: &mut Ctx<'_>, req: RemoveRater) -> ApiResult<Done> {
    input::line("rater", &req.rater, MAX_NAME)?;
    input::line("by", &req.by, MAX_NAME)?;
    ctx.study.remove_rater(&req.rater, req.by.trim())?;
    Ok(Done {})
}
