//! REFI-QDA project exchange (`.qdpx`): the format ATLAS.ti, MAXQDA, NVivo and QualCoder use to
//! move a whole project, not only its codebook.
//!
//! A `.qdpx` file is a zip holding `project.qde` (XML in the namespace
//! `urn:QDA-XML:project:1.0`) and a folder `sources/` with the text of each source. This crate
//! knows the format and nothing of a study: [`Project`] is a plain model (users, the code tree,
//! variables, cases, text sources with their codings and selections, notes), [`write`] turns it
//! into the zip's bytes and [`read`] turns bytes back into it.
//!
//! Invariants:
//! - Positions ([`Selection::start`], [`Selection::end`]) count characters (Unicode scalar
//!   values) of the source's plain text as stored, `start <= end <= text length`; the writer
//!   refuses a model that breaks this and the reader refuses a file that does.
//! - Reading is bounded ([`Limits`]): entry count, sizes (declared and actually inflated) and
//!   XML depth. Nothing is extracted to disk; sources are read from the zip into memory.
//! - A UTF-8 byte order mark before `<?xml`, or at the start of a source's text, is dropped
//!   (it is not counted in positions).

mod archive;
mod read;
mod write;

pub use read::{read, read_path};
pub use write::write;

/// The REFI-QDA project namespace.
pub const NAMESPACE: &str = "urn:QDA-XML:project:1.0";

/// The name of the XML document inside the zip.
pub const PROJECT_ENTRY: &str = "project.qde";

/// The folder of the sources' texts inside the zip (lower case: ATLAS.ti rejects `Sources/`).
pub const SOURCES_FOLDER: &str = "sources/";

/// A whole project, as exchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Project {
    /// The project's name (required by the schema).
    pub name: String,
    /// The program that wrote it.
    pub origin: String,
    /// When it was written (`xsd:dateTime`), if known.
    pub created: Option<String>,
    /// Everyone who coded or wrote something.
    pub users: Vec<User>,
    /// The code tree (top-level codes; children nest).
    pub codes: Vec<Code>,
    /// Variables whose values cases and sources carry.
    pub variables: Vec<Variable>,
    /// Cases: groups of sources with variable values.
    pub cases: Vec<Case>,
    /// Text sources with their codings.
    pub sources: Vec<TextSource>,
    /// Notes (memos), referred to by sources with [`TextSource::note_refs`].
    pub notes: Vec<Note>,
}

/// A person who codes (`Users/User`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// GUID.
    pub guid: String,
    /// Display name.
    pub name: String,
}

/// A code of the codebook (`CodeBook/Codes/Code`), with its sub-codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Code {
    /// GUID.
    pub guid: String,
    /// Name.
    pub name: String,
    /// Whether it can be applied (a grouping code cannot).
    pub is_codable: bool,
    /// `#rrggbb`, if any.
    pub color: Option<String>,
    /// Its description (definition), empty if none.
    pub description: String,
    /// Sub-codes.
    pub children: Vec<Code>,
}

/// The type of a variable (`typeOfVariable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableType {
    /// Free text.
    Text,
    /// `true` / `false`.
    Boolean,
    /// A whole number.
    Integer,
    /// A decimal number.
    Float,
    /// `YYYY-MM-DD`.
    Date,
    /// `xsd:dateTime`.
    DateTime,
}

impl VariableType {
    /// The schema's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::Text => "Text",
            VariableType::Boolean => "Boolean",
            VariableType::Integer => "Integer",
            VariableType::Float => "Float",
            VariableType::Date => "Date",
            VariableType::DateTime => "DateTime",
        }
    }

    /// The value element's name (`TextValue`, `IntegerValue`, ...).
    pub fn value_element(self) -> &'static str {
        match self {
            VariableType::Text => "TextValue",
            VariableType::Boolean => "BooleanValue",
            VariableType::Integer => "IntegerValue",
            VariableType::Float => "FloatValue",
            VariableType::Date => "DateValue",
            VariableType::DateTime => "DateTimeValue",
        }
    }

    /// The type named `s` (the schema's spelling).
    pub fn parse(s: &str) -> Option<VariableType> {
        Some(match s {
            "Text" => VariableType::Text,
            "Boolean" => VariableType::Boolean,
            "Integer" => VariableType::Integer,
            "Float" => VariableType::Float,
            "Date" => VariableType::Date,
            "DateTime" => VariableType::DateTime,
            _ => return None,
        })
    }

    fn from_value_element(s: &[u8]) -> Option<VariableType> {
        Some(match s {
            b"TextValue" => VariableType::Text,
            b"BooleanValue" => VariableType::Boolean,
            b"IntegerValue" => VariableType::Integer,
            b"FloatValue" => VariableType::Float,
            b"DateValue" => VariableType::Date,
            b"DateTimeValue" => VariableType::DateTime,
            _ => return None,
        })
    }
}

/// A variable (`Variables/Variable`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// GUID.
    pub guid: String,
    /// Name.
    pub name: String,
    /// Its type.
    pub kind: VariableType,
}

/// One value of a variable, on a case or a source (`VariableValue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableValue {
    /// The variable's GUID.
    pub variable: String,
    /// The value's type (names the value element).
    pub kind: VariableType,
    /// The value as written in the XML (`true`, `42`, `2024-01-31`, text).
    pub value: String,
}

/// A case (`Cases/Case`): sources that belong together, with variable values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Case {
    /// GUID.
    pub guid: String,
    /// Name (optional in the schema; MAXQDA and Quirkos leave it out).
    pub name: String,
    /// Variable values.
    pub values: Vec<VariableValue>,
    /// The GUIDs of its sources.
    pub sources: Vec<String>,
}

/// A coding: a code applied by a user (`Coding` with its `CodeRef`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coding {
    /// GUID.
    pub guid: String,
    /// The code's GUID.
    pub code: String,
    /// The user's GUID, if given.
    pub creating_user: Option<String>,
    /// When (`xsd:dateTime`), if given.
    pub created: Option<String>,
}

/// A passage of a text source (`PlainTextSelection`), with its codings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// GUID.
    pub guid: String,
    /// Name (often the passage itself), if any.
    pub name: Option<String>,
    /// First character, counted from 0.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The user's GUID, if given.
    pub creating_user: Option<String>,
    /// When, if given.
    pub created: Option<String>,
    /// Its description, empty if none (MAXQDA writes selections with only a description).
    pub description: String,
    /// Codings of the passage.
    pub codings: Vec<Coding>,
    /// GUIDs of notes about the passage.
    pub note_refs: Vec<String>,
}

/// A text source (`Sources/TextSource`) with its text, codings and selections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextSource {
    /// GUID.
    pub guid: String,
    /// Name.
    pub name: String,
    /// The plain text. Written to `sources/<guid>.txt`; read from the zip entry the
    /// `plainTextPath` names (or inline `PlainTextContent`). `None` when read from a file whose
    /// text lies outside the zip.
    pub text: Option<String>,
    /// The user's GUID, if given.
    pub creating_user: Option<String>,
    /// When, if given.
    pub created: Option<String>,
    /// Description, empty if none.
    pub description: String,
    /// Passages with their codings.
    pub selections: Vec<Selection>,
    /// Codings of the whole source.
    pub codings: Vec<Coding>,
    /// GUIDs of notes about the source.
    pub note_refs: Vec<String>,
    /// Variable values of the source.
    pub values: Vec<VariableValue>,
}

/// A note (memo) (`Notes/Note`), with its text inline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    /// GUID.
    pub guid: String,
    /// Name.
    pub name: String,
    /// The note's text.
    pub text: String,
    /// The user's GUID, if given.
    pub creating_user: Option<String>,
    /// When, if given.
    pub created: Option<String>,
    /// Description, empty if none.
    pub description: String,
}

/// Bounds on what [`read`] accepts, so a hostile file cannot exhaust memory or the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `.qdpx` file, in bytes.
    pub max_archive: u64,
    /// Most entries in the zip.
    pub max_entries: usize,
    /// Largest uncompressed entry, in bytes.
    pub max_entry: u64,
    /// Largest uncompressed total of the entries read, in bytes.
    pub max_total: u64,
    /// Deepest nesting of XML elements.
    pub max_depth: usize,
}

impl Default for Limits {
    /// Far above a study's size (texts are READMEs and Dockerfiles), far below harm.
    fn default() -> Limits {
        Limits {
            max_archive: 512 << 20,
            max_entries: 100_000,
            max_entry: 64 << 20,
            max_total: 1 << 30,
            max_depth: 64,
        }
    }
}

/// What went wrong reading or writing a `.qdpx` file; each names the entry, element or
/// attribute at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not a zip archive (or a damaged one).
    #[error("not a .qdpx file (a zip archive): {0}")]
    NotZip(String),
    /// An entry of the zip could not be read.
    #[error("zip entry '{entry}': {message}")]
    Entry {
        /// The entry's name.
        entry: String,
        /// Why.
        message: String,
    },
    /// Something is over a [`Limits`] bound.
    #[error("{what} is over the limit of {limit}")]
    TooLarge {
        /// What (names the entry or element).
        what: String,
        /// The bound.
        limit: u64,
    },
    /// `project.qde` is not the XML the format asks for.
    #[error("project.qde line {line}: {message}")]
    Xml {
        /// 1-based line.
        line: usize,
        /// What is wrong, naming the element and attribute.
        message: String,
    },
    /// The model cannot be written as a valid project (names the item).
    #[error("cannot write the project: {0}")]
    Invalid(String),
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// The result of this crate's functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether `s` is a GUID as the schema's `GUIDType` spells it (`8-4-4-4-12` hex digits,
/// optionally in braces).
pub fn is_guid(s: &str) -> bool {
    let inner = s
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(s);
    let groups: Vec<&str> = inner.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The characters of `text` from `start` to `end` (character positions), or `None` when the
/// range is not inside the text.
pub fn slice_chars(text: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let mut idx = text.char_indices().map(|(i, _)| i).chain([text.len()]);
    let a = idx.nth(start)?;
    let b = if end == start {
        a
    } else {
        idx.nth(end - start - 1)?
    };
    Some(&text[a..b])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_follow_the_schema() {
        assert!(is_guid("0a1b2c3d-0000-4000-8000-00000000000f"));
        assert!(is_guid("{0A1B2C3D-0000-4000-8000-00000000000F}"));
        assert!(!is_guid("0a1b2c3d-0000-4000-8000-00000000000"));
        assert!(!is_guid("zzzzzzzz-0000-4000-8000-000000000000"));
        assert!(!is_guid(""));
    }

    #[test]
    fn slices_count_characters() {
        assert_eq!(slice_chars("häl\r\nlo", 1, 3), Some("äl"));
        assert_eq!(slice_chars("häl\r\nlo", 3, 5), Some("\r\n"));
        assert_eq!(slice_chars("abc", 3, 3), Some(""));
        assert_eq!(slice_chars("abc", 0, 3), Some("abc"));
        assert_eq!(slice_chars("abc", 2, 4), None);
        assert_eq!(slice_chars("abc", 2, 1), None);
    }
}
