//! Consensus accepted in bulk: the rules (unanimous, majority), what an acceptance did, and
//! the automatic consensus on units where all raters agree with the study setting that turns
//! it off and on.

use std::collections::BTreeMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{check_adjudicator, decisions_by_unit, Consensus, RaterCodes};
use crate::consensus::{consensus_of, set_consensus};
use crate::corpus::unit_by_name;
use crate::rules::{auto_enabled, is_blinded, sync_auto_consensus, AUTO_ADJUDICATOR, AUTO_SETTING};
use crate::{Result, Study};

/// A rule for accepting consensus in bulk.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// Every rater who decided the unit (at least two) chose the same codes.
    Unanimous,
    /// More than half of the raters who decided the unit (at least two) chose the same codes.
    Majority,
}

impl Rule {
    /// The word stored in `consensus.method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Unanimous => "unanimous",
            Rule::Majority => "majority",
        }
    }
}

/// What a bulk acceptance did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct AcceptReport {
    /// Consensus rows written.
    pub accepted: Vec<Consensus>,
    /// Units that already had a consensus (left as they were).
    pub already_decided: usize,
    /// Units with at least two decisions where the rule did not hold (still in the queue).
    pub not_met: usize,
    /// Units left out because they are in an unrevealed round.
    pub blinded: usize,
}

impl Study {
    /// Accepts consensus in bulk in one dimension: every unit (outside unrevealed rounds, and
    /// without a consensus yet) where `rule` holds gets the agreed codes, by `by`, with
    /// `why` as the rationale (default: the rule in words). One transaction.
    pub fn accept_consensus(
        &mut self,
        dimension: &str,
        rule: Rule,
        by: &str,
        why: Option<&str>,
    ) -> Result<AcceptReport> {
        let by = check_adjudicator(by)?;
        self.accept_consensus_by(dimension, rule, &by, why)
    }

    /// [`Study::accept_consensus`] on behalf of an adjudicator already checked (or `auto`).
    fn accept_consensus_by(
        &mut self,
        dimension: &str,
        rule: Rule,
        by: &str,
        why: Option<&str>,
    ) -> Result<AcceptReport> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?.clone();
        let groups = decisions_by_unit(self, &dim.id)?;
        let rationale = why
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| match rule {
                Rule::Unanimous => "all raters chose these codes".to_string(),
                Rule::Majority => "a majority of raters chose these codes".to_string(),
            });
        self.write(|tx| {
            let mut report = AcceptReport::default();
            let existing = consensus_of(tx, &book, Some(&dim.id))?;
            for (unit, decisions) in groups {
                if decisions.len() < 2 {
                    continue;
                }
                if is_blinded(tx, &unit, &dim.id)? {
                    report.blinded += 1;
                    continue;
                }
                if existing.contains_key(&unit) {
                    report.already_decided += 1;
                    continue;
                }
                let Some(codes) = rule_holds(rule, &decisions) else {
                    report.not_met += 1;
                    continue;
                };
                let (unit_id, _) = unit_by_name(tx, &unit)?;
                let (_, c) = set_consensus(
                    tx,
                    unit_id,
                    &unit,
                    &dim,
                    &codes,
                    by,
                    &rationale,
                    rule.as_str(),
                )?;
                report.accepted.push(c);
            }
            Ok(report)
        })
    }

    /// Makes every unit where all raters (at least two) agree a consensus, decided by
    /// [`AUTO_ADJUDICATOR`]: `accept_consensus(dimension, Rule::Unanimous, "auto", None)`.
    pub fn auto_consensus(&mut self, dimension: &str) -> Result<AcceptReport> {
        self.accept_consensus_by(dimension, Rule::Unanimous, AUTO_ADJUDICATOR, None)
    }

    /// Whether units where all raters agree become consensus automatically (on unless
    /// turned off with [`Study::set_auto_consensus`]).
    pub fn auto_consensus_enabled(&self) -> Result<bool> {
        auto_enabled(self.conn())
    }

    /// Turns automatic consensus on or off, recorded in the history by `by`. Turning it on
    /// catches up at once: every unit (outside unrevealed rounds) where all raters agree and
    /// no consensus exists gets one; those are returned. Turning it off keeps the automatic
    /// consensus already made (reopen them one by one if they should go).
    pub fn set_auto_consensus(&mut self, on: bool, by: &str) -> Result<Vec<Consensus>> {
        let book = self.cached_codebook()?;
        let by = check_adjudicator(by)?;
        self.write(|tx| {
            let was = auto_enabled(tx)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![AUTO_SETTING, if on { "1" } else { "0" }],
            )?;
            if was != on {
                crate::history::record(
                    tx,
                    &by,
                    "setting.auto_consensus",
                    AUTO_SETTING,
                    Some(&serde_json::json!(was)),
                    Some(&serde_json::json!(on)),
                )?;
            }
            let mut made = Vec::new();
            if on {
                let pairs: Vec<(i64, String, String)> = tx
                    .prepare(
                        "SELECT DISTINCT d.unit_id, u.name, d.dimension FROM decision d
                         JOIN unit u ON u.id = d.unit_id ORDER BY d.dimension, u.name",
                    )?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<_, _>>()?;
                for (unit_id, unit, dim) in pairs {
                    if let Some(c) = sync_auto_consensus(tx, &book, unit_id, &unit, &dim)? {
                        made.push(c);
                    }
                }
            }
            Ok(made)
        })
    }
}

/// The codes every rater (unanimous) or most raters (majority) chose, if the rule holds.
pub(super) fn rule_holds(rule: Rule, decisions: &[RaterCodes]) -> Option<Vec<String>> {
    let mut counts: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
    for d in decisions {
        *counts.entry(&d.codes).or_default() += 1;
    }
    let (codes, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    let holds = match rule {
        Rule::Unanimous => n == decisions.len(),
        Rule::Majority => 2 * n > decisions.len(),
    };
    holds.then(|| codes.clone())
}
