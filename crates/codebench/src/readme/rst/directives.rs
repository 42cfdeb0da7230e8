//! Explicit markup blocks (`.. `): hyperlink targets, footnotes, substitution definitions
//! (images, `replace::`, `unicode::`), comments and directives (images, figures, code blocks,
//! admonitions, containers, `raw:: html` ...), and how a directive's parts are read.

use super::blocks::{field, Parser};
use super::lines::{blank, dedent, indent, indented_end};
use super::tables::{header_rows, list_table};
use super::{normalise, Block, Image, Sub};

impl Parser {
    /// An explicit markup block (`.. `): target, footnote, substitution, directive or comment.
    pub(super) fn explicit(
        &mut self,
        lines: &[&str],
        i: usize,
        depth: usize,
        out: &mut Vec<Block>,
    ) -> usize {
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
pub(super) struct Directive<'a> {
    pub(super) args: String,
    pub(super) options: Vec<(String, String)>,
    pub(super) content: Vec<&'a str>,
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
