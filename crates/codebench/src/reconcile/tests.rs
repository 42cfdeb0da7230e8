//! Reconciliation's tests: the queue shows disagreements side by side, overriding every rater
//! needs a rationale, a consensus is validated like a decision, bulk acceptance by rule, the
//! automatic consensus follows the raters and waits for a round's reveal.

use super::accept::rule_holds;
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
