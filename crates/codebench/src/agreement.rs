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
                            hint: String::new(),
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
}
