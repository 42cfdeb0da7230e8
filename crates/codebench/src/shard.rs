//! Metrics past one machine: a run of the study's pending Dockerfile and image jobs split into
//! N shards that run anywhere (Slurm array jobs, Kubernetes indexed Jobs), each into a copy of
//! the study, and merged back with [`Study::merge_with`].
//!
//! Invariants:
//! - A job's shard depends only on its kind and target (the first 8 bytes of the SHA-256 of
//!   `kind NUL target`, modulo N): every process that plans from the same study puts every job
//!   in the same shard, and the N shards together hold each pending job exactly once.
//! - A shard never writes the study it was planned from: it copies it (SQLite's backup, so even
//!   an open study gives a consistent copy) into its own file and runs there. Running a shard
//!   again into the same file resumes it (done jobs are not run again).
//! - Merging a shard's copy brings its layer, image and Dockerfile metrics and its done jobs;
//!   merging it twice changes nothing the second time.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::copy::CopySpec;
use crate::jobs::{JobEvent, JobKind, JobState, RunOptions, RunSummary};
use crate::{Error, Result, Study};

/// The largest number of shards (far past any cluster's array size, small enough to list).
pub const MAX_SHARDS: u32 = 10_000;

/// Shard `index` of `count` (1-based, as Slurm's and Kubernetes' array indices are written
/// `1/4` … `4/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1 to `count`.
    pub index: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

impl Shard {
    /// Whether the job of `kind` on `target` belongs to this shard. A shard outside
    /// `1 ≤ index ≤ count` (built by hand rather than parsed) holds no job.
    pub fn contains(&self, kind: JobKind, target: &str) -> bool {
        if self.index == 0 || self.index > self.count {
            return false;
        }
        let mut h = Sha256::new();
        h.update(kind.as_str().as_bytes());
        h.update([0u8]);
        h.update(target.as_bytes());
        let d = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// `I/N` with 1 ≤ I ≤ N ≤ [`MAX_SHARDS`].
    fn from_str(s: &str) -> Result<Shard> {
        let bad = || {
            Error::Invalid(format!(
                "shard '{s}': write it as I/N, this shard's number and the number of shards, 1 <= I <= N <= {MAX_SHARDS} (e.g. 2/4)"
            ))
        };
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What one shard run does.
#[derive(Clone)]
pub struct ShardSpec {
    /// The shard.
    pub shard: Shard,
    /// The copy it runs in: made from the study when missing, resumed when it is there.
    pub into: PathBuf,
    /// Dockerfile metrics (one job per project).
    pub dockerfiles: bool,
    /// Image metrics (one job per image reference).
    pub images: bool,
    /// How the jobs run (registry, concurrency, shared layer cache, cancel); its `shard` and
    /// `kinds` are set from this spec.
    pub run: RunOptions,
    /// Who runs it (kept in the copy's history).
    pub by: String,
    /// The rater at the keyboard, if any: the copy then holds only what they may see (a
    /// hand-out copy), so a shard never carries another rater's blind decisions to them.
    pub for_rater: Option<String>,
}

/// What a shard run did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShardReport {
    /// The shard, `I/N`.
    pub shard: String,
    /// The copy it ran in.
    pub into: String,
    /// Whether the copy was made by this run (false: an earlier run's copy was resumed).
    pub created: bool,
    /// Jobs of the chosen kinds in this shard.
    pub jobs_in_shard: usize,
    /// Of those, done (in this run or an earlier one).
    pub jobs_done: usize,
    /// Jobs of the chosen kinds in the other shards (left queued in this copy).
    pub jobs_elsewhere: usize,
    /// What the run did.
    pub run: RunSummary,
}

impl Study {
    /// Runs one shard of the study's pending metrics jobs in a copy of the study (see the
    /// module documentation). The study itself is only read.
    pub fn run_shard(
        &mut self,
        spec: &ShardSpec,
        on_progress: &mut dyn FnMut(&JobEvent),
    ) -> Result<ShardReport> {
        if !spec.dockerfiles && !spec.images {
            return Err(Error::Invalid(
                "say which metrics the shard runs: Dockerfile metrics, image metrics, or both"
                    .into(),
            ));
        }
        if same_file(self.path(), &spec.into) {
            return Err(Error::Invalid(format!(
                "the shard's copy {} is the study itself: give another file",
                spec.into.display()
            )));
        }
        let created = !spec.into.exists();
        if created {
            self.copy_to(&CopySpec {
                out: spec.into.clone(),
                for_rater: spec.for_rater.clone(),
                round: None,
                by: spec.by.clone(),
            })?;
        }
        let mut copy = Study::open(&spec.into)?;
        if !created && copy.meta("study_id")? != self.meta("study_id")? {
            return Err(Error::Invalid(format!(
                "{} is there but is not a copy of this study: give a new file for the shard",
                spec.into.display()
            )));
        }
        let mut kinds = Vec::new();
        if spec.dockerfiles {
            kinds.push(JobKind::DockerfileMetrics);
        }
        if spec.images {
            kinds.push(JobKind::ImageMetrics);
        }
        copy.enqueue_metrics_of(None, &kinds)?;
        let opts = RunOptions {
            kinds: Some(kinds.clone()),
            shard: Some(spec.shard),
            project: None,
            ..spec.run.clone()
        };
        let run = copy.run_jobs(&opts, on_progress)?;
        let (mut jobs_in_shard, mut jobs_done, mut jobs_elsewhere) = (0, 0, 0);
        for j in copy.jobs()? {
            if !kinds.contains(&j.kind) {
                continue;
            }
            if spec.shard.contains(j.kind, &j.target) {
                jobs_in_shard += 1;
                jobs_done += usize::from(j.state == JobState::Done);
            } else {
                jobs_elsewhere += 1;
            }
        }
        Ok(ShardReport {
            shard: spec.shard.to_string(),
            into: spec.into.display().to_string(),
            created,
            jobs_in_shard,
            jobs_done,
            jobs_elsewhere,
            run,
        })
    }

    /// A value of the study's `meta` table.
    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }
}

/// Whether two paths name the same file (both must exist to be the same).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", "1/10001", "-1/2", ""] {
            let e = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(e.contains("I/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_job_is_in_exactly_one_shard_and_the_split_is_even() {
        for count in [1u32, 2, 3, 4, 7] {
            let mut sizes = vec![0usize; count as usize];
            for t in 0..2000 {
                let target = format!("registry.example/ns/img{t}:latest");
                let owners: Vec<u32> = (1..=count)
                    .filter(|&i| Shard { index: i, count }.contains(JobKind::ImageMetrics, &target))
                    .collect();
                assert_eq!(owners.len(), 1, "{target} in {owners:?} of {count}");
                assert!(!Shard { index: 0, count }.contains(JobKind::ImageMetrics, &target));
                assert!(!Shard {
                    index: count + 1,
                    count
                }
                .contains(JobKind::ImageMetrics, &target));
                sizes[owners[0] as usize - 1] += 1;
            }
            let expected = 2000 / count as usize;
            for s in &sizes {
                assert!(
                    s.abs_diff(expected) < expected / 5 + 10,
                    "{count}: {sizes:?}"
                );
            }
        }
    }
}
