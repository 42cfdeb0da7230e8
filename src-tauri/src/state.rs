//! The app's state: the one open study, who is at the keyboard, and the long tasks running.
//!
//! A `Study` is `Send`, so it sits behind a mutex: each command locks it for the length of one
//! API call, which serialises writes the way the study file wants them. Long tasks (a GitHub
//! import, a metrics run) open a connection of their own on a thread, so the screens go on
//! meanwhile (SQLite's WAL lets readers and one writer share the file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use codebench::api::{ApiError, ApiResult, Ctx, ErrorKind, SystemEnv};
use codebench::Study;

/// Where the study is and how it was opened, for the UI's header.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The study file.
    pub path: PathBuf,
    /// Whether it is the sample study in the app data folder.
    pub sample: bool,
}

/// The open study, or why there is none.
#[derive(Debug, Default)]
struct Slot {
    study: Option<Study>,
    path: Option<PathBuf>,
    sample: bool,
    error: Option<String>,
}

/// What the app holds between commands.
#[derive(Debug, Default)]
pub struct AppState {
    slot: Mutex<Slot>,
    open_unit: Mutex<Option<String>>,
    viewer: Mutex<Option<String>>,
    tasks: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

/// A lock, even when a thread panicked while holding it (the data is still whole: every write
/// to the study is a transaction).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    /// No study yet; `open_unit` is the `--open` unit, if any.
    pub fn new(open_unit: Option<String>) -> AppState {
        AppState {
            open_unit: Mutex::new(open_unit),
            ..Default::default()
        }
    }

    /// Opens an existing study file; a failure is kept for the UI to show.
    pub fn open(&self, path: &Path) {
        set(&mut lock(&self.slot), path, false, Study::open(path));
    }

    /// Opens the sample study at `path`, creating it when missing.
    pub fn open_sample(&self, path: &Path) {
        set(
            &mut lock(&self.slot),
            path,
            true,
            codebench::sample::open_or_create(path),
        );
    }

    /// Records that no study could be opened, and why.
    pub fn fail(&self, path: PathBuf, why: String) {
        *lock(&self.slot) = Slot {
            study: None,
            path: Some(path),
            sample: false,
            error: Some(why),
        };
    }

    /// The `--open` unit.
    pub fn open_unit(&self) -> Option<String> {
        lock(&self.open_unit).clone()
    }

    /// Opens another study file in place of the open one (the start screen); the `--open`
    /// unit no longer applies. On failure the open study stays open.
    pub fn switch(&self, path: &Path, sample: bool) -> ApiResult<()> {
        let result = if sample {
            codebench::sample::open_or_create(path)
        } else {
            Study::open(path)
        };
        let study = result.map_err(ApiError::from)?;
        *lock(&self.open_unit) = None;
        set(&mut lock(&self.slot), path, sample, Ok(study));
        Ok(())
    }

    /// Who is at the keyboard: every read is made on their behalf (blind rounds).
    pub fn set_viewer(&self, viewer: Option<String>) {
        *lock(&self.viewer) = viewer;
    }

    /// The rater at the keyboard.
    pub fn viewer(&self) -> Option<String> {
        lock(&self.viewer).clone()
    }

    /// Runs `f` on the open study for the viewer, or says why there is none.
    pub fn with<T>(&self, f: impl FnOnce(&mut Ctx<'_>, &Opened) -> ApiResult<T>) -> ApiResult<T> {
        let viewer = self.viewer();
        let mut slot = lock(&self.slot);
        let opened = Opened {
            path: slot.path.clone().unwrap_or_default(),
            sample: slot.sample,
        };
        let error = slot.error.clone();
        match slot.study.as_mut() {
            Some(study) => {
                let env = SystemEnv;
                let mut ctx = Ctx::new(study, viewer, &env);
                f(&mut ctx, &opened)
            }
            None => Err(ApiError::new(
                ErrorKind::NoStudy,
                error.unwrap_or_else(|| "no study is open".to_string()),
            )),
        }
    }

    /// Calls a study operation.
    pub fn call<T>(&self, f: impl FnOnce(&mut Ctx<'_>) -> ApiResult<T>) -> ApiResult<T> {
        self.with(|ctx, _| f(ctx))
    }

    /// The open study's file.
    pub fn path(&self) -> ApiResult<PathBuf> {
        self.with(|_, o| Ok(o.path.clone()))
    }

    /// Claims the slot of task `name` (one at a time); its cancel switch, or `None` when
    /// one is already running.
    pub fn claim_task(&self, name: &str) -> Option<Arc<AtomicBool>> {
        let mut tasks = lock(&self.tasks);
        if tasks.contains_key(name) {
            return None;
        }
        let flag = Arc::new(AtomicBool::new(false));
        tasks.insert(name.to_string(), flag.clone());
        Some(flag)
    }

    /// Frees task `name`'s slot.
    pub fn release_task(&self, name: &str) {
        lock(&self.tasks).remove(name);
    }

    /// Asks task `name` to stop; false when it is not running.
    pub fn cancel_task(&self, name: &str) -> bool {
        match lock(&self.tasks).get(name) {
            Some(flag) => {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

fn set(slot: &mut Slot, path: &Path, sample: bool, result: codebench::Result<Study>) {
    *slot = match result {
        Ok(study) => Slot {
            path: Some(study.path().to_path_buf()),
            study: Some(study),
            sample,
            error: None,
        },
        Err(e) => Slot {
            study: None,
            path: Some(path.to_path_buf()),
            sample,
            error: Some(e.to_string()),
        },
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_study_is_created_once_then_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/org.codebench.app/sample.codebench");
        let state = AppState::new(None);
        assert_eq!(
            state
                .call(|c| Ok(c.study.projects()?.len()))
                .unwrap_err()
                .message,
            "no study is open"
        );
        state.open_sample(&path);
        let (n, opened) = state
            .with(|c, o| Ok((c.study.projects()?.len(), o.clone())))
            .unwrap();
        assert_eq!(n, 12);
        assert!(opened.sample);
        assert_eq!(opened.path, path);
        state
            .call(|c| Ok(c.study.add_rater("ana").map(|_| ())?))
            .unwrap();
        // Opening it again keeps what was written.
        let again = AppState::new(None);
        again.open_sample(&path);
        assert_eq!(again.call(|c| Ok(c.study.raters()?)).unwrap().len(), 1);
    }

    #[test]
    fn a_file_that_is_not_a_study_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "not a study").unwrap();
        let state = AppState::new(None);
        state.open(&path);
        let err = state.call(|c| Ok(c.study.projects()?)).unwrap_err();
        assert!(
            err.message.contains("not a Codebench study"),
            "{}",
            err.message
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a study");
    }

    #[test]
    fn switching_studies_keeps_the_open_one_when_the_other_fails() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(Some("acme/x".into()));
        state.open_sample(&dir.path().join("sample.codebench"));
        let junk = dir.path().join("notes.txt");
        std::fs::write(&junk, "not a study").unwrap();
        let err = state.switch(&junk, false).unwrap_err();
        assert!(
            err.message.contains("not a Codebench study"),
            "{}",
            err.message
        );
        assert_eq!(state.call(|c| Ok(c.study.projects()?)).unwrap().len(), 12);
        assert_eq!(state.open_unit(), Some("acme/x".into()));
        let new = dir.path().join("mine.codebench");
        codebench::Study::create(&new, &codebench::codebook::Codebook::shipped()).unwrap();
        state.switch(&new, false).unwrap();
        assert_eq!(state.call(|c| Ok(c.study.projects()?)).unwrap().len(), 0);
        assert_eq!(state.open_unit(), None);
        assert_eq!(state.path().unwrap(), new);
    }
}
