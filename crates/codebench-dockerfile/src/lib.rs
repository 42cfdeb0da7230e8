//! Dockerfile analysis for Codebench: a parser with BuildKit's semantics and the metrics of the
//! 2022 study of ML projects on Docker (instruction counts, stages, base images and their types,
//! RUN command categories, hygiene checks).
//!
//! The analysis is pure: no I/O, no database. [`analyze`] takes any bytes and never panics; bad
//! input shows up as [`Diagnostic`]s in [`Analysis::errors`], and the rest of the file is still
//! analysed. [`Record`] is the compact per-file form of an analysis (one NDJSON line).
//!
//! The one exception is the [`bulk`] module (feature `bulk`, on by default): it reads many files
//! from disk, analyses them over the cores and streams one [`Record`] per file as NDJSON, in
//! input order, with bounded memory; an unreadable file is an error record, never a stop.
//!
//! ```
//! let a = codebench_dockerfile::analyze(
//!     "Dockerfile",
//!     b"ARG BASE=python:3.11\nFROM ${BASE} AS app\nRUN pip install --no-cache-dir flask\n",
//! );
//! assert_eq!(a.stages[0].base.resolved, "python:3.11");
//! assert_eq!(a.stages[0].base_type.as_deref(), Some("Language Runtime"));
//! assert_eq!(a.run_categories["Dependencies"], 1);
//! ```

#![warn(missing_docs)]

mod analysis;
mod base_types;
#[cfg(feature = "bulk")]
pub mod bulk;
mod parser;
mod record;
pub mod run;

/// This analyzer's version; stored analyses made by another version are recomputed.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
mod source;
mod words;

pub use analysis::{
    analyze, analyze_with, Analysis, BaseImage, CopyFrom, Counts, Diagnostic, Finding, GlobalArg,
    Located, RunStats, Stage, TagStatus,
};
pub use base_types::{BaseImageTypes, TableError, STUDY_TYPES, VARIABLE};
/// Image references are read with the workspace's one grammar (`codebench-reference`).
pub use codebench_reference::{parse_image_reference, ImageRef, ReferenceError};
pub use parser::{Directives, Form, Heredoc, Instruction, MAX_ERRORS};
pub use record::{Record, RecordArg, RecordBase, RecordCopyFrom, RecordRun, RecordStage};
pub use source::MAX_BYTES;
