//! Routing: the units to send to people first, because the machine raters disagree with each
//! other on them, are unsure of them, or could not label them.
//!
//! Read from each machine rater's latest answer per unit in the dimension (a resumed or later
//! run's answer replaces an earlier one). Blind-safe: a unit of a round not revealed yet in the
//! dimension is left out and only counted, since whether the machines agree there already says
//! something about their codes.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use ts_rs::TS;

use crate::{Error, Result, Study};

/// Confidence below which a machine's label is routed to people, unless the request names another.
pub const DEFAULT_BELOW: f64 = 0.6;

/// Why a unit is routed to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RouteReason {
    /// Two or more machine raters gave different codes.
    Disagree,
    /// A machine rater's confidence is below the threshold (or it gave none).
    LowConfidence,
    /// A machine rater's answer failed: it gave no label.
    Failed,
}

impl RouteReason {
    /// Its name, as the exports and the command line print it.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteReason::Disagree => "disagree",
            RouteReason::LowConfidence => "low_confidence",
            RouteReason::Failed => "failed",
        }
    }
}

/// One machine rater's latest answer on a routed unit.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RouteAnswer {
    /// The machine rater.
    pub rater: String,
    /// `ok` or `failed`.
    pub status: String,
    /// Its codes (ok only).
    pub codes: Vec<String>,
    /// Its confidence, 0 to 1.
    pub confidence: Option<f64>,
}

/// A unit to send to people first, with why.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoutedUnit {
    /// The unit.
    pub unit: String,
    /// Why, most telling first.
    pub reasons: Vec<RouteReason>,
    /// Distinct code sets among the machines' labels.
    pub code_sets: usize,
    /// The lowest confidence among the labels (`None`: no label gave one).
    pub min_confidence: Option<f64>,
    /// Each machine rater's latest answer on the unit.
    pub answers: Vec<RouteAnswer>,
}

/// The routing list of a dimension.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Routing {
    /// The dimension.
    pub dimension: String,
    /// The machine raters read.
    pub raters: Vec<String>,
    /// The confidence threshold used.
    pub below: f64,
    /// Units some of those raters answered (outside unrevealed rounds).
    pub considered: usize,
    /// The units to send to people first: disagreements, then the least confident, then failures.
    pub units: Vec<RoutedUnit>,
    /// Units answered but left out because they are in a round not revealed yet.
    pub withheld: usize,
}

/// What to route.
#[derive(Debug, Clone, Default)]
pub struct RouteOptions {
    /// The dimension (default: the one dimension machine raters answered on).
    pub dimension: Option<String>,
    /// Only these machine raters (default: every one with answers on the dimension).
    pub raters: Vec<String>,
    /// The confidence threshold (default [`DEFAULT_BELOW`]).
    pub below: Option<f64>,
}

impl Study {
    /// The units to send to people first in a dimension: where the machine raters disagree,
    /// where one is below the confidence threshold, where one failed. Units in rounds not
    /// revealed yet are only counted (see the module documentation).
    pub fn machine_routing(&self, options: &RouteOptions) -> Result<Routing> {
        let below = options.below.unwrap_or(DEFAULT_BELOW);
        if !(0.0..=1.0).contains(&below) {
            return Err(Error::Invalid(format!(
                "the confidence threshold {below} is outside 0 to 1"
            )));
        }
        for r in &options.raters {
            self.machine_rater(r)?;
        }
        let dimension = match &options.dimension {
            Some(d) => {
                self.cached_codebook()?.require_dimension(d)?;
                d.clone()
            }
            None => self.answered_dimension()?,
        };
        let wanted: BTreeSet<&str> = options.raters.iter().map(String::as_str).collect();
        let mut by_unit: BTreeMap<String, BTreeMap<String, RouteAnswer>> = BTreeMap::new();
        let mut raters = BTreeSet::new();
        for (unit, latest) in self.latest_machine_answers(&dimension, None)? {
            for (rater, a) in latest {
                if !wanted.is_empty() && !wanted.contains(rater.as_str()) {
                    continue;
                }
                raters.insert(rater.clone());
                by_unit.entry(unit.clone()).or_default().insert(
                    rater.clone(),
                    RouteAnswer {
                        rater,
                        status: a.status,
                        codes: a.codes,
                        confidence: a.confidence,
                    },
                );
            }
        }
        let blind = self.blind()?;
        let mut considered = 0;
        let mut withheld = 0;
        let mut units = Vec::new();
        for (unit, answers) in by_unit {
            if blind.is_blind(&unit, &dimension) {
                withheld += 1;
                continue;
            }
            considered += 1;
            let answers: Vec<RouteAnswer> = answers.into_values().collect();
            if let Some(u) = route(unit, answers, below) {
                units.push(u);
            }
        }
        units.sort_by(|a, b| {
            let conf = |u: &RoutedUnit| u.min_confidence.unwrap_or(f64::INFINITY);
            a.reasons
                .first()
                .cmp(&b.reasons.first())
                .then(b.code_sets.cmp(&a.code_sets))
                .then(conf(a).total_cmp(&conf(b)))
                .then(a.unit.cmp(&b.unit))
        });
        Ok(Routing {
            dimension,
            raters: if options.raters.is_empty() {
                raters.into_iter().collect()
            } else {
                wanted.into_iter().map(String::from).collect()
            },
            below,
            considered,
            units,
            withheld,
        })
    }

    /// The one dimension machine raters answered on, or an error asking which.
    fn answered_dimension(&self) -> Result<String> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT x.dimension FROM machine_run x
             WHERE EXISTS (SELECT 1 FROM machine_answer a WHERE a.run_id = x.id) ORDER BY 1",
        )?;
        let dims: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match dims.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::Invalid(
                "no machine rater has answered yet: run one first".into(),
            )),
            _ => Err(Error::Invalid(format!(
                "machine raters answered on {}: name the dimension",
                dims.join(", ")
            ))),
        }
    }
}

/// The unit with its reasons, or `None` when the machines agree, are sure and none failed.
fn route(unit: String, answers: Vec<RouteAnswer>, below: f64) -> Option<RoutedUnit> {
    let labels: Vec<&RouteAnswer> = answers.iter().filter(|a| a.status == "ok").collect();
    let code_sets = labels
        .iter()
        .map(|a| &a.codes)
        .collect::<BTreeSet<_>>()
        .len();
    let min_confidence = labels
        .iter()
        .filter_map(|a| a.confidence)
        .min_by(f64::total_cmp);
    let mut reasons = Vec::new();
    if code_sets > 1 {
        reasons.push(RouteReason::Disagree);
    }
    if labels
        .iter()
        .any(|a| a.confidence.is_none_or(|c| c < below))
    {
        reasons.push(RouteReason::LowConfidence);
    }
    if labels.len() < answers.len() {
        reasons.push(RouteReason::Failed);
    }
    (!reasons.is_empty()).then_some(RoutedUnit {
        unit,
        reasons,
        code_sets,
        min_confidence,
        answers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(rater: &str, codes: &[&str], confidence: Option<f64>) -> RouteAnswer {
        RouteAnswer {
            rater: rater.into(),
            status: "ok".into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            confidence,
        }
    }

    #[test]
    fn agreeing_sure_machines_route_nothing_and_each_doubt_has_its_reason() {
        let sure = vec![a("m1", &["app"], Some(0.9)), a("m2", &["app"], Some(0.8))];
        assert!(route("u".into(), sure, 0.6).is_none());
        let split = route(
            "u".into(),
            vec![a("m1", &["app"], Some(0.9)), a("m2", &["lib"], Some(0.5))],
            0.6,
        )
        .unwrap();
        assert_eq!(
            split.reasons,
            [RouteReason::Disagree, RouteReason::LowConfidence]
        );
        assert_eq!((split.code_sets, split.min_confidence), (2, Some(0.5)));
        // No confidence given counts as unsure; a failure is its own reason.
        let mut failed = a("m2", &[], None);
        failed.status = "failed".into();
        let u = route("u".into(), vec![a("m1", &["app"], None), failed], 0.6).unwrap();
        assert_eq!(u.reasons, [RouteReason::LowConfidence, RouteReason::Failed]);
    }
}
