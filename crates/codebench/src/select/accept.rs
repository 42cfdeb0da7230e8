//! The accept step: the repositories still in become the corpus, imported from GitHub as
//! `import github` imports them (each repository in its own transaction, resumable). A
//! repository that cannot be imported is excluded with the reason; running accept again
//! retries those, and keeps the rest. Images the Docker Hub filter found under the
//! repository's own name become image references of the project (`how`: `selection`).

use std::collections::HashMap;

use codebench_github::ListEntry;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use super::{
    exclude, finish_step, insert_step, population, population_count, NetOptions, Outcome,
    SelectProgress, Step, StepKind, StepRow, StepStatus,
};
use crate::corpus::github::{GithubImportOptions, GithubImportSummary, ImportProgress};
use crate::{Error, Result, Study};

/// What an accept step did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Accepted {
    /// The accept step.
    pub step: Step,
    /// The import it ran.
    pub import: GithubImportSummary,
}

/// The Docker Hub name the `has_hub_image` filter found under a repository's own name, by
/// repository id.
fn own_name_images(c: &Connection) -> Result<HashMap<u64, String>> {
    let mut stmt = c.prepare(
        "SELECT k.repo_id, k.value FROM selection_check k
         JOIN selection_step s ON s.id = k.step_id
         WHERE s.kind = 'filter' AND s.criterion = 'has_hub_image' AND k.value IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = HashMap::new();
    for row in rows {
        let (id, value) = row?;
        let v: serde_json::Value = serde_json::from_str(&value).unwrap_or_default();
        if v.get("via").and_then(|x| x.as_str()) != Some("own-name") {
            continue;
        }
        let found = v.get("found").and_then(|x| x.as_str());
        if let Some(reference) = found.and_then(codebench_github::normalize_reference) {
            out.insert(u64::try_from(id).unwrap_or(0), reference);
        }
    }
    Ok(out)
}

impl Study {
    /// Imports the repositories still in the selection from GitHub as the corpus (or retries
    /// the ones an earlier accept could not import). Cancel stops it with what was imported
    /// kept; running it again goes on.
    pub fn select_accept(
        &mut self,
        net: &NetOptions,
        progress: &(dyn Fn(SelectProgress) + Sync),
    ) -> Result<Accepted> {
        let rows = self.open_for_steps(StepKind::Accept)?;
        let step: StepRow = match rows.last() {
            Some(last) if last.kind == StepKind::Accept => last.clone(),
            Some(last) => {
                let n = population_count(self.conn(), last.position)?;
                if n == 0 {
                    return Err(Error::Conflict(
                        "no repository is left in the selection to accept".into(),
                    ));
                }
                let api = net.api();
                self.write(|tx| {
                    insert_step(
                        tx,
                        StepKind::Accept,
                        None,
                        &serde_json::json!({}),
                        Some(&api),
                        None,
                        Some(n),
                    )
                })?
            }
            None => {
                return Err(Error::Conflict(
                    "the selection has no search yet: search GitHub first".into(),
                ))
            }
        };
        let input = population(self.conn(), step.position.saturating_sub(1))?;
        let entries: Vec<ListEntry> = input
            .iter()
            .enumerate()
            .map(|(i, c)| ListEntry {
                full_name: c.full_name.clone(),
                image: None,
                line: i as u64 + 1,
            })
            .collect();
        let options = GithubImportOptions {
            api_url: net.api_url.clone(),
            token: net.token.clone(),
            concurrency: net.concurrency().min(16),
            refresh: false,
            cancel: net.cancel.clone(),
        };
        let label = "accepted as the corpus".to_string();
        let on_import = |p: ImportProgress| match p {
            ImportProgress::Planned { to_fetch, skipped } => progress(SelectProgress::Step {
                step: step.position,
                label: label.clone(),
                to_do: to_fetch as u64,
                done_before: skipped as u64,
            }),
            ImportProgress::Started { .. } => {}
            ImportProgress::Waiting { repo, reason, wait } => progress(SelectProgress::Waiting {
                repo,
                reason,
                wait_seconds: wait.as_secs_f64(),
            }),
            ImportProgress::Done(result) => progress(SelectProgress::Imported { result }),
        };
        let summary = self.import_github(&entries, &options, &on_import)?;
        let by_name: HashMap<String, &super::Candidate> = input
            .iter()
            .map(|c| (c.full_name.to_ascii_lowercase(), c))
            .collect();
        let images = own_name_images(self.conn())?;
        let cancelled = summary.cancelled;
        self.write(|tx| {
            for r in &summary.repos {
                let Some(c) = by_name.get(&r.requested.to_ascii_lowercase()) else {
                    continue;
                };
                match &r.failure {
                    Some(f) => exclude(tx, &step, c, &format!("import failed: {f}"))?,
                    None => {
                        tx.execute(
                            "DELETE FROM selection_excluded WHERE step_id = ?1 AND repo_id = ?2",
                            params![step.id, super::sql_int(c.repo_id)],
                        )?;
                        if let Some(reference) = images.get(&c.repo_id) {
                            let project: Option<i64> = tx
                                .query_row(
                                    "SELECT id FROM project WHERE lower(full_name) = lower(?1)",
                                    [&r.project],
                                    |row| row.get(0),
                                )
                                .optional()?;
                            if let Some(id) = project {
                                tx.execute(
                                    "INSERT OR IGNORE INTO image_ref
                                         (project_id, reference, found_in, how, added_at)
                                     VALUES (?1, ?2, 'docker-hub', 'selection', ?3)",
                                    params![id, reference, crate::now()],
                                )?;
                            }
                        }
                    }
                }
            }
            let out = population_count(tx, step.position)?;
            finish_step(
                tx,
                &step,
                &Outcome {
                    status: if cancelled {
                        StepStatus::Unfinished
                    } else {
                        StepStatus::Done
                    },
                    count_in: Some(input.len() as u64),
                    count_out: (!cancelled).then_some(out),
                    requests: summary.requests,
                    error: if cancelled {
                        Some("cancelled; run accept again to go on".into())
                    } else {
                        let failed = summary.failed().count();
                        (failed > 0).then(|| {
                            format!(
                                "{failed} repositories could not be imported; run accept again to retry them"
                            )
                        })
                    },
                },
            )
        })?;
        Ok(Accepted {
            step: self.step_view_of(step.id)?,
            import: summary,
        })
    }
}
