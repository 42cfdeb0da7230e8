//! What a machine rater reads of the study: the codebook dimension (without retired codes), a
//! unit's own README and Dockerfile texts from its project's current snapshot, and the stored
//! Dockerfile analyses. Nothing of any rater's decisions.

use rusqlite::Connection;

use codebench_machine::prompt::{CodeText, DimensionText, FileText, UnitText};

use crate::codebook::{Cardinality, CodeStatus, Dimension};
use crate::corpus::UnitInfo;
use crate::dockerfile::Analysis;
use crate::Result;

/// The dimension as the prompt describes it.
pub(crate) fn dimension_text(dim: &Dimension) -> DimensionText {
    DimensionText {
        id: dim.id.clone(),
        name: dim.name.clone(),
        description: dim.description.clone(),
        many: dim.cardinality == Cardinality::Many,
        unit_kind: dim.unit.as_str().to_string(),
        codes: dim
            .codes
            .iter()
            .filter(|c| c.status != CodeStatus::Retired)
            .map(|c| CodeText {
                id: c.id.clone(),
                name: c.name.clone(),
                definition: c.definition.clone(),
                include: c.include.clone(),
                exclude: c.exclude.clone(),
                example: c.example.clone(),
            })
            .collect(),
    }
}

/// One stored file of the project's current snapshot.
pub(crate) struct StoredFile {
    pub role: String,
    pub path: String,
    pub text: String,
    pub analysis: Option<Analysis>,
}

/// The README and Dockerfiles (stored as text) of a project's current snapshot, README first.
pub(crate) fn project_files(c: &Connection, project: &str) -> Result<Vec<StoredFile>> {
    let mut stmt = c.prepare_cached(
        "SELECT f.role, f.path, t.text, a.analysis FROM file f
         JOIN content t ON t.sha256 = f.sha256
         LEFT JOIN dockerfile_analysis a ON a.sha256 = f.sha256
         WHERE f.snapshot_id = (SELECT max(s.id) FROM snapshot s JOIN project p ON p.id = s.project_id WHERE p.full_name = ?1)
           AND f.role IN ('readme', 'dockerfile') AND f.status = 'stored'
         ORDER BY f.role DESC, f.path",
    )?;
    let rows = stmt.query_map([project], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (role, path, text, analysis) = row?;
        out.push(StoredFile {
            role,
            path,
            text,
            analysis: analysis.and_then(|a| serde_json::from_str(&a).ok()),
        });
    }
    Ok(out)
}

/// The files of one unit: a project's README and every Dockerfile; a Dockerfile unit's own
/// Dockerfile, with its project's README for context.
pub(crate) fn unit_files(c: &Connection, unit: &UnitInfo) -> Result<Vec<StoredFile>> {
    let all = project_files(c, &unit.project)?;
    Ok(match &unit.path {
        None => all,
        Some(p) => all
            .into_iter()
            .filter(|f| f.role == "readme" || &f.path == p)
            .collect(),
    })
}

/// The unit as the prompt shows it.
pub(crate) fn unit_text(unit: &UnitInfo, files: &[StoredFile]) -> UnitText {
    UnitText {
        name: unit.name.clone(),
        files: files
            .iter()
            .map(|f| FileText {
                path: f.path.clone(),
                role: f.role.clone(),
                text: f.text.clone(),
            })
            .collect(),
    }
}

/// The local classifier's features of the unit.
pub(crate) fn unit_features(files: &[StoredFile]) -> Vec<String> {
    let readme = files
        .iter()
        .find(|f| f.role == "readme")
        .map(|f| f.text.as_str());
    let dockerfiles: Vec<(&str, Option<&Analysis>)> = files
        .iter()
        .filter(|f| f.role == "dockerfile")
        .map(|f| (f.text.as_str(), f.analysis.as_ref()))
        .collect();
    codebench_machine::local::features(readme, &dockerfiles)
}
