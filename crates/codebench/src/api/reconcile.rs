//! Reconciliation: the queue of disagreements, consensus decided by an adjudicator, bulk
//! acceptance, reopening, and the automatic-consensus setting.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_CODES, MAX_LABEL, MAX_NAME, MAX_RATIONALE, MAX_UNIT};
use super::{ApiError, ApiResult, Ctx};
use crate::coding::Change;
use crate::reconcile::{AcceptReport, Consensus, ConsensusInput, Queue, Rule};

/// `reconcile_queue`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
#[ts(rename = "ReconcileQueueRequest")]
pub struct QueueRequest {
    /// One dimension (none: every dimension).
    pub dimension: Option<String>,
    /// Also the units that agree or already have a consensus.
    #[serde(default)]
    pub include_resolved: bool,
}

/// The reconciliation queue: units where raters differ, each rater's codes and memo side by
/// side. Units of rounds not revealed yet are left out (counted as `blinded`).
pub fn reconcile_queue(ctx: &mut Ctx<'_>, req: QueueRequest) -> ApiResult<Queue> {
    input::opt_line("dimension", &req.dimension, MAX_LABEL)?;
    Ok(ctx
        .study
        .reconcile_queue(req.dimension.as_deref(), req.include_resolved)?)
}

/// `decide_consensus`: the consensus as decided.
pub type DecideConsensus = ConsensusInput;

/// The outcome of deciding a consensus.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Decided {
    /// Created, updated or unchanged.
    pub change: Change,
    /// The consensus as stored.
    pub consensus: Consensus,
}

/// Records the consensus on a unit; codes that override every rater need a rationale. The
/// adjudicator is named in the request (any person; not `auto`).
pub fn decide_consensus(ctx: &mut Ctx<'_>, req: DecideConsensus) -> ApiResult<Decided> {
    input::line("adjudicator", &req.adjudicator, MAX_NAME)?;
    input::line("unit", &req.unit, MAX_UNIT)?;
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    if req.codes.len() > MAX_CODES {
        return Err(ApiError::invalid(format!(
            "more than {MAX_CODES} codes in one consensus"
        )));
    }
    for code in &req.codes {
        input::line("code", code, MAX_LABEL)?;
    }
    input::text("the rationale", &req.rationale, MAX_RATIONALE)?;
    let (change, consensus) = ctx.study.decide_consensus(&req)?;
    Ok(Decided { change, consensus })
}

/// `accept_consensus`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AcceptConsensus {
    /// The dimension.
    pub dimension: String,
    /// Unanimous or majority.
    pub rule: Rule,
    /// Who accepts; none: the automatic rule (`auto`, unanimous only), whose consensus
    /// follows the raters until an adjudicator decides the unit.
    pub by: Option<String>,
    /// The rationale written on every accepted unit (none: the rule in words).
    pub why: Option<String>,
}

/// Accepts consensus in bulk in one dimension where the rule holds.
pub fn accept_consensus(ctx: &mut Ctx<'_>, req: AcceptConsensus) -> ApiResult<AcceptReport> {
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::opt_line("by", &req.by, MAX_NAME)?;
    if let Some(w) = &req.why {
        input::text("the rationale", w, MAX_RATIONALE)?;
    }
    match &req.by {
        Some(by) => {
            Ok(ctx
                .study
                .accept_consensus(&req.dimension, req.rule, by, req.why.as_deref())?)
        }
        None if req.rule == Rule::Unanimous => Ok(ctx.study.auto_consensus(&req.dimension)?),
        None => Err(ApiError::invalid(
            "accepting by majority needs the name of who accepts",
        )),
    }
}

/// `reopen_consensus`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ReopenConsensus {
    /// The unit.
    pub unit: String,
    /// The dimension.
    pub dimension: String,
    /// Who reopens it.
    pub by: String,
    /// Why.
    pub why: String,
}

/// Whether there was a consensus to reopen.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Reopened {
    /// True when a consensus was removed.
    pub reopened: bool,
}

/// Removes a consensus (the unit returns to the queue; the history keeps it and the reason).
pub fn reopen_consensus(ctx: &mut Ctx<'_>, req: ReopenConsensus) -> ApiResult<Reopened> {
    input::line("unit", &req.unit, MAX_UNIT)?;
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("by", &req.by, MAX_NAME)?;
    input::line("the reason", &req.why, MAX_RATIONALE)?;
    Ok(Reopened {
        reopened: ctx
            .study
            .reopen_consensus(&req.unit, &req.dimension, &req.by, &req.why)?,
    })
}

/// `auto_consensus`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AutoRequest {}

/// Whether units where all raters agree become consensus automatically.
pub fn auto_consensus(ctx: &mut Ctx<'_>, _req: AutoRequest) -> ApiResult<bool> {
    Ok(ctx.study.auto_consensus_enabled()?)
}

/// `set_auto_consensus`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SetAuto {
    /// On or off.
    pub on: bool,
    /// Who changes the setting (kept in the history).
    pub by: String,
}

/// Turns automatic consensus on or off; turning it on returns the consensus made at once.
pub fn set_auto_consensus(ctx: &mut Ctx<'_>, req: SetAuto) -> ApiResult<Vec<Consensus>> {
    input::line("by", &req.by, MAX_NAME)?;
    Ok(ctx.study.set_auto_consensus(req.on, &req.by)?)
}
