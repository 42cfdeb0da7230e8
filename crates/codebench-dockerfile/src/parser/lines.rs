//! The file read as BuildKit's parser reads it ([`parse`]): the parser directives at its top,
//! physical lines with comments and blank lines counted, line continuations joined into one
//! logical line per instruction, and the here-document bodies that follow an instruction.

use super::instruction::node_from_line;
use super::{push_capped, Form, Heredoc, Instruction, Parsed};
use crate::analysis::Diagnostic;
use crate::words::{heredoc_words, trim_start};

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
