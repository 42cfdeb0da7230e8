//! Measuring the app's start: from the process starting to the first screen a rater can use
//! (the UI calls [`interactive`] once "Who is coding?" is drawn). With `CODEBENCH_STARTUP_PROBE`
//! set, the time is printed to standard output and the app quits at once — what
//! `scripts/bench-app-start.sh` runs under Xvfb. Without it, the call does nothing.

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Records the process start (called first thing in `main`).
pub fn mark_process_start() {
    let _ = STARTED.set(Instant::now());
}

/// The UI is interactive: under the probe, print the time since the process started and quit.
#[tauri::command]
pub fn interactive<R: tauri::Runtime>(app: tauri::AppHandle<R>, request: crate::shell::NoRequest) {
    let _ = request;
    if std::env::var_os("CODEBENCH_STARTUP_PROBE").is_none() {
        return;
    }
    if let Some(start) = STARTED.get() {
        println!(
            "codebench-app: interactive after {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    app.exit(0);
}
