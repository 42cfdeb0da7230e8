//! Metrics jobs: queued once, cancelled and retried through the app.

use serde_json::json;

use crate::common::{app_with, invoke};

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
