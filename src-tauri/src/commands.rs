//! The app's commands for the API's operations, generated from the core's list
//! ([`codebench::for_each_operation`]): one command per operation, of the same name, taking one
//! `request` and returning the operation's answer or its [`ApiError`]. Nothing here decides
//! anything: study operations run on the open study for the rater at the keyboard, global ones
//! on the machine, tasks on a thread with their own connection, their progress sent as
//! `NAME:progress` events and their end as one `NAME:finished` event.

use codebench::api::{ApiError, ApiResult, Ctx, SystemEnv, Task};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::state::AppState;

/// The payload of a task's `NAME:finished` event.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Finished<T> {
    /// What the task did, when it ran.
    pub result: Option<T>,
    /// Why it stopped, when it failed as a whole.
    pub error: Option<ApiError>,
}

/// Starts a task: claims its slot (false when one runs), opens its own connection to the
/// study file on a thread, runs `work` with progress sent as `NAME:progress` events, then
/// frees the slot and sends `NAME:finished`.
pub fn spawn_task<R, P, T>(
    app: AppHandle<R>,
    state: &AppState,
    name: &'static str,
    work: impl FnOnce(&mut Ctx<'_>, &Task<'_, P>) -> ApiResult<T> + Send + 'static,
) -> ApiResult<bool>
where
    R: Runtime,
    P: Serialize + Clone + Send + 'static,
    T: Serialize + Clone + Send + 'static,
{
    let path = state.path()?;
    let viewer = state.viewer();
    let Some(cancel) = state.claim_task(name) else {
        return Ok(false);
    };
    let thread_app = app.clone();
    let spawned = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let app = thread_app;
            let outcome = (|| {
                let mut study = codebench::Study::open(&path)?;
                let env = SystemEnv;
                let mut ctx = Ctx::new(&mut study, viewer, &env);
                let progress_app = app.clone();
                let progress = move |p: P| {
                    let _ = progress_app.emit(&format!("{name}:progress"), p);
                };
                let task = Task::new(&progress, cancel);
                work(&mut ctx, &task)
            })();
            use tauri::Manager;
            app.state::<AppState>().release_task(name);
            let finished = match outcome {
                Ok(result) => Finished {
                    result: Some(result),
                    error: None,
                },
                Err(error) => Finished {
                    result: None,
                    error: Some(error),
                },
            };
            let _ = app.emit(&format!("{name}:finished"), finished);
        });
    match spawned {
        Ok(_) => Ok(true),
        Err(e) => {
            state.release_task(name);
            Err(ApiError::new(
                codebench::api::ErrorKind::Internal,
                format!("could not start the {name} thread: {e}"),
            ))
        }
    }
}

macro_rules! app_commands {
    (
        study { $( $(#[doc = $sdoc:literal])* $sname:ident($sreq:ty) => $sresp:ty, cli $scli:literal; )* }
        global { $( $(#[doc = $gdoc:literal])* $gname:ident($greq:ty) => $gresp:ty, cli $gcli:literal; )* }
        task { $( $(#[doc = $tdoc:literal])* $tname:ident($treq:ty) => $tresp:ty, progress $tev:ty, cli $tcli:literal; )* }
    ) => {
        $(
            $(#[doc = $sdoc])*
            #[tauri::command(async)]
            pub fn $sname(state: State<'_, AppState>, request: $sreq) -> Result<$sresp, ApiError> {
                state.call(|ctx| codebench::api::$sname(ctx, request))
            }
        )*
        $(
            $(#[doc = $gdoc])*
            #[tauri::command(async)]
            pub fn $gname(request: $greq) -> Result<$gresp, ApiError> {
                codebench::api::$gname(&SystemEnv, request)
            }
        )*
        $(
            $(#[doc = $tdoc])*
            #[tauri::command(async)]
            pub fn $tname<R: Runtime>(
                app: AppHandle<R>,
                state: State<'_, AppState>,
                request: $treq,
            ) -> Result<bool, ApiError> {
                codebench::api::Check::check(&request)?;
                spawn_task(app, &state, stringify!($tname), move |ctx, task| {
                    codebench::api::$tname(ctx, request, task)
                })
            }
        )*

        /// The invoke handler: every API command and the shell's own ([`crate::shell`]).
        pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![
                $( $sname, )*
                $( $gname, )*
                $( $tname, )*
                crate::shell::study_info,
                crate::shell::open_study,
                crate::shell::new_study,
                crate::shell::open_sample_study,
                crate::shell::set_viewer,
                crate::shell::cancel_task,
                crate::shell::open_external,
                crate::startup::interactive,
            ]
        }
    };
}
codebench::for_each_operation!(app_commands);
