//! Agreement between raters inside a study. The statistics are the pure crate
//! `codebench-agreement` (checked against statsmodels, scikit-learn, irrCAC, krippendorff and
//! NLTK), re-exported here; this module turns a study's decisions into its input.

use std::collections::{BTreeMap, BTreeSet};

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
        // with no code), grouped by decision as the rows come.
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.id, u.name, r.name, dc.code FROM decision d
             JOIN unit u ON u.id = d.unit_id JOIN rater r ON r.id = d.rater_id
             LEFT JOIN decision_code dc ON dc.decision_id = d.id
             WHERE d.dimension = ?1 ORDER BY d.id",
        )?;
        let mut found = stmt.query([&dim.id])?;
        let mut rows: BTreeMap<String, Vec<Option<BTreeSet<String>>>> = BTreeMap::new();
        let mut current: Option<(i64, Option<(String, usize)>)> = None;
        while let Some(r) = found.next()? {
            let id: i64 = r.get(0)?;
            if current.as_ref().map(|c| c.0) != Some(id) {
                let unit: String = r.get(1)?;
                let rater = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                let place = match column.get(rater) {
                    Some(&col) if units.is_none_or(|u| u.contains(&unit)) => {
                        rows.entry(unit.clone())
                            .or_insert_with(|| vec![None; names.len()])[col] =
                            Some(BTreeSet::new());
                        Some((unit, col))
                    }
                    _ => None,
                };
                current = Some((id, place));
            }
            if let (Some((_, Some((unit, col)))), Some(code)) =
                (&current, r.get::<_, Option<String>>(3)?)
            {
                if let Some(Some(set)) = rows.get_mut(unit).map(|row| &mut row[*col]) {
                    set.insert(code);
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
            units: rows.into_values().collect(),
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
