//! Coding: decisions recorded, cleared and read back from the file, evidence attached and
//! removed, and the open-coding commands that change the codebook.

use serde_json::json;

use crate::common::{app_with, invoke};

#[test]
fn records_undoes_and_reads_back_decisions() {
    let app = app_with(None);
    let rater = invoke(&app, "add_rater", json!({ "name": "ana" })).unwrap();
    assert_eq!(rater["name"], "ana");
    let input = json!({
        "rater": "ana", "unit": "lumen-labs/tinyserve", "dimension": "kind",
        "codes": ["mlops-aiops"], "memo": "serves models", "flagged": null
    });
    let rec = invoke(&app, "record_decision", input).unwrap();
    assert_eq!(rec["change"], "created");
    assert_eq!(rec["decision"]["codes"], json!(["mlops-aiops"]));
    assert_eq!(rec["decision"]["memo"], "serves models");

    let purpose = json!({
        "rater": "ana", "unit": "lumen-labs/tinyserve:docker/Dockerfile.serve",
        "dimension": "purpose", "codes": ["model-storage-serving", "hosting"], "flagged": true
    });
    let rec = invoke(&app, "record_decision", purpose).unwrap();
    assert_eq!(
        rec["decision"]["codes"],
        json!(["hosting", "model-storage-serving"])
    );
    assert_eq!(rec["decision"]["flagged"], true);

    let mine = invoke(&app, "decisions", json!({ "rater": "ana" })).unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 2);

    let cleared = invoke(
        &app,
        "clear_decision",
        json!({ "rater": "ana", "unit": "lumen-labs/tinyserve", "dimension": "kind" }),
    )
    .unwrap();
    assert_eq!(cleared["cleared"], true);
    let mine = invoke(&app, "decisions", json!({ "rater": "ana" })).unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // What the app wrote is in the file, for any other reader.
    let study = codebench::Study::open(&app.study).unwrap();
    let d = study
        .decision(
            "ana",
            "lumen-labs/tinyserve:docker/Dockerfile.serve",
            "purpose",
        )
        .unwrap()
        .unwrap();
    assert_eq!(d.codes, ["hosting", "model-storage-serving"]);
}

#[test]
fn evidence_is_attached_listed_and_removed() {
    let app = app_with(None);
    let unit = "lumen-labs/tinyserve:Dockerfile";
    invoke(&app, "add_rater", json!({"name": "ana"})).unwrap();
    let input = json!({"rater": "ana", "unit": unit, "dimension": "purpose", "code": "hosting",
        "file": "Dockerfile", "quote": "EXPOSE 8080 8081 9090", "line_start": 38, "line_end": 38});
    // No decision yet: the core says to code first.
    let err = invoke(&app, "add_evidence", input.clone()).unwrap_err();
    assert!(err.as_str().unwrap().contains("code first"), "{err}");
    invoke(
        &app,
        "record_decision",
        json!({"rater": "ana", "unit": unit, "dimension": "purpose",
            "codes": ["hosting"], "memo": null, "flagged": null}),
    )
    .unwrap();
    let ev = invoke(&app, "add_evidence", input.clone()).unwrap();
    assert_eq!(ev["quote"], "EXPOSE 8080 8081 9090");
    assert_eq!(ev["line_start"], 38);
    let listed = invoke(&app, "evidence", json!({"rater": "ana"})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Bad arguments are refused before the core.
    let mut bad = input.clone();
    bad["quote"] = json!("   ");
    let err = invoke(&app, "add_evidence", bad.clone()).unwrap_err();
    assert_eq!(err, "the quote is empty: select some text first");
    let mut bad = input.clone();
    bad["file"] = json!("../../etc/passwd");
    let err = invoke(&app, "add_evidence", bad.clone()).unwrap_err();
    assert!(
        err.as_str()
            .unwrap()
            .contains("is not a README or Dockerfile"),
        "{err}"
    );
    let mut bad = input.clone();
    bad["quote"] = json!("a\u{7}b");
    assert!(invoke(&app, "add_evidence", bad.clone()).is_err());
    assert!(invoke(&app, "remove_evidence", json!({"id": 0, "by": "ana"})).is_err());

    invoke(
        &app,
        "remove_evidence",
        json!({"id": ev["id"], "by": "ana"}),
    )
    .unwrap();
    let listed = invoke(&app, "evidence", json!({"rater": "ana"})).unwrap();
    assert_eq!(listed, json!([]));
}

#[test]
fn open_coding_commands_change_the_codebook_and_say_why_not() {
    let app = app_with(None);
    let c = invoke(
        &app,
        "propose_code",
        json!({"dimension": "kind", "name": "Edge Device", "definition": "On a device.", "parent": null, "by": "ana"}),
    )
    .unwrap();
    assert_eq!(
        (c["id"].as_str(), c["status"].as_str()),
        (Some("edge-device"), Some("proposed"))
    );
    let err = invoke(
        &app,
        "propose_code",
        json!({"dimension": "kind", "name": "x", "definition": "a\u{7}b", "parent": null, "by": "ana"}),
    )
    .unwrap_err();
    assert_eq!(err, "the definition contains a control character");
    invoke(
        &app,
        "set_code_status",
        json!({"dimension": "kind", "code": "edge-device", "status": "active", "by": "ana"}),
    )
    .unwrap();
    let err = invoke(
        &app,
        "set_code_status",
        json!({"dimension": "kind", "code": "edge-device", "status": "gone", "by": "ana"}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("gone"), "{err}");
    let err = invoke(
        &app,
        "merge_codes",
        json!({"dimension": "kind", "from": "nope", "into": "model", "by": "ana"}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("nope"), "{err}");
    assert_eq!(
        invoke(
            &app,
            "merge_codes",
            json!({"dimension": "kind", "from": "edge-device", "into": "model", "by": "ana"})
        )
        .unwrap(),
        json!({"decisions_remapped": 0})
    );
    let split = invoke(
        &app,
        "split_code",
        json!({"dimension": "kind", "code": "toolkit", "into": [{"name": "Library"}, {"name": "CLI Tool"}], "by": "ana"}),
    )
    .unwrap();
    assert_eq!(split["codes"].as_array().unwrap().len(), 2);
    assert_eq!(split["recode"], json!([]));
    // Only the proposed code is listed (no decisions yet), with who proposed it.
    let uses = invoke(&app, "code_uses", json!({})).unwrap();
    assert_eq!(uses[0]["proposed_by"], "ana");
    assert!(uses.as_array().unwrap().iter().all(|u| u["count"] == 0));
}
