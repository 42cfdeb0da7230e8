//! The app's state: the one open study, owned by a thread of its own.
//!
//! A `Study` is not `Send` (it caches its codebook in an `Rc`), so it cannot sit in Tauri's
//! shared state. It lives on one "study thread" instead, and commands send it work: each call
//! runs on that thread, one at a time, in the order sent, which also serialises every write.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use codebench::Study;

/// Where the study is and how it was opened, for the UI's header.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The study file.
    pub path: PathBuf,
    /// Whether it is the sample study in the app data folder.
    pub sample: bool,
}

/// What the study thread holds.
#[derive(Debug, Default)]
struct Slot {
    study: Option<Study>,
    path: Option<PathBuf>,
    sample: bool,
    error: Option<String>,
}

type Job = Box<dyn FnOnce(&mut Slot) + Send>;

/// What the app holds between commands: a handle on the study thread and the `--open` unit.
#[derive(Debug)]
pub struct AppState {
    jobs: mpsc::Sender<Job>,
    open_unit: std::sync::Mutex<Option<String>>,
}

impl AppState {
    /// Starts the study thread, with no study yet; `open_unit` is the `--open` unit, if any.
    /// The thread ends when the state is dropped.
    pub fn new(open_unit: Option<String>) -> AppState {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("study".into())
            .spawn(move || {
                let mut slot = Slot::default();
                for job in rx {
                    job(&mut slot);
                }
            })
            .expect("the OS can start one thread");
        AppState {
            jobs,
            open_unit: std::sync::Mutex::new(open_unit),
        }
    }

    fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Slot) -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |slot| {
            // The receiver waits below; it is only gone if the caller itself went away.
            let _ = tx.send(f(slot));
        });
        self.jobs
            .send(job)
            .expect("the study thread runs as long as the state exists");
        rx.recv()
            .expect("the study thread answers every job (a panic in the core would end it)")
    }

    /// Opens an existing study file; a failure is kept for the UI to show.
    pub fn open(&self, path: &Path) {
        let path = path.to_path_buf();
        self.run(move |slot| set(slot, &path, false, Study::open(&path)));
    }

    /// Opens the sample study at `path`, creating it when missing.
    pub fn open_sample(&self, path: &Path) {
        let path = path.to_path_buf();
        self.run(move |slot| {
            let result = codebench::sample::open_or_create(&path);
            set(slot, &path, true, result)
        });
    }

    /// Records that no study could be opened, and why.
    pub fn fail(&self, path: PathBuf, why: String) {
        self.run(move |slot| {
            *slot = Slot {
                study: None,
                path: Some(path),
                sample: false,
                error: Some(why),
            }
        });
    }

    /// The `--open` unit.
    pub fn open_unit(&self) -> Option<String> {
        self.open_unit.lock().ok().and_then(|u| u.clone())
    }

    /// Opens another study file in place of the open one (the start screen), or creates it
    /// with the shipped codebook when `create`; the `--open` unit no longer applies. Returns
    /// why it failed; the study open before then stays open.
    pub fn switch(&self, path: &Path, create: bool) -> Result<(), String> {
        if let Ok(mut u) = self.open_unit.lock() {
            *u = None;
        }
        let path = path.to_path_buf();
        self.run(move |slot| {
            let result = if create {
                Study::create(&path, &codebench::codebook::Codebook::shipped())
            } else {
                Study::open(&path)
            };
            match result {
                Ok(_) => {
                    set(slot, &path, false, result);
                    Ok(())
                }
                // A file that cannot be opened or created leaves the open study as it was.
                Err(e) => Err(e.to_string()),
            }
        })
    }

    /// Opens the sample study at `path` in place of the open one.
    pub fn switch_to_sample(&self, path: &Path) -> Result<(), String> {
        if let Ok(mut u) = self.open_unit.lock() {
            *u = None;
        }
        self.open_sample(path);
        self.with(|_, _| Ok(()))
    }

    /// Runs `f` on the open study (on the study thread), or returns why there is none.
    pub fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Study, &Opened) -> codebench::Result<T> + Send + 'static,
    ) -> Result<T, String> {
        self.run(move |slot| match &mut slot.study {
            Some(study) => {
                let opened = Opened {
                    path: slot
                        .path
                        .clone()
                        .unwrap_or_else(|| study.path().to_path_buf()),
                    sample: slot.sample,
                };
                f(study, &opened).map_err(|e| e.to_string())
            }
            None => Err(slot
                .error
                .clone()
                .unwrap_or_else(|| "no study is open".to_string())),
        })
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
            state.with(|s, _| s.projects()).unwrap_err(),
            "no study is open"
        );
        state.open_sample(&path);
        let (n, opened) = state
            .with(|s, o| Ok((s.projects()?.len(), o.clone())))
            .unwrap();
        assert_eq!(n, 12);
        assert!(opened.sample);
        assert_eq!(opened.path, path);
        state.with(|s, _| s.add_rater("ana").map(|_| ())).unwrap();
        // Opening it again keeps what was written.
        let again = AppState::new(None);
        again.open_sample(&path);
        let raters = again.with(|s, _| s.raters()).unwrap();
        assert_eq!(raters.len(), 1);
    }

    #[test]
    fn a_file_that_is_not_a_study_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "not a study").unwrap();
        let state = AppState::new(None);
        state.open(&path);
        let err = state.with(|s, _| s.projects()).unwrap_err();
        assert!(err.contains("not a Codebench study"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a study");
    }

    #[test]
    fn switching_studies_keeps_the_open_one_when_the_other_fails() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(Some("acme/x".into()));
        state.open_sample(&dir.path().join("sample.codebench"));
        // A file that is not a study: refused, the sample stays open.
        let junk = dir.path().join("notes.txt");
        std::fs::write(&junk, "not a study").unwrap();
        let err = state.switch(&junk, false).unwrap_err();
        assert!(err.contains("not a Codebench study"), "{err}");
        assert_eq!(state.with(|s, _| s.projects()).unwrap().len(), 12);
        // A new study: created and open, empty; the --open unit is forgotten.
        let new = dir.path().join("mine.codebench");
        state.switch(&new, true).unwrap();
        assert_eq!(state.with(|s, _| s.projects()).unwrap().len(), 0);
        assert_eq!(state.open_unit(), None);
        // Creating over an existing file is refused and changes nothing.
        let err = state.switch(&junk, true).unwrap_err();
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&junk).unwrap(), "not a study");
        assert_eq!(state.with(|_, o| Ok(o.path.clone())).unwrap(), new);
    }
}
