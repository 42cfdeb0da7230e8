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

use std::collections::BTreeMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::codebook::{Codebook, Dimension};
use crate::coding::Change;
use crate::consensus::{clear_consensus, consensus_of, consensus_row, rater_codes, set_consensus};
pub use crate::consensus::{Consensus, RaterCodes};
use crate::corpus::unit_by_name;
pub use crate::rules::AUTO_ADJUDICATOR;
use crate::rules::{auto_enabled, blinding_rounds, is_blinded, sync_auto_consensus, AUTO_SETTING};
use crate::{Error, Result, Study};

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
fn rule_holds(rule: Rule, decisions: &[RaterCodes]) -> Option<Vec<String>> {
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

fn dims_of<'a>(book: &'a Codebook, dimension: Option<&str>) -> Result<Vec<&'a Dimension>> {
    Ok(match dimension {
        Some(d) => vec![book.require_dimension(d)?],
        None => book.dimensions.iter().collect(),
    })
}

fn check_adjudicator(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "adjudicator '{name}': give a name (1 to 100 characters, no control characters)"
        )));
    }
    if crate::rater::RESERVED_NAMES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
    {
        return Err(Error::Invalid(format!(
            "adjudicator '{name}': the name is reserved for the automatic consensus; give a person's name"
        )));
    }
    Ok(name.to_string())
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
mod tests {
    use super::*;
    use crate::codebook::Codebook;
    use crate::coding::DecisionInput;

    pub(crate) fn study_with_two_raters() -> (tempfile::TempDir, Study) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
        assert_eq!(s.codebook().unwrap(), Codebook::shipped());
        s.add_rater("alice").unwrap();
        s.add_rater("bob").unwrap();
        (dir, s)
    }

    fn code(s: &mut Study, rater: &str, unit: &str, dim: &str, codes: &[&str]) {
        s.record(&DecisionInput {
            rater: rater.into(),
            unit: unit.into(),
            dimension: dim.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            memo: Some(format!("{rater} thinks so")),
            flagged: None,
        })
        .unwrap();
    }

    fn projects(s: &Study) -> Vec<String> {
        s.units()
            .unwrap()
            .into_iter()
            .filter(|u| u.kind == "project")
            .map(|u| u.name)
            .collect()
    }

    fn history(s: &Study, action: &str) -> Vec<(String, Option<String>, Option<String>)> {
        s.conn()
            .prepare("SELECT subject, old, new FROM history WHERE action = ?1 ORDER BY id")
            .unwrap()
            .query_map([action], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn queue_shows_disagreements_side_by_side_and_decide_resolves() {
        let (_d, mut s) = study_with_two_raters();
        let p = projects(&s);
        code(&mut s, "alice", &p[0], "kind", &["model"]);
        code(&mut s, "bob", &p[0], "kind", &["toolkit"]);
        code(&mut s, "alice", &p[1], "kind", &["model"]);
        code(&mut s, "bob", &p[1], "kind", &["model"]);
        code(&mut s, "alice", &p[2], "kind", &["model"]);
        let q = s.reconcile_queue(Some("kind"), false).unwrap();
        assert_eq!(q.items.len(), 1);
        let item = &q.items[0];
        assert_eq!(item.unit, p[0]);
        assert_eq!(item.decisions[0].rater, "alice");
        assert_eq!(item.decisions[0].codes, vec!["model"]);
        assert_eq!(item.decisions[0].memo, "alice thinks so");
        assert_eq!(item.decisions[1].codes, vec!["toolkit"]);
        assert!(!item.agree);
        assert_eq!(
            s.reconcile_queue(Some("kind"), true).unwrap().items.len(),
            2
        );

        let (change, c) = s
            .decide_consensus(&ConsensusInput {
                unit: p[0].clone(),
                dimension: "kind".into(),
                codes: vec!["Toolkit".into()],
                adjudicator: "carol".into(),
                rationale: String::new(),
            })
            .unwrap();
        assert_eq!(change, Change::Created);
        assert_eq!(c.codes, vec!["toolkit"]);
        assert_eq!(c.method, "decided");
        assert!(s
            .reconcile_queue(Some("kind"), false)
            .unwrap()
            .items
            .is_empty());
        let all = s.reconcile_queue(Some("kind"), true).unwrap();
        assert_eq!(
            all.items[0].consensus.as_ref().unwrap().adjudicator,
            "carol"
        );
    }

    #[test]
    fn overriding_every_rater_needs_a_rationale_and_changes_keep_history() {
        let (_d, mut s) = study_with_two_raters();
        let p = projects(&s);
        code(&mut s, "alice", &p[0], "kind", &["model"]);
        code(&mut s, "bob", &p[0], "kind", &["toolkit"]);
        let mut input = ConsensusInput {
            unit: p[0].clone(),
            dimension: "kind".into(),
            codes: vec!["application-system".into()],
            adjudicator: "carol".into(),
            rationale: "  ".into(),
        };
        let e = s.decide_consensus(&input).unwrap_err().to_string();
        assert!(
            e.contains("overrides every rater")
                && e.contains("give the reason")
                && e.contains("alice [model]"),
            "{e}"
        );
        assert!(s.consensus(None).unwrap().is_empty());
        input.rationale = "README says it is an application".into();
        s.decide_consensus(&input).unwrap();
        // Changing it keeps the old value in the history.
        input.codes = vec!["model".into()];
        input.rationale = "second look".into();
        let (change, _) = s.decide_consensus(&input).unwrap();
        assert_eq!(change, Change::Updated);
        let h = history(&s, "consensus.set");
        assert_eq!(h.len(), 2);
        assert!(
            h[1].1.as_deref().unwrap().contains("application-system"),
            "{h:?}"
        );
        assert!(h[1].2.as_deref().unwrap().contains("second look"), "{h:?}");
        // Same again: unchanged, no new history.
        assert_eq!(s.decide_consensus(&input).unwrap().0, Change::Unchanged);
        assert_eq!(history(&s, "consensus.set").len(), 2);
        // Reopen: gone from the table, kept in the history.
        assert!(s
            .reopen_consensus(&p[0], "kind", "carol", "new evidence")
            .unwrap());
        assert!(!s.reopen_consensus(&p[0], "kind", "carol", "again").unwrap());
        assert!(s.consensus(Some("kind")).unwrap().is_empty());
        let h = history(&s, "consensus.clear");
        assert_eq!(h.len(), 1);
        assert!(h[0].2.as_deref().unwrap().contains("new evidence"));
    }

    #[test]
    fn consensus_is_validated_like_a_decision() {
        let (_d, mut s) = study_with_two_raters();
        let p = projects(&s);
        let df = s
            .units()
            .unwrap()
            .into_iter()
            .find(|u| u.kind == "dockerfile")
            .unwrap()
            .name;
        let mut input = ConsensusInput {
            unit: p[0].clone(),
            dimension: "kind".into(),
            codes: vec!["model".into(), "toolkit".into()],
            adjudicator: "carol".into(),
            rationale: "why not".into(),
        };
        assert!(s
            .decide_consensus(&input)
            .unwrap_err()
            .to_string()
            .contains("exactly one code"));
        input.codes = vec!["no-such-code".into()];
        assert!(matches!(
            s.decide_consensus(&input).unwrap_err(),
            Error::Unknown { what: "code", .. }
        ));
        input.codes = vec!["model".into()];
        input.unit = df;
        assert!(s
            .decide_consensus(&input)
            .unwrap_err()
            .to_string()
            .contains("is a dockerfile unit"));
        input.unit = "nobody/nothing".into();
        assert!(matches!(
            s.decide_consensus(&input).unwrap_err(),
            Error::Unknown { what: "unit", .. }
        ));
        input.unit = p[0].clone();
        input.adjudicator = " ".into();
        assert!(s
            .decide_consensus(&input)
            .unwrap_err()
            .to_string()
            .contains("give a name"));
        assert!(s.consensus(None).unwrap().is_empty());
    }

    #[test]
    fn accept_unanimous_and_majority() {
        let (_d, mut s) = study_with_two_raters();
        assert!(s.set_auto_consensus(false, "dana").unwrap().is_empty());
        s.add_rater("carol").unwrap();
        let p = projects(&s);
        // p0: all three agree; p1: two of three; p2: all differ; p3: one rater only.
        for r in ["alice", "bob", "carol"] {
            code(&mut s, r, &p[0], "kind", &["model"]);
        }
        code(&mut s, "alice", &p[1], "kind", &["model"]);
        code(&mut s, "bob", &p[1], "kind", &["model"]);
        code(&mut s, "carol", &p[1], "kind", &["toolkit"]);
        code(&mut s, "alice", &p[2], "kind", &["model"]);
        code(&mut s, "bob", &p[2], "kind", &["toolkit"]);
        code(&mut s, "carol", &p[2], "kind", &["dl-framework"]);
        code(&mut s, "alice", &p[3], "kind", &["model"]);
        let r = s.auto_consensus("kind").unwrap();
        assert_eq!(r.accepted.len(), 1);
        assert_eq!(r.accepted[0].unit, p[0]);
        assert_eq!(r.accepted[0].adjudicator, AUTO_ADJUDICATOR);
        assert_eq!(r.accepted[0].method, "unanimous");
        assert_eq!(r.not_met, 2);
        // Again: nothing new, the first is already decided.
        let r = s.auto_consensus("kind").unwrap();
        assert!(r.accepted.is_empty());
        assert_eq!(r.already_decided, 1);
        let r = s
            .accept_consensus("kind", Rule::Majority, "dana", Some("2 of 3"))
            .unwrap();
        assert_eq!(r.accepted.len(), 1);
        assert_eq!(r.accepted[0].unit, p[1]);
        assert_eq!(r.accepted[0].codes, vec!["model"]);
        assert_eq!(r.accepted[0].rationale, "2 of 3");
        assert_eq!(r.not_met, 1);
        let q = s.reconcile_queue(Some("kind"), false).unwrap();
        assert_eq!(q.items.len(), 1);
        assert_eq!(q.items[0].unit, p[2]);
    }

    #[test]
    fn agreement_becomes_consensus_automatically_and_follows_the_raters() {
        let (_d, mut s) = study_with_two_raters();
        assert!(s.auto_consensus_enabled().unwrap());
        let p = projects(&s);
        let kind_of = |s: &Study, unit: &str| {
            s.consensus(Some("kind"))
                .unwrap()
                .into_iter()
                .find(|c| c.unit == unit)
        };
        // One rater: no consensus. Two who agree: an automatic one.
        code(&mut s, "alice", &p[0], "kind", &["model"]);
        assert!(kind_of(&s, &p[0]).is_none());
        code(&mut s, "bob", &p[0], "kind", &["model"]);
        let c = kind_of(&s, &p[0]).expect("automatic consensus");
        assert_eq!(
            (c.codes.clone(), c.adjudicator.as_str(), c.method.as_str()),
            (vec!["model".to_string()], AUTO_ADJUDICATOR, "unanimous")
        );
        assert!(s
            .reconcile_queue(Some("kind"), false)
            .unwrap()
            .items
            .is_empty());
        // Bob changes his mind: the automatic consensus is withdrawn, the unit is in the queue.
        code(&mut s, "bob", &p[0], "kind", &["toolkit"]);
        assert!(kind_of(&s, &p[0]).is_none());
        assert_eq!(
            s.reconcile_queue(Some("kind"), false).unwrap().items.len(),
            1
        );
        let cleared = history(&s, "consensus.clear");
        assert_eq!(cleared.len(), 1);
        assert!(cleared[0].2.as_deref().unwrap().contains("no longer agree"));
        // Alice follows him: a new automatic consensus on the new codes.
        code(&mut s, "alice", &p[0], "kind", &["toolkit"]);
        assert_eq!(kind_of(&s, &p[0]).unwrap().codes, vec!["toolkit"]);
        // Undoing a decision withdraws it again.
        assert!(s.clear_decision("alice", &p[0], "kind").unwrap());
        assert!(kind_of(&s, &p[0]).is_none());
        // An adjudicator's consensus is never touched by later decisions.
        code(&mut s, "alice", &p[1], "kind", &["model"]);
        code(&mut s, "bob", &p[1], "kind", &["toolkit"]);
        s.decide_consensus(&ConsensusInput {
            unit: p[1].clone(),
            dimension: "kind".into(),
            codes: vec!["model".into()],
            adjudicator: "dana".into(),
            rationale: String::new(),
        })
        .unwrap();
        code(&mut s, "bob", &p[1], "kind", &["dl-framework"]);
        code(&mut s, "alice", &p[1], "kind", &["dl-framework"]);
        let c = kind_of(&s, &p[1]).unwrap();
        assert_eq!(
            (c.codes, c.adjudicator),
            (vec!["model".to_string()], "dana".to_string())
        );
        // Off: agreement stays in the raters' hands; on again: caught up at once.
        assert!(s.set_auto_consensus(false, "dana").unwrap().is_empty());
        assert!(!s.auto_consensus_enabled().unwrap());
        code(&mut s, "alice", &p[2], "kind", &["model"]);
        code(&mut s, "bob", &p[2], "kind", &["model"]);
        assert!(kind_of(&s, &p[2]).is_none());
        let made = s.set_auto_consensus(true, "dana").unwrap();
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].unit, p[2]);
        assert_eq!(history(&s, "setting.auto_consensus").len(), 2);
        // Ill-formed names are refused before anything is written.
        assert!(s.set_auto_consensus(false, " ").is_err());
        assert!(s.auto_consensus_enabled().unwrap());
    }

    #[test]
    fn automatic_consensus_waits_for_the_round_to_be_revealed() {
        let (_d, mut s) = study_with_two_raters();
        let p = projects(&s);
        s.create_round(&crate::round::RoundSpec {
            name: "r1".into(),
            size: crate::round::RoundSize::Count(3),
            dimension: Some("kind".into()),
            stratify: None,
            seed: Some(7),
            extend: None,
            by: None,
        })
        .unwrap();
        let sample: Vec<String> = s.round_units("r1").unwrap().into_iter().collect();
        for u in &sample {
            code(&mut s, "alice", u, "kind", &["model"]);
            code(&mut s, "bob", u, "kind", &["model"]);
        }
        assert!(s.consensus(Some("kind")).unwrap().is_empty(), "blind round");
        s.reveal_round("r1", "dana", true).unwrap();
        let made: Vec<String> = s
            .consensus(Some("kind"))
            .unwrap()
            .into_iter()
            .map(|c| c.unit)
            .collect();
        assert_eq!(made, sample);
        assert!(p.len() > sample.len());
    }

    #[test]
    fn rule_holds_on_sets() {
        let rc = |c: &[&str]| RaterCodes {
            rater: String::new(),
            codes: c.iter().map(|s| s.to_string()).collect(),
            memo: String::new(),
            flagged: false,
        };
        let two = [rc(&["a", "b"]), rc(&["a"])];
        assert_eq!(rule_holds(Rule::Unanimous, &two), None);
        assert_eq!(rule_holds(Rule::Majority, &two), None);
        let three = [rc(&["a", "b"]), rc(&["a", "b"]), rc(&[])];
        assert_eq!(
            rule_holds(Rule::Majority, &three),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        let empty = [rc(&[]), rc(&[])];
        assert_eq!(rule_holds(Rule::Unanimous, &empty), Some(vec![]));
    }
}
