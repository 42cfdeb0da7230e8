//! Dockerfile analysis for Codebench: a parser with BuildKit's semantics and the metrics of the
//! 2022 study of ML projects on Docker (instruction counts, stages, base images and their types,
//! RUN command categories, hygiene checks).
//!
//! The crate is pure: no I/O, no database. [`analyze`] takes any bytes and never panics; bad
//! input shows up as [`Diagnostic`]s in [`Analysis::errors`], and the rest of the file is still
//! analysed.
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

mod analysis;
mod base_types;
mod parser;
mod reference;
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
pub use parser::{Directives, Form, Heredoc, Instruction, MAX_ERRORS};
pub use reference::{parse_image_reference, ImageRef, ReferenceError};
pub use source::MAX_BYTES;
