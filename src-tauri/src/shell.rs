//! The app's own commands, beside the API's: which study is open and who is at the keyboard
//! (the CLI's `--study` and `--as`), stopping a task, opening a link in the browser, and the
//! start-up probe. Nothing here touches the study's contents; that all goes through the API.

use codebench::api::input::MAX_URL;
use codebench::api::{self, input, ApiError, ApiResult, ErrorKind, SystemEnv};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State, Url};

use crate::state::AppState;

/// What the UI needs to know about the open study.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct StudyInfo {
    /// The study file.
    pub path: String,
    /// Whether it is the sample study in the app data folder.
    pub sample: bool,
    /// The study's summary.
    pub status: codebench::study::Status,
    /// The unit named by `--open`, if any.
    pub open_unit: Option<String>,
    /// Why the `--open` unit cannot be opened (unknown unit), if so.
    pub open_error: Option<String>,
    /// The rater at the keyboard, if one was chosen.
    pub viewer: Option<String>,
}

/// No parameters.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct NoRequest {}

/// A study file to open or create (absolute path).
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct StudyPath {
    /// The study file.
    pub path: String,
}

/// Who is at the keyboard.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct Viewer {
    /// The rater; none: nobody chosen.
    pub rater: Option<String>,
}

/// A task to stop.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct TaskName {
    /// `import_github` or `run_jobs`.
    pub task: String,
}

/// A link to open in the system browser.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct Link {
    /// An http(s) URL.
    pub url: String,
}

/// The open study: path, summary, and the `--open` unit checked against the study.
#[tauri::command(async)]
pub fn study_info(state: State<'_, AppState>, request: NoRequest) -> Result<StudyInfo, ApiError> {
    let _ = request;
    info(&state)
}

fn info(state: &AppState) -> ApiResult<StudyInfo> {
    let open_unit = state.open_unit();
    let viewer = state.viewer();
    state.with(|ctx, opened| {
        let open_error = match &open_unit {
            Some(unit) => ctx.study.unit(unit).err().map(|e| e.to_string()),
            None => None,
        };
        Ok(StudyInfo {
            path: opened.path.display().to_string(),
            sample: opened.sample,
            status: ctx.study.status()?,
            open_unit: open_unit.clone(),
            open_error,
            viewer: viewer.clone(),
        })
    })
}

/// Opens another study file (the start screen's Open and recent studies).
#[tauri::command(async)]
pub fn open_study(state: State<'_, AppState>, request: StudyPath) -> Result<StudyInfo, ApiError> {
    let p = input::path(&request.path, "the study file")?;
    state.switch(&p, false)?;
    info(&state)
}

/// Creates a new study file with the shipped codebook (refused when a file is already there)
/// and opens it.
#[tauri::command(async)]
pub fn new_study(state: State<'_, AppState>, request: StudyPath) -> Result<StudyInfo, ApiError> {
    let created = api::create_study(
        &SystemEnv,
        api::study::CreateStudy {
            path: request.path,
            codebook: None,
            sample: false,
        },
    )?;
    state.switch(std::path::Path::new(&created.path), false)?;
    info(&state)
}

/// Opens the bundled sample study (created in the app's data folder when missing).
#[tauri::command(async)]
pub fn open_sample_study<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request: NoRequest,
) -> Result<StudyInfo, ApiError> {
    let _ = request;
    use tauri::Manager;
    let dir = app.path().app_data_dir().map_err(|e| {
        ApiError::new(
            ErrorKind::Io,
            format!("no data folder for the sample study: {e}"),
        )
    })?;
    state.switch(&dir.join(crate::SAMPLE_STUDY_FILE), true)?;
    info(&state)
}

/// Says who is at the keyboard ("Who is coding?"): every read is then made on their behalf,
/// so blind rounds show them their own decisions and nobody else's. `None`: nobody chosen.
#[tauri::command(async)]
pub fn set_viewer(state: State<'_, AppState>, request: Viewer) -> Result<(), ApiError> {
    let rater = request.rater;
    if let Some(r) = &rater {
        input::line("rater", r, input::MAX_NAME)?;
        let known = state.call(|ctx| Ok(ctx.study.raters()?))?;
        if !known.iter().any(|k| k.name == *r) {
            return Err(codebench::Error::Unknown {
                what: "rater",
                name: r.clone(),
                context: String::new(),
            }
            .into());
        }
    }
    state.set_viewer(rater.map(|r| r.trim().to_string()));
    Ok(())
}

/// Asks a running task (`import_github`, `run_jobs`) to stop; what it stored stays. False when
/// it is not running.
#[tauri::command(async)]
pub fn cancel_task(state: State<'_, AppState>, request: TaskName) -> Result<bool, ApiError> {
    input::line("task", &request.task, input::MAX_LABEL)?;
    Ok(state.cancel_task(&request.task))
}

/// Checks that `url` is an absolute http(s) URL with a host, and returns it normalised.
pub fn web_url(url: &str) -> Result<Url, String> {
    if url.len() > MAX_URL {
        return Err(format!("the link is longer than {MAX_URL} bytes"));
    }
    let parsed = Url::parse(url).map_err(|e| format!("'{url}' is not a link: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https links open in the browser, not {}:",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{url}' has no host"));
    }
    Ok(parsed)
}

/// Opens an http(s) link in the system browser, never inside the app.
#[tauri::command(async)]
pub fn open_external(request: Link) -> Result<(), ApiError> {
    let url = web_url(&request.url).map_err(ApiError::invalid)?;
    let mut cmd = browser_command(url.as_str());
    let mut child = cmd.spawn().map_err(|e| {
        ApiError::new(
            ErrorKind::Io,
            format!(
                "could not start the system browser ({:?}): {e}",
                cmd.get_program()
            ),
        )
    })?;
    // Reap the opener when it exits so it does not linger as a zombie.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// The platform's "open this URL with the default browser" program, given the URL as one
/// argument (no shell in between).
fn browser_command(url: &str) -> std::process::Command {
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(target_os = "windows")]
    let mut cmd = {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    };
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let mut cmd = std::process::Command::new("xdg-open");
    cmd.arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_contract_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ui/src/lib/generated/shell.ts");
        let c = contract();
        if std::env::var_os("CODEBENCH_WRITE_CONTRACT").is_some() {
            std::fs::write(&path, &c).unwrap();
        }
        assert!(
            std::fs::read_to_string(&path).unwrap_or_default() == c,
            "ui/src/lib/generated/shell.ts is not what the Rust types generate: run `CODEBENCH_WRITE_CONTRACT=1 cargo test -p codebench-app shell_contract` and commit it"
        );
    }

    #[test]
    fn web_urls_only() {
        assert_eq!(
            web_url("https://example.org/a b").unwrap().as_str(),
            "https://example.org/a%20b"
        );
        assert!(web_url("http://example.org").is_ok());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "tauri://localhost/",
            "mailto:a@b.org",
            "example.org",
            "",
            "http://",
        ] {
            assert!(web_url(bad).is_err(), "{bad} accepted");
        }
        assert!(web_url(&format!("https://e.org/{}", "a".repeat(MAX_URL))).is_err());
    }
}

/// The shell's commands for the generated contract: (name, request type, response type).
macro_rules! shell_commands {
    ($m:ident) => {
        $m! {
            study_info(NoRequest) => StudyInfo;
            open_study(StudyPath) => StudyInfo;
            new_study(StudyPath) => StudyInfo;
            open_sample_study(NoRequest) => StudyInfo;
            set_viewer(Viewer) => ();
            cancel_task(TaskName) => bool;
            open_external(Link) => ();
            interactive(NoRequest) => ();
        }
    };
}

macro_rules! shell_contract {
    ($( $name:ident($req:ty) => $resp:ty; )*) => {
        /// The TypeScript of the shell's commands: their types and one wrapper each
        /// (`ui/src/lib/generated/shell.ts`, checked by the test `shell_contract_is_current`).
        pub fn contract() -> String {
            use ts_rs::TS;
            let cfg = ts_rs::Config::new().with_large_int("number");
            let mut out = String::from("// Generated by codebench_app::shell::contract from the Rust types: do not edit.\n// Regenerate with `CODEBENCH_WRITE_CONTRACT=1 cargo test -p codebench-app shell_contract`.\n\nimport { invoke } from \"@tauri-apps/api/core\";\nimport type { Status } from \"./types\";\n");
            for decl in [
                StudyInfo::decl(&cfg),
                NoRequest::decl(&cfg),
                StudyPath::decl(&cfg),
                Viewer::decl(&cfg),
                TaskName::decl(&cfg),
                Link::decl(&cfg),
            ] {
                out.push_str(&format!("\nexport {decl}\n"));
            }
            $(
                let resp = <$resp as TS>::name(&cfg);
                let resp = if resp == "null" { "void".to_string() } else { resp };
                out.push_str(&format!(
                    "\nexport const {} = (request: {}): Promise<{resp}> => invoke<{resp}>(\"{}\", {{ request }});\n",
                    camel(stringify!($name)),
                    <$req as TS>::name(&cfg),
                    stringify!($name),
                ));
            )*
            out
        }
    };
}
shell_commands!(shell_contract);

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for ch in name.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.extend(ch.to_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    out
}
