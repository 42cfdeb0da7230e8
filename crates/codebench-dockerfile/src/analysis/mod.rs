//! The metrics of one Dockerfile: instruction counts, stages and their base images (resolved
//! through ARG defaults, split, typed), `COPY --from` links, RUN command categories, ports,
//! users, mounts, ADD URLs and the hygiene checks the study recommends.
//!
//! This module holds the [`Analysis`] with its counts, diagnostics and findings, and the entry
//! points; the walk over the instructions is in `instructions.rs`, the stages and their base
//! images in `stages.rs`, ARG values and their expansion in `args.rs`, and the RUN
//! instructions' categories, statistics and checks in `run_stats.rs`.

mod args;
mod instructions;
mod run_stats;
mod stages;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::base_types::BaseImageTypes;
use crate::parser::{self, Directives, Instruction};
use crate::run;
use crate::source::{self, MAX_BYTES};
use instructions::measure;

pub use run_stats::RunStats;
pub use stages::{BaseImage, CopyFrom, GlobalArg, Stage, TagStatus};

/// Counts by name; names are borrowed static strings where known (no allocation), owned when
/// read back from JSON or for words found in the file. Serialises as a JSON object.
pub type Counts = BTreeMap<Cow<'static, str>, u32>;

/// A problem found in the file, with the line it is on when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Diagnostic {
    /// 1-based line, `None` for the whole file.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A problem on line `line`.
    pub fn at(line: u32, message: String) -> Diagnostic {
        Diagnostic {
            line: Some(line),
            message,
        }
    }

    /// A problem with the whole file.
    pub fn file(message: String) -> Diagnostic {
        Diagnostic {
            line: None,
            message,
        }
    }
}

/// A value found on a line (an ADD URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Located {
    /// Line of the instruction.
    pub line: u32,
    /// The value.
    pub value: String,
}

/// A hygiene finding (a practice the study recommends against).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Finding {
    /// Stable rule id: `apt-install-recommends`, `apt-lists-not-cleaned`, `pip-cache`,
    /// `add-instead-of-copy`, `no-user`, `base-untagged`, `base-latest`.
    pub rule: Cow<'static, str>,
    /// Line of the instruction (the last FROM for `no-user`).
    pub line: u32,
    /// Explanation.
    pub message: Cow<'static, str>,
}

/// Everything measured on one Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Analysis {
    /// The path given by the caller.
    pub path: String,
    /// Size of the input in bytes.
    pub bytes: u64,
    /// Physical lines.
    pub lines: u32,
    /// Comment lines (parser directives included; here-document bodies excluded).
    pub comment_lines: u32,
    /// Blank lines (here-document bodies excluded).
    pub blank_lines: u32,
    /// Parser directives.
    pub directives: Directives,
    /// Instructions in file order.
    pub instructions: Vec<Instruction>,
    /// Instructions per keyword (known keywords only; ONBUILD triggers counted as ONBUILD).
    pub counts: Counts,
    /// Instructions whose keyword BuildKit does not know.
    pub unknown_instructions: u32,
    /// Build stages.
    pub stages: Vec<Stage>,
    /// More than one FROM.
    pub multi_stage: bool,
    /// No FROM, or instructions other than ARG before the first FROM: a fragment that build
    /// tooling completes (BuildKit's parser accepts it, its build does not).
    pub partial: bool,
    /// ARGs before the first FROM.
    pub global_args: Vec<GlobalArg>,
    /// `COPY --from` links.
    pub copy_from: Vec<CopyFrom>,
    /// Distinct study types of the external base images, in stage order.
    pub base_types: Vec<String>,
    /// RUN commands per study category, plus `Unknown` (first word in no list); all six keys
    /// are always present.
    pub run_categories: Counts,
    /// First words in no category list, with their counts.
    pub run_unknown_words: Counts,
    /// RUN statistics.
    pub run: RunStats,
    /// EXPOSEd ports as written (`8080`, `53/udp`, `${PORT}`).
    pub exposed_ports: Vec<String>,
    /// The last USER of the final stage.
    pub user: Option<String>,
    /// The final stage runs as a user other than root.
    pub non_root_user: bool,
    /// Some RUN uses `--mount`.
    pub uses_mount: bool,
    /// ADD sources that are URLs.
    pub add_urls: Vec<Located>,
    /// Hygiene findings.
    pub hygiene: Vec<Finding>,
    /// Parse errors (with lines). The rest of the file is still analysed.
    pub errors: Vec<Diagnostic>,
    /// Warnings: things BuildKit accepts but flags, and partial files.
    pub warnings: Vec<Diagnostic>,
}

/// Analyses one Dockerfile with the shipped base-image type table. Never panics; any bytes are
/// accepted; inputs over [`MAX_BYTES`] yield an error and no instructions.
pub fn analyze(path: &str, bytes: &[u8]) -> Analysis {
    analyze_with(path, bytes, BaseImageTypes::shipped())
}

/// Analyses one Dockerfile with a given base-image type table.
pub fn analyze_with(path: &str, bytes: &[u8], types: &BaseImageTypes) -> Analysis {
    if bytes.len() > MAX_BYTES {
        return too_large(path, bytes.len() as u64);
    }
    let mut a = empty(path, bytes.len() as u64);
    let src = source::decode(bytes);
    let parsed = parser::parse(&src.text);
    a.errors = src.errors;
    for e in parsed.errors {
        parser::push_capped(&mut a.errors, e);
    }
    a.warnings = parsed.warnings;
    a.directives = parsed.directives;
    a.lines = parsed.lines;
    a.comment_lines = parsed.comment_lines;
    a.blank_lines = parsed.blank_lines;
    a.instructions = parsed.instructions;
    measure(&mut a, types);
    a
}

/// An analysis with nothing measured yet (every count zero, all six RUN categories present).
fn empty(path: &str, bytes: u64) -> Analysis {
    Analysis {
        path: path.to_string(),
        bytes,
        lines: 0,
        comment_lines: 0,
        blank_lines: 0,
        directives: Directives::default(),
        instructions: Vec::new(),
        counts: BTreeMap::new(),
        unknown_instructions: 0,
        stages: Vec::new(),
        multi_stage: false,
        partial: false,
        global_args: Vec::new(),
        copy_from: Vec::new(),
        base_types: Vec::new(),
        run_categories: empty_categories(),
        run_unknown_words: BTreeMap::new(),
        run: RunStats::default(),
        exposed_ports: Vec::new(),
        user: None,
        non_root_user: false,
        uses_mount: false,
        add_urls: Vec::new(),
        hygiene: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

/// What [`analyze`] gives for an input of `bytes` bytes over [`MAX_BYTES`], without the bytes
/// (bulk analysis reports a large file from its size alone, without reading it).
#[cfg_attr(not(feature = "bulk"), allow(dead_code))]
pub(crate) fn too_large(path: &str, bytes: u64) -> Analysis {
    let mut a = empty(path, bytes);
    a.errors.push(Diagnostic::file(format!(
        "file too large: {bytes} bytes, the limit is {MAX_BYTES} bytes; not analysed"
    )));
    a
}

fn empty_categories() -> Counts {
    // Cloning a ready map is cheaper than collecting (which sorts) for every stage.
    static TEMPLATE: std::sync::OnceLock<Counts> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            run::CATEGORIES
                .iter()
                .chain(std::iter::once(&run::UNKNOWN))
                .map(|c| (Cow::Borrowed(*c), 0))
                .collect()
        })
        .clone()
}
