//! The reference study's tables, computed from this study: project kinds with repository
//! medians (its Table 1), purposes by kind, instruction shares and RUN categories per project,
//! base images and their types. With [`Compare::Ease2022`] the published figures stand beside
//! this study's (restated in [`ease2022`]).
//!
//! Labels come from one source ([`Labels`]): the reconciled consensus, which is what a paper
//! reports, or one rater's decisions, which is how the published labels themselves are brought
//! in (a rater named `ease2022`). A report names its source and lists, per dimension, the
//! units that source has no label for.
//!
//! This module holds the report's types, its Markdown and CSV forms and the grouping of
//! projects by kind; the label sources are in `labels.rs`, the tables of kinds, purposes,
//! instructions, RUN categories and base images in `tables.rs`, the image table in `images.rs`
//! and the published figures in `ease2022.rs`.

pub mod ease2022;
mod images;
mod labels;
mod tables;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codebook::{Cardinality, UnitKind};
use crate::{Error, Result};

pub(crate) use images::images_by_kind;
pub use labels::{Labels, CONSENSUS_LABELS};

/// Whether to put published figures beside this study's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// This study only.
    None,
    /// With the EASE 2022 figures.
    Ease2022,
}

/// One table of the report.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Table {
    /// Short id, also the CSV file stem (e.g. `kinds`).
    pub id: String,
    /// Title for people.
    pub title: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells, already formatted.
    pub rows: Vec<Vec<String>>,
    /// How it was computed.
    pub note: String,
}

/// All tables.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "StudyReport")]
pub struct Report {
    /// Whose labels were used: `consensus`, or a rater's name.
    pub source: String,
    /// The tables, in order.
    pub tables: Vec<Table>,
    /// Per dimension, the units the source has no label for (for the consensus: units not
    /// reconciled yet), so a table's counts can be read with what they leave out.
    pub unlabelled: Vec<Unlabelled>,
    /// How the corpus was selected, as a methods paragraph (the query, dates, criteria with
    /// their counts, the sample's seed), when the study recorded a selection.
    pub selection: Option<String>,
}

/// The units of one dimension without a label from the report's source.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Unlabelled {
    /// Dimension id.
    pub dimension: String,
    /// Units of the dimension's kind.
    pub units_total: usize,
    /// The units without a label, by name.
    pub units: Vec<String>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn pct(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => String::new(),
    }
}

/// The dimension the report groups projects by: the codebook's first one-code project
/// dimension (`kind` in the shipped codebook).
pub(crate) fn kind_dimension(
    book: &crate::codebook::Codebook,
) -> Option<&crate::codebook::Dimension> {
    book.dimensions
        .iter()
        .find(|d| d.unit == UnitKind::Project && d.cardinality == Cardinality::One)
}

/// Each project's code in `kind_dim` among `decisions` (one rater's), by project name.
pub(crate) fn kind_of_projects(
    decisions: &[crate::coding::Decision],
    kind_dim: &crate::codebook::Dimension,
) -> BTreeMap<String, String> {
    decisions
        .iter()
        .filter(|d| d.dimension == kind_dim.id)
        .filter_map(|d| d.codes.first().map(|c| (d.unit.clone(), c.clone())))
        .collect()
}

impl Report {
    /// The report as Markdown: one section and one pipe table per table.
    pub fn to_markdown(&self) -> String {
        let mut out = if self.source == CONSENSUS_LABELS {
            "# Codebench report\n\nLabels: the consensus.\n".to_string()
        } else {
            format!("# Codebench report\n\nLabels: rater `{}`.\n", self.source)
        };
        for u in self.unlabelled.iter().filter(|u| !u.units.is_empty()) {
            out.push_str(&format!(
                "\n{} of {} units have no {} label in `{}`: {}.\n",
                u.units.len(),
                u.units_total,
                if self.source == CONSENSUS_LABELS {
                    "reconciled"
                } else {
                    ""
                },
                u.dimension,
                u.units.join(", ")
            ));
        }
        if let Some(methods) = &self.selection {
            out.push_str(&format!("\n## Corpus selection\n\n{methods}\n"));
        }
        for t in &self.tables {
            out.push_str(&format!("\n## {}\n\n", t.title));
            if !t.note.is_empty() {
                out.push_str(&format!("{}\n\n", t.note));
            }
            out.push_str(&format!("| {} |\n", t.columns.join(" | ")));
            out.push_str(&format!("|{}\n", " --- |".repeat(t.columns.len())));
            for r in &t.rows {
                out.push_str(&format!(
                    "| {} |\n",
                    r.iter()
                        .map(|c| c.replace('|', "\\|"))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
        }
        out
    }

    /// The report as one long CSV: `table,row,column,value`.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(["table", "row", "column", "value"])?;
        for t in &self.tables {
            for r in &t.rows {
                for (c, v) in t.columns.iter().zip(r).skip(1) {
                    w.write_record([t.id.as_str(), &r[0], c, v])?;
                }
            }
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::io("report", e.into_error()))?;
        Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
    }
}
