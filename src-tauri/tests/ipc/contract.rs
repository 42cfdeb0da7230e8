//! The IPC contract: bad arguments refused with a message (by the IPC layer, the shell or the
//! core), and every API operation an app command.

use serde_json::json;

use crate::common::{app_with, invoke, raw};

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
