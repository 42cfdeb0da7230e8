//! Properties of merging raters' copies, on random sequences of coding on two or three copies
//! (proptest): a merge is idempotent, copies that do not conflict merge to the same study in any
//! order, and no decision, memo or evidence acknowledged in any copy is lost.

use std::collections::BTreeSet;
use std::path::Path;

use codebench::coding::DecisionInput;
use codebench::copy::CopySpec;
use codebench::evidence::EvidenceInput;
use codebench::Study;
use proptest::prelude::*;

/// One thing a rater does in their copy.
#[derive(Debug, Clone)]
struct Op {
    unit: usize,
    code: usize,
    memo: Option<u8>,
    quote: Option<u8>,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0usize..6,
        0usize..6,
        proptest::option::of(0u8..4),
        proptest::option::of(0u8..3),
    )
        .prop_map(|(unit, code, memo, quote)| Op {
            unit,
            code,
            memo,
            quote,
        })
}

const KINDS: [&str; 6] = [
    "application-system",
    "mlops-aiops",
    "toolkit",
    "dl-framework",
    "model",
    "documentation-tutorials",
];

/// Everything a merge must keep: each decision with its codes, memo, flag and quotes.
fn content(s: &Study) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in s.decisions(None).unwrap() {
        out.insert(format!(
            "{}|{}|{}|{:?}|{}|{}",
            d.rater, d.unit, d.dimension, d.codes, d.memo, d.flagged
        ));
    }
    for e in s.evidence(None).unwrap() {
        out.insert(format!(
            "ev|{}|{}|{}|{}|{}|{}",
            e.rater, e.unit, e.dimension, e.code, e.file, e.quote
        ));
    }
    out
}

/// The lead's study and one hand-out copy per rater, each coded by its rater with `ops`.
fn copies(dir: &Path, plans: &[Vec<Op>]) -> (Study, Vec<std::path::PathBuf>) {
    let mut lead = codebench::sample::create(&dir.join("lead.codebench")).unwrap();
    let projects: Vec<String> = lead
        .units()
        .unwrap()
        .into_iter()
        .filter(|u| u.kind == "project")
        .map(|u| u.name)
        .collect();
    let mut paths = Vec::new();
    for (i, _) in plans.iter().enumerate() {
        lead.add_rater(&format!("r{i}")).unwrap();
    }
    for (i, ops) in plans.iter().enumerate() {
        let rater = format!("r{i}");
        let path = dir.join(format!("{rater}.codebench"));
        lead.copy_to(&CopySpec {
            out: path.clone(),
            for_rater: Some(rater.clone()),
            round: None,
            by: "lead".into(),
        })
        .unwrap();
        let mut s = Study::open(&path).unwrap();
        for op in ops {
            let unit = &projects[op.unit];
            s.record(&DecisionInput {
                rater: rater.clone(),
                unit: unit.clone(),
                dimension: "kind".into(),
                codes: vec![KINDS[op.code].into()],
                memo: op.memo.map(|m| format!("memo {m} of {rater}")),
                flagged: None,
            })
            .unwrap();
            if let Some(q) = op.quote {
                s.add_evidence(&EvidenceInput {
                    rater: rater.clone(),
                    unit: unit.clone(),
                    dimension: "kind".into(),
                    code: KINDS[op.code].into(),
                    file: "README.md".into(),
                    quote: format!("quote {q}"),
                    line_start: None,
                    line_end: None,
                })
                .unwrap();
            }
        }
        paths.push(path);
    }
    (lead, paths)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn merges_keep_everything_are_idempotent_and_commute(
        plans in proptest::collection::vec(proptest::collection::vec(op(), 0..8), 2..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (mut lead, paths) = copies(dir.path(), &plans);
        // Everything acknowledged in the copies.
        let mut expected = content(&lead);
        for p in &paths {
            expected.extend(content(&Study::open(p).unwrap()));
        }
        for p in &paths {
            let r = lead.merge_from(p).unwrap();
            prop_assert!(r.merged && r.conflicts.is_empty(), "{r:?}");
        }
        let merged = content(&lead);
        // Nothing lost (the lead has exactly what the copies acknowledged).
        prop_assert_eq!(&merged, &expected);
        // Idempotent.
        for p in &paths {
            prop_assert!(!lead.merge_from(p).unwrap().changed());
        }
        // The other order gives the same study.
        let other = dir.path().join("other-lead.codebench");
        let mut second = codebench::sample::create(&other).unwrap();
        for (i, _) in plans.iter().enumerate() {
            second.add_rater(&format!("r{i}")).unwrap();
        }
        for p in paths.iter().rev() {
            second.merge_from(p).unwrap();
        }
        prop_assert_eq!(content(&second), merged);
    }
}
