//! The CLI's side of the API: which study, on whose behalf, and how a call is made.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use codebench::api::{ApiError, ApiResult, Ctx, Env, SystemEnv, Task};
use codebench::Study;

/// The study file and the viewer of one `codebench` run.
pub struct Shell {
    /// The study file (`--study`, else `$CODEBENCH_STUDY`, else `./study.codebench`).
    pub study: PathBuf,
    /// On whose behalf it reads (`--as`, else `$CODEBENCH_RATER`): they see their own
    /// decisions on blind units; without one, nobody's are shown there.
    pub viewer: Option<String>,
    env: SystemEnv,
}

impl Shell {
    /// The shell for a study file and a viewer.
    pub fn new(study: PathBuf, viewer: Option<String>) -> Shell {
        Shell {
            study,
            viewer,
            env: SystemEnv,
        }
    }

    fn open(&self) -> ApiResult<Study> {
        Ok(Study::open(&self.study)?)
    }

    /// Calls a study operation.
    pub fn call<Req, Resp>(
        &self,
        op: fn(&mut Ctx<'_>, Req) -> ApiResult<Resp>,
        req: Req,
    ) -> anyhow::Result<Resp> {
        let mut study = self.open()?;
        let mut ctx = Ctx::new(&mut study, self.viewer.clone(), &self.env);
        Ok(op(&mut ctx, req)?)
    }

    /// Calls an operation that needs no study.
    pub fn global<Req, Resp>(
        &self,
        op: fn(&dyn Env, Req) -> ApiResult<Resp>,
        req: Req,
    ) -> anyhow::Result<Resp> {
        Ok(op(&self.env, req)?)
    }

    /// Runs a long operation in the foreground, its progress going to `progress`. Ctrl-C
    /// ends the process; what each step stored stays (every step is its own transaction).
    pub fn task<Req, Resp, P>(
        &self,
        op: fn(&mut Ctx<'_>, Req, &Task<'_, P>) -> ApiResult<Resp>,
        req: Req,
        progress: &(dyn Fn(P) + Sync),
    ) -> anyhow::Result<Resp> {
        let mut study = self.open()?;
        let mut ctx = Ctx::new(&mut study, self.viewer.clone(), &self.env);
        let task = Task::new(progress, Arc::new(AtomicBool::new(false)));
        Ok(op(&mut ctx, req, &task)?)
    }
}

/// A path given on the command line, made absolute against the working folder (the API takes
/// absolute paths only).
pub fn abs(p: &Path) -> anyhow::Result<String> {
    let full = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| {
                ApiError::new(
                    codebench::api::ErrorKind::Io,
                    format!("the working folder: {e}"),
                )
            })?
            .join(p)
    };
    Ok(full.display().to_string())
}
