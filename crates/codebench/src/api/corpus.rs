//! The corpus: projects and units, imports (local checkouts, GitHub), image references, and
//! the GitHub token kept in the OS keyring.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_LIST, MAX_NAME, MAX_PATH, MAX_URL};
use super::{ApiError, ApiResult, Check, Ctx, Done, Env, Task, GITHUB_TOKEN_SECRET};
use crate::corpus::github::{
    entries_from_names, GithubImportOptions, GithubImportSummary, ImageRefInfo, ImportProgress,
    RepoImport,
};
use crate::corpus::local::LocalImport;
use crate::corpus::{ProjectSummary, ProjectView, UnitInfo};

/// `list_projects`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ProjectsRequest {}

/// Every project, with its snapshot, Dockerfiles, changes and problems.
pub fn list_projects(ctx: &mut Ctx<'_>, _req: ProjectsRequest) -> ApiResult<Vec<ProjectSummary>> {
    Ok(ctx.study.projects()?)
}

/// `list_units`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct UnitsRequest {}

/// Every unit: each project and each of its Dockerfiles.
pub fn list_units(ctx: &mut Ctx<'_>, _req: UnitsRequest) -> ApiResult<Vec<UnitInfo>> {
    Ok(ctx.study.units()?)
}

/// A project by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ProjectRequest {
    /// `owner/name`.
    pub project: String,
}

/// A project as a rater reads it: README (sanitised HTML) and Dockerfiles.
pub fn project_view(ctx: &mut Ctx<'_>, req: ProjectRequest) -> ApiResult<ProjectView> {
    input::line("project", &req.project, MAX_NAME)?;
    Ok(ctx.study.project_view(&req.project)?)
}

/// `remove_project`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RemoveProject {
    /// `owner/name`.
    pub project: String,
    /// Who removes it (kept in the history).
    pub by: String,
}

/// What a removal took away.
pub type ProjectRemoved = crate::corpus::ProjectRemoval;

/// Removes a project and its units; refused while any decision, consensus or round holds them.
pub fn remove_project(ctx: &mut Ctx<'_>, req: RemoveProject) -> ApiResult<ProjectRemoved> {
    input::line("project", &req.project, MAX_NAME)?;
    input::line("by", &req.by, MAX_NAME)?;
    ctx.acting_as(&req.by)?;
    Ok(ctx.study.remove_project(&req.project, req.by.trim())?)
}

/// `import_local`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImportLocal {
    /// Checkout folders (absolute paths).
    pub dirs: Vec<String>,
    /// Record READMEs and Dockerfiles that are too large or not UTF-8 without their text,
    /// instead of refusing the import.
    #[serde(default)]
    pub lenient: bool,
}

/// Imports checkouts on disk (all or nothing): the README and every Dockerfile, pinned to HEAD.
pub fn import_local(ctx: &mut Ctx<'_>, req: ImportLocal) -> ApiResult<Vec<LocalImport>> {
    if req.dirs.is_empty() {
        return Err(ApiError::invalid("name at least one checkout folder"));
    }
    input::list("folder", &req.dirs, MAX_LIST, MAX_PATH)?;
    let dirs = req
        .dirs
        .iter()
        .map(|d| input::path(d, "the checkout folder"))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ctx.study.import_local(&dirs, req.lenient)?)
}

/// `image_refs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImageRefsRequest {
    /// Only this project's references.
    pub project: Option<String>,
}

/// The Docker image references of one project (or all), with where each was found.
pub fn image_refs(ctx: &mut Ctx<'_>, req: ImageRefsRequest) -> ApiResult<Vec<ImageRefInfo>> {
    input::opt_line("project", &req.project, MAX_NAME)?;
    Ok(ctx.study.image_refs(req.project.as_deref())?)
}

/// An image reference of a project, to add or remove.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImageRefChange {
    /// `owner/name`.
    pub project: String,
    /// The reference, e.g. `owner/image:tag`.
    pub reference: String,
}

/// Adds an image reference to a project by hand.
pub fn add_image_ref(ctx: &mut Ctx<'_>, req: ImageRefChange) -> ApiResult<ImageRefInfo> {
    input::line("project", &req.project, MAX_NAME)?;
    input::line("reference", &req.reference, MAX_URL)?;
    Ok(ctx.study.add_image_ref(&req.project, &req.reference)?)
}

/// Removes an image reference from a project (every place it was found); the history keeps it.
pub fn remove_image_ref(ctx: &mut Ctx<'_>, req: ImageRefChange) -> ApiResult<Vec<ImageRefInfo>> {
    input::line("project", &req.project, MAX_NAME)?;
    input::line("reference", &req.reference, MAX_URL)?;
    Ok(ctx.study.remove_image_ref(&req.project, &req.reference)?)
}

/// `github_token_status` and `forget_github_token`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct TokenStatusRequest {}

/// `keep_github_token`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct KeepToken {
    /// The token (never stored in the study, never shown again).
    pub token: String,
}

pub(crate) fn check_token(t: &str) -> ApiResult<()> {
    if t.is_empty() {
        return Err(ApiError::invalid("the token is empty"));
    }
    if t.len() > MAX_NAME || t.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid(
            "the token is not a GitHub token (no spaces, at most 300 characters)",
        ));
    }
    Ok(())
}

/// Whether a GitHub token is kept in the OS keyring (the token itself never leaves it).
pub fn github_token_status(env: &dyn Env, _req: TokenStatusRequest) -> ApiResult<bool> {
    Ok(env.secret(GITHUB_TOKEN_SECRET)?.is_some())
}

/// Keeps a GitHub token in the OS keyring for later imports.
pub fn keep_github_token(env: &dyn Env, req: KeepToken) -> ApiResult<Done> {
    check_token(&req.token)?;
    env.keep_secret(GITHUB_TOKEN_SECRET, &req.token)?;
    Ok(Done {})
}

/// Removes the GitHub token from the OS keyring; true when one was kept.
pub fn forget_github_token(env: &dyn Env, _req: TokenStatusRequest) -> ApiResult<bool> {
    env.forget_secret(GITHUB_TOKEN_SECRET)
}

/// `import_github`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImportGithub {
    /// Repositories: `owner/name` or GitHub URLs.
    #[serde(default)]
    pub repos: Vec<String>,
    /// A list file instead: text (one per line) or CSV with a repo/repos/full_name column and
    /// an optional image column (absolute path).
    pub list: Option<String>,
    /// A token typed for this import; none: the one kept in the OS keyring, else
    /// `$GITHUB_TOKEN`.
    pub token: Option<String>,
    /// The GitHub API (GitHub Enterprise: `https://HOST/api/v3`); none: api.github.com.
    pub api_url: Option<String>,
    /// Repositories fetched at once (1 to 64; none: 4).
    pub concurrency: Option<u16>,
    /// Fetch again repositories imported before.
    #[serde(default)]
    pub refresh: bool,
}

impl ImportGithub {
    /// The repositories to import: named, or read from the list file.
    fn entries(&self) -> ApiResult<Vec<codebench_github::ListEntry>> {
        match &self.list {
            Some(list) => {
                let path = input::path(list, "the list file")?;
                let entries = codebench_github::read_repo_list(&path)
                    .map_err(|e| ApiError::invalid(e.to_string()))?;
                if entries.is_empty() {
                    return Err(ApiError::invalid(format!(
                        "{}: the list names no repository",
                        path.display()
                    )));
                }
                Ok(entries)
            }
            None => Ok(entries_from_names(&self.repos)?),
        }
    }
}

impl Check for ImportGithub {
    fn check(&self) -> ApiResult<()> {
        github_api_url(&self.api_url)?;
        input::list("repository", &self.repos, MAX_LIST, MAX_URL)?;
        match (&self.list, self.repos.is_empty()) {
            (Some(_), false) => {
                return Err(ApiError::invalid(
                    "give either repositories or a list file, not both",
                ))
            }
            (None, true) => {
                return Err(ApiError::invalid(
                    "name at least one repository (owner/name or a GitHub URL)",
                ))
            }
            (None, false) => {
                entries_from_names(&self.repos)?;
            }
            (Some(l), true) => {
                input::path(l, "the list file")?;
            }
        }
        if let Some(t) = self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            check_token(t)?;
        }
        let concurrency = usize::from(self.concurrency.unwrap_or(4));
        if !(1..=64).contains(&concurrency) {
            return Err(ApiError::invalid(
                "concurrency: fetch 1 to 64 repositories at once",
            ));
        }
        Ok(())
    }
}

/// One step of a GitHub import, as a progress event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum GithubProgress {
    /// How many repositories will be fetched, and how many are skipped as imported before.
    Planned {
        /// Repositories to fetch.
        to_fetch: usize,
        /// Repositories skipped.
        skipped: usize,
    },
    /// Work on a repository started.
    Started {
        /// The requested name.
        repo: String,
    },
    /// A rate limit or a retry makes the import wait.
    Waiting {
        /// The repository whose request met the limit.
        repo: String,
        /// Why, in words.
        reason: String,
        /// How long, in seconds.
        wait_seconds: f64,
    },
    /// A repository is stored (or its failure recorded).
    Done {
        /// What was stored.
        result: RepoImport,
    },
}

/// The token an import uses: the one typed, else the one kept in the keyring, else
/// `$GITHUB_TOKEN`. Never stored, never printed.
pub fn github_token(env: &dyn Env, typed: Option<&str>) -> ApiResult<Option<String>> {
    if let Some(t) = typed.map(str::trim).filter(|t| !t.is_empty()) {
        check_token(t)?;
        return Ok(Some(t.to_string()));
    }
    if let Some(t) = env.secret(GITHUB_TOKEN_SECRET)? {
        return Ok(Some(t));
    }
    Ok(env.var("GITHUB_TOKEN"))
}

/// A GitHub API URL given by the user: none when blank, else an http(s) URL.
pub(crate) fn github_api_url(url: &Option<String>) -> ApiResult<Option<String>> {
    http_url(
        "API URL",
        url,
        "the GitHub API, e.g. https://github.example.com/api/v3",
    )
}

/// An optional http(s) URL argument: none when blank; `what` says what it should be.
pub(crate) fn http_url(field: &str, url: &Option<String>, what: &str) -> ApiResult<Option<String>> {
    let url = url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if let Some(u) = &url {
        input::line(field, u, MAX_URL)?;
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(ApiError::invalid(format!(
                "'{u}' is not an http(s) URL ({what})"
            )));
        }
    }
    Ok(url)
}

/// Imports repositories from GitHub, each in its own transaction as it completes; Cancel
/// stops the import with what was stored kept, and running it again goes on from there.
pub fn import_github(
    ctx: &mut Ctx<'_>,
    req: ImportGithub,
    task: &Task<'_, GithubProgress>,
) -> ApiResult<GithubImportSummary> {
    req.check()?;
    let api_url = github_api_url(&req.api_url)?;
    let entries = req.entries()?;
    let concurrency = usize::from(req.concurrency.unwrap_or(4));
    let options = GithubImportOptions {
        api_url,
        token: github_token(ctx.env, req.token.as_deref())?,
        concurrency,
        refresh: req.refresh,
        cancel: Some(task.cancel_flag()),
    };
    let on_progress = |p: ImportProgress| {
        task.report(match p {
            ImportProgress::Planned { to_fetch, skipped } => {
                GithubProgress::Planned { to_fetch, skipped }
            }
            ImportProgress::Started { repo } => GithubProgress::Started { repo },
            ImportProgress::Waiting { repo, reason, wait } => GithubProgress::Waiting {
                repo,
                reason,
                wait_seconds: wait.as_secs_f64(),
            },
            ImportProgress::Done(result) => GithubProgress::Done { result },
        })
    };
    Ok(ctx.study.import_github(&entries, &options, &on_progress)?)
}
