//! The compact record of one Dockerfile: one line of `--format ndjson`.
//!
//! A [`Record`] carries the per-file figures of an [`Analysis`] under the same field names, with
//! three differences that keep a corpus' NDJSON smaller than the Dockerfiles themselves:
//!
//! 1. Fields at their default are left out: zero counts, `false`, absent values, empty lists and
//!    maps. A reader takes a missing field as that default (`0`, `false`, `null`, `[]`, `{}`).
//! 2. Per-instruction and per-stage detail is left out: [`Analysis::instructions`] (their number
//!    is [`Record::instruction_count`]) and each stage's instruction count, RUN categories and
//!    USER; the full detail is the [`Analysis`] itself (`Detail::Full` in bulk runs).
//! 3. What the kept fields determine is left out: hygiene messages (the rule id says what is
//!    wrong; findings are grouped as rule → lines), a stage's index (its place in `stages`),
//!    the parts of a base-image reference (registry, namespace, name, tag, digest:
//!    [`crate::parse_image_reference`] of `resolved` gives them), and `resolved` when it equals
//!    `text`.
//!
//! Nothing is renamed, so a record reads like the analysis with those fields missing.
//!
//! A file that could not be read is a record with only `path` and [`Record::error`].
//! `RECORD.md` next to this crate's `Cargo.toml` documents every field for readers outside Rust.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, Counts, Diagnostic, Located, TagStatus};

/// The NDJSON record of one Dockerfile (see the module documentation for what is left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The path as given (lossily converted to UTF-8 when it is not).
    pub path: String,
    /// Why the file could not be analysed (missing, unreadable, a directory, changed while being
    /// read). When set, no other field is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// [`Analysis::bytes`].
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub bytes: u64,
    /// [`Analysis::lines`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines: u32,
    /// [`Analysis::comment_lines`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub comment_lines: u32,
    /// [`Analysis::blank_lines`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blank_lines: u32,
    /// [`Analysis::directives`] that are set, by name (`syntax`, `escape`, `check`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub directives: BTreeMap<String, String>,
    /// [`Analysis::counts`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: Counts,
    /// [`Analysis::unknown_instructions`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unknown_instructions: u32,
    /// [`Analysis::stages`], compacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<RecordStage>,
    /// [`Analysis::multi_stage`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub multi_stage: bool,
    /// [`Analysis::partial`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    /// [`Analysis::global_args`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global_args: Vec<RecordArg>,
    /// [`Analysis::copy_from`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copy_from: Vec<RecordCopyFrom>,
    /// [`Analysis::base_types`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_types: Vec<String>,
    /// [`Analysis::run_categories`] without the zero entries.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub run_categories: Counts,
    /// [`Analysis::run_unknown_words`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub run_unknown_words: Counts,
    /// [`Analysis::run`] without the zero entries.
    #[serde(default, skip_serializing_if = "RecordRun::is_empty")]
    pub run: RecordRun,
    /// [`Analysis::exposed_ports`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// [`Analysis::user`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// [`Analysis::non_root_user`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub non_root_user: bool,
    /// [`Analysis::uses_mount`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub uses_mount: bool,
    /// [`Analysis::add_urls`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_urls: Vec<Located>,
    /// [`Analysis::hygiene`] without the messages: rule id → the lines of its findings, in
    /// file order (`{"pip-cache":[13,14],"no-user":[19]}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hygiene: BTreeMap<Cow<'static, str>, Vec<u32>>,
    /// [`Analysis::errors`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Diagnostic>,
    /// [`Analysis::warnings`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

/// One build stage ([`crate::Stage`] without its index, which is its place in the list, and
/// without its own tallies: instructions, RUN categories and USER are in the full analysis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordStage {
    /// [`crate::Stage::name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// [`crate::Stage::line`].
    pub line: u32,
    /// [`crate::Stage::base`], compacted.
    pub base: RecordBase,
    /// [`crate::Stage::platform`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// [`crate::Stage::base_type`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_type: Option<String>,
}

/// A stage's base ([`crate::BaseImage`] without the reference's parts, which
/// [`crate::parse_image_reference`] of [`RecordBase::resolved`] gives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordBase {
    /// [`crate::BaseImage::text`].
    pub text: String,
    /// [`crate::BaseImage::resolved`], only when it differs from `text` (use
    /// [`RecordBase::resolved`]).
    #[serde(default, rename = "resolved", skip_serializing_if = "Option::is_none")]
    pub resolved_if_different: Option<String>,
    /// [`crate::BaseImage::official`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official: Option<bool>,
    /// [`crate::BaseImage::variable`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub variable: bool,
    /// [`crate::BaseImage::stage`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// [`crate::BaseImage::tag_status`]; left out when `none`.
    #[serde(default = "tag_none", skip_serializing_if = "is_tag_none")]
    pub tag_status: TagStatus,
}

impl RecordBase {
    /// The base after substituting global ARG defaults ([`crate::BaseImage::resolved`]).
    pub fn resolved(&self) -> &str {
        self.resolved_if_different.as_deref().unwrap_or(&self.text)
    }
}

/// A global ARG ([`crate::GlobalArg`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordArg {
    /// [`crate::GlobalArg::line`].
    pub line: u32,
    /// [`crate::GlobalArg::name`].
    pub name: String,
    /// [`crate::GlobalArg::default`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// A `COPY --from` ([`crate::CopyFrom`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCopyFrom {
    /// [`crate::CopyFrom::line`].
    pub line: u32,
    /// [`crate::CopyFrom::stage`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// [`crate::CopyFrom::from`].
    pub from: String,
    /// [`crate::CopyFrom::from_stage`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_stage: Option<usize>,
}

/// RUN statistics ([`crate::RunStats`]) without the zero entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRun {
    /// [`crate::RunStats::instructions`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub instructions: u32,
    /// [`crate::RunStats::exec_form`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub exec_form: u32,
    /// [`crate::RunStats::heredoc`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub heredoc: u32,
    /// [`crate::RunStats::mount`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mount: u32,
    /// [`crate::RunStats::commands`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commands: u32,
}

impl RecordRun {
    /// Every count is zero (the record leaves `run` out).
    pub fn is_empty(&self) -> bool {
        *self == RecordRun::default()
    }
}

impl Record {
    /// The record of an analysis (moves the kept fields out of it; nothing is copied).
    pub fn from_analysis(a: Analysis) -> Record {
        let nonzero = |mut c: Counts| {
            c.retain(|_, n| *n > 0);
            c
        };
        let mut directives = BTreeMap::new();
        for (name, value) in [
            ("syntax", a.directives.syntax),
            ("escape", a.directives.escape),
            ("check", a.directives.check),
        ] {
            if let Some(v) = value {
                directives.insert(name.to_string(), v);
            }
        }
        Record {
            path: a.path,
            error: None,
            bytes: a.bytes,
            lines: a.lines,
            comment_lines: a.comment_lines,
            blank_lines: a.blank_lines,
            directives,
            counts: a.counts,
            unknown_instructions: a.unknown_instructions,
            stages: a
                .stages
                .into_iter()
                .map(|s| {
                    let b = s.base;
                    RecordStage {
                        name: s.name,
                        line: s.line,
                        base: RecordBase {
                            resolved_if_different: (b.resolved != b.text).then_some(b.resolved),
                            text: b.text,
                            official: b.official,
                            variable: b.variable,
                            stage: b.stage,
                            tag_status: b.tag_status,
                        },
                        platform: s.platform,
                        base_type: s.base_type,
                    }
                })
                .collect(),
            multi_stage: a.multi_stage,
            partial: a.partial,
            global_args: a
                .global_args
                .into_iter()
                .map(|g| RecordArg {
                    line: g.line,
                    name: g.name,
                    default: g.default,
                })
                .collect(),
            copy_from: a
                .copy_from
                .into_iter()
                .map(|c| RecordCopyFrom {
                    line: c.line,
                    stage: c.stage,
                    from: c.from,
                    from_stage: c.from_stage,
                })
                .collect(),
            base_types: a.base_types,
            run_categories: nonzero(a.run_categories),
            run_unknown_words: a.run_unknown_words,
            run: RecordRun {
                instructions: a.run.instructions,
                exec_form: a.run.exec_form,
                heredoc: a.run.heredoc,
                mount: a.run.mount,
                commands: a.run.commands,
            },
            exposed_ports: a.exposed_ports,
            user: a.user,
            non_root_user: a.non_root_user,
            uses_mount: a.uses_mount,
            add_urls: a.add_urls,
            hygiene: a.hygiene.into_iter().fold(BTreeMap::new(), |mut m, f| {
                m.entry(f.rule).or_insert_with(Vec::new).push(f.line);
                m
            }),
            errors: a.errors,
            warnings: a.warnings,
        }
    }

    /// How many instructions the file has (`Analysis::instructions.len()`): every instruction is
    /// counted once, in `counts` or in `unknown_instructions` (an ONBUILD with its trigger is one).
    pub fn instruction_count(&self) -> u64 {
        self.counts.values().map(|&n| u64::from(n)).sum::<u64>()
            + u64::from(self.unknown_instructions)
    }

    /// The record of a file that could not be analysed: its path and why.
    pub fn failed(path: String, error: String) -> Record {
        Record {
            path,
            error: Some(error),
            ..Record::default()
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn tag_none() -> TagStatus {
    TagStatus::None
}

fn is_tag_none(t: &TagStatus) -> bool {
    *t == TagStatus::None
}
