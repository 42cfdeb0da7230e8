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

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::codebook::{Cardinality, Codebook, UnitKind};
use crate::coding::Decision;
use crate::{Error, Result, Study};

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
type RoundRow = (
    Option<String>,
    i64,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn check_round_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "round name '{name}': 1 to 100 characters, no control characters"
        )));
    }
    Ok(name.to_string())
}

fn round_id(c: &Connection, name: &str) -> Result<i64> {
    c.prepare_cached("SELECT id FROM round WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::Unknown {
            what: "round",
            name: name.to_string(),
            context: String::new(),
        })
}

fn round_unit_names(c: &Connection, id: i64) -> Result<Vec<String>> {
    let names = c
        .prepare_cached("SELECT u.name FROM round_unit ru JOIN unit u ON u.id = ru.unit_id WHERE ru.round_id = ?1 ORDER BY u.name")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

fn assigned(c: &Connection, id: i64) -> Result<Vec<String>> {
    let names = c
        .prepare_cached("SELECT r.name FROM round_rater rr JOIN rater r ON r.id = rr.rater_id WHERE rr.round_id = ?1 ORDER BY r.name")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// The (unit, dimension) pairs a rater of the round decides.
fn pairs_of(
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

/// Each unit's stratum: the consensus code of its project in `dim`, else the code most of
/// the project's raters chose (ties: codebook order), else `(uncoded)`.
fn strata_of(
    study: &Study,
    book: &Codebook,
    dim: &str,
    pool: &[String],
) -> Result<BTreeMap<String, Vec<String>>> {
    let d = book.require_dimension(dim)?;
    let consensus = crate::consensus::consensus_of(study.conn(), book, Some(dim))?;
    let mut votes: BTreeMap<String, BTreeMap<usize, usize>> = BTreeMap::new();
    for dec in study.decisions(None)? {
        if dec.dimension != dim {
            continue;
        }
        if let Some(code) = dec.codes.first() {
            let pos = d
                .codes
                .iter()
                .position(|c| &c.id == code)
                .unwrap_or(usize::MAX);
            *votes.entry(dec.unit).or_default().entry(pos).or_default() += 1;
        }
    }
    let project_of: BTreeMap<String, String> = study
        .units()?
        .into_iter()
        .map(|u| (u.name, u.project))
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for unit in pool {
        let project = project_of
            .get(unit)
            .cloned()
            .unwrap_or_else(|| unit.clone());
        let stratum = if let Some(c) = consensus.get(&project).and_then(|c| c.codes.first()) {
            c.clone()
        } else if let Some(v) = votes.get(&project) {
            let best = v
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(p, _)| *p);
            best.and_then(|p| d.codes.get(p))
                .map(|c| c.id.clone())
                .unwrap_or_else(|| "(uncoded)".into())
        } else {
            "(uncoded)".into()
        };
        out.entry(stratum).or_default().push(unit.clone());
    }
    Ok(out)
}

/// Category shares for planning: the shares of the codes chosen so far in `dim` (one-code
/// dimensions), or `[p, 1 − p]` with p the mean share of units a code is given to
/// (many-code dimensions, per-code κ); uniform over the top-level codes, or `[0.5, 0.5]`,
/// when too little is decided.
fn plan_marginals(study: &Study, book: &Codebook, dim: &str) -> Result<Vec<f64>> {
    let d = book.require_dimension(dim)?;
    let decisions: Vec<Decision> = study
        .decisions(None)?
        .into_iter()
        .filter(|x| x.dimension == dim)
        .collect();
    match d.cardinality {
        Cardinality::One => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for x in &decisions {
                if let Some(c) = x.codes.first() {
                    *counts.entry(c).or_default() += 1;
                }
            }
            let total: usize = counts.values().sum();
            if counts.len() >= 2 && counts.values().all(|&n| n < total) {
                return Ok(counts.values().map(|&n| n as f64 / total as f64).collect());
            }
            let top = d.codes.iter().filter(|c| c.parent.is_none()).count().max(2);
            Ok(vec![1.0 / top as f64; top])
        }
        Cardinality::Many => {
            let n_codes = d.codes.len().max(1) as f64;
            let p = if decisions.is_empty() {
                0.5
            } else {
                let given: usize = decisions.iter().map(|x| x.codes.len()).sum();
                (given as f64 / (decisions.len() as f64 * n_codes)).clamp(0.05, 0.5)
            };
            Ok(vec![p, 1.0 - p])
        }
    }
}

/// SplitMix64: a small, well-known generator; enough for reproducible sampling (rounds and
/// the selection's samples, through [`sample`]).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// `k` items drawn without replacement from `items` (partial Fisher–Yates).
    fn choose(&mut self, items: &[String], k: usize) -> Vec<String> {
        let mut v = items.to_vec();
        let k = k.min(v.len());
        for i in 0..k {
            let j = i + self.below(v.len() - i);
            v.swap(i, j);
        }
        v.truncate(k);
        v
    }
}

/// Draws `size` units: everything in `keep`, then per stratum up to its proportional share
/// (largest remainder), then at random from the rest if the shares fell short.
pub(crate) fn sample(
    strata: &BTreeMap<String, Vec<String>>,
    keep: &BTreeSet<String>,
    size: usize,
    seed: u64,
) -> BTreeSet<String> {
    let total: usize = strata.values().map(Vec::len).sum();
    let mut rng = SplitMix64(seed);
    // Largest-remainder allocation of `size` over the strata.
    let mut alloc: Vec<(String, usize, f64)> = strata
        .iter()
        .map(|(s, u)| {
            let exact = size as f64 * u.len() as f64 / total as f64;
            (s.clone(), exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let mut left = size - alloc.iter().map(|a| a.1).sum::<usize>();
    let mut order: Vec<usize> = (0..alloc.len()).collect();
    order.sort_by(|&a, &b| alloc[b].2.total_cmp(&alloc[a].2).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        alloc[i].1 += 1;
        left -= 1;
    }
    let mut chosen: BTreeSet<String> = keep.clone();
    for (s, want, _) in &alloc {
        let units = &strata[s];
        let have = units.iter().filter(|u| keep.contains(*u)).count();
        let rest: Vec<String> = units
            .iter()
            .filter(|u| !keep.contains(*u))
            .cloned()
            .collect();
        chosen.extend(rng.choose(&rest, want.saturating_sub(have)));
    }
    if chosen.len() < size {
        let rest: Vec<String> = strata
            .values()
            .flatten()
            .filter(|u| !chosen.contains(*u))
            .cloned()
            .collect();
        let need = size - chosen.len();
        chosen.extend(rng.choose(&rest, need));
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::DecisionInput;

    fn study() -> (tempfile::TempDir, Study) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
        s.add_rater("alice").unwrap();
        s.add_rater("bob").unwrap();
        (dir, s)
    }

    fn spec(name: &str, size: RoundSize) -> RoundSpec {
        RoundSpec {
            name: name.into(),
            size,
            dimension: Some("kind".into()),
            stratify: None,
            seed: Some(7),
            extend: None,
            by: None,
        }
    }

    fn code(s: &mut Study, rater: &str, unit: &str, c: &str) {
        s.record(&DecisionInput {
            rater: rater.into(),
            unit: unit.into(),
            dimension: "kind".into(),
            codes: vec![c.into()],
            memo: None,
            flagged: None,
        })
        .unwrap();
    }

    #[test]
    fn sampling_is_deterministic_and_extends_keep_the_sample() {
        let (_d, mut s) = study();
        let a = s
            .create_round(&spec("a", RoundSize::Fraction(0.5)))
            .unwrap();
        assert_eq!(a.units.len(), 6, "half of 12 projects");
        let b = s
            .create_round(&spec("b", RoundSize::Fraction(0.5)))
            .unwrap();
        assert_eq!(a.units, b.units, "same seed, same sample");
        let mut other = spec("c", RoundSize::Fraction(0.5));
        other.seed = Some(8);
        let c = s.create_round(&other).unwrap();
        assert_eq!(c.units.len(), 6);
        let mut grow = spec("a75", RoundSize::Fraction(0.75));
        grow.extend = Some("a".into());
        let g = s.create_round(&grow).unwrap();
        assert_eq!(g.units.len(), 9);
        assert!(a.units.iter().all(|u| g.units.contains(u)));
        assert_eq!(g.extends.as_deref(), Some("a"));
        let mut shrink = spec("small", RoundSize::Count(2));
        shrink.extend = Some("a".into());
        assert!(s
            .create_round(&shrink)
            .unwrap_err()
            .to_string()
            .contains("fewer than"));
        assert!(s
            .create_round(&spec("a", RoundSize::Count(1)))
            .unwrap_err()
            .to_string()
            .contains("already exists"));
        assert!(s
            .create_round(&spec("z", RoundSize::Fraction(1.5)))
            .is_err());
    }

    #[test]
    fn stratified_sample_is_proportional() {
        let (_d, mut s) = study();
        let projects: Vec<String> = s
            .units()
            .unwrap()
            .into_iter()
            .filter(|u| u.kind == "project")
            .map(|u| u.name)
            .collect();
        for (i, p) in projects.iter().enumerate() {
            code(&mut s, "alice", p, if i < 8 { "model" } else { "toolkit" });
        }
        let mut sp = spec("strat", RoundSize::Count(6));
        sp.stratify = Some("kind".into());
        let r = s.create_round(&sp).unwrap();
        let models = r.units.iter().filter(|u| projects[..8].contains(u)).count();
        assert_eq!((models, r.units.len() - models), (4, 2), "{:?}", r.plan);
        assert_eq!(r.plan["strata"]["sampled"]["model"], 4);
    }

    #[test]
    fn blind_until_revealed() {
        let (_d, mut s) = study();
        let r = s.create_round(&spec("r", RoundSize::Count(2))).unwrap();
        let e = s.reveal_round("r", "lead", false).unwrap_err().to_string();
        assert!(e.contains("no raters assigned"), "{e}");
        s.assign_round("r", &["alice".into(), "bob".into()], "lead")
            .unwrap();
        let (u0, u1) = (&r.units[0], &r.units[1]);
        code(&mut s, "alice", u0, "model");
        code(&mut s, "bob", u0, "toolkit");
        code(&mut s, "alice", u1, "model");
        let seen = s.visible_decisions("alice", u0).unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].rater, "alice");
        assert!(s
            .reconcile_queue(Some("kind"), true)
            .unwrap()
            .items
            .is_empty());
        assert_eq!(s.reconcile_queue(Some("kind"), true).unwrap().blinded, 1);
        let e = s.reveal_round("r", "lead", false).unwrap_err().to_string();
        assert!(
            e.contains(&format!("bob has not decided 1 ({u1} (kind))")),
            "{e}"
        );
        let info = s.round("r").unwrap();
        assert_eq!(
            info.raters[0],
            RaterProgress {
                rater: "alice".into(),
                decided: 2,
                total: 2
            }
        );
        assert_eq!(info.raters[1].decided, 1);
        code(&mut s, "bob", u1, "model");
        let info = s.reveal_round("r", "lead", false).unwrap();
        assert!(info.revealed_at.is_some());
        assert_eq!(s.visible_decisions("alice", u0).unwrap().len(), 2);
        assert_eq!(
            s.reconcile_queue(Some("kind"), false).unwrap().items.len(),
            1
        );
    }

    #[test]
    fn force_reveals_and_plan_sizes() {
        let (_d, mut s) = study();
        s.create_round(&spec("r", RoundSize::Count(3))).unwrap();
        assert!(s
            .reveal_round("r", "lead", true)
            .unwrap()
            .revealed_at
            .is_some());
        let r = s
            .create_round(&spec(
                "p",
                RoundSize::Plan {
                    width: 0.4,
                    expected_kappa: 0.7,
                    confidence: 0.95,
                },
            ))
            .unwrap();
        let marginals = vec![1.0 / 6.0; 6];
        let planned = crate::agreement::plan_round_size(0.7, &marginals, 0.4, 0.95).unwrap();
        assert_eq!(r.plan["plan"]["planned"], planned as u64);
        assert_eq!(r.units.len(), planned.min(12));
        let mut nodim = spec(
            "q",
            RoundSize::Plan {
                width: 0.4,
                expected_kappa: 0.7,
                confidence: 0.95,
            },
        );
        nodim.dimension = None;
        assert!(s
            .create_round(&nodim)
            .unwrap_err()
            .to_string()
            .contains("needs a dimension"));
    }

    #[test]
    fn sampler_draws_without_replacement() {
        let items: Vec<String> = (0..50).map(|i| format!("u{i:02}")).collect();
        let strata = BTreeMap::from([(String::new(), items.clone())]);
        let s1 = sample(&strata, &BTreeSet::new(), 20, 1);
        assert_eq!(s1.len(), 20);
        assert_eq!(s1, sample(&strata, &BTreeSet::new(), 20, 1));
        assert_ne!(s1, sample(&strata, &BTreeSet::new(), 20, 2));
        assert_eq!(sample(&strata, &BTreeSet::new(), 50, 3).len(), 50);
    }
}
