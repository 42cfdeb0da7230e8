//! The Dockerfile parser, a line-for-line port of BuildKit's `frontend/dockerfile/parser`
//! (parser.go, line_parsers.go, directives.go) plus the checks of its `instructions` package
//! that do not need a build (unknown instructions, flags, argument counts).
//!
//! Unlike BuildKit, which stops at the first error, every error is recorded with its line and
//! parsing goes on with the next instruction, so the rest of the file is still analysed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::analysis::Diagnostic;
use crate::words::{
    extract_builder_flags, heredoc_words, is_go_space, parse_words, split_go_whitespace,
    split_go_whitespace_once, trim_go_space, trim_start,
};

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

/// Parser directive state (BuildKit's `DirectiveParser`).
struct DirectiveState {
    done: bool,
    escape: u8,
}

impl DirectiveState {
    /// Looks at one line (already left-trimmed) while directives may still appear.
    fn process(&mut self, line: &str, line_no: u32, out: &mut Parsed) {
        if self.done {
            return;
        }
        let Some((key, value)) = directive(line) else {
            self.done = true;
            return;
        };
        let key = key.to_ascii_lowercase();
        let slot = match key.as_str() {
            "syntax" => &mut out.directives.syntax,
            "escape" => &mut out.directives.escape,
            "check" => &mut out.directives.check,
            _ => {
                self.done = true;
                return;
            }
        };
        if slot.is_some() {
            out.error(
                line_no,
                format!("only one {key} parser directive can be used"),
            );
            return;
        }
        *slot = Some(value.to_string());
        if key == "escape" {
            match value {
                "\\" => self.escape = b'\\',
                "`" => self.escape = b'`',
                _ => out.error(
                    line_no,
                    format!("invalid escape token '{value}' does not match ` or \\"),
                ),
            }
        }
    }
}

/// Matches `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go's `\s` is ASCII whitespace).
fn directive(line: &str) -> Option<(&str, &str)> {
    let is_s = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0C' | '\r');
    let rest = line.strip_prefix('#')?.trim_start_matches(is_s);
    let key_len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if key_len == 0 {
        return None;
    }
    let (key, rest) = rest.split_at(key_len);
    let rest = rest.trim_start_matches(is_s).strip_prefix('=')?;
    let value = rest.trim_matches(is_s);
    if value.is_empty() {
        return None;
    }
    Some((key, value))
}

/// Strips the line-continuation marker. Returns the remaining text and whether the
/// instruction ends on this line.
///
/// BuildKit's rule (`lineContinuationRegex` in parser.go, `([^E])E[ \t]*$|^E[ \t]*$` with `E`
/// the escape character, replaced by `$1`): the line continues when its last character other
/// than spaces and tabs is the escape character and that character is either the first on the
/// line or follows a character that is not the escape character. So `a\\` (an escaped escape
/// character) and a line that is just `\\` end the instruction; like BuildKit, `a\\\` (an
/// escaped escape then a marker) ends it too, since only the one character before the marker
/// is looked at. The marker and the blanks after it are removed; the line is already without
/// its line ending (`\r` included), so CRLF files follow the same rule.
fn trim_continuation(line: &str, escape: u8) -> (&str, bool) {
    let end = trim_end_bytes(line, |c| c == b' ' || c == b'\t');
    let b = line.as_bytes();
    match end.checked_sub(1) {
        // The escape character is ASCII, so cutting before it is at a character boundary, and
        // a byte equal to it is that character (UTF-8 continuation bytes are never ASCII).
        Some(last)
            if b.get(last) == Some(&escape) && (last == 0 || b.get(last - 1) != Some(&escape)) =>
        {
            (&line[..last], false)
        }
        _ => (line, true),
    }
}

/// A physical line without its line ending (BuildKit trims all trailing `\r` and `\n`).
fn trim_newline(line: &str) -> &str {
    &line[..trim_end_bytes(line, |c| c == b'\r' || c == b'\n')]
}

/// The length of `line` without its trailing run of the ASCII bytes `strip` accepts (a
/// character boundary, since only ASCII bytes are removed).
fn trim_end_bytes(line: &str, strip: impl Fn(u8) -> bool) -> usize {
    let b = line.as_bytes();
    let mut end = b.len();
    while end > 0 && strip(b[end - 1]) {
        end -= 1;
    }
    end
}

/// Parses `text` (already decoded, without a BOM).
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed {
        instructions: Vec::with_capacity(text.len() / 48 + 1),
        ..Parsed::default()
    };
    let mut directives = DirectiveState {
        done: false,
        escape: b'\\',
    };
    // Each piece keeps its `\n`; there is no empty piece after a final newline.
    let mut lines = Lines { rest: text };
    let mut line_no: u32 = 0;
    let mut joined = String::with_capacity(256);

    while let Some(raw) = lines.next() {
        let raw = trim_newline(raw);
        let trimmed = trim_start(raw);
        directives.process(trimmed, line_no + 1, &mut out);
        line_no += 1;
        let content = if trimmed.starts_with('#') {
            out.comment_lines += 1;
            ""
        } else {
            if trimmed.is_empty() {
                out.blank_lines += 1;
            }
            trimmed
        };
        let start_line = line_no;
        let (content, mut end_of_line) = trim_continuation(content, directives.escape);
        if end_of_line && content.is_empty() {
            continue;
        }
        let mut empty_continuation = false;
        // A one-line instruction is read in place; continued lines are joined in `joined`.
        let line: &str = if end_of_line {
            content
        } else {
            joined.clear();
            joined.push_str(content);
            while !end_of_line {
                let Some(raw) = lines.next() else { break };
                let raw = trim_newline(raw);
                line_no += 1;
                let left = trim_start(raw);
                if left.starts_with('#') {
                    out.comment_lines += 1;
                    continue;
                }
                if left.is_empty() {
                    out.blank_lines += 1;
                    empty_continuation = true;
                    continue;
                }
                let (piece, eol) = trim_continuation(raw, directives.escape);
                end_of_line = eol;
                joined.push_str(piece);
            }
            &joined
        };
        if empty_continuation {
            push_capped(
                &mut out.warnings,
                Diagnostic::at(
                    start_line,
                    "empty continuation line (BuildKit warns; a future version may reject it)"
                        .to_string(),
                ),
            );
        }

        let mut instruction = node_from_line(line, start_line, directives.escape, &mut out, 0);
        if can_contain_heredoc(&instruction) && has_double_lt(line) {
            let target = match instruction.trigger.as_deref_mut() {
                Some(inner) => inner,
                None => &mut instruction,
            };
            match heredoc_words(line) {
                Ok(docs) => {
                    for (name, chomp, expand) in docs {
                        let first = line_no + 1;
                        let mut content = String::new();
                        let mut terminated = false;
                        for raw in lines.by_ref() {
                            line_no += 1;
                            let body = trim_newline(raw);
                            let candidate = if chomp {
                                body.trim_start_matches('\t')
                            } else {
                                body
                            };
                            if candidate == name {
                                terminated = true;
                                break;
                            }
                            content.push_str(candidate);
                            content.push('\n');
                        }
                        if !terminated {
                            out.error(
                                start_line,
                                format!(
                                    "unterminated heredoc: no line `{name}` after line {start_line}"
                                ),
                            );
                        }
                        target.form = Form::Heredoc;
                        target.heredocs.push(Heredoc {
                            name,
                            line: first,
                            chomp,
                            expand,
                            content,
                        });
                        if !terminated {
                            break;
                        }
                    }
                }
                Err(message) => out.error(start_line, message),
            }
        }
        instruction.end_line = line_no.max(start_line);
        if let Some(inner) = instruction.trigger.as_deref_mut() {
            inner.end_line = instruction.end_line;
        }
        out.instructions.push(instruction);
    }
    out.lines = line_no;
    if out.instructions.is_empty() {
        out.error(
            line_no.max(1),
            "file with no instructions (empty or only comments)".to_string(),
        );
    }
    out
}

/// `line.contains("<<")` without building a substring searcher: a fast search for `<`, then a
/// look at the next byte.
fn has_double_lt(line: &str) -> bool {
    let b = line.as_bytes();
    memchr::memchr_iter(b'<', b).any(|i| b.get(i + 1) == Some(&b'<'))
}

/// The physical lines of a text, each with its `\n` (none after a final newline), like
/// `split_inclusive('\n')` but with a SIMD search for the newline (this runs on every line).
struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', self.rest.as_bytes()).map_or(self.rest.len(), |i| i + 1);
        // `\n` is ASCII, so `end` is a character boundary.
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(line)
    }
}

/// BuildKit's `canContainHeredoc`: RUN, COPY, ADD (also wrapped in ONBUILD) in shell form.
fn can_contain_heredoc(i: &Instruction) -> bool {
    let i = match (&i.keyword[..], &i.trigger) {
        ("ONBUILD", Some(inner)) => inner,
        _ => i,
    };
    matches!(&i.keyword[..], "RUN" | "COPY" | "ADD") && i.form != Form::Json
}

/// The keywords BuildKit knows, sorted (the order of `Analysis::counts`).
pub(crate) const KEYWORDS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// The upper-cased keyword, borrowed from [`KEYWORDS`] when known (no allocation).
fn keyword_of(cmd: &str) -> Cow<'static, str> {
    // Upper-case into a stack buffer as long as the longest keyword, then one `match`.
    let mut buf = [0u8; 11];
    if let Some(upper) = buf.get_mut(..cmd.len()) {
        upper.copy_from_slice(cmd.as_bytes());
        upper.make_ascii_uppercase();
        if let Some(i) = keyword_index(upper) {
            return Cow::Borrowed(KEYWORDS[i]);
        }
    }
    Cow::Owned(cmd.to_ascii_uppercase())
}

/// The position in [`KEYWORDS`] of an upper-cased keyword (a `match`: no string comparisons
/// through `memcmp`, unlike a binary search).
pub(crate) fn keyword_index(upper: &[u8]) -> Option<usize> {
    Some(match upper {
        b"ADD" => 0,
        b"ARG" => 1,
        b"CMD" => 2,
        b"COPY" => 3,
        b"ENTRYPOINT" => 4,
        b"ENV" => 5,
        b"EXPOSE" => 6,
        b"FROM" => 7,
        b"HEALTHCHECK" => 8,
        b"LABEL" => 9,
        b"MAINTAINER" => 10,
        b"ONBUILD" => 11,
        b"RUN" => 12,
        b"SHELL" => 13,
        b"STOPSIGNAL" => 14,
        b"USER" => 15,
        b"VOLUME" => 16,
        b"WORKDIR" => 17,
        _ => return None,
    })
}

/// Keywords BuildKit knows, with the flags each accepts.
fn known_flags(keyword: &str) -> Option<&'static [&'static str]> {
    Some(match keyword {
        "FROM" => &["platform"],
        "RUN" => &["mount", "network", "security", "device"],
        "COPY" => &["from", "chown", "chmod", "link", "parents", "exclude"],
        "ADD" => &[
            "chown",
            "chmod",
            "link",
            "keep-git-dir",
            "checksum",
            "exclude",
            "parents",
            "unpack",
        ],
        "HEALTHCHECK" => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        "ARG" | "CMD" | "ENTRYPOINT" | "ENV" | "EXPOSE" | "LABEL" | "MAINTAINER" | "ONBUILD"
        | "SHELL" | "STOPSIGNAL" | "USER" | "VOLUME" | "WORKDIR" => &[],
        _ => return None,
    })
}

/// BuildKit's `newNodeFromLine` + `splitCommand` + the per-keyword line parsers, with the
/// argument checks of its `instructions` package. `depth` is 1 inside ONBUILD.
fn node_from_line(
    line: &str,
    line_no: u32,
    escape: u8,
    out: &mut Parsed,
    depth: u8,
) -> Instruction {
    let (cmd, rest) = split_go_whitespace_once(trim_go_space(line));
    let (args_str, flags) = extract_builder_flags(rest);
    let rest = trim_go_space(args_str);
    let keyword = keyword_of(cmd);
    let mut i = Instruction {
        keyword,
        line: line_no,
        end_line: line_no,
        flags,
        args: Vec::new(),
        form: Form::Shell,
        heredocs: Vec::new(),
        trigger: None,
    };

    let Some(allowed) = known_flags(&i.keyword) else {
        let shown: String = cmd.chars().take(60).collect();
        out.error(line_no, format!("unknown instruction: {shown}"));
        if !rest.is_empty() {
            i.args.push(rest.to_string());
        }
        return i;
    };
    for flag in &i.flags {
        let name = flag.trim_start_matches('-');
        let name = name.split_once('=').map_or(name, |(k, _)| k);
        if !allowed.contains(&name) {
            let shown: String = name.chars().take(60).collect();
            out.error(line_no, format!("{}: unknown flag: {shown}", i.keyword));
        }
    }

    // Known keywords are borrowed statics, so this clone does not allocate.
    let keyword = i.keyword.clone();
    match &keyword[..] {
        "RUN" | "CMD" | "ENTRYPOINT" | "SHELL" => {
            maybe_json(&mut i, rest, out);
            if i.keyword == "SHELL" && i.form != Form::Json {
                out.error(
                    line_no,
                    "SHELL requires the arguments to be in JSON form".to_string(),
                );
            }
        }
        "ADD" | "COPY" | "VOLUME" if !maybe_json(&mut i, rest, out) => {
            i.form = Form::Shell;
            i.args = split_go_whitespace(rest);
        }
        "EXPOSE" | "FROM" => i.args = split_go_whitespace(rest),
        "ARG" => i.args = parse_words(rest, escape),
        "ENV" | "LABEL" => name_values(&mut i, rest, escape, out),
        "MAINTAINER" | "STOPSIGNAL" | "USER" | "WORKDIR" if !rest.is_empty() => {
            i.args.push(rest.to_string());
        }
        "HEALTHCHECK" => healthcheck(&mut i, rest, out),
        "ONBUILD" => {
            if depth == 0 && !rest.is_empty() {
                let inner = node_from_line(rest, line_no, escape, out, 1);
                if matches!(&inner.keyword[..], "ONBUILD" | "FROM" | "MAINTAINER") {
                    out.error(
                        line_no,
                        format!("{} isn't allowed as an ONBUILD trigger", inner.keyword),
                    );
                }
                i.trigger = Some(Box::new(inner));
            } else if !rest.is_empty() {
                // ONBUILD ONBUILD …: reported by the caller; the nested text is not parsed
                // further (bounded recursion).
                i.args.push(rest.to_string());
            }
        }
        _ => {}
    }
    check_arity(&i, line_no, out);
    i
}

/// `parseMaybeJSON`: a JSON array of strings becomes the arguments (exec form); an array with
/// a non-string is an error; anything else is shell form. Returns whether JSON was used.
fn maybe_json(i: &mut Instruction, rest: &str, out: &mut Parsed) -> bool {
    if rest.is_empty() {
        return false;
    }
    if rest.starts_with('[') {
        if let Some(strings) = simple_json_strings(rest) {
            i.args = strings;
            i.form = Form::Json;
            return true;
        }
        if let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(rest) {
            let mut strings = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    serde_json::Value::String(s) => strings.push(s),
                    _ => {
                        out.error(
                            i.line,
                            format!(
                                "{}: when using JSON array syntax, arrays must be comprised of \
                                 strings only",
                                i.keyword
                            ),
                        );
                        i.args = vec![rest.to_string()];
                        return true;
                    }
                }
            }
            i.args = strings;
            i.form = Form::Json;
            return true;
        }
    }
    i.args = vec![rest.to_string()];
    false
}

/// Fast path for the common JSON form: an array of strings without escapes. Returns `None`
/// for anything else (escapes, other values, invalid JSON), which then goes to serde_json.
fn simple_json_strings(text: &str) -> Option<Vec<String>> {
    let b = text.as_bytes();
    let ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    let mut i = 1;
    let mut out = Vec::new();
    ws(&mut i);
    if b.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let start = i + 1;
            let len = b[start..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            if b[start + len] != b'"' {
                return None;
            }
            out.push(text[start..start + len].to_string());
            i = start + len + 1;
            ws(&mut i);
            match b.get(i) {
                Some(b',') => {
                    i += 1;
                    ws(&mut i);
                }
                Some(b']') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    ws(&mut i);
    (i == b.len()).then_some(out)
}

/// `parseNameVal` for ENV and LABEL: `KEY value` (old form) or `KEY=value …`.
fn name_values(i: &mut Instruction, rest: &str, escape: u8, out: &mut Parsed) {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else { return };
    if !first.contains('=') {
        match split_go_whitespace_once(rest) {
            (key, value) if !value.is_empty() => {
                i.args.push(format!("{key}={value}"));
            }
            _ => out.error(i.line, format!("{} must have two arguments", i.keyword)),
        }
        return;
    }
    if i.args.is_empty() && words.iter().all(|w| w.contains('=')) {
        // The usual case: the words are the arguments (no second Vec).
        i.args = words;
        return;
    }
    for word in words {
        if !word.contains('=') {
            let shown: String = word.chars().take(60).collect();
            out.error(
                i.line,
                format!(
                    "{}: syntax error - can't find = in \"{shown}\"; must be of the form: \
                     name=value",
                    i.keyword
                ),
            );
            continue;
        }
        i.args.push(word);
    }
}

/// `parseHealthConfig`: `NONE` or `CMD` followed by shell or exec form.
fn healthcheck(i: &mut Instruction, rest: &str, out: &mut Parsed) {
    let sep = rest.bytes().position(is_go_space).unwrap_or(rest.len());
    if sep == 0 {
        return;
    }
    let kind = &rest[..sep];
    let tail = trim_go_space(&rest[sep..]);
    i.args.push(kind.to_string());
    let mut sub = Instruction {
        args: Vec::new(),
        ..i.clone()
    };
    maybe_json(&mut sub, tail, out);
    i.form = sub.form;
    i.args.extend(sub.args);
    match kind.to_ascii_uppercase().as_str() {
        "NONE" if !tail.is_empty() => {
            out.error(i.line, "HEALTHCHECK NONE takes no arguments".to_string())
        }
        "NONE" | "CMD" => {}
        other => {
            let shown: String = other.chars().take(60).collect();
            out.error(
                i.line,
                format!("unknown type {shown} in HEALTHCHECK (try CMD)"),
            );
        }
    }
}

/// Argument-count checks of BuildKit's `instructions` package.
fn check_arity(i: &Instruction, line: u32, out: &mut Parsed) {
    let n = i.args.len();
    let message = match &i.keyword[..] {
        "FROM" if n != 1 && n != 3 => Some("FROM requires either one or three arguments".into()),
        "FROM" if n == 3 && !i.args[1].eq_ignore_ascii_case("as") => {
            Some("when using FROM with 3 arguments, the second argument must be \"AS\"".to_string())
        }
        "FROM" if n == 3 && !valid_stage_name(&i.args[2]) => Some(format!(
            "invalid name for build stage: \"{}\", name can't start with a number or contain \
             symbols",
            i.args[2].chars().take(60).collect::<String>()
        )),
        "ADD" | "COPY" if n < 2 => Some(format!("{} requires at least two arguments", i.keyword)),
        "ARG" | "ENV" | "LABEL" | "EXPOSE" | "VOLUME" | "ONBUILD"
            if n == 0 && i.trigger.is_none() =>
        {
            Some(format!("{} requires at least one argument", i.keyword))
        }
        "MAINTAINER" | "STOPSIGNAL" | "USER" | "WORKDIR" if n != 1 => {
            Some(format!("{} requires exactly one argument", i.keyword))
        }
        "HEALTHCHECK" if n == 0 => Some("HEALTHCHECK requires an argument".to_string()),
        _ => None,
    };
    if let Some(m) = message {
        out.error(line, m);
    }
}

/// BuildKit's stage-name rule: `^[a-z][a-z0-9-_.]*$` on the lower-cased name.
pub(crate) fn valid_stage_name(name: &str) -> bool {
    let mut bytes = name.bytes().map(|b| b.to_ascii_lowercase());
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::{simple_json_strings, KEYWORDS};

    #[test]
    fn keywords_are_sorted_and_indexed() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        for (i, k) in KEYWORDS.iter().enumerate() {
            assert_eq!(super::keyword_index(k.as_bytes()), Some(i), "{k}");
        }
        assert_eq!(super::keyword_index(b"run"), None);
    }

    #[test]
    fn keyword_of_knows_exactly_the_keywords() {
        for k in KEYWORDS {
            for written in [k.to_string(), k.to_ascii_lowercase()] {
                assert!(
                    matches!(super::keyword_of(&written), std::borrow::Cow::Borrowed(b) if b == k)
                );
            }
        }
        for other in ["", "RUNX", "RU", "HEALTHCHECKS", "ÉNV", "run\u{0}"] {
            let k = super::keyword_of(other);
            assert!(matches!(k, std::borrow::Cow::Owned(_)), "{other}");
            assert_eq!(k, other.to_ascii_uppercase());
        }
    }

    #[test]
    fn json_fast_path_agrees_with_serde() {
        for text in [
            r#"["a", "b c"]"#,
            "[]",
            "[ ]",
            r#"["x"] "#,
            r#"["a\"b"]"#,
            r#"["a",]"#,
            r#"["a" "b"]"#,
            r#"["a", 1]"#,
            r#"["unterminated]"#,
            r#"["a"] x"#,
            r#"["\u00e9"]"#,
        ] {
            let slow = serde_json::from_str::<Vec<serde_json::Value>>(text).ok();
            match simple_json_strings(text) {
                Some(fast) => {
                    let slow: Vec<String> = slow
                        .expect(text)
                        .into_iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(fast, slow, "{text}");
                }
                None => assert!(
                    slow.is_none()
                        || text.contains('\\')
                        || slow.unwrap().iter().any(|v| !v.is_string()),
                    "{text}"
                ),
            }
        }
    }
}
