//! Codebooks: the dimensions a study codes and the codes of each.
//!
//! A codebook is written as JSON (`schema/codebook.schema.json`); the shipped one is
//! `schema/codebooks/ml-docker-2022.json`. Loading validates it as a whole and names the code at
//! fault. Inside a study the codebook lives in the `dimension` and `code` tables.

mod edit;
pub mod qdc;
mod store;

pub use edit::CodeText;
pub(crate) use store::{load, store};

use std::collections::{HashMap, HashSet};

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

    /// Checks the codebook holds together; the message names the code or field at fault.
    pub fn validate(&self) -> std::result::Result<(), String> {
        check_id("codebook id", &self.id)?;
        if self.name.trim().is_empty() {
            return Err("the codebook has an empty name".into());
        }
        if self.dimensions.is_empty() {
            return Err("the codebook has no dimension".into());
        }
        let mut dims = HashSet::new();
        for d in &self.dimensions {
            check_id("dimension id", &d.id)?;
            if !dims.insert(d.id.as_str()) {
                return Err(format!("dimension '{}' appears twice", d.id));
            }
            if d.name.trim().is_empty() {
                return Err(format!("dimension '{}' has an empty name", d.id));
            }
            if d.codes.is_empty() {
                return Err(format!("dimension '{}' has no code", d.id));
            }
            let mut ids = HashSet::new();
            for c in &d.codes {
                check_id(&format!("code id in dimension '{}'", d.id), &c.id)?;
                if !ids.insert(c.id.as_str()) {
                    return Err(format!(
                        "code '{}' appears twice in dimension '{}'",
                        c.id, d.id
                    ));
                }
                if c.name.trim().is_empty() {
                    return Err(format!(
                        "code '{}' in dimension '{}' has an empty name",
                        c.id, d.id
                    ));
                }
            }
            let parents: HashMap<&str, Option<&str>> = d
                .codes
                .iter()
                .map(|c| (c.id.as_str(), c.parent.as_deref()))
                .collect();
            for c in &d.codes {
                if let Some(p) = c.parent.as_deref() {
                    if !parents.contains_key(p) {
                        return Err(format!(
                            "code '{}' in dimension '{}' has unknown parent '{p}'",
                            c.id, d.id
                        ));
                    }
                }
                // Walk up; a walk longer than the number of codes is a cycle.
                let mut at = c.parent.as_deref();
                let mut steps = 0;
                while let Some(p) = at {
                    steps += 1;
                    if p == c.id || steps > d.codes.len() {
                        return Err(format!(
                            "code '{}' in dimension '{}' is its own ancestor (a cycle)",
                            c.id, d.id
                        ));
                    }
                    at = parents.get(p).copied().flatten();
                }
            }
            // Names and aliases must resolve to one code only.
            let mut labels: HashMap<String, &str> = HashMap::new();
            for c in &d.codes {
                let mut own: HashSet<String> = HashSet::new();
                for label in std::iter::once(&c.id)
                    .chain(std::iter::once(&c.name))
                    .chain(c.aliases.iter())
                {
                    let key = label.trim().to_lowercase();
                    if !own.insert(key.clone()) {
                        continue;
                    }
                    if let Some(other) = labels.insert(key, &c.id) {
                        return Err(format!(
                            "label '{label}' of code '{}' is also a label of code '{other}' in dimension '{}'",
                            c.id, d.id
                        ));
                    }
                }
            }
        }
        Ok(())
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

/// A slug made from a name (lowercase ASCII letters and digits joined by '-'), unique among
/// `taken` (which it joins).
pub(crate) fn slug(name: &str, taken: &mut HashSet<String>) -> String {
    let mut slugs = Slugs {
        taken: std::mem::take(taken),
        ..Default::default()
    };
    let id = slugs.make(name);
    *taken = slugs.taken;
    id
}

/// Unique slugs for many names, in linear time: each base remembers the next number to try, so
/// a thousand codes of one name do not try a thousand numbers each.
#[derive(Debug, Default)]
pub(crate) struct Slugs {
    /// Ids given out (or claimed).
    pub(crate) taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Slugs {
    /// Claims `id` as it is; false when it is already taken.
    pub(crate) fn claim(&mut self, id: &str) -> bool {
        self.taken.insert(id.to_string())
    }

    /// A unique slug made from `name` (lowercase ASCII letters and digits joined by '-').
    pub(crate) fn make(&mut self, name: &str) -> String {
        let mut s = String::new();
        for ch in name.to_lowercase().chars() {
            if ch.is_ascii_alphanumeric() {
                s.push(ch);
            } else if !s.ends_with('-') && !s.is_empty() {
                s.push('-');
            }
        }
        let base = s.trim_end_matches('-').to_string();
        let base = if base.is_empty() {
            "code".to_string()
        } else {
            base
        };
        if self.taken.insert(base.clone()) {
            return base;
        }
        let n = self.next.entry(base.clone()).or_insert(2);
        loop {
            let id = format!("{base}-{n}");
            *n += 1;
            if self.taken.insert(id.clone()) {
                return id;
            }
        }
    }
}

fn check_id(what: &str, id: &str) -> std::result::Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} '{id}' is not a slug (lowercase letters, digits, '-' or '_')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> serde_json::Value {
        serde_json::json!({
            "id": "t", "name": "T", "version": "1",
            "dimensions": [{
                "id": "kind", "name": "Kind", "unit": "project", "cardinality": "one",
                "codes": [
                    {"id": "a", "name": "A"},
                    {"id": "b", "name": "B", "parent": "a", "aliases": ["bee"]}
                ]
            }]
        })
    }

    fn load_value(v: &serde_json::Value) -> Result<Codebook> {
        Codebook::from_json(&v.to_string(), "test.json")
    }

    #[test]
    fn shipped_codebook_is_the_study_design() {
        let book = Codebook::shipped();
        let kind = book.dimension("kind").unwrap();
        assert_eq!(kind.unit, UnitKind::Project);
        assert_eq!(kind.cardinality, Cardinality::One);
        assert_eq!(kind.codes.len(), 6);
        let purpose = book.dimension("purpose").unwrap();
        assert_eq!(purpose.unit, UnitKind::Dockerfile);
        assert_eq!(purpose.cardinality, Cardinality::Many);
        assert_eq!(
            purpose.codes.iter().filter(|c| c.parent.is_none()).count(),
            21
        );
        for parent in ["model-management", "data-management"] {
            assert_eq!(
                purpose
                    .codes
                    .iter()
                    .filter(|c| c.parent.as_deref() == Some(parent))
                    .count(),
                6,
                "{parent}"
            );
        }
        for d in &book.dimensions {
            for c in &d.codes {
                assert!(
                    !c.definition.is_empty()
                        && !c.include.is_empty()
                        && !c.exclude.is_empty()
                        && !c.example.is_empty(),
                    "{}",
                    c.id
                );
            }
        }
        // The raw labels of the reference CSV resolve through aliases.
        assert_eq!(kind.resolve("DL framwork").unwrap().id, "dl-framework");
        assert_eq!(
            kind.resolve("tutorials/ documentation").unwrap().id,
            "documentation-tutorials"
        );
    }

    #[test]
    fn json_round_trip() {
        let book = Codebook::shipped();
        let again = Codebook::from_json(&book.to_json(), "again").unwrap();
        assert_eq!(book, again);
    }

    #[test]
    fn duplicate_ids_are_named() {
        let mut v = small();
        v["dimensions"][0]["codes"][1]["id"] = "a".into();
        v["dimensions"][0]["codes"][1]["parent"] = serde_json::Value::Null;
        let e = load_value(&v).unwrap_err().to_string();
        assert!(e.contains("code 'a' appears twice"), "{e}");
    }

    #[test]
    fn unknown_parent_is_named() {
        let mut v = small();
        v["dimensions"][0]["codes"][1]["parent"] = "zz".into();
        let e = load_value(&v).unwrap_err().to_string();
        assert!(
            e.contains("code 'b'") && e.contains("unknown parent 'zz'"),
            "{e}"
        );
    }

    #[test]
    fn cycles_are_named() {
        let mut v = small();
        v["dimensions"][0]["codes"][0]["parent"] = "b".into();
        let e = load_value(&v).unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");
    }

    #[test]
    fn empty_names_are_named() {
        let mut v = small();
        v["dimensions"][0]["codes"][0]["name"] = " ".into();
        let e = load_value(&v).unwrap_err().to_string();
        assert!(e.contains("code 'a'") && e.contains("empty name"), "{e}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let e = Codebook::from_json("{\n  \"id\": \"x\",\n  oops\n}", "bad.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.json") && e.contains("line 3"), "{e}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut v = small();
        v["dimensions"][0]["codes"][0]["colour"] = "red".into();
        let e = load_value(&v).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn resolve_by_id_name_alias() {
        let book = load_value(&small()).unwrap();
        let d = book.dimension("kind").unwrap();
        assert_eq!(d.resolve("b").unwrap().id, "b");
        assert_eq!(d.resolve(" B ").unwrap().id, "b");
        assert_eq!(d.resolve("BEE").unwrap().id, "b");
        assert!(d.resolve("c").is_none());
    }
}
