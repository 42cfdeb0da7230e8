//! `codebook.csv`: the codebook as a table, one row per code of each dimension in its order.

use super::opt;
use crate::{Result, Study};

/// Columns of `codebook.csv`.
pub const CODEBOOK_COLUMNS: [&str; 13] = [
    "dimension",
    "dimension_name",
    "unit",
    "cardinality",
    "code",
    "name",
    "parent",
    "group",
    "status",
    "position",
    "definition",
    "include",
    "exclude",
];

pub(super) fn codebook_rows(study: &Study) -> Result<Vec<Vec<String>>> {
    let book = study.codebook()?;
    let mut rows = Vec::new();
    for d in &book.dimensions {
        for (i, c) in d.codes.iter().enumerate() {
            rows.push(vec![
                d.id.clone(),
                d.name.clone(),
                d.unit.as_str().into(),
                d.cardinality.as_str().into(),
                c.id.clone(),
                c.name.clone(),
                opt(c.parent.clone()),
                opt(c.group.clone()),
                c.status.as_str().into(),
                (i + 1).to_string(),
                c.definition.clone(),
                c.include.clone(),
                c.exclude.clone(),
            ]);
        }
    }
    Ok(rows)
}
