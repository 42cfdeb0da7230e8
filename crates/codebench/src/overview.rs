//! The study at a glance, for one viewer: each rater's progress, each round's, and how often
//! each code was given so far. Counts of decisions reveal nothing of a blind round, but codes
//! do: the distribution counts the viewer's own decisions and other raters' decisions outside
//! unrevealed rounds only (the rest are counted as hidden), so the app's overview keeps the
//! blindness that [`Study::visible_decisions`] keeps.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::round::RoundInfo;
use crate::{Result, Study};

/// One rater's progress over the whole study.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct RaterOverview {
    /// The rater.
    pub rater: String,
    /// Units with a decision of this rater in every dimension of the unit's kind.
    pub coded_units: usize,
    /// Decisions (unit × dimension) recorded.
    pub decisions: usize,
    /// Decisions flagged for discussion.
    pub flagged: usize,
}

/// How often a code was given, over the decisions the viewer may see.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct CodeCount {
    /// Dimension id.
    pub dimension: String,
    /// Code id.
    pub code: String,
    /// The code's name.
    pub name: String,
    /// Its parent's id, for a sub-code.
    pub parent: Option<String>,
    /// Decisions that gave it.
    pub count: usize,
}

/// The study at a glance for one viewer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Overview {
    /// Units in the study.
    pub units: usize,
    /// Every rater's progress, by name.
    pub raters: Vec<RaterOverview>,
    /// Every round with its raters' progress.
    pub rounds: Vec<RoundInfo>,
    /// Per dimension and code (codebook order, codes never given included): decisions the
    /// viewer may see that gave it.
    pub distribution: Vec<CodeCount>,
    /// Other raters' decisions left out of the distribution because their round is blind.
    pub hidden: usize,
}

impl Study {
    /// The overview as `viewer` may see it (see the module documentation). The distribution
    /// pools every decision the viewer may see, or counts one source's labels (`labels`: a
    /// rater or the consensus), over every unit or one round's (`round`).
    pub fn overview(
        &self,
        viewer: Option<&str>,
        labels: Option<&crate::report::Labels>,
        round: Option<&str>,
    ) -> Result<Overview> {
        let book = self.cached_codebook()?;
        let units = self.units()?;
        let kind_of: BTreeMap<&str, &str> = units
            .iter()
            .map(|u| (u.name.as_str(), u.kind.as_str()))
            .collect();
        let dims_per_kind = |kind: &str| {
            book.dimensions
                .iter()
                .filter(|d| d.unit.as_str() == kind)
                .count()
        };
        let decisions = self.decisions(None)?;
        let blind = self.blind()?;
        let in_round: Option<std::collections::BTreeSet<String>> =
            round.map(|r| self.round_units(r)).transpose()?;
        // Per rater: decisions per unit, decisions, flagged decisions (counts reveal no codes).
        let mut per_rater: BTreeMap<String, (BTreeMap<&str, usize>, usize, usize)> = self
            .raters()?
            .into_iter()
            .map(|r| (r.name, Default::default()))
            .collect();
        for d in &decisions {
            let e = per_rater.entry(d.rater.clone()).or_default();
            *e.0.entry(d.unit.as_str()).or_default() += 1;
            e.1 += 1;
            e.2 += usize::from(d.flagged);
        }
        // The distribution: what the viewer may see of the chosen source.
        let counted: Vec<crate::coding::Decision> = match labels {
            Some(l) => self.labels(l, viewer)?.0,
            None => decisions
                .iter()
                .filter(|d| !blind.hides(viewer, &d.rater, &d.unit, &d.dimension))
                .cloned()
                .collect(),
        };
        let hidden = match labels {
            Some(crate::report::Labels::Rater(r)) => decisions
                .iter()
                .filter(|d| &d.rater == r && blind.hides(viewer, &d.rater, &d.unit, &d.dimension))
                .count(),
            Some(crate::report::Labels::Consensus) => 0,
            None => decisions
                .iter()
                .filter(|d| blind.hides(viewer, &d.rater, &d.unit, &d.dimension))
                .count(),
        };
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        for d in &counted {
            if in_round.as_ref().is_some_and(|u| !u.contains(&d.unit)) {
                continue;
            }
            for c in &d.codes {
                *counts.entry((d.dimension.clone(), c.clone())).or_default() += 1;
            }
        }
        let raters = per_rater
            .into_iter()
            .map(|(rater, (by_unit, decisions, flagged))| RaterOverview {
                rater,
                coded_units: by_unit
                    .iter()
                    .filter(|(u, n)| {
                        let dims = kind_of.get(*u).map_or(0, |k| dims_per_kind(k));
                        dims > 0 && **n >= dims
                    })
                    .count(),
                decisions,
                flagged,
            })
            .collect();
        let mut distribution = Vec::new();
        for d in &book.dimensions {
            for c in &d.codes {
                distribution.push(CodeCount {
                    dimension: d.id.clone(),
                    code: c.id.clone(),
                    name: c.name.clone(),
                    parent: c.parent.clone(),
                    count: counts
                        .get(&(d.id.clone(), c.id.clone()))
                        .copied()
                        .unwrap_or(0),
                });
            }
        }
        Ok(Overview {
            units: units.len(),
            raters,
            rounds: self.rounds()?,
            distribution,
            hidden,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::DecisionInput;
    use crate::round::{RoundSize, RoundSpec};

    fn code(s: &mut Study, rater: &str, unit: &str, dim: &str, codes: &[&str], flagged: bool) {
        s.record(&DecisionInput {
            rater: rater.into(),
            unit: unit.into(),
            dimension: dim.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            memo: None,
            flagged: Some(flagged),
        })
        .unwrap();
    }

    #[test]
    fn progress_and_a_distribution_that_keeps_rounds_blind() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
        for r in ["ana", "ben"] {
            s.add_rater(r).unwrap();
        }
        let units = s.units().unwrap();
        let projects: Vec<String> = units
            .iter()
            .filter(|u| u.kind == "project")
            .map(|u| u.name.clone())
            .collect();
        // A blind round over two projects' kinds.
        s.create_round(&RoundSpec {
            name: "r1".into(),
            size: RoundSize::Count(2),
            dimension: Some("kind".into()),
            stratify: None,
            seed: Some(1),
            extend: None,
            by: None,
        })
        .unwrap();
        let blind: Vec<String> = s.round_units("r1").unwrap().into_iter().collect();
        let open: Vec<&String> = projects.iter().filter(|p| !blind.contains(p)).collect();
        code(&mut s, "ana", &blind[0], "kind", &["model"], false);
        code(&mut s, "ben", &blind[0], "kind", &["toolkit"], true);
        code(&mut s, "ben", open[0], "kind", &["toolkit"], false);
        code(&mut s, "ana", open[1], "kind", &["model"], false);
        let count = |o: &Overview, code: &str| {
            o.distribution
                .iter()
                .find(|c| c.dimension == "kind" && c.code == code)
                .unwrap()
                .count
        };

        let o = s.overview(Some("ana"), None, None).unwrap();
        assert_eq!(o.units, units.len());
        assert_eq!(o.rounds.len(), 1);
        // ana sees her two models and ben's open toolkit, not his blind one.
        assert_eq!(
            (count(&o, "model"), count(&o, "toolkit"), o.hidden),
            (2, 1, 1)
        );
        let ben = o.raters.iter().find(|r| r.rater == "ben").unwrap();
        assert_eq!((ben.coded_units, ben.decisions, ben.flagged), (2, 2, 1));
        // Every code of the codebook is listed, in codebook order, even when never given.
        let book = s.codebook().unwrap();
        let all: usize = book.dimensions.iter().map(|d| d.codes.len()).sum();
        assert_eq!(o.distribution.len(), all);
        // Once revealed, everything counts.
        s.reveal_round("r1", "dana", true).unwrap();
        let o = s.overview(Some("ana"), None, None).unwrap();
        assert_eq!(
            (count(&o, "model"), count(&o, "toolkit"), o.hidden),
            (2, 2, 0)
        );
    }
}
