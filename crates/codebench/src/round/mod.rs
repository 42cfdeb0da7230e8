//! Rounds of blind coding: a sample of units, the raters assigned to code it, and a reveal.
//!
//! A round samples units deterministically (a seed, stored with the round) from the units a
//! dimension is decided on (project units when the round has no dimension), optionally
//! stratified by a one-code project dimension (the consensus code of the unit's project,
//! else the code most of its raters chose). A round may extend an earlier one: it keeps all
//! of that round's units and samples more, which is how the paper's procedure is expressed
//! (`--fraction 0.5`, then `--fraction 0.75 --extend r50`, then `--fraction 1 --extend r75`).
//!
//! Until a round is revealed, coding on its units is blind: [`Study::visible_decisions`]
//! shows a rater only their own decisions there, and reconciliation leaves them out.

mod sampling;
mod store;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::codebook::{Cardinality, UnitKind};
use crate::coding::Decision;
use crate::{Error, Result, Study};

pub(crate) use sampling::sample;
pub(crate) use store::decided_in_round;

use sampling::{plan_marginals, strata_of};
use store::{assigned, check_round_name, pairs_of, round_id, round_unit_names, RoundRow};

/// How big a new round is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RoundSize {
    /// This many units (at most all of them).
    Count(usize),
    /// This share of the units (0 < f ≤ 1), rounded up.
    Fraction(f64),
    /// As many units as [`codebench_agreement::plan_round_size`] asks for a Cohen's κ
    /// interval of `width` at `confidence` when the raters reach `expected_kappa`, with the
    /// category shares of the decisions so far (uniform when there are none).
    Plan {
        /// Wanted confidence interval width (upper minus lower limit).
        width: f64,
        /// The κ the raters are expected to reach.
        expected_kappa: f64,
        /// Confidence level, e.g. 0.95.
        confidence: f64,
    },
}

/// What to create.
#[derive(Debug, Clone)]
pub struct RoundSpec {
    /// The round's unique name.
    pub name: String,
    /// Its size.
    pub size: RoundSize,
    /// The dimension coded in the round; `None`: every dimension of project units.
    pub dimension: Option<String>,
    /// A one-code project dimension to stratify the sample by (e.g. `kind`).
    pub stratify: Option<String>,
    /// The sampling seed; `None` picks one from the clock (stored with the round).
    pub seed: Option<u64>,
    /// An earlier round whose units this one keeps and grows.
    pub extend: Option<String>,
    /// Who creates it (kept in the history; `None`: `system`).
    pub by: Option<String>,
}

/// One assigned rater's progress in a round.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct RaterProgress {
    /// The rater's name.
    pub rater: String,
    /// (unit, dimension) pairs decided.
    pub decided: usize,
    /// (unit, dimension) pairs to decide.
    pub total: usize,
}

/// A round as stored.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RoundInfo {
    /// The round's name.
    pub name: String,
    /// The dimension coded, if one.
    pub dimension: Option<String>,
    /// The sampling seed.
    pub seed: u64,
    /// The round it extends.
    pub extends: Option<String>,
    /// How the size was chosen and the strata (JSON).
    pub plan: serde_json::Value,
    /// Its units, by name.
    pub units: Vec<String>,
    /// Assigned raters with their progress.
    pub raters: Vec<RaterProgress>,
    /// When it was created.
    pub created_at: String,
    /// When it was revealed (`None`: coding is still blind).
    pub revealed_at: Option<String>,
    /// Who revealed it.
    pub revealed_by: Option<String>,
}

/// Decisions an assigned rater still owes a round.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct Missing {
    /// The rater.
    pub rater: String,
    /// `unit (dimension)` entries not decided yet.
    pub pairs: Vec<String>,
}

impl Study {
    /// Samples and stores a new round (no raters assigned yet). Deterministic for a seed.
    pub fn create_round(&mut self, spec: &RoundSpec) -> Result<RoundInfo> {
        let name = check_round_name(&spec.name)?;
        let book = self.cached_codebook()?;
        let dim = match &spec.dimension {
            Some(d) => Some(book.require_dimension(d)?.clone()),
            None => None,
        };
        let kind = dim.as_ref().map(|d| d.unit).unwrap_or(UnitKind::Project);
        let pool: Vec<String> = self
            .units()?
            .into_iter()
            .filter(|u| u.kind == kind.as_str())
            .map(|u| u.name)
            .collect();
        if pool.is_empty() {
            return Err(Error::Invalid(format!(
                "round '{name}': the study has no {} units to sample",
                kind.as_str()
            )));
        }
        let previous: Option<(i64, RoundInfo)> = match &spec.extend {
            Some(p) => {
                let info = self.round(p)?;
                if info.dimension.as_deref() != dim.as_ref().map(|d| d.id.as_str()) {
                    return Err(Error::Invalid(format!(
                        "round '{name}' extends '{p}', which codes {} but this round codes {}; a round that extends another codes the same dimension",
                        info.dimension.as_deref().unwrap_or("every dimension"),
                        dim.as_ref().map(|d| d.id.as_str()).unwrap_or("every dimension")
                    )));
                }
                Some((round_id(self.conn(), p)?, info))
            }
            None => None,
        };
        let (size, mut plan) = match spec.size {
            RoundSize::Count(n) => (n, serde_json::json!({ "size": n })),
            RoundSize::Fraction(f) => {
                if !(f > 0.0 && f <= 1.0) {
                    return Err(Error::Invalid(format!(
                        "round '{name}': the fraction {f} must be above 0 and at most 1"
                    )));
                }
                let n = (f * pool.len() as f64 - 1e-9).ceil() as usize;
                (n, serde_json::json!({ "fraction": f }))
            }
            RoundSize::Plan {
                width,
                expected_kappa,
                confidence,
            } => {
                let Some(d) = &dim else {
                    return Err(Error::Invalid(format!(
                        "round '{name}': planning the size needs a dimension (the category shares come from it)"
                    )));
                };
                let marginals = plan_marginals(self, &book, &d.id)?;
                let n = crate::agreement::plan_round_size(
                    expected_kappa,
                    &marginals,
                    width,
                    confidence,
                )
                .map_err(|e| Error::Invalid(format!("round '{name}': {e}")))?;
                (
                    n,
                    serde_json::json!({ "plan": { "width": width, "expected_kappa": expected_kappa, "confidence": confidence, "marginals": marginals, "planned": n } }),
                )
            }
        };
        if size == 0 {
            return Err(Error::Invalid(format!(
                "round '{name}': a round needs at least one unit"
            )));
        }
        let size = size.min(pool.len());
        let keep: BTreeSet<String> = previous
            .as_ref()
            .map(|(_, i)| i.units.iter().cloned().collect())
            .unwrap_or_default();
        if keep.len() > size {
            return Err(Error::Invalid(format!(
                "round '{name}' would have {size} units, fewer than the {} of '{}' it extends",
                keep.len(),
                spec.extend.as_deref().unwrap_or_default()
            )));
        }
        let seed = spec.seed.unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            // 53 bits: the seed survives a round trip through JSON numbers (the app, scripts).
            t & 0x001f_ffff_ffff_ffff
        });
        let strata: BTreeMap<String, Vec<String>> = match &spec.stratify {
            Some(s) => {
                let sd = book.require_dimension(s)?;
                if sd.unit != UnitKind::Project || sd.cardinality != Cardinality::One {
                    return Err(Error::Invalid(format!(
                        "round '{name}': cannot stratify by '{s}': stratify by a one-code project dimension (e.g. kind)"
                    )));
                }
                strata_of(self, &book, &sd.id, &pool)?
            }
            None => BTreeMap::from([(String::new(), pool.clone())]),
        };
        let chosen = sample(&strata, &keep, size, seed);
        if spec.stratify.is_some() {
            let counts: BTreeMap<&String, usize> = strata
                .iter()
                .map(|(s, units)| (s, units.iter().filter(|u| chosen.contains(*u)).count()))
                .collect();
            plan["strata"] = serde_json::json!({ "by": spec.stratify, "sampled": counts });
        }
        plan["pool"] = serde_json::json!(pool.len());
        let prev_id = previous.map(|(id, _)| id);
        self.write(|tx| {
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM round WHERE name = ?1)", [&name], |r| r.get(0))?;
            if exists {
                return Err(Error::Invalid(format!("a round named '{name}' already exists; choose another name")));
            }
            tx.execute(
                "INSERT INTO round (name, dimension, seed, extends, plan, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, dim.as_ref().map(|d| d.id.clone()), seed as i64, prev_id, plan.to_string(), crate::now()],
            )?;
            let id = tx.last_insert_rowid();
            let mut put = tx.prepare_cached("INSERT INTO round_unit (round_id, unit_id) SELECT ?1, id FROM unit WHERE name = ?2")?;
            for u in &chosen {
                put.execute(params![id, u])?;
            }
            let new = serde_json::json!({ "seed": seed, "units": chosen.len(), "extends": spec.extend, "plan": plan });
            crate::history::record(tx, spec.by.as_deref().unwrap_or("system"), "round.create", &name, None, Some(&new))?;
            Ok(())
        })?;
        self.round(&name)
    }

    /// Assigns raters to a round (raters already assigned stay).
    pub fn assign_round(&mut self, name: &str, raters: &[String], by: &str) -> Result<RoundInfo> {
        if raters.is_empty() {
            return Err(Error::Invalid(format!(
                "round '{name}': name the raters to assign"
            )));
        }
        self.write(|tx| {
            let id = round_id(tx, name)?;
            for r in raters {
                let rid: i64 = tx
                    .query_row("SELECT id FROM rater WHERE name = ?1", [r], |row| {
                        row.get(0)
                    })
                    .optional()?
                    .ok_or_else(|| Error::Unknown {
                        what: "rater",
                        name: r.clone(),
                        context: String::new(),
                    })?;
                if tx.execute(
                    "INSERT OR IGNORE INTO round_rater (round_id, rater_id) VALUES (?1, ?2)",
                    params![id, rid],
                )? > 0
                {
                    crate::history::record(
                        tx,
                        by,
                        "round.assign",
                        &format!("{name}|{r}"),
                        None,
                        None,
                    )?;
                }
            }
            Ok(())
        })?;
        self.round(name)
    }

    /// Every round, oldest first.
    pub fn rounds(&self) -> Result<Vec<RoundInfo>> {
        let names: Vec<String> = self
            .conn()
            .prepare("SELECT name FROM round ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        names.iter().map(|n| self.round(n)).collect()
    }

    /// One round by name.
    pub fn round(&self, name: &str) -> Result<RoundInfo> {
        let c = self.conn();
        let id = round_id(c, name)?;
        let (dimension, seed, extends, plan, created_at, revealed_at, revealed_by): RoundRow = c
            .query_row(
            "SELECT r.dimension, r.seed, p.name, r.plan, r.created_at, r.revealed_at, r.revealed_by
             FROM round r LEFT JOIN round p ON p.id = r.extends WHERE r.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?;
        let units = round_unit_names(c, id)?;
        let missing = self.round_missing(name)?;
        let book = self.cached_codebook()?;
        let total = pairs_of(c, &book, id, dimension.as_deref())?.len();
        let raters = assigned(c, id)?
            .into_iter()
            .map(|r| {
                let owed = missing
                    .iter()
                    .find(|m| m.rater == r)
                    .map(|m| m.pairs.len())
                    .unwrap_or(0);
                RaterProgress {
                    rater: r,
                    decided: total - owed,
                    total,
                }
            })
            .collect();
        Ok(RoundInfo {
            name: name.to_string(),
            dimension,
            seed: seed as u64,
            extends,
            plan: serde_json::from_str(&plan).unwrap_or(serde_json::Value::Null),
            units,
            raters,
            created_at,
            revealed_at,
            revealed_by,
        })
    }

    /// The units of a round, by name.
    pub fn round_units(&self, name: &str) -> Result<BTreeSet<String>> {
        let id = round_id(self.conn(), name)?;
        Ok(round_unit_names(self.conn(), id)?.into_iter().collect())
    }

    /// What each assigned rater has not decided yet in a round.
    pub fn round_missing(&self, name: &str) -> Result<Vec<Missing>> {
        let c = self.conn();
        let id = round_id(c, name)?;
        let dim: Option<String> =
            c.query_row("SELECT dimension FROM round WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        let book = self.cached_codebook()?;
        let pairs = pairs_of(c, &book, id, dim.as_deref())?;
        let mut has = c.prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM decision d JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id
             WHERE r.name = ?1 AND u.name = ?2 AND d.dimension = ?3)",
        )?;
        let mut out = Vec::new();
        for rater in assigned(c, id)? {
            let mut owed = Vec::new();
            for (unit, d) in &pairs {
                if !has.query_row(params![rater, unit, d], |r| r.get::<_, bool>(0))? {
                    owed.push(format!("{unit} ({d})"));
                }
            }
            if !owed.is_empty() {
                out.push(Missing { rater, pairs: owed });
            }
        }
        Ok(out)
    }

    /// Reveals a round: from now on everyone sees everyone's decisions on its units. Refused
    /// while an assigned rater has not decided every unit (the error lists what is missing)
    /// or no rater is assigned, unless `force`.
    pub fn reveal_round(&mut self, name: &str, by: &str, force: bool) -> Result<RoundInfo> {
        let info = self.round(name)?;
        if info.revealed_at.is_some() {
            return Ok(info);
        }
        if !force {
            if info.raters.is_empty() {
                return Err(Error::Incomplete(format!(
                    "round '{name}' has no raters assigned"
                )));
            }
            let missing = self.round_missing(name)?;
            if !missing.is_empty() {
                let parts: Vec<String> = missing
                    .iter()
                    .map(|m| {
                        let shown: Vec<&str> = m.pairs.iter().take(5).map(String::as_str).collect();
                        let more = if m.pairs.len() > 5 {
                            format!(" and {} more", m.pairs.len() - 5)
                        } else {
                            String::new()
                        };
                        format!(
                            "{} has not decided {} ({}{more})",
                            m.rater,
                            m.pairs.len(),
                            shown.join(", ")
                        )
                    })
                    .collect();
                return Err(Error::Incomplete(format!(
                    "round '{name}' cannot be revealed yet: {}",
                    parts.join("; ")
                )));
            }
        }
        let by = by.trim().to_string();
        let book = self.cached_codebook()?;
        self.write(|tx| {
            tx.execute(
                "UPDATE round SET revealed_at = ?2, revealed_by = ?3 WHERE name = ?1",
                params![name, crate::now(), by],
            )?;
            crate::history::record(
                tx,
                &by,
                "round.reveal",
                name,
                None,
                Some(&serde_json::json!({ "forced": force })),
            )?;
            // Now that the raters may see each other, units where they all agree
            // become consensus (when the study has automatic consensus on).
            let pairs = decided_in_round(tx, name)?;
            for (unit_id, unit, dim) in pairs {
                crate::rules::sync_auto_consensus(tx, &book, unit_id, &unit, &dim)?;
            }
            Ok(())
        })?;
        self.round(name)
    }

    /// The decisions on a unit that `viewer` may see: while the unit is in an unrevealed round
    /// (for the decision's dimension) only the viewer's own; otherwise everyone's. Blind
    /// coding is enforced here so every shell (app, CLI) gets it.
    pub fn visible_decisions(&self, viewer: &str, unit: &str) -> Result<Vec<Decision>> {
        crate::corpus::unit_by_name(self.conn(), unit)?;
        let mut out = Vec::new();
        for d in self.decisions(None)? {
            if d.unit != unit {
                continue;
            }
            if d.rater == viewer || !crate::rules::is_blinded(self.conn(), unit, &d.dimension)? {
                out.push(d);
            }
        }
        Ok(out)
    }
}
