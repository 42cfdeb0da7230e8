//! Plain-data input (ratings, options) and output (report, results, confusion matrices,
//! warnings) of an agreement analysis. Everything is serde-serializable so the CLI and the
//! app can pass it around as JSON.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Identifier of a code in a codebook (for example `"build-env"`).
pub type CodeId = String;

/// How many codes a rater may give one unit on a dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Cardinality {
    /// Exactly one code per rating (nominal data, e.g. a project's kind).
    One,
    /// Any set of codes per rating, possibly empty (e.g. a Dockerfile's purposes).
    Many,
}

/// The ratings of one dimension in one round, as plain data.
///
/// `units[u][r]` is rater `raters[r]`'s rating of unit `u`; `None` means that rater did not
/// rate that unit (missing), `Some(set)` is the set of codes given. For
/// [`Cardinality::One`] every `Some` set must hold exactly one code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Ratings {
    /// Name of the dimension (e.g. `"kind"`, `"purpose"`), copied into every result.
    pub dimension: String,
    /// Whether a rating is one code or a set of codes.
    pub cardinality: Cardinality,
    /// Rater names, one per column of `units`.
    pub raters: Vec<String>,
    /// One row per unit, one entry per rater.
    pub units: Vec<Vec<Option<BTreeSet<CodeId>>>>,
    /// The codebook's leaf codes in display order. Optional: codes used in `units` but not
    /// listed are appended in sorted order. Listing unused codes makes them show up as
    /// undefined per-code results and fixes the number of categories Gwet's AC1 uses.
    #[serde(default)]
    pub codes: Vec<CodeId>,
    /// Sub-code → parent code, for the collapsed view. Chains are followed to the
    /// top-level code. Empty when the codebook is flat.
    #[serde(default)]
    pub parents: BTreeMap<CodeId, CodeId>,
}

/// Granularity at which codes are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Codes as given (sub-codes distinct from their parents and from each other).
    Leaf,
    /// Every code replaced by its top-level ancestor (sub-codes merged into their parent).
    Collapsed,
}

impl Level {
    /// Lower-case name used in CSV and table output.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Leaf => "leaf",
            Level::Collapsed => "collapsed",
        }
    }
}

/// Choices and thresholds for [`crate::report`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Options {
    /// Raters to include, in output order; `None` means all raters in data order.
    pub raters: Option<Vec<String>>,
    /// Levels to report. `Collapsed` is skipped when `Ratings::parents` is empty, since
    /// it would repeat the leaf results.
    pub levels: Vec<Level>,
    /// Confidence level of the intervals, in (0, 1).
    pub confidence: f64,
    /// Warn when fewer units than this were rated by two or more of the raters.
    pub min_units: usize,
    /// Prevalence warning: observed agreement at least this high …
    pub paradox_min_agreement: f64,
    /// … while κ is below this.
    pub paradox_max_kappa: f64,
    /// Rater-bias warning: one rater uses a code at least this many times as often as another …
    pub bias_ratio: f64,
    /// … and at least this many more times, on the units both rated.
    pub bias_min_difference: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            raters: None,
            levels: vec![Level::Leaf, Level::Collapsed],
            confidence: 0.95,
            min_units: 30,
            paradox_min_agreement: 0.80,
            paradox_max_kappa: 0.40,
            bias_ratio: 2.0,
            bias_min_difference: 5,
        }
    }
}

/// Which agreement statistic a [`StatResult`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// Share of agreeing rating pairs (pairs of raters: share of units with the same code).
    PercentAgreement,
    /// Cohen's κ for a pair of raters, SE by Fleiss, Cohen & Everitt (1969).
    CohenKappa,
    /// Fleiss' κ for three or more raters (Gwet's generalisation for missing ratings).
    FleissKappa,
    /// Krippendorff's α with the nominal distance.
    KrippendorffAlpha,
    /// Gwet's AC1.
    GwetAc1,
    /// Share of ratings that include the code (many-code dimensions).
    Prevalence,
    /// Share of agreeing rating pairs whose code sets are identical.
    ExactSetAgreement,
    /// Mean of the defined per-code Cohen's κ of a pair.
    MeanCohenKappa,
    /// Mean of the defined per-code Fleiss' κ.
    MeanFleissKappa,
    /// Krippendorff's α with the MASI distance between code sets.
    KrippendorffAlphaMasi,
    /// Krippendorff's α with the Jaccard distance between code sets.
    KrippendorffAlphaJaccard,
}

impl Statistic {
    /// Every statistic, in declaration order.
    pub const ALL: [Statistic; 11] = [
        Statistic::PercentAgreement,
        Statistic::CohenKappa,
        Statistic::FleissKappa,
        Statistic::KrippendorffAlpha,
        Statistic::GwetAc1,
        Statistic::Prevalence,
        Statistic::ExactSetAgreement,
        Statistic::MeanCohenKappa,
        Statistic::MeanFleissKappa,
        Statistic::KrippendorffAlphaMasi,
        Statistic::KrippendorffAlphaJaccard,
    ];

    /// snake_case name used in CSV and table output (same as the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::PercentAgreement => "percent_agreement",
            Statistic::CohenKappa => "cohen_kappa",
            Statistic::FleissKappa => "fleiss_kappa",
            Statistic::KrippendorffAlpha => "krippendorff_alpha",
            Statistic::GwetAc1 => "gwet_ac1",
            Statistic::Prevalence => "prevalence",
            Statistic::ExactSetAgreement => "exact_set_agreement",
            Statistic::MeanCohenKappa => "mean_cohen_kappa",
            Statistic::MeanFleissKappa => "mean_fleiss_kappa",
            Statistic::KrippendorffAlphaMasi => "krippendorff_alpha_masi",
            Statistic::KrippendorffAlphaJaccard => "krippendorff_alpha_jaccard",
        }
    }

    /// The name a paper gives it (`Cohen's kappa`), for figures.
    pub fn title(self) -> &'static str {
        match self {
            Statistic::PercentAgreement => "Percent agreement",
            Statistic::CohenKappa => "Cohen's kappa",
            Statistic::FleissKappa => "Fleiss' kappa",
            Statistic::KrippendorffAlpha => "Krippendorff's alpha",
            Statistic::GwetAc1 => "Gwet's AC1",
            Statistic::Prevalence => "Prevalence",
            Statistic::ExactSetAgreement => "Exact set agreement",
            Statistic::MeanCohenKappa => "Mean Cohen's kappa",
            Statistic::MeanFleissKappa => "Mean Fleiss' kappa",
            Statistic::KrippendorffAlphaMasi => "Krippendorff's alpha (MASI)",
            Statistic::KrippendorffAlphaJaccard => "Krippendorff's alpha (Jaccard)",
        }
    }
}

/// One statistic for one dimension, level, code (or all codes) and set of raters.
///
/// When the statistic is undefined for the data, `value`, `se` and the CI are `None`
/// and `undefined_reason` says why; a number is never used to stand for "undefined".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatResult {
    /// Dimension name.
    pub dimension: String,
    /// Leaf codes or collapsed to top-level codes.
    pub level: Level,
    /// The code this result is about, or `None` for all codes together.
    pub code: Option<CodeId>,
    /// Which statistic.
    pub statistic: Statistic,
    /// The raters compared (two for pairwise statistics).
    pub raters: Vec<String>,
    /// The estimate, `None` when undefined.
    pub value: Option<f64>,
    /// Asymptotic standard error, when the statistic has one.
    pub se: Option<f64>,
    /// Lower confidence limit.
    pub ci_low: Option<f64>,
    /// Upper confidence limit (capped at 1).
    pub ci_high: Option<f64>,
    /// Units the statistic is based on (rated by both raters, or by two or more raters).
    pub n_units: usize,
    /// Observed agreement (for Krippendorff's α: 1 − observed disagreement).
    pub p_o: Option<f64>,
    /// Chance agreement (for Krippendorff's α: 1 − expected disagreement).
    pub p_e: Option<f64>,
    /// Landis & Koch band for κ-type values; Krippendorff's 0.667 / 0.800 cut-offs for α.
    pub interpretation: Option<String>,
    /// Why the statistic is undefined, when it is.
    pub undefined_reason: Option<String>,
    /// Anything else worth knowing about this number.
    pub note: Option<String>,
}

/// Cross-tabulation of two raters' codes on the units both rated (one-code dimensions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Confusion {
    /// Dimension name.
    pub dimension: String,
    /// Level of the categories.
    pub level: Level,
    /// The two raters: rows are `raters[0]`'s codes, columns `raters[1]`'s.
    pub raters: Vec<String>,
    /// Row and column labels.
    pub categories: Vec<CodeId>,
    /// `counts[i][j]`: units coded `categories[i]` by the first and `categories[j]` by the second rater.
    pub counts: Vec<Vec<u64>>,
    /// Units rated by both raters.
    pub n_units: usize,
}

/// What a [`Warning`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Fewer units than `Options::min_units`.
    FewUnits,
    /// High observed agreement with low κ: a skewed prevalence depresses κ.
    Prevalence,
    /// One rater uses a code far more often than another.
    RaterBias,
}

impl WarningKind {
    /// snake_case name used in CSV and table output.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::FewUnits => "few_units",
            WarningKind::Prevalence => "prevalence",
            WarningKind::RaterBias => "rater_bias",
        }
    }
}

/// Something a reader of the numbers should know before trusting them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Warning {
    /// Dimension name.
    pub dimension: String,
    /// Level the warning applies to.
    pub level: Level,
    /// Kind of warning.
    pub kind: WarningKind,
    /// The code concerned, if any.
    pub code: Option<CodeId>,
    /// The raters concerned.
    pub raters: Vec<String>,
    /// Human-readable explanation with the numbers behind it.
    pub message: String,
}

/// Everything [`crate::report`] computes for a dimension.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "AgreementReport"))]
pub struct Report {
    /// The statistics, in a stable order (level, overall, pairs, per code).
    pub results: Vec<StatResult>,
    /// Confusion matrices of each pair of raters (one-code dimensions).
    pub confusion: Vec<Confusion>,
    /// Warnings about the data or the numbers.
    pub warnings: Vec<Warning>,
}
