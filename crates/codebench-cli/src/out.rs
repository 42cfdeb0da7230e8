//! What the CLI prints: lines on standard output that end quietly on a closed pipe, JSON in
//! the same shape the app receives, and one error line with this shell's hint.

use std::io::Write;

use codebench::api::{ApiError, ErrorKind};

/// Standard output was closed by the reader (`| head -1`): the command ends quietly, exit 0.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct Closed;

/// Writes `text` and a newline to standard output; a closed pipe becomes [`Closed`].
pub fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let r = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"));
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
        other => Ok(other?),
    }
}

/// Writes `text` as it is (no newline added).
pub fn raw(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
        other => Ok(other?),
    }
}

/// Prints a value as pretty JSON: exactly what the app's command of the same operation returns.
pub fn json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    line(&serde_json::to_string_pretty(v)?)
}

/// Prints a line to standard output: `say!("{} units", n)`; a closed pipe ends the command.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {
        $crate::out::line(&format!($($t)*))?
    };
}

/// The CLI's hint for an API error: which command or flag helps.
pub fn hint(e: &ApiError) -> Option<&'static str> {
    match (e.kind, e.what.as_deref()) {
        (ErrorKind::NotFound, Some("rater")) => Some("add them with `codebench raters add NAME`"),
        (ErrorKind::NotFound, Some("unit")) => Some("see `codebench units`"),
        (ErrorKind::NotFound, Some("project")) => Some("see `codebench projects list`"),
        (ErrorKind::NotFound, Some("round")) => Some("see `codebench round list`"),
        (ErrorKind::NotFound, Some("code")) => Some("see `codebench codebook show`"),
        (ErrorKind::NotFound, Some("dimension")) => Some("see `codebench codebook show`"),
        (ErrorKind::NotFound, Some("job")) => Some("see `codebench jobs list`"),
        (ErrorKind::NotFound, Some("study")) => Some("create one with `codebench init`"),
        (ErrorKind::NeedsRationale, _) => Some("give the reason with --why"),
        (ErrorKind::Incomplete, _) => Some("--force does it anyway"),
        (ErrorKind::Blind, _) => Some("reveal the round first with `codebench round reveal`"),
        _ => None,
    }
}

/// The one line printed for a failure: `codebench: message (hint)`.
pub fn failure(e: &anyhow::Error) -> String {
    match e.downcast_ref::<ApiError>() {
        Some(api) => match hint(api) {
            Some(h) => format!("codebench: {} ({h})", api.message),
            None => format!("codebench: {}", api.message),
        },
        None => format!("codebench: {e:#}"),
    }
}
