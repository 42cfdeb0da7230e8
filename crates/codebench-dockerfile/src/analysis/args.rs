//! ARG values: an ARG default unquoted, and `$NAME` / `${NAME...}` references expanded from
//! the global ARG defaults.

use std::collections::BTreeMap;

/// Removes one level of shell quotes from an ARG default (`"3.11"` → `3.11`).
pub(super) fn unquote_value(v: &str) -> String {
    let bytes = v.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.replace("\\ ", " ")
    }
}

/// Substitutes `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}`,
/// `${NAME+alt}` from global ARG defaults. Unresolvable references are left in place; returns
/// the text and whether everything was resolved.
pub(super) fn expand_args(text: &str, args: &BTreeMap<String, Option<String>>) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut all = true;
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, op, word, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    let body = &inner[..end];
                    let name_len = body
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(body.len());
                    let (name, tail) = body.split_at(name_len);
                    let (op, word) = ["-", ":-", "+", ":+"]
                        .iter()
                        .filter_map(|op| tail.strip_prefix(op).map(|w| (*op, w)))
                        .max_by_key(|(op, _)| op.len())
                        .unwrap_or(("", tail));
                    (name, op, word, end + 2)
                }
                None => ("", "", "", 0),
            }
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..n], "", "", n)
        };
        if name.is_empty() || (op.is_empty() && !word.is_empty()) {
            // Not a reference we understand: keep the `$` literally.
            out.push('$');
            all = false;
            rest = after;
            continue;
        }
        let value = args.get(name).cloned().flatten();
        let set = value.as_deref().is_some_and(|v| !v.is_empty());
        let declared_set = value.is_some();
        let original = &rest[pos..pos + 1 + consumed];
        match op {
            "" => match value {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str(original);
                    all = false;
                }
            },
            ":-" | "-" => {
                let use_value = if op == ":-" { set } else { declared_set };
                match value {
                    Some(v) if use_value => out.push_str(&v),
                    _ => out.push_str(word),
                }
            }
            _ => {
                let use_alt = if op == ":+" { set } else { declared_set };
                if use_alt {
                    out.push_str(word);
                }
            }
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    (out, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn arg_expansion() {
        let a = args(&[
            ("BASE", Some("python")),
            ("TAG", Some("3.11")),
            ("EMPTY", Some("")),
            ("NODEF", None),
        ]);
        assert_eq!(
            expand_args("${BASE}:$TAG", &a),
            ("python:3.11".to_string(), true)
        );
        assert_eq!(expand_args("${NODEF}", &a), ("${NODEF}".to_string(), false));
        assert_eq!(
            expand_args("${UNKNOWN:-ubuntu}", &a),
            ("ubuntu".to_string(), true)
        );
        assert_eq!(expand_args("${EMPTY:-x}", &a), ("x".to_string(), true));
        assert_eq!(expand_args("${EMPTY-x}", &a), ("".to_string(), true));
        assert_eq!(
            expand_args("a${TAG:+-slim}", &a),
            ("a-slim".to_string(), true)
        );
        assert!(!expand_args("${BROKEN", &a).1);
        assert_eq!(expand_args("plain", &a), ("plain".to_string(), true));
    }
}
