//! Rounds of blind coding: sample, assign, reveal.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_LABEL, MAX_LIST, MAX_NAME};
use super::{ApiError, ApiResult, Ctx};
use crate::round::{Missing, RoundInfo, RoundSize, RoundSpec};

/// `rounds`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RoundsRequest {}

/// Every round, oldest first, with its raters' progress (counts only: no codes).
pub fn rounds(ctx: &mut Ctx<'_>, _req: RoundsRequest) -> ApiResult<Vec<RoundInfo>> {
    Ok(ctx.study.rounds()?)
}

/// A round by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RoundRequest {
    /// The round.
    pub round: String,
}

/// A round with what each assigned rater still owes.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoundDetail {
    /// The round.
    pub round: RoundInfo,
    /// Per assigned rater, the `unit (dimension)` pairs not decided yet.
    pub missing: Vec<Missing>,
}

/// One round: its units and what each rater still owes.
pub fn round(ctx: &mut Ctx<'_>, req: RoundRequest) -> ApiResult<RoundDetail> {
    input::line("round", &req.round, MAX_LABEL)?;
    Ok(RoundDetail {
        round: ctx.study.round(&req.round)?,
        missing: ctx.study.round_missing(&req.round)?,
    })
}

/// `create_round`: exactly one of `size`, `fraction` or `plan_width` (with `expected_kappa`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct CreateRound {
    /// The round's unique name.
    pub name: String,
    /// How many units.
    pub size: Option<usize>,
    /// Which share of the units (0 < F ≤ 1), rounded up.
    pub fraction: Option<f64>,
    /// Size the round for a Cohen's κ confidence interval this wide (needs `expected_kappa`
    /// and `dimension`).
    pub plan_width: Option<f64>,
    /// The κ the raters are expected to reach (with `plan_width`).
    pub expected_kappa: Option<f64>,
    /// Confidence level of the planned interval (default 0.95).
    pub confidence: Option<f64>,
    /// The dimension coded in the round (none: every dimension of project units).
    pub dimension: Option<String>,
    /// Stratify the sample by a one-code project dimension.
    pub stratify: Option<String>,
    /// Sampling seed (none: from the clock; stored with the round).
    pub seed: Option<u64>,
    /// Keep every unit of this earlier round and sample more.
    pub extend: Option<String>,
    /// Who creates it (kept in the history).
    pub by: Option<String>,
}

/// Samples a new round of units (deterministic for a seed).
pub fn create_round(ctx: &mut Ctx<'_>, req: CreateRound) -> ApiResult<RoundInfo> {
    input::line("round", &req.name, MAX_LABEL)?;
    input::opt_line("dimension", &req.dimension, MAX_LABEL)?;
    input::opt_line("stratify", &req.stratify, MAX_LABEL)?;
    input::opt_line("extend", &req.extend, MAX_LABEL)?;
    input::opt_line("by", &req.by, MAX_NAME)?;
    let size = match (req.size, req.fraction, req.plan_width, req.expected_kappa) {
        (Some(n), None, None, _) => RoundSize::Count(n),
        (None, Some(f), None, _) => RoundSize::Fraction(f),
        (None, None, Some(width), Some(expected_kappa)) => RoundSize::Plan {
            width,
            expected_kappa,
            confidence: req.confidence.unwrap_or(0.95),
        },
        (None, None, Some(_), None) => {
            return Err(ApiError::invalid(
                "planning a round's size needs the κ the raters are expected to reach",
            ))
        }
        (None, None, None, _) => {
            return Err(ApiError::invalid(
                "say how big the round is: a size, a fraction, or a planned interval width",
            ))
        }
        _ => {
            return Err(ApiError::invalid(
                "give one of a size, a fraction or a planned interval width, not several",
            ))
        }
    };
    Ok(ctx.study.create_round(&RoundSpec {
        name: req.name,
        size,
        dimension: req.dimension,
        stratify: req.stratify,
        seed: req.seed,
        extend: req.extend,
        by: req.by,
    })?)
}

/// `assign_round`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AssignRound {
    /// The round.
    pub round: String,
    /// The raters to assign (raters already assigned stay).
    pub raters: Vec<String>,
    /// Who assigns them (kept in the history).
    pub by: Option<String>,
}

/// Assigns raters to a round.
pub fn assign_round(ctx: &mut Ctx<'_>, req: AssignRound) -> ApiResult<RoundInfo> {
    input::line("round", &req.round, MAX_LABEL)?;
    input::list("rater", &req.raters, MAX_LIST, MAX_NAME)?;
    input::opt_line("by", &req.by, MAX_NAME)?;
    Ok(ctx.study.assign_round(
        &req.round,
        &req.raters,
        req.by.as_deref().unwrap_or("system"),
    )?)
}

/// `reveal_round`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RevealRound {
    /// The round.
    pub round: String,
    /// Who reveals it (kept in the history).
    pub by: String,
    /// Reveal even though raters have not decided every unit.
    #[serde(default)]
    pub force: bool,
}

/// Reveals a round: from now on everyone sees everyone's decisions on its units. Refused
/// while an assigned rater has not decided every unit, unless forced.
pub fn reveal_round(ctx: &mut Ctx<'_>, req: RevealRound) -> ApiResult<RoundInfo> {
    input::line("round", &req.round, MAX_LABEL)?;
    input::line("by", &req.by, MAX_NAME)?;
    Ok(ctx
        .study
        .reveal_round(&req.round, req.by.trim(), req.force)?)
}
