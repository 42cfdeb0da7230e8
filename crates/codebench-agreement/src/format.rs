//! Rendering a [`Report`] as CSV (RFC 4180), JSON or an aligned text table.

use crate::model::{Report, StatResult};

/// Text shown in the `code` column for results about all codes together.
pub const ALL_CODES: &str = "(all)";

/// Column order of [`to_csv`]; stable, scripts rely on it.
pub const CSV_COLUMNS: [&str; 15] = [
    "dimension",
    "level",
    "code",
    "statistic",
    "raters",
    "value",
    "se",
    "ci_low",
    "ci_high",
    "n_units",
    "p_o",
    "p_e",
    "interpretation",
    "undefined_reason",
    "note",
];

fn csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn csv_row(out: &mut String, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push_str("\r\n");
}

fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

/// The results as RFC 4180 CSV: a header row with [`CSV_COLUMNS`], CRLF line ends,
/// fields quoted when needed, an empty cell for a missing value, raters joined by `;`,
/// `(all)` in `code` for whole-dimension results, numbers at full precision.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &CSV_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    );
    for r in &report.results {
        csv_row(
            &mut out,
            &[
                r.dimension.clone(),
                r.level.as_str().to_string(),
                r.code.clone().unwrap_or_else(|| ALL_CODES.to_string()),
                r.statistic.as_str().to_string(),
                r.raters.join(";"),
                num(r.value),
                num(r.se),
                num(r.ci_low),
                num(r.ci_high),
                r.n_units.to_string(),
                num(r.p_o),
                num(r.p_e),
                r.interpretation.clone().unwrap_or_default(),
                r.undefined_reason.clone().unwrap_or_default(),
                r.note.clone().unwrap_or_default(),
            ],
        );
    }
    out
}

/// The confusion matrices as long-form RFC 4180 CSV, one row per non-empty or empty cell:
/// `dimension,level,rater_row,rater_column,code_row,code_column,count`.
pub fn confusion_to_csv(report: &Report) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            "dimension",
            "level",
            "rater_row",
            "rater_column",
            "code_row",
            "code_column",
            "count",
        ]
        .map(String::from),
    );
    for c in &report.confusion {
        for (i, row) in c.counts.iter().enumerate() {
            for (j, count) in row.iter().enumerate() {
                csv_row(
                    &mut out,
                    &[
                        c.dimension.clone(),
                        c.level.as_str().to_string(),
                        c.raters[0].clone(),
                        c.raters[1].clone(),
                        c.categories[i].clone(),
                        c.categories[j].clone(),
                        count.to_string(),
                    ],
                );
            }
        }
    }
    out
}

/// The warnings as RFC 4180 CSV: `dimension,level,kind,code,raters,message`.
pub fn warnings_to_csv(report: &Report) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &["dimension", "level", "kind", "code", "raters", "message"].map(String::from),
    );
    for w in &report.warnings {
        csv_row(
            &mut out,
            &[
                w.dimension.clone(),
                w.level.as_str().to_string(),
                w.kind.as_str().to_string(),
                w.code.clone().unwrap_or_default(),
                w.raters.join(";"),
                w.message.clone(),
            ],
        );
    }
    out
}

/// The whole report as pretty-printed JSON (the serde representation).
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report always serializes")
}

/// Three decimals, without a minus sign on values that round to zero.
fn three(v: f64) -> String {
    let s = format!("{v:.3}");
    if s == "-0.000" {
        "0.000".to_string()
    } else {
        s
    }
}

fn fixed(x: Option<f64>) -> String {
    x.map_or(String::new(), three)
}

/// Lays out rows of cells in columns padded to the widest cell; numbers right-aligned.
fn aligned(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = widths[i] - cell.chars().count();
            if right[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        let trimmed = s.trim_end().len();
        s.truncate(trimmed);
        s.push('\n');
        s
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    out.push_str(&line(
        &widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>(),
    ));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

fn result_row(r: &StatResult) -> Vec<String> {
    let ci = match (r.ci_low, r.ci_high) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", three(lo), three(hi)),
        _ => String::new(),
    };
    let value = match r.value {
        Some(v) => three(v),
        None => "undefined".to_string(),
    };
    let note = match (&r.undefined_reason, &r.note) {
        (Some(u), Some(n)) => format!("{u}; {n}"),
        (Some(u), None) => u.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    };
    vec![
        r.dimension.clone(),
        r.level.as_str().to_string(),
        r.code.clone().unwrap_or_else(|| ALL_CODES.to_string()),
        r.statistic.as_str().to_string(),
        r.raters.join(","),
        value,
        fixed(r.se),
        ci,
        r.n_units.to_string(),
        fixed(r.p_o),
        fixed(r.p_e),
        r.interpretation.clone().unwrap_or_default(),
        note,
    ]
}

/// The report as aligned plain text for a terminal: the results (3 decimals), then each
/// confusion matrix, then the warnings.
pub fn to_table(report: &Report) -> String {
    let header = [
        "dimension",
        "level",
        "code",
        "statistic",
        "raters",
        "value",
        "se",
        "ci",
        "n",
        "p_o",
        "p_e",
        "interpretation",
        "note",
    ];
    let right = [
        false, false, false, false, false, true, true, true, true, true, true, false, false,
    ];
    let rows: Vec<Vec<String>> = report.results.iter().map(result_row).collect();
    let mut out = aligned(&header, &rows, &right);
    for c in &report.confusion {
        out.push_str(&format!(
            "\nconfusion {} ({}): rows {}, columns {}, {} units\n",
            c.dimension,
            c.level.as_str(),
            c.raters[0],
            c.raters[1],
            c.n_units
        ));
        let mut header: Vec<&str> = vec![""];
        header.extend(c.categories.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = c
            .counts
            .iter()
            .zip(&c.categories)
            .map(|(row, cat)| {
                let mut cells = vec![cat.clone()];
                cells.extend(row.iter().map(|n| n.to_string()));
                cells
            })
            .collect();
        let mut right = vec![true; header.len()];
        right[0] = false;
        out.push_str(&aligned(&header, &rows, &right));
    }
    if !report.warnings.is_empty() {
        out.push_str("\nwarnings:\n");
        for w in &report.warnings {
            out.push_str(&format!(
                "- [{} {} {}{}{}] {}\n",
                w.dimension,
                w.level.as_str(),
                w.kind.as_str(),
                w.code.as_ref().map_or(String::new(), |c| format!(" {c}")),
                if w.raters.is_empty() {
                    String::new()
                } else {
                    format!(" {}", w.raters.join(","))
                },
                w.message
            ));
        }
    }
    out
}
