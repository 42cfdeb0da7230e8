//! Agreement between raters inside a study. The statistics are the pure crate
//! `codebench-agreement` (checked against statsmodels, scikit-learn, irrCAC, krippendorff and
//! NLTK), re-exported here; this module turns a study's decisions into its input.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub use codebench_agreement::*;

use crate::codebook::Cardinality as BookCardinality;
use crate::{Error, Result, Study};

impl Study {
    /// The decisions of one dimension as a ratings table: one row per unit that at least one
    /// of the raters decided, one column per rater (all raters of the study when `raters` is
    /// `None`), codes and sub-code parents from the codebook.
    pub fn ratings(&self, dimension: &str, raters: Option<&[String]>) -> Result<Ratings> {
        self.ratings_of_units(dimension, raters, None)
    }

    /// [`Study::ratings`] restricted to the named units (e.g. a round's, see
    /// [`Study::round_units`]) when `units` is given.
    pub fn ratings_of_units(
        &self,
        dimension: &str,
        raters: Option<&[String]>,
        units: Option<&BTreeSet<String>>,
    ) -> Result<Ratings> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let all: Vec<String> = self.raters()?.into_iter().map(|r| r.name).collect();
        let names: Vec<String> = match raters {
            Some(list) => {
                for r in list {
                    if !all.contains(r) {
                        return Err(Error::Unknown {
                            what: "rater",
                            name: r.clone(),
                            context: String::new(),
                        });
                    }
                }
                list.to_vec()
            }
            None => all,
        };
        let column: BTreeMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        // One query over the dimension's decisions and their codes (NULL code: a decision
        // with no code), by integer ids; rows keep the order units first appear in.
        let rater_col: HashMap<i64, usize> = {
            let mut stmt = self.conn().prepare_cached("SELECT id, name FROM rater")?;
            let ids = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            let mut out = HashMap::new();
            for row in ids {
                let (id, name) = row?;
                if let Some(&col) = column.get(name.as_str()) {
                    out.insert(id, col);
                }
            }
            out
        };
        // Unit names by id: rows are put in unit-name order at the end, so the results do not
        // depend on the order decisions were stored in (a merged copy gives the same bytes).
        let unit_name: HashMap<i64, String> = {
            let mut stmt = self.conn().prepare_cached("SELECT id, name FROM unit")?;
            let ids = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            ids.collect::<rusqlite::Result<_>>()?
        };
        let wanted: Option<HashSet<i64>> = units.map(|names| {
            unit_name
                .iter()
                .filter(|(_, n)| names.contains(*n))
                .map(|(id, _)| *id)
                .collect()
        });
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.id, d.unit_id, d.rater_id, dc.code FROM decision d
             LEFT JOIN decision_code dc ON dc.decision_id = d.id
             WHERE d.dimension = ?1 ORDER BY d.id",
        )?;
        let mut found = stmt.query([&dim.id])?;
        let mut row_of: HashMap<i64, usize> = HashMap::new();
        let mut rows: Vec<Vec<Option<BTreeSet<String>>>> = Vec::new();
        let mut row_unit: Vec<i64> = Vec::new();
        // The decision being read: its id and, when it counts, (row, column).
        let mut current: Option<(i64, Option<(usize, usize)>)> = None;
        while let Some(r) = found.next()? {
            let id: i64 = r.get(0)?;
            if current.map(|c| c.0) != Some(id) {
                let unit: i64 = r.get(1)?;
                let rater: i64 = r.get(2)?;
                let place = match rater_col.get(&rater) {
                    Some(&col) if wanted.as_ref().is_none_or(|w| w.contains(&unit)) => {
                        let row = *row_of.entry(unit).or_insert_with(|| {
                            rows.push(vec![None; names.len()]);
                            row_unit.push(unit);
                            rows.len() - 1
                        });
                        rows[row][col] = Some(BTreeSet::new());
                        Some((row, col))
                    }
                    _ => None,
                };
                current = Some((id, place));
            }
            if let Some((_, Some((row, col)))) = current {
                if let Some(code) = r.get::<_, Option<String>>(3)? {
                    if let Some(set) = &mut rows[row][col] {
                        set.insert(code);
                    }
                }
            }
        }
        Ok(Ratings {
            dimension: dim.id.clone(),
            cardinality: match dim.cardinality {
                BookCardinality::One => Cardinality::One,
                BookCardinality::Many => Cardinality::Many,
            },
            raters: names,
            units: {
                let mut order: Vec<usize> = (0..rows.len()).collect();
                order.sort_by(|&a, &b| {
                    unit_name
                        .get(&row_unit[a])
                        .cmp(&unit_name.get(&row_unit[b]))
                });
                let mut slots: Vec<Option<Vec<Option<BTreeSet<String>>>>> =
                    rows.into_iter().map(Some).collect();
                order.into_iter().filter_map(|i| slots[i].take()).collect()
            },
            codes: dim.codes.iter().map(|c| c.id.clone()).collect(),
            parents: dim
                .codes
                .iter()
                .filter_map(|c| c.parent.clone().map(|p| (c.id.clone(), p)))
                .collect(),
        })
    }

    /// The agreement report of the given dimensions (every dimension when empty), merged.
    pub fn agreement(
        &self,
        dimensions: &[String],
        raters: Option<&[String]>,
        options: &Options,
    ) -> Result<Report> {
        self.agreement_of_units(dimensions, raters, None, options)
    }

    /// [`Study::agreement`] restricted to the named units when `units` is given.
    pub fn agreement_of_units(
        &self,
        dimensions: &[String],
        raters: Option<&[String]>,
        units: Option<&BTreeSet<String>>,
        options: &Options,
    ) -> Result<Report> {
        let book = self.cached_codebook()?;
        let dims: Vec<String> = if dimensions.is_empty() {
            book.dimensions.iter().map(|d| d.id.clone()).collect()
        } else {
            dimensions.to_vec()
        };
        let mut merged = Report {
            results: Vec::new(),
            confusion: Vec::new(),
            warnings: Vec::new(),
        };
        for d in dims {
            let ratings = self.ratings_of_units(&d, raters, units)?;
            let r = report(&ratings, options)
                .map_err(|e| Error::Invalid(format!("agreement on '{d}': {e}")))?;
            merged.results.extend(r.results);
            merged.confusion.extend(r.confusion);
            merged.warnings.extend(r.warnings);
        }
        Ok(merged)
    }

    /// The agreement of a [`Scope`], as both shells and the exports compute it: a round's
    /// dimension and assigned raters unless given; by default every rater with decisions in
    /// the dimension; never a blind pair (units of rounds not revealed yet are left out, and
    /// an unrevealed round is refused). Returns the report and the dimensions it covers
    /// (those with two raters or more).
    pub fn agreement_for(&self, scope: &Scope) -> Result<(Report, Vec<String>)> {
        let mut merged = Report::default();
        let mut computed = Vec::new();
        for part in self.resolve_scope(scope)? {
            let r = self.agreement_of_units(
                std::slice::from_ref(&part.dimension),
                Some(&part.raters),
                Some(&part.units),
                &Default::default(),
            )?;
            merged.results.extend(r.results);
            merged.confusion.extend(r.confusion);
            merged.warnings.extend(r.warnings);
            computed.push(part.dimension);
        }
        Ok((merged, computed))
    }

    /// What a [`Scope`] compares, per dimension with two raters or more: the dimension, the
    /// units counted (the round's, or all of the dimension's kind; never a blind one) and the
    /// raters. One reading for [`Study::agreement_for`] and [`Study::confusion_units`], so a
    /// matrix cell lists exactly the units it counts.
    fn resolve_scope(&self, scope: &Scope) -> Result<Vec<Compared>> {
        let study = self;
        let book = study.codebook()?;
        let mut dims = scope.dimensions.clone();
        let mut raters = scope.raters.clone();
        let mut round_units: Option<BTreeSet<String>> = None;
        if let Some(name) = &scope.round {
            let r = study.round(name)?;
            if r.revealed_at.is_none() {
                return Err(Error::Blind {
                    what: format!("the agreement of round '{name}'"),
                    rounds: vec![name.clone()],
                });
            }
            if dims.is_empty() {
                if let Some(d) = &r.dimension {
                    dims = vec![d.clone()];
                }
            }
            let assigned: Vec<String> = r.raters.into_iter().map(|p| p.rater).collect();
            if raters.is_none() && assigned.len() >= 2 {
                raters = Some(assigned);
            }
            round_units = Some(study.round_units(name)?);
        }
        if dims.is_empty() {
            dims = book.dimensions.iter().map(|d| d.id.clone()).collect();
        }
        let blind = study.blind()?;
        let units = study.units()?;
        // Who decided what, without the codes (cheap: the statistics read the codes later).
        let decided: Vec<(String, String, String)> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT d.dimension, r.name, u.name FROM decision d
                 JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let machines: BTreeSet<String> = if scope.exclude_machine {
            study.machine_rater_names()?.into_iter().collect()
        } else {
            BTreeSet::new()
        };
        let mut out = Vec::new();
        for d in &dims {
            let dim = book.require_dimension(d)?;
            let counted: BTreeSet<String> = units
                .iter()
                .filter(|u| u.kind == dim.unit.as_str())
                .filter(|u| round_units.as_ref().is_none_or(|r| r.contains(&u.name)))
                .filter(|u| !blind.is_blind(&u.name, &dim.id))
                .map(|u| u.name.clone())
                .collect();
            let who: Vec<String> = match &raters {
                Some(list) => list.clone(),
                None => decided
                    .iter()
                    .filter(|(d, _, u)| *d == dim.id && counted.contains(u))
                    .map(|(_, r, _)| r.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            };
            let who: Vec<String> = who
                .into_iter()
                .filter(|r| !scope.exclude_machine || !machines.contains(r))
                .collect();
            if who.len() >= 2 {
                out.push(Compared {
                    dimension: dim.id.clone(),
                    units: counted,
                    raters: who,
                });
            }
        }
        Ok(out)
    }

    /// The units behind one cell of a confusion matrix of [`Study::agreement_for`]`(scope)`:
    /// those `cell.raters[0]` coded `cell.row` and `cell.raters[1]` coded `cell.column` (at
    /// the cell's level), in unit-name order. Their number is the cell's count. Blind like the
    /// agreement itself: an unrevealed round is refused and blind units are never listed.
    pub fn confusion_units(&self, scope: &Scope, cell: &ConfusionCell) -> Result<Vec<String>> {
        let [a, b] = cell.raters.as_slice() else {
            return Err(Error::Invalid(format!(
                "a confusion matrix compares two raters, not {}",
                cell.raters.len()
            )));
        };
        let mut one = scope.clone();
        one.dimensions = vec![cell.dimension.clone()];
        let Some(part) = self.resolve_scope(&one)?.into_iter().next() else {
            return Err(Error::Invalid(format!(
                "dimension '{}' has no agreement here: it needs two raters who decided the same units",
                cell.dimension
            )));
        };
        for r in [a, b] {
            if !part.raters.contains(r) {
                return Err(Error::Invalid(format!(
                    "rater '{r}' is not compared in this agreement of '{}' (compared: {})",
                    cell.dimension,
                    part.raters.join(", ")
                )));
            }
        }
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(&cell.dimension)?;
        if dim.cardinality != BookCardinality::One {
            return Err(Error::Invalid(format!(
                "dimension '{}' takes several codes per unit: its agreement is per code, without a confusion matrix",
                dim.id
            )));
        }
        // A code's category at the cell's level: itself, or its top-level ancestor.
        let parents: HashMap<&str, &str> = dim
            .codes
            .iter()
            .filter_map(|c| c.parent.as_deref().map(|p| (c.id.as_str(), p)))
            .collect();
        let category = |code: &str| -> String {
            let mut cur = code;
            if cell.level == Level::Collapsed {
                for _ in 0..=parents.len() {
                    match parents.get(cur) {
                        Some(p) => cur = p,
                        None => break,
                    }
                }
            }
            cur.to_string()
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT u.name, r.name, dc.code FROM decision d
             JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id
             JOIN decision_code dc ON dc.decision_id = d.id
             WHERE d.dimension = ?1 AND r.name IN (?2, ?3)",
        )?;
        let rows = stmt.query_map(rusqlite::params![dim.id, a, b], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        // Per counted unit: each rater's codes (a one-code dimension holds one per decision).
        let mut coded: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        for row in rows {
            let (unit, rater, code) = row?;
            if !part.units.contains(&unit) {
                continue;
            }
            let entry = coded.entry(unit).or_default();
            if rater == *a {
                entry.0.push(code.clone());
            }
            if rater == *b {
                entry.1.push(code);
            }
        }
        Ok(coded
            .into_iter()
            .filter(|(_, (x, y))| {
                x.len() == 1
                    && y.len() == 1
                    && category(&x[0]) == cell.row
                    && category(&y[0]) == cell.column
            })
            .map(|(unit, _)| unit)
            .collect())
    }
}

/// One dimension of a [`Scope`] as [`Study::resolve_scope`] reads it.
struct Compared {
    dimension: String,
    units: BTreeSet<String>,
    raters: Vec<String>,
}

/// One cell of a confusion matrix: whose codes, at which level, which row and column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ConfusionCell {
    /// The dimension (one code per unit).
    pub dimension: String,
    /// The level of the matrix (`leaf`, or `collapsed` with sub-codes merged into parents).
    pub level: Level,
    /// The two raters: rows are the first's codes, columns the second's.
    pub raters: Vec<String>,
    /// The row's category (a code id).
    pub row: String,
    /// The column's category (a code id).
    pub column: String,
}

/// What [`Study::agreement_for`] compares.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Dimension ids (none: every dimension, or the round's).
    pub dimensions: Vec<String>,
    /// Raters to compare (none: the round's assigned raters, else every rater with decisions).
    pub raters: Option<Vec<String>>,
    /// Only this round's units (refused until it is revealed).
    pub round: Option<String>,
    /// Leave machine raters out (by default they count like anyone).
    pub exclude_machine: bool,
}
