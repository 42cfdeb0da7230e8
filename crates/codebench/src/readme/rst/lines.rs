//! Source lines: control characters cleaned, blank and indented lines told apart, and
//! indented blocks found and dedented.

/// A line with tabs expanded to 8-column stops, other control characters made spaces, and
/// trailing whitespace removed.
pub(super) fn clean_line(line: &str) -> String {
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

pub(super) fn blank(l: &str) -> bool {
    l.trim().is_empty()
}

pub(super) fn indent(l: &str) -> usize {
    l.bytes().take_while(|&b| b == b' ').count()
}

/// The end (exclusive) of the block of lines from `start` that are blank or indented, with
/// trailing blank lines left out.
pub(super) fn indented_end(lines: &[&str], start: usize) -> usize {
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
pub(super) fn dedent<'a>(lines: &[&'a str]) -> Vec<&'a str> {
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
