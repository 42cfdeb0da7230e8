//! The Dockerfile parser, a line-for-line port of BuildKit's `frontend/dockerfile/parser`
//! (parser.go, line_parsers.go, directives.go) plus the checks of its `instructions` package
//! that do not need a build (unknown instructions, flags, argument counts).
//!
//! Unlike BuildKit, which stops at the first error, every error is recorded with its line and
//! parsing goes on with the next instruction, so the rest of the file is still analysed.
//!
//! This module holds what the parser yields (instructions, here-documents, directives and the
//! capped error list); the file is read line by line, with its directives, continuations and
//! here-documents, in `lines.rs`, and one logical line is parsed into an instruction, with the
//! keywords BuildKit knows and its argument checks, in `instruction.rs`.

mod instruction;
mod lines;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::analysis::Diagnostic;

pub(crate) use instruction::{keyword_index, KEYWORDS};
pub use lines::parse;

/// Most errors kept per file; the rest are summarised in one last entry (binary input would
/// otherwise produce one error per line).
pub const MAX_ERRORS: usize = 200;

/// How an instruction's arguments were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// Plain text (shell form for RUN/CMD/ENTRYPOINT, words for the rest).
    Shell,
    /// A JSON array of strings: exec form for RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK CMD; a
    /// JSON list for ADD, COPY, VOLUME.
    Json,
    /// Shell form with at least one here-document (RUN, COPY, ADD).
    Heredoc,
}

/// One here-document attached to an instruction (`<<EOF` … `EOF`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Heredoc {
    /// The terminator word, unquoted (`EOF` for `<<"EOF"`).
    pub name: String,
    /// Line of the first content line (1-based).
    pub line: u32,
    /// `<<-`: leading tabs are removed from the content and the terminator.
    pub chomp: bool,
    /// False when the terminator was quoted: variables in the content are not expanded.
    pub expand: bool,
    /// The body, one `\n` after each line (leading tabs removed when `chomp`).
    pub content: String,
}

/// One instruction as BuildKit's parser sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Instruction {
    /// Upper-cased keyword (`RUN`); an unknown word is kept upper-cased too.
    pub keyword: Cow<'static, str>,
    /// First physical line (1-based).
    pub line: u32,
    /// Last physical line, including here-document bodies.
    pub end_line: u32,
    /// `--flag` words in front of the arguments, as written (`--from=build`).
    pub flags: Vec<String>,
    /// Arguments: the JSON array elements, the words of word-list instructions, `KEY=value` pairs
    /// for ENV and LABEL, or the whole rest of the line for shell form.
    pub args: Vec<String>,
    /// How the arguments were written.
    pub form: Form,
    /// Here-documents, in the order of their markers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heredocs: Vec<Heredoc>,
    /// For ONBUILD: the wrapped instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Box<Instruction>>,
}

impl Instruction {
    /// The value of flag `--name` (`--name=value` → `Some("value")`, bare `--name` → `Some("")`).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find_map(|f| {
            let f = f.strip_prefix("--")?;
            match f.split_once('=') {
                Some((k, v)) if k == name => Some(v),
                None if f == name => Some(""),
                _ => None,
            }
        })
    }
}

/// The parser directives at the top of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Directives {
    /// `# syntax=` (the frontend image).
    pub syntax: Option<String>,
    /// `# escape=` (`\` or `` ` ``).
    pub escape: Option<String>,
    /// `# check=` (build check configuration).
    pub check: Option<String>,
}

/// Result of [`parse`].
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub directives: Directives,
    pub instructions: Vec<Instruction>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// Physical lines.
    pub lines: u32,
    /// Lines that are comments (including parser directives), outside here-documents.
    pub comment_lines: u32,
    /// Empty or blank lines, outside here-documents.
    pub blank_lines: u32,
}

impl Parsed {
    fn error(&mut self, line: u32, message: String) {
        push_capped(&mut self.errors, Diagnostic::at(line, message));
    }
}

/// Appends `d`, keeping at most [`MAX_ERRORS`] entries plus one summary entry.
pub(crate) fn push_capped(list: &mut Vec<Diagnostic>, d: Diagnostic) {
    match list.len().cmp(&MAX_ERRORS) {
        std::cmp::Ordering::Less => list.push(d),
        std::cmp::Ordering::Equal => list.push(Diagnostic::file(format!(
            "more than {MAX_ERRORS} problems; the rest are not listed"
        ))),
        std::cmp::Ordering::Greater => {}
    }
}
