//! Each machine rater's latest answer per unit in a dimension: what the routing list and the
//! assist suggestions read. A later answer (a resumed or a new run) replaces an earlier one.
//! Not blind-filtered: each caller applies its own rule (routing counts and leaves out units of
//! unrevealed rounds; suggestions are refused there).

use std::collections::BTreeMap;

use rusqlite::params;

use crate::{Result, Study};

/// One machine rater's latest answer on a unit.
pub(crate) struct Latest {
    /// The run it came from.
    pub run: i64,
    /// `ok` or `failed`.
    pub status: String,
    /// Its codes in codebook order (none when it failed).
    pub codes: Vec<String>,
    /// Its rationale ('' when none).
    pub rationale: String,
    /// Its confidence, 0 to 1.
    pub confidence: Option<f64>,
}

impl Study {
    /// The latest answer of every machine rater on every unit of `dimension` (only `unit`'s,
    /// when given), by unit, then rater.
    pub(crate) fn latest_machine_answers(
        &self,
        dimension: &str,
        unit: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeMap<String, Latest>>> {
        let book = self.cached_codebook()?;
        let dim = book.dimension(dimension);
        let mut stmt = self.conn().prepare_cached(
            "SELECT a.unit, r.name, a.run_id, a.status, a.codes, a.rationale, a.confidence
             FROM machine_answer a JOIN machine_run x ON x.id = a.run_id JOIN rater r ON r.id = x.rater_id
             WHERE x.dimension = ?1 AND (?2 IS NULL OR a.unit = ?2) ORDER BY a.answered_at, a.run_id",
        )?;
        let mut rows = stmt.query(params![dimension, unit])?;
        let mut out: BTreeMap<String, BTreeMap<String, Latest>> = BTreeMap::new();
        // Rows come oldest first: a later answer replaces an earlier one.
        while let Some(r) = rows.next()? {
            let mut codes: Vec<String> = r
                .get::<_, Option<String>>(4)?
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or_default();
            if let Some(d) = dim {
                d.sort_codes(&mut codes);
            }
            out.entry(r.get(0)?).or_default().insert(
                r.get(1)?,
                Latest {
                    run: r.get(2)?,
                    status: r.get(3)?,
                    codes,
                    rationale: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    confidence: r.get(6)?,
                },
            );
        }
        Ok(out)
    }
}
