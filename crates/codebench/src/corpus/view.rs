//! A project as a rater reads it: the current snapshot's README (rendered) and Dockerfiles with
//! their analyses, and the Dockerfiles a refresh found removed, from the newest snapshot that
//! had them.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::{Error, Result, Study};

/// One file as shown to a rater.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct FileView {
    /// Path inside the repository.
    pub path: String,
    /// `stored`, `too_large`, `binary` or `not_utf8`.
    pub status: String,
    /// Size in bytes.
    pub size: i64,
    /// The text, when stored.
    pub text: Option<String>,
    /// The Dockerfile analysis of the text (Dockerfiles only).
    pub analysis: Option<crate::dockerfile::Analysis>,
    /// The file is no longer in the project's current snapshot (a refresh found it removed
    /// upstream): this is its text from the newest snapshot that had it, so a unit already
    /// coded still shows what was coded.
    pub removed_upstream: bool,
}

/// A project as a rater reads it: the current snapshot.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProjectView {
    /// `owner/name`.
    pub name: String,
    /// Commit of the snapshot.
    pub commit: Option<String>,
    /// Repository metadata.
    pub metadata: serde_json::Value,
    /// The README file, if any.
    pub readme: Option<FileView>,
    /// The README rendered to sanitised HTML, when it is stored.
    pub readme_html: Option<String>,
    /// Every Dockerfile, by path.
    pub dockerfiles: Vec<FileView>,
    /// Upstream moved since the first snapshot.
    pub changed: bool,
}

impl Study {
    /// A project's current snapshot with its README rendered, as a rater reads it.
    pub fn project_view(&self, name: &str) -> Result<ProjectView> {
        let c = self.conn();
        let (pid, metadata, changed): (i64, String, i64) = c
            .query_row(
                "SELECT id, metadata, changed FROM project WHERE full_name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| Error::unknown("project", name))?;
        let snap: Option<(i64, Option<String>)> = c
            .query_row(
                "SELECT id, commit_sha FROM snapshot WHERE project_id = ?1 ORDER BY id DESC LIMIT 1",
                [pid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (files, commit) = match snap {
            Some((sid, commit)) => (files_of(c, sid)?, commit),
            None => (Vec::new(), None),
        };
        let mut readme = None;
        let mut dockerfiles = Vec::new();
        for (role, view) in files {
            match role.as_str() {
                "readme" => readme = Some(view),
                "dockerfile" => dockerfiles.push(view),
                _ => {}
            }
        }
        // Dockerfile units whose file a refresh found removed: shown from the newest snapshot
        // that had them (never another Dockerfile in their place).
        let gone: Vec<(String, i64)> = {
            let mut stmt = c.prepare_cached(
                "SELECT u.path, (SELECT max(f.snapshot_id) FROM file f JOIN snapshot s ON s.id = f.snapshot_id
                                 WHERE s.project_id = u.project_id AND f.role = 'dockerfile' AND f.path = u.path)
                 FROM unit u WHERE u.project_id = ?1 AND u.kind = 'dockerfile' ORDER BY u.path",
            )?;
            let rows = stmt.query_map([pid], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter(|(path, _)| !dockerfiles.iter().any(|d: &FileView| &d.path == path))
                .filter_map(|(path, snap)| snap.map(|s| (path, s)))
                .collect()
        };
        for (path, snap) in gone {
            if let Some((_, mut view)) = files_of(c, snap)?
                .into_iter()
                .find(|(role, v)| role == "dockerfile" && v.path == path)
            {
                view.removed_upstream = true;
                dockerfiles.push(view);
            }
        }
        dockerfiles.sort_by(|a, b| a.path.cmp(&b.path));
        let readme_html = readme.as_ref().and_then(|r| {
            r.text.as_deref().map(|t| {
                crate::readme::render(
                    &r.path,
                    t,
                    &crate::readme::LinkBase::github(name, commit.as_deref()),
                )
            })
        });
        Ok(ProjectView {
            name: name.to_string(),
            commit,
            metadata: serde_json::from_str(&metadata).unwrap_or(serde_json::Value::Null),
            readme,
            readme_html,
            dockerfiles,
            changed: changed != 0,
        })
    }
}

fn files_of(c: &Connection, snapshot: i64) -> Result<Vec<(String, FileView)>> {
    let mut stmt = c.prepare_cached(
        "SELECT f.role, f.path, f.status, f.size, t.text, a.analysis FROM file f
         LEFT JOIN content t ON t.sha256 = f.sha256
         LEFT JOIN dockerfile_analysis a ON a.sha256 = f.sha256
         WHERE f.snapshot_id = ?1 ORDER BY f.path",
    )?;
    let rows = stmt.query_map([snapshot], |r| {
        let analysis: Option<String> = r.get(5)?;
        Ok((
            r.get(0)?,
            FileView {
                path: r.get(1)?,
                status: r.get(2)?,
                size: r.get(3)?,
                text: r.get(4)?,
                analysis: analysis.and_then(|j| serde_json::from_str(&j).ok()),
                removed_upstream: false,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
