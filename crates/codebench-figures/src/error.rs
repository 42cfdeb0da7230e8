//! What can go wrong making a figure; every error names the figure.

use std::path::PathBuf;

/// Why a figure could not be made. Each variant names the figure's id.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// The id is not a safe file stem: 1 to 64 characters of `[a-z0-9_-]`, not starting with '-'.
    #[error("figure id {id:?} is not a safe file stem (1-64 characters of a-z, 0-9, '_', '-', not starting with '-')")]
    UnsafeId {
        /// The rejected id.
        id: String,
    },
    /// A bar series has a different number of values than the figure has categories.
    #[error("figure {id:?}: series {series:?} has {values} values but the figure has {categories} categories")]
    SeriesLength {
        /// The figure's id.
        id: String,
        /// The series' name.
        series: String,
        /// How many values the series has.
        values: usize,
        /// How many categories the figure has.
        categories: usize,
    },
    /// A value is NaN or infinite.
    #[error("figure {id:?}: {place} is {value}, not a finite number")]
    NonFinite {
        /// The figure's id.
        id: String,
        /// Where the value is (series and category, or group and position).
        place: String,
        /// The value.
        value: f64,
    },
    /// A value on a logarithmic axis is zero or negative.
    #[error(
        "figure {id:?}: {place} is {value}, which a log scale cannot show (values must be > 0)"
    )]
    NotPositiveOnLogScale {
        /// The figure's id.
        id: String,
        /// Where the value is (group and position).
        place: String,
        /// The value.
        value: f64,
    },
    /// A value beyond [`crate::MAX_MAGNITUDE`] in size, or below [`crate::MIN_LOG_VALUE`] on a
    /// log scale.
    #[error("figure {id:?}: {place} is {value}, outside what a figure can show (magnitude at most 1e15; at least 1e-9 on a log scale)")]
    OutOfRange {
        /// The figure's id.
        id: String,
        /// Where the value is.
        place: String,
        /// The value.
        value: f64,
    },
    /// More categories, groups or series than a readable figure can hold.
    #[error("figure {id:?}: {count} {what}, more than the {max} a figure can show")]
    TooMany {
        /// The figure's id.
        id: String,
        /// "categories", "groups" or "series".
        what: &'static str,
        /// How many there are.
        count: usize,
        /// The bound.
        max: usize,
    },
    /// The drawing library failed.
    #[error("figure {id:?}: drawing failed: {message}")]
    Draw {
        /// The figure's id.
        id: String,
        /// The drawing library's message.
        message: String,
    },
    /// Encoding the PNG failed.
    #[error("figure {id:?}: encoding the PNG failed: {source}")]
    Png {
        /// The figure's id.
        id: String,
        /// The encoder's error.
        source: png::EncodingError,
    },
    /// Writing a file failed.
    #[error("figure {id:?}: cannot write {}: {source}", path.display())]
    Io {
        /// The figure's id.
        id: String,
        /// The file being written or renamed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
