//! Blind rounds: what a rater may see of another's codes before the round is revealed.

use serde_json::json;

use crate::common::{app_with, invoke, App};

/// The sample study with a blind round over two projects' kinds, assigned to alice and bob,
/// where alice coded both and attached evidence; bob coded none yet.
fn blind_round(app: &App) -> Vec<String> {
    for r in ["alice", "bob", "lead"] {
        invoke(app, "add_rater", json!({"name": r})).unwrap();
    }
    let round = invoke(
        app,
        "create_round",
        json!({"name": "r50", "size": 2, "dimension": "kind", "seed": 7, "by": "lead"}),
    )
    .unwrap();
    invoke(
        app,
        "assign_round",
        json!({"round": "r50", "raters": ["alice", "bob"]}),
    )
    .unwrap();
    let units: Vec<String> = round["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    invoke(app, "set_viewer", json!({"rater": "alice"})).unwrap();
    for u in &units {
        invoke(
            app,
            "record_decision",
            json!({"rater": "alice", "unit": u, "dimension": "kind", "codes": ["model"], "memo": "alice's memo"}),
        )
        .unwrap();
    }
    units
}

#[test]
fn an_unrevealed_round_shows_bob_nothing_of_alices_codes() {
    let app = app_with(None);
    let units = blind_round(&app);
    // alice sees her own.
    assert_eq!(
        invoke(&app, "decisions", json!({"rater": "alice"}))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    invoke(&app, "set_viewer", json!({"rater": "bob"})).unwrap();
    // Decisions, evidence, the queue and code counts: nothing of alice's.
    assert_eq!(
        invoke(&app, "decisions", json!({"rater": "alice"})).unwrap(),
        json!([])
    );
    assert_eq!(invoke(&app, "decisions", json!({})).unwrap(), json!([]));
    assert_eq!(invoke(&app, "evidence", json!({})).unwrap(), json!([]));
    let uses = invoke(&app, "code_uses", json!({})).unwrap();
    assert!(
        uses.as_array().unwrap().iter().all(|u| u["count"] == 0),
        "{uses}"
    );
    let q = invoke(
        &app,
        "coding_queue",
        json!({"rater": "bob", "filter": "all"}),
    )
    .unwrap();
    let first = &q["items"][0];
    assert!(
        units.contains(&first["unit"]["name"].as_str().unwrap().to_string()),
        "assigned units first"
    );
    assert_eq!(first["assigned"], true);
    assert_eq!(q["rounds"][0]["decided"], 0);
    // Agreement of the round is refused; the study-wide agreement leaves the round out.
    let err = invoke(&app, "agreement", json!({"round": "r50"})).unwrap_err();
    assert!(err.as_str().unwrap().contains("blind"), "{err}");
    // So are a confusion cell's units (listed after the reveal, below).
    let cell = json!({"dimension": "kind", "level": "leaf", "raters": ["alice", "bob"], "row": "model", "column": "model"});
    let err = invoke(
        &app,
        "agreement_units",
        json!({"request": {"round": "r50"}, "cell": cell}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("blind"), "{err}");
    // Overview: alice's progress counts, not her codes.
    let o = invoke(&app, "overview", json!({})).unwrap();
    assert!(o["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["count"] == 0));
    assert_eq!(o["hidden"], 2);
    let o = invoke(&app, "overview", json!({"labels": "alice"})).unwrap();
    assert!(o["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["count"] == 0));
    // Reconcile: the round's units are left out.
    let rq = invoke(&app, "reconcile_queue", json!({"include_resolved": true})).unwrap();
    assert_eq!(rq["items"], json!([]));
    // Report on alice's labels: her blind units are unlabelled for bob.
    let rep = invoke(&app, "report", json!({"labels": "alice"})).unwrap();
    let kinds = &rep["tables"][0];
    assert!(
        kinds["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r[1] == "0"),
        "{kinds}"
    );
    // The export: no decision of alice's in codings.csv or the history.
    let out = app._dir.path().join("export-bob");
    let e = invoke(
        &app,
        "export_tables",
        json!({"dir": out.display().to_string()}),
    )
    .unwrap();
    assert_eq!(e["withheld"], 2);
    let codings = std::fs::read_to_string(out.join("codings.csv")).unwrap();
    assert!(!codings.contains("alice"), "{codings}");
    let history = std::fs::read_to_string(out.join("history.csv")).unwrap();
    assert!(!history.contains("alice's memo"), "{history}");
    // Bob cannot act as alice.
    let err = invoke(
        &app,
        "record_decision",
        json!({"rater": "alice", "unit": units[0], "dimension": "kind", "codes": ["toolkit"]}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("working as 'bob'"), "{err}");
    // Once revealed, everyone sees everything.
    invoke(&app, "set_viewer", json!({"rater": "lead"})).unwrap();
    let err = invoke(&app, "reveal_round", json!({"round": "r50", "by": "lead"})).unwrap_err();
    assert!(
        err.as_str().unwrap().contains("bob has not decided 2"),
        "{err}"
    );
    invoke(
        &app,
        "reveal_round",
        json!({"round": "r50", "by": "lead", "force": true}),
    )
    .unwrap();
    invoke(&app, "set_viewer", json!({"rater": "bob"})).unwrap();
    assert_eq!(
        invoke(&app, "decisions", json!({"rater": "alice"}))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // bob agrees on both: the revealed round's model × model cell lists them.
    for u in &units {
        invoke(
            &app,
            "record_decision",
            json!({"rater": "bob", "unit": u, "dimension": "kind", "codes": ["model"]}),
        )
        .unwrap();
    }
    let listed = invoke(
        &app,
        "agreement_units",
        json!({"request": {"round": "r50"}, "cell": cell}),
    )
    .unwrap();
    let mut expected = units.clone();
    expected.sort();
    assert_eq!(listed["units"], json!(expected), "{listed}");
}
