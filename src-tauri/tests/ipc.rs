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

fn invoke(app: &App, cmd: &str, args: Value) -> Result<Value, Value> {
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
        json!({ "name": "hostile-demo/readme-payloads" }),
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

    let err = invoke(&app, "project_view", json!({ "name": "nobody/nothing" })).unwrap_err();
    assert_eq!(err, "unknown project 'nobody/nothing'");
}

#[test]
fn records_undoes_and_reads_back_decisions() {
    let app = app_with(None);
    let rater = invoke(&app, "add_rater", json!({ "name": "ana" })).unwrap();
    assert_eq!(rater["name"], "ana");
    let input = json!({ "input": {
        "rater": "ana", "unit": "lumen-labs/tinyserve", "dimension": "kind",
        "codes": ["mlops-aiops"], "memo": "serves models", "flagged": null
    }});
    let rec = invoke(&app, "record_decision", input).unwrap();
    assert_eq!(rec["change"], "created");
    assert_eq!(rec["decision"]["codes"], json!(["mlops-aiops"]));
    assert_eq!(rec["decision"]["memo"], "serves models");

    let purpose = json!({ "input": {
        "rater": "ana", "unit": "lumen-labs/tinyserve:docker/Dockerfile.serve",
        "dimension": "purpose", "codes": ["model-storage-serving", "hosting"], "flagged": true
    }});
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
    assert_eq!(cleared, true);
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
    let err = invoke(&app, "project_view", json!({})).unwrap_err();
    assert!(err.as_str().unwrap().contains("name"), "{err}");
    // Wrong type.
    let err = invoke(&app, "add_rater", json!({ "name": 5 })).unwrap_err();
    assert!(err.as_str().unwrap().contains("name"), "{err}");
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
        json!({ "input": { "rater": "ana", "unit": "lumen-labs/tinyserve", "dimension": "kind",
                           "codes": ["model", "toolkit"] } }),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap().contains("takes exactly one code"),
        "{err}"
    );
    let err = invoke(
        &app,
        "record_decision",
        json!({ "input": { "rater": "bob", "unit": "lumen-labs/tinyserve", "dimension": "kind",
                           "codes": ["model"] } }),
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
