//! `history.csv`: every change the study recorded, except the rows that would tell the viewer
//! another rater's decisions or evidence on a blind unit (until the round is revealed).

use super::view::View;
use crate::{Result, Study};

/// Columns of `history.csv`.
pub const HISTORY_COLUMNS: [&str; 7] = ["id", "at", "actor", "action", "subject", "old", "new"];

/// `history.csv`: every change, except the viewer may not read other raters' decisions and
/// evidence on blind units there either (their rows are left out until the round is revealed).
pub(super) fn history_rows(study: &Study, view: &View) -> Result<Vec<Vec<String>>> {
    let mut stmt = study
        .conn()
        .prepare("SELECT id, at, actor, action, subject, old, new FROM history ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(vec![
            r.get::<_, i64>(0)?.to_string(),
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        ])
    })?;
    let mut out = Vec::new();
    for row in rows {
        let row = row?;
        if hides_history(view, &row[3], &row[4]) {
            continue;
        }
        out.push(row);
    }
    Ok(out)
}

/// Whether a history row (`action`, `subject`) tells the viewer another rater's codes, memo or
/// evidence on a blind unit: `decision.*` and `evidence.*` rows are `rater|unit|dimension`.
fn hides_history(view: &View, action: &str, subject: &str) -> bool {
    if view.blind.is_empty()
        || !(action.starts_with("decision.") || action.starts_with("evidence."))
    {
        return false;
    }
    // The rater comes first and the dimension last; the unit in between may hold a '|'.
    match (subject.split_once('|'), subject.rsplit_once('|')) {
        (Some((rater, rest)), Some((_, dim))) => match rest.rsplit_once('|') {
            Some((unit, _)) => view.blind.hides(view.viewer.as_deref(), rater, unit, dim),
            None => false,
        },
        _ => false,
    }
}
