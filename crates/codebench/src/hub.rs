//! Docker Hub repositories as evidence: for every Docker Hub image a project references, what
//! its Hub page says — the description, the full description (Markdown, shown sanitised like a
//! README), stars, pulls, the last update and the tags with their last push — fetched through
//! Docker Hub's namespaces API (`codebench-hub`), stored once per Hub repository (projects that
//! name the same image share it), shown beside the README and exported (`hub.csv`,
//! `hub_tags.csv`).
//!
//! A project's Hub repositories are read from its image references (`image_ref`): each
//! reference to Docker Hub (no registry, or `docker.io`) names one; references to other
//! registries are not Hub's. A repository Docker Hub answers 404 for is stored as not found. A
//! fetch stores each repository in its own transaction, skips those fetched before unless told
//! to refresh, and can be cancelled.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use codebench_hub::{HubEvidence, HubName, Lookup};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::select::{each_until, sql_int};
use crate::{Error, Result, Study};

/// Hub repositories fetched at once.
const CONCURRENCY: usize = 4;

/// How to fetch Docker Hub evidence.
#[derive(Debug, Clone, Default)]
pub struct HubFetchOptions {
    /// Docker Hub; `None` is `https://hub.docker.com`.
    pub hub_url: Option<String>,
    /// Fetch again repositories fetched before.
    pub refresh: bool,
    /// Set to stop: what was stored stays.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Progress of a Docker Hub fetch.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum HubProgress {
    /// Sent once: how many Hub repositories will be fetched, and how many are skipped.
    Planned {
        /// To fetch.
        to_fetch: u64,
        /// Fetched before (not asked again).
        skipped: u64,
    },
    /// A rate limit or a retry makes the fetch wait.
    Waiting {
        /// The Hub repository whose request met it.
        name: String,
        /// Why, in words.
        reason: String,
        /// How long, in seconds.
        wait_seconds: f64,
    },
    /// One Hub repository is stored.
    Done {
        /// `namespace/repository`.
        name: String,
        /// Whether Docker Hub has it.
        found: bool,
        /// Tags read.
        tags: u64,
    },
}

/// A Hub repository that could not be fetched.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HubFailure {
    /// `namespace/repository`.
    pub name: String,
    /// Why.
    pub message: String,
}

/// What a Docker Hub fetch did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct HubFetchSummary {
    /// Projects whose image references were read.
    pub projects: u64,
    /// Distinct Docker Hub repositories they reference.
    pub repositories: u64,
    /// Hub repositories fetched and stored now (found or not).
    pub fetched: u64,
    /// Of those, the ones Docker Hub does not have (404).
    pub not_found: Vec<String>,
    /// Fetched before and not asked again.
    pub skipped: Vec<String>,
    /// Could not be fetched (rate limit past its budget, network); fetched next time.
    pub failed: Vec<HubFailure>,
    /// HTTP requests sent.
    pub requests: u64,
    /// Stopped before the end.
    pub cancelled: bool,
}

/// One tag of a Hub repository.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HubTagInfo {
    /// The tag.
    pub name: String,
    /// Last push, ISO 8601.
    pub last_pushed: Option<String>,
    /// Last update, ISO 8601.
    pub last_updated: Option<String>,
    /// Digest.
    pub digest: Option<String>,
    /// Compressed size in bytes.
    pub full_size: Option<u64>,
    /// `active` or `inactive`.
    pub status: Option<String>,
}

/// One Docker Hub repository a project references, as a rater reads it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HubImage {
    /// `namespace/repository` (official images: `library/name`).
    pub name: String,
    /// The project's image references that name it.
    pub references: Vec<String>,
    /// Whether it was fetched (false: not yet; the fetch fills it in).
    pub fetched: bool,
    /// Whether Docker Hub has it (false when it answered 404, or not fetched).
    pub found: bool,
    /// One-line description.
    pub description: Option<String>,
    /// The overview as written, Markdown.
    pub full_description: Option<String>,
    /// The overview rendered to sanitised HTML (as READMEs are).
    pub full_description_html: Option<String>,
    /// Stars.
    pub star_count: Option<u64>,
    /// Pulls, all time.
    pub pull_count: Option<u64>,
    /// Last update, ISO 8601.
    pub last_updated: Option<String>,
    /// Creation, ISO 8601.
    pub date_registered: Option<String>,
    /// Docker Hub's status (`active`...).
    pub status: Option<String>,
    /// Its page on Docker Hub.
    pub web_url: String,
    /// The tag total Docker Hub reports.
    pub tag_count: Option<u64>,
    /// Whether every tag was read.
    pub tags_complete: bool,
    /// The tags read, most recently updated first.
    pub tags: Vec<HubTagInfo>,
    /// When it was fetched.
    pub fetched_at: Option<String>,
}

/// A project's Docker Hub evidence.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProjectHub {
    /// `owner/name`.
    pub project: String,
    /// Every Hub repository its image references name, by name.
    pub images: Vec<HubImage>,
}

/// Project → Hub repository → the references naming it, for one project or all.
fn hub_names(
    c: &Connection,
    project: Option<&str>,
) -> Result<BTreeMap<String, BTreeMap<String, BTreeSet<String>>>> {
    let mut stmt = c.prepare(
        "SELECT p.full_name, i.reference FROM image_ref i JOIN project p ON p.id = i.project_id
         WHERE ?1 IS NULL OR lower(p.full_name) = lower(?1)
         ORDER BY p.full_name, i.reference",
    )?;
    let rows = stmt.query_map([project], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for row in rows {
        let (p, reference) = row?;
        let entry = out.entry(p).or_default();
        if let Ok(name) = HubName::parse(&reference) {
            entry.entry(name.to_string()).or_default().insert(reference);
        }
    }
    Ok(out)
}

fn store(
    tx: &Connection,
    name: &HubName,
    found: Option<&HubEvidence>,
    hub_url: &str,
) -> Result<()> {
    let key = name.to_string();
    tx.execute("DELETE FROM hub_repository WHERE name = ?1", [&key])?;
    let now = crate::now();
    match found {
        None => {
            tx.execute(
                "INSERT INTO hub_repository (name, found, web_url, hub_url, fetched_at)
                 VALUES (?1, 0, ?2, ?3, ?4)",
                params![key, name.web_url(), hub_url, now],
            )?;
        }
        Some(e) => {
            let r = &e.repository;
            tx.execute(
                "INSERT INTO hub_repository (name, found, description, full_description,
                     star_count, pull_count, last_updated, date_registered, status, is_private,
                     web_url, tag_count, tags_complete, hub_url, fetched_at)
                 VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    key,
                    r.description,
                    r.full_description,
                    sql_int(r.star_count),
                    sql_int(r.pull_count),
                    r.last_updated,
                    r.date_registered,
                    r.status_description,
                    r.is_private,
                    r.web_url,
                    e.tags.count.map(sql_int),
                    e.tags.complete,
                    hub_url,
                    now
                ],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO hub_tag (repository, position, name, last_pushed,
                     last_updated, digest, full_size, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (i, t) in e.tags.tags.iter().enumerate() {
                insert.execute(params![
                    key,
                    i as i64,
                    t.name,
                    t.last_pushed,
                    t.last_updated,
                    t.digest,
                    t.full_size.map(sql_int),
                    t.status
                ])?;
            }
        }
    }
    Ok(())
}

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.map(|n| u64::try_from(n).unwrap_or(0))
}

/// The stored Hub repository `name` (without its project's references), if fetched.
fn read_image(c: &Connection, name: &str) -> Result<Option<HubImage>> {
    let row = c
        .prepare_cached(
            "SELECT found, description, full_description, star_count, pull_count, last_updated,
                    date_registered, status, web_url, tag_count, tags_complete, fetched_at
             FROM hub_repository WHERE name = ?1",
        )?
        .query_row([name], |r| {
            Ok(HubImage {
                name: name.to_string(),
                references: Vec::new(),
                fetched: true,
                found: r.get::<_, i64>(0)? != 0,
                description: r.get(1)?,
                full_description: r.get(2)?,
                full_description_html: None,
                star_count: to_u64(r.get(3)?),
                pull_count: to_u64(r.get(4)?),
                last_updated: r.get(5)?,
                date_registered: r.get(6)?,
                status: r.get(7)?,
                web_url: r.get(8)?,
                tag_count: to_u64(r.get(9)?),
                tags_complete: r.get::<_, Option<i64>>(10)?.unwrap_or(0) != 0,
                tags: Vec::new(),
                fetched_at: r.get(11)?,
            })
        })
        .optional()?;
    let Some(mut image) = row else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached(
        "SELECT name, last_pushed, last_updated, digest, full_size, status FROM hub_tag
         WHERE repository = ?1 ORDER BY position",
    )?;
    let tags = stmt.query_map([name], |r| {
        Ok(HubTagInfo {
            name: r.get(0)?,
            last_pushed: r.get(1)?,
            last_updated: r.get(2)?,
            digest: r.get(3)?,
            full_size: to_u64(r.get(4)?),
            status: r.get(5)?,
        })
    })?;
    image.tags = tags.collect::<std::result::Result<_, _>>()?;
    if let Some(md) = &image.full_description {
        let base = crate::readme::LinkBase {
            blob: format!("{}/", image.web_url.trim_end_matches('/')),
            raw: format!("{}/", image.web_url.trim_end_matches('/')),
        };
        image.full_description_html = Some(crate::readme::render("README.md", md, &base));
    }
    Ok(Some(image))
}

fn not_fetched(name: &str) -> HubImage {
    let web_url = HubName::parse(name)
        .map(|n| n.web_url())
        .unwrap_or_default();
    HubImage {
        name: name.to_string(),
        references: Vec::new(),
        fetched: false,
        found: false,
        description: None,
        full_description: None,
        full_description_html: None,
        star_count: None,
        pull_count: None,
        last_updated: None,
        date_registered: None,
        status: None,
        web_url,
        tag_count: None,
        tags_complete: false,
        tags: Vec::new(),
        fetched_at: None,
    }
}

impl Study {
    /// Fetches the Docker Hub repositories the projects' image references name (of one project,
    /// or all), each stored in its own transaction; skips those fetched before unless
    /// `refresh`. A 404 is stored as not found; other failures are listed and tried next time.
    pub fn fetch_hub(
        &mut self,
        project: Option<&str>,
        options: &HubFetchOptions,
        progress: &(dyn Fn(HubProgress) + Sync),
    ) -> Result<HubFetchSummary> {
        if let Some(p) = project {
            let known: Option<i64> = self
                .conn()
                .query_row(
                    "SELECT id FROM project WHERE lower(full_name) = lower(?1)",
                    [p],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_none() {
                return Err(Error::unknown("project", p));
            }
        }
        let by_project = hub_names(self.conn(), project)?;
        let all: BTreeSet<String> = by_project
            .values()
            .flat_map(|m| m.keys().cloned())
            .collect();
        let mut summary = HubFetchSummary {
            projects: by_project.len() as u64,
            repositories: all.len() as u64,
            ..HubFetchSummary::default()
        };
        let mut to_fetch: Vec<HubName> = Vec::new();
        for name in &all {
            let fetched: bool = self
                .conn()
                .query_row(
                    "SELECT 1 FROM hub_repository WHERE name = ?1",
                    [name],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if fetched && !options.refresh {
                summary.skipped.push(name.clone());
            } else if let Ok(n) = HubName::parse(name) {
                to_fetch.push(n);
            }
        }
        progress(HubProgress::Planned {
            to_fetch: to_fetch.len() as u64,
            skipped: summary.skipped.len() as u64,
        });
        if to_fetch.is_empty() {
            return Ok(summary);
        }
        let hub_url = options
            .hub_url
            .as_deref()
            .unwrap_or(codebench_hub::DEFAULT_HUB_URL)
            .trim_end_matches('/')
            .to_string();
        let client = codebench_hub::Hub::new(codebench_hub::HubOptions {
            base_url: options.hub_url.clone(),
            ..codebench_hub::HubOptions::default()
        })
        .map_err(|e| Error::Invalid(e.to_string()))?;
        let rt = crate::select::runtime()?;
        let store_failed = AtomicBool::new(false);
        let cancelled = || {
            options
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::SeqCst))
        };
        let stop = || cancelled() || store_failed.load(Ordering::SeqCst);
        let on_event = |e: codebench_hub::HubEvent| {
            let codebench_hub::HubEvent::Waiting { name, reason, wait } = e;
            progress(HubProgress::Waiting {
                name: name.to_string(),
                reason: match reason {
                    codebench_hub::HubWaitReason::RateLimit => {
                        "Docker Hub rate limit spent; waiting for it to reset"
                    }
                    codebench_hub::HubWaitReason::TooManyRequests => {
                        "Docker Hub answered 429 Too Many Requests; waiting"
                    }
                    codebench_hub::HubWaitReason::Retry => {
                        "server error or dropped connection; retrying"
                    }
                }
                .into(),
                wait_seconds: wait.as_secs_f64(),
            })
        };
        let (client_ref, on_event_ref, stop_ref) = (&client, &on_event, &stop);
        let jobs: Vec<_> = to_fetch
            .iter()
            .map(|n| async move { (n, client_ref.evidence(n, on_event_ref, stop_ref).await) })
            .collect();
        let mut store_error: Option<Error> = None;
        let mut handed = 0usize;
        {
            let study = &mut *self;
            let summary = &mut summary;
            let finished = rt.block_on(each_until(jobs, CONCURRENCY, &stop, |(name, r)| {
                handed += 1;
                let found = match r {
                    Ok(Lookup::Found(e)) => Some(e),
                    Ok(Lookup::NotFound) => None,
                    Err(e) => {
                        summary.failed.push(HubFailure {
                            name: name.to_string(),
                            message: e.to_string(),
                        });
                        return ControlFlow::Continue(());
                    }
                };
                match study.write(|tx| store(tx, name, found.as_ref(), &hub_url)) {
                    Ok(()) => {
                        summary.fetched += 1;
                        if found.is_none() {
                            summary.not_found.push(name.to_string());
                        }
                        progress(HubProgress::Done {
                            name: name.to_string(),
                            found: found.is_some(),
                            tags: found.as_ref().map_or(0, |e| e.tags.tags.len() as u64),
                        });
                        ControlFlow::Continue(())
                    }
                    Err(e) => {
                        store_error = Some(e);
                        store_failed.store(true, Ordering::SeqCst);
                        ControlFlow::Break(())
                    }
                }
            }));
            summary.cancelled = !finished || handed < to_fetch.len();
        }
        if let Some(e) = store_error {
            return Err(e);
        }
        summary.not_found.sort();
        summary.requests = client.requests_sent();
        Ok(summary)
    }

    /// A project's Docker Hub evidence: every Hub repository its image references name, with
    /// what was fetched of each (the full description rendered and sanitised like a README).
    pub fn hub_evidence(&self, project: &str) -> Result<ProjectHub> {
        let name: String = self
            .conn()
            .query_row(
                "SELECT full_name FROM project WHERE lower(full_name) = lower(?1)",
                [project],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::unknown("project", project))?;
        let by_project = hub_names(self.conn(), Some(&name))?;
        let mut images = Vec::new();
        for (hub, references) in by_project.get(&name).cloned().unwrap_or_default() {
            let mut image = read_image(self.conn(), &hub)?.unwrap_or_else(|| not_fetched(&hub));
            image.references = references.into_iter().collect();
            images.push(image);
        }
        Ok(ProjectHub {
            project: name,
            images,
        })
    }

    /// The rows of `hub.csv`: one per project and Docker Hub repository it references.
    pub fn hub_rows(&self) -> Result<Vec<Vec<String>>> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        let mut out = Vec::new();
        for (project, names) in hub_names(self.conn(), None)? {
            for (hub, references) in names {
                let image = read_image(self.conn(), &hub)?.unwrap_or_else(|| not_fetched(&hub));
                let latest = image
                    .tags
                    .iter()
                    .filter_map(|t| t.last_pushed.as_deref().map(|p| (p, t.name.as_str())))
                    .max();
                out.push(vec![
                    project.clone(),
                    hub.clone(),
                    references.into_iter().collect::<Vec<_>>().join(";"),
                    if !image.fetched {
                        String::new()
                    } else {
                        image.found.to_string()
                    },
                    opt(&image.description),
                    opt(&image.full_description),
                    num(image.star_count),
                    num(image.pull_count),
                    opt(&image.last_updated),
                    opt(&image.date_registered),
                    num(image.tag_count),
                    if image.fetched {
                        image.tags.len().to_string()
                    } else {
                        String::new()
                    },
                    latest.map(|(_, t)| t.to_string()).unwrap_or_default(),
                    latest.map(|(p, _)| p.to_string()).unwrap_or_default(),
                    image.web_url.clone(),
                    opt(&image.fetched_at),
                ]);
            }
        }
        Ok(out)
    }

    /// The rows of `hub_tags.csv`: one per tag of every fetched Docker Hub repository.
    pub fn hub_tag_rows(&self) -> Result<Vec<Vec<String>>> {
        let mut stmt = self.conn().prepare(
            "SELECT repository, position, name, last_pushed, last_updated, digest, full_size, status
             FROM hub_tag ORDER BY repository, position",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(vec![
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)? + 1).to_string(),
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                r.get::<_, Option<i64>>(6)?
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            ])
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
