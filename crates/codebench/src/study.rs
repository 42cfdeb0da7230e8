//! The study file: one SQLite database per study, its migrations, its transactions and its
//! append-only history.
//!
//! A study file is recognised by SQLite's `application_id` header field. Opening never
//! writes to a file before it has been recognised, so a file that is not a study (or comes
//! from a newer Codebench) is left exactly as it was.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::codebook::Codebook;
use crate::{Error, Result};

/// `application_id` of every study file: "CBNC" in ASCII.
pub const APPLICATION_ID: i64 = 0x4342_4E43;

/// The migrations, in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../schema/migrations/0001_init.sql"),
    include_str!("../../../schema/migrations/0002_dockerfile_analysis.sql"),
    include_str!("../../../schema/migrations/0003_reconcile.sql"),
    include_str!("../../../schema/migrations/0004_image_refs.sql"),
    include_str!("../../../schema/migrations/0005_jobs_images.sql"),
    include_str!("../../../schema/migrations/0006_evidence.sql"),
    include_str!("../../../schema/migrations/0007_team.sql"),
    include_str!("../../../schema/migrations/0008_selection.sql"),
    include_str!("../../../schema/migrations/0009_machine.sql"),
    include_str!("../../../schema/migrations/0010_rater_name_index.sql"),
    include_str!("../../../schema/migrations/0011_assist.sql"),
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another process (the app, the CLI) holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open study file.
pub struct Study {
    conn: Connection,
    path: PathBuf,
    /// The codebook as last read, with the `codebook_rev` it was read at.
    book: std::sync::Mutex<Option<(String, std::sync::Arc<Codebook>)>>,
}

impl std::fmt::Debug for Study {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Study").field("path", &self.path).finish()
    }
}

impl Study {
    /// Creates a new study file at `path` holding `codebook`. Refuses to touch an existing file.
    pub fn create(path: impl AsRef<Path>, codebook: &Codebook) -> Result<Study> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(Error::AlreadyExists(path));
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut study = Study {
            conn,
            path,
            book: Default::default(),
        };
        study.configure()?;
        study
            .conn
            .pragma_update(None, "application_id", APPLICATION_ID)?;
        study.migrate()?;
        study.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('created_at', ?1), ('codebench_version', ?2)",
                params![crate::now(), env!("CARGO_PKG_VERSION")],
            )?;
            crate::codebook::store(tx, codebook)?;
            crate::history::record(tx, "system", "study.create", &codebook.id, None, None)?;
            Ok(())
        })?;
        Ok(study)
    }

    /// Opens an existing study, applying any migrations this build has that it lacks.
    pub fn open(path: impl AsRef<Path>) -> Result<Study> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(Error::NoSuchStudy(path));
        }
        check_header(&path)?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let not_a_study = |why: String| Error::NotAStudy {
            path: path.clone(),
            why,
        };
        let app_id: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| not_a_study(e.to_string()))?;
        if app_id != APPLICATION_ID {
            return Err(not_a_study(format!(
                "an SQLite database of another application (application_id {app_id:#x})"
            )));
        }
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version < 0 {
            return Err(not_a_study(format!(
                "its schema version {version} is not one Codebench ever wrote"
            )));
        }
        if version > SCHEMA_VERSION {
            return Err(Error::TooNew {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let mut study = Study {
            conn,
            path,
            book: Default::default(),
        };
        study.configure()?;
        study.migrate()?;
        Ok(study)
    }

    /// Where the study file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The study's codebook, read again only when the codebook tables changed (in this
    /// process or another).
    pub(crate) fn cached_codebook(&self) -> Result<std::sync::Arc<Codebook>> {
        let rev: String = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'codebook_rev'")?
            .query_row([], |r| r.get(0))?;
        // A poisoned lock only means another thread panicked while holding the cache: the
        // cache is then read again, never trusted.
        let mut slot = self.book.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((r, book)) = slot.as_ref() {
            if *r == rev {
                return Ok(book.clone());
            }
        }
        let book = std::sync::Arc::new(crate::codebook::load(&self.conn)?);
        *slot = Some((rev, book.clone()));
        Ok(book)
    }

    /// The connection, for reads inside the core.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one immediate write transaction and commits it; on error nothing is kept.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one immediate write transaction and commits it when `f` says so (a dry run
    /// or a refused merge rolls it back); on error nothing is kept.
    pub(crate) fn write_if<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<(T, bool)>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (out, commit) = f(&tx)?;
        if commit {
            tx.commit()?;
        }
        Ok(out)
    }

    /// Sets the connection up: WAL, foreign keys, full sync (a commit that returned is on disk),
    /// a busy timeout so the app and the CLI can share the file.
    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn.pragma_update(None, "foreign_keys", true)?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Invalid(format!(
                "{}: SQLite refused write-ahead logging (journal mode stays {mode})",
                self.path.display()
            )));
        }
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    /// Applies the migrations this study lacks, each in its own transaction.
    fn migrate(&mut self) -> Result<()> {
        loop {
            let version: i64 = self
                .conn
                .pragma_query_value(None, "user_version", |r| r.get(0))?;
            if version >= SCHEMA_VERSION {
                return Ok(());
            }
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)?;
            // Another process may have migrated between our read and the lock.
            let again: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if again == version {
                let Some(step) = usize::try_from(version)
                    .ok()
                    .and_then(|v| MIGRATIONS.get(v))
                else {
                    return Err(Error::NotAStudy {
                        path: self.path.clone(),
                        why: format!(
                            "its schema version {version} is not one Codebench ever wrote"
                        ),
                    });
                };
                tx.execute_batch(step)?;
                tx.pragma_update(None, "user_version", version + 1)?;
                crate::history::record(
                    &tx,
                    "system",
                    "study.migrate",
                    &format!("schema {}", version + 1),
                    None,
                    None,
                )?;
            }
            tx.commit()?;
        }
    }

    /// Checks the file with SQLite's own `PRAGMA integrity_check`; returns the problems found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// A summary of what the study holds, for `codebench status` and the app's header.
    pub fn status(&self) -> Result<Status> {
        let c = &self.conn;
        let count = |sql: &str| -> Result<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        let codebook = crate::codebook::load(c)?;
        let mut stmt = c.prepare(
            "SELECT r.name, d.dimension, count(d.id) FROM rater r
             LEFT JOIN decision d ON d.rater_id = r.id
             GROUP BY r.id, d.dimension ORDER BY r.name, d.dimension",
        )?;
        let mut raters: Vec<RaterStatus> = Vec::new();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (name, dim, n) = row?;
            if raters.last().map(|r| r.name != name).unwrap_or(true) {
                raters.push(RaterStatus {
                    name,
                    decisions: Vec::new(),
                });
            }
            if let Some(dimension) = dim {
                raters
                    .last_mut()
                    .expect("pushed above")
                    .decisions
                    .push(DimensionCount {
                        dimension,
                        count: n,
                    });
            }
        }
        Ok(Status {
            path: self.path.display().to_string(),
            schema_version: SCHEMA_VERSION,
            codebook: format!("{} {}", codebook.id, codebook.version),
            projects: count("SELECT count(*) FROM project")?,
            projects_changed: count("SELECT count(*) FROM project WHERE changed = 1")?,
            projects_with_problems: count(
                "SELECT count(*) FROM project WHERE problem IS NOT NULL",
            )?,
            project_units: count("SELECT count(*) FROM unit WHERE kind = 'project'")?,
            dockerfile_units: count("SELECT count(*) FROM unit WHERE kind = 'dockerfile'")?,
            decisions: count("SELECT count(*) FROM decision")?,
            raters,
        })
    }
}

/// Refuses a file that is not an SQLite database before SQLite gets to open it.
fn check_header(path: &Path) -> Result<()> {
    let mut header = [0u8; 16];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let n = f.read(&mut header).map_err(|e| Error::io(path, e))?;
    if n == 0 {
        return Err(Error::NotAStudy {
            path: path.into(),
            why: "the file is empty".into(),
        });
    }
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(Error::NotAStudy {
            path: path.into(),
            why: "not an SQLite database".into(),
        });
    }
    Ok(())
}

/// What `codebench status` shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Status {
    /// The study file.
    pub path: String,
    /// Schema version of the file.
    pub schema_version: i64,
    /// Codebook id and version.
    pub codebook: String,
    /// Projects imported.
    pub projects: i64,
    /// Projects whose upstream moved since their first snapshot.
    pub projects_changed: i64,
    /// Projects whose last import recorded a problem.
    pub projects_with_problems: i64,
    /// Units of kind project.
    pub project_units: i64,
    /// Units of kind Dockerfile.
    pub dockerfile_units: i64,
    /// Current decisions, all raters.
    pub decisions: i64,
    /// Each rater and their decisions per dimension.
    pub raters: Vec<RaterStatus>,
}

/// One rater's progress.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RaterStatus {
    /// The rater's name.
    pub name: String,
    /// Decisions per dimension.
    pub decisions: Vec<DimensionCount>,
}

/// A count of decisions in one dimension.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DimensionCount {
    /// Dimension id.
    pub dimension: String,
    /// How many decisions.
    pub count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A study file as a Codebench of schema `version` wrote it: the first `version` migrations
    /// and a little of everything schema 1 already had (codebook, project, units, a rater and
    /// their decision).
    fn written_at(path: &Path, version: usize) {
        let c = Connection::open(path).unwrap();
        c.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        for m in &MIGRATIONS[..version] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "user_version", version as i64)
            .unwrap();
        c.execute_batch(
            "INSERT INTO meta (key, value) VALUES ('created_at', '2022-12-01T00:00:00.000Z');
             INSERT INTO codebook (id, slug, name, version) VALUES (1, 'tiny', 'Tiny', '1');
             INSERT INTO dimension (id, name, unit, cardinality, position) VALUES ('kind', 'Kind', 'project', 'one', 1);
             INSERT INTO code (dimension, id, name, position) VALUES ('kind', 'model', 'Model', 1), ('kind', 'tool', 'Tool', 2);
             INSERT INTO project (full_name, source, created_at) VALUES ('acme/old', 'local', '2022-12-01T00:00:00.000Z');
             INSERT INTO unit (project_id, kind, path, name) VALUES (1, 'project', NULL, 'acme/old');
             INSERT INTO rater (name, created_at) VALUES ('ana', '2022-12-01T00:00:00.000Z');
             INSERT INTO decision (rater_id, unit_id, dimension, memo, coded_at) VALUES (1, 1, 'kind', 'kept', '2022-12-01T00:00:00.000Z');
             INSERT INTO decision_code (decision_id, dimension, code) VALUES (1, 'kind', 'model');",
        )
        .unwrap();
    }

    #[test]
    fn a_study_written_at_every_earlier_schema_version_opens_and_upgrades() {
        for version in 1..MIGRATIONS.len() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("v{version}.codebench"));
            written_at(&path, version);
            let s = Study::open(&path).unwrap_or_else(|e| panic!("schema {version}: {e}"));
            let now: i64 = s
                .conn()
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(now, SCHEMA_VERSION, "schema {version}");
            assert!(s.integrity_check().unwrap().is_empty());
            let d = s.decision("ana", "acme/old", "kind").unwrap().unwrap();
            assert_eq!(
                (d.codes.as_slice(), d.memo.as_str()),
                (&["model".to_string()][..], "kept")
            );
            assert_eq!(s.status().unwrap().decisions, 1, "schema {version}");
            // Raters from before machine raters (schema 9) are people.
            let kind: String = s
                .conn()
                .query_row("SELECT kind FROM rater WHERE name = 'ana'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(kind, "human", "schema {version}");
            assert!(s.machine_raters().unwrap().is_empty());
            // Every upgrade step is in the history.
            let steps: i64 = s
                .conn()
                .query_row(
                    "SELECT count(*) FROM history WHERE action = 'study.migrate'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(steps, SCHEMA_VERSION - version as i64, "schema {version}");
            // A study from before study ids (schema 7) gets one from its creation time (so
            // copies agree).
            let id: String = s
                .conn()
                .query_row("SELECT value FROM meta WHERE key = 'study_id'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            if version < 7 {
                assert_eq!(id, "created-2022-12-01T00:00:00.000Z");
            } else {
                assert!(!id.is_empty(), "schema {version}");
            }
        }
    }

    #[test]
    fn impossible_schema_versions_are_refused_and_the_file_is_left_alone() {
        for version in [-1i64, -1000, i64::from(i32::MIN)] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.codebench");
            written_at(&path, 1);
            {
                let c = Connection::open(&path).unwrap();
                c.pragma_update(None, "user_version", version).unwrap();
            }
            let before = std::fs::read(&path).unwrap();
            let e = Study::open(&path).unwrap_err();
            assert!(matches!(e, Error::NotAStudy { .. }), "{e}");
            assert_eq!(std::fs::read(&path).unwrap(), before);
        }
    }
}
