//! The GitHub token kept in the OS keyring from the app is sent to GitHub by an import the app
//! starts, and never stored in the study.
//!
//! A test binary of its own: the test joins a session keyring of its own, and Linux keeps the
//! session keyring per thread. Only when the test's thread joins before the app's threads are
//! made (as the first and only test here) do the app's threads share that keyring; among the
//! other IPC tests another test's app could start them first, and the token kept would not be
//! the one read.

#[path = "ipc/common.rs"]
#[allow(dead_code)]
mod common;

use serde_json::json;

use crate::common::{app_with, invoke};

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
