//! Building a full agreement [`Report`] for one dimension from plain [`Ratings`].
//!
//! This module holds the entry point, the output sink that turns estimates into rows and
//! warnings, and the helpers both kinds of dimension share; the input is checked in
//! `input.rs`, the ratings are encoded as integers and mapped to a level's categories in
//! `encoding.rs`, and the statistics are computed in `one_code.rs` (one code per rating) and
//! `many_code.rs` (a set of codes per rating).

mod encoding;
mod input;
mod many_code;
mod one_code;

use crate::coefficients::Estimate;
use crate::error::AgreementError;
use crate::interpret::interpretation;
use crate::model::{
    Cardinality, Level, Options, Ratings, Report, StatResult, Statistic, Warning, WarningKind,
};
use encoding::{categories, encode, Coded};
use input::{resolve_parents, select_raters, validate_options, validate_ratings};
use many_code::many_code;
use one_code::one_code;

/// Most raters one report handles (there are n(n − 1)/2 pairs).
pub const MAX_RATERS: usize = 256;
/// Most distinct codes (codebook plus used) one dimension may have.
pub const MAX_CODES: usize = 4096;

/// Computes every agreement statistic, confusion matrix and warning for `ratings` under
/// `options`.
///
/// For a one-code dimension: percent agreement, Fleiss' κ (three or more raters),
/// Krippendorff's α (nominal) and Gwet's AC1 over all selected raters; per pair, Cohen's
/// κ with the pair's confusion matrix, plus percent agreement and AC1 when there are three
/// or more raters (with two they equal the overall rows); κ per category (Fleiss' overall
/// with three or more raters, Cohen's per pair). For a many-code dimension: exact-set
/// agreement and Krippendorff's α with MASI and with Jaccard distance overall, mean
/// per-code Fleiss' κ (three or more raters); per pair, mean per-code Cohen's κ and (three
/// or more raters) exact-set agreement; per code, prevalence, percent agreement and
/// Fleiss' κ overall and Cohen's κ (and, with three or more raters, percent agreement) per
/// pair. Everything once per requested [`Level`], rows ordered level, overall, pairs,
/// codes.
///
/// Errors only for malformed input (see [`AgreementError`]); statistics that the data
/// cannot support are returned as undefined results.
pub fn report(ratings: &Ratings, options: &Options) -> Result<Report, AgreementError> {
    validate_options(options)?;
    validate_ratings(ratings)?;
    let selected = select_raters(ratings, options)?;
    let roots = resolve_parents(ratings)?;
    let mut levels: Vec<Level> = options.levels.clone();
    levels.sort();
    levels.dedup();
    let encoded = encode(ratings);
    let mut out = Report::default();
    for level in levels {
        if level == Level::Collapsed && ratings.parents.is_empty() {
            continue;
        }
        let map_code = |c: &str| -> String {
            match level {
                Level::Leaf => c.to_string(),
                Level::Collapsed => roots.get(c).cloned().unwrap_or_else(|| c.to_string()),
            }
        };
        let (categories, leaf_to_category) = categories(&encoded, &map_code);
        if categories.len() > MAX_CODES {
            return Err(AgreementError::TooManyCodes {
                dimension: ratings.dimension.clone(),
                found: categories.len(),
                max: MAX_CODES,
            });
        }
        let mut ctx = Ctx {
            dimension: &ratings.dimension,
            level,
            options,
            out: &mut out,
            raters: selected
                .iter()
                .map(|&r| ratings.raters[r].clone())
                .collect(),
        };
        let level = Coded {
            ratings: &encoded,
            category: &leaf_to_category,
        };
        match ratings.cardinality {
            Cardinality::One => one_code(&level, &selected, &categories, &mut ctx),
            Cardinality::Many => many_code(&level, &selected, &categories, &mut ctx),
        }
    }
    Ok(out)
}

/// Output sink for one level: turns estimates into results and raises warnings.
struct Ctx<'a> {
    dimension: &'a str,
    level: Level,
    options: &'a Options,
    out: &'a mut Report,
    raters: Vec<String>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        code: Option<&str>,
        statistic: Statistic,
        raters: &[String],
        est: Estimate,
        note: Option<String>,
    ) {
        if matches!(statistic, Statistic::CohenKappa | Statistic::FleissKappa) {
            if let (Some(v), Some(p_o)) = (est.value, est.p_o) {
                if p_o >= self.options.paradox_min_agreement && v < self.options.paradox_max_kappa {
                    let what = code.map_or(String::new(), |c| format!(" on code {c:?}"));
                    self.warn(
                        WarningKind::Prevalence,
                        code,
                        raters,
                        format!(
                            "{}{what} is {v:.3} although observed agreement is {p_o:.3}: \
                             the categories are used very unevenly (chance agreement {:.3}), \
                             which depresses κ; report prevalence and AC1 alongside",
                            statistic.as_str(),
                            est.p_e.unwrap_or(f64::NAN)
                        ),
                    );
                }
            }
        }
        let interpretation = est.value.and_then(|v| interpretation(statistic, v));
        self.out.results.push(StatResult {
            dimension: self.dimension.to_string(),
            level: self.level,
            code: code.map(str::to_string),
            statistic,
            raters: raters.to_vec(),
            value: est.value,
            se: est.se,
            ci_low: est.ci_low,
            ci_high: est.ci_high,
            n_units: est.n_units,
            p_o: est.p_o,
            p_e: est.p_e,
            interpretation,
            undefined_reason: est.undefined_reason,
            note,
        });
    }

    fn warn(&mut self, kind: WarningKind, code: Option<&str>, raters: &[String], message: String) {
        self.out.warnings.push(Warning {
            dimension: self.dimension.to_string(),
            level: self.level,
            kind,
            code: code.map(str::to_string),
            raters: raters.to_vec(),
            message,
        });
    }

    fn few_units(&mut self, raters: &[String], n: usize, whom: &str) {
        if n < self.options.min_units {
            self.warn(
                WarningKind::FewUnits,
                None,
                raters,
                format!(
                    "only {n} units were rated by {whom} (fewer than {}): \
                     the estimates are imprecise",
                    self.options.min_units
                ),
            );
        }
    }

    fn bias(&mut self, code: &str, pair: &[String], a: u64, b: u64, shared: usize) {
        let (hi, lo) = (a.max(b), a.min(b));
        if hi - lo >= self.options.bias_min_difference
            && hi as f64 >= self.options.bias_ratio * lo as f64
        {
            self.warn(
                WarningKind::RaterBias,
                Some(code),
                pair,
                format!(
                    "{} used code {code:?} on {a} and {} on {b} of the {shared} units both rated",
                    pair[0], pair[1]
                ),
            );
        }
    }
}

fn pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect()
}

fn single_rated_note(n_rated: usize, n_paired: usize) -> Option<String> {
    (n_rated > n_paired).then(|| {
        format!(
            "{} units rated by one rater only count toward category shares",
            n_rated - n_paired
        )
    })
}

/// For a code analysed as present/absent: replaces the generic "same category" reason
/// with which of the two it was, when `present` of `total` ratings carry the code.
fn binary_reason(mut est: Estimate, present: u64, total: u64) -> Estimate {
    let generic = est
        .undefined_reason
        .as_deref()
        .is_some_and(|r| r.contains("same category"));
    if generic && (present == 0 || present == total) {
        est.undefined_reason = Some(
            if present == 0 {
                "no rating includes the code, so chance agreement is 1"
            } else {
                "every rating includes the code, so chance agreement is 1"
            }
            .to_string(),
        );
    }
    est
}
