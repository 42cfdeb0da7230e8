//! The image references of the projects (`image_ref` table): those the import found in the
//! files or a list's `image` column, and those a person adds or removes by hand
//! ([`Study::add_image_ref`], [`Study::remove_image_ref`]), each change kept in the history.

use codebench_github::ImageRef;
use rusqlite::{params, Connection};
use serde::Serialize;

use super::project_id;
use crate::{Error, Result, Study};

/// Records image references of a project; returns how many were new.
pub(super) fn store_image_refs(c: &Connection, project: i64, refs: &[ImageRef]) -> Result<usize> {
    let mut stmt = c.prepare_cached(
        "INSERT OR IGNORE INTO image_ref (project_id, reference, found_in, how, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let now = crate::now();
    let mut n = 0;
    for r in refs {
        n += stmt.execute(params![
            project,
            r.reference,
            r.found_in,
            r.how.as_str(),
            now
        ])?;
    }
    Ok(n)
}

impl Study {
    /// Image references, optionally of one project, by project then reference.
    pub fn image_refs(&self, project: Option<&str>) -> Result<Vec<ImageRefInfo>> {
        if let Some(p) = project {
            project_id(self.conn(), p)?.ok_or_else(|| Error::unknown("project", p))?;
        }
        let mut stmt = self.conn().prepare(
            "SELECT p.full_name, i.reference, i.found_in, i.how, i.added_at
             FROM image_ref i JOIN project p ON p.id = i.project_id
             WHERE ?1 IS NULL OR lower(p.full_name) = lower(?1)
             ORDER BY p.full_name, i.reference, i.found_in",
        )?;
        let rows = stmt.query_map([project], |r| {
            Ok(ImageRefInfo {
                project: r.get(0)?,
                reference: r.get(1)?,
                found_in: r.get(2)?,
                how: r.get(3)?,
                added_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds an image reference to a project by hand (`found_in` and `how` are `manual`).
    /// Docker Hub references are normalized (`docker.io/library/x` is `x`); references to
    /// other registries are kept as written once checked.
    pub fn add_image_ref(&mut self, project: &str, reference: &str) -> Result<ImageRefInfo> {
        let reference = check_reference(reference)?;
        self.write(|tx| {
            let id = project_id(tx, project)?.ok_or_else(|| Error::unknown("project", project))?;
            let full_name: String =
                tx.query_row("SELECT full_name FROM project WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            let at = crate::now();
            let n = tx.execute(
                "INSERT OR IGNORE INTO image_ref (project_id, reference, found_in, how, added_at)
                 VALUES (?1, ?2, 'manual', 'manual', ?3)",
                params![id, reference, at],
            )?;
            if n == 0 {
                return Err(Error::Invalid(format!(
                    "{full_name} already has {reference} added by hand"
                )));
            }
            crate::history::record(
                tx,
                "user",
                "image_ref.add",
                &format!("{full_name}|{reference}"),
                None,
                Some(&serde_json::json!({ "reference": reference, "found_in": "manual" })),
            )?;
            Ok(ImageRefInfo {
                project: full_name,
                reference: reference.clone(),
                found_in: "manual".into(),
                how: "manual".into(),
                added_at: at,
            })
        })
    }

    /// Removes every record of `reference` on a project (wherever it was found); returns the
    /// records removed. The history keeps each of them.
    pub fn remove_image_ref(
        &mut self,
        project: &str,
        reference: &str,
    ) -> Result<Vec<ImageRefInfo>> {
        let reference = check_reference(reference)?;
        let found: Vec<ImageRefInfo> = self
            .image_refs(Some(project))?
            .into_iter()
            .filter(|r| r.reference == reference)
            .collect();
        if found.is_empty() {
            return Err(Error::Invalid(format!(
                "{project} has no image reference {reference}"
            )));
        }
        self.write(|tx| {
            let id = project_id(tx, project)?.ok_or_else(|| Error::unknown("project", project))?;
            tx.execute(
                "DELETE FROM image_ref WHERE project_id = ?1 AND reference = ?2",
                params![id, reference],
            )?;
            for r in &found {
                crate::history::record(
                    tx,
                    "user",
                    "image_ref.remove",
                    &format!("{}|{}", r.project, r.reference),
                    Some(&serde_json::json!({ "reference": r.reference, "found_in": r.found_in, "how": r.how })),
                    None,
                )?;
            }
            Ok(())
        })?;
        Ok(found)
    }
}

/// Checks and normalizes an image reference typed by a person.
fn check_reference(raw: &str) -> Result<String> {
    if let Some(hub) = codebench_github::normalize_reference(raw) {
        return Ok(hub);
    }
    let r = raw.trim();
    let ok = !r.is_empty()
        && r.len() <= 512
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:@".contains(&b))
        && r.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && !r.ends_with([':', '/', '@']);
    if ok {
        Ok(r.to_string())
    } else {
        Err(Error::Invalid(format!(
            "'{raw}' is not an image reference (expected e.g. owner/image:tag or registry.example/owner/image:tag, lower case)"
        )))
    }
}

/// One image reference of a project and where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImageRefInfo {
    /// The project's `owner/name`.
    pub project: String,
    /// Normalized reference: `name[:tag][@sha256:...]`.
    pub reference: String,
    /// File path it was found in, `list`, `manual`, or `docker-hub` (the selection's Docker
    /// Hub filter found an image under the repository's own name).
    pub found_in: String,
    /// `readme-link`, `docker-pull`, `compose-image`, `workflow-tags`, `docker-push`, `list`,
    /// `manual` or `selection`.
    pub how: String,
    /// When it was recorded.
    pub added_at: String,
}
