//! Tables: grid and simple tables, and the `list-table` and `csv-table` directives.

use super::blocks::Parser;
use super::directives::Directive;
use super::lines::{blank, dedent};
use super::{Block, Row};

impl Parser {
    pub(super) fn csv_table(&mut self, d: &Directive, depth: usize) -> Option<Block> {
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

    pub(super) fn grid_table(
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
    pub(super) fn simple_table(
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

pub(super) fn header_rows(d: &Directive) -> usize {
    d.options
        .iter()
        .find(|(k, _)| k == "header-rows")
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// A `list-table`: its content, one bullet list of rows each holding one bullet list of cells.
pub(super) fn list_table(blocks: Vec<Block>, head: usize) -> Option<Block> {
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

/// Column boundaries (`+` positions, in characters) of a grid table's border line.
pub(super) fn grid_border(l: &str) -> Option<Vec<usize>> {
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
pub(super) fn simple_border(l: &str) -> Option<Vec<(usize, usize)>> {
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
