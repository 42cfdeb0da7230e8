//! A study as a REFI-QDA project (`.qdpx`), both ways, so a team can move its decisions,
//! evidence and memos to ATLAS.ti, MAXQDA, NVivo or QualCoder, or bring codings made there.
//!
//! The mapping ([`export`] writes it, [`import`] reads it back; `exports/README.md` documents
//! it for researchers):
//! - each rater is a `User`; the consensus is the `User` named `consensus`;
//! - each dimension is a non-codable top-level `Code` holding its codes (sub-codes nest), with
//!   the same GUIDs the `.qdc` codebook export gives them; definitions are `Description`s;
//! - each README and Dockerfile is a `TextSource` named `owner/name:path`; a project without a
//!   stored README gets an empty source named `owner/name` when something is coded on it;
//! - each decision is one source-level `Coding` per code on its unit's source (the project's
//!   README for project dimensions, the Dockerfile for Dockerfile dimensions), by its rater;
//! - each evidence quote is a `PlainTextSelection` of the file it quotes, at the character
//!   positions where the quote stands in the stored text, coded with its code by its rater;
//! - memos and consensus rationales are `Note`s, referred to by the unit's source;
//! - each project is a `Case` holding its sources, with `VariableValue`s of its metadata;
//!   Dockerfile sources carry their metrics as `VariableValue`s.
//!
//! The blind rule holds as on every read: decisions, evidence and memos the viewer may not see
//! are left out and counted.

pub mod export;
pub mod import;

use crate::codebook::Codebook;

/// The `User` name that carries the consensus.
pub const CONSENSUS_USER: &str = crate::report::CONSENSUS_LABELS;

/// The `Note` name prefix of a rater's memo (`memo: <dimension id>`).
const MEMO_PREFIX: &str = "memo: ";

/// The `Note` name prefix of a consensus rationale (`rationale: <dimension id>`).
const RATIONALE_PREFIX: &str = "rationale: ";

/// The stable GUID of a thing of the study (the same scheme as the `.qdc` codebook export).
fn guid(key: &str) -> String {
    crate::codebook::qdc::guid(key)
}

/// The GUID of a dimension's grouping code (as in the `.qdc` export).
fn dimension_guid(book: &Codebook, dim: &str) -> String {
    guid(&format!("{}/{dim}", book.id))
}

/// The GUID of a code (as in the `.qdc` export).
fn code_guid(book: &Codebook, dim: &str, code: &str) -> String {
    guid(&format!("{}/{dim}/{code}", book.id))
}

/// The GUID of a user.
fn user_guid(name: &str) -> String {
    guid(&format!("qdpx/user/{name}"))
}

/// The 1-based line of character position `pos` of `text`.
fn line_at(text: &str, pos: usize) -> i64 {
    1 + text.chars().take(pos).filter(|c| *c == '\n').count() as i64
}

/// The lines a passage from `start` to `end` (characters) spans: its first and last
/// character's line.
fn lines_of(text: &str, start: usize, end: usize) -> (i64, i64) {
    (line_at(text, start), line_at(text, end.max(start + 1) - 1))
}

/// The marker a selection's `Description` carries when its lines are not the ones its
/// position gives (so a re-import restores them): `[codebench lines=3-4]` or `lines=none`.
fn lines_marker(lines: (Option<i64>, Option<i64>)) -> String {
    match lines {
        (Some(a), Some(b)) => format!("[codebench lines={a}-{b}]"),
        (Some(a), None) => format!("[codebench lines={a}]"),
        _ => "[codebench lines=none]".to_string(),
    }
}

/// The lines a marker written by [`lines_marker`] gives, if `description` holds one.
fn parse_lines_marker(description: &str) -> Option<(Option<i64>, Option<i64>)> {
    let rest = description.split("[codebench lines=").nth(1)?;
    let value = rest.split(']').next()?;
    if value == "none" {
        return Some((None, None));
    }
    match value.split_once('-') {
        Some((a, b)) => Some((Some(a.parse().ok()?), Some(b.parse().ok()?))),
        None => Some((Some(value.parse().ok()?), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_line_feeds_before_the_passage() {
        let t = "ab\ncd\r\nef";
        assert_eq!(lines_of(t, 0, 2), (1, 1));
        assert_eq!(lines_of(t, 3, 9), (2, 3));
        assert_eq!(lines_of(t, 3, 3), (2, 2));
    }

    #[test]
    fn markers_round_trip() {
        for l in [(Some(3), Some(4)), (Some(2), None), (None, None)] {
            assert_eq!(parse_lines_marker(&lines_marker(l)), Some(l));
        }
        assert_eq!(parse_lines_marker("a plain description"), None);
    }
}
