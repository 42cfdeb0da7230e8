//! Reconciliation: after raters coded a unit, an adjudicator records the consensus codes.
//!
//! The queue ([`Study::reconcile_queue`]) lists the units on which raters differ, each
//! rater's codes and memo side by side. A consensus ([`Study::decide_consensus`]) is validated
//! like a decision (codebook, cardinality, unit kind); choosing codes that no rater chose
//! overrides every rater and requires a rationale. Consensus rows keep who, when and why;
//! every change is a history row (`consensus.set`, `consensus.clear`).
//!
//! Units where every rater (at least two) chose the same codes become consensus automatically,
//! by [`AUTO_ADJUDICATOR`], as the decisions are recorded and when a round is revealed. An
//! automatic consensus follows the raters: when one of them changes their mind so that they no
//! longer agree, it is withdrawn (a `consensus.clear` history row says why) and the unit goes
//! back to the queue; a consensus an adjudicator decided is never touched. The study setting
//! [`Study::set_auto_consensus`] turns this off (and on again, which catches up at once).
//! Agreement in bulk can also be accepted explicitly: [`Study::accept_consensus`] with
//! [`Rule::Unanimous`] (what `codebench reconcile auto` runs) or [`Rule::Majority`].
//!
//! Units in an unrevealed round are left out of the queue and of bulk acceptance, and a
//! consensus cannot be decided on them: showing them would break the round's blindness.
//!
//! This module holds the queue, the decided consensus and its reopening; bulk and automatic
//! acceptance are in `accept.rs`.

mod accept;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codebook::{Codebook, Dimension};
use crate::coding::Change;
use crate::consensus::{clear_consensus, consensus_of, consensus_row, rater_codes, set_consensus};
pub use crate::consensus::{Consensus, RaterCodes};
use crate::corpus::unit_by_name;
pub use crate::rules::AUTO_ADJUDICATOR;
use crate::rules::{blinding_rounds, is_blinded};
use crate::{Error, Result, Study};

pub use accept::{AcceptReport, Rule};

/// What an adjudicator decides on a unit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct ConsensusInput {
    /// The unit's public name.
    pub unit: String,
    /// The dimension id.
    pub dimension: String,
    /// Codes by id, name or alias.
    pub codes: Vec<String>,
    /// The adjudicator's name.
    pub adjudicator: String,
    /// Why; required (non-empty) when the codes equal no rater's codes.
    pub rationale: String,
}

/// One unit of the reconciliation queue.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileItem")]
pub struct QueueItem {
    /// The unit's public name.
    pub unit: String,
    /// The dimension id.
    pub dimension: String,
    /// Every rater's decision, by rater name.
    pub decisions: Vec<RaterCodes>,
    /// Whether every rater chose the same codes.
    pub agree: bool,
    /// The current consensus, if one was decided.
    pub consensus: Option<Consensus>,
}

/// The reconciliation queue.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileQueue")]
pub struct Queue {
    /// Units on which raters differ (and, when asked, those already resolved).
    pub items: Vec<QueueItem>,
    /// Units left out because they are in an unrevealed round (coding is still blind).
    pub blinded: usize,
}

impl Study {
    /// The reconciliation queue of one dimension (every dimension when `None`): units with
    /// at least two raters' decisions whose code sets differ and that have no consensus yet.
    /// With `include_resolved`, also units that have a consensus and units where all raters
    /// agree.
    pub fn reconcile_queue(
        &self,
        dimension: Option<&str>,
        include_resolved: bool,
    ) -> Result<Queue> {
        let book = self.cached_codebook()?;
        let dims = dims_of(&book, dimension)?;
        let mut items = Vec::new();
        let mut blinded = 0;
        for dim in dims {
            let consensus = consensus_of(self.conn(), &book, Some(&dim.id))?;
            for (unit, decisions) in decisions_by_unit(self, &dim.id)? {
                if decisions.len() < 2 {
                    continue;
                }
                if is_blinded(self.conn(), &unit, &dim.id)? {
                    blinded += 1;
                    continue;
                }
                let agree = decisions.iter().all(|d| d.codes == decisions[0].codes);
                let c = consensus.get(&unit).cloned();
                if !include_resolved && (agree || c.is_some()) {
                    continue;
                }
                items.push(QueueItem {
                    unit,
                    dimension: dim.id.clone(),
                    decisions,
                    agree,
                    consensus: c,
                });
            }
        }
        Ok(Queue { items, blinded })
    }

    /// Every consensus of one dimension (every dimension when `None`), by dimension and unit.
    pub fn consensus(&self, dimension: Option<&str>) -> Result<Vec<Consensus>> {
        let book = self.cached_codebook()?;
        let mut out = Vec::new();
        for dim in dims_of(&book, dimension)? {
            out.extend(consensus_of(self.conn(), &book, Some(&dim.id))?.into_values());
        }
        Ok(out)
    }

    /// Records (or changes) the consensus on a unit. Validated like a decision; codes that
    /// equal no rater's codes override every rater and need a non-empty rationale. The old
    /// consensus, if any, stays in the history.
    pub fn decide_consensus(&mut self, input: &ConsensusInput) -> Result<(Change, Consensus)> {
        let book = self.cached_codebook()?;
        let adjudicator = check_adjudicator(&input.adjudicator)?;
        self.write(|tx| {
            let dim = book.require_dimension(&input.dimension)?;
            let (unit_id, unit) = unit_by_name(tx, &input.unit)?;
            dim.check_unit(&unit.name, &unit.kind)?;
            let codes = dim.codes_of(&input.codes)?;
            if is_blinded(tx, &unit.name, &dim.id)? {
                return Err(Error::Blind {
                    what: format!("'{}' ({})", unit.name, dim.id),
                    rounds: blinding_rounds(tx, &unit.name, &dim.id)?,
                });
            }
            let raters = rater_codes(tx, &book, unit_id, &dim.id)?;
            let rationale = input.rationale.trim().to_string();
            if !raters.iter().any(|r| r.codes == codes) && rationale.is_empty() {
                let said: Vec<String> = raters
                    .iter()
                    .map(|r| format!("{} [{}]", r.rater, r.codes.join(", ")))
                    .collect();
                return Err(Error::NeedsRationale(format!(
                    "consensus [{}] on '{}' ({}) overrides every rater ({})",
                    codes.join(", "),
                    unit.name,
                    dim.id,
                    if said.is_empty() {
                        "no rater decided it".to_string()
                    } else {
                        said.join("; ")
                    }
                )));
            }
            set_consensus(
                tx,
                unit_id,
                &unit.name,
                dim,
                &codes,
                &adjudicator,
                &rationale,
                "decided",
            )
        })
    }

    /// Removes the consensus on a unit (it goes back to the queue); the removal and the
    /// reason are kept in the history. Returns whether there was a consensus.
    pub fn reopen_consensus(
        &mut self,
        unit: &str,
        dimension: &str,
        by: &str,
        why: &str,
    ) -> Result<bool> {
        let book = self.cached_codebook()?;
        let by = check_adjudicator(by)?;
        let dim = book.require_dimension(dimension)?.id.clone();
        self.write(|tx| {
            let (unit_id, _) = unit_by_name(tx, unit)?;
            let Some(old) = consensus_row(tx, &book, unit_id, &dim)? else {
                return Ok(false);
            };
            clear_consensus(tx, unit_id, &old, &by, why)?;
            Ok(true)
        })
    }
}

fn dims_of<'a>(book: &'a Codebook, dimension: Option<&str>) -> Result<Vec<&'a Dimension>> {
    Ok(match dimension {
        Some(d) => vec![book.require_dimension(d)?],
        None => book.dimensions.iter().collect(),
    })
}

fn check_adjudicator(name: &str) -> Result<String> {
    crate::rater::check_person("adjudicator", name)
}

/// Every decision of one dimension grouped by unit name (units in name order).
fn decisions_by_unit(study: &Study, dim: &str) -> Result<BTreeMap<String, Vec<RaterCodes>>> {
    let mut out: BTreeMap<String, Vec<RaterCodes>> = BTreeMap::new();
    for d in study.decisions(None)? {
        if d.dimension != dim {
            continue;
        }
        out.entry(d.unit).or_default().push(RaterCodes {
            rater: d.rater,
            codes: d.codes,
            memo: d.memo,
            flagged: d.flagged,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
