//! reStructuredText READMEs to HTML: a conversion of the subset READMEs use.
//!
//! No maintained Rust renderer reads real READMEs: `rst_parser` 0.4.2 (April 2025) rejects
//! `:width: 320` and `:align: center` on images, `rst_renderer` 0.4.2 panics (`not implemented`)
//! on a common README, and neither has tables; `parserst` 0.1.1 drops the content of code
//! blocks and knows no substitutions or named targets. So this module reads, after docutils'
//! rules: section titles (underlined or over- and underlined, levels in order of first use),
//! paragraphs, bullet, enumerated, definition and field lists (nested by indentation), block
//! quotes, literal blocks (`::`, `code-block`, `code`, `sourcecode`), doctest blocks, grid and
//! simple tables (spanning cells shown as preformatted text), `list-table` and `csv-table`,
//! images and figures, substitutions (badges: `.. |name| image:: url` with `:target:`, and
//! `replace::`), hyperlink targets (named, anonymous, indirect), admonitions, footnotes,
//! comments (dropped), `raw:: html`, and inline literals, emphasis, strong, interpreted text,
//! roles, references and bare URLs. Any other directive is shown as preformatted text.
//!
//! The output is not trusted: the caller sanitises it like Markdown's. Nesting is bounded
//! (deeper blocks are shown as text), so is the output, and no input makes it panic.

use std::collections::HashMap;

/// Blocks nested deeper than this (quotes in lists in tables ...) are shown as preformatted text.
const MAX_DEPTH: usize = 16;
/// Output past this many bytes is cut: references and substitutions can multiply the input.
const MAX_OUTPUT: usize = 8 << 20;
/// Longest substitution text expanded; longer ones are shown as their reference.
const MAX_SUB_TEXT: usize = 4096;
/// Inline markup is searched for its end at most this far (in characters).
const MAX_SPAN: usize = 8192;

/// Characters that may adorn a section title.
const ADORNMENT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The HTML of a reStructuredText document (not yet sanitised).
pub(super) fn to_html(text: &str) -> String {
    let lines: Vec<String> = text
        .trim_start_matches('\u{feff}')
        .split('\n')
        .map(clean_line)
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut parser = Parser::default();
    let blocks = parser.blocks(&refs, 0, true);
    let mut r = Renderer {
        doc: &parser.doc,
        anon: 0,
        out: String::with_capacity(text.len() + text.len() / 2),
        cut: false,
    };
    r.blocks(&blocks);
    if r.cut {
        r.out
            .push_str("<p><em>(The rest of this README is not shown: it is too long.)</em></p>\n");
    }
    r.out
}

/// A line with tabs expanded to 8-column stops, other control characters made spaces, and
/// trailing whitespace removed.
fn clean_line(line: &str) -> String {
    let mut s = String::with_capacity(line.len());
    let mut col = 0;
    for c in line.chars() {
        if c == '\t' {
            let n = 8 - col % 8;
            s.extend(std::iter::repeat_n(' ', n));
            col += n;
        } else {
            s.push(if c.is_control() { ' ' } else { c });
            col += 1;
        }
    }
    s.truncate(s.trim_end().len());
    s
}

#[derive(Debug)]
enum Block {
    Section(usize, String),
    Para(String),
    Literal(String),
    Raw(String),
    Pre(String),
    Bullets(Vec<Vec<Block>>),
    Enum(Option<u64>, Option<&'static str>, Vec<Vec<Block>>),
    Defs(Vec<(String, Vec<Block>)>),
    Fields(Vec<(String, Vec<Block>)>),
    Quote(Vec<Block>),
    Image(Image),
    Figure(Image, Vec<Block>),
    Admonition(String, Vec<Block>),
    Rubric(String),
    Table(Vec<Row>, Vec<Row>),
    Footnote(String, Vec<Block>),
    Container(Vec<Block>),
    Rule,
}

type Row = Vec<Vec<Block>>;

#[derive(Debug, Clone, Default)]
struct Image {
    uri: String,
    alt: Option<String>,
    target: Option<String>,
    width: Option<String>,
    height: Option<String>,
}

#[derive(Debug)]
enum Sub {
    Image(Image),
    Text(String),
}

/// What the whole document defines, used wherever it is referred to.
#[derive(Default)]
struct Doc {
    /// Named hyperlink targets by normalised name: a URL, or `name_` for an indirect one.
    targets: HashMap<String, String>,
    /// Anonymous targets in document order.
    anonymous: Vec<String>,
    /// Substitution definitions by name.
    subs: HashMap<String, Sub>,
}

impl Doc {
    /// The URL a reference name leads to, following indirect targets a few steps.
    fn target(&self, name: &str) -> Option<&str> {
        let mut key = normalise(name);
        for _ in 0..8 {
            let t = self.targets.get(&key)?;
            match indirect(t) {
                Some(next) => key = normalise(next),
                None => return Some(t),
            }
        }
        None
    }

    /// A substitution by name: its case first, else any case.
    fn sub(&self, name: &str) -> Option<&Sub> {
        let spaced = name.split_whitespace().collect::<Vec<_>>().join(" ");
        self.subs.get(&spaced).or_else(|| {
            let lower = spaced.to_lowercase();
            self.subs
                .iter()
                .find(|(k, _)| k.to_lowercase() == lower)
                .map(|(_, v)| v)
        })
    }
}

/// A target that names another (`other_` or `` `other name`_ ``), as that name.
fn indirect(t: &str) -> Option<&str> {
    let t = t.strip_suffix('_')?;
    if t.ends_with('\\') || t.is_empty() {
        return None;
    }
    Some(
        t.strip_prefix('`')
            .and_then(|t| t.strip_suffix('`'))
            .unwrap_or(t),
    )
}

/// Reference names match ignoring case and runs of whitespace.
fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn blank(l: &str) -> bool {
    l.trim().is_empty()
}

fn indent(l: &str) -> usize {
    l.bytes().take_while(|&b| b == b' ').count()
}

/// The end (exclusive) of the block of lines from `start` that are blank or indented, with
/// trailing blank lines left out.
fn indented_end(lines: &[&str], start: usize) -> usize {
    let mut end = start;
    let mut last = start;
    while end < lines.len() && (blank(lines[end]) || indent(lines[end]) > 0) {
        end += 1;
        if !blank(lines[end - 1]) {
            last = end;
        }
    }
    last
}

/// Lines with their common indentation removed.
fn dedent<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let n = lines
        .iter()
        .filter(|l| !blank(l))
        .map(|l| indent(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if indent(l) >= n {
                &l[n..]
            } else {
                l.trim_start()
            }
        })
        .collect()
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
fn field(l: &str) -> Option<(&str, usize)> {
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

/// Column boundaries (`+` positions, in characters) of a grid table's border line.
fn grid_border(l: &str) -> Option<Vec<usize>> {
    let cs: Vec<char> = l.chars().collect();
    if cs.len() < 3 || cs[0] != '+' || cs[cs.len() - 1] != '+' || cs[1] == '+' {
        return None;
    }
    if !cs.iter().all(|c| "+-=".contains(*c)) {
        return None;
    }
    Some(
        cs.iter()
            .enumerate()
            .filter(|(_, c)| **c == '+')
            .map(|(k, _)| k)
            .collect(),
    )
}

/// The column starts and ends (in characters) of a simple table's border (`===  ===`).
fn simple_border(l: &str) -> Option<Vec<(usize, usize)>> {
    if !l.starts_with('=') || !l.chars().all(|c| c == '=' || c == ' ') {
        return None;
    }
    let mut cols = Vec::new();
    let mut start = None;
    for (k, c) in l.chars().chain(std::iter::once(' ')).enumerate() {
        match (c, start) {
            ('=', None) => start = Some(k),
            (' ', Some(s)) => {
                cols.push((s, k));
                start = None;
            }
            _ => {}
        }
    }
    (cols.len() >= 2).then_some(cols)
}

fn chars_between(cs: &[char], from: usize, to: usize) -> String {
    let to = to.min(cs.len());
    if from >= to {
        return String::new();
    }
    let s: String = cs[from..to].iter().collect();
    s.trim_end().to_string()
}

#[derive(Default)]
struct Parser {
    doc: Doc,
    /// Section title styles (character, overlined) in order of first use.
    styles: Vec<(char, bool)>,
}

impl Parser {
    /// The blocks of lines at one level of indentation (the lines already dedented).
    fn blocks(&mut self, lines: &[&str], depth: usize, top: bool) -> Vec<Block> {
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

    /// An explicit markup block (`.. `): target, footnote, substitution, directive or comment.
    fn explicit(&mut self, lines: &[&str], i: usize, depth: usize, out: &mut Vec<Block>) -> usize {
        let end = indented_end(lines, i + 1).max(i + 1);
        let first = lines[i].get(2..).unwrap_or("").trim_start();
        let body = &lines[i + 1..end];
        if first.is_empty() {
            // An empty comment ends at a blank line; with text under it, it is a comment too.
            return if lines.get(i + 1).is_some_and(|l| blank(l)) {
                i + 1
            } else {
                end
            };
        }
        if let Some(rest) = first.strip_prefix('_') {
            self.target(rest, body);
        } else if let Some(rest) = first.strip_prefix('[') {
            if let Some(close) = rest.find(']') {
                let label = rest[..close].to_string();
                let mut text = vec![rest[close + 1..].trim()];
                text.extend(dedent(body));
                out.push(Block::Footnote(label, self.blocks(&text, depth + 1, false)));
            }
        } else if let Some(rest) = first.strip_prefix('|') {
            if let Some(close) = rest.find('|') {
                let name = &rest[..close];
                if let Some((kind, args)) = directive_head(rest[close + 1..].trim_start()) {
                    self.substitution(name, &kind, args, body);
                }
            }
        } else if let Some((name, args)) = directive_head(first) {
            self.directive(&name, args, lines, i, end, depth, out);
        }
        end
    }

    /// `_name: url`, `` _`name`: url ``, `__: url` (anonymous) or `_name:` (internal, ignored).
    fn target(&mut self, rest: &str, body: &[&str]) {
        let (name, url) = if let Some(r) = rest.strip_prefix('`') {
            match r.find("`:") {
                Some(k) => (&r[..k], &r[k + 2..]),
                None => return,
            }
        } else {
            let mut split = None;
            let mut prev = ' ';
            for (k, c) in rest.char_indices() {
                if c == ':' && prev != '\\' && rest[k + 1..].chars().next().is_none_or(|n| n == ' ')
                {
                    split = Some(k);
                    break;
                }
                prev = c;
            }
            match split {
                Some(k) => (&rest[..k], &rest[k + 1..]),
                None => return,
            }
        };
        let mut url: String = url.trim().to_string();
        for l in body {
            url.push_str(l.trim());
        }
        if url.is_empty() {
            return;
        }
        if name == "_" {
            self.doc.anonymous.push(url);
        } else {
            self.doc
                .targets
                .entry(normalise(&name.replace("\\:", ":")))
                .or_insert(url);
        }
    }

    fn substitution(&mut self, name: &str, kind: &str, args: &str, body: &[&str]) {
        let d = directive_parts(args, body);
        let sub = match kind {
            "image" => {
                let mut img = image(&d);
                if img.alt.is_none() {
                    img.alt = Some(name.to_string());
                }
                Sub::Image(img)
            }
            "replace" => {
                let mut t = d.args.clone();
                for l in &d.content {
                    t.push(' ');
                    t.push_str(l.trim());
                }
                Sub::Text(t)
            }
            "unicode" => Sub::Text(
                d.args
                    .split_whitespace()
                    .take_while(|w| *w != "..")
                    .map(|w| {
                        let hex = w
                            .strip_prefix("U+")
                            .or_else(|| w.strip_prefix("u+"))
                            .or_else(|| w.strip_prefix("0x"))
                            .or_else(|| w.strip_prefix("\\x"))
                            .or_else(|| w.strip_prefix("&#x").and_then(|h| h.strip_suffix(';')));
                        match hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                            Some(n) => char::from_u32(n).map(String::from).unwrap_or_default(),
                            None => match w.parse::<u32>().ok().and_then(char::from_u32) {
                                Some(c) => c.to_string(),
                                None => w.to_string(),
                            },
                        }
                    })
                    .collect(),
            ),
            _ => return,
        };
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        self.doc.subs.entry(name).or_insert(sub);
    }

    #[allow(clippy::too_many_arguments)]
    fn directive(
        &mut self,
        name: &str,
        args: &str,
        lines: &[&str],
        i: usize,
        end: usize,
        depth: usize,
        out: &mut Vec<Block>,
    ) {
        let body = &lines[i + 1..end];
        let d = directive_parts(args, body);
        let content = |p: &mut Parser, c: &[&str]| p.blocks(c, depth + 1, false);
        match name {
            "image" => out.push(Block::Image(image(&d))),
            "figure" => {
                let caption = content(self, &d.content);
                out.push(Block::Figure(image(&d), caption));
            }
            "code-block"
            | "code"
            | "sourcecode"
            | "highlight-block"
            | "parsed-literal"
            | "math"
            | "literalinclude-text" => {
                out.push(Block::Literal(d.content.join("\n")));
            }
            "note" | "warning" | "tip" | "hint" | "important" | "caution" | "danger" | "error"
            | "attention" | "seealso" | "todo" => {
                let title = match name {
                    "seealso" => "See also".to_string(),
                    n => {
                        let mut t: Vec<char> = n.chars().collect();
                        t[0] = t[0].to_ascii_uppercase();
                        t.into_iter().collect()
                    }
                };
                // The directive's text starts on its own line.
                let mut text: Vec<&str> = Vec::new();
                if !args.trim().is_empty() {
                    text.push(args.trim());
                }
                let rest = dedent(body);
                let skip = rest.iter().take_while(|l| field(l).is_some()).count();
                text.extend_from_slice(&rest[if text.is_empty() { skip } else { 0 }..]);
                let blocks = content(self, &text);
                out.push(Block::Admonition(title, blocks));
            }
            "admonition" | "topic" | "sidebar" => {
                let blocks = content(self, &d.content);
                out.push(Block::Admonition(d.args.clone(), blocks));
            }
            "rubric" => out.push(Block::Rubric(d.args.clone())),
            "container" | "class" | "rst-class" | "compound" | "only" | "tab" | "tabs"
            | "group-tab" | "ifconfig" => {
                let blocks = content(self, &d.content);
                out.push(Block::Container(blocks));
            }
            "epigraph" | "highlights" | "pull-quote" => {
                let blocks = content(self, &d.content);
                out.push(Block::Quote(blocks));
            }
            "raw" => {
                let html = d
                    .args
                    .split_whitespace()
                    .any(|f| f.eq_ignore_ascii_case("html"));
                let external = d.options.iter().any(|(k, _)| k == "file" || k == "url");
                if html && !external {
                    out.push(Block::Raw(d.content.join("\n")));
                }
            }
            "list-table" => {
                let blocks = content(self, &d.content);
                match list_table(blocks, header_rows(&d)) {
                    Some(t) => out.push(t),
                    None => out.push(Block::Pre(lines[i..end].join("\n"))),
                }
            }
            "csv-table" => match self.csv_table(&d, depth) {
                Some(t) => out.push(t),
                None => out.push(Block::Pre(lines[i..end].join("\n"))),
            },
            // Directives that only set up the rendering, or insert what a README cannot reach.
            "highlight" | "default-role" | "role" | "meta" | "contents" | "sectnum"
            | "section-numbering" | "title" | "header" | "footer" | "target-notes" | "toctree"
            | "index" | "include" | "literalinclude" | "automodule" | "autoclass"
            | "autofunction" | "currentmodule" | "module" => {}
            _ => out.push(Block::Pre(lines[i..end].join("\n"))),
        }
    }

    fn csv_table(&mut self, d: &Directive, depth: usize) -> Option<Block> {
        let read = |text: &str| -> Option<Vec<Vec<String>>> {
            let text = skip_initial_space(text);
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .trim(csv::Trim::All)
                .from_reader(text.as_bytes());
            r.records()
                .map(|rec| rec.ok().map(|rec| rec.iter().map(str::to_string).collect()))
                .collect()
        };
        let mut head = Vec::new();
        if let Some((_, h)) = d.options.iter().find(|(k, _)| k == "header") {
            head = read(h)?;
        }
        let body = read(&d.content.join("\n"))?;
        let n = header_rows(d).min(body.len());
        let cells = |rows: Vec<Vec<String>>, p: &mut Parser| -> Vec<Row> {
            rows.into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|c| {
                            let ls: Vec<&str> = c.lines().collect();
                            p.blocks(&ls, depth + 1, false)
                        })
                        .collect()
                })
                .collect()
        };
        let mut body = body;
        let rest = body.split_off(n);
        head.extend(body);
        let head = cells(head, self);
        let body = cells(rest, self);
        Some(Block::Table(head, body))
    }

    fn grid_table(
        &mut self,
        lines: &[&str],
        i: usize,
        depth: usize,
        out: &mut Vec<Block>,
    ) -> usize {
        let mut end = i;
        while end < lines.len() && (lines[end].starts_with('+') || lines[end].starts_with('|')) {
            end += 1;
        }
        let pre = |out: &mut Vec<Block>| out.push(Block::Pre(lines[i..end].join("\n")));
        let Some(cols) = grid_border(lines[i]) else {
            pre(out);
            return end;
        };
        let mut head: Vec<Row> = Vec::new();
        let mut body: Vec<Row> = Vec::new();
        let mut cell_lines: Vec<Vec<String>> = vec![Vec::new(); cols.len() - 1];
        let mut closed = true;
        for l in &lines[i + 1..end] {
            let cs: Vec<char> = l.chars().collect();
            if let Some(b) = grid_border(l) {
                if b != cols {
                    pre(out);
                    return end;
                }
                let row: Row = cell_lines
                    .iter_mut()
                    .map(|c| {
                        let ls: Vec<&str> = c.iter().map(String::as_str).collect();
                        let ls = dedent(&ls);
                        let blocks = self.blocks(&ls, depth + 1, false);
                        c.clear();
                        blocks
                    })
                    .collect();
                body.push(row);
                if l.contains('=') {
                    if !head.is_empty() {
                        pre(out);
                        return end;
                    }
                    head = std::mem::take(&mut body);
                }
                closed = true;
                continue;
            }
            if cs.len() != cols[cols.len() - 1] + 1 || cols.iter().any(|&k| cs[k] != '|') {
                pre(out);
                return end;
            }
            for (k, w) in cols.windows(2).enumerate() {
                cell_lines[k].push(chars_between(&cs, w[0] + 1, w[1]));
            }
            closed = false;
        }
        if !closed {
            pre(out);
            return end;
        }
        out.push(Block::Table(head, body));
        end
    }

    /// A simple table from its top border at `i`, or `None` if no closing border follows.
    fn simple_table(
        &mut self,
        lines: &[&str],
        i: usize,
        cols: &[(usize, usize)],
        depth: usize,
        out: &mut Vec<Block>,
    ) -> Option<usize> {
        let find = |from: usize| (from..lines.len()).find(|&k| simple_border(lines[k]).is_some());
        let b2 = find(i + 1)?;
        let (head, body, end) = match lines.get(b2 + 1) {
            Some(n) if !blank(n) => match find(b2 + 1) {
                Some(b3) => (i + 1..b2, b2 + 1..b3, b3 + 1),
                None => (i + 1..i + 1, i + 1..b2, b2 + 1),
            },
            _ => (i + 1..i + 1, i + 1..b2, b2 + 1),
        };
        let rows_of = |range: std::ops::Range<usize>, p: &mut Parser| -> Option<Vec<Row>> {
            let mut rows: Vec<Vec<Vec<String>>> = Vec::new();
            for l in &lines[range] {
                if l.chars().all(|c| c == '-' || c == ' ') && !blank(l) {
                    return None;
                }
                let cs: Vec<char> = l.chars().collect();
                let cells: Vec<String> = (0..cols.len())
                    .map(|k| {
                        let to = cols.get(k + 1).map_or(cs.len(), |c| c.0);
                        chars_between(&cs, cols[k].0, to)
                    })
                    .collect();
                let new_row = !blank(&cells[0]) || rows.is_empty();
                if blank(l) {
                    if let Some(r) = rows.last_mut() {
                        r.iter_mut().for_each(|c| c.push(String::new()));
                    }
                    continue;
                }
                if new_row {
                    rows.push(cells.into_iter().map(|c| vec![c]).collect());
                } else if let Some(r) = rows.last_mut() {
                    for (c, t) in r.iter_mut().zip(cells) {
                        c.push(t);
                    }
                }
            }
            Some(
                rows.into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|c| {
                                let ls: Vec<&str> = c.iter().map(String::as_str).collect();
                                p.blocks(&dedent(&ls), depth + 1, false)
                            })
                            .collect()
                    })
                    .collect(),
            )
        };
        match (rows_of(head, self), rows_of(body, self)) {
            (Some(h), Some(b)) => out.push(Block::Table(h, b)),
            _ => out.push(Block::Pre(lines[i..end].join("\n"))),
        }
        Some(end)
    }
}

/// CSV with the spaces after each comma (outside quotes) removed, as docutils reads a
/// `csv-table` (Python's `skipinitialspace`), so that `1, "a, b"` has two fields.
fn skip_initial_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    let mut skipping = false;
    for c in text.chars() {
        if skipping && c == ' ' {
            continue;
        }
        skipping = false;
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => skipping = true,
            '\n' if !quoted => skipping = true,
            _ => {}
        }
        out.push(c);
    }
    out
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

/// A directive's name and the rest of its first line, from `name:: args`.
fn directive_head(s: &str) -> Option<(String, &str)> {
    let k = s.find("::")?;
    let name = &s[..k];
    let ok = !name.is_empty()
        && name.chars().next().is_some_and(char::is_alphanumeric)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.:+".contains(c));
    let args = &s[k + 2..];
    if !ok || !(args.is_empty() || args.starts_with(' ')) {
        return None;
    }
    Some((name.to_ascii_lowercase(), args.trim()))
}

/// A directive's arguments, options and content.
struct Directive<'a> {
    args: String,
    options: Vec<(String, String)>,
    content: Vec<&'a str>,
}

fn directive_parts<'a>(args: &str, body: &[&'a str]) -> Directive<'a> {
    let body = dedent(body);
    let mut args = args.to_string();
    let mut k = 0;
    while k < body.len() && !blank(body[k]) && field(body[k]).is_none() {
        args.push(' ');
        args.push_str(body[k].trim());
        k += 1;
    }
    let mut options = Vec::new();
    while k < body.len() {
        let Some((name, off)) = field(body[k]) else {
            break;
        };
        let mut value = body[k].get(off..).unwrap_or("").trim().to_string();
        k += 1;
        while k < body.len() && !blank(body[k]) && indent(body[k]) > 0 {
            value.push(' ');
            value.push_str(body[k].trim());
            k += 1;
        }
        options.push((name.to_ascii_lowercase(), value));
    }
    while k < body.len() && blank(body[k]) {
        k += 1;
    }
    Directive {
        args: args.trim().to_string(),
        options,
        content: dedent(&body[k..]),
    }
}

fn header_rows(d: &Directive) -> usize {
    d.options
        .iter()
        .find(|(k, _)| k == "header-rows")
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// A `list-table`: its content, one bullet list of rows each holding one bullet list of cells.
fn list_table(blocks: Vec<Block>, head: usize) -> Option<Block> {
    let [Block::Bullets(rows)] = <[Block; 1]>::try_from(blocks).ok()? else {
        return None;
    };
    let mut table: Vec<Row> = Vec::new();
    for row in rows {
        let [Block::Bullets(cells)] = <[Block; 1]>::try_from(row).ok()? else {
            return None;
        };
        table.push(cells);
    }
    let body = table.split_off(head.min(table.len()));
    Some(Block::Table(table, body))
}

fn image(d: &Directive) -> Image {
    let opt = |name: &str| {
        d.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let size = |v: Option<String>| {
        v.and_then(|v| {
            let v = v.trim().trim_end_matches("px").trim();
            let digits = v.trim_end_matches('%');
            (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.'))
                .then(|| v.to_string())
        })
    };
    Image {
        uri: d.args.split_whitespace().collect(),
        alt: opt("alt"),
        target: opt("target").map(|t| t.split_whitespace().collect()),
        width: size(opt("width")),
        height: size(opt("height")),
    }
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

struct Renderer<'d> {
    doc: &'d Doc,
    /// Anonymous references seen so far (the next takes the next anonymous target).
    anon: usize,
    out: String,
    /// Whether output was cut at `MAX_OUTPUT`.
    cut: bool,
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

impl Renderer<'_> {
    fn full(&mut self) -> bool {
        if self.out.len() > MAX_OUTPUT {
            self.cut = true;
        }
        self.cut
    }

    fn text(&mut self, s: &str) {
        escape_into(&mut self.out, s);
    }

    fn blocks(&mut self, blocks: &[Block]) {
        for b in blocks {
            if self.full() {
                return;
            }
            self.block(b);
        }
    }

    /// A list item or table cell: one paragraph is written without its `<p>`.
    fn item(&mut self, blocks: &[Block]) {
        match blocks {
            [Block::Para(t)] => self.inline(t, 0),
            bs => self.blocks(bs),
        }
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Section(level, title) => {
                self.out.push_str(&format!("<h{level}>"));
                self.inline(title, 0);
                self.out.push_str(&format!("</h{level}>\n"));
            }
            Block::Para(t) => {
                self.out.push_str("<p>");
                self.inline(t, 0);
                self.out.push_str("</p>\n");
            }
            Block::Literal(t) => {
                self.out.push_str("<pre><code>");
                self.text(t.trim_matches('\n'));
                self.out.push_str("</code></pre>\n");
            }
            Block::Pre(t) => {
                self.out.push_str("<pre>");
                self.text(t.trim_matches('\n'));
                self.out.push_str("</pre>\n");
            }
            Block::Raw(html) => {
                self.out.push_str(html);
                self.out.push('\n');
            }
            Block::Bullets(items) => {
                self.out.push_str("<ul>\n");
                for it in items {
                    self.out.push_str("<li>");
                    self.item(it);
                    self.out.push_str("</li>\n");
                }
                self.out.push_str("</ul>\n");
            }
            Block::Enum(start, kind, items) => {
                self.out.push_str("<ol");
                if let Some(s) = start {
                    self.out.push_str(&format!(" start=\"{s}\""));
                }
                if let Some(k) = kind {
                    self.out.push_str(&format!(" type=\"{k}\""));
                }
                self.out.push_str(">\n");
                for it in items {
                    self.out.push_str("<li>");
                    self.item(it);
                    self.out.push_str("</li>\n");
                }
                self.out.push_str("</ol>\n");
            }
            Block::Defs(items) | Block::Fields(items) => {
                self.out.push_str("<dl>\n");
                for (term, body) in items {
                    self.out.push_str("<dt>");
                    self.inline(term, 0);
                    self.out.push_str("</dt>\n<dd>");
                    self.item(body);
                    self.out.push_str("</dd>\n");
                }
                self.out.push_str("</dl>\n");
            }
            Block::Quote(bs) => {
                self.out.push_str("<blockquote>\n");
                self.blocks(bs);
                self.out.push_str("</blockquote>\n");
            }
            Block::Image(img) => {
                self.out.push_str("<p>");
                self.image(img, None);
                self.out.push_str("</p>\n");
            }
            Block::Figure(img, caption) => {
                self.out.push_str("<figure>");
                self.image(img, None);
                if !caption.is_empty() {
                    self.out.push_str("<figcaption>");
                    self.item(caption);
                    self.out.push_str("</figcaption>");
                }
                self.out.push_str("</figure>\n");
            }
            Block::Admonition(title, bs) => {
                self.out
                    .push_str("<div class=\"admonition\"><p class=\"admonition-title\">");
                self.inline(title, 0);
                self.out.push_str("</p>\n");
                self.blocks(bs);
                self.out.push_str("</div>\n");
            }
            Block::Rubric(t) => {
                self.out.push_str("<p><strong>");
                self.inline(t, 0);
                self.out.push_str("</strong></p>\n");
            }
            Block::Table(head, body) => {
                self.out.push_str("<table>\n");
                for (rows, tag, group) in [(head, "th", "thead"), (body, "td", "tbody")] {
                    if rows.is_empty() {
                        continue;
                    }
                    self.out.push_str(&format!("<{group}>\n"));
                    for row in rows {
                        self.out.push_str("<tr>");
                        for cell in row {
                            self.out.push_str(&format!("<{tag}>"));
                            self.item(cell);
                            self.out.push_str(&format!("</{tag}>"));
                        }
                        self.out.push_str("</tr>\n");
                    }
                    self.out.push_str(&format!("</{group}>\n"));
                }
                self.out.push_str("</table>\n");
            }
            Block::Footnote(label, bs) => {
                self.out.push_str("<dl>\n<dt>[");
                self.text(label);
                self.out.push_str("]</dt>\n<dd>");
                self.item(bs);
                self.out.push_str("</dd>\n</dl>\n");
            }
            Block::Container(bs) => self.blocks(bs),
            Block::Rule => self.out.push_str("<hr>\n"),
        }
    }

    /// An image, linked to its target or to `link`.
    fn image(&mut self, img: &Image, link: Option<&str>) {
        let href = link.map(str::to_string).or_else(|| {
            img.target
                .as_deref()
                .map(|t| self.resolve_target(t).unwrap_or(t).to_string())
        });
        if let Some(h) = &href {
            self.out.push_str("<a href=\"");
            self.text(h);
            self.out.push_str("\">");
        }
        self.out.push_str("<img src=\"");
        self.text(&img.uri);
        self.out.push('"');
        for (name, v) in [
            ("alt", &img.alt),
            ("width", &img.width),
            ("height", &img.height),
        ] {
            if let Some(v) = v {
                self.out.push_str(&format!(" {name}=\""));
                self.text(v);
                self.out.push('"');
            }
        }
        self.out.push('>');
        if href.is_some() {
            self.out.push_str("</a>");
        }
    }

    /// A target written as a reference (`name_`), else as given.
    fn resolve_target<'a>(&'a self, t: &'a str) -> Option<&'a str> {
        match indirect(t) {
            Some(name) => self.doc.target(name),
            None => Some(t),
        }
    }

    fn link(&mut self, url: Option<&str>, label: &str) {
        let full = self.full();
        match url {
            Some(u) if !full => {
                self.out.push_str("<a href=\"");
                self.text(u);
                self.out.push_str("\">");
                self.text(label);
                self.out.push_str("</a>");
            }
            _ => self.text(label),
        }
    }

    /// Inline markup of a paragraph (or title, term, cell); `depth` counts substitutions in
    /// substitutions.
    fn inline(&mut self, text: &str, depth: usize) {
        let cs: Vec<char> = text.chars().collect();
        let n = cs.len();
        let ends = Ends::of(&cs);
        let mut i = 0;
        while i < n {
            let c = cs[i];
            if c == '\\' {
                if let Some(&e) = cs.get(i + 1) {
                    if !e.is_whitespace() {
                        let mut buf = [0u8; 4];
                        self.text(e.encode_utf8(&mut buf));
                    }
                }
                i += 2;
                continue;
            }
            if start_ok(&cs, i) {
                if let Some(next) = self.markup(&cs, i, &ends, depth) {
                    i = next;
                    continue;
                }
                if c.is_alphanumeric() {
                    i = self.word(&cs, i);
                    continue;
                }
            }
            let mut buf = [0u8; 4];
            self.text(c.encode_utf8(&mut buf));
            i += 1;
        }
    }

    /// Inline markup starting at `i`: where it ends, or `None` if there is none.
    fn markup(&mut self, cs: &[char], i: usize, ends: &Ends, depth: usize) -> Option<usize> {
        let n = cs.len();
        let at = |k: usize| cs.get(k).copied();
        let opens = |len: usize| {
            at(i + len).is_some_and(|c| !c.is_whitespace())
                && !(i > 0 && matching(cs[i - 1]) == at(i + len))
        };
        match cs[i] {
            '`' if at(i + 1) == Some('`') => {
                if !opens(2) {
                    return None;
                }
                let j = ends.next(&ends.literal, i + 2)?;
                self.out.push_str("<code>");
                self.text(&cs[i + 2..j].iter().collect::<String>());
                self.out.push_str("</code>");
                Some(j + 2)
            }
            '*' if at(i + 1) == Some('*') => {
                if !opens(2) {
                    return None;
                }
                let j = ends.next(&ends.strong, i + 2)?;
                self.out.push_str("<strong>");
                self.plain(&cs[i + 2..j]);
                self.out.push_str("</strong>");
                Some(j + 2)
            }
            '*' => {
                if !opens(1) {
                    return None;
                }
                let j = ends.next(&ends.emphasis, i + 1)?;
                self.out.push_str("<em>");
                self.plain(&cs[i + 1..j]);
                self.out.push_str("</em>");
                Some(j + 1)
            }
            '`' => {
                if !opens(1) {
                    return None;
                }
                let j = ends.next(&ends.interpreted, i + 1)?;
                let body: String = cs[i + 1..j].iter().collect();
                let (suffix, after) = suffix(cs, j + 1);
                match suffix {
                    Suffix::Named | Suffix::Anonymous => {
                        self.reference(&body, suffix == Suffix::Anonymous)
                    }
                    Suffix::Role(role) => self.role(&role, &body),
                    Suffix::None => {
                        self.out.push_str("<cite>");
                        self.text(&body);
                        self.out.push_str("</cite>");
                    }
                }
                Some(after)
            }
            ':' => {
                let mut k = i + 1;
                while k < n.min(i + 64)
                    && role_char(cs[k])
                    && !(cs[k] == ':' && at(k + 1) == Some('`'))
                {
                    k += 1;
                }
                if k == i + 1 || at(k) != Some(':') || at(k + 1) != Some('`') {
                    return None;
                }
                if at(k + 2).is_none_or(char::is_whitespace) {
                    return None;
                }
                let j = ends.next(&ends.interpreted, k + 2)?;
                let role: String = cs[i + 1..k].iter().collect();
                let body: String = cs[k + 2..j].iter().collect();
                let (suffix, after) = suffix(cs, j + 1);
                match suffix {
                    Suffix::Named | Suffix::Anonymous => {
                        self.reference(&body, suffix == Suffix::Anonymous)
                    }
                    _ => self.role(&role, &body),
                }
                Some(after)
            }
            '|' => {
                if !opens(1) {
                    return None;
                }
                let j = ends.next(&ends.substitution, i + 1)?;
                let name: String = cs[i + 1..j].iter().collect();
                let (suffix, after) = suffix(cs, j + 1);
                self.substitution(&name, suffix, depth);
                Some(after)
            }
            '[' => {
                let k = (i + 1..n.min(i + 64)).find(|&k| cs[k] == ']')?;
                let label: String = cs[i + 1..k].iter().collect();
                let ok = !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_alphanumeric() || "#*-_.".contains(c));
                if !ok || at(k + 1) != Some('_') || !end_ok(cs, k + 2) {
                    return None;
                }
                self.out.push_str("<sup>[");
                self.text(&label);
                self.out.push_str("]</sup>");
                Some(k + 2)
            }
            _ => None,
        }
    }

    /// Text inside emphasis or strong: no markup, escapes honoured.
    fn plain(&mut self, cs: &[char]) {
        let mut k = 0;
        while k < cs.len() {
            if cs[k] == '\\' && k + 1 < cs.len() {
                k += 1;
            }
            let mut buf = [0u8; 4];
            self.text(cs[k].encode_utf8(&mut buf));
            k += 1;
        }
    }

    /// A word at a word start: a bare URL, a simple reference (`name_`), or text.
    fn word(&mut self, cs: &[char], i: usize) -> usize {
        let n = cs.len();
        let rest: String = cs[i..n.min(i + 8)]
            .iter()
            .collect::<String>()
            .to_lowercase();
        if ["http://", "https://", "ftp://", "mailto:"]
            .iter()
            .any(|p| rest.starts_with(p))
        {
            let mut j = i;
            while j < n && !cs[j].is_whitespace() && !"<>\"`".contains(cs[j]) && j - i < MAX_SPAN {
                j += 1;
            }
            let mut open = cs[i..j].iter().filter(|c| **c == '(').count();
            let mut close = cs[i..j].iter().filter(|c| **c == ')').count();
            while j > i {
                match cs[j - 1] {
                    c if ".,;:!?'*_".contains(c) => j -= 1,
                    ')' if close > open => {
                        close -= 1;
                        j -= 1;
                    }
                    '(' => {
                        open -= 1;
                        j -= 1;
                    }
                    _ => break,
                }
            }
            let url: String = cs[i..j].iter().collect();
            if url.len() > "https://".len() {
                self.link(Some(&url), &url);
                return j;
            }
        }
        // A reference name: alphanumerics joined by single - _ . : +
        let mut j = i;
        loop {
            while j < n && cs[j].is_alphanumeric() {
                j += 1;
            }
            if j + 1 < n && "-_.:+".contains(cs[j]) && cs[j + 1].is_alphanumeric() {
                j += 1;
                continue;
            }
            break;
        }
        let name: String = cs[i..j].iter().collect();
        if cs.get(j) == Some(&'_') {
            let anonymous = cs.get(j + 1) == Some(&'_');
            let after = j + 1 + usize::from(anonymous);
            if end_ok(cs, after) {
                self.reference(&name, anonymous);
                return after;
            }
        }
        self.text(&name);
        j
    }

    /// A hyperlink reference: `` `text <url>`_ ``, `` `text <name_>`_ ``, `` `name`_ ``,
    /// `name_`, or anonymous (`__`). Text without a known target is shown as text.
    fn reference(&mut self, body: &str, anonymous: bool) {
        let body = body.trim();
        let embedded = body.strip_suffix('>').and_then(|b| {
            let k = b.rfind('<')?;
            (k == 0 || b[..k].ends_with(char::is_whitespace)).then(|| (b[..k].trim(), &b[k + 1..]))
        });
        let url: Option<String>;
        let label: &str;
        match embedded {
            Some((text, target)) => {
                label = if text.is_empty() { target } else { text };
                url = match indirect(target) {
                    Some(name) => self.doc.target(name).map(str::to_string),
                    None => Some(
                        target
                            .split_whitespace()
                            .collect::<String>()
                            .replace('\\', ""),
                    ),
                };
            }
            None => {
                label = body;
                url = if anonymous {
                    let u = self.doc.anonymous.get(self.anon).cloned();
                    self.anon += 1;
                    u
                } else {
                    self.doc.target(body).map(str::to_string)
                };
            }
        }
        let url = url.and_then(|u| match indirect(&u) {
            Some(name) => self.doc.target(name).map(str::to_string),
            None => Some(u),
        });
        self.link(url.as_deref(), label);
    }

    fn role(&mut self, role: &str, body: &str) {
        let tag = match role {
            "strong" => "strong",
            "emphasis" | "title-reference" | "title" | "t" => "em",
            "sub" | "subscript" => "sub",
            "sup" | "superscript" => "sup",
            "abbr" | "pep" | "pep-reference" | "rfc" | "rfc-reference" | "dfn" | "term" => "",
            _ => "code",
        };
        // Sphinx cross-references show their title (`Title <target>`), or the target's last part.
        let shown = match body
            .strip_suffix('>')
            .and_then(|b| b.rfind(" <").map(|k| &b[..k]))
        {
            Some(t) if tag == "code" => t.trim().to_string(),
            _ => match body.strip_prefix('~') {
                Some(b) => b.rsplit('.').next().unwrap_or(b).to_string(),
                None => body.to_string(),
            },
        };
        if tag.is_empty() {
            self.text(&shown);
        } else {
            self.out.push_str(&format!("<{tag}>"));
            self.text(&shown);
            self.out.push_str(&format!("</{tag}>"));
        }
    }

    fn substitution(&mut self, name: &str, suffix: Suffix, depth: usize) {
        let link = match suffix {
            Suffix::Named => self.doc.target(name).map(str::to_string),
            Suffix::Anonymous => {
                let u = self.doc.anonymous.get(self.anon).cloned();
                self.anon += 1;
                u
            }
            _ => None,
        };
        if self.full() {
            self.text(&format!("|{name}|"));
            return;
        }
        match self.doc.sub(name) {
            Some(Sub::Image(img)) => self.image(img, link.as_deref()),
            Some(Sub::Text(t)) if depth < 2 && t.len() <= MAX_SUB_TEXT => {
                if let Some(l) = &link {
                    self.out.push_str("<a href=\"");
                    self.text(l);
                    self.out.push_str("\">");
                }
                self.inline(t, depth + 1);
                if link.is_some() {
                    self.out.push_str("</a>");
                }
            }
            _ => self.text(&format!("|{name}|")),
        }
    }
}

fn role_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_+.:".contains(c)
}

fn matching(c: char) -> Option<char> {
    match c {
        '(' => Some(')'),
        '[' => Some(']'),
        '{' => Some('}'),
        '<' => Some('>'),
        '"' => Some('"'),
        '\'' => Some('\''),
        _ => None,
    }
}

/// Inline markup may start at `i`: at the start, or after whitespace or opening punctuation.
fn start_ok(cs: &[char], i: usize) -> bool {
    i == 0
        || {
            let p = cs[i - 1];
            p.is_whitespace() || "'\"([{<-/:\u{2018}\u{201c}\u{2019}\u{ab}\u{a1}\u{bf}\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}".contains(p)
        }
}

/// Inline markup may end before `j`: at the end, or before whitespace or closing punctuation.
fn end_ok(cs: &[char], j: usize) -> bool {
    cs.get(j).is_none_or(|&c| {
        c.is_whitespace()
            || "'\")]}>-/:.,;!?\\\u{2019}\u{201d}\u{bb}\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}"
                .contains(c)
    })
}

#[derive(Debug, PartialEq)]
enum Suffix {
    None,
    Named,
    Anonymous,
    Role(String),
}

/// What follows a closing backquote or bar at `k`: `_`, `__`, `:role:` or nothing, and where
/// the markup ends.
fn suffix(cs: &[char], k: usize) -> (Suffix, usize) {
    match (cs.get(k), cs.get(k + 1)) {
        (Some('_'), Some('_')) => (Suffix::Anonymous, k + 2),
        (Some('_'), _) => (Suffix::Named, k + 1),
        (Some(':'), _) => {
            let mut j = k + 1;
            while j < cs.len().min(k + 64) && role_char(cs[j]) && cs[j] != ':' {
                j += 1;
            }
            if j > k + 1 && cs.get(j) == Some(&':') && end_ok(cs, j + 1) {
                (Suffix::Role(cs[k + 1..j].iter().collect()), j + 1)
            } else {
                (Suffix::None, k)
            }
        }
        _ => (Suffix::None, k),
    }
}

/// Where each kind of inline markup may end in a text (positions of end-strings), so each
/// start finds its end by a search instead of a scan (no quadratic time on hostile input).
struct Ends {
    literal: Vec<usize>,
    strong: Vec<usize>,
    emphasis: Vec<usize>,
    interpreted: Vec<usize>,
    substitution: Vec<usize>,
}

impl Ends {
    fn of(cs: &[char]) -> Ends {
        let mut e = Ends {
            literal: Vec::new(),
            strong: Vec::new(),
            emphasis: Vec::new(),
            interpreted: Vec::new(),
            substitution: Vec::new(),
        };
        for j in 1..cs.len() {
            let before = cs[j - 1];
            if before.is_whitespace() {
                continue;
            }
            let escaped = before == '\\';
            let (ends, after) = match cs[j] {
                '`' if cs.get(j + 1) == Some(&'`') => (&mut e.literal, j + 2),
                '`' if !escaped && before != '`' => (&mut e.interpreted, suffix(cs, j + 1).1),
                '*' if !escaped && cs.get(j + 1) == Some(&'*') => (&mut e.strong, j + 2),
                '*' if !escaped && before != '*' => (&mut e.emphasis, j + 1),
                '|' if !escaped => (&mut e.substitution, suffix(cs, j + 1).1),
                _ => continue,
            };
            if end_ok(cs, after) {
                ends.push(j);
            }
        }
        e
    }

    /// The first end-string at or after `from` (not right at it: markup is never empty),
    /// within `MAX_SPAN`.
    fn next(&self, ends: &[usize], from: usize) -> Option<usize> {
        let k = ends.partition_point(|&j| j <= from);
        ends.get(k).copied().filter(|&j| j - from < MAX_SPAN)
    }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    fn html(rst: &str) -> String {
        to_html(rst)
    }

    #[test]
    fn section_levels_follow_first_use() {
        let h = html("=====\nTitle\n=====\n\nIntro.\n\nPart\n----\n\nSub\n~~~\n\nOther\n----\n");
        assert!(h.contains("<h1>Title</h1>"), "{h}");
        assert!(h.contains("<h2>Part</h2>"), "{h}");
        assert!(h.contains("<h3>Sub</h3>"), "{h}");
        assert!(h.contains("<h2>Other</h2>"), "{h}");
        assert!(h.contains("<p>Intro.</p>"), "{h}");
    }

    #[test]
    fn numbered_title_is_a_title_not_a_list() {
        let h = html("1. Introduction\n===============\n\ntext\n");
        assert!(h.contains("<h1>1. Introduction</h1>"), "{h}");
    }

    #[test]
    fn lists_nest_by_indentation() {
        let h = html(
            "* one *em*\n* two\n\n  * inner\n  * inner2\n\n* three\n\n#. a\n#. b\n\n3) c\n4) d\n",
        );
        assert!(
            h.contains("<ul>\n<li>one <em>em</em></li>\n<li><p>two</p>\n<ul>\n<li>inner</li>\n<li>inner2</li>\n</ul>\n</li>\n<li>three</li>\n</ul>"),
            "{h}"
        );
        assert!(h.contains("<ol>\n<li>a</li>\n<li>b</li>\n</ol>"), "{h}");
        assert!(h.contains("<ol start=\"3\">\n<li>c</li>"), "{h}");
    }

    #[test]
    fn literal_blocks() {
        let h = html("Run this::\n\n    pip install x\n      --flag\n\nThen ::\n\n  a < b\n\n.. code-block:: bash\n\n   echo hi\n\n.. code:: python\n   :number-lines:\n\n   print(1)\n\n>>> 1 + 1\n2\n");
        assert!(
            h.contains("<p>Run this:</p>\n<pre><code>pip install x\n  --flag</code></pre>"),
            "{h}"
        );
        assert!(
            h.contains("<p>Then</p>\n<pre><code>a &lt; b</code></pre>"),
            "{h}"
        );
        assert!(h.contains("<pre><code>echo hi</code></pre>"), "{h}");
        assert!(h.contains("<pre><code>print(1)</code></pre>"), "{h}");
        assert!(
            h.contains("<pre><code>&gt;&gt;&gt; 1 + 1\n2</code></pre>"),
            "{h}"
        );
    }

    #[test]
    fn inline_markup() {
        let h = html("Use ``pip install`` with **care** and *style*, `cite`, :code:`x()`, :func:`~a.b.run`, 2*3*4, \\*not\\*.");
        assert!(h.contains("<code>pip install</code>"), "{h}");
        assert!(h.contains("<strong>care</strong>"), "{h}");
        assert!(h.contains("<em>style</em>"), "{h}");
        assert!(h.contains("<cite>cite</cite>"), "{h}");
        assert!(h.contains("<code>x()</code>"), "{h}");
        assert!(h.contains("<code>run</code>"), "{h}");
        assert!(h.contains("2*3*4"), "{h}");
        assert!(h.contains("*not*"), "{h}");
    }

    #[test]
    fn links_and_targets() {
        let h = html(
            "See `the docs <https://docs.example/>`_, the docs_, `Read Me`_, `anon <https://a.example/>`__, other__, \
             `via <docs_>`_, https://bare.example/x. and (http://p.example/a).\n\n\
             .. _docs: https://docs.example/\n.. _read me: https://readme.example/\n\n__ https://anon.example/\n",
        );
        assert!(
            h.contains("<a href=\"https://docs.example/\">the docs</a>"),
            "{h}"
        );
        assert!(
            h.contains("<a href=\"https://docs.example/\">docs</a>"),
            "{h}"
        );
        assert!(
            h.contains("<a href=\"https://readme.example/\">Read Me</a>"),
            "{h}"
        );
        assert!(h.contains("<a href=\"https://a.example/\">anon</a>"), "{h}");
        assert!(
            h.contains("<a href=\"https://anon.example/\">other</a>"),
            "{h}"
        );
        assert!(
            h.contains("<a href=\"https://docs.example/\">via</a>"),
            "{h}"
        );
        assert!(
            h.contains("<a href=\"https://bare.example/x\">https://bare.example/x</a>."),
            "{h}"
        );
        assert!(
            h.contains("(<a href=\"http://p.example/a\">http://p.example/a</a>)"),
            "{h}"
        );
        assert!(!h.contains(".. _docs"), "targets are not shown: {h}");
    }

    #[test]
    fn unknown_reference_is_text() {
        let h = html("a `missing`_ b nothere_ c snake_case");
        assert_eq!(h, "<p>a missing b nothere c snake_case</p>\n");
    }

    #[test]
    fn substitution_badges() {
        let h = html(
            "|build| |docs|_ |v|\n\n.. |build| image:: https://ci.example/b.svg\n   :target: https://ci.example/\n\
             .. |docs| image:: docs.svg\n   :alt: Docs\n.. |v| replace:: version **2**\n.. _docs: https://docs.example/\n",
        );
        assert!(
            h.contains("<a href=\"https://ci.example/\"><img src=\"https://ci.example/b.svg\" alt=\"build\"></a>"),
            "{h}"
        );
        assert!(
            h.contains("<a href=\"https://docs.example/\"><img src=\"docs.svg\" alt=\"Docs\"></a>"),
            "{h}"
        );
        assert!(h.contains("version <strong>2</strong>"), "{h}");
        // A reference may break across lines; names match in any case.
        let h = html(
            "|Docker\nPulls| |pypi|\n\n.. |Docker Pulls| image:: p.svg\n.. |PyPI| image:: v.svg\n",
        );
        assert!(
            h.contains("<img src=\"p.svg\" alt=\"Docker Pulls\"> <img src=\"v.svg\" alt=\"PyPI\">"),
            "{h}"
        );
    }

    #[test]
    fn numbering_resumes_after_a_code_block() {
        let h = html("1. one\n2. two\n\n.. code-block:: bash\n\n    $ pip install x\n\n4. four\n");
        assert!(h.contains("<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n<pre><code>$ pip install x</code></pre>\n<ol start=\"4\">\n<li>four</li>"), "{h}");
    }

    #[test]
    fn images_and_figures() {
        let h = html(
            ".. image:: img/logo.png\n   :alt: the logo\n   :width: 320\n   :align: center\n   :target: https://e.example/\n\n\
             .. figure:: fig.png\n   :height: 50px\n\n   The caption.\n",
        );
        assert!(
            h.contains("<a href=\"https://e.example/\"><img src=\"img/logo.png\" alt=\"the logo\" width=\"320\"></a>"),
            "{h}"
        );
        assert!(h.contains("<figure><img src=\"fig.png\" height=\"50\"><figcaption>The caption.</figcaption></figure>"), "{h}");
    }

    #[test]
    fn directives_admonitions_comments() {
        let h = html(
            ".. note:: Mind\n   the gap.\n\n.. warning::\n\n   Hot.\n\n.. admonition:: Custom\n\n   Body.\n\n\
             .. This is a comment\n   spanning lines.\n\n..\n   Also a comment.\n\n.. mystery:: arg\n   :opt: 1\n\n   content <b>\n\n.. contents::\n\nEnd.\n",
        );
        assert!(h.contains("<div class=\"admonition\"><p class=\"admonition-title\">Note</p>\n<p>Mind\nthe gap.</p>\n</div>"), "{h}");
        assert!(
            h.contains("<p class=\"admonition-title\">Warning</p>\n<p>Hot.</p>"),
            "{h}"
        );
        assert!(
            h.contains("<p class=\"admonition-title\">Custom</p>\n<p>Body.</p>"),
            "{h}"
        );
        assert!(!h.contains("comment"), "{h}");
        assert!(
            h.contains("<pre>.. mystery:: arg\n   :opt: 1\n\n   content &lt;b&gt;</pre>"),
            "{h}"
        );
        assert!(!h.contains("contents"), "{h}");
        assert!(h.contains("<p>End.</p>"), "{h}");
    }

    #[test]
    fn definition_and_field_lists() {
        let h = html("Implemented:\n  - HistoSys\n  - OverallSys\nterm two\n    def\n\n:Author: Ana\n:Version: 1\n");
        assert!(h.contains("<dl>\n<dt>Implemented:</dt>\n<dd><ul>\n<li>HistoSys</li>\n<li>OverallSys</li>\n</ul>\n</dd>\n<dt>term two</dt>\n<dd>def</dd>\n</dl>"), "{h}");
        assert!(
            h.contains("<dt>Author</dt>\n<dd>Ana</dd>\n<dt>Version</dt>\n<dd>1</dd>"),
            "{h}"
        );
    }

    #[test]
    fn simple_and_grid_tables() {
        let h = html("=====  ======\nA      B\n=====  ======\n1      two\n       more\n3      4\n=====  ======\n\n+-----+-------+\n| a   | b     |\n+=====+=======+\n| 1   | * x   |\n|     | * y   |\n+-----+-------+\n");
        assert!(h.contains("<thead>\n<tr><th>A</th><th>B</th></tr>\n</thead>\n<tbody>\n<tr><td>1</td><td>two\nmore</td></tr>\n<tr><td>3</td><td>4</td></tr>"), "{h}");
        assert!(h.contains("<tr><th>a</th><th>b</th></tr>"), "{h}");
        assert!(
            h.contains("<tr><td>1</td><td><ul>\n<li>x</li>\n<li>y</li>\n</ul>\n</td></tr>"),
            "{h}"
        );
    }

    #[test]
    fn spanning_grid_table_is_preformatted() {
        let h =
            html("+-----+-----+\n| a spanning  |\n+-----+-----+\n| 1   | 2   |\n+-----+-----+\n");
        assert!(h.starts_with("<pre>+-----+-----+"), "{h}");
    }

    #[test]
    fn list_and_csv_tables() {
        let h = html(".. list-table:: T\n   :header-rows: 1\n\n   * - h1\n     - h2\n   * - a\n     - b\n\n.. csv-table::\n   :header: \"x\", \"y\"\n\n   1, \"two, three\"\n");
        assert!(h.contains("<thead>\n<tr><th>h1</th><th>h2</th></tr>\n</thead>\n<tbody>\n<tr><td>a</td><td>b</td></tr>"), "{h}");
        assert!(h.contains("<tr><th>x</th><th>y</th></tr>"), "{h}");
        assert!(h.contains("<tr><td>1</td><td>two, three</td></tr>"), "{h}");
    }

    #[test]
    fn transition_and_quote() {
        let h = html("a\n\n----------\n\nb\n\n    quoted\n");
        assert!(h.contains("<hr>"), "{h}");
        assert!(
            h.contains("<blockquote>\n<p>quoted</p>\n</blockquote>"),
            "{h}"
        );
    }

    #[test]
    fn text_is_escaped() {
        let h = html("<script>alert(1)</script> & \"q\"\n\n``<b>``\n");
        assert!(
            h.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"),
            "{h}"
        );
        assert!(h.contains("<code>&lt;b&gt;</code>"), "{h}");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut s = String::new();
        for k in 0..200 {
            s.push_str(&" ".repeat(k * 2));
            s.push_str("- x\n\n");
        }
        let h = html(&s);
        assert!(h.contains("<pre>"), "deep lists end as text");
        let q: String = (0..1000).map(|k| format!("{}q\n", " ".repeat(k))).collect();
        let _ = html(&q);
    }

    #[test]
    fn output_is_bounded() {
        let target = format!(".. _x: https://e.example/{}\n\n", "a".repeat(60_000));
        let body = "x_ ".repeat(300_000);
        let h = html(&format!("{body}\n\n{target}"));
        assert!(h.len() < super::MAX_OUTPUT + 4 * body.len(), "{}", h.len());
        assert!(h.contains("too long") || h.len() < super::MAX_OUTPUT * 2);
    }

    #[test]
    fn hostile_markup_takes_linear_time() {
        let s = "*a `b |c ``d ".repeat(50_000);
        let t = std::time::Instant::now();
        let _ = html(&s);
        assert!(t.elapsed().as_secs() < 10);
    }
}
