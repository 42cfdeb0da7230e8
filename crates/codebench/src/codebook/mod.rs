//! Codebooks: the dimensions a study codes and the codes of each.
//!
//! A codebook is written as JSON (`schema/codebook.schema.json`); the shipped one is
//! `schema/codebooks/ml-docker-2022.json`. Loading validates it as a whole and names the code at
//! fault. Inside a study the codebook lives in the `dimension` and `code` tables.
//!
//! This module holds the codebook's types, reading and writing it as JSON and looking its
//! dimensions and codes up; the check that a codebook holds together is in `validate.rs`, the
//! slugs made from names in `slugs.rs`, the study's tables in `store.rs`, open coding's edits
//! in `edit.rs` and the REFI-QDA exchange in `qdc.rs`.

mod edit;
pub mod qdc;
mod slugs;
mod store;
mod validate;

pub use edit::CodeText;
pub(crate) use slugs::{slug, Slugs};
pub(crate) use store::{load, store};

// `store.rs` takes `HashSet` from here through `use super::*`.
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The codebook of the reference study (EASE 2022): project kinds and Dockerfile purposes.
pub const SHIPPED_ML_DOCKER_2022: &str =
    include_str!("../../../../schema/codebooks/ml-docker-2022.json");

/// A whole codebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    /// Stable identifier, e.g. `ml-docker-2022`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Version of this codebook, e.g. `1.0.0`.
    pub version: String,
    /// What the codebook is for.
    #[serde(default)]
    pub description: String,
    /// Where it comes from (a citation line).
    #[serde(default)]
    pub source: String,
    /// The dimensions, in display order.
    pub dimensions: Vec<Dimension>,
    /// JSON Schema reference, kept so a file round-trips.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// What a dimension's decisions are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// The repository as a whole.
    Project,
    /// One Dockerfile of a repository.
    Dockerfile,
}

impl UnitKind {
    /// The word used in the study file and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Project => "project",
            UnitKind::Dockerfile => "dockerfile",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "project" => Some(UnitKind::Project),
            "dockerfile" => Some(UnitKind::Dockerfile),
            _ => None,
        }
    }
}

/// How many codes one decision in a dimension holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Cardinality {
    /// Exactly one code.
    One,
    /// Any number of codes, none included.
    Many,
}

impl Cardinality {
    /// The word used in the study file and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Cardinality::One => "one",
            Cardinality::Many => "many",
        }
    }
}

/// Where a code stands in the life of the codebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum CodeStatus {
    /// In use.
    #[default]
    Active,
    /// Added during open coding; not yet agreed by the team.
    Proposed,
    /// No longer offered for new decisions; old decisions keep it.
    Retired,
}

impl CodeStatus {
    /// The word used in the study file.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeStatus::Active => "active",
            CodeStatus::Proposed => "proposed",
            CodeStatus::Retired => "retired",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(CodeStatus::Active),
            "proposed" => Some(CodeStatus::Proposed),
            "retired" => Some(CodeStatus::Retired),
            _ => None,
        }
    }
}

/// One dimension: a question asked of every unit of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// Stable identifier, e.g. `kind`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// What it is decided on.
    pub unit: UnitKind,
    /// One code or many per decision.
    pub cardinality: Cardinality,
    /// What the dimension asks.
    #[serde(default)]
    pub description: String,
    /// The codes, in display order; sub-codes name their parent.
    pub codes: Vec<Code>,
}

/// One code of a dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// Stable identifier (a slug), e.g. `model-training`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// What the code means.
    #[serde(default)]
    pub definition: String,
    /// When to apply it.
    #[serde(default)]
    pub include: String,
    /// When not to apply it, and what to use instead.
    #[serde(default)]
    pub exclude: String,
    /// A short example of evidence.
    #[serde(default)]
    pub example: String,
    /// Other spellings that mean this code when importing codings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// A grouping of codes for display (e.g. `general`, `ml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The parent code's id for a sub-code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Active, proposed or retired.
    #[serde(default)]
    pub status: CodeStatus,
}

impl Codebook {
    /// The codebook shipped with Codebench for the reference study.
    pub fn shipped() -> Codebook {
        Codebook::from_json(SHIPPED_ML_DOCKER_2022, "ml-docker-2022.json")
            .expect("the shipped codebook is valid (checked by tests)")
    }

    /// Reads and validates a codebook from JSON text; `source_name` names it in errors.
    pub fn from_json(text: &str, source_name: &str) -> Result<Codebook> {
        let book: Codebook = serde_json::from_str(text).map_err(|e| Error::Codebook {
            source_name: source_name.to_string(),
            message: format!("line {}, column {}: {e}", e.line(), e.column()),
        })?;
        book.validate().map_err(|message| Error::Codebook {
            source_name: source_name.to_string(),
            message,
        })?;
        Ok(book)
    }

    /// Reads a codebook file: JSON (this format), or a REFI-QDA `.qdc` (XML).
    pub fn from_file(path: &std::path::Path) -> Result<Codebook> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let name = path.display().to_string();
        let xml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("qdc"))
            || text.trim_start().starts_with('<');
        if xml {
            qdc::from_qdc(&text, &name)
        } else {
            Codebook::from_json(&text, &name)
        }
    }

    /// The codebook as pretty JSON, in the format `from_json` reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a codebook always serialises") + "\n"
    }

    /// The dimension with this id.
    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    /// The dimension with this id, or an error listing the known ones.
    pub fn require_dimension(&self, id: &str) -> Result<&Dimension> {
        self.dimension(id).ok_or_else(|| Error::Unknown {
            what: "dimension",
            name: id.to_string(),
            context: format!(
                " (this study's dimensions: {})",
                self.dimensions
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

impl Dimension {
    /// The code with this id.
    pub fn code(&self, id: &str) -> Option<&Code> {
        self.codes.iter().find(|c| c.id == id)
    }

    /// The code a label stands for: its id, its name or one of its aliases, ignoring case
    /// and surrounding blanks.
    pub fn resolve(&self, label: &str) -> Option<&Code> {
        let key = label.trim().to_lowercase();
        self.codes.iter().find(|c| c.id == label).or_else(|| {
            self.codes.iter().find(|c| {
                c.id.to_lowercase() == key
                    || c.name.trim().to_lowercase() == key
                    || c.aliases.iter().any(|a| a.trim().to_lowercase() == key)
            })
        })
    }

    /// Refuses a unit of the wrong kind for this dimension (`kind` is `project` or
    /// `dockerfile`).
    pub fn check_unit(&self, unit: &str, kind: &str) -> Result<()> {
        if kind != self.unit.as_str() {
            return Err(Error::Invalid(format!(
                "dimension '{}' is decided on {} units, but '{unit}' is a {kind} unit",
                self.id,
                self.unit.as_str(),
            )));
        }
        Ok(())
    }

    /// Resolves code labels (ids, names or aliases) to code ids in codebook order, and checks
    /// the dimension's cardinality. Retired codes are returned like any other; whether one may
    /// be given anew is the caller's rule.
    pub fn codes_of(&self, labels: &[String]) -> Result<Vec<String>> {
        let mut codes = std::collections::BTreeSet::new();
        for label in labels {
            codes.insert(self.require_code(label)?.id.clone());
        }
        if self.cardinality == Cardinality::One && codes.len() != 1 {
            return Err(Error::Invalid(format!(
                "dimension '{}' takes exactly one code per decision, {} given ({})",
                self.id,
                codes.len(),
                codes.iter().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        let mut sorted: Vec<String> = codes.into_iter().collect();
        self.sort_codes(&mut sorted);
        Ok(sorted)
    }

    /// Sorts code ids in codebook order (unknown ids last).
    pub fn sort_codes(&self, codes: &mut [String]) {
        codes.sort_by_key(|c| {
            self.codes
                .iter()
                .position(|x| &x.id == c)
                .unwrap_or(usize::MAX)
        });
    }

    /// Like [`Dimension::resolve`], with an error naming the dimension.
    pub fn require_code(&self, label: &str) -> Result<&Code> {
        self.resolve(label).ok_or_else(|| Error::Unknown {
            what: "code",
            name: label.to_string(),
            context: format!(" in dimension '{}'", self.id),
        })
    }
}

#[cfg(test)]
mod tests;
