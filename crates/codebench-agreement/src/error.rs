//! Errors for malformed ratings, options and planning parameters.

use thiserror::Error;

/// Everything that can make an agreement computation refuse its input.
///
/// Statistics that are merely *undefined* for valid data (one category only, fewer than
/// two units) are not errors: they come back as results with an `undefined_reason`.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AgreementError {
    /// A unit's row does not have one entry per rater.
    #[error("dimension {dimension:?}: unit {unit} has {found} rating slots but there are {expected} raters")]
    RowLength {
        /// Dimension being analysed.
        dimension: String,
        /// Zero-based unit index.
        unit: usize,
        /// Number of raters in `Ratings::raters`.
        expected: usize,
        /// Number of entries found in the unit's row.
        found: usize,
    },
    /// A one-code dimension has a rating with zero or several codes.
    #[error("dimension {dimension:?} takes exactly one code, but rater {rater:?} gave {found} for unit {unit}")]
    NotSingleCode {
        /// Dimension being analysed.
        dimension: String,
        /// Zero-based unit index.
        unit: usize,
        /// Rater name.
        rater: String,
        /// Number of codes in that rating.
        found: usize,
    },
    /// The same rater name appears twice in `Ratings::raters` or in `Options::raters`.
    #[error("dimension {dimension:?}: rater {rater:?} is listed twice")]
    DuplicateRater {
        /// Dimension being analysed.
        dimension: String,
        /// The repeated rater name.
        rater: String,
    },
    /// `Options::raters` names a rater that is not in the data.
    #[error("dimension {dimension:?}: rater {rater:?} is not among the raters {known:?}")]
    UnknownRater {
        /// Dimension being analysed.
        dimension: String,
        /// The unknown name.
        rater: String,
        /// Raters present in the data.
        known: Vec<String>,
    },
    /// Fewer than two raters were selected.
    #[error("dimension {dimension:?}: agreement needs at least two raters, {found} selected")]
    TooFewRaters {
        /// Dimension being analysed.
        dimension: String,
        /// Number of raters selected.
        found: usize,
    },
    /// More raters than the crate handles (pairwise statistics grow with the square).
    #[error("dimension {dimension:?}: {found} raters selected, at most {max} are supported")]
    TooManyRaters {
        /// Dimension being analysed.
        dimension: String,
        /// Number of raters selected.
        found: usize,
        /// The limit, [`crate::MAX_RATERS`].
        max: usize,
    },
    /// More distinct codes than the crate handles.
    #[error("dimension {dimension:?}: {found} distinct codes, at most {max} are supported")]
    TooManyCodes {
        /// Dimension being analysed.
        dimension: String,
        /// Number of codes (codebook plus used).
        found: usize,
        /// The limit, [`crate::MAX_CODES`].
        max: usize,
    },
    /// The parent map contains a cycle, so codes cannot be collapsed to a top-level code.
    #[error("dimension {dimension:?}: the parent of code {code:?} leads back to itself")]
    ParentCycle {
        /// Dimension being analysed.
        dimension: String,
        /// A code on the cycle.
        code: String,
    },
    /// A numeric option or argument is out of its valid range.
    #[error("invalid {field}: {value} ({expected})")]
    InvalidParameter {
        /// Name of the field or argument.
        field: &'static str,
        /// The offending value.
        value: f64,
        /// What would have been accepted.
        expected: &'static str,
    },
}
