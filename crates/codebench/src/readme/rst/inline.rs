//! Inline markup: literals, emphasis, strong, interpreted text and roles, hyperlink and
//! footnote references, substitution references and bare URLs, found in linear time.

use super::renderer::Renderer;
use super::{indirect, Sub, MAX_SPAN, MAX_SUB_TEXT};

impl Renderer<'_> {
    /// Inline markup of a paragraph (or title, term, cell); `depth` counts substitutions in
    /// substitutions.
    pub(super) fn inline(&mut self, text: &str, depth: usize) {
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
