//! Turning the raw bytes of a file into the text the parser reads.
//!
//! BuildKit reads bytes and treats them as UTF-8; it strips a UTF-8 byte-order mark on the first
//! line. Everything else (UTF-16, NUL bytes, invalid UTF-8) is read as is and usually fails later.
//! Here every oddity is reported as a [`Diagnostic`] and the text is still made available, so a
//! study never silently loses a file.

use std::borrow::Cow;

use crate::analysis::Diagnostic;

/// The largest file analysed, in bytes (10 MiB). Larger inputs yield an error and no instructions.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The text to parse and what was found while decoding it.
pub(crate) struct Source<'a> {
    pub text: Cow<'a, str>,
    pub errors: Vec<Diagnostic>,
}

/// Decodes `bytes`: strips a UTF-8 BOM, decodes UTF-16 with a BOM (flagged as an error, since
/// BuildKit cannot read it), replaces invalid UTF-8 (flagged), and flags NUL bytes (binary file).
pub(crate) fn decode(bytes: &[u8]) -> Source<'_> {
    let mut errors = Vec::new();
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return finish(rest, errors);
    }
    let utf16 = if bytes.starts_with(b"\xFF\xFE") {
        Some(("UTF-16LE", u16::from_le_bytes as fn([u8; 2]) -> u16))
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(("UTF-16BE", u16::from_be_bytes as fn([u8; 2]) -> u16))
    } else {
        None
    };
    if let Some((name, to_unit)) = utf16 {
        errors.push(Diagnostic::file(format!(
            "encoding: the file is {name} (byte-order mark); BuildKit reads only UTF-8, \
             the text was decoded to analyse it anyway"
        )));
        let units = bytes[2..].chunks_exact(2).map(|c| to_unit([c[0], c[1]]));
        let text: String = char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        if bytes.len() % 2 == 1 {
            errors.push(Diagnostic::file(format!(
                "encoding: {name} text has an odd number of bytes; the last byte was ignored"
            )));
        }
        return finish_owned(text, errors);
    }
    finish(bytes, errors)
}

fn finish(bytes: &[u8], mut errors: Vec<Diagnostic>) -> Source<'_> {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(e) => {
            let line = line_of(bytes, e.valid_up_to());
            errors.push(Diagnostic::at(
                line,
                "encoding: invalid UTF-8 (first bad byte on this line); bad bytes were \
                 replaced with U+FFFD"
                    .to_string(),
            ));
            String::from_utf8_lossy(bytes)
        }
    };
    check_nul(text, errors)
}

fn finish_owned(text: String, errors: Vec<Diagnostic>) -> Source<'static> {
    check_nul(Cow::Owned(text), errors)
}

fn check_nul(text: Cow<'_, str>, mut errors: Vec<Diagnostic>) -> Source<'_> {
    if let Some(pos) = memchr::memchr(0, text.as_bytes()) {
        errors.push(Diagnostic::at(
            line_of(text.as_bytes(), pos),
            "binary content: NUL byte (first one on this line); this is probably not a Dockerfile"
                .to_string(),
        ));
    }
    Source { text, errors }
}

/// 1-based line number of byte offset `pos`.
fn line_of(bytes: &[u8], pos: usize) -> u32 {
    let newlines = bytes[..pos.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}
