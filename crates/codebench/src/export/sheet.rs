//! The house style of every CSV the exports write: RFC 4180 with CRLF line ends and a header
//! row, and text cells a spreadsheet would read as a formula neutralised (with [`unquote`] to
//! read them back), unless an export is asked to be raw.

use crate::{Error, Result};

/// The characters that make a spreadsheet read a cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text` would be read as a formula, or is the neutralised form of one (quotes
/// before a formula character): such cells get one more leading `'`.
fn needs_quote(text: &str) -> bool {
    let rest = text.trim_start_matches('\'');
    rest.starts_with(FORMULA_START) && text.parse::<f64>().is_err()
}

/// A text cell as a spreadsheet may safely open it: a cell that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (and is not a number) gets a leading `'`, which a
/// spreadsheet shows as text and [`unquote`] takes away. A cell that already starts with
/// quotes before such a character gets one more, so [`unquote`] gives back exactly the text.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if needs_quote(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The exact text of a cell written by [`neutralise`].
pub fn unquote(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

/// A CSV writer in the house style (RFC 4180, CRLF) that neutralises formulas unless `raw`.
pub(super) struct Sheet<W: std::io::Write> {
    w: csv::Writer<W>,
    raw: bool,
}

impl<W: std::io::Write> Sheet<W> {
    pub(super) fn new(out: W, raw: bool) -> Self {
        Sheet {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
            raw,
        }
    }

    pub(super) fn row<I, S>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let raw = self.raw;
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| {
                if raw {
                    c.as_ref().to_string()
                } else {
                    neutralise(c.as_ref()).into_owned()
                }
            })
            .collect();
        self.w.write_record(&cells)?;
        Ok(())
    }

    pub(super) fn finish(self, what: &str) -> Result<W> {
        self.w
            .into_inner()
            .map_err(|e| Error::io(what, e.into_error()))
    }
}

/// One CSV in the house style: header row, CRLF, RFC 4180 quoting.
pub(super) fn to_csv<S: AsRef<str>>(
    columns: &[S],
    rows: &[Vec<String>],
    raw: bool,
) -> Result<Vec<u8>> {
    let mut w = Sheet::new(Vec::new(), raw);
    w.row(columns.iter().map(|c| c.as_ref()))?;
    for r in rows {
        w.row(r)?;
    }
    w.finish("export")
}
