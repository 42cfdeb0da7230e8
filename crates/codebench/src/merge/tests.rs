//! The merge's tests: copies of the sample study coded apart and merged back (idempotently),
//! rounds and their reveals, conflicts settled by rule and by choice, another codebook refused
//! and new codes merged, evidence and image references carried, a hand-out copy limited to its
//! rater, a damaged copy refused, and projects brought in. The properties over many copies are in
//! `tests/merge_properties.rs`.

use std::collections::BTreeMap;

use super::*;
use crate::codebook::Codebook;
use crate::coding::DecisionInput;

fn code(s: &mut Study, rater: &str, unit: &str, c: &str) {
    s.record(&DecisionInput {
        rater: rater.into(),
        unit: unit.into(),
        dimension: "kind".into(),
        codes: vec![c.into()],
        memo: Some("m".into()),
        flagged: None,
    })
    .unwrap();
}

fn copies() -> (tempfile::TempDir, Study, Study, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.codebench");
    let s = crate::sample::create(&base).unwrap();
    drop(s);
    let a = dir.path().join("a.codebench");
    let b = dir.path().join("b.codebench");
    // A checkpointed copy of the file is a copy of the study.
    let c = Connection::open(&base).unwrap();
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    drop(c);
    std::fs::copy(&base, &a).unwrap();
    std::fs::copy(&base, &b).unwrap();
    let mut sa = Study::open(&a).unwrap();
    let mut sb = Study::open(&b).unwrap();
    sa.add_rater("alice").unwrap();
    sb.add_rater("bob").unwrap();
    let p: Vec<String> = sa
        .units()
        .unwrap()
        .into_iter()
        .filter(|u| u.kind == "project")
        .map(|u| u.name)
        .collect();
    (dir, sa, sb, p)
}

#[test]
fn merges_decisions_idempotently() {
    let (_d, mut a, mut b, p) = copies();
    code(&mut a, "alice", &p[0], "model");
    code(&mut a, "alice", &p[0], "toolkit");
    code(&mut b, "bob", &p[0], "model");
    let r = a.merge_from(b.path()).unwrap();
    assert_eq!(r.raters_added, vec!["bob"]);
    assert_eq!(r.decisions_added, 1);
    assert_eq!(r.history_added, 1);
    assert!(r.projects_added.is_empty() && r.snapshots_added == 0 && r.units_added == 0);
    let again = a.merge_from(b.path()).unwrap();
    assert!(!again.changed(), "{again:?}");
    assert_eq!(again.decisions_same, 1);
    assert_eq!(a.decisions(Some("bob")).unwrap()[0].codes, vec!["model"]);
    // And the other way round: alice's decision and both history rows arrive.
    let r = b.merge_from(a.path()).unwrap();
    assert_eq!(r.decisions_added, 1);
    assert_eq!(r.history_added, 2);
}

#[test]
fn merge_brings_rounds_and_makes_automatic_consensus() {
    let (_d, mut a, mut b, p) = copies();
    // The round is made in b (bob's copy), coded blind by both, revealed in b only.
    b.create_round(&crate::round::RoundSpec {
        name: "pilot".into(),
        size: crate::round::RoundSize::Count(2),
        dimension: Some("kind".into()),
        stratify: None,
        seed: Some(3),
        extend: None,
        by: None,
    })
    .unwrap();
    let sample: Vec<String> = b.round_units("pilot").unwrap().into_iter().collect();
    for u in &sample {
        code(&mut a, "alice", u, "model");
        code(&mut b, "bob", u, "model");
    }
    // Outside the round they agree on p[x] too.
    let other = p.iter().find(|u| !sample.contains(u)).unwrap().clone();
    code(&mut a, "alice", &other, "toolkit");
    code(&mut b, "bob", &other, "toolkit");
    b.reveal_round("pilot", "dana", true).unwrap();
    let r = a.merge_from(b.path()).unwrap();
    assert_eq!(r.rounds_added, vec!["pilot"]);
    assert_eq!(r.auto_consensus, 3, "{r:?}");
    let round = a.round("pilot").unwrap();
    assert!(round.revealed_at.is_some());
    assert_eq!(a.round_units("pilot").unwrap().len(), 2);
    let made: Vec<String> = a
        .consensus(Some("kind"))
        .unwrap()
        .into_iter()
        .map(|c| c.unit)
        .collect();
    assert_eq!(made.len(), 3);
    assert!(made.contains(&other));
    // b gets alice's decisions and its own automatic consensus; merging back is quiet.
    let r = b.merge_from(a.path()).unwrap();
    assert_eq!(r.decisions_added, 3);
    assert!(r.rounds_added.is_empty());
    assert_eq!(b.consensus(Some("kind")).unwrap().len(), 3);
    assert!(!a.merge_from(b.path()).unwrap().changed());
}

#[test]
fn a_round_revealed_in_the_other_copy_is_revealed_by_the_merge() {
    let (_d, mut a, mut b, _p) = copies();
    let spec = crate::round::RoundSpec {
        name: "pilot".into(),
        size: crate::round::RoundSize::Count(2),
        dimension: Some("kind".into()),
        stratify: None,
        seed: Some(3),
        extend: None,
        by: None,
    };
    a.create_round(&spec).unwrap();
    b.create_round(&spec).unwrap();
    let sample: Vec<String> = a.round_units("pilot").unwrap().into_iter().collect();
    for u in &sample {
        code(&mut a, "alice", u, "model");
    }
    for u in &sample {
        code(&mut b, "bob", u, "model");
    }
    b.reveal_round("pilot", "dana", true).unwrap();
    let r = a.merge_from(b.path()).unwrap();
    assert!(r.rounds_added.is_empty());
    assert_eq!(r.rounds_revealed, vec!["pilot"]);
    assert_eq!(r.auto_consensus, 2);
    // Another sample under the same name is a conflict, and nothing is merged.
    let (_d2, mut c, d, _) = copies();
    c.create_round(&spec).unwrap();
    let mut other = spec.clone();
    other.seed = Some(99);
    other.size = crate::round::RoundSize::Count(5);
    let mut d = d;
    d.create_round(&other).unwrap();
    let e = c.merge_from(d.path()).unwrap_err().to_string();
    assert!(e.contains("round 'pilot' holds other units"), "{e}");
    assert!(c.raters().unwrap().iter().all(|r| r.name != "bob"));
}

#[test]
fn a_conflict_is_listed_and_settled_by_rule_or_choice() {
    let (_d, mut a, mut b, p) = copies();
    b.add_rater("alice").unwrap();
    code(&mut a, "alice", &p[0], "model");
    code(&mut b, "alice", &p[0], "toolkit");
    code(&mut b, "bob", &p[1], "toolkit");
    let before = a.decisions(None).unwrap();
    // No rule: the conflict is listed and nothing is written, not even bob.
    let r = a.merge_from(b.path()).unwrap();
    assert!(!r.merged);
    assert_eq!(r.unsettled(), 1);
    let c = &r.conflicts[0];
    assert_eq!(c.id, format!("decision:alice|{}|kind", p[0]));
    assert!(
        c.mine.contains("[model]") && c.theirs.contains("[toolkit]"),
        "{c:?}"
    );
    assert_eq!(a.decisions(None).unwrap(), before);
    assert_eq!(a.raters().unwrap().len(), 1, "bob was not added either");
    // Keep mine: everything else merges.
    let mut keep = MergeOptions {
        prefer: Some(Prefer::Mine),
        by: "lead".into(),
        ..Default::default()
    };
    let r = a
        .merge_with(b.path(), &{
            keep.dry_run = true;
            keep.clone()
        })
        .unwrap();
    assert!(
        !r.merged && r.decisions_added == 1,
        "a dry run says what it would do"
    );
    assert_eq!(a.decisions(None).unwrap(), before, "and writes nothing");
    keep.dry_run = false;
    let r = a.merge_with(b.path(), &keep).unwrap();
    assert!(r.merged);
    assert_eq!(r.decisions_added, 1);
    assert_eq!(
        a.decision("alice", &p[0], "kind").unwrap().unwrap().codes,
        vec!["model"]
    );
    // One by one: take theirs; the old side stays in the history.
    let mut choices = BTreeMap::new();
    choices.insert(format!("decision:alice|{}|kind", p[0]), Take::Theirs);
    let r = a
        .merge_with(
            b.path(),
            &MergeOptions {
                choices,
                by: "lead".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.decisions_replaced, 1);
    assert_eq!(
        a.decision("alice", &p[0], "kind").unwrap().unwrap().codes,
        vec!["toolkit"]
    );
    let old: String = a
        .conn()
        .query_row(
            "SELECT old FROM history WHERE action = 'decision.set' AND new LIKE '%\"merge\":\"theirs\"%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(old.contains("model"), "{old}");
}

#[test]
fn another_codebook_is_refused_but_new_codes_are_merged() {
    let (d, mut a, mut b, p) = copies();
    // A code proposed in bob's copy and given there arrives with the decision.
    let c = b
        .propose_code("kind", "Edge Device", "On a device.", None, "bob")
        .unwrap();
    code(&mut b, "bob", &p[0], &c.id);
    let r = a.merge_from(b.path()).unwrap();
    assert!(r.merged, "{r:?}");
    assert_eq!(r.codes_added, vec!["kind|edge-device"]);
    assert_eq!(
        a.decision("bob", &p[0], "kind").unwrap().unwrap().codes,
        vec!["edge-device"]
    );
    // A rename there, later than here, follows.
    b.rename_code("kind", "edge-device", "Edge Devices", "bob")
        .unwrap();
    let r = a.merge_from(b.path()).unwrap();
    assert_eq!(r.codes_updated, vec!["kind|edge-device"]);
    let book = a.codebook().unwrap();
    assert_eq!(
        book.dimension("kind")
            .unwrap()
            .code("edge-device")
            .unwrap()
            .name,
        "Edge Devices"
    );
    // Another dimension shape is another codebook.
    let mut other = Codebook::shipped();
    other.dimensions.pop();
    let o = Study::create(d.path().join("o.codebench"), &other).unwrap();
    let e = a.merge_from(o.path()).unwrap_err().to_string();
    assert!(
        e.contains("another codebook") && e.contains("missing there"),
        "{e}"
    );
    let e = a
        .merge_from(a.path().to_path_buf().as_path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("that is this study"), "{e}");
    std::fs::write(d.path().join("junk"), "not a study at all").unwrap();
    assert!(matches!(
        a.merge_from(&d.path().join("junk")).unwrap_err(),
        Error::NotAStudy { .. }
    ));
}

#[test]
fn evidence_and_image_references_come_with_the_merge() {
    let (_d, mut a, mut b, p) = copies();
    let u = "lumen-labs/tinyserve:Dockerfile";
    b.record(&DecisionInput {
        rater: "bob".into(),
        unit: u.into(),
        dimension: "purpose".into(),
        codes: vec!["hosting".into()],
        memo: Some("exposes ports".into()),
        flagged: Some(true),
    })
    .unwrap();
    b.add_evidence(&crate::evidence::EvidenceInput {
        rater: "bob".into(),
        unit: u.into(),
        dimension: "purpose".into(),
        code: "hosting".into(),
        file: "Dockerfile".into(),
        quote: "EXPOSE 8080".into(),
        line_start: Some(3),
        line_end: Some(3),
    })
    .unwrap();
    b.add_image_ref(&p[0], "acme/img:1").unwrap();
    let r = a.merge_from(b.path()).unwrap();
    assert_eq!(
        (r.decisions_added, r.evidence_added, r.image_refs_added),
        (1, 1, 1),
        "{r:?}"
    );
    let ev = a.evidence(Some("bob")).unwrap();
    assert_eq!(ev[0].quote, "EXPOSE 8080");
    let d = a.decision("bob", u, "purpose").unwrap().unwrap();
    assert!(d.flagged && d.memo == "exposes ports");
    // Merging again changes nothing.
    assert!(!a.merge_from(b.path()).unwrap().changed());
}

#[test]
fn a_copy_for_bob_brings_only_bobs_decisions() {
    let (d, mut a, b, p) = copies();
    drop(b);
    let copy = d.path().join("for-bob.codebench");
    let e = a
        .copy_to(&crate::copy::CopySpec {
            out: copy.clone(),
            for_rater: Some("nobody".into()),
            round: None,
            by: "lead".into(),
        })
        .unwrap_err();
    assert!(e.to_string().contains("unknown rater 'nobody'"), "{e}");
    assert!(!copy.exists());
    a.add_rater("bob").unwrap();
    a.copy_to(&crate::copy::CopySpec {
        out: copy.clone(),
        for_rater: Some("bob".into()),
        round: None,
        by: "lead".into(),
    })
    .unwrap();
    let mut bob = Study::open(&copy).unwrap();
    code(&mut bob, "bob", &p[0], "model");
    // A decision recorded under alice's name in bob's copy is flagged, not merged.
    code(&mut bob, "alice", &p[1], "toolkit");
    let r = a.merge_from(&copy).unwrap();
    assert_eq!(r.handed_out_for.as_deref(), Some("bob"));
    assert_eq!(r.decisions_added, 1);
    assert_eq!(r.flagged.len(), 1, "{r:?}");
    assert!(r.flagged[0].contains("alice"));
    assert!(a.decision("alice", &p[1], "kind").unwrap().is_none());
}

#[test]
fn a_damaged_copy_is_refused_with_nothing_changed() {
    let (d, mut a, b, _p) = copies();
    let bad = d.path().join("bad.codebench");
    std::fs::copy(b.path(), &bad).unwrap();
    drop(b);
    {
        let c = Connection::open(&bad).unwrap();
        c.execute_batch(
            "PRAGMA foreign_keys = OFF; INSERT INTO unit (project_id, kind, path, name) VALUES (9999, 'project', NULL, 'ghost/project');",
        )
        .unwrap();
    }
    let before = a.status().unwrap().decisions;
    let e = a.merge_from(&bad).unwrap_err().to_string();
    assert!(
        e.contains("damaged") && e.contains("nothing was merged"),
        "{e}"
    );
    assert_eq!(a.status().unwrap().decisions, before);
}

#[test]
fn brings_in_projects_the_copy_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let mut empty = Study::create(dir.path().join("e.codebench"), &Codebook::shipped()).unwrap();
    let mut full = crate::sample::create(&dir.path().join("f.codebench")).unwrap();
    full.add_rater("alice").unwrap();
    let unit = full.units().unwrap()[0].name.clone();
    let dim = if full.unit(&unit).unwrap().kind == "project" {
        "kind"
    } else {
        "purpose"
    };
    full.record(&DecisionInput {
        rater: "alice".into(),
        unit: unit.clone(),
        dimension: dim.into(),
        codes: if dim == "kind" {
            vec!["model".into()]
        } else {
            vec![]
        },
        memo: None,
        flagged: None,
    })
    .unwrap();
    let r = empty.merge_from(full.path()).unwrap();
    assert_eq!(r.projects_added.len(), 12);
    assert_eq!(r.snapshots_added, 12);
    assert_eq!(r.units_added, full.units().unwrap().len());
    assert_eq!(empty.units().unwrap(), full.units().unwrap());
    let name = &full.projects().unwrap()[0].name;
    let (va, vb) = (
        empty.project_view(name).unwrap(),
        full.project_view(name).unwrap(),
    );
    assert_eq!(va.readme.map(|f| f.text), vb.readme.map(|f| f.text));
    assert_eq!(
        empty.decisions(None).unwrap(),
        full.decisions(None).unwrap()
    );
    assert!(!empty.merge_from(full.path()).unwrap().changed());
}
