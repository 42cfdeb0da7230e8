//! The app's commands driven through Tauri's real IPC path (mock runtime, no display):
//! the same deserialisation, state and error handling the web UI gets.

use codebench_app::args::Args;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

struct App {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: tempfile::TempDir,
    study: std::path::PathBuf,
}

/// An app on a fresh copy of the sample study in a temporary folder.
fn app_with(open: Option<&str>) -> App {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    drop(codebench::sample::create(&study).unwrap());
    let args = Args {
        study: Some(study.clone()),
        open: open.map(str::to_string),
    };
    let app = codebench_app::setup(mock_builder(), args)
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    App {
        _app: app,
        window,
        _dir: dir,
        study,
    }
}

/// Calls a command with its one `request` argument, as the generated UI wrappers do; an
/// `ApiError` comes back as its message (a string), as does an IPC refusal.
fn invoke(app: &App, cmd: &str, request: Value) -> Result<Value, Value> {
    raw(app, cmd, json!({ "request": request })).map_err(|e| match e.get("message") {
        Some(m) => m.clone(),
        None => e,
    })
}

/// Calls a command with the arguments as given; an error is returned whole.
fn raw(app: &App, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        &app.window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

#[test]
fn lists_the_sample_projects_and_units() {
    let app = app_with(None);
    let projects = invoke(&app, "list_projects", json!({})).unwrap();
    let names: Vec<&str> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 12, "{names:?}");
    assert!(names.contains(&"hostile-demo/readme-payloads"));
    let units = invoke(&app, "list_units", json!({})).unwrap();
    let units = units.as_array().unwrap();
    assert_eq!(units.iter().filter(|u| u["kind"] == "project").count(), 12);
    assert_eq!(
        units.iter().filter(|u| u["kind"] == "dockerfile").count(),
        37
    );

    let info = invoke(&app, "study_info", json!({})).unwrap();
    assert_eq!(info["path"], app.study.display().to_string());
    assert_eq!(info["sample"], false);
    assert_eq!(info["status"]["projects"], 12);
    assert_eq!(info["open_unit"], Value::Null);
}

#[test]
fn project_view_carries_sanitised_readme_and_dockerfiles() {
    let app = app_with(None);
    let view = invoke(
        &app,
        "project_view",
        json!({ "project": "hostile-demo/readme-payloads" }),
    )
    .unwrap();
    let html = view["readme_html"].as_str().unwrap().to_lowercase();
    assert!(html.contains("readme-payloads"));
    for bad in [
        "<script",
        "onerror",
        "javascript:",
        "<iframe",
        "<meta",
        "<style",
    ] {
        assert!(!html.contains(bad), "{bad} reached the UI");
    }
    assert_eq!(view["dockerfiles"][0]["path"], "Dockerfile");
    assert!(view["dockerfiles"][0]["text"]
        .as_str()
        .unwrap()
        .contains("FROM"));

    let err = invoke(&app, "project_view", json!({ "project": "nobody/nothing" })).unwrap_err();
    assert_eq!(err, "unknown project 'nobody/nothing'");
}

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
fn bad_arguments_are_refused_with_a_message() {
    let app = app_with(None);
    invoke(&app, "add_rater", json!({ "name": "ana" })).unwrap();
    // Missing argument: rejected by the IPC layer before the command runs.
    let err = raw(&app, "project_view", json!({})).unwrap_err();
    assert!(err.as_str().unwrap().contains("request"), "{err}");
    let err = invoke(&app, "project_view", json!({})).unwrap_err();
    assert!(err.as_str().unwrap().contains("project"), "{err}");
    // Wrong type.
    let err = invoke(&app, "add_rater", json!({ "name": 5 })).unwrap_err();
    assert!(err.as_str().unwrap().contains("expected a string"), "{err}");
    // Checked by the shell.
    assert_eq!(
        invoke(&app, "add_rater", json!({ "name": "  " })).unwrap_err(),
        "rater is empty"
    );
    assert_eq!(
        invoke(
            &app,
            "clear_decision",
            json!({ "rater": "ana", "unit": "a\nb", "dimension": "kind" })
        )
        .unwrap_err(),
        "unit contains a control character"
    );
    // Checked by the core, message passed through.
    let err = invoke(
        &app,
        "record_decision",
        json!({ "rater": "ana", "unit": "lumen-labs/tinyserve", "dimension": "kind",
                           "codes": ["model", "toolkit"] }),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap().contains("takes exactly one code"),
        "{err}"
    );
    let err = invoke(
        &app,
        "record_decision",
        json!({ "rater": "bob", "unit": "lumen-labs/tinyserve", "dimension": "kind",
                           "codes": ["model"] }),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap().starts_with("unknown rater 'bob'"),
        "{err}"
    );
    assert_eq!(
        invoke(&app, "add_rater", json!({ "name": "ana" })).unwrap_err(),
        "a rater named 'ana' is already in this study"
    );
    // Only web links go to the browser; nothing is started for the others.
    let err = invoke(
        &app,
        "open_external",
        json!({ "url": "javascript:alert(1)" }),
    )
    .unwrap_err();
    assert_eq!(
        err,
        "only http and https links open in the browser, not javascript:"
    );
    let err = invoke(
        &app,
        "open_external",
        json!({ "url": "file:///etc/passwd" }),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("not file:"), "{err}");
}

#[test]
fn open_unit_is_checked_against_the_study() {
    let app = app_with(Some("orchard-ml/sprout"));
    let info = invoke(&app, "study_info", json!({})).unwrap();
    assert_eq!(info["open_unit"], "orchard-ml/sprout");
    assert_eq!(info["open_error"], Value::Null);

    let app = app_with(Some("orchard-ml/nope"));
    let info = invoke(&app, "study_info", json!({})).unwrap();
    assert!(info["open_error"]
        .as_str()
        .unwrap()
        .starts_with("unknown unit 'orchard-ml/nope'"));
}

#[test]
fn a_study_that_cannot_open_is_reported_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.codebench");
    let app = codebench_app::setup(
        mock_builder(),
        Args {
            study: Some(missing.clone()),
            open: None,
        },
    )
    .build(mock_context(noop_assets()))
    .unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let app = App {
        _app: app,
        window,
        _dir: dir,
        study: missing.clone(),
    };
    let err = invoke(&app, "study_info", json!({})).unwrap_err();
    assert!(
        err.as_str().unwrap().contains("no such study file"),
        "{err}"
    );
    let err = invoke(&app, "list_projects", json!({})).unwrap_err();
    assert!(
        err.as_str().unwrap().contains("no such study file"),
        "{err}"
    );
    assert!(!missing.exists(), "opening must not create the file");
}

#[test]
fn a_dockerfile_comes_with_its_analysis() {
    let app = app_with(None);
    let view = invoke(
        &app,
        "project_view",
        json!({"project": "lumen-labs/tinyserve"}),
    )
    .unwrap();
    let df = view["dockerfiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "Dockerfile")
        .unwrap();
    let a = &df["analysis"];
    assert_eq!(a["stages"][0]["base"]["resolved"], "python:3.11-slim");
    assert_eq!(a["stages"][0]["base_type"], "Language Runtime");
    assert_eq!(a["run"]["instructions"], 5);
    assert_eq!(a["partial"], false);
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

#[test]
fn merge_takes_an_absolute_path_to_a_study() {
    let app = app_with(None);
    let err = invoke(&app, "merge_study", json!({"path": "other.codebench"})).unwrap_err();
    assert!(
        err.as_str().unwrap().contains("not an absolute path"),
        "{err}"
    );
    let err = invoke(
        &app,
        "merge_study",
        json!({"path": "/nonexistent/x.codebench"}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("is not a file"), "{err}");

    // A rater's copy with one decision.
    let other_dir = tempfile::tempdir().unwrap();
    let other = other_dir.path().join("ben.codebench");
    std::fs::copy(&app.study, &other).unwrap();
    {
        let mut s = codebench::Study::open(&other).unwrap();
        s.add_rater("ben").unwrap();
        s.record(&codebench::coding::DecisionInput {
            rater: "ben".into(),
            unit: "lumen-labs/tinyserve".into(),
            dimension: "kind".into(),
            codes: vec!["toolkit".into()],
            memo: None,
            flagged: None,
        })
        .unwrap();
    }
    let r = invoke(
        &app,
        "merge_study",
        json!({"path": other.display().to_string()}),
    )
    .unwrap();
    assert_eq!(r["raters_added"], json!(["ben"]));
    assert_eq!(r["decisions_added"], 1);
}

#[test]
fn jobs_are_queued_cancelled_and_retried() {
    let app = app_with(None);
    assert_eq!(invoke(&app, "jobs", json!({})).unwrap(), json!([]));
    let planned = json!({"dockerfiles": true, "images": true, "project": "lumen-labs/tinyserve"});
    assert_eq!(
        invoke(&app, "enqueue_metrics", planned.clone()).unwrap()["jobs_queued"],
        1
    );
    assert_eq!(
        invoke(&app, "enqueue_metrics", planned).unwrap()["jobs_queued"],
        0,
        "already queued"
    );
    let jobs = invoke(&app, "jobs", json!({})).unwrap();
    let first = jobs[0]["id"].as_i64().unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    assert!(jobs
        .as_array()
        .unwrap()
        .iter()
        .all(|j| j["state"] == "queued"));
    let j = invoke(&app, "cancel_job", json!({"id": first})).unwrap();
    assert_eq!(j["state"], "cancelled");
    let err = invoke(&app, "cancel_job", json!({"id": first})).unwrap_err();
    assert!(err.as_str().unwrap().contains("cancelled"), "{err}");
    let j = invoke(&app, "retry_job", json!({"id": first})).unwrap();
    assert_eq!(j["state"], "queued");
    let err = invoke(&app, "retry_job", json!({"id": 999_999})).unwrap_err();
    assert!(err.as_str().unwrap().contains("999999"), "{err}");
    assert!(invoke(&app, "cancel_job", json!({"id": "one"})).is_err());
}

#[test]
fn github_import_and_image_refs_validate_their_arguments() {
    let app = app_with(None);
    let err = invoke(
        &app,
        "import_github",
        json!({"repos": [], "refresh": false}),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap().contains("at least one repository"),
        "{err}"
    );
    let err = invoke(
        &app,
        "import_github",
        json!({"repos": ["acme/one"], "api_url": "ftp://x", "refresh": false}),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap().contains("not an http(s) URL"),
        "{err}"
    );
    let err = invoke(
        &app,
        "import_github",
        json!({"repos": ["acme/one"], "token": "a b", "refresh": false}),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap().contains("not a GitHub token"),
        "{err}"
    );
    let err = invoke(
        &app,
        "import_github",
        json!({"repos": ["not a repo"], "refresh": false}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("not a repo"), "{err}");
    assert_eq!(
        invoke(&app, "cancel_task", json!({"task": "import_github"})).unwrap(),
        false
    );

    assert_eq!(invoke(&app, "image_refs", json!({})).unwrap(), json!([]));
    let r = invoke(
        &app,
        "add_image_ref",
        json!({"project": "basalt-ai/autotune", "reference": "basalt/autotune:2.1"}),
    )
    .unwrap();
    assert_eq!(
        (r["how"].as_str(), r["found_in"].as_str()),
        (Some("manual"), Some("manual"))
    );
    let err = invoke(
        &app,
        "add_image_ref",
        json!({"project": "nobody/nothing", "reference": "x:1"}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("nobody/nothing"), "{err}");
    let left = invoke(
        &app,
        "remove_image_ref",
        json!({"project": "basalt-ai/autotune", "reference": "basalt/autotune:2.1"}),
    )
    .unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1, "the removed row");
    assert_eq!(
        invoke(&app, "image_refs", json!({"project": "basalt-ai/autotune"})).unwrap(),
        json!([])
    );
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

#[test]
fn every_api_operation_is_an_app_command() {
    let app = app_with(None);
    // A name the app does not know is refused as such: that is what the check below looks for.
    let unknown = raw(&app, "no_such_operation", json!({"request": {}})).unwrap_err();
    let unknown = unknown.to_string();
    assert!(unknown.contains("not found"), "{unknown}");
    for op in codebench::api::OPERATIONS {
        // Tasks would start work; asking with a bad request is enough to find the command.
        let request = if op.kind == codebench::api::OpKind::Task {
            json!({"request": {"nonsense": 1, "repos": 7}})
        } else {
            json!({"request": {}})
        };
        if let Err(e) = raw(&app, op.name, request) {
            let e = e.to_string();
            assert!(
                !e.contains(&format!("command {} not found", op.name)),
                "API operation {} has no app command: {e}",
                op.name
            );
        }
    }
}

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
}

#[test]
fn an_import_started_from_the_app_sends_the_token_kept_in_the_keyring() {
    use codebench_github::mock::{Fixture, FixtureRepo, MockConfig, MockGitHub};
    // A keyring service of this test's own, so no real token is touched, in a session keyring
    // of this process's own (a headless CI shell may have none).
    std::env::set_var("CODEBENCH_KEYRING_SERVICE", "codebench-ipc-test");
    #[cfg(target_os = "linux")]
    unsafe {
        // keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL): a new anonymous session keyring.
        libc::syscall(libc::SYS_keyctl, 1, std::ptr::null::<libc::c_char>());
    }
    std::env::remove_var("GITHUB_TOKEN");
    let app = app_with(None);
    let err = invoke(&app, "keep_github_token", json!({"token": "has space"})).unwrap_err();
    assert!(
        err.as_str().unwrap().contains("not a GitHub token"),
        "{err}"
    );
    // The kernel keyring may be refused in some sandboxes: then the command says so.
    if let Err(e) = invoke(
        &app,
        "keep_github_token",
        json!({"token": "ghp_kept_in_keyring"}),
    ) {
        assert!(e.as_str().unwrap().contains("OS keyring"), "{e}");
        return;
    }
    assert_eq!(
        invoke(&app, "github_token_status", json!({})).unwrap(),
        true
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt
        .block_on(MockGitHub::start(
            Fixture::new(vec![FixtureRepo::new("acme/keyring")]),
            MockConfig::default(),
        ))
        .unwrap();
    let started = invoke(
        &app,
        "import_github",
        json!({"repos": ["acme/keyring"], "api_url": mock.url()}),
    )
    .unwrap();
    assert_eq!(started, true);
    // The task runs on its own thread; wait for its repository to land in the study file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let projects = invoke(&app, "list_projects", json!({})).unwrap();
        if projects
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "acme/keyring")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        mock.authorizations()
            .iter()
            .any(|a| a == "Bearer ghp_kept_in_keyring"),
        "{:?}",
        mock.authorizations()
    );
    assert_eq!(
        invoke(&app, "forget_github_token", json!({})).unwrap(),
        true
    );
    assert_eq!(
        invoke(&app, "github_token_status", json!({})).unwrap(),
        false
    );
    assert_eq!(
        invoke(&app, "forget_github_token", json!({})).unwrap(),
        false
    );
    // The token went to GitHub, never into the study file.
    let bytes = std::fs::read(&app.study).unwrap();
    assert!(!bytes.windows(19).any(|w| w == b"ghp_kept_in_keyring"));
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
