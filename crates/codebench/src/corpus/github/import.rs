//! The GitHub import itself ([`Study::import_github`]): which repositories to skip when an import
//! resumes, fetching on a tokio runtime of its own with progress and cancellation, and storing
//! each repository (or its failure, on the project) in its own transaction as it arrives.

use std::ops::ControlFlow;

use codebench_github::{Event, GitHub, GitHubOptions, ImageRef, ListEntry, RepoOutcome};
use rusqlite::{params, Connection, OptionalExtension};

use super::image_refs::store_image_refs;
use super::snapshot::{api_base, snapshot_input, StudySelector};
use super::{
    project_id, wait_reason, GithubImportOptions, GithubImportSummary, ImportProgress, RepoImport,
};
use crate::corpus::MAX_FILE_BYTES;
use crate::{Error, Result, Study};

/// Whether the study holds a GitHub snapshot of `name` (also under the name it was renamed to).
fn has_github_snapshot(c: &Connection, name: &str) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM project p
             WHERE p.source = 'github'
               AND (lower(p.full_name) = lower(?1)
                    OR lower(coalesce(json_extract(p.metadata, '$.renamed_from'), '')) = lower(?1))
               AND EXISTS (SELECT 1 FROM snapshot s WHERE s.project_id = p.id)
             LIMIT 1",
    )?
    .query_row([name], |_| Ok(()))
    .optional()?
    .is_some())
}

impl Study {
    /// Imports repositories from GitHub. Each entry is stored in its own transaction as soon
    /// as it is fetched; a failure is recorded on the project (created without snapshot or
    /// units when it is new) so `status` shows it. Repositories that already have a GitHub
    /// snapshot are skipped unless `options.refresh` is set. Errors only when nothing could be
    /// done (a bad API URL or token, a study that cannot be written).
    pub fn import_github(
        &mut self,
        entries: &[ListEntry],
        options: &GithubImportOptions,
        on_progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> Result<GithubImportSummary> {
        let mut summary = GithubImportSummary::default();
        let mut seen = std::collections::HashSet::new();
        let mut to_fetch: Vec<&ListEntry> = Vec::new();
        for e in entries {
            crate::corpus::check_full_name(&e.full_name)?;
            if !seen.insert(e.full_name.to_ascii_lowercase()) {
                continue;
            }
            summary.requested += 1;
            if !options.refresh && has_github_snapshot(self.conn(), &e.full_name)? {
                summary.skipped.push(e.full_name.clone());
            } else {
                to_fetch.push(e);
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Invalid(format!("cannot start the network runtime: {e}")))?;
        let client = {
            let _guard = runtime.enter();
            GitHub::new(GitHubOptions {
                api_url: options.api_url.clone(),
                token: options.token.clone(),
                concurrency: options.concurrency.max(1),
                max_file_bytes: MAX_FILE_BYTES,
                ..GitHubOptions::default()
            })
            .map_err(|e| Error::Invalid(e.to_string()))?
        };
        on_progress(ImportProgress::Planned {
            to_fetch: to_fetch.len(),
            skipped: summary.skipped.len(),
        });
        let names: Vec<String> = to_fetch.iter().map(|e| e.full_name.clone()).collect();
        let list_refs: std::collections::HashMap<String, ImageRef> = to_fetch
            .iter()
            .filter_map(|e| Some((e.full_name.to_ascii_lowercase(), e.image_ref()?)))
            .collect();
        let on_event = |event: Event| match event {
            Event::Started { repo } => on_progress(ImportProgress::Started { repo }),
            Event::Waiting { repo, reason, wait } => on_progress(ImportProgress::Waiting {
                repo,
                reason: wait_reason(reason).to_string(),
                wait,
            }),
        };
        let api_url = options.api_url.as_deref();
        let cancelled = || {
            options
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
        };
        let mut store_error: Option<Error> = None;
        let mut done: Vec<RepoImport> = Vec::new();
        let stats = runtime.block_on(client.fetch_many_until(
            &names,
            &StudySelector,
            &on_event,
            &cancelled,
            |outcome| {
                let list_ref = list_refs.get(&outcome.requested_name().to_ascii_lowercase());
                match self.store_outcome(&outcome, list_ref, api_url) {
                    Ok(r) => {
                        on_progress(ImportProgress::Done(r.clone()));
                        done.push(r);
                    }
                    Err(e) => store_error = Some(e),
                }
                if store_error.is_some() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        ));
        if let Some(e) = store_error {
            return Err(e);
        }
        summary.cancelled = summary.skipped.len() + done.len() < summary.requested;
        summary.repos = done;
        summary.requests = stats.requests;
        summary.waited_ms = stats.waited.as_millis() as u64;
        Ok(summary)
    }

    /// Stores one fetched repository (or its failure) in its own transaction.
    fn store_outcome(
        &mut self,
        outcome: &RepoOutcome,
        list_ref: Option<&ImageRef>,
        api_url: Option<&str>,
    ) -> Result<RepoImport> {
        match outcome {
            RepoOutcome::Fetched(snap) => {
                let input = snapshot_input(snap, api_url);
                let problems: Vec<String> =
                    snap.problems.iter().map(|p| p.message.clone()).collect();
                self.write(|tx| {
                    let stored = crate::corpus::store_snapshot(tx, &input)?;
                    let id = project_id(tx, &input.full_name)?.ok_or_else(|| {
                        Error::Invalid(format!("{}: stored but not found", input.full_name))
                    })?;
                    let problem = (!problems.is_empty()).then(|| problems.join("; "));
                    tx.execute(
                        "UPDATE project SET problem = ?2 WHERE id = ?1",
                        params![id, problem],
                    )?;
                    let refs: Vec<ImageRef> =
                        snap.image_refs.iter().chain(list_ref).cloned().collect();
                    let n = store_image_refs(tx, id, &refs)?;
                    Ok(RepoImport {
                        requested: snap.requested_name.clone(),
                        project: snap.full_name.clone(),
                        outcome: stored.outcome.to_string(),
                        renamed_from: snap.renamed().then(|| snap.requested_name.clone()),
                        problems: problems.clone(),
                        failure: None,
                        image_refs: n,
                    })
                })
            }
            RepoOutcome::Failed(f) => {
                let name = f.requested_name.clone();
                let message = format!("import from GitHub failed: {}", f.message);
                let location = format!("{}/repos/{name}", api_base(api_url));
                self.write(|tx| {
                    let id = match project_id(tx, &name)? {
                        Some(id) => {
                            tx.execute(
                                "UPDATE project SET problem = ?2 WHERE id = ?1",
                                params![id, message],
                            )?;
                            id
                        }
                        None => {
                            tx.execute(
                                "INSERT INTO project (full_name, source, location, problem, created_at)
                                 VALUES (?1, 'github', ?2, ?3, ?4)",
                                params![name, location, message, crate::now()],
                            )?;
                            tx.last_insert_rowid()
                        }
                    };
                    // The list's image still links the project to its image.
                    let n = store_image_refs(tx, id, &list_ref.cloned().into_iter().collect::<Vec<_>>())?;
                    crate::history::record(
                        tx,
                        "system",
                        "project.import_failed",
                        &name,
                        None,
                        Some(&serde_json::json!({ "reason": f.reason, "message": f.message })),
                    )?;
                    Ok(RepoImport {
                        requested: name.clone(),
                        project: name.clone(),
                        outcome: "failed".into(),
                        renamed_from: None,
                        problems: Vec::new(),
                        failure: Some(f.message.clone()),
                        image_refs: n,
                    })
                })
            }
        }
    }
}
