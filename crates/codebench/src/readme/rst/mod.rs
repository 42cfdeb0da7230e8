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
//!
//! The conversion is in two stages over a tree of [`Block`]s: a parser reads the lines
//! (`lines`) into blocks (`blocks`), explicit markup (`directives`) and tables (`tables`),
//! recording the document's targets and substitutions in a [`Doc`]; a renderer writes the
//! blocks as HTML (`renderer`) and their text's inline markup (`inline`).

mod blocks;
mod directives;
mod inline;
mod lines;
mod renderer;
mod tables;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use blocks::Parser;
use lines::clean_line;
use renderer::Renderer;

/// Blocks nested deeper than this (quotes in lists in tables ...) are shown as preformatted text.
const MAX_DEPTH: usize = 16;
/// Output past this many bytes is cut: references and substitutions can multiply the input.
const MAX_OUTPUT: usize = 8 << 20;
/// Longest substitution text expanded; longer ones are shown as their reference.
const MAX_SUB_TEXT: usize = 4096;
/// Inline markup is searched for its end at most this far (in characters).
const MAX_SPAN: usize = 8192;

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
