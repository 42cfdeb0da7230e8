//! The rounds' tests: sampling is deterministic and an extended round keeps its sample, a
//! stratified sample is proportional, coding is blind until the reveal, a forced reveal and the
//! size plan, and the sampler draws without replacement.

use std::collections::BTreeMap;

use super::*;
use crate::coding::DecisionInput;

fn study() -> (tempfile::TempDir, Study) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
    s.add_rater("alice").unwrap();
    s.add_rater("bob").unwrap();
    (dir, s)
}

fn spec(name: &str, size: RoundSize) -> RoundSpec {
    RoundSpec {
        name: name.into(),
        size,
        dimension: Some("kind".into()),
        stratify: None,
        seed: Some(7),
        extend: None,
        by: None,
    }
}

fn code(s: &mut Study, rater: &str, unit: &str, c: &str) {
    s.record(&DecisionInput {
        rater: rater.into(),
        unit: unit.into(),
        dimension: "kind".into(),
        codes: vec![c.into()],
        memo: None,
        flagged: None,
    })
    .unwrap();
}

#[test]
fn sampling_is_deterministic_and_extends_keep_the_sample() {
    let (_d, mut s) = study();
    let a = s
        .create_round(&spec("a", RoundSize::Fraction(0.5)))
        .unwrap();
    assert_eq!(a.units.len(), 6, "half of 12 projects");
    let b = s
        .create_round(&spec("b", RoundSize::Fraction(0.5)))
        .unwrap();
    assert_eq!(a.units, b.units, "same seed, same sample");
    let mut other = spec("c", RoundSize::Fraction(0.5));
    other.seed = Some(8);
    let c = s.create_round(&other).unwrap();
    assert_eq!(c.units.len(), 6);
    let mut grow = spec("a75", RoundSize::Fraction(0.75));
    grow.extend = Some("a".into());
    let g = s.create_round(&grow).unwrap();
    assert_eq!(g.units.len(), 9);
    assert!(a.units.iter().all(|u| g.units.contains(u)));
    assert_eq!(g.extends.as_deref(), Some("a"));
    let mut shrink = spec("small", RoundSize::Count(2));
    shrink.extend = Some("a".into());
    assert!(s
        .create_round(&shrink)
        .unwrap_err()
        .to_string()
        .contains("fewer than"));
    assert!(s
        .create_round(&spec("a", RoundSize::Count(1)))
        .unwrap_err()
        .to_string()
        .contains("already exists"));
    assert!(s
        .create_round(&spec("z", RoundSize::Fraction(1.5)))
        .is_err());
}

#[test]
fn stratified_sample_is_proportional() {
    let (_d, mut s) = study();
    let projects: Vec<String> = s
        .units()
        .unwrap()
        .into_iter()
        .filter(|u| u.kind == "project")
        .map(|u| u.name)
        .collect();
    for (i, p) in projects.iter().enumerate() {
        code(&mut s, "alice", p, if i < 8 { "model" } else { "toolkit" });
    }
    let mut sp = spec("strat", RoundSize::Count(6));
    sp.stratify = Some("kind".into());
    let r = s.create_round(&sp).unwrap();
    let models = r.units.iter().filter(|u| projects[..8].contains(u)).count();
    assert_eq!((models, r.units.len() - models), (4, 2), "{:?}", r.plan);
    assert_eq!(r.plan["strata"]["sampled"]["model"], 4);
}

#[test]
fn blind_until_revealed() {
    let (_d, mut s) = study();
    let r = s.create_round(&spec("r", RoundSize::Count(2))).unwrap();
    let e = s.reveal_round("r", "lead", false).unwrap_err().to_string();
    assert!(e.contains("no raters assigned"), "{e}");
    s.assign_round("r", &["alice".into(), "bob".into()], "lead")
        .unwrap();
    let (u0, u1) = (&r.units[0], &r.units[1]);
    code(&mut s, "alice", u0, "model");
    code(&mut s, "bob", u0, "toolkit");
    code(&mut s, "alice", u1, "model");
    let seen = s.visible_decisions("alice", u0).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].rater, "alice");
    assert!(s
        .reconcile_queue(Some("kind"), true)
        .unwrap()
        .items
        .is_empty());
    assert_eq!(s.reconcile_queue(Some("kind"), true).unwrap().blinded, 1);
    let e = s.reveal_round("r", "lead", false).unwrap_err().to_string();
    assert!(
        e.contains(&format!("bob has not decided 1 ({u1} (kind))")),
        "{e}"
    );
    let info = s.round("r").unwrap();
    assert_eq!(
        info.raters[0],
        RaterProgress {
            rater: "alice".into(),
            decided: 2,
            total: 2
        }
    );
    assert_eq!(info.raters[1].decided, 1);
    code(&mut s, "bob", u1, "model");
    let info = s.reveal_round("r", "lead", false).unwrap();
    assert!(info.revealed_at.is_some());
    assert_eq!(s.visible_decisions("alice", u0).unwrap().len(), 2);
    assert_eq!(
        s.reconcile_queue(Some("kind"), false).unwrap().items.len(),
        1
    );
}

#[test]
fn force_reveals_and_plan_sizes() {
    let (_d, mut s) = study();
    s.create_round(&spec("r", RoundSize::Count(3))).unwrap();
    assert!(s
        .reveal_round("r", "lead", true)
        .unwrap()
        .revealed_at
        .is_some());
    let r = s
        .create_round(&spec(
            "p",
            RoundSize::Plan {
                width: 0.4,
                expected_kappa: 0.7,
                confidence: 0.95,
            },
        ))
        .unwrap();
    let marginals = vec![1.0 / 6.0; 6];
    let planned = crate::agreement::plan_round_size(0.7, &marginals, 0.4, 0.95).unwrap();
    assert_eq!(r.plan["plan"]["planned"], planned as u64);
    assert_eq!(r.units.len(), planned.min(12));
    let mut nodim = spec(
        "q",
        RoundSize::Plan {
            width: 0.4,
            expected_kappa: 0.7,
            confidence: 0.95,
        },
    );
    nodim.dimension = None;
    assert!(s
        .create_round(&nodim)
        .unwrap_err()
        .to_string()
        .contains("needs a dimension"));
}

#[test]
fn sampler_draws_without_replacement() {
    let items: Vec<String> = (0..50).map(|i| format!("u{i:02}")).collect();
    let strata = BTreeMap::from([(String::new(), items.clone())]);
    let s1 = sample(&strata, &BTreeSet::new(), 20, 1);
    assert_eq!(s1.len(), 20);
    assert_eq!(s1, sample(&strata, &BTreeSet::new(), 20, 1));
    assert_ne!(s1, sample(&strata, &BTreeSet::new(), 20, 2));
    assert_eq!(sample(&strata, &BTreeSet::new(), 50, 3).len(), 50);
}
