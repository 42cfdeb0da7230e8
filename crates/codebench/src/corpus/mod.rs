//! Projects and what is read of them: a snapshot of the README, every Dockerfile, compose and
//! workflow files, pinned to a commit. Sources (`local`, and later `github`) produce a
//! [`SnapshotInput`]; [`store_snapshot`] is the one place that writes it into a study.

pub mod github;
pub mod local;
pub mod names;

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use names::Role;

use crate::{Error, Result, Study};

/// Files larger than this are recorded with their size but their text is not stored.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Where a project came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A checkout on disk.
    Local,
    /// The GitHub API.
    Github,
    /// The sample study shipped with Codebench.
    Sample,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Local => "local",
            Source::Github => "github",
            Source::Sample => "sample",
        }
    }
}

/// The content of a file as read, before storing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// UTF-8 text within the size bound.
    Text(String),
    /// Over [`MAX_FILE_BYTES`].
    TooLarge,
    /// Holds NUL bytes: not a text file.
    Binary,
    /// Bytes that are not UTF-8 (e.g. UTF-16, Latin-1).
    NotUtf8,
}

impl FileContent {
    /// Classifies raw bytes of a file of `size` bytes (`bytes` may be empty when over the bound).
    pub fn classify(size: u64, bytes: Vec<u8>) -> FileContent {
        if size > MAX_FILE_BYTES {
            return FileContent::TooLarge;
        }
        if bytes.contains(&0) {
            return FileContent::Binary;
        }
        match String::from_utf8(bytes) {
            Ok(text) => FileContent::Text(text),
            Err(_) => FileContent::NotUtf8,
        }
    }

    /// The status word stored in the study.
    pub fn status(&self) -> &'static str {
        match self {
            FileContent::Text(_) => "stored",
            FileContent::TooLarge => "too_large",
            FileContent::Binary => "binary",
            FileContent::NotUtf8 => "not_utf8",
        }
    }

    /// Why the text is not stored, in words; `None` for text.
    pub fn problem(&self, size: u64) -> Option<String> {
        match self {
            FileContent::Text(_) => None,
            FileContent::TooLarge => Some(format!(
                "{:.1} MiB, over the {} MiB limit",
                size as f64 / 1048576.0,
                MAX_FILE_BYTES / 1048576
            )),
            FileContent::Binary => Some("not a text file (holds NUL bytes)".into()),
            FileContent::NotUtf8 => Some("not UTF-8 text".into()),
        }
    }
}

/// One file of a snapshot.
#[derive(Debug, Clone)]
pub struct FileInput {
    /// Path inside the repository, forward slashes, no leading slash.
    pub path: String,
    /// What the file is to the study.
    pub role: Role,
    /// Size in bytes.
    pub size: u64,
    /// The content as read.
    pub content: FileContent,
}

/// What a source read of one project.
#[derive(Debug, Clone)]
pub struct SnapshotInput {
    /// `owner/name`.
    pub full_name: String,
    /// Where it came from.
    pub source: Source,
    /// Checkout path or API URL.
    pub location: Option<String>,
    /// The commit read, when known.
    pub commit: Option<String>,
    /// Repository metadata (JSON object).
    pub metadata: serde_json::Value,
    /// The files the study reads.
    pub files: Vec<FileInput>,
}

/// What storing a snapshot did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct StoredSnapshot {
    /// `owner/name`.
    pub project: String,
    /// `new`, `unchanged` or `updated` (a new snapshot of a known project).
    pub outcome: &'static str,
    /// The commit now current.
    pub commit: Option<String>,
    /// Dockerfiles in the snapshot.
    pub dockerfiles: usize,
    /// Whether a README text was stored.
    pub readme: bool,
    /// Files recorded without their text, with the reason.
    pub skipped: Vec<String>,
}

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Checks an `owner/name` project name.
pub fn check_full_name(name: &str) -> Result<()> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    match name.split_once('/') {
        Some((o, n)) if ok_part(o) && ok_part(n) => Ok(()),
        _ => Err(Error::Invalid(format!(
            "'{name}' is not a project name of the form owner/name (letters, digits, '-', '_', '.')"
        ))),
    }
}

/// Writes a snapshot: the project (created on first sight), a new snapshot row when anything
/// differs from the current one, its files and contents, and the units. Runs inside the
/// caller's transaction.
pub(crate) fn store_snapshot(tx: &Connection, input: &SnapshotInput) -> Result<StoredSnapshot> {
    check_full_name(&input.full_name)?;
    let now = crate::now();
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM project WHERE full_name = ?1",
            [&input.full_name],
            |r| r.get(0),
        )
        .optional()?;
    let mut hashed: Vec<(&FileInput, Option<String>)> = input
        .files
        .iter()
        .map(|f| {
            (
                f,
                match &f.content {
                    FileContent::Text(t) => Some(sha256_hex(t.as_bytes())),
                    _ => None,
                },
            )
        })
        .collect();
    hashed.sort_by(|a, b| (a.0.role.as_str(), &a.0.path).cmp(&(b.0.role.as_str(), &b.0.path)));
    let fingerprint: BTreeSet<(String, String, String)> = hashed
        .iter()
        .map(|(f, h)| {
            (
                f.role.as_str().to_string(),
                f.path.clone(),
                h.clone().unwrap_or_else(|| f.content.status().to_string()),
            )
        })
        .collect();
    let skipped: Vec<String> = input
        .files
        .iter()
        .filter_map(|f| {
            f.content
                .problem(f.size)
                .map(|p| format!("{}: {p}", f.path))
        })
        .collect();
    let summary = |outcome| StoredSnapshot {
        project: input.full_name.clone(),
        outcome,
        commit: input.commit.clone(),
        dockerfiles: input
            .files
            .iter()
            .filter(|f| f.role == Role::Dockerfile)
            .count(),
        readme: input
            .files
            .iter()
            .any(|f| f.role == Role::Readme && matches!(f.content, FileContent::Text(_))),
        skipped: skipped.clone(),
    };

    let project_id = match existing {
        Some(id) => {
            let current: Option<(i64, Option<String>)> = tx
                .query_row(
                    "SELECT id, commit_sha FROM snapshot WHERE project_id = ?1 ORDER BY id DESC LIMIT 1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((snap, commit)) = current {
                let mut stmt = tx.prepare(
                    "SELECT role, path, coalesce(sha256, status) FROM file WHERE snapshot_id = ?1",
                )?;
                let old: BTreeSet<(String, String, String)> = stmt
                    .query_map([snap], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<_, _>>()?;
                if commit == input.commit && old == fingerprint {
                    tx.execute(
                        "UPDATE project SET metadata = ?2 WHERE id = ?1",
                        params![id, input.metadata.to_string()],
                    )?;
                    return Ok(summary("unchanged"));
                }
            }
            tx.execute(
                "UPDATE project SET changed = 1, metadata = ?2, location = ?3, problem = NULL WHERE id = ?1",
                params![id, input.metadata.to_string(), input.location],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO project (full_name, source, location, metadata, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![input.full_name, input.source.as_str(), input.location, input.metadata.to_string(), now],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO unit (project_id, kind, path, name) VALUES (?1, 'project', NULL, ?2)",
                params![id, input.full_name],
            )?;
            id
        }
    };
    tx.execute(
        "INSERT INTO snapshot (project_id, commit_sha, fetched_at) VALUES (?1, ?2, ?3)",
        params![project_id, input.commit, now],
    )?;
    let snapshot_id = tx.last_insert_rowid();
    let mut put_content =
        tx.prepare_cached("INSERT OR IGNORE INTO content (sha256, text) VALUES (?1, ?2)")?;
    let mut put_file = tx.prepare_cached(
        "INSERT INTO file (snapshot_id, role, path, size, sha256, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut put_unit =
        tx.prepare_cached("INSERT OR IGNORE INTO unit (project_id, kind, path, name) VALUES (?1, 'dockerfile', ?2, ?3)")?;
    for (f, hash) in &hashed {
        if let (FileContent::Text(text), Some(h)) = (&f.content, hash) {
            put_content.execute(params![h, text])?;
            if f.role == Role::Dockerfile {
                crate::dockerfile::store_analysis(tx, h, &f.path, text)?;
            }
        }
        put_file.execute(params![
            snapshot_id,
            f.role.as_str(),
            f.path,
            f.size as i64,
            hash,
            f.content.status()
        ])?;
        if f.role == Role::Dockerfile {
            put_unit.execute(params![
                project_id,
                f.path,
                unit_name(&input.full_name, Some(&f.path))
            ])?;
        }
    }
    let outcome = if existing.is_some() { "updated" } else { "new" };
    crate::history::record(
        tx,
        "system",
        "project.import",
        &input.full_name,
        None,
        Some(
            &serde_json::json!({ "outcome": outcome, "commit": input.commit, "source": input.source.as_str() }),
        ),
    )?;
    Ok(summary(outcome))
}

/// The public name of a unit: `owner/name` for the project, `owner/name:path` for a Dockerfile.
pub fn unit_name(project: &str, path: Option<&str>) -> String {
    match path {
        None => project.to_string(),
        Some(p) => format!("{project}:{p}"),
    }
}

/// A project in a list.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProjectSummary {
    /// `owner/name`.
    pub name: String,
    /// `local`, `github` or `sample`.
    pub source: String,
    /// Commit of the current snapshot.
    pub commit: Option<String>,
    /// Number of Dockerfiles in the current snapshot.
    pub dockerfiles: i64,
    /// Whether the current snapshot has a README text.
    pub has_readme: bool,
    /// Upstream moved since the first snapshot.
    pub changed: bool,
    /// Why the last import was incomplete.
    pub problem: Option<String>,
}

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
    /// Stores snapshots read by any source, all in one transaction.
    pub fn store_snapshots(&mut self, inputs: &[SnapshotInput]) -> Result<Vec<StoredSnapshot>> {
        self.write(|tx| inputs.iter().map(|i| store_snapshot(tx, i)).collect())
    }

    /// Every project, by name.
    pub fn projects(&self) -> Result<Vec<ProjectSummary>> {
        let mut stmt = self.conn().prepare(
            "SELECT p.full_name, p.source, s.commit_sha,
                    (SELECT count(*) FROM file f WHERE f.snapshot_id = s.id AND f.role = 'dockerfile'),
                    (SELECT count(*) FROM file f WHERE f.snapshot_id = s.id AND f.role = 'readme' AND f.status = 'stored'),
                    p.changed, p.problem
             FROM project p
             LEFT JOIN snapshot s ON s.id = (SELECT max(id) FROM snapshot WHERE project_id = p.id)
             ORDER BY p.full_name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ProjectSummary {
                name: r.get(0)?,
                source: r.get(1)?,
                commit: r.get(2)?,
                dockerfiles: r.get(3)?,
                has_readme: r.get::<_, i64>(4)? > 0,
                changed: r.get::<_, i64>(5)? != 0,
                problem: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

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

/// What removing a project took away.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProjectRemoval {
    /// The project removed.
    pub project: String,
    /// Its units removed (the project and its Dockerfiles).
    pub units: usize,
    /// Its snapshots removed.
    pub snapshots: usize,
}

impl Study {
    /// Removes a project, its snapshots, units, image references and jobs, on behalf of `by`,
    /// with a history row. Refused while a decision, consensus or round holds one of its units:
    /// removing it would lose coding (remove or merge those first).
    pub fn remove_project(&mut self, name: &str, by: &str) -> Result<ProjectRemoval> {
        self.write(|tx| {
            let pid: i64 = tx
                .query_row("SELECT id FROM project WHERE full_name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| Error::unknown("project", name))?;
            let count = |sql: &str| -> Result<i64> { Ok(tx.query_row(sql, [pid], |r| r.get(0))?) };
            let decisions = count(
                "SELECT count(*) FROM decision d JOIN unit u ON u.id = d.unit_id WHERE u.project_id = ?1",
            )?;
            let consensus = count(
                "SELECT count(*) FROM consensus c JOIN unit u ON u.id = c.unit_id WHERE u.project_id = ?1",
            )?;
            let rounds = count(
                "SELECT count(DISTINCT ru.round_id) FROM round_unit ru JOIN unit u ON u.id = ru.unit_id WHERE u.project_id = ?1",
            )?;
            if decisions + consensus + rounds > 0 {
                return Err(Error::Conflict(format!(
                    "{name} cannot be removed: {decisions} decision(s), {consensus} consensus and {rounds} round(s) hold its units; nothing was removed"
                )));
            }
            let units = count("SELECT count(*) FROM unit WHERE project_id = ?1")? as usize;
            let snapshots = count("SELECT count(*) FROM snapshot WHERE project_id = ?1")? as usize;
            let old = serde_json::json!({ "units": units, "snapshots": snapshots });
            tx.execute("DELETE FROM unit WHERE project_id = ?1", [pid])?;
            tx.execute(
                "DELETE FROM file WHERE snapshot_id IN (SELECT id FROM snapshot WHERE project_id = ?1)",
                [pid],
            )?;
            tx.execute("DELETE FROM snapshot WHERE project_id = ?1", [pid])?;
            tx.execute("DELETE FROM image_ref WHERE project_id = ?1", [pid])?;
            tx.execute(
                "DELETE FROM job WHERE kind = 'dockerfile_metrics' AND target = ?1",
                [name],
            )?;
            tx.execute("DELETE FROM project WHERE id = ?1", [pid])?;
            crate::history::record(tx, by, "project.remove", name, Some(&old), None)?;
            Ok(ProjectRemoval {
                project: name.to_string(),
                units,
                snapshots,
            })
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
