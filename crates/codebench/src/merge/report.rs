//! What a merge is asked and what it answers: the options ([`MergeOptions`], with the rule
//! [`Prefer`] and the per-conflict [`Take`]), the [`Conflict`]s both copies hold differently, the
//! [`MergeReport`] of what was (or would be) brought in, and how a conflict is settled by its
//! choice or the rule. Kept apart from the merging itself so the app and the command line see
//! these types without the queries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How conflicts are settled when no choice is given for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Prefer {
    /// Keep this study's side.
    Mine,
    /// Take the other copy's side.
    Theirs,
    /// Take the side changed last.
    Newest,
}

/// One side of a conflict to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Take {
    /// This study's side.
    Mine,
    /// The other copy's side.
    Theirs,
}

/// How to merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The rule for conflicts without a choice; `None`: list them and write nothing.
    pub prefer: Option<Prefer>,
    /// Choices per conflict, by [`Conflict::id`].
    pub choices: BTreeMap<String, Take>,
    /// Work out the merge and report it, writing nothing.
    pub dry_run: bool,
    /// Who merges (kept in the history).
    pub by: String,
}

/// Something both copies hold differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Conflict {
    /// Stable id for a choice: `decision:RATER|UNIT|DIMENSION` or `consensus:UNIT|DIMENSION`.
    pub id: String,
    /// `decision` or `consensus`.
    pub kind: String,
    /// What it is about, for people.
    pub subject: String,
    /// This study's side, in words.
    pub mine: String,
    /// The other copy's side, in words.
    pub theirs: String,
    /// When this study's side was last changed.
    pub mine_at: String,
    /// When the other copy's side was last changed.
    pub theirs_at: String,
    /// The side taken, when a choice or the rule settled it.
    pub taken: Option<Take>,
}

/// What a merge brought in (or, when `merged` is false, would bring in).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct MergeReport {
    /// Whether the merge was written (false: a dry run, or conflicts left unsettled).
    pub merged: bool,
    /// Whether the other copy is a copy of this study (the same study id).
    pub same_study: bool,
    /// The rater the other copy was handed out for, if it was.
    pub handed_out_for: Option<String>,
    /// Raters this study did not have.
    pub raters_added: Vec<String>,
    /// Codes proposed in the other copy, added here (`dimension|code`).
    pub codes_added: Vec<String>,
    /// Codes renamed, edited or re-statused there more recently, updated here.
    pub codes_updated: Vec<String>,
    /// Projects this study did not have.
    pub projects_added: Vec<String>,
    /// Snapshots added (of new or known projects).
    pub snapshots_added: usize,
    /// Units added.
    pub units_added: usize,
    /// Decisions added.
    pub decisions_added: usize,
    /// Decisions replaced by the other copy's side of a conflict.
    pub decisions_replaced: usize,
    /// Decisions both copies hold identically.
    pub decisions_same: usize,
    /// Evidence quotes added.
    pub evidence_added: usize,
    /// Consensus rows added or replaced.
    pub consensus_added: usize,
    /// History rows copied (those of the added decisions, evidence and consensus rows).
    pub history_added: usize,
    /// Rounds this study did not have (by name).
    pub rounds_added: Vec<String>,
    /// Rounds revealed in the other copy and not yet here: revealed by the merge.
    pub rounds_revealed: Vec<String>,
    /// Image references added.
    pub image_refs_added: usize,
    /// Image, layer and Dockerfile metrics brought in, and jobs the other copy finished.
    pub metrics_added: usize,
    /// Machine rater runs this study did not have (with their provenance).
    pub machine_runs_added: usize,
    /// Machine rater answers added (of new runs, or answers a shared run gained there).
    pub machine_answers_added: usize,
    /// Machine runs the other copy holds and this study lacks, left out because the copy was
    /// handed out for a rater (as other raters' decisions there are).
    pub machine_runs_left_out: usize,
    /// Automatic consensus rows made or changed after the merge, because all raters of a unit
    /// now agree.
    pub auto_consensus: usize,
    /// Conflicts, each with the side taken (none: unsettled).
    pub conflicts: Vec<Conflict>,
    /// Decisions left out because the copy was handed out for another rater.
    pub flagged: Vec<String>,
}

impl MergeReport {
    /// Whether the merge changes anything.
    pub fn changed(&self) -> bool {
        !self.raters_added.is_empty()
            || !self.codes_added.is_empty()
            || !self.codes_updated.is_empty()
            || !self.projects_added.is_empty()
            || !self.rounds_added.is_empty()
            || !self.rounds_revealed.is_empty()
            || self.snapshots_added
                + self.units_added
                + self.decisions_added
                + self.decisions_replaced
                + self.evidence_added
                + self.consensus_added
                + self.history_added
                + self.image_refs_added
                + self.metrics_added
                + self.machine_runs_added
                + self.machine_answers_added
                + self.auto_consensus
                > 0
    }

    /// Conflicts no choice or rule settled.
    pub fn unsettled(&self) -> usize {
        self.conflicts.iter().filter(|c| c.taken.is_none()).count()
    }
}

/// Settles a conflict by its choice, else by the rule; `None` when neither says.
pub(super) fn settle(
    opts: &MergeOptions,
    id: &str,
    mine_at: &str,
    theirs_at: &str,
) -> Option<Take> {
    if let Some(t) = opts.choices.get(id) {
        return Some(*t);
    }
    match opts.prefer? {
        Prefer::Mine => Some(Take::Mine),
        Prefer::Theirs => Some(Take::Theirs),
        Prefer::Newest => Some(if theirs_at > mine_at {
            Take::Theirs
        } else {
            Take::Mine
        }),
    }
}
