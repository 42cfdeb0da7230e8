//! The selection's record as the study file stores it: the steps (appended, finished, read back,
//! cleared on a restart), the search's candidates, and the repositories each step left out,
//! from which a step's population is computed (the candidates minus every exclusion so far).

use rusqlite::{params, Connection, OptionalExtension};

use super::{sample, Criterion, Excluded, StepKind, StepStatus};
use crate::Result;

/// One repository found by the search, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub repo_id: u64,
    pub full_name: String,
    pub created_at: Option<String>,
    pub pushed_at: Option<String>,
    pub stars: u64,
    pub fork: bool,
    pub archived: bool,
    pub language: Option<String>,
    pub default_branch: Option<String>,
    pub topics: Vec<String>,
    pub description: Option<String>,
    pub html_url: String,
}

impl Candidate {
    pub(crate) fn of_hit(h: &codebench_github::SearchHit) -> Candidate {
        Candidate {
            repo_id: h.id,
            full_name: h.full_name.clone(),
            created_at: h.created_at.clone(),
            pushed_at: h.pushed_at.clone(),
            stars: h.stargazers_count,
            fork: h.fork,
            archived: h.archived,
            language: h.language.clone(),
            default_branch: h.default_branch.clone(),
            topics: h.topics.clone(),
            description: h.description.clone(),
            html_url: h.html_url.clone(),
        }
    }
}

/// A step as stored.
#[derive(Debug, Clone)]
pub(crate) struct StepRow {
    pub id: i64,
    pub position: u32,
    pub kind: StepKind,
    pub criterion: Option<String>,
    pub parameters: serde_json::Value,
    pub api_url: Option<String>,
    pub hub_url: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: StepStatus,
    pub count_in: Option<u64>,
    pub count_out: Option<u64>,
    pub requests: u64,
    pub error: Option<String>,
}

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.map(|n| u64::try_from(n).unwrap_or(0))
}

/// An id or count as SQLite stores it (ids and counts fit in 63 bits).
pub(crate) fn sql_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn steps(c: &Connection) -> Result<Vec<StepRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, position, kind, criterion, parameters, api_url, hub_url, started_at,
                finished_at, status, count_in, count_out, requests, error
         FROM selection_step ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, Option<String>>(8)?,
            r.get::<_, String>(9)?,
            r.get::<_, Option<i64>>(10)?,
            r.get::<_, Option<i64>>(11)?,
            r.get::<_, i64>(12)?,
            r.get::<_, Option<String>>(13)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            id,
            pos,
            kind,
            criterion,
            params,
            api,
            hub,
            started,
            finished,
            status,
            cin,
            cout,
            req,
            err,
        ) = row?;
        out.push(StepRow {
            id,
            position: u32::try_from(pos).unwrap_or(0),
            kind: StepKind::parse(&kind)?,
            criterion,
            parameters: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
            api_url: api,
            hub_url: hub,
            started_at: started,
            finished_at: finished,
            status: StepStatus::parse(&status),
            count_in: to_u64(cin),
            count_out: to_u64(cout),
            requests: u64::try_from(req).unwrap_or(0),
            error: err,
        });
    }
    Ok(out)
}

/// Appends a step (unfinished) and records it in the history; returns it.
pub(crate) fn insert_step(
    tx: &Connection,
    kind: StepKind,
    criterion: Option<&str>,
    parameters: &serde_json::Value,
    api_url: Option<&str>,
    hub_url: Option<&str>,
    count_in: Option<u64>,
) -> Result<StepRow> {
    let position: i64 = tx.query_row(
        "SELECT coalesce(max(position), 0) + 1 FROM selection_step",
        [],
        |r| r.get(0),
    )?;
    let now = crate::now();
    tx.execute(
        "INSERT INTO selection_step (position, kind, criterion, parameters, api_url, hub_url,
                                     started_at, status, count_in)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'unfinished', ?8)",
        params![
            position,
            kind.as_str(),
            criterion,
            parameters.to_string(),
            api_url,
            hub_url,
            now,
            count_in.map(sql_int)
        ],
    )?;
    let id = tx.last_insert_rowid();
    crate::history::record(
        tx,
        "user",
        &format!("selection.{}", kind.as_str()),
        &position.to_string(),
        None,
        Some(&serde_json::json!({ "criterion": criterion, "parameters": parameters })),
    )?;
    Ok(StepRow {
        id,
        position: u32::try_from(position).unwrap_or(0),
        kind,
        criterion: criterion.map(str::to_string),
        parameters: parameters.clone(),
        api_url: api_url.map(str::to_string),
        hub_url: hub_url.map(str::to_string),
        started_at: now,
        finished_at: None,
        status: StepStatus::Unfinished,
        count_in,
        count_out: None,
        requests: 0,
        error: None,
    })
}

/// How a run of a step ended, as stored on the step.
pub(crate) struct Outcome {
    pub status: StepStatus,
    pub count_in: Option<u64>,
    pub count_out: Option<u64>,
    pub requests: u64,
    pub error: Option<String>,
}

/// Stores how a run of `step` ended (adding its requests), with a history row when it
/// finished or failed.
pub(crate) fn finish_step(tx: &Connection, step: &StepRow, o: &Outcome) -> Result<()> {
    let finished = (o.status != StepStatus::Unfinished).then(crate::now);
    tx.execute(
        "UPDATE selection_step SET status = ?2, finished_at = ?3,
                count_in = coalesce(?4, count_in), count_out = ?5,
                requests = requests + ?6, error = ?7
         WHERE id = ?1",
        params![
            step.id,
            o.status.as_str(),
            finished,
            o.count_in.map(sql_int),
            o.count_out.map(sql_int),
            sql_int(o.requests),
            o.error
        ],
    )?;
    if o.status != StepStatus::Unfinished {
        crate::history::record(
            tx,
            "system",
            &format!("selection.{}.{}", step.kind.as_str(), o.status.as_str()),
            &step.position.to_string(),
            None,
            Some(&serde_json::json!({
                "in": o.count_in.or(step.count_in),
                "out": o.count_out,
                "error": o.error,
            })),
        )?;
    }
    Ok(())
}

/// The search step's candidates still in after the step at `after` (0: all of them), by id.
pub(crate) fn population(c: &Connection, after: u32) -> Result<Vec<Candidate>> {
    let mut stmt = c.prepare_cached(
        "SELECT c.repo_id, c.full_name, c.created_at, c.pushed_at, c.stars, c.fork, c.archived,
                c.language, c.default_branch, c.topics, c.description, c.html_url
         FROM selection_candidate c
         JOIN selection_step s ON s.id = c.step_id AND s.kind = 'search'
         WHERE NOT EXISTS (
             SELECT 1 FROM selection_excluded e JOIN selection_step es ON es.id = e.step_id
             WHERE e.repo_id = c.repo_id AND es.position <= ?1)
         ORDER BY c.repo_id",
    )?;
    let rows = stmt.query_map([i64::from(after)], |r| {
        Ok(Candidate {
            repo_id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
            full_name: r.get(1)?,
            created_at: r.get(2)?,
            pushed_at: r.get(3)?,
            stars: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
            fork: r.get::<_, i64>(5)? != 0,
            archived: r.get::<_, i64>(6)? != 0,
            language: r.get(7)?,
            default_branch: r.get(8)?,
            topics: serde_json::from_str(&r.get::<_, String>(9)?).unwrap_or_default(),
            description: r.get(10)?,
            html_url: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(crate) fn population_count(c: &Connection, after: u32) -> Result<u64> {
    let n: i64 = c
        .prepare_cached(
            "SELECT count(*) FROM selection_candidate c
             JOIN selection_step s ON s.id = c.step_id AND s.kind = 'search'
             WHERE NOT EXISTS (
                 SELECT 1 FROM selection_excluded e JOIN selection_step es ON es.id = e.step_id
                 WHERE e.repo_id = c.repo_id AND es.position <= ?1)",
        )?
        .query_row([i64::from(after)], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Records that `step` leaves out `c`, with the reason.
pub(crate) fn exclude(tx: &Connection, step: &StepRow, c: &Candidate, reason: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO selection_excluded (step_id, repo_id, full_name, reason)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![step.id, sql_int(c.repo_id), c.full_name, reason])?;
    Ok(())
}

pub(super) fn excluded_of(c: &Connection, step_id: i64) -> Result<Vec<Excluded>> {
    let mut stmt = c.prepare_cached(
        "SELECT full_name, repo_id, reason FROM selection_excluded WHERE step_id = ?1
         ORDER BY lower(full_name), repo_id",
    )?;
    let rows = stmt.query_map([step_id], |r| {
        Ok(Excluded {
            repository: r.get(0)?,
            repo_id: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            reason: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The label of a step, in words.
pub(super) fn label_of(s: &StepRow) -> String {
    let p = &s.parameters;
    match s.kind {
        StepKind::Search => format!(
            "search {}",
            p.get("query").and_then(|q| q.as_str()).unwrap_or_default()
        ),
        StepKind::Filter => serde_json::from_value::<Criterion>(p.clone())
            .map(|c| c.label())
            .unwrap_or_else(|_| s.criterion.clone().unwrap_or_default()),
        StepKind::Sample => sample::SampleParams::of(p)
            .map(|sp| sp.label())
            .unwrap_or_else(|| "sample".into()),
        StepKind::Accept => "accepted as the corpus".into(),
    }
}

/// Deletes every step (a restart before anything was accepted), recording what was there.
pub(crate) fn clear(tx: &Connection) -> Result<()> {
    let rows = steps(tx)?;
    if rows.is_empty() {
        return Ok(());
    }
    let old: Vec<serde_json::Value> = rows
        .iter()
        .map(|s| {
            serde_json::json!({
                "step": s.position, "kind": s.kind.as_str(), "parameters": s.parameters,
                "status": s.status.as_str(), "in": s.count_in, "out": s.count_out,
            })
        })
        .collect();
    tx.execute("DELETE FROM selection_step", [])?;
    tx.execute("DELETE FROM selection_drift", [])?;
    crate::history::record(
        tx,
        "user",
        "selection.restart",
        "selection",
        Some(&serde_json::Value::Array(old)),
        None,
    )?;
    Ok(())
}

/// The stored step with this id, if any.
pub(crate) fn step_row(c: &Connection, id: i64) -> Result<Option<StepRow>> {
    let found: Option<i64> = c
        .query_row("SELECT id FROM selection_step WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    match found {
        Some(_) => Ok(steps(c)?.into_iter().find(|s| s.id == id)),
        None => Ok(None),
    }
}
