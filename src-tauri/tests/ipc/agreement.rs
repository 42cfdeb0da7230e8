//! Agreement and reconciliation: the statistics of two raters, the reconcile queue with
//! consensus decided and accepted, and the same agreement from the app and the CLI.

use serde_json::{json, Value};

use crate::common::{app_with, invoke, App};

#[test]
fn agreement_of_two_raters() {
    let app = app_with(None);
    for (rater, code) in [("ana", "model"), ("ben", "model")] {
        invoke(&app, "add_rater", json!({"name": rater})).unwrap();
        for unit in ["lumen-labs/tinyserve", "basalt-ai/autotune"] {
            invoke(
                &app,
                "record_decision",
                json!({"rater": rater, "unit": unit, "dimension": "kind",
                    "codes": [if unit == "basalt-ai/autotune" && rater == "ben" { "toolkit" } else { code }],
                    "memo": null, "flagged": null}),
            )
            .unwrap();
        }
    }
    let report = invoke(&app, "agreement", json!({"dimensions": ["kind"]})).unwrap();
    let results = report["results"].as_array().unwrap();
    let cohen = results
        .iter()
        .find(|r| r["statistic"] == "cohen_kappa" && r["level"] == "leaf")
        .unwrap();
    assert_eq!(cohen["raters"], json!(["ana", "ben"]));
    assert_eq!(cohen["n_units"], 2);
    let pa = results
        .iter()
        .find(|r| r["statistic"] == "percent_agreement")
        .unwrap();
    assert_eq!(pa["value"], 0.5);
    assert!(
        !report["warnings"].as_array().unwrap().is_empty(),
        "few units"
    );

    // A subset of one rater is refused with the core's reason.
    let err = invoke(
        &app,
        "agreement",
        json!({"dimensions": ["kind"], "raters": ["ana"], "round": null}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("two raters"), "{err}");
    assert_eq!(report["confusion"][0]["raters"], json!(["ana", "ben"]));
    let err = invoke(
        &app,
        "agreement",
        json!({"dimensions": ["kind"], "round": "no-such-round"}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("no-such-round"), "{err}");
    assert_eq!(invoke(&app, "rounds", json!({})).unwrap(), json!([]));
    let err = invoke(&app, "agreement", json!({"dimensions": ["nope"]})).unwrap_err();
    assert!(err.as_str().unwrap().contains("nope"), "{err}");
    let err = invoke(&app, "agreement", json!({"dimensions": [" "]})).unwrap_err();
    assert_eq!(err, "dimension is empty");
}

/// Two raters who disagree on the kind of tinyserve and agree on autotune.
fn two_raters(app: &App) {
    for (rater, tiny) in [("ana", "model"), ("ben", "toolkit")] {
        invoke(app, "add_rater", json!({"name": rater})).unwrap();
        for (unit, code) in [
            ("lumen-labs/tinyserve", tiny),
            ("basalt-ai/autotune", "model"),
        ] {
            invoke(
                app,
                "record_decision",
                json!({"rater": rater, "unit": unit, "dimension": "kind",
                    "codes": [code], "memo": format!("{rater} says {code}"), "flagged": null}),
            )
            .unwrap();
        }
    }
}

#[test]
fn reconcile_queue_decide_and_bulk_accept() {
    let app = app_with(None);
    two_raters(&app);
    let q = invoke(
        &app,
        "reconcile_queue",
        json!({"dimension": "kind", "include_resolved": false}),
    )
    .unwrap();
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["unit"], "lumen-labs/tinyserve");
    assert_eq!(items[0]["decisions"][1]["memo"], "ben says toolkit");

    // Overriding both raters needs a rationale: the core says so.
    let input = json!({"unit": "lumen-labs/tinyserve", "dimension": "kind", "codes": ["mlops-aiops"],
        "adjudicator": "ana", "rationale": ""});
    let err = invoke(&app, "decide_consensus", input.clone()).unwrap_err();
    assert!(
        err.as_str().unwrap().contains("overrides every rater"),
        "{err}"
    );
    let mut with_why = input.clone();
    with_why["rationale"] = json!("serves models in production");
    let d = invoke(&app, "decide_consensus", with_why.clone()).unwrap();
    assert_eq!(d["change"], "created");
    assert_eq!(d["consensus"]["codes"], json!(["mlops-aiops"]));
    let q = invoke(
        &app,
        "reconcile_queue",
        json!({"dimension": "kind", "include_resolved": false}),
    )
    .unwrap();
    assert_eq!(q["items"], json!([]));

    // autotune, where both agree, became consensus by itself (automatic consensus is on).
    assert_eq!(invoke(&app, "auto_consensus", json!({})).unwrap(), true);
    let r = invoke(
        &app,
        "accept_consensus",
        json!({"dimension": "kind", "rule": "unanimous", "by": "ana"}),
    )
    .unwrap();
    assert_eq!(r["accepted"], json!([]));
    assert_eq!(r["already_decided"], 2);
    let all = invoke(
        &app,
        "reconcile_queue",
        json!({"dimension": "kind", "include_resolved": true}),
    )
    .unwrap();
    let auto = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["unit"] == "basalt-ai/autotune")
        .unwrap();
    assert_eq!(auto["consensus"]["adjudicator"], "auto");
    let made = invoke(
        &app,
        "set_auto_consensus",
        json!({"on": false, "by": "ana"}),
    )
    .unwrap();
    assert_eq!(made, json!([]));
    assert_eq!(invoke(&app, "auto_consensus", json!({})).unwrap(), false);
    let err = invoke(&app, "set_auto_consensus", json!({"on": true, "by": ""})).unwrap_err();
    assert_eq!(err, "by is empty");
    let err = invoke(
        &app,
        "accept_consensus",
        json!({"dimension": "kind", "rule": "plurality", "by": "ana"}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("plurality"), "{err}");
    let mut bad = input;
    bad["rationale"] = json!("a\u{1}b");
    assert!(invoke(&app, "decide_consensus", bad.clone()).is_err());
}

/// The `codebench` binary of this workspace (built by `make build` before the tests).
fn cli_binary() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("CODEBENCH_CLI") {
        return p.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("debug/codebench");
    assert!(
        bin.is_file(),
        "{} is missing: build the CLI first (cargo build -p codebench-cli)",
        bin.display()
    );
    bin
}

#[test]
fn the_app_and_the_cli_give_the_same_agreement_for_a_round_with_a_third_rater() {
    let app = app_with(None);
    for r in ["alice", "bob", "lead"] {
        invoke(&app, "add_rater", json!({"name": r})).unwrap();
    }
    let round = invoke(
        &app,
        "create_round",
        json!({"name": "r50", "size": 6, "dimension": "kind", "seed": 2022, "by": "lead"}),
    )
    .unwrap();
    invoke(
        &app,
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
    assert_eq!(units.len(), 6);
    // alice and bob agree on four of six; lead, not assigned to the round, codes them all
    // otherwise: the round's agreement must not include lead.
    for (i, u) in units.iter().enumerate() {
        for (rater, code) in [
            ("alice", if i % 2 == 0 { "model" } else { "toolkit" }),
            (
                "bob",
                if i < 2 {
                    "application-system"
                } else if i % 2 == 0 {
                    "model"
                } else {
                    "toolkit"
                },
            ),
            ("lead", "documentation-tutorials"),
        ] {
            invoke(&app, "set_viewer", json!({"rater": rater})).unwrap();
            invoke(
                &app,
                "record_decision",
                json!({"rater": rater, "unit": u, "dimension": "kind", "codes": [code]}),
            )
            .unwrap();
        }
    }
    invoke(&app, "set_viewer", json!({"rater": "lead"})).unwrap();
    invoke(&app, "reveal_round", json!({"round": "r50", "by": "lead"})).unwrap();
    let from_app = invoke(&app, "agreement", json!({"round": "r50"})).unwrap();
    let out = std::process::Command::new(cli_binary())
        .arg("--study")
        .arg(&app.study)
        .args([
            "--as",
            "lead",
            "agreement",
            "--round",
            "r50",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_app, from_cli, "the same request gives the same answer");
    let cohen = from_app["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["statistic"] == "cohen_kappa" && r["level"] == "leaf")
        .unwrap();
    assert_eq!(cohen["raters"], json!(["alice", "bob"]), "{cohen}");
    assert_eq!(cohen["n_units"], 6);
    let pa = from_app["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["statistic"] == "percent_agreement")
        .unwrap();
    assert!(
        (pa["value"].as_f64().unwrap() - 4.0 / 6.0).abs() < 1e-12,
        "{pa}"
    );
}
