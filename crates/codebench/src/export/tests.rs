//! The export's tests: headers only for an empty study, then `consensus.csv` and `agreement.csv`
//! of a coded one (RFC 4180 quoting, CRLF line ends, the agreement as `codebench_agreement`
//! writes it). The other tables are checked by the integration tests (`tests/`) and the
//! golden exports (`make golden`).

use super::*;
use crate::coding::DecisionInput;
use crate::reconcile::ConsensusInput;

#[test]
fn consensus_and_agreement_tables() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
    // An empty study exports headers only.
    let out = dir.path().join("empty");
    let w = export_all(&s, &out, &Default::default()).unwrap().0;
    assert_eq!(w.len(), 17, "codings, 14 more tables, consensus, agreement");
    let cons = std::fs::read_to_string(out.join("consensus.csv")).unwrap();
    assert_eq!(
        cons,
        "unit,dimension,code,adjudicator,rationale,decided_at\r\n"
    );
    s.add_rater("alice").unwrap();
    s.add_rater("bob").unwrap();
    let df = s
        .units()
        .unwrap()
        .into_iter()
        .find(|u| u.kind == "dockerfile")
        .unwrap()
        .name;
    for (r, codes) in [
        ("alice", vec!["hosting", "ci-cd"]),
        ("bob", vec!["hosting"]),
    ] {
        s.record(&DecisionInput {
            rater: r.into(),
            unit: df.clone(),
            dimension: "purpose".into(),
            codes: codes.into_iter().map(String::from).collect(),
            memo: None,
            flagged: None,
        })
        .unwrap();
    }
    s.decide_consensus(&ConsensusInput {
        unit: df.clone(),
        dimension: "purpose".into(),
        codes: vec!["hosting".into(), "ci-cd".into()],
        adjudicator: "carol".into(),
        rationale: "the workflow, \"quoted\"".into(),
    })
    .unwrap();
    let out = dir.path().join("full");
    let w = export_all(&s, &out, &Default::default()).unwrap().0;
    assert_eq!(
        w.iter()
            .find(|w| w.path.ends_with("consensus.csv"))
            .unwrap()
            .rows,
        2
    );
    let cons = std::fs::read_to_string(out.join("consensus.csv")).unwrap();
    let lines: Vec<&str> = cons.split("\r\n").collect();
    assert!(
        lines[1].starts_with(&format!(
            "{df},purpose,ci-cd,carol,\"the workflow, \"\"quoted\"\"\","
        )) || lines[1].starts_with(&format!("{df},purpose,hosting,carol,")),
        "{cons}"
    );
    assert_eq!(lines.len(), 4, "{cons}");
    let ag = std::fs::read_to_string(out.join("agreement.csv")).unwrap();
    let expected = crate::agreement::to_csv(&s.agreement_for(&Default::default()).unwrap().0);
    assert_eq!(ag, expected);
    assert!(ag.contains("purpose"), "{ag}");
    assert!(!ag.replace("\r\n", "").contains('\n'), "CRLF line ends");
}
