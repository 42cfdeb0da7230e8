//! Codebooks: the dimensions a study codes and the codes of each.
//!
//! A codebook is written as JSON (`schema/codebook.schema.json`); the shipped one is
//! `schema/codebooks/ml-docker-2022.json`. Loading validates it as a whole and names the code at
//! fault. Inside a study the codebook lives in the `dimension` and `code` tables.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The codebook of the reference study (EASE 2022): project kinds and Dockerfile purposes.
pub const SHIPPED_ML_DOCKER_2022: &str =
    include_str!("../../../schema/codebooks/ml-docker-2022.json");

/// A whole codebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
            crate::qdc::from_qdc(&text, &name)
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
            hint: format!(
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

    /// Like [`Dimension::resolve`], with an error naming the dimension.
    pub fn require_code(&self, label: &str) -> Result<&Code> {
        self.resolve(label).ok_or_else(|| Error::Unknown {
            what: "code",
            name: label.to_string(),
            hint: format!(
                " in dimension '{}' (see `codebench codebook show`)",
                self.id
            ),
        })
    }
}

/// A slug made from a name (lowercase ASCII letters and digits joined by '-'), unique among
/// `taken` (which it joins).
pub(crate) fn slug(name: &str, taken: &mut HashSet<String>) -> String {
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
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
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

/// Writes the codebook into a study's tables (a new study: the tables are empty).
pub(crate) fn store(tx: &Connection, book: &Codebook) -> Result<()> {
    tx.execute(
        "INSERT INTO codebook (id, slug, name, version, description, source) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![book.id, book.name, book.version, book.description, book.source],
    )?;
    let mut dim = tx.prepare(
        "INSERT INTO dimension (id, name, unit, cardinality, description, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut code = tx.prepare(
        "INSERT INTO code (dimension, id, name, definition, include, exclude, example, aliases, grp, parent, status, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (i, d) in book.dimensions.iter().enumerate() {
        dim.execute(params![
            d.id,
            d.name,
            d.unit.as_str(),
            d.cardinality.as_str(),
            d.description,
            i as i64
        ])?;
    }
    // Parents first, so the foreign key on (dimension, parent) holds at every insert.
    for d in &book.dimensions {
        let mut done: HashSet<&str> = HashSet::new();
        while done.len() < d.codes.len() {
            for (i, c) in d.codes.iter().enumerate() {
                if done.contains(c.id.as_str()) {
                    continue;
                }
                if c.parent.as_deref().is_some_and(|p| !done.contains(p)) {
                    continue;
                }
                code.execute(params![
                    d.id,
                    c.id,
                    c.name,
                    c.definition,
                    c.include,
                    c.exclude,
                    c.example,
                    serde_json::to_string(&c.aliases)?,
                    c.group,
                    c.parent,
                    c.status.as_str(),
                    i as i64
                ])?;
                done.insert(&c.id);
            }
        }
    }
    Ok(())
}

/// Reads the study's codebook from its tables.
pub(crate) fn load(conn: &Connection) -> Result<Codebook> {
    let (id, name, version, description, source) = conn.query_row(
        "SELECT slug, name, version, description, source FROM codebook WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut dims = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, name, unit, cardinality, description FROM dimension ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    for row in rows {
        let (id, name, unit, cardinality, description) = row?;
        dims.push(Dimension {
            unit: UnitKind::parse(&unit)
                .ok_or_else(|| Error::Invalid(format!("dimension {id}: bad unit {unit}")))?,
            cardinality: if cardinality == "one" {
                Cardinality::One
            } else {
                Cardinality::Many
            },
            id,
            name,
            description,
            codes: Vec::new(),
        });
    }
    let mut stmt = conn.prepare(
        "SELECT dimension, id, name, definition, include, exclude, example, aliases, grp, parent, status
         FROM code ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Code {
                id: r.get(1)?,
                name: r.get(2)?,
                definition: r.get(3)?,
                include: r.get(4)?,
                exclude: r.get(5)?,
                example: r.get(6)?,
                aliases: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                group: r.get(8)?,
                parent: r.get(9)?,
                status: CodeStatus::parse(&r.get::<_, String>(10)?).unwrap_or_default(),
            },
        ))
    })?;
    for row in rows {
        let (dim, code) = row?;
        if let Some(d) = dims.iter_mut().find(|d| d.id == dim) {
            d.codes.push(code);
        }
    }
    Ok(Codebook {
        id,
        name,
        version,
        description,
        source,
        dimensions: dims,
        schema: None,
    })
}

impl crate::Study {
    /// Replaces the study's codebook; only while no decision has been recorded (later changes
    /// go through the open-coding edits, which remap decisions).
    pub fn replace_codebook(&mut self, book: &Codebook) -> Result<()> {
        book.validate().map_err(|message| Error::Codebook {
            source_name: book.id.clone(),
            message,
        })?;
        let old = self.codebook()?;
        self.write(|tx| {
            let n: i64 = tx.query_row("SELECT count(*) FROM decision", [], |r| r.get(0))?;
            if n > 0 {
                return Err(Error::Invalid(format!(
                    "this study already has {n} decisions; a codebook can only be replaced before coding starts"
                )));
            }
            tx.execute_batch("DELETE FROM code; DELETE FROM dimension; DELETE FROM codebook;")?;
            store(tx, book)?;
            crate::study::record(
                tx,
                "system",
                "codebook.replace",
                &book.id,
                Some(&serde_json::json!({ "id": old.id, "version": old.version })),
                Some(&serde_json::json!({ "id": book.id, "version": book.version })),
            )
        })
    }

    /// The study's codebook.
    pub fn codebook(&self) -> Result<Codebook> {
        Ok((*self.cached_codebook()?).clone())
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

/// Open coding: the team's edits to a codebook while coding goes on. Every edit is one
/// transaction with a history row; merging remaps decisions and never drops one.
impl crate::Study {
    /// Proposes a new code while coding (status `proposed`); its id is made from its name.
    pub fn propose_code(
        &mut self,
        dimension: &str,
        name: &str,
        definition: &str,
        parent: Option<&str>,
        by: &str,
    ) -> Result<Code> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?.clone();
        if name.trim().is_empty() {
            return Err(Error::Invalid("a code needs a name".into()));
        }
        if dim.resolve(name).is_some() {
            return Err(Error::Invalid(format!(
                "dimension '{}' already has a code named '{}'",
                dim.id,
                name.trim()
            )));
        }
        if let Some(p) = parent {
            dim.require_code(p)?;
        }
        let parent = parent.map(|p| dim.resolve(p).expect("checked").id.clone());
        let mut taken: HashSet<String> = dim.codes.iter().map(|c| c.id.clone()).collect();
        let code = Code {
            id: slug(name, &mut taken),
            name: name.trim().to_string(),
            definition: definition.trim().to_string(),
            include: String::new(),
            exclude: String::new(),
            example: String::new(),
            aliases: Vec::new(),
            group: parent
                .as_ref()
                .and_then(|p| dim.code(p))
                .and_then(|p| p.group.clone()),
            parent,
            status: CodeStatus::Proposed,
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO code (dimension, id, name, definition, grp, parent, status, position)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'proposed', (SELECT coalesce(max(position), 0) + 1 FROM code WHERE dimension = ?1))",
                params![dim.id, code.id, code.name, code.definition, code.group, code.parent],
            )?;
            crate::study::record(tx, by, "codebook.propose", &format!("{}|{}", dim.id, code.id), None, Some(&serde_json::to_value(&code)?))
        })?;
        Ok(code)
    }

    /// Renames a code (its id stays, so decisions are untouched).
    pub fn rename_code(
        &mut self,
        dimension: &str,
        code: &str,
        new_name: &str,
        by: &str,
    ) -> Result<()> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let c = dim.require_code(code)?.clone();
        if new_name.trim().is_empty() {
            return Err(Error::Invalid("a code needs a name".into()));
        }
        if let Some(other) = dim.resolve(new_name).filter(|o| o.id != c.id) {
            return Err(Error::Invalid(format!(
                "'{}' is already the name or alias of code '{}'",
                new_name.trim(),
                other.id
            )));
        }
        let dim_id = dim.id.clone();
        self.write(|tx| {
            tx.execute(
                "UPDATE code SET name = ?3 WHERE dimension = ?1 AND id = ?2",
                params![dim_id, c.id, new_name.trim()],
            )?;
            crate::study::record(
                tx,
                by,
                "codebook.rename",
                &format!("{dim_id}|{}", c.id),
                Some(&serde_json::json!({ "name": c.name })),
                Some(&serde_json::json!({ "name": new_name.trim() })),
            )
        })
    }

    /// Sets a code's status: `retired` stops offering it for new decisions (old ones keep it),
    /// `active` accepts a proposed code or brings a retired one back.
    pub fn set_code_status(
        &mut self,
        dimension: &str,
        code: &str,
        status: CodeStatus,
        by: &str,
    ) -> Result<()> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let c = dim.require_code(code)?.clone();
        let dim_id = dim.id.clone();
        self.write(|tx| {
            tx.execute(
                "UPDATE code SET status = ?3 WHERE dimension = ?1 AND id = ?2",
                params![dim_id, c.id, status.as_str()],
            )?;
            crate::study::record(
                tx,
                by,
                "codebook.status",
                &format!("{dim_id}|{}", c.id),
                Some(&serde_json::json!({ "status": c.status.as_str() })),
                Some(&serde_json::json!({ "status": status.as_str() })),
            )
        })
    }

    /// Merges code `from` into code `into`: every decision that had `from` now has `into`
    /// (a decision that had both keeps `into` once), sub-codes of `from` move under `into`, and
    /// `from` is removed from the codebook. Returns how many decisions were remapped.
    pub fn merge_codes(
        &mut self,
        dimension: &str,
        from: &str,
        into: &str,
        by: &str,
    ) -> Result<usize> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let a = dim.require_code(from)?.clone();
        let b = dim.require_code(into)?.clone();
        if a.id == b.id {
            return Err(Error::Invalid(format!(
                "cannot merge code '{}' into itself",
                a.id
            )));
        }
        let mut up = b.parent.clone();
        while let Some(p) = up {
            if p == a.id {
                return Err(Error::Invalid(format!(
                    "cannot merge '{}' into its own sub-code '{}'",
                    a.id, b.id
                )));
            }
            up = dim.code(&p).and_then(|c| c.parent.clone());
        }
        let dim_id = dim.id.clone();
        self.write(|tx| {
            let mut stmt = tx.prepare("SELECT decision_id FROM decision_code WHERE dimension = ?1 AND code = ?2")?;
            let ids: Vec<i64> = stmt.query_map(params![dim_id, a.id], |r| r.get(0))?.collect::<Result<_, _>>()?;
            for id in &ids {
                tx.execute("INSERT OR IGNORE INTO decision_code (decision_id, dimension, code) VALUES (?1, ?2, ?3)", params![id, dim_id, b.id])?;
                tx.execute("DELETE FROM decision_code WHERE decision_id = ?1 AND code = ?2", params![id, a.id])?;
            }
            remap_other_tables(tx, &dim_id, &a.id, &b.id)?;
            tx.execute("UPDATE code SET parent = ?3 WHERE dimension = ?1 AND parent = ?2", params![dim_id, a.id, b.id])?;
            tx.execute("DELETE FROM code WHERE dimension = ?1 AND id = ?2", params![dim_id, a.id])?;
            crate::study::record(
                tx,
                by,
                "codebook.merge",
                &format!("{dim_id}|{}", a.id),
                Some(&serde_json::to_value(&a)?),
                Some(&serde_json::json!({ "merged_into": b.id, "decisions_remapped": ids.len() })),
            )?;
            Ok(ids.len())
        })
    }

    /// Splits a code into new codes (siblings of it, status active) and retires it. Decisions
    /// keep the old code until a rater recodes them; the units concerned are returned.
    pub fn split_code(
        &mut self,
        dimension: &str,
        code: &str,
        into: &[(String, String)],
        by: &str,
    ) -> Result<(Vec<Code>, Vec<String>)> {
        if into.len() < 2 {
            return Err(Error::Invalid(
                "a split needs at least two new codes".into(),
            ));
        }
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?.clone();
        let old = dim.require_code(code)?.clone();
        let mut created = Vec::new();
        for (name, definition) in into {
            let c = self.propose_code(&dim.id, name, definition, old.parent.as_deref(), by)?;
            self.set_code_status(&dim.id, &c.id, CodeStatus::Active, by)?;
            created.push(Code {
                status: CodeStatus::Active,
                ..c
            });
        }
        self.set_code_status(&dim.id, &old.id, CodeStatus::Retired, by)?;
        let units: Vec<String> = self
            .conn()
            .prepare(
                "SELECT DISTINCT u.name FROM decision_code dc JOIN decision d ON d.id = dc.decision_id JOIN unit u ON u.id = d.unit_id
                 WHERE dc.dimension = ?1 AND dc.code = ?2 ORDER BY u.name",
            )?
            .query_map(params![dim.id, old.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        self.write(|tx| {
            crate::study::record(
                tx,
                by,
                "codebook.split",
                &format!("{}|{}", dim.id, old.id),
                None,
                Some(&serde_json::json!({ "into": created.iter().map(|c| &c.id).collect::<Vec<_>>(), "units_to_recode": units.len() })),
            )
        })?;
        Ok((created, units))
    }

    /// How many current decisions use each code, by (dimension, code).
    pub fn code_use_counts(&self) -> Result<HashMap<(String, String), i64>> {
        let mut stmt = self.conn().prepare(
            "SELECT dimension, code, count(*) FROM decision_code GROUP BY dimension, code",
        )?;
        let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Remaps a merged code in tables other than decisions that refer to codes (added by later
/// migrations, e.g. consensus), when they exist.
fn remap_other_tables(tx: &Connection, dimension: &str, from: &str, into: &str) -> Result<()> {
    let mut stmt = tx.prepare(
        "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name <> 'decision_code'
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'code')
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'dimension')
         AND m.name <> 'code'",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for t in tables {
        tx.execute(
            &format!("UPDATE OR IGNORE \"{t}\" SET code = ?3 WHERE dimension = ?1 AND code = ?2"),
            params![dimension, from, into],
        )?;
        tx.execute(
            &format!("DELETE FROM \"{t}\" WHERE dimension = ?1 AND code = ?2"),
            params![dimension, from],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod open_coding_tests {
    use super::*;
    use crate::coding::DecisionInput;
    use crate::Study;

    fn study() -> (tempfile::TempDir, Study) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
        s.add_rater("ana").unwrap();
        s.add_rater("ben").unwrap();
        (dir, s)
    }

    fn code(s: &mut Study, rater: &str, unit: &str, codes: &[&str]) {
        let dimension = if unit.contains(':') {
            "purpose"
        } else {
            "kind"
        };
        s.record(&DecisionInput {
            rater: rater.into(),
            unit: unit.into(),
            dimension: dimension.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        })
        .unwrap();
    }

    #[test]
    fn propose_rename_retire() {
        let (_d, mut s) = study();
        let c = s
            .propose_code(
                "purpose",
                "GPU Benchmarking",
                "Measures GPU speed.",
                Some("model-management"),
                "ana",
            )
            .unwrap();
        assert_eq!(c.id, "gpu-benchmarking");
        assert_eq!(
            s.codebook()
                .unwrap()
                .dimension("purpose")
                .unwrap()
                .code("gpu-benchmarking")
                .unwrap()
                .status,
            CodeStatus::Proposed
        );
        code(
            &mut s,
            "ana",
            "lumen-labs/tinyserve:Dockerfile",
            &["gpu-benchmarking"],
        );
        s.rename_code("purpose", "gpu-benchmarking", "GPU Benchmarks", "ben")
            .unwrap();
        assert_eq!(
            s.decision("ana", "lumen-labs/tinyserve:Dockerfile", "purpose")
                .unwrap()
                .unwrap()
                .codes,
            vec!["gpu-benchmarking"]
        );
        assert!(
            s.propose_code("purpose", "hosting", "", None, "ana")
                .is_err(),
            "a name that is already a code"
        );
        s.set_code_status("purpose", "gpu-benchmarking", CodeStatus::Retired, "ben")
            .unwrap();
        let n: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM history WHERE action LIKE 'codebook.%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn merge_never_drops_a_decision() {
        let (_d, mut s) = study();
        let u = "lumen-labs/tinyserve:Dockerfile";
        code(&mut s, "ana", u, &["hosting", "model-storage-serving"]);
        code(&mut s, "ben", u, &["hosting"]);
        code(&mut s, "ana", "lumen-labs/tinyserve", &["toolkit"]);
        let before = s.decisions(None).unwrap().len();
        let n = s
            .merge_codes("purpose", "hosting", "model-storage-serving", "ana")
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(s.decisions(None).unwrap().len(), before);
        assert_eq!(
            s.decision("ana", u, "purpose").unwrap().unwrap().codes,
            vec!["model-storage-serving"]
        );
        assert_eq!(
            s.decision("ben", u, "purpose").unwrap().unwrap().codes,
            vec!["model-storage-serving"]
        );
        assert!(s
            .codebook()
            .unwrap()
            .dimension("purpose")
            .unwrap()
            .code("hosting")
            .is_none());
        // A one-code dimension stays one code.
        s.merge_codes("kind", "toolkit", "dl-framework", "ana")
            .unwrap();
        assert_eq!(
            s.decision("ana", "lumen-labs/tinyserve", "kind")
                .unwrap()
                .unwrap()
                .codes,
            vec!["dl-framework"]
        );
        // Sub-codes move with a merged parent.
        s.merge_codes("purpose", "data-management", "model-management", "ana")
            .unwrap();
        let book = s.codebook().unwrap();
        assert_eq!(
            book.dimension("purpose")
                .unwrap()
                .code("data-processing")
                .unwrap()
                .parent
                .as_deref(),
            Some("model-management")
        );
        assert!(s
            .merge_codes("purpose", "model-management", "model-training", "ana")
            .is_err());
    }

    #[test]
    fn split_retires_and_lists_units_to_recode() {
        let (_d, mut s) = study();
        let u = "lumen-labs/tinyserve:Dockerfile";
        code(&mut s, "ana", u, &["security"]);
        let (created, units) = s
            .split_code(
                "purpose",
                "security",
                &[
                    ("Secrets Handling".into(), "".into()),
                    ("Image Hardening".into(), "".into()),
                ],
                "ana",
            )
            .unwrap();
        assert_eq!(created.len(), 2);
        assert_eq!(units, vec![u.to_string()]);
        let book = s.codebook().unwrap();
        assert_eq!(
            book.dimension("purpose")
                .unwrap()
                .code("security")
                .unwrap()
                .status,
            CodeStatus::Retired
        );
        assert_eq!(
            s.decision("ana", u, "purpose").unwrap().unwrap().codes,
            vec!["security"]
        );
        assert_eq!(
            s.code_use_counts().unwrap()[&("purpose".to_string(), "security".to_string())],
            1
        );
    }
}
