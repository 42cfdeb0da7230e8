//! Study settings kept in the `meta` table that are no rule of their own: whether queued
//! metrics jobs wait for someone to run them. (Automatic consensus, a rule, lives in `rules`.)
//! Every change is one transaction with its history row.

use rusqlite::OptionalExtension;

use crate::{Result, Study};

/// The `meta` key of the hold setting: `1` holds queued jobs, anything else (or none) runs
/// them as soon as they are queued.
pub const HOLD_JOBS_SETTING: &str = "jobs.hold";

impl Study {
    /// Whether queued metrics jobs wait until someone runs them (by default they run as soon
    /// as they are queued, in the background).
    pub fn jobs_held(&self) -> Result<bool> {
        let v: Option<String> = self
            .conn()
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([HOLD_JOBS_SETTING], |r| r.get(0))
            .optional()?;
        Ok(v.as_deref() == Some("1"))
    }

    /// Holds queued jobs (`true`) or lets them run as soon as they are queued, recorded in the
    /// history by `by`. Jobs already queued stay queued either way.
    pub fn hold_jobs(&mut self, hold: bool, by: &str) -> Result<()> {
        let by = crate::rater::check_person("who holds the jobs", by)?;
        let by = by.as_str();
        self.write(|tx| {
            let was: Option<String> = tx
                .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([HOLD_JOBS_SETTING], |r| r.get(0))
                .optional()?;
            let was = was.as_deref() == Some("1");
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                rusqlite::params![HOLD_JOBS_SETTING, if hold { "1" } else { "0" }],
            )?;
            if was != hold {
                crate::history::record(
                    tx,
                    by,
                    "setting.hold_jobs",
                    HOLD_JOBS_SETTING,
                    Some(&serde_json::json!(was)),
                    Some(&serde_json::json!(hold)),
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Study;

    #[test]
    fn holding_is_off_by_default_kept_and_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.codebench");
        let mut s = Study::create(&path, &crate::codebook::Codebook::shipped()).unwrap();
        assert!(!s.jobs_held().unwrap());
        s.hold_jobs(true, "lead").unwrap();
        s.hold_jobs(true, "lead").unwrap();
        assert!(s.jobs_held().unwrap());
        drop(s);
        let mut s = Study::open(&path).unwrap();
        assert!(s.jobs_held().unwrap());
        s.hold_jobs(false, "lead").unwrap();
        assert!(!s.jobs_held().unwrap());
        let changes: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM history WHERE action = 'setting.hold_jobs'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(changes, 2);
        assert!(s.hold_jobs(true, " ").is_err());
    }
}
