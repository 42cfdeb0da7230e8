//! Input limits, applied by the API to every request before the core sees it, so both shells
//! refuse the same inputs with the same words. The core applies its own rules on top (rater
//! names, unit names, code labels); these bound what a request may carry at all.

use std::path::PathBuf;

use super::error::{ApiError, ApiResult};

/// Longest unit name accepted (`owner/name:path/to/Dockerfile`).
pub const MAX_UNIT: usize = 1024;
/// Longest dimension or code label, round name or other short label accepted.
pub const MAX_LABEL: usize = 200;
/// Most codes in one decision or consensus.
pub const MAX_CODES: usize = 200;
/// Longest memo accepted, in bytes.
pub const MAX_MEMO: usize = 64 * 1024;
/// Longest rater name or project name accepted.
pub const MAX_NAME: usize = 300;
/// Longest rationale accepted, in bytes.
pub const MAX_RATIONALE: usize = 64 * 1024;
/// Longest quote accepted, in bytes (the core also limits it in characters).
pub const MAX_QUOTE: usize = 16 * 1024;
/// Longest code definition accepted, in bytes.
pub const MAX_DEFINITION: usize = 16 * 1024;
/// Longest file path accepted.
pub const MAX_PATH: usize = 4096;
/// Longest URL accepted.
pub const MAX_URL: usize = 4096;
/// Most items in one list argument (dimensions, raters, units, files, repositories).
pub const MAX_LIST: usize = 100_000;

/// Checks a one-line argument: not blank, at most `max` bytes, no control characters.
pub fn line(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid(format!("{field} is empty")));
    }
    if value.len() > max {
        return Err(ApiError::invalid(format!(
            "{field} is longer than {max} bytes"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "{field} contains a control character"
        )));
    }
    Ok(())
}

/// [`line`] for an optional argument.
pub fn opt_line(field: &str, value: &Option<String>, max: usize) -> ApiResult<()> {
    match value {
        Some(v) => line(field, v, max),
        None => Ok(()),
    }
}

/// Checks a free-text argument (memo, quote, rationale, definition): at most `max` bytes, and
/// no control characters other than line breaks and tabs. It may be empty.
pub fn text(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.len() > max {
        return Err(ApiError::invalid(format!(
            "{field} is longer than {max} bytes"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(ApiError::invalid(format!(
            "{field} contains a control character"
        )));
    }
    Ok(())
}

/// Checks a list argument: at most `max` items, each a [`line`] of at most `each` bytes.
pub fn list(field: &str, values: &[String], max: usize, each: usize) -> ApiResult<()> {
    if values.len() > max {
        return Err(ApiError::invalid(format!(
            "more than {max} {field} in one request"
        )));
    }
    values.iter().try_for_each(|v| line(field, v, each))
}

/// A path given by the user: one line, and absolute unless `relative_ok` (the CLI resolves
/// relative paths against its working folder before calling; the app's working folder means
/// nothing to a user, so the app's paths must be absolute). `what` names it in messages.
pub fn path(value: &str, what: &str) -> ApiResult<PathBuf> {
    line(what, value, MAX_PATH)?;
    let p = PathBuf::from(value.trim());
    if !p.is_absolute() {
        return Err(ApiError::invalid(format!(
            "'{}' is not an absolute path: give the full path of {what}",
            p.display()
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line_memos_may_span_lines() {
        assert!(line("unit", "o/n", MAX_UNIT).is_ok());
        assert_eq!(
            line("unit", "o/n\n", MAX_UNIT).unwrap_err().message,
            "unit contains a control character"
        );
        assert_eq!(
            line("rater", "  ", MAX_NAME).unwrap_err().message,
            "rater is empty"
        );
        assert!(text("the memo", "line one\nline two\ttab", MAX_MEMO).is_ok());
        assert!(text("the memo", "a\u{0}b", MAX_MEMO).is_err());
        assert!(text("the memo", &"x".repeat(MAX_MEMO + 1), MAX_MEMO).is_err());
        assert!(path("relative/file", "the study file").is_err());
        assert!(path("/abs/file", "the study file").is_ok());
    }
}
