//! The units raters decide on (a project, or one of its Dockerfiles): the list, and one
//! looked up by its public name.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::{Error, Result, Study};

/// A unit in a list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct UnitInfo {
    /// Public unit name.
    pub name: String,
    /// `project` or `dockerfile`.
    pub kind: String,
    /// The project's `owner/name`.
    pub project: String,
    /// The Dockerfile's path for a Dockerfile unit.
    pub path: Option<String>,
}

impl Study {
    /// Every unit, projects and their Dockerfiles, by name.
    pub fn units(&self) -> Result<Vec<UnitInfo>> {
        let mut stmt = self.conn().prepare(
            "SELECT u.name, u.kind, p.full_name, u.path FROM unit u JOIN project p ON p.id = u.project_id ORDER BY u.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(UnitInfo {
                name: r.get(0)?,
                kind: r.get(1)?,
                project: r.get(2)?,
                path: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One unit by its public name, or an error.
    pub fn unit(&self, name: &str) -> Result<UnitInfo> {
        unit_by_name(self.conn(), name).map(|(_, u)| u)
    }
}

/// Looks a unit up by its public name; the error suggests what the user may have meant.
pub(crate) fn unit_by_name(c: &Connection, name: &str) -> Result<(i64, UnitInfo)> {
    let found = c
        .prepare_cached(
            "SELECT u.id, u.name, u.kind, p.full_name, u.path FROM unit u JOIN project p ON p.id = u.project_id WHERE u.name = ?1",
        )?
        .query_row([name], |r| Ok((r.get(0)?, UnitInfo { name: r.get(1)?, kind: r.get(2)?, project: r.get(3)?, path: r.get(4)? })))
        .optional()?;
    found.ok_or_else(|| Error::Unknown {
        what: "unit",
        name: name.to_string(),
        context: " (a unit is written owner/name for a project or owner/name:path/to/Dockerfile)"
            .into(),
    })
}
