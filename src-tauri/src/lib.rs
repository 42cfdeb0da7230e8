//! The Codebench desktop app: a thin Tauri shell over the `codebench` core.
//!
//! The shell parses its command line ([`args`]), opens one study and keeps it in the app state
//! ([`state::AppState`]), and exposes the core to the web UI through the commands of
//! [`commands`] (generated from the core's API) and [`shell`]. It holds no study logic of its own. Two guards keep untrusted README content
//! in its place: the webview can never navigate away from the app ([`navigation`]), and web
//! links are handed to the system browser ([`shell::open_external`]).

pub mod args;
pub mod commands;
pub mod navigation;
pub mod shell;
pub mod startup;
pub mod state;

use std::path::PathBuf;

use tauri::{Manager, Runtime};

/// The file name of the sample study inside the app's data folder.
pub const SAMPLE_STUDY_FILE: &str = "sample.codebench";

/// Installs the app's state, commands and navigation guard on a builder, for any runtime, so
/// that tests drive the same commands through `tauri::test::mock_builder()`.
///
/// A study named by `args.study` is opened at once; without one, the sample study in the app
/// data folder (created on first run) is opened in the setup hook, which knows that folder.
/// A study that fails to open does not stop the app: the failure is kept and shown by the UI.
pub fn setup<R: Runtime>(builder: tauri::Builder<R>, args: args::Args) -> tauri::Builder<R> {
    let state = state::AppState::new(args.open.clone());
    let sample = match &args.study {
        Some(path) => {
            state.open(path);
            false
        }
        None => true,
    };
    builder
        .manage(state)
        .plugin(navigation::guard())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(commands::handler())
        .setup(move |app| {
            if sample {
                let state = app.state::<state::AppState>();
                match app.path().app_data_dir() {
                    Ok(dir) => state.open_sample(&dir.join(SAMPLE_STUDY_FILE)),
                    Err(e) => state.fail(
                        PathBuf::from(SAMPLE_STUDY_FILE),
                        format!("no data folder for the sample study: {e}"),
                    ),
                }
            }
            Ok(())
        })
}

/// Runs the desktop app until its window is closed.
pub fn run(args: args::Args) -> tauri::Result<()> {
    setup(tauri::Builder::default(), args).run(tauri::generate_context!())
}
