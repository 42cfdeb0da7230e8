//! The tables of the raters' decisions: `codings.csv` (the long table, one row per code, with
//! its evidence), `codings_wide.csv` (a column per rater), `consensus.csv` and
//! `distributions.csv` (how often each rater gave each code), all as the viewer may see them.

use super::opt;
use super::sheet::Sheet;
use super::view::View;
use crate::{Error, Result, Study};

/// Columns of `codings.csv`, the long table of decisions: one row per code (a decision with no
/// code has one row with an empty `code`). `codebench import codings` reads the same shape.
pub const CODINGS_COLUMNS: [&str; 9] = [
    "rater",
    "unit",
    "dimension",
    "code",
    "memo",
    "evidence",
    "flagged",
    "coded_at",
    "suggested_by",
];

/// Writes `codings.csv` (every decision and its evidence, as `viewer` may see them) to any
/// writer, formulas neutralised.
pub fn write_codings(study: &Study, viewer: Option<&str>, out: impl std::io::Write) -> Result<()> {
    let view = View::read(study, viewer, false)?;
    codings_into(&view, false, out)
}

pub(super) fn codings_into(view: &View, raw: bool, out: impl std::io::Write) -> Result<()> {
    let mut w = Sheet::new(out, raw);
    w.row(CODINGS_COLUMNS)?;
    let mut evidence: std::collections::HashMap<(&str, &str, &str, &str), Vec<serde_json::Value>> =
        Default::default();
    for e in &view.evidence {
        evidence
            .entry((&e.rater, &e.unit, &e.dimension, &e.code))
            .or_default()
            .push(serde_json::json!({
                "file": e.file,
                "quote": e.quote,
                "line_start": e.line_start,
                "line_end": e.line_end,
            }));
    }
    for d in &view.decisions {
        let flagged = if d.flagged { "true" } else { "false" };
        let suggested_by = d.suggested_by.join(",");
        let codes: Vec<&str> = if d.codes.is_empty() {
            vec![""]
        } else {
            d.codes.iter().map(String::as_str).collect()
        };
        for code in codes {
            let ev = evidence
                .get(&(
                    d.rater.as_str(),
                    d.unit.as_str(),
                    d.dimension.as_str(),
                    code,
                ))
                .map(|v| serde_json::Value::Array(v.clone()).to_string())
                .unwrap_or_default();
            w.row([
                d.rater.as_str(),
                &d.unit,
                &d.dimension,
                code,
                &d.memo,
                &ev,
                flagged,
                &d.coded_at,
                &suggested_by,
            ])?;
        }
    }
    let mut out = w.finish("codings.csv")?;
    out.flush().map_err(|e| Error::io("codings.csv", e))?;
    Ok(())
}

/// Columns of `consensus.csv`: one row per code of a consensus (a consensus with no code has
/// one row with an empty `code`).
pub const CONSENSUS_COLUMNS: [&str; 6] = [
    "unit",
    "dimension",
    "code",
    "adjudicator",
    "rationale",
    "decided_at",
];

pub(super) fn consensus_into(study: &Study, raw: bool, out: impl std::io::Write) -> Result<()> {
    let mut w = Sheet::new(out, raw);
    w.row(CONSENSUS_COLUMNS)?;
    for c in study.consensus(None)? {
        let codes: Vec<&str> = if c.codes.is_empty() {
            vec![""]
        } else {
            c.codes.iter().map(String::as_str).collect()
        };
        for code in codes {
            w.row([
                c.unit.as_str(),
                &c.dimension,
                code,
                &c.adjudicator,
                &c.rationale,
                &c.decided_at,
            ])?;
        }
    }
    let mut out = w.finish("consensus.csv")?;
    out.flush().map_err(|e| Error::io("consensus.csv", e))?;
    Ok(())
}

pub(super) fn wide_columns(view: &View) -> Vec<String> {
    let mut c = vec!["unit".to_string(), "dimension".to_string()];
    c.extend(view.raters.iter().cloned());
    c
}

/// `codings_wide.csv`: one row per unit and dimension, a column per rater holding that rater's
/// codes joined by `;` (empty: no decision, or a decision the viewer may not see).
pub(super) fn wide_rows(view: &View) -> Vec<Vec<String>> {
    let mut rows: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    for d in &view.decisions {
        let Some(col) = view.raters.iter().position(|r| *r == d.rater) else {
            continue;
        };
        let row = rows
            .entry((d.unit.clone(), d.dimension.clone()))
            .or_insert_with(|| vec![String::new(); view.raters.len()]);
        row[col] = if d.codes.is_empty() {
            "(none)".into()
        } else {
            d.codes.join(";")
        };
    }
    rows.into_iter()
        .map(|((u, d), cells)| {
            let mut r = vec![u, d];
            r.extend(cells);
            r
        })
        .collect()
}

/// Columns of `distributions.csv`.
pub const DISTRIBUTIONS_COLUMNS: [&str; 8] = [
    "source",
    "dimension",
    "code",
    "parent",
    "kind",
    "count",
    "units",
    "share",
];

/// `distributions.csv`: per rater, dimension and code, how many units got the code, over all
/// units that rater decided (`kind` empty) and within each project kind as that rater coded it.
pub(super) fn distribution_rows(study: &Study, view: &View) -> Result<Vec<Vec<String>>> {
    let book = study.codebook()?;
    let decisions = &view.decisions;
    let kind_dim = book.dimensions.iter().find(|d| {
        d.unit == crate::codebook::UnitKind::Project
            && d.cardinality == crate::codebook::Cardinality::One
    });
    let mut rows = Vec::new();
    for rater in &view.raters {
        let mine: Vec<_> = decisions.iter().filter(|d| &d.rater == rater).collect();
        let kind_of: std::collections::HashMap<&str, &str> = match kind_dim {
            Some(k) => mine
                .iter()
                .filter(|d| d.dimension == k.id)
                .filter_map(|d| d.codes.first().map(|c| (d.unit.as_str(), c.as_str())))
                .collect(),
            None => Default::default(),
        };
        for d in &book.dimensions {
            let of_dim: Vec<_> = mine.iter().filter(|x| x.dimension == d.id).collect();
            let mut groups: Vec<(String, Vec<_>)> = vec![(String::new(), of_dim.clone())];
            if let Some(k) = kind_dim {
                for kc in &k.codes {
                    let within: Vec<_> = of_dim
                        .iter()
                        .filter(|x| {
                            kind_of.get(x.unit.split(':').next().unwrap_or(""))
                                == Some(&kc.id.as_str())
                        })
                        .copied()
                        .collect();
                    groups.push((kc.id.clone(), within));
                }
            }
            for (kind, group) in groups {
                let units = group.len();
                for c in &d.codes {
                    let count = group.iter().filter(|x| x.codes.contains(&c.id)).count();
                    let share = if units == 0 {
                        String::new()
                    } else {
                        format!("{:.6}", count as f64 / units as f64)
                    };
                    rows.push(vec![
                        rater.clone(),
                        d.id.clone(),
                        c.id.clone(),
                        opt(c.parent.clone()),
                        kind.clone(),
                        count.to_string(),
                        units.to_string(),
                        share,
                    ]);
                }
            }
        }
    }
    Ok(rows)
}
