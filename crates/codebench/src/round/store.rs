//! The round tables as the study file stores them: a round's row, its units and its assigned
//! raters read back by name or id, the (unit, dimension) pairs its raters decide, and the
//! decisions made inside its sample (which a reveal and a merge settle consensus for).

use rusqlite::{Connection, OptionalExtension};

use crate::codebook::Codebook;
use crate::{Error, Result};

/// The (unit id, unit, dimension) pairs with decisions inside a round's sample.
pub(crate) fn decided_in_round(c: &Connection, round: &str) -> Result<Vec<(i64, String, String)>> {
    let mut stmt = c.prepare_cached(
        "SELECT DISTINCT d.unit_id, u.name, d.dimension FROM decision d
         JOIN unit u ON u.id = d.unit_id
         JOIN round_unit ru ON ru.unit_id = d.unit_id
         JOIN round r ON r.id = ru.round_id
         WHERE r.name = ?1 AND (r.dimension IS NULL OR r.dimension = d.dimension)",
    )?;
    let pairs = stmt
        .query_map([round], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(pairs)
}

/// A round row: dimension, seed, extended round's name, plan, created, revealed at, by.
pub(super) type RoundRow = (
    Option<String>,
    i64,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

pub(super) fn check_round_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "round name '{name}': 1 to 100 characters, no control characters"
        )));
    }
    Ok(name.to_string())
}

pub(super) fn round_id(c: &Connection, name: &str) -> Result<i64> {
    c.prepare_cached("SELECT id FROM round WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::Unknown {
            what: "round",
            name: name.to_string(),
            context: String::new(),
        })
}

pub(super) fn round_unit_names(c: &Connection, id: i64) -> Result<Vec<String>> {
    let names = c
        .prepare_cached("SELECT u.name FROM round_unit ru JOIN unit u ON u.id = ru.unit_id WHERE ru.round_id = ?1 ORDER BY u.name")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

pub(super) fn assigned(c: &Connection, id: i64) -> Result<Vec<String>> {
    let names = c
        .prepare_cached("SELECT r.name FROM round_rater rr JOIN rater r ON r.id = rr.rater_id WHERE rr.round_id = ?1 ORDER BY r.name")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// The (unit, dimension) pairs a rater of the round decides.
pub(super) fn pairs_of(
    c: &Connection,
    book: &Codebook,
    id: i64,
    dim: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let mut stmt = c.prepare_cached(
        "SELECT u.name, u.kind FROM round_unit ru JOIN unit u ON u.id = ru.unit_id WHERE ru.round_id = ?1 ORDER BY u.name",
    )?;
    let units: Vec<(String, String)> = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (unit, kind) in units {
        for d in &book.dimensions {
            if d.unit.as_str() == kind && dim.map(|x| x == d.id).unwrap_or(true) {
                out.push((unit.clone(), d.id.clone()));
            }
        }
    }
    Ok(out)
}
