//! Word splitting the way BuildKit's parser does it: `--flag` extraction, `parseWords` for ARG,
//! ENV and LABEL, the `[\t\v\f\r ]+` splitter, and the raw shell lexing that finds heredoc
//! markers (`<<EOF`, `<<-EOF`, `2<<"EOF"`).

/// Go's `unicode.IsSpace(rune(b))` for one byte (BuildKit applies it byte by byte in places, so
/// the Latin-1 bytes 0x85 and 0xA0 count as spaces there).
pub(crate) fn is_go_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | 0x85 | 0xA0)
}

/// Go's `strings.TrimSpace` (Unicode white space on both ends).
pub(crate) fn trim_go_space(s: &str) -> &str {
    trim(s)
}

/// Whether `s` may begin (or end, with `last`) with white space that `trim_ascii` leaves: a
/// non-ASCII character or U+000B (vertical tab, white space for Rust but not for `trim_ascii`).
fn maybe_more_space(b: Option<&u8>) -> bool {
    b.is_some_and(|&c| c >= 0x80 || c == 0x0B)
}

/// `str::trim` (Unicode white space), with a fast path for ASCII ends.
pub(crate) fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    let b = t.as_bytes();
    if maybe_more_space(b.first()) || maybe_more_space(b.last()) {
        t.trim()
    } else {
        t
    }
}

/// `str::trim_start` (Unicode white space), with a fast path for an ASCII start.
pub(crate) fn trim_start(s: &str) -> &str {
    let t = s.trim_ascii_start();
    if maybe_more_space(t.as_bytes().first()) {
        t.trim_start()
    } else {
        t
    }
}

/// Bytes of the `[\t\v\f\r ]` class BuildKit splits commands and word lists on.
fn is_split_space(b: u8) -> bool {
    matches!(b, b'\t' | 0x0B | 0x0C | b'\r' | b' ')
}

/// `reWhitespace.Split(s, 2)`: the text before the first run of `[\t\v\f\r ]` and the text
/// after it (empty when there is none).
pub(crate) fn split_go_whitespace_once(s: &str) -> (&str, &str) {
    match s.bytes().position(is_split_space) {
        None => (s, ""),
        Some(i) => {
            let rest = &s[i..];
            let skip = rest.bytes().take_while(|&b| is_split_space(b)).count();
            (&s[..i], &rest[skip..])
        }
    }
}

/// `reWhitespace.Split(s, -1)`, with an empty input giving no words.
pub(crate) fn split_go_whitespace(s: &str) -> Vec<String> {
    // The separators are ASCII, so every cut is at a character boundary.
    let b = s.as_bytes();
    let pieces = || {
        b.split(|&c| is_split_space(c))
            .filter(|w| !w.is_empty())
            .map(|w| w.len())
    };
    // Count first so the Vec is allocated once, at its final size.
    let mut words = Vec::with_capacity(pieces().count());
    let mut start = 0;
    for len in pieces() {
        while is_split_space(b[start]) {
            start += 1;
        }
        words.push(s[start..start + len].to_string());
        start += len;
    }
    words
}

/// BuildKit's `extractBuilderFlags`: leading words that start with `--` (quotes and `\` escapes
/// allowed inside them; a bare `--` ends the flags). Returns the rest of the line and the flags.
pub(crate) fn extract_builder_flags(line: &str) -> (&str, Vec<String>) {
    // Most instructions have no flags: the first byte is neither white space nor `-`.
    if line
        .as_bytes()
        .first()
        .is_none_or(|&c| c != b'-' && !is_go_space(c))
    {
        return (line, Vec::new());
    }
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word: Vec<u8> = Vec::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= b.len() {
        let ch = if pos < b.len() { b[pos] } else { 0 };
        if phase == Phase::Spaces {
            if pos == b.len() {
                break;
            }
            if is_go_space(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == b.len() || b[pos + 1] != b'-' {
                return (&line[pos..], words);
            }
            // Fast path: a flag without quotes or escapes is a slice of the line.
            let end = b[pos..]
                .iter()
                .position(|&c| is_go_space(c) || matches!(c, b'\'' | b'"' | b'\\'))
                .map_or(b.len(), |n| pos + n);
            if end == b.len() || is_go_space(b[end]) {
                let flag = &b[pos..end];
                if flag == b"--" {
                    if end == b.len() {
                        break;
                    }
                    return (safe_tail(line, end), words);
                }
                // A 0x85 or 0xA0 byte inside a character also ends a flag (see `is_go_space`).
                words.push(match line.get(pos..end) {
                    Some(text) => text.to_string(),
                    None => String::from_utf8_lossy(flag).into_owned(),
                });
                pos = end;
                continue;
            }
            phase = Phase::Word;
        }
        if pos == b.len() {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                words.push(String::from_utf8_lossy(&word).into_owned());
            }
            break;
        }
        if phase == Phase::Word {
            if is_go_space(ch) {
                phase = Phase::Spaces;
                if word == b"--" {
                    return (safe_tail(line, pos), words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(String::from_utf8_lossy(&word).into_owned());
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            let mut ch = ch;
            if ch == b'\\' {
                if pos + 1 == b.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
                ch = b[pos];
            }
            word.push(ch);
            pos += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut ch = ch;
        if ch == b'\\' {
            if pos + 1 == b.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            ch = b[pos];
        }
        word.push(ch);
        pos += 1;
    }
    ("", words)
}

/// `&line[pos..]`, moved forward to a character boundary (a 0x85/0xA0 byte inside a UTF-8
/// sequence counts as a space for BuildKit's byte-wise scan).
fn safe_tail(line: &str, mut pos: usize) -> &str {
    while pos < line.len() && !line.is_char_boundary(pos) {
        pos += 1;
    }
    &line[pos..]
}

/// ASCII bytes that are neither white space, quotes nor a possible escape character: inside
/// a word [`parse_words`] just steps over them.
static PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0x21;
    while c < 0x7F {
        t[c] = !matches!(c as u8, b'\'' | b'"' | b'\\' | b'`');
        c += 1;
    }
    t
};

/// BuildKit's `parseWords`: whitespace-separated words; quotes are kept but group words; the
/// escape character is kept together with the character it escapes. Every character is kept
/// except an escape character at the very end, so each word is a slice of the input.
pub(crate) fn parse_words(rest: &str, escape: u8) -> Vec<String> {
    // Byte by byte: quotes and the escape character are ASCII; only a non-ASCII byte needs its
    // character decoded (for Unicode white space and to step over it whole).
    let b = rest.as_bytes();
    let char_len = |i: usize| -> usize {
        if b[i] < 0x80 {
            1
        } else {
            rest[i..].chars().next().map_or(1, char::len_utf8)
        }
    };
    let mut words = Vec::with_capacity(4);
    let mut start: Option<usize> = None;
    let mut quote: Option<u8> = None;
    let mut end = rest.len();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
                i += 1;
            } else if c == escape && q != b'\'' {
                // The escape character takes the next character with it.
                if i + 1 == b.len() {
                    end = i;
                    i += 1;
                } else {
                    i += 1 + char_len(i + 1);
                }
            } else {
                i += char_len(i);
            }
            continue;
        }
        if PLAIN[c as usize] {
            // Ordinary ASCII: starts or continues a word; skip the whole run.
            if start.is_none() {
                start = Some(i);
            }
            i += 1;
            while i < b.len() && PLAIN[b[i] as usize] {
                i += 1;
            }
            continue;
        }
        let (white, len) = if c < 0x80 {
            (matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' '), 1)
        } else {
            let ch = rest[i..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            (ch.is_whitespace(), ch.len_utf8())
        };
        if white {
            if let Some(s) = start.take() {
                words.push(rest[s..i].to_string());
            }
            i += len;
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        if c == b'\'' || c == b'"' {
            quote = Some(c);
            i += 1;
        } else if c == escape {
            if i + 1 == b.len() {
                end = i;
                i += 1;
            } else {
                i += 1 + char_len(i + 1);
            }
        } else {
            i += len;
        }
    }
    if let Some(s) = start {
        words.push(rest[s..end.max(s)].to_string());
    }
    words
}

/// Heredoc markers on an instruction line, as BuildKit's `heredocsFromLine` finds them: the line
/// is split into shell words (quotes and escapes kept) and each word matching
/// `^(\d*)<<(-?)([^<]*)$` with a non-empty rest is a marker. Returns `(name, chomp, expand)`.
pub(crate) fn heredoc_words(line: &str) -> Result<Vec<(String, bool, bool)>, String> {
    let mut docs = Vec::new();
    for word in raw_shell_words(line) {
        let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = rest.strip_prefix("<<") else {
            continue;
        };
        let (chomp, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let name = unquote(rest).ok_or_else(|| {
            let shown: String = rest.chars().take(60).collect();
            format!("heredoc marker `{shown}`: unexpected end of statement while looking for matching quote")
        })?;
        let raw_quotes = rest.matches(['\'', '"']).count();
        let quotes = name.matches(['\'', '"']).count();
        docs.push((name, chomp, raw_quotes == quotes));
    }
    Ok(docs)
}

/// Splits a line into shell words, keeping quotes and backslashes (Docker's shell lexer with
/// `RawQuotes` and `RawEscapes`).
fn raw_shell_words(line: &str) -> Vec<&str> {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == b.len() {
            break;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            match b[i] {
                b'\\' => i += 2,
                q @ (b'\'' | b'"') => {
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        let end = i.min(b.len());
        words.push(&line[start..end]);
    }
    words
}

/// Removes shell quoting from a word; `None` on an unterminated quote.
fn unquote(word: &str) -> Option<String> {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        c @ ('"' | '\\' | '$' | '`') => out.push(c),
                        c => {
                            out.push('\\');
                            out.push(c);
                        }
                    },
                    c => out.push(c),
                }
            },
            '\\' => {
                if let Some(c) = chars.next() {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_leading_double_dash_words() {
        let (rest, flags) = extract_builder_flags("--from=build --chown=\"a b\" src dst");
        assert_eq!(flags, vec!["--from=build", "--chown=a b"]);
        assert_eq!(rest, "src dst");
        let (rest, flags) = extract_builder_flags("-- --not-a-flag x");
        assert!(flags.is_empty());
        assert_eq!(rest.trim(), "--not-a-flag x");
        let (rest, flags) = extract_builder_flags("--link");
        assert_eq!(flags, vec!["--link"]);
        assert_eq!(rest, "");
        let (rest, flags) = extract_builder_flags("-x --y");
        assert!(flags.is_empty());
        assert_eq!(rest, "-x --y");
    }

    #[test]
    fn parse_words_keeps_quotes_and_groups() {
        assert_eq!(
            parse_words(r#"A="a b" B=c\ d  C"#, b'\\'),
            vec![r#"A="a b""#, r"B=c\ d", "C"]
        );
        assert_eq!(parse_words("  ", b'\\'), Vec::<String>::new());
        assert_eq!(parse_words("X=`  y", b'`'), vec!["X=` ", "y"]);
    }

    #[test]
    fn parse_words_non_ascii_and_trailing_escapes() {
        assert_eq!(
            parse_words("A=\"x\\é\" B=\\é\u{3000}C\u{a0}D 'e\\'", b'\\'),
            vec!["A=\"x\\é\"", "B=\\é", "C", "D", "'e\\'"]
        );
        assert_eq!(parse_words("a\\", b'\\'), vec!["a"]);
        assert_eq!(parse_words("\"a\\", b'\\'), vec!["\"a"]);
    }

    /// The char-by-char version `parse_words` replaced, kept as its specification.
    fn parse_words_by_chars(rest: &str, escape: u8) -> Vec<String> {
        let escape = escape as char;
        let mut words = Vec::new();
        let mut start: Option<usize> = None;
        let mut quote: Option<char> = None;
        let mut chars = rest.char_indices();
        let mut end = rest.len();
        while let Some((i, ch)) = chars.next() {
            if let Some(q) = quote {
                if ch == q {
                    quote = None;
                } else if ch == escape && q != '\'' && chars.next().is_none() {
                    end = i;
                }
                continue;
            }
            if ch.is_whitespace() {
                if let Some(s) = start.take() {
                    words.push(rest[s..i].to_string());
                }
                continue;
            }
            if start.is_none() {
                start = Some(i);
            }
            if ch == '\'' || ch == '"' {
                quote = Some(ch);
            } else if ch == escape && chars.next().is_none() {
                end = i;
            }
        }
        if let Some(s) = start {
            words.push(rest[s..end.max(s)].to_string());
        }
        words
    }

    #[test]
    fn parse_words_agrees_with_the_char_version() {
        let alphabet = [
            "a", "=", " ", "\t", "\\", "`", "'", "\"", "é", "\u{3000}", "\u{a0}", "\u{85}", "日",
            "\u{b}",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 12) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            for escape in [b'\\', b'`'] {
                assert_eq!(
                    parse_words(&text, escape),
                    parse_words_by_chars(&text, escape),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn whitespace_splitting_agrees_with_the_char_version() {
        let by_chars = |s: &str| -> Vec<String> {
            s.split(|c: char| c.is_ascii() && is_split_space(c as u8))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        };
        for text in [
            "",
            " ",
            "a",
            " a ",
            "a\u{b}b\u{c}c\rd",
            "é\u{a0}x \u{85}y",
            "\t\t",
            "a\nb c",
        ] {
            assert_eq!(split_go_whitespace(text), by_chars(text), "{text:?}");
        }
    }

    #[test]
    fn fast_trims_agree_with_str_trims() {
        let alphabet = [
            " ", "\t", "\n", "\r", "\u{b}", "\u{c}", "\u{85}", "\u{a0}", "\u{3000}", "a", "é",
            "\u{1f}",
        ];
        for x in alphabet {
            for y in alphabet {
                for z in alphabet {
                    let text = format!("{x}{y}{z}");
                    assert_eq!(trim(&text), text.trim(), "{text:?}");
                    assert_eq!(trim_start(&text), text.trim_start(), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn whitespace_splitting() {
        assert_eq!(
            split_go_whitespace_once("RUN \t echo hi"),
            ("RUN", "echo hi")
        );
        assert_eq!(split_go_whitespace_once("USER"), ("USER", ""));
        assert_eq!(split_go_whitespace("a  b\tc"), vec!["a", "b", "c"]);
        assert!(split_go_whitespace("").is_empty());
    }

    #[test]
    fn heredoc_markers() {
        let docs = heredoc_words(r#"RUN <<EOF cat <<-'X' 2<<"Y Z" a<<B <<<no"#).unwrap();
        assert_eq!(
            docs,
            vec![
                ("EOF".to_string(), false, true),
                ("X".to_string(), true, false),
                ("Y Z".to_string(), false, false),
            ]
        );
        assert!(heredoc_words(r#"RUN <<"EOF"#).is_err());
        assert!(heredoc_words("RUN echo '<<EOF'").unwrap().is_empty());
    }
}
