//! The two rules every read and write path of the core obeys, in one place so that coding,
//! reconciliation and rounds call them instead of each other:
//!
//! - **Blind rounds.** While a round is not revealed, decisions on its units (in its dimension,
//!   or every dimension when it has none) are blind: a viewer sees only their own. [`Blind`]
//!   holds the blind (unit, dimension) pairs of the study, read once per operation, and
//!   [`Blind::hides`] is the one test every read path applies to a decision.
//! - **Automatic consensus.** Where every rater (at least two) chose the same codes and the
//!   unit is not blind, the unit gets a consensus by [`AUTO_ADJUDICATOR`]; it follows the raters
//!   until an adjudicator decides the unit ([`sync_auto_consensus`]). A study setting turns it
//!   off.
//!
//! Invariant: nothing returned to a viewer carries another rater's codes, memo, flag or
//! evidence on a blind pair; the rules never write while a pair is blind.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use crate::codebook::Codebook;
use crate::consensus::{clear_consensus, consensus_row, rater_codes, set_consensus, Consensus};
use crate::Result;

/// The blind (unit, dimension) pairs of a study: units of unrevealed rounds, per round
/// dimension (`None`: the round codes every dimension).
#[derive(Debug, Clone, Default)]
pub struct Blind {
    /// By unit name: (the round's dimension, the round's name).
    pairs: HashMap<String, Vec<(Option<String>, String)>>,
}

impl Blind {
    /// Reads the unrevealed rounds' units of the study.
    pub(crate) fn load(c: &Connection) -> Result<Blind> {
        let mut stmt = c.prepare_cached(
            "SELECT u.name, r.dimension, r.name FROM round_unit ru
             JOIN round r ON r.id = ru.round_id JOIN unit u ON u.id = ru.unit_id
             WHERE r.revealed_at IS NULL ORDER BY r.id",
        )?;
        let mut pairs: HashMap<String, Vec<(Option<String>, String)>> = HashMap::new();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (unit, dim, round) = row?;
            pairs.entry(unit).or_default().push((dim, round));
        }
        Ok(Blind { pairs })
    }

    /// Whether decisions on `unit` in `dimension` are blind.
    pub fn is_blind(&self, unit: &str, dimension: &str) -> bool {
        self.pairs.get(unit).is_some_and(|rs| {
            rs.iter()
                .any(|(d, _)| d.as_deref().is_none_or(|d| d == dimension))
        })
    }

    /// The unrevealed rounds that make `unit` blind in `dimension`, oldest first.
    pub fn rounds(&self, unit: &str, dimension: &str) -> Vec<String> {
        self.pairs
            .get(unit)
            .map(|rs| {
                rs.iter()
                    .filter(|(d, _)| d.as_deref().is_none_or(|d| d == dimension))
                    .map(|(_, r)| r.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `viewer` must not see what `rater` recorded on `unit` in `dimension`: it is
    /// someone else's, and blind. With no viewer, every blind pair is hidden.
    pub fn hides(&self, viewer: Option<&str>, rater: &str, unit: &str, dimension: &str) -> bool {
        viewer != Some(rater) && self.is_blind(unit, dimension)
    }

    /// Whether the study has no blind pair at all.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Whether decisions on `unit` in `dimension` are blind, asked of the database directly (for
/// one pair inside a write transaction; use [`Blind`] for many).
pub(crate) fn is_blinded(c: &Connection, unit: &str, dimension: &str) -> Result<bool> {
    Ok(!blinding_rounds(c, unit, dimension)?.is_empty())
}

/// The unrevealed rounds that make `unit` blind in `dimension`.
pub(crate) fn blinding_rounds(c: &Connection, unit: &str, dimension: &str) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT r.name FROM round_unit ru JOIN round r ON r.id = ru.round_id JOIN unit u ON u.id = ru.unit_id
         WHERE u.name = ?1 AND r.revealed_at IS NULL AND (r.dimension IS NULL OR r.dimension = ?2) ORDER BY r.id",
    )?;
    let names = stmt
        .query_map(params![unit, dimension], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// Adjudicator name recorded on automatic consensus (and by [`Study::auto_consensus`]).
pub const AUTO_ADJUDICATOR: &str = "auto";

/// The `meta` key of the automatic-consensus setting ('1' on, '0' off; absent means on).
pub(crate) const AUTO_SETTING: &str = "auto_consensus";

/// The rationale written on an automatic consensus.
const AUTO_RATIONALE: &str = "all raters chose these codes";

/// Whether the study has automatic consensus on (absent setting: on).
pub(crate) fn auto_enabled(c: &Connection) -> Result<bool> {
    let v: Option<String> = c
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([AUTO_SETTING], |r| r.get(0))
        .optional()?;
    Ok(v.as_deref() != Some("0"))
}

/// [`sync_auto_consensus`] for a unit given by name.
pub(crate) fn sync_auto_consensus_of(
    tx: &Connection,
    book: &Codebook,
    unit: &str,
    dim: &str,
) -> Result<Option<Consensus>> {
    let (unit_id, _) = crate::corpus::unit_by_name(tx, unit)?;
    sync_auto_consensus(tx, book, unit_id, unit, dim)
}

/// Brings the automatic consensus of one unit in one dimension in line with its decisions,
/// inside the caller's transaction: made when all raters (at least two) agree and there is
/// no consensus; withdrawn or changed when it was automatic and the raters' codes moved.
/// Does nothing while automatic consensus is off, while the unit is blind in an unrevealed
/// round, or when an adjudicator decided the unit. Returns the consensus written, if any.
pub(crate) fn sync_auto_consensus(
    tx: &Connection,
    book: &Codebook,
    unit_id: i64,
    unit: &str,
    dim: &str,
) -> Result<Option<Consensus>> {
    if !auto_enabled(tx)? || is_blinded(tx, unit, dim)? {
        return Ok(None);
    }
    let Some(dimension) = book.dimension(dim) else {
        return Ok(None);
    };
    let raters = rater_codes(tx, book, unit_id, dim)?;
    let agreed = (raters.len() >= 2 && raters.iter().all(|r| r.codes == raters[0].codes))
        .then(|| raters[0].codes.clone());
    let existing = consensus_row(tx, book, unit_id, dim)?;
    match (existing, agreed) {
        (Some(c), _) if c.adjudicator != AUTO_ADJUDICATOR => Ok(None),
        (Some(c), Some(codes)) if c.codes == codes => Ok(None),
        (_, Some(codes)) => {
            let (_, c) = set_consensus(
                tx,
                unit_id,
                unit,
                dimension,
                &codes,
                AUTO_ADJUDICATOR,
                AUTO_RATIONALE,
                "unanimous",
            )?;
            Ok(Some(c))
        }
        (Some(old), None) => {
            clear_consensus(
                tx,
                unit_id,
                &old,
                AUTO_ADJUDICATOR,
                "the raters no longer agree",
            )?;
            Ok(None)
        }
        (None, None) => Ok(None),
    }
}

/// What a read path returns to a viewer: the items they may see, and how many were withheld
/// because they are other raters' on blind units.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seen<T> {
    /// What the viewer may see.
    pub items: Vec<T>,
    /// Withheld: other raters' items on units of rounds not revealed yet.
    pub withheld: usize,
}

impl crate::Study {
    /// The blind pairs of the study as they stand.
    pub fn blind(&self) -> Result<Blind> {
        Blind::load(self.conn())
    }

    /// Current decisions (of one rater, or everyone's) that `viewer` may see: their own, and
    /// others' outside blind pairs. The one read of decisions every shell-facing path uses.
    pub fn decisions_seen_by(
        &self,
        viewer: Option<&str>,
        rater: Option<&str>,
    ) -> Result<Seen<crate::coding::Decision>> {
        let all = self.decisions(rater)?;
        let blind = self.blind()?;
        if blind.is_empty() {
            return Ok(Seen {
                items: all,
                withheld: 0,
            });
        }
        let total = all.len();
        let items: Vec<_> = all
            .into_iter()
            .filter(|d| !blind.hides(viewer, &d.rater, &d.unit, &d.dimension))
            .collect();
        Ok(Seen {
            withheld: total - items.len(),
            items,
        })
    }

    /// Evidence (of one rater, or everyone's) that `viewer` may see, by the same rule as
    /// [`crate::Study::decisions_seen_by`].
    pub fn evidence_seen_by(
        &self,
        viewer: Option<&str>,
        rater: Option<&str>,
    ) -> Result<Seen<crate::evidence::Evidence>> {
        let all = self.evidence(rater)?;
        let blind = self.blind()?;
        let total = all.len();
        let items: Vec<_> = all
            .into_iter()
            .filter(|e| !blind.hides(viewer, &e.rater, &e.unit, &e.dimension))
            .collect();
        Ok(Seen {
            withheld: total - items.len(),
            items,
        })
    }
}
