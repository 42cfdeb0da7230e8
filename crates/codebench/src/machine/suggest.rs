//! Assist: machine raters' answers on a unit shown to a person as suggestions before they
//! decide it.
//!
//! Unanchored by default: nothing is suggested unless a person asks, and never on a unit of a
//! round not revealed yet in the dimension (refused as blind, for every viewer: the round is
//! there to measure what people decide alone). Asking is recorded: the machine raters shown to
//! the person on that unit and dimension are kept (`suggestion_shown`, with a history row), and
//! the decision they record or change afterwards carries those names in
//! [`crate::coding::Decision::suggested_by`]. Only a machine rater's latest answer with codes is
//! a suggestion; a latest answer that failed is named, with nothing to show.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::corpus::unit_by_name;
use crate::{Error, Result, Study};

/// One machine rater's suggestion on a unit: its latest answer with codes.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Suggestion {
    /// The machine rater.
    pub rater: String,
    /// The run the answer came from.
    pub run: i64,
    /// The codes it gave.
    pub codes: Vec<String>,
    /// Its rationale.
    pub rationale: String,
    /// Its confidence, 0 to 1, when it gave one.
    pub confidence: Option<f64>,
}

/// What the machine raters suggest on one unit in one dimension, as shown to a person.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Suggestions {
    /// The unit.
    pub unit: String,
    /// The dimension.
    pub dimension: String,
    /// The person shown them.
    pub rater: String,
    /// The suggestions, by machine rater name.
    pub suggestions: Vec<Suggestion>,
    /// Machine raters whose latest answer on the unit failed (nothing to suggest).
    pub failed: Vec<String>,
    /// Whether the showing was recorded: a decision recorded now is marked assisted.
    pub recorded: bool,
}

impl Study {
    /// Shows `rater` the machine raters' suggestions on `unit` in `dimension` and records that
    /// they were shown (see the module documentation). Refused as blind on a unit of a round not
    /// revealed yet in the dimension, and for a machine rater.
    pub fn machine_suggestions(
        &mut self,
        rater: &str,
        unit: &str,
        dimension: &str,
    ) -> Result<Suggestions> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?.id.clone();
        let (kind, rater_id): (String, i64) = self
            .conn()
            .query_row(
                "SELECT kind, id FROM rater WHERE name = ?1",
                [rater.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| Error::unknown("rater", rater.trim()))?;
        if kind == "machine" {
            return Err(Error::Invalid(format!(
                "'{}' is a machine rater: suggestions are shown to people",
                rater.trim()
            )));
        }
        let (unit_id, u) = unit_by_name(self.conn(), unit)?;
        let rounds = crate::rules::blinding_rounds(self.conn(), &u.name, &dim)?;
        if !rounds.is_empty() {
            return Err(Error::Blind {
                what: format!("the machine raters' suggestions on '{}' ({dim})", u.name),
                rounds,
            });
        }
        let latest = self
            .latest_machine_answers(&dim, Some(&u.name))?
            .remove(&u.name)
            .unwrap_or_default();
        let mut suggestions = Vec::new();
        let mut failed = Vec::new();
        for (name, a) in latest {
            if a.status != "ok" {
                failed.push(name);
                continue;
            }
            suggestions.push(Suggestion {
                rater: name,
                run: a.run,
                codes: a.codes,
                rationale: a.rationale,
                confidence: a.confidence,
            });
        }
        let recorded = !suggestions.is_empty();
        if recorded {
            let shown: Vec<&str> = suggestions.iter().map(|s| s.rater.as_str()).collect();
            let shown = shown.join(",");
            let person = rater.trim().to_string();
            let subject = format!("{person}|{}|{dim}", u.name);
            self.write(|tx| {
                let before: String = tx
                    .query_row(
                        "SELECT machines FROM suggestion_shown WHERE rater_id = ?1 AND unit_id = ?2 AND dimension = ?3",
                        params![rater_id, unit_id, dim],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or_default();
                let all = crate::coding::union_of(&before, &shown);
                if all != before {
                    tx.execute(
                        "INSERT INTO suggestion_shown (rater_id, unit_id, dimension, machines, shown_at) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (rater_id, unit_id, dimension) DO UPDATE SET machines = excluded.machines, shown_at = excluded.shown_at",
                        params![rater_id, unit_id, dim, all, crate::now()],
                    )?;
                    crate::history::record(
                        tx,
                        &person,
                        "suggestion.show",
                        &subject,
                        None,
                        Some(&serde_json::json!({ "machines": crate::coding::names_of(&all) })),
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(Suggestions {
            unit: u.name,
            dimension: dim,
            rater: rater.trim().to_string(),
            suggestions,
            failed,
            recorded,
        })
    }
}
