//! The core's error type: every failure a researcher can meet, each naming what it is about.

use std::path::PathBuf;

/// A failure of a core operation. The message is meant to be shown to a researcher as is:
/// it names the file, line, field or code concerned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file exists but is not a Codebench study (another SQLite database, or not SQLite).
    #[error("{path}: not a Codebench study ({why}); the file was left untouched")]
    NotAStudy { path: PathBuf, why: String },

    /// The study was written by a newer Codebench whose schema this build does not know.
    #[error("{path}: study schema version {found} is newer than this Codebench supports ({supported}); upgrade Codebench, the file was left untouched")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// A study file was asked to be created where a file already exists.
    #[error("{0}: a file already exists there; choose another name or open it")]
    AlreadyExists(PathBuf),

    /// A study file that does not exist was asked to be opened.
    #[error("{0}: no such study file")]
    NoSuchStudy(PathBuf),

    /// A codebook that does not hold together: names the code or field at fault.
    #[error("codebook {source_name}: {message}")]
    Codebook {
        source_name: String,
        message: String,
    },

    /// Something the user named does not exist (a rater, unit, dimension, code, project).
    /// `context` says where it was looked for (e.g. " in dimension 'kind'"); shells add how
    /// to find the right name.
    #[error("unknown {what} '{name}'{context}")]
    Unknown {
        what: &'static str,
        name: String,
        context: String,
    },

    /// Input that breaks a rule of the study (cardinality, unit kind, empty name...).
    #[error("{0}")]
    Invalid(String),

    /// The request is sound but the study's state refuses it (a name already taken, a rater
    /// who still has decisions, a conflicting copy...).
    #[error("{0}")]
    Conflict(String),

    /// The request would show blind decisions: the units are in a round not revealed yet.
    #[error("{what} is blind until round{} {} {} revealed", if rounds.len() == 1 { "" } else { "s" }, rounds.join(", "), if rounds.len() == 1 { "is" } else { "are" })]
    Blind {
        /// What was asked for.
        what: String,
        /// The unrevealed rounds in the way.
        rounds: Vec<String>,
    },

    /// A consensus overrides every rater: it needs a rationale.
    #[error("{0}; give the reason for it")]
    NeedsRationale(String),

    /// Not every assigned rater is done (a round cannot be revealed yet); the caller may
    /// force it.
    #[error("{0}")]
    Incomplete(String),

    /// The operation was cancelled; what was stored before stays.
    #[error("cancelled: {0}")]
    Cancelled(String),

    /// A row of an input file is bad; nothing of the file was imported.
    #[error("{file}:{line}: {field}: {message}; nothing was imported")]
    Row {
        file: String,
        line: u64,
        field: String,
        message: String,
    },

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The SQLite layer failed.
    #[error("study database: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A CSV file could not be read or written.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),

    /// JSON could not be produced or read.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// A `.qdpx` file could not be read or written (names the entry, element or attribute).
    #[error("{file}: {source}")]
    Qdpx {
        file: String,
        source: codebench_qdpx::Error,
    },

    /// A figure could not be drawn or written.
    #[error("figure: {0}")]
    Figure(#[from] codebench_figures::FigureError),
}

impl Error {
    /// An `Unknown` error without context.
    pub(crate) fn unknown(what: &'static str, name: impl Into<String>) -> Self {
        Error::Unknown {
            what,
            name: name.into(),
            context: String::new(),
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
