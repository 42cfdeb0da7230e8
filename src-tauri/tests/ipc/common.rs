//! What every IPC test uses: an app on a fresh copy of the sample study, with a mock
//! runtime and one window, and the calls of its commands through Tauri's IPC.

use codebench_app::args::Args;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

pub(crate) struct App {
    pub(crate) _app: tauri::App<MockRuntime>,
    pub(crate) window: WebviewWindow<MockRuntime>,
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) study: std::path::PathBuf,
}

/// An app on a fresh copy of the sample study in a temporary folder.
pub(crate) fn app_with(open: Option<&str>) -> App {
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
pub(crate) fn invoke(app: &App, cmd: &str, request: Value) -> Result<Value, Value> {
    raw(app, cmd, json!({ "request": request })).map_err(|e| match e.get("message") {
        Some(m) => m.clone(),
        None => e,
    })
}

/// Calls a command with the arguments as given; an error is returned whole.
pub(crate) fn raw(app: &App, cmd: &str, args: Value) -> Result<Value, Value> {
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
