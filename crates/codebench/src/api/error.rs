//! The API's error: a kind a shell can act on, and a message for people.
//!
//! Core errors carry no shell's words (no flag names, no button labels). Each shell adds its
//! own hint from the [`ErrorKind`] and [`ApiError::what`]: the CLI names a flag or a command,
//! the app shows a button.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Error;

/// What kind of failure an [`ApiError`] is, for a shell to choose its hint or its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Something named does not exist (a rater, unit, code, round, job, file...).
    NotFound,
    /// The request breaks a rule (a bad name, the wrong cardinality, a value out of range).
    Invalid,
    /// The study's state refuses the request (a name taken, decisions that would be lost).
    Conflict,
    /// It would show another rater's codes on units of a round not revealed yet.
    Blind,
    /// A consensus that overrides every rater needs a rationale.
    NeedsRationale,
    /// Not everyone is done yet (a round's reveal); the request can be forced.
    Incomplete,
    /// No study is open (the app), or the file is not a study, or it is too new.
    NoStudy,
    /// A study file was to be created where a file already is.
    Exists,
    /// A file could not be read or written.
    Io,
    /// The operation was cancelled; what was stored before stays.
    Cancelled,
    /// A failure of the program or of the study file itself (SQLite, a broken invariant).
    Internal,
}

/// A failed API call: its kind, a message that can be shown as is, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[ts(optional_fields)]
#[error("{message}")]
pub struct ApiError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The message for people: names the file, line, field, unit or code concerned.
    pub message: String,
    /// For [`ErrorKind::NotFound`]: what was not found (`rater`, `unit`, `round`, `code`...).
    pub what: Option<String>,
}

/// The result of an API call.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
            what: None,
        }
    }

    /// An [`ErrorKind::Invalid`] error.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Invalid, message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let message = e.to_string();
        let (kind, what) = match &e {
            Error::NotAStudy { .. } | Error::TooNew { .. } => (ErrorKind::NoStudy, None),
            Error::NoSuchStudy(_) => (ErrorKind::NotFound, Some("study".to_string())),
            Error::AlreadyExists(_) => (ErrorKind::Exists, None),
            Error::Codebook { .. }
            | Error::Invalid(_)
            | Error::Row { .. }
            | Error::Csv(_)
            | Error::Qdpx { .. } => (ErrorKind::Invalid, None),
            Error::Unknown { what, .. } => (ErrorKind::NotFound, Some(what.to_string())),
            Error::Conflict(_) => (ErrorKind::Conflict, None),
            Error::Blind { .. } => (ErrorKind::Blind, None),
            Error::NeedsRationale(_) => (ErrorKind::NeedsRationale, None),
            Error::Incomplete(_) => (ErrorKind::Incomplete, None),
            Error::Cancelled(_) => (ErrorKind::Cancelled, None),
            Error::Io { .. } => (ErrorKind::Io, None),
            Error::Sqlite(_) | Error::Json(_) | Error::Figure(_) => (ErrorKind::Internal, None),
        };
        ApiError {
            kind,
            message,
            what,
        }
    }
}
