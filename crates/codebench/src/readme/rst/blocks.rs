//! Block structure: the parser's main loop over lines at one indentation, and section titles,
//! transitions, paragraphs, definition lists, literal blocks, block quotes, doctest blocks, and
//! bullet, enumerated and field lists, with the line markers that start them.

use super::lines::{blank, dedent, indent, indented_end};
use super::tables::{grid_border, simple_border};
use super::{Block, Doc, MAX_DEPTH};

/// Characters that may adorn a section title.
const ADORNMENT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The parser's state: what the document defines so far, and its section title styles.
#[derive(Default)]
pub(super) struct Parser {
    pub(super) doc: Doc,
    /// Section title styles (character, overlined) in order of first use.
    styles: Vec<(char, bool)>,
}

impl Parser {
    /// The blocks of lines at one level of indentation (the lines already dedented).
    pub(super) fn blocks(&mut self, lines: &[&str], depth: usize, top: bool) -> Vec<Block> {
        if depth > MAX_DEPTH {
            let text = lines.join("\n");
            return vec![Block::Pre(text.trim_matches('\n').to_string())];
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            if blank(line) {
                i += 1;
                continue;
            }
            if indent(line) > 0 {
                let end = indented_end(lines, i).max(i + 1);
                let inner = dedent(&lines[i..end]);
                out.push(Block::Quote(self.blocks(&inner, depth + 1, false)));
                i = end;
                continue;
            }
            let next = lines.get(i + 1).copied();
            if top && bullet(line).is_none() {
                if let Some((b, used)) = self.section(&lines[i..]) {
                    out.push(b);
                    i += used;
                    continue;
                }
            }
            if adornment(line).is_some_and(|(_, n)| n >= 4) && next.is_none_or(blank) {
                out.push(Block::Rule);
                i += 1;
                continue;
            }
            if explicit(line) {
                i = self.explicit(lines, i, depth, &mut out);
                continue;
            }
            if let Some(rest) = line.strip_prefix("__ ") {
                let end = indented_end(lines, i + 1).max(i + 1);
                let mut url = rest.trim().to_string();
                for l in &lines[i + 1..end] {
                    url.push_str(l.trim());
                }
                self.doc.anonymous.push(url);
                i = end;
                continue;
            }
            if bullet(line).is_some() {
                i = self.bullets(lines, i, depth, &mut out);
                continue;
            }
            if enumerator(line).is_some() && self.enum_starts(lines, i) {
                i = self.enumerated(lines, i, depth, &mut out);
                continue;
            }
            if grid_border(line).is_some() {
                i = self.grid_table(lines, i, depth, &mut out);
                continue;
            }
            if let Some(cols) = simple_border(line) {
                if let Some(end) = self.simple_table(lines, i, &cols, depth, &mut out) {
                    i = end;
                    continue;
                }
            }
            if field(line).is_some() {
                i = self.fields(lines, i, depth, &mut out);
                continue;
            }
            if line.starts_with(">>>") {
                let end = (i..lines.len())
                    .find(|&k| blank(lines[k]))
                    .unwrap_or(lines.len());
                out.push(Block::Literal(lines[i..end].join("\n")));
                i = end;
                continue;
            }
            i = self.paragraph(lines, i, depth, &mut out);
        }
        merge(out)
    }

    /// A section title at the start of `lines`: the block and the lines it used.
    fn section(&mut self, lines: &[&str]) -> Option<(Block, usize)> {
        let first = lines[0];
        let (title, style, used) = match adornment(first) {
            Some((c, n)) => {
                let text = lines.get(1)?;
                let under = adornment(lines.get(2)?)?;
                if blank(text) || under.0 != c || adornment(text.trim()).is_some() {
                    return None;
                }
                if n < text.trim().chars().count().min(4) {
                    return None;
                }
                (text.trim(), (c, true), 3)
            }
            None => {
                let (c, n) = adornment(lines.get(1)?)?;
                let width = first.chars().count();
                if n < width && n < 4 {
                    return None;
                }
                (first.trim(), (c, false), 2)
            }
        };
        let level = match self.styles.iter().position(|s| *s == style) {
            Some(k) => k + 1,
            None => {
                self.styles.push(style);
                self.styles.len()
            }
        };
        Some((Block::Section(level.min(6), title.to_string()), used))
    }

    /// A paragraph, a definition list item, or a paragraph ending in `::` and its literal block.
    fn paragraph(&mut self, lines: &[&str], i: usize, depth: usize, out: &mut Vec<Block>) -> usize {
        let next = lines.get(i + 1).copied();
        // One line followed by an indented block: a definition list item.
        if !lines[i].ends_with("::") && next.is_some_and(|n| !blank(n) && indent(n) > 0) {
            let end = indented_end(lines, i + 1).max(i + 2);
            let body = dedent(&lines[i + 1..end]);
            let term = lines[i].split(" : ").next().unwrap_or(lines[i]).to_string();
            out.push(Block::Defs(vec![(
                term,
                self.blocks(&body, depth + 1, false),
            )]));
            return end;
        }
        let mut end = i;
        while end < lines.len() && !blank(lines[end]) && (end == i || indent(lines[end]) == 0) {
            end += 1;
        }
        let mut text = lines[i..end].join("\n");
        if text.ends_with("::") {
            let mut k = end;
            while k < lines.len() && blank(lines[k]) {
                k += 1;
            }
            let literal = k < lines.len() && indent(lines[k]) > 0;
            if text == "::" {
                text.clear();
            } else if text[..text.len() - 2].ends_with(char::is_whitespace) {
                text.truncate(text[..text.len() - 2].trim_end().len());
            } else {
                text.pop();
            }
            if !text.is_empty() {
                out.push(Block::Para(text));
            }
            if literal {
                let lit_end = indented_end(lines, k).max(k + 1);
                out.push(Block::Literal(dedent(&lines[k..lit_end]).join("\n")));
                return lit_end;
            }
            return end;
        }
        out.push(Block::Para(text));
        end
    }

    fn bullets(
        &mut self,
        lines: &[&str],
        mut i: usize,
        depth: usize,
        out: &mut Vec<Block>,
    ) -> usize {
        let Some((mark, _, _)) = bullet(lines[i]) else {
            return i + 1;
        };
        let mut items = Vec::new();
        while i < lines.len() {
            match bullet(lines[i]) {
                Some((c, off, col)) if c == mark => {
                    let (body, end) = item_lines(lines, i, off, col);
                    items.push(self.blocks(&body, depth + 1, false));
                    i = end;
                }
                _ => break,
            }
            while i < lines.len() && blank(lines[i]) {
                i += 1;
            }
        }
        out.push(Block::Bullets(items));
        i
    }

    /// Whether an enumerator at `i` starts a list: the next line is blank, indented, another
    /// item or the end (else `1. Introduction` above an underline, or `A. Name wrote`, is text).
    fn enum_starts(&self, lines: &[&str], i: usize) -> bool {
        match lines.get(i + 1) {
            None => true,
            Some(n) => blank(n) || indent(n) > 0 || enumerator(n).is_some(),
        }
    }

    fn enumerated(
        &mut self,
        lines: &[&str],
        mut i: usize,
        depth: usize,
        out: &mut Vec<Block>,
    ) -> usize {
        let Some((format, count, value, _)) = enumerator(lines[i]) else {
            return i + 1;
        };
        let mut items = Vec::new();
        while i < lines.len() {
            match enumerator(lines[i]) {
                Some((f, c, _, off)) if f == format && (c == count || c == Count::Auto) => {
                    let (body, end) = item_lines(lines, i, off, off);
                    items.push(self.blocks(&body, depth + 1, false));
                    i = end;
                }
                _ => break,
            }
            while i < lines.len() && blank(lines[i]) {
                i += 1;
            }
        }
        let kind = match count {
            Count::LowerAlpha => Some("a"),
            Count::UpperAlpha => Some("A"),
            Count::LowerRoman => Some("i"),
            Count::UpperRoman => Some("I"),
            Count::Arabic | Count::Auto => None,
        };
        let start = (value != 1).then_some(value);
        out.push(Block::Enum(start, kind, items));
        i
    }

    fn fields(
        &mut self,
        lines: &[&str],
        mut i: usize,
        depth: usize,
        out: &mut Vec<Block>,
    ) -> usize {
        let mut items = Vec::new();
        while i < lines.len() {
            let Some((name, off)) = field(lines[i]) else {
                break;
            };
            let (body, end) = item_lines(lines, i, off, usize::MAX);
            items.push((name.to_string(), self.blocks(&body, depth + 1, false)));
            i = end;
            while i < lines.len() && blank(lines[i]) {
                i += 1;
            }
        }
        out.push(Block::Fields(items));
        i
    }
}

/// A line made of one adornment character repeated: that character and the line's length.
fn adornment(l: &str) -> Option<(char, usize)> {
    let mut cs = l.chars();
    let c = cs.next()?;
    if !ADORNMENT.contains(c) {
        return None;
    }
    let mut n = 1;
    for d in cs {
        if d != c {
            return None;
        }
        n += 1;
    }
    (n >= 2).then_some((c, n))
}

/// A bullet list item's marker: the bullet, and the byte offset and column of its text.
fn bullet(l: &str) -> Option<(char, usize, usize)> {
    let c = l.chars().next()?;
    if !"*+-\u{2022}\u{2023}\u{2043}".contains(c) {
        return None;
    }
    let rest = &l[c.len_utf8()..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let sp = indent(rest);
    Some((c, c.len_utf8() + sp, 1 + sp.max(1)))
}

/// How an enumerated list counts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Count {
    Arabic,
    Auto,
    LowerAlpha,
    UpperAlpha,
    LowerRoman,
    UpperRoman,
}

/// An enumerated list item's marker: its format (`1.`, `1)`, `(1)`), count, value, and the
/// byte offset of its text (its column too: markers are ASCII).
fn enumerator(l: &str) -> Option<(u8, Count, u64, usize)> {
    let b = l.as_bytes();
    let (open, start) = if b.first() == Some(&b'(') {
        (true, 1)
    } else {
        (false, 0)
    };
    let len = b[start..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'#')
        .count();
    if len == 0 || len > 9 {
        return None;
    }
    let tok = &l[start..start + len];
    let close = *b.get(start + len)?;
    let format = match (open, close) {
        (true, b')') => 0,
        (false, b')') => 1,
        (false, b'.') => 2,
        _ => return None,
    };
    let after = start + len + 1;
    if after < b.len() && b[after] != b' ' {
        return None;
    }
    let (count, value) = if tok == "#" {
        (Count::Auto, 1)
    } else if tok.bytes().all(|c| c.is_ascii_digit()) {
        (Count::Arabic, tok.parse().ok()?)
    } else if let Some(v) = roman(tok) {
        let lower = tok.bytes().all(|c| c.is_ascii_lowercase());
        let upper = tok.bytes().all(|c| c.is_ascii_uppercase());
        match (lower, upper) {
            (true, _) => (Count::LowerRoman, v),
            (_, true) => (Count::UpperRoman, v),
            _ => return None,
        }
    } else if tok.len() == 1 && tok.as_bytes()[0].is_ascii_alphabetic() {
        let c = tok.as_bytes()[0];
        if c.is_ascii_lowercase() {
            (Count::LowerAlpha, u64::from(c - b'a') + 1)
        } else {
            (Count::UpperAlpha, u64::from(c - b'A') + 1)
        }
    } else {
        return None;
    };
    let text = after + indent(l.get(after..).unwrap_or(""));
    Some((format, count, value, text.min(l.len())))
}

/// A Roman numeral's value (one letter other than `i` counts as a letter, as docutils reads it).
fn roman(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    if lower.len() == 1 && lower != "i" {
        return None;
    }
    let digit = |c: char| match c {
        'i' => Some(1i64),
        'v' => Some(5),
        'x' => Some(10),
        'l' => Some(50),
        'c' => Some(100),
        'd' => Some(500),
        'm' => Some(1000),
        _ => None,
    };
    let ds: Vec<i64> = lower.chars().map(digit).collect::<Option<_>>()?;
    let mut v = 0i64;
    for (k, d) in ds.iter().enumerate() {
        if ds.get(k + 1).is_some_and(|n| n > d) {
            v -= d;
        } else {
            v += d;
        }
    }
    u64::try_from(v).ok().filter(|v| *v > 0)
}

/// A field list item (`:name: body`): the name and the byte offset of the body.
pub(super) fn field(l: &str) -> Option<(&str, usize)> {
    let rest = l.strip_prefix(':')?;
    if rest.starts_with([' ', ':']) {
        return None;
    }
    let mut prev = ' ';
    for (k, c) in rest.char_indices() {
        if c == ':' && prev != '\\' {
            let after = &rest[k + 1..];
            if (after.is_empty() || after.starts_with(' ')) && !rest[..k].ends_with(' ') {
                return Some((&rest[..k], 1 + k + 1 + indent(after)));
            }
            return None;
        }
        if c == '`' {
            return None;
        }
        prev = c;
    }
    None
}

fn explicit(l: &str) -> bool {
    l == ".." || l.starts_with(".. ")
}

/// A list item's lines: the text after its marker, then the lines indented under it, dedented
/// to the item's text column (or less, if they are indented less); and where the item ends.
fn item_lines<'a>(lines: &[&'a str], i: usize, off: usize, col: usize) -> (Vec<&'a str>, usize) {
    let end = indented_end(lines, i + 1).max(i + 1);
    let rest = &lines[i + 1..end];
    let n = rest
        .iter()
        .filter(|l| !blank(l))
        .map(|l| indent(l))
        .min()
        .unwrap_or(col)
        .min(col);
    let mut body = vec![lines[i].get(off..).unwrap_or("")];
    body.extend(rest.iter().map(|l| {
        if indent(l) >= n {
            &l[n..]
        } else {
            l.trim_start()
        }
    }));
    (body, end)
}

/// Adjacent definition list items (and field lists) become one list.
fn merge(blocks: Vec<Block>) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    for b in blocks {
        match (out.last_mut(), b) {
            (Some(Block::Defs(a)), Block::Defs(b)) => a.extend(b),
            (Some(Block::Fields(a)), Block::Fields(b)) => a.extend(b),
            (_, b) => out.push(b),
        }
    }
    out
}
