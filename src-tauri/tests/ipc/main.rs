//! The app's commands driven through Tauri's real IPC path (mock runtime, no display):
//! the same deserialisation, state and error handling the web UI gets.
//!
//! One test binary (`cargo test -p codebench-app --test ipc`), its tests grouped by the area
//! they cover: the study and its projects (`study`), coding, evidence and the codebook
//! (`coding`), argument checks and the command list (`contract`), agreement and reconciliation
//! (`agreement`), blind rounds (`rounds`), the GitHub import with its token (`github`) and the
//! metrics jobs (`jobs`); `common` starts an app and calls its commands.

mod agreement;
mod coding;
mod common;
mod contract;
mod github;
mod jobs;
mod rounds;
mod study;
