//! The study and its projects: the sample's projects and units, a project's view with its
//! sanitised README and analysed Dockerfiles, the unit asked to open, a study that cannot
//! open, and merging a rater's copy.

use codebench_app::args::Args;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets};

use crate::common::{app_with, invoke, App};

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
