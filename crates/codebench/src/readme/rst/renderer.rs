//! The renderer: blocks written as HTML (text escaped, output bounded), images and links.

use super::{indirect, Block, Doc, Image, MAX_OUTPUT};

/// The renderer's state: the document's definitions, and the HTML written so far.
pub(super) struct Renderer<'d> {
    pub(super) doc: &'d Doc,
    /// Anonymous references seen so far (the next takes the next anonymous target).
    pub(super) anon: usize,
    pub(super) out: String,
    /// Whether output was cut at `MAX_OUTPUT`.
    pub(super) cut: bool,
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
    pub(super) fn full(&mut self) -> bool {
        if self.out.len() > MAX_OUTPUT {
            self.cut = true;
        }
        self.cut
    }

    pub(super) fn text(&mut self, s: &str) {
        escape_into(&mut self.out, s);
    }

    pub(super) fn blocks(&mut self, blocks: &[Block]) {
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
    pub(super) fn image(&mut self, img: &Image, link: Option<&str>) {
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

    pub(super) fn link(&mut self, url: Option<&str>, label: &str) {
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
}
