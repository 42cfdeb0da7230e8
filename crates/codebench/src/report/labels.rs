//! Where a report's labels come from: the consensus or one rater's decisions, the source a
//! report uses when none is named, and a source's labels with the units it has none for.

use std::collections::BTreeSet;

use super::Unlabelled;
use crate::{Error, Result, Study};

/// Where a report's labels come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Labels {
    /// The reconciled consensus.
    Consensus,
    /// One rater's decisions (as the viewer may see them).
    Rater(String),
}

/// The label source name that means the consensus (a rater may not be called so).
pub const CONSENSUS_LABELS: &str = "consensus";

impl Labels {
    /// `consensus`, or a rater's name.
    pub fn parse(name: &str) -> Labels {
        if name.trim() == CONSENSUS_LABELS {
            Labels::Consensus
        } else {
            Labels::Rater(name.trim().to_string())
        }
    }

    /// The source's name as reports print it.
    pub fn name(&self) -> &str {
        match self {
            Labels::Consensus => CONSENSUS_LABELS,
            Labels::Rater(r) => r,
        }
    }
}

impl Study {
    /// Whose labels a report uses when none is named: the study's only rater (the `ease2022`
    /// labels of a published study, or a lone coder); else the consensus once there is one;
    /// else an error naming the choices.
    pub fn default_labels(&self) -> Result<Labels> {
        let raters = self.raters()?;
        if let [only] = raters.as_slice() {
            return Ok(Labels::Rater(only.name.clone()));
        }
        if !self.consensus(None)?.is_empty() {
            return Ok(Labels::Consensus);
        }
        if raters.is_empty() {
            return Err(Error::Invalid(
                "this study has no rater yet, so no labels to report".into(),
            ));
        }
        Err(Error::Invalid(format!(
            "say whose labels to report: consensus (none reconciled yet) or one of {}",
            raters
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// The labels of a source as decisions (a consensus as a decision of `consensus`), as
    /// `viewer` may see them, and per dimension the units without one.
    pub fn labels(
        &self,
        labels: &Labels,
        viewer: Option<&str>,
    ) -> Result<(Vec<crate::coding::Decision>, Vec<Unlabelled>)> {
        let decisions = match labels {
            Labels::Rater(rater) => {
                if !self.raters()?.iter().any(|r| &r.name == rater) {
                    return Err(Error::unknown("rater", rater.clone()));
                }
                self.decisions_seen_by(viewer, Some(rater))?.items
            }
            Labels::Consensus => self
                .consensus(None)?
                .into_iter()
                .map(|c| crate::coding::Decision {
                    rater: CONSENSUS_LABELS.into(),
                    unit: c.unit,
                    dimension: c.dimension,
                    codes: c.codes,
                    memo: c.rationale,
                    flagged: false,
                    coded_at: c.decided_at,
                    suggested_by: Vec::new(),
                })
                .collect(),
        };
        let book = self.cached_codebook()?;
        let units = self.units()?;
        let have: BTreeSet<(&str, &str)> = decisions
            .iter()
            .map(|d| (d.unit.as_str(), d.dimension.as_str()))
            .collect();
        let unlabelled = book
            .dimensions
            .iter()
            .map(|d| {
                let of_kind: Vec<&crate::corpus::UnitInfo> =
                    units.iter().filter(|u| u.kind == d.unit.as_str()).collect();
                Unlabelled {
                    dimension: d.id.clone(),
                    units_total: of_kind.len(),
                    units: of_kind
                        .iter()
                        .filter(|u| !have.contains(&(u.name.as_str(), d.id.as_str())))
                        .map(|u| u.name.clone())
                        .collect(),
                }
            })
            .collect();
        Ok((decisions, unlabelled))
    }
}
