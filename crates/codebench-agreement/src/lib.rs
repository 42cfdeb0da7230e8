//! Inter-rater agreement statistics for Codebench, with plain data in and out.
//!
//! Give [`report`] the [`Ratings`] of one dimension in one round (units × raters, each
//! rating a set of codes or missing) and get back a [`Report`]: every statistic as a
//! [`StatResult`] row (value, SE, CI, n, p_o, p_e, interpretation), the confusion matrix of
//! each pair of raters and [`Warning`]s. Render it with [`to_csv`], [`to_table`] or
//! [`to_json`]. [`plan_round_size`] tells how many units a round needs for a given CI
//! width of κ.
//!
//! The crate knows nothing about storage, the CLI or the app; the numbers agree with
//! statsmodels, scikit-learn, irrCAC, krippendorff and NLTK to 1e-9 (see `tests/`).
//!
//! Conventions:
//! - Statistics that the data cannot support (a single category used throughout, fewer
//!   than two units) are *undefined*: `value: None` with `undefined_reason`, never 0, NaN
//!   or 1.
//! - Pairwise statistics use the units both raters rated. Whole-group statistics use the
//!   units rated by two or more of the selected raters; units rated by one rater only
//!   still count toward the category shares of Fleiss' κ and AC1 (Gwet's treatment of
//!   missing ratings, as irrCAC), and `n_units` is the number of units with two or more.
//! - With exactly two raters the pair rows that would repeat the whole-group rows
//!   (percent agreement, AC1, exact-set agreement) are left out; Fleiss' κ and its mean
//!   over codes need three or more raters.
//! - Confidence intervals are Wald intervals capped above at 1: normal quantile for
//!   Cohen's κ (as statsmodels), Student's t on n − 1 df for Fleiss' κ and AC1 (as irrCAC,
//!   with an exact t quantile).
//! - Krippendorff's α carries Gwet's linearised SE with a Student-t interval on (units − 1)
//!   df, as irrCAC's `krippendorff()`: with identity weights for the nominal α, and with
//!   weights 1 − δ between distinct code sets for the MASI and Jaccard α. Its `p_o` / `p_e`
//!   are 1 − observed / expected disagreement.
//! - AC1's number of categories q is the level's codebook plus any other used code.
//! - Many-code dimensions: each code is analysed as present/absent over the units; whole
//!   code sets are compared with exact equality, MASI (weights 1, 2/3, 1/3, 0) and Jaccard
//!   (two empty sets at distance 0).
//! - The collapsed level replaces every code by its top-level ancestor in
//!   `Ratings::parents`.

#![warn(missing_docs)]

mod coefficients;
mod distance;
mod error;
mod format;
mod interpret;
mod model;
mod plan;
mod quantile;
mod report;

pub use coefficients::{
    chance_corrected, cohen_kappa, krippendorff_nominal, ChanceCorrected, Estimate,
};
pub use distance::{jaccard_distance, masi_distance};
pub use error::AgreementError;
pub use format::{
    confusion_to_csv, to_csv, to_json, to_table, warnings_to_csv, ALL_CODES, CSV_COLUMNS,
};
pub use interpret::{interpretation, krippendorff_band, landis_koch};
pub use model::{
    Cardinality, CodeId, Confusion, Level, Options, Ratings, Report, StatResult, Statistic,
    Warning, WarningKind,
};
pub use plan::{kappa_unit_variance, plan_round_size};
pub use quantile::{normal_quantile, t_quantile};
pub use report::{report, MAX_CODES, MAX_RATERS};
