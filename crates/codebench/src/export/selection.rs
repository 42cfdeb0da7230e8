//! The tables of the corpus selection: `selection.csv` (one row per step), `excluded.csv` (the
//! repositories a step left out), `hub.csv` and `hub_tags.csv` (the Docker Hub repositories the
//! projects reference, and their tags). Their rows are read by the selection and hub modules.

use super::sheet::to_csv;
use crate::{Error, Result, Study};

/// `selection.csv` as text, formulas neutralised (what `export` writes).
pub fn selection_csv(study: &Study) -> Result<String> {
    let bytes = to_csv(&SELECTION_COLUMNS, &study.selection_rows()?, false)?;
    String::from_utf8(bytes).map_err(|e| Error::Invalid(format!("selection.csv: {e}")))
}

/// Columns of `selection.csv`: one row per step of the corpus selection.
pub const SELECTION_COLUMNS: [&str; 15] = [
    "step",
    "kind",
    "criterion",
    "label",
    "parameters",
    "api_url",
    "hub_url",
    "started_at",
    "finished_at",
    "status",
    "in",
    "out",
    "excluded",
    "requests",
    "error",
];

/// Columns of `excluded.csv`: one row per repository a selection step left out.
pub const EXCLUDED_COLUMNS: [&str; 6] = [
    "repository",
    "repo_id",
    "step",
    "kind",
    "criterion",
    "reason",
];

/// Columns of `hub.csv`: one row per project and Docker Hub repository it references.
pub const HUB_COLUMNS: [&str; 16] = [
    "project",
    "hub_repository",
    "references",
    "found",
    "description",
    "full_description",
    "stars",
    "pulls",
    "last_updated",
    "registered",
    "tag_count",
    "tags_read",
    "latest_tag",
    "latest_push",
    "web_url",
    "fetched_at",
];

/// Columns of `hub_tags.csv`: one row per tag of a fetched Docker Hub repository.
pub const HUB_TAGS_COLUMNS: [&str; 8] = [
    "hub_repository",
    "position",
    "tag",
    "last_pushed",
    "last_updated",
    "digest",
    "full_size",
    "status",
];
