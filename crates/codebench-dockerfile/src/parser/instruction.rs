//! One logical line parsed into an [`Instruction`] (BuildKit's `newNodeFromLine` and its line
//! parsers): the keywords BuildKit knows with the flags each accepts, then per keyword the
//! arguments (JSON or shell form, name=value pairs, HEALTHCHECK, ONBUILD), with the flag,
//! argument-count and stage-name checks.

use std::borrow::Cow;

use super::{Form, Instruction, Parsed};
use crate::words::{
    extract_builder_flags, is_go_space, parse_words, split_go_whitespace, split_go_whitespace_once,
    trim_go_space,
};

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
pub(super) fn node_from_line(
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
fn valid_stage_name(name: &str) -> bool {
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
