//! The GitHub import from the app: its arguments and the image references checked. (The
//! token kept in the OS keyring has its own test binary, `tests/keyring.rs`.)

use serde_json::json;

use crate::common::{app_with, invoke};

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
