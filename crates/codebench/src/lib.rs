//! Codebench core: everything that is not a window or a command line.
//!
//! A study is one SQLite file ([`study::Study`]). It holds the codebook ([`codebook`]), the
//! projects and the units raters decide on ([`corpus`]), the raters and their decisions
//! ([`coding`]), and an append-only history of every change. The desktop app and the
//! `codebench` command are thin shells over these modules.

pub mod agreement;
pub mod api;
pub mod codebook;
pub mod coding;
pub mod consensus;
pub mod copy;
pub mod corpus;
pub mod dockerfile;
pub mod error;
pub mod evidence;
pub mod export;
pub mod figures;
pub(crate) mod history;
pub mod hub;
pub mod image;
pub mod jobs;
pub mod machine;
pub mod merge;
pub mod overview;
pub mod qdpx;
pub mod rater;
pub mod readme;
pub mod reconcile;
pub mod report;
pub mod round;
pub mod rules;
pub mod sample;
pub mod select;
pub mod settings;
pub mod shard;
pub mod study;

pub use error::{Error, Result};
pub use study::Study;

/// The current time as an ISO 8601 / RFC 3339 string in UTC with millisecond precision,
/// the one time format of the study file and of every export.
///
/// When `SOURCE_DATE_EPOCH` is set (the reproducible-builds convention: seconds since 1970),
/// that time is used instead, so a study and its exports can be made byte for byte again
/// (`make golden`).
pub(crate) fn now() -> String {
    let fixed = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0));
    fixed
        .unwrap_or_else(chrono::Utc::now)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
