//! Coding: the queue, decisions, evidence, and imports of decisions from files.
//!
//! Every read here goes through the blind rule: a viewer sees their own decisions and
//! evidence everywhere, and other raters' only outside rounds not revealed yet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_CODES, MAX_LABEL, MAX_MEMO, MAX_NAME, MAX_PATH, MAX_QUOTE, MAX_UNIT};
use super::{ApiError, ApiResult, Ctx, Done};
use crate::coding::{Change, CodingsImport, Decision, DecisionInput, LabelColumns, LabelsImport};
use crate::corpus::UnitInfo;
use crate::evidence::{Evidence, EvidenceInput};

/// Which units the queue shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum QueueFilter {
    /// Units the rater has not decided in every dimension.
    #[default]
    Todo,
    /// Units the rater has decided in every dimension.
    Done,
    /// Units with a decision of the rater flagged for discussion.
    Flagged,
    /// Units of projects whose upstream moved since they were first imported.
    Changed,
    /// Units where the rater's codes differ from another rater's (revealed, not reconciled).
    Disagree,
    /// Every unit.
    All,
}

impl QueueFilter {
    /// Every filter, in the order the queue panel offers them.
    pub const ALL: [QueueFilter; 6] = [
        QueueFilter::Todo,
        QueueFilter::Done,
        QueueFilter::Flagged,
        QueueFilter::Changed,
        QueueFilter::Disagree,
        QueueFilter::All,
    ];

    /// How the queue panel names it.
    pub fn label(self) -> &'static str {
        match self {
            QueueFilter::Todo => "To code by me",
            QueueFilter::Done => "Coded by me",
            QueueFilter::Flagged => "Flagged",
            QueueFilter::Changed => "Changed upstream",
            QueueFilter::Disagree => "Disagreements",
            QueueFilter::All => "All",
        }
    }
}

/// `coding_queue`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct QueueRequest {
    /// Whose queue.
    pub rater: String,
    /// The filter.
    #[serde(default)]
    pub filter: QueueFilter,
    /// A case-insensitive part of the unit's name.
    #[serde(default)]
    pub search: String,
}

/// One unit of the queue with the rater's state on it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct QueueEntry {
    /// The unit.
    pub unit: UnitInfo,
    /// A short name that tells it from its siblings: the project's name for a project unit,
    /// the Dockerfile's path for a Dockerfile, with a long common folder prefix among the
    /// project's Dockerfiles elided (`…/`).
    pub label: String,
    /// Ids of the dimensions decided on this kind of unit.
    pub dimensions: Vec<String>,
    /// The rater has a decision in every dimension of the unit.
    pub coded: bool,
    /// Some decision of the rater on the unit is flagged for discussion.
    pub flagged: bool,
    /// The unit's project changed upstream.
    pub changed: bool,
    /// The rater's codes differ from another rater's (revealed, not reconciled).
    pub disagreement: bool,
    /// Unrevealed rounds the unit is in (others' decisions are hidden there).
    pub blind_rounds: Vec<String>,
    /// The unit is in an unrevealed round the rater is assigned to.
    pub assigned: bool,
    /// It passes the filter and the search.
    pub shown: bool,
}

/// How many units a filter holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FilterCount {
    /// The filter.
    pub filter: QueueFilter,
    /// Its label.
    pub label: String,
    /// Units it holds (before the search).
    pub count: usize,
}

/// A rater's progress in one round they are assigned to.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoundProgress {
    /// The round.
    pub round: String,
    /// The dimension it codes, if one.
    pub dimension: Option<String>,
    /// Whether it is revealed.
    pub revealed: bool,
    /// (unit, dimension) pairs the rater decided.
    pub decided: usize,
    /// Pairs to decide.
    pub total: usize,
}

/// A rater's coding queue.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CodingQueue {
    /// Every unit in reading order: units of unrevealed rounds the rater is assigned to first,
    /// then each project followed by its Dockerfiles; `shown` marks those the filter and
    /// search let through.
    pub items: Vec<QueueEntry>,
    /// Units the rater has coded, of all units.
    pub coded: usize,
    /// All units.
    pub total: usize,
    /// Each filter's count; `changed` and `disagree` only when they hold a unit.
    pub filters: Vec<FilterCount>,
    /// The rater's progress in each round they are assigned to.
    pub rounds: Vec<RoundProgress>,
}

/// The coding queue of one rater: round units assigned to them first, filters, progress.
pub fn coding_queue(ctx: &mut Ctx<'_>, req: QueueRequest) -> ApiResult<CodingQueue> {
    input::line("rater", &req.rater, MAX_NAME)?;
    input::text("the search", &req.search, MAX_UNIT)?;
    // A queue tells which units a rater coded or flagged: in the app only one's own.
    ctx.acting_as(&req.rater)?;
    let study = &*ctx.study;
    let rater = req.rater.trim();
    if !study.raters()?.iter().any(|r| r.name == rater) {
        return Err(crate::Error::unknown("rater", rater).into());
    }
    let book = study.codebook()?;
    let units = study.units()?;
    let mine = study.decisions(Some(rater))?;
    let by_key: HashMap<(&str, &str), &Decision> = mine
        .iter()
        .map(|d| ((d.unit.as_str(), d.dimension.as_str()), d))
        .collect();
    let changed: BTreeSet<String> = study
        .projects()?
        .into_iter()
        .filter(|p| p.changed)
        .map(|p| p.name)
        .collect();
    let differ: BTreeSet<String> = study
        .reconcile_queue(None, false)?
        .items
        .into_iter()
        .filter(|i| i.decisions.iter().any(|d| d.rater == rater))
        .map(|i| i.unit)
        .collect();
    let blind = study.blind()?;
    let rounds = study.rounds()?;
    // Units of unrevealed rounds the rater is assigned to, in round order.
    let mut assigned_order: Vec<String> = Vec::new();
    let mut assigned: BTreeSet<String> = BTreeSet::new();
    let mut progress = Vec::new();
    for r in &rounds {
        if let Some(p) = r.raters.iter().find(|p| p.rater == rater) {
            progress.push(RoundProgress {
                round: r.name.clone(),
                dimension: r.dimension.clone(),
                revealed: r.revealed_at.is_some(),
                decided: p.decided,
                total: p.total,
            });
            if r.revealed_at.is_none() {
                for u in &r.units {
                    if assigned.insert(u.clone()) {
                        assigned_order.push(u.clone());
                    }
                }
            }
        }
    }
    let labels = labels_of(&units);
    let search = req.search.trim().to_lowercase();
    let mut entries: Vec<QueueEntry> = units
        .iter()
        .map(|u| {
            let dims: Vec<String> = book
                .dimensions
                .iter()
                .filter(|d| d.unit.as_str() == u.kind)
                .map(|d| d.id.clone())
                .collect();
            let decided: Vec<Option<&&Decision>> = dims
                .iter()
                .map(|d| by_key.get(&(u.name.as_str(), d.as_str())))
                .collect();
            let blind_rounds: BTreeSet<String> =
                dims.iter().flat_map(|d| blind.rounds(&u.name, d)).collect();
            QueueEntry {
                label: labels
                    .get(&u.name)
                    .cloned()
                    .unwrap_or_else(|| u.name.clone()),
                coded: !dims.is_empty() && decided.iter().all(Option::is_some),
                flagged: decided.iter().any(|d| d.is_some_and(|d| d.flagged)),
                changed: changed.contains(&u.project),
                disagreement: differ.contains(&u.name) && decided.iter().any(Option::is_some),
                assigned: assigned.contains(&u.name),
                blind_rounds: blind_rounds.into_iter().collect(),
                dimensions: dims,
                unit: u.clone(),
                shown: false,
            }
        })
        .collect();
    // Reading order: each project, then its Dockerfiles by path; assigned round units first.
    entries.sort_by(|a, b| {
        (&a.unit.project, a.unit.path.is_some(), &a.unit.path).cmp(&(
            &b.unit.project,
            b.unit.path.is_some(),
            &b.unit.path,
        ))
    });
    if !assigned_order.is_empty() {
        let rank: HashMap<&str, usize> = assigned_order
            .iter()
            .enumerate()
            .map(|(i, u)| (u.as_str(), i))
            .collect();
        entries.sort_by_key(|e| {
            rank.get(e.unit.name.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
    }
    let passes = |e: &QueueEntry, f: QueueFilter| match f {
        QueueFilter::All => true,
        QueueFilter::Todo => !e.coded,
        QueueFilter::Done => e.coded,
        QueueFilter::Flagged => e.flagged,
        QueueFilter::Changed => e.changed,
        QueueFilter::Disagree => e.disagreement,
    };
    let filters = QueueFilter::ALL
        .iter()
        .map(|&f| FilterCount {
            filter: f,
            label: f.label().to_string(),
            count: entries.iter().filter(|e| passes(e, f)).count(),
        })
        .filter(|c| {
            !matches!(c.filter, QueueFilter::Changed | QueueFilter::Disagree)
                || c.count > 0
                || c.filter == req.filter
        })
        .collect();
    for e in &mut entries {
        e.shown = passes(e, req.filter)
            && (search.is_empty() || e.unit.name.to_lowercase().contains(&search));
    }
    Ok(CodingQueue {
        coded: entries.iter().filter(|e| e.coded).count(),
        total: entries.len(),
        items: entries,
        filters,
        rounds: progress,
    })
}

/// Longest Dockerfile label before a common folder prefix is elided.
const LABEL_LIMIT: usize = 40;

/// Short, distinguishing labels: a project unit is its name; a Dockerfile its path, with the
/// folders all of the project's Dockerfiles share elided when the path is long.
fn labels_of(units: &[UnitInfo]) -> HashMap<String, String> {
    let mut paths: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for u in units {
        if let Some(p) = &u.path {
            paths.entry(u.project.as_str()).or_default().push(p);
        }
    }
    let mut out = HashMap::new();
    for u in units {
        let label = match &u.path {
            None => u.project.clone(),
            Some(p) => {
                let siblings = paths
                    .get(u.project.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                elide(p, &common_dirs(siblings))
            }
        };
        out.insert(u.name.clone(), label);
    }
    out
}

/// The folder prefix (ending in `/`) all `paths` share, when there are two or more.
fn common_dirs(paths: &[&str]) -> String {
    let Some((first, rest)) = paths.split_first() else {
        return String::new();
    };
    if rest.is_empty() {
        return String::new();
    }
    let mut prefix: Vec<&str> = first.split('/').collect();
    prefix.pop(); // the file name
    for p in rest {
        let dirs: Vec<&str> = p.split('/').collect();
        let keep = prefix
            .iter()
            .zip(dirs.iter().take(dirs.len().saturating_sub(1)))
            .take_while(|(a, b)| a == b)
            .count();
        prefix.truncate(keep);
    }
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", prefix.join("/"))
    }
}

fn elide(path: &str, common: &str) -> String {
    if path.chars().count() <= LABEL_LIMIT || common.is_empty() {
        return path.to_string();
    }
    match path.strip_prefix(common) {
        Some(rest) => format!("…/{rest}"),
        None => path.to_string(),
    }
}

/// `decisions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct DecisionsRequest {
    /// Whose decisions (none: everyone's the viewer may see).
    pub rater: Option<String>,
}

/// One rater's current decisions, as the viewer may see them.
pub fn decisions(ctx: &mut Ctx<'_>, req: DecisionsRequest) -> ApiResult<Vec<Decision>> {
    input::opt_line("rater", &req.rater, MAX_NAME)?;
    Ok(ctx
        .study
        .decisions_seen_by(ctx.viewer.as_deref(), req.rater.as_deref())?
        .items)
}

/// `record_decision`: the decision as asked for.
pub type RecordDecision = DecisionInput;

/// The outcome of recording a decision.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Recorded {
    /// Created, updated or unchanged.
    pub change: Change,
    /// The decision as stored.
    pub decision: Decision,
}

fn check_decision(input: &DecisionInput) -> ApiResult<()> {
    input::line("rater", &input.rater, MAX_NAME)?;
    input::line("unit", &input.unit, MAX_UNIT)?;
    input::line("dimension", &input.dimension, MAX_LABEL)?;
    if input.codes.len() > MAX_CODES {
        return Err(ApiError::invalid(format!(
            "more than {MAX_CODES} codes in one decision"
        )));
    }
    for code in &input.codes {
        input::line("code", code, MAX_LABEL)?;
    }
    if let Some(memo) = &input.memo {
        input::text("the memo", memo, MAX_MEMO)?;
    }
    Ok(())
}

/// Records one decision (durable when this returns).
pub fn record_decision(ctx: &mut Ctx<'_>, req: RecordDecision) -> ApiResult<Recorded> {
    check_decision(&req)?;
    ctx.acting_as(&req.rater)?;
    let (change, decision) = ctx.study.record(&req)?;
    Ok(Recorded { change, decision })
}

/// `clear_decision`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ClearDecision {
    /// The rater.
    pub rater: String,
    /// The unit.
    pub unit: String,
    /// The dimension.
    pub dimension: String,
}

/// Whether there was a decision to clear.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Cleared {
    /// True when a decision was removed.
    pub cleared: bool,
}

/// Removes a rater's decision on a unit; the history keeps it, with its evidence.
pub fn clear_decision(ctx: &mut Ctx<'_>, req: ClearDecision) -> ApiResult<Cleared> {
    input::line("rater", &req.rater, MAX_NAME)?;
    input::line("unit", &req.unit, MAX_UNIT)?;
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    ctx.acting_as(&req.rater)?;
    Ok(Cleared {
        cleared: ctx
            .study
            .clear_decision(&req.rater, &req.unit, &req.dimension)?,
    })
}

/// `evidence`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct EvidenceRequest {
    /// Whose evidence (none: everyone's the viewer may see).
    pub rater: Option<String>,
}

/// Evidence (of one rater), as the viewer may see it.
pub fn evidence(ctx: &mut Ctx<'_>, req: EvidenceRequest) -> ApiResult<Vec<Evidence>> {
    input::opt_line("rater", &req.rater, MAX_NAME)?;
    Ok(ctx
        .study
        .evidence_seen_by(ctx.viewer.as_deref(), req.rater.as_deref())?
        .items)
}

/// `add_evidence`: what the rater selected.
pub type AddEvidence = EvidenceInput;

/// Attaches a quote of the README or a Dockerfile to a code of the rater's decision.
pub fn add_evidence(ctx: &mut Ctx<'_>, req: AddEvidence) -> ApiResult<Evidence> {
    input::line("rater", &req.rater, MAX_NAME)?;
    input::line("unit", &req.unit, MAX_UNIT)?;
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("code", &req.code, MAX_LABEL)?;
    input::line("file", &req.file, MAX_PATH)?;
    if req.quote.trim().is_empty() {
        return Err(ApiError::invalid(
            "the quote is empty: select some text first",
        ));
    }
    input::text("the quote", &req.quote, MAX_QUOTE)?;
    ctx.acting_as(&req.rater)?;
    Ok(ctx.study.add_evidence(&req)?)
}

/// `remove_evidence`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RemoveEvidence {
    /// The evidence id.
    pub id: i64,
    /// Who removes it.
    pub by: String,
}

/// Removes one piece of evidence (kept in the history). In the app, only the rater's own.
pub fn remove_evidence(ctx: &mut Ctx<'_>, req: RemoveEvidence) -> ApiResult<Done> {
    input::line("by", &req.by, MAX_NAME)?;
    if req.id < 1 {
        return Err(ApiError::invalid(format!(
            "{} is not an evidence id",
            req.id
        )));
    }
    ctx.acting_as(&req.by)?;
    let seen = ctx.study.evidence_seen_by(ctx.viewer.as_deref(), None)?;
    let Some(ev) = seen.items.iter().find(|e| e.id == req.id) else {
        return Err(crate::Error::unknown("evidence", req.id.to_string()).into());
    };
    if ctx.viewer.is_some() {
        ctx.acting_as(&ev.rater)?;
    }
    ctx.study.remove_evidence(req.id, req.by.trim())?;
    Ok(Done {})
}

/// A file to import (absolute path).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImportFile {
    /// The file.
    pub file: String,
}

/// Imports decisions from a codings CSV (`rater,unit,dimension,code[,memo,flagged,coded_at,evidence]`),
/// all or nothing.
pub fn import_codings(ctx: &mut Ctx<'_>, req: ImportFile) -> ApiResult<CodingsImport> {
    let path = input::path(&req.file, "the codings file")?;
    Ok(ctx.study.import_codings(&path)?)
}

/// `import_labels`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImportLabels {
    /// The CSV file (absolute path).
    pub file: String,
    /// The rater the labels are recorded for (added if missing).
    pub rater: String,
    /// The dimension they belong to.
    pub dimension: String,
    /// The column naming the unit.
    pub unit_column: String,
    /// The column holding the label (`;` separates several).
    pub code_column: String,
}

/// Imports one column of labels from any CSV as one rater's decisions, all or nothing.
pub fn import_labels(ctx: &mut Ctx<'_>, req: ImportLabels) -> ApiResult<LabelsImport> {
    let path = input::path(&req.file, "the labels file")?;
    input::line("rater", &req.rater, MAX_NAME)?;
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("unit column", &req.unit_column, MAX_LABEL)?;
    input::line("code column", &req.code_column, MAX_LABEL)?;
    Ok(ctx.study.import_labels(
        &path,
        &LabelColumns {
            rater: req.rater,
            dimension: req.dimension,
            unit_column: req.unit_column,
            code_column: req.code_column,
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_dockerfiles_keep_what_tells_them_apart() {
        let u = |p: &str| UnitInfo {
            name: format!("pytorch/ignite:{p}"),
            kind: "dockerfile".into(),
            project: "pytorch/ignite".into(),
            path: Some(p.into()),
        };
        let units = vec![
            u("docker/hvd/Dockerfile.hvd-apex-vision-nlp"),
            u("docker/hvd/Dockerfile.hvd-base"),
            u("Dockerfile"),
        ];
        let labels = labels_of(&units);
        // No folder is common to all three: short paths stay whole.
        assert_eq!(labels["pytorch/ignite:Dockerfile"], "Dockerfile");
        let units = vec![
            u("docker/hvd/Dockerfile.hvd-apex-vision-nlp-extra"),
            u("docker/hvd/Dockerfile.hvd-base"),
        ];
        let labels = labels_of(&units);
        assert_eq!(
            labels["pytorch/ignite:docker/hvd/Dockerfile.hvd-apex-vision-nlp-extra"],
            "…/Dockerfile.hvd-apex-vision-nlp-extra"
        );
        assert_eq!(
            labels["pytorch/ignite:docker/hvd/Dockerfile.hvd-base"],
            "docker/hvd/Dockerfile.hvd-base"
        );
    }
}
