//! Build stages: a stage and its base image as written, resolved through the global ARG
//! defaults, split and typed; how it is pinned; `COPY --from` links and the global ARGs; and
//! finding a stage by name or index.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::args::expand_args;
use super::{empty_categories, Counts};
use crate::base_types::{BaseImageTypes, VARIABLE};
use crate::parser::Instruction;
use codebench_reference::parse_image_reference;

/// How a stage's base image is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TagStatus {
    /// A tag other than `latest`.
    Tagged,
    /// The tag `latest`.
    Latest,
    /// No tag and no digest (Docker uses `latest`).
    Untagged,
    /// Pinned by digest.
    Digest,
    /// The tag comes from an unresolved build argument.
    Variable,
    /// Not an image: a previous stage, `scratch`, or an unresolved image name.
    None,
}

/// The base of a stage, as written and as resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BaseImage {
    /// The FROM argument as written (`${BASE}`).
    pub text: String,
    /// After substituting global ARG defaults (`python:3.11`); equal to `text` when there was
    /// nothing to substitute.
    pub resolved: String,
    /// Registry host, if written.
    pub registry: Option<String>,
    /// Namespace (organisation), `None` for official images.
    pub namespace: Option<String>,
    /// Image name (last path component); `None` when the name is unresolved or invalid.
    pub name: Option<String>,
    /// Tag, if written.
    pub tag: Option<String>,
    /// Digest, if written.
    pub digest: Option<String>,
    /// Docker Official Image (`true`), organisation or other registry (`false`); `None` when
    /// not an image (stage, unresolved name).
    pub official: Option<bool>,
    /// The image name still contains an unresolved `$` build argument.
    pub variable: bool,
    /// Index of the earlier stage this one builds on (`FROM build AS test`).
    pub stage: Option<usize>,
    /// How the image is pinned.
    pub tag_status: TagStatus,
}

/// One build stage (a FROM and the instructions up to the next FROM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Stage {
    /// 0-based position.
    pub index: usize,
    /// `AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    /// Line of the FROM.
    pub line: u32,
    /// The base image.
    pub base: BaseImage,
    /// `--platform` value as written.
    pub platform: Option<String>,
    /// Study base-image type; `Variable` for an unresolved name; `None` for a stage base or an
    /// image the table does not know.
    pub base_type: Option<String>,
    /// Instructions in the stage, the FROM included.
    pub instructions: u32,
    /// RUN command categories of this stage (see
    /// [`Analysis::run_categories`](super::Analysis::run_categories)).
    pub run_categories: Counts,
    /// The last USER of the stage.
    pub user: Option<String>,
}

/// A `COPY --from` between stages (or from an outside image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CopyFrom {
    /// Line of the COPY.
    pub line: u32,
    /// Index of the stage holding the COPY (`None` before the first FROM).
    pub stage: Option<usize>,
    /// The `--from` value as written.
    pub from: String,
    /// Index of the stage it names, `None` when it names an image.
    pub from_stage: Option<usize>,
}

/// An ARG before the first FROM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GlobalArg {
    /// Line of the ARG.
    pub line: u32,
    /// Name.
    pub name: String,
    /// Default value (quotes removed), if any.
    pub default: Option<String>,
}

/// The stage `reference` names: a stage name (case-insensitive) or a numeric index.
pub(super) fn stage_index(reference: &str, stages: &[Stage]) -> Option<usize> {
    if let Ok(n) = reference.parse::<usize>() {
        return (n < stages.len()).then_some(n);
    }
    let lower = reference.to_ascii_lowercase();
    stages
        .iter()
        .position(|s| s.name.as_deref() == Some(lower.as_str()))
}

pub(super) fn new_stage(
    ins: &Instruction,
    index: usize,
    global: &BTreeMap<String, Option<String>>,
    stages: &[Stage],
    types: &BaseImageTypes,
) -> Stage {
    let text = ins.args.first().cloned().unwrap_or_default();
    let name = match ins.args.get(1) {
        Some(kw) if kw.eq_ignore_ascii_case("as") => {
            ins.args.get(2).map(|n| n.to_ascii_lowercase())
        }
        _ => None,
    };
    let resolved = if text.contains('$') {
        expand_args(&text, global).0
    } else {
        text.clone()
    };
    let mut base = BaseImage {
        text,
        resolved,
        registry: None,
        namespace: None,
        name: None,
        tag: None,
        digest: None,
        official: None,
        variable: false,
        stage: None,
        tag_status: TagStatus::None,
    };
    let mut base_type = None;
    // A disjoint borrow of one field: the other fields are filled in below.
    let resolved: &str = &base.resolved;
    if let Some(i) = stage_index_by_name(resolved, stages) {
        base.stage = Some(i);
    } else {
        // The name part (before the tag) decides whether the image itself is unresolved.
        let repo_part = resolved
            .split('@')
            .next()
            .map(|s| match (s.rfind(':'), s.rfind('/')) {
                (Some(c), Some(sl)) if c > sl => &s[..c],
                (Some(c), None) => &s[..c],
                _ => s,
            })
            .unwrap_or("");
        if repo_part.contains('$') || resolved.is_empty() {
            base.variable = true;
            base_type = Some(VARIABLE.to_string());
        } else if let Ok(r) = parse_image_reference(resolved) {
            base_type = types.classify(&r).map(str::to_string);
            base.official = Some(r.is_official());
            base.tag_status = if r.name == "scratch" && r.namespace.is_none() {
                TagStatus::None
            } else if r.digest.is_some() {
                TagStatus::Digest
            } else {
                match r.tag.as_deref() {
                    None => TagStatus::Untagged,
                    Some("latest") => TagStatus::Latest,
                    Some(t) if t.contains('$') => TagStatus::Variable,
                    Some(_) => TagStatus::Tagged,
                }
            };
            base.registry = r.registry;
            base.namespace = r.namespace;
            base.name = Some(r.name);
            base.tag = r.tag;
            base.digest = r.digest;
        }
    }
    Stage {
        index,
        name,
        line: ins.line,
        base,
        platform: ins.flag("platform").map(str::to_string),
        base_type,
        instructions: 1,
        run_categories: empty_categories(),
        user: None,
    }
}

fn stage_index_by_name(reference: &str, stages: &[Stage]) -> Option<usize> {
    stages.iter().position(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(reference))
    })
}
