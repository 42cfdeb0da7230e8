//! Checking a report's input: the options' parameters, the ratings' shape (distinct raters,
//! full rows, one code per rating where the dimension takes one), the rater selection, and
//! the parent map resolved to top-level codes.

use std::collections::{HashMap, HashSet};

use super::MAX_RATERS;
use crate::error::AgreementError;
use crate::model::{Cardinality, Options, Ratings};

pub(super) fn validate_options(o: &Options) -> Result<(), AgreementError> {
    let check = |field, value: f64, ok: bool, expected| {
        if ok {
            Ok(())
        } else {
            Err(AgreementError::InvalidParameter {
                field,
                value,
                expected,
            })
        }
    };
    check(
        "confidence",
        o.confidence,
        o.confidence > 0.0 && o.confidence < 1.0,
        "a probability strictly between 0 and 1",
    )?;
    check(
        "paradox_min_agreement",
        o.paradox_min_agreement,
        o.paradox_min_agreement.is_finite(),
        "a finite number",
    )?;
    check(
        "paradox_max_kappa",
        o.paradox_max_kappa,
        o.paradox_max_kappa.is_finite(),
        "a finite number",
    )?;
    check(
        "bias_ratio",
        o.bias_ratio,
        o.bias_ratio.is_finite() && o.bias_ratio >= 1.0,
        "a finite ratio of at least 1",
    )
}

pub(super) fn validate_ratings(r: &Ratings) -> Result<(), AgreementError> {
    let mut seen = HashSet::new();
    for name in &r.raters {
        if !seen.insert(name) {
            return Err(AgreementError::DuplicateRater {
                dimension: r.dimension.clone(),
                rater: name.clone(),
            });
        }
    }
    for (u, row) in r.units.iter().enumerate() {
        if row.len() != r.raters.len() {
            return Err(AgreementError::RowLength {
                dimension: r.dimension.clone(),
                unit: u,
                expected: r.raters.len(),
                found: row.len(),
            });
        }
        if r.cardinality == Cardinality::One {
            for (k, rating) in row.iter().enumerate() {
                if let Some(set) = rating {
                    if set.len() != 1 {
                        return Err(AgreementError::NotSingleCode {
                            dimension: r.dimension.clone(),
                            unit: u,
                            rater: r.raters[k].clone(),
                            found: set.len(),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

pub(super) fn select_raters(r: &Ratings, o: &Options) -> Result<Vec<usize>, AgreementError> {
    let selected: Vec<usize> = match &o.raters {
        None => (0..r.raters.len()).collect(),
        Some(names) => {
            let mut seen = HashSet::new();
            let mut idx = Vec::with_capacity(names.len());
            for name in names {
                if !seen.insert(name) {
                    return Err(AgreementError::DuplicateRater {
                        dimension: r.dimension.clone(),
                        rater: name.clone(),
                    });
                }
                match r.raters.iter().position(|x| x == name) {
                    Some(i) => idx.push(i),
                    None => {
                        return Err(AgreementError::UnknownRater {
                            dimension: r.dimension.clone(),
                            rater: name.clone(),
                            known: r.raters.clone(),
                        })
                    }
                }
            }
            idx
        }
    };
    if selected.len() < 2 {
        return Err(AgreementError::TooFewRaters {
            dimension: r.dimension.clone(),
            found: selected.len(),
        });
    }
    if selected.len() > MAX_RATERS {
        return Err(AgreementError::TooManyRaters {
            dimension: r.dimension.clone(),
            found: selected.len(),
            max: MAX_RATERS,
        });
    }
    Ok(selected)
}

/// Map every code that has a parent to its top-level ancestor; errors on cycles.
pub(super) fn resolve_parents(r: &Ratings) -> Result<HashMap<String, String>, AgreementError> {
    let mut roots = HashMap::with_capacity(r.parents.len());
    for code in r.parents.keys() {
        let mut cur = code;
        let mut steps = 0;
        while let Some(p) = r.parents.get(cur) {
            cur = p;
            steps += 1;
            if steps > r.parents.len() {
                return Err(AgreementError::ParentCycle {
                    dimension: r.dimension.clone(),
                    code: code.clone(),
                });
            }
        }
        roots.insert(code.clone(), cur.clone());
    }
    Ok(roots)
}
