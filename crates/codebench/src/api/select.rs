//! The corpus selection (a recorded funnel: search, filters, a seeded sample, accept) and
//! Docker Hub evidence.
//!
//! The network steps are task operations: they report progress, stop on Cancel with what they
//! stored kept, and running them again goes on from there. A step that could not finish is
//! returned with its status `unfinished` (or `failed`) and the reason, not as an error: the
//! record says what happened.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::corpus::{github_api_url, github_token, http_url};
use super::input::{self, MAX_LABEL, MAX_NAME};
use super::{ApiError, ApiResult, Check, Ctx, Task};
use crate::figures::RenderedFigure;
use crate::hub::{HubFetchOptions, HubFetchSummary, HubProgress, ProjectHub};
use crate::select::accept::Accepted;
use crate::select::drift::DriftReport;
use crate::select::{Criterion, NetOptions, SelectProgress, Selection, Step};

/// Longest search query accepted, in bytes.
pub const MAX_QUERY: usize = 1024;

/// `select_search`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SelectSearch {
    /// A GitHub repository search query, e.g. `topic:mlops fork:true` (GitHub leaves forks
    /// out unless the query says `fork:true`).
    pub query: String,
    /// The end of the `created:` range searched (`YYYY-MM-DD` or RFC 3339); none: now. It is
    /// recorded, so the search can be reproduced.
    pub created_until: Option<String>,
    /// Start the selection over with this search, dropping its steps (refused once the corpus
    /// was accepted).
    #[serde(default)]
    pub restart: bool,
    /// A token typed for this run; none: the one kept in the OS keyring, else `$GITHUB_TOKEN`.
    pub token: Option<String>,
    /// The GitHub API (GitHub Enterprise: `https://HOST/api/v3`); none: api.github.com.
    pub api_url: Option<String>,
}

/// `select_filter`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SelectFilter {
    /// The criteria, in order: each becomes its own recorded step.
    pub criteria: Vec<Criterion>,
    /// A token typed for this run; none: the keyring, else `$GITHUB_TOKEN`.
    pub token: Option<String>,
    /// The GitHub API; none: api.github.com.
    pub api_url: Option<String>,
    /// Docker Hub (for `has_hub_image`); none: hub.docker.com.
    pub hub_url: Option<String>,
    /// Repositories checked at once (1 to 64; none: 8).
    pub concurrency: Option<u16>,
}

/// `select_sample`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SelectSample {
    /// Repositories to draw.
    pub size: u64,
    /// The seed: the same seed draws the same sample.
    pub seed: u64,
    /// Stratify by this field (`language`, `created_year`, `pushed_year`, `stars`, `owner`,
    /// `archived`, `fork`) with proportional allocation; none: a simple random sample.
    pub stratify: Option<String>,
}

/// `select_accept`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SelectAccept {
    /// A token typed for this run; none: the keyring, else `$GITHUB_TOKEN`.
    pub token: Option<String>,
    /// The GitHub API; none: api.github.com.
    pub api_url: Option<String>,
    /// Repositories imported at once (1 to 16; none: 8).
    pub concurrency: Option<u16>,
}

/// `rerun_selection`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RerunSelection {
    /// A token typed for this run; none: the keyring, else `$GITHUB_TOKEN`.
    pub token: Option<String>,
    /// The GitHub API; none: the one the search used.
    pub api_url: Option<String>,
    /// Docker Hub; none: the one the Hub filter used.
    pub hub_url: Option<String>,
    /// Repositories checked at once (1 to 64; none: 8).
    pub concurrency: Option<u16>,
}

/// `selection`, `selection_methods`, `selection_figure`, `selection_csv`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SelectionRequest {}

/// The methods paragraph.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SelectionMethods {
    /// The paragraph (Markdown: the query in backticks).
    pub text: String,
}

/// `export_selection_figure`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ExportSelectionFigure {
    /// The folder (absolute path; created if missing).
    pub dir: String,
}

/// `fetch_hub`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct FetchHub {
    /// Only this project's images (`owner/name`); none: every project's.
    pub project: Option<String>,
    /// Docker Hub; none: hub.docker.com.
    pub hub_url: Option<String>,
    /// Fetch again repositories fetched before.
    #[serde(default)]
    pub refresh: bool,
}

/// `hub_evidence`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct HubEvidenceRequest {
    /// `owner/name`.
    pub project: String,
}

fn hub_url(u: &Option<String>) -> ApiResult<Option<String>> {
    http_url(
        "Docker Hub URL",
        u,
        "Docker Hub, e.g. https://hub.docker.com",
    )
}

fn concurrency(c: Option<u16>, max: u16) -> ApiResult<usize> {
    let n = c.unwrap_or(8);
    if !(1..=max).contains(&n) {
        return Err(ApiError::invalid(format!(
            "concurrency: check 1 to {max} repositories at once"
        )));
    }
    Ok(usize::from(n))
}

impl Check for SelectSearch {
    fn check(&self) -> ApiResult<()> {
        input::line("query", &self.query, MAX_QUERY)?;
        input::opt_line("created until", &self.created_until, MAX_LABEL)?;
        github_api_url(&self.api_url)?;
        if let Some(t) = self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            super::corpus::check_token(t)?;
        }
        Ok(())
    }
}

impl Check for SelectFilter {
    fn check(&self) -> ApiResult<()> {
        for c in &self.criteria {
            match c {
                Criterion::Language { language } => input::line("language", language, MAX_LABEL)?,
                Criterion::PushedAfter { date } => input::line("pushed after", date, MAX_LABEL)?,
                _ => {}
            }
        }
        github_api_url(&self.api_url)?;
        hub_url(&self.hub_url)?;
        concurrency(self.concurrency, 64)?;
        if let Some(t) = self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            super::corpus::check_token(t)?;
        }
        Ok(())
    }
}

impl Check for SelectAccept {
    fn check(&self) -> ApiResult<()> {
        github_api_url(&self.api_url)?;
        concurrency(self.concurrency, 16)?;
        if let Some(t) = self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            super::corpus::check_token(t)?;
        }
        Ok(())
    }
}

impl Check for RerunSelection {
    fn check(&self) -> ApiResult<()> {
        github_api_url(&self.api_url)?;
        hub_url(&self.hub_url)?;
        concurrency(self.concurrency, 64)?;
        if let Some(t) = self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            super::corpus::check_token(t)?;
        }
        Ok(())
    }
}

impl Check for FetchHub {
    fn check(&self) -> ApiResult<()> {
        input::opt_line("project", &self.project, MAX_NAME)?;
        hub_url(&self.hub_url)?;
        Ok(())
    }
}

/// Runs the selection's search (or resumes it): GitHub's repository search split by
/// `created:` ranges past the 1,000-result cap, every count and page stored as it arrives.
pub fn select_search(
    ctx: &mut Ctx<'_>,
    req: SelectSearch,
    task: &Task<'_, SelectProgress>,
) -> ApiResult<Step> {
    req.check()?;
    let net = NetOptions {
        api_url: github_api_url(&req.api_url)?,
        hub_url: None,
        token: github_token(ctx.env, req.token.as_deref())?,
        concurrency: 1,
        cancel: Some(task.cancel_flag()),
    };
    Ok(ctx.study.select_search(
        &req.query,
        req.created_until.as_deref(),
        req.restart,
        &net,
        &|p| task.report(p),
    )?)
}

/// Applies filter criteria in order, each its own recorded step (or resumes them).
pub fn select_filter(
    ctx: &mut Ctx<'_>,
    req: SelectFilter,
    task: &Task<'_, SelectProgress>,
) -> ApiResult<Vec<Step>> {
    req.check()?;
    let net = NetOptions {
        api_url: github_api_url(&req.api_url)?,
        hub_url: hub_url(&req.hub_url)?,
        token: github_token(ctx.env, req.token.as_deref())?,
        concurrency: concurrency(req.concurrency, 64)?,
        cancel: Some(task.cancel_flag()),
    };
    Ok(ctx
        .study
        .select_filter(&req.criteria, &net, &|p| task.report(p))?)
}

/// Draws a random or stratified sample of the repositories still in, with a seed.
pub fn select_sample(ctx: &mut Ctx<'_>, req: SelectSample) -> ApiResult<Step> {
    input::opt_line("stratify", &req.stratify, MAX_LABEL)?;
    Ok(ctx
        .study
        .select_sample(req.size, req.seed, req.stratify.as_deref())?)
}

/// Imports the repositories still in the selection from GitHub as the corpus.
pub fn select_accept(
    ctx: &mut Ctx<'_>,
    req: SelectAccept,
    task: &Task<'_, SelectProgress>,
) -> ApiResult<Accepted> {
    req.check()?;
    let net = NetOptions {
        api_url: github_api_url(&req.api_url)?,
        hub_url: None,
        token: github_token(ctx.env, req.token.as_deref())?,
        concurrency: concurrency(req.concurrency, 16)?,
        cancel: Some(task.cancel_flag()),
    };
    Ok(ctx.study.select_accept(&net, &|p| task.report(p))?)
}

/// Re-runs the selection against today's GitHub and reports the drift.
pub fn rerun_selection(
    ctx: &mut Ctx<'_>,
    req: RerunSelection,
    task: &Task<'_, SelectProgress>,
) -> ApiResult<DriftReport> {
    req.check()?;
    let recorded = ctx.study.selection()?;
    let api_url = match github_api_url(&req.api_url)? {
        Some(u) => Some(u),
        None => recorded.steps.first().and_then(|s| s.api_url.clone()),
    };
    let hub = match hub_url(&req.hub_url)? {
        Some(u) => Some(u),
        None => recorded.steps.iter().find_map(|s| s.hub_url.clone()),
    };
    let net = NetOptions {
        api_url,
        hub_url: hub,
        token: github_token(ctx.env, req.token.as_deref())?,
        concurrency: concurrency(req.concurrency, 64)?,
        cancel: Some(task.cancel_flag()),
    };
    Ok(ctx.study.rerun_selection(&net, &|p| task.report(p))?)
}

/// The selection: every step with its parameters, counts and excluded repositories.
pub fn selection(ctx: &mut Ctx<'_>, _req: SelectionRequest) -> ApiResult<Selection> {
    Ok(ctx.study.selection()?)
}

/// `selection.csv` as text (one row per step, formulas neutralised).
pub fn selection_csv(ctx: &mut Ctx<'_>, _req: SelectionRequest) -> ApiResult<String> {
    Ok(crate::export::selection_csv(ctx.study)?)
}

/// The methods paragraph of the selection: query, dates, criteria with counts, seed.
pub fn selection_methods(ctx: &mut Ctx<'_>, _req: SelectionRequest) -> ApiResult<SelectionMethods> {
    match ctx.study.selection_methods()? {
        Some(text) => Ok(SelectionMethods { text }),
        None => Err(ApiError::invalid("the study has no corpus selection yet")),
    }
}

/// The selection's funnel as an SVG figure.
pub fn selection_figure(ctx: &mut Ctx<'_>, _req: SelectionRequest) -> ApiResult<RenderedFigure> {
    let figure = ctx
        .study
        .selection_funnel()?
        .ok_or_else(|| ApiError::invalid("the study has no corpus selection yet"))?;
    Ok(RenderedFigure {
        id: figure.id().to_string(),
        title: match &figure {
            codebench_figures::Figure::Bars(b) => b.title.clone(),
            codebench_figures::Figure::Boxes(b) => b.title.clone(),
        },
        svg: codebench_figures::svg(&figure).map_err(crate::Error::from)?,
    })
}

/// Writes the funnel figure as SVG and PNG into a folder; returns the files.
pub fn export_selection_figure(
    ctx: &mut Ctx<'_>,
    req: ExportSelectionFigure,
) -> ApiResult<Vec<String>> {
    let dir = input::path(&req.dir, "the folder")?;
    if dir.exists() && !dir.is_dir() {
        return Err(ApiError::invalid(format!(
            "'{}' is a file, not a folder",
            dir.display()
        )));
    }
    let figure = ctx
        .study
        .selection_funnel()?
        .ok_or_else(|| ApiError::invalid("the study has no corpus selection yet"))?;
    std::fs::create_dir_all(&dir).map_err(|e| crate::Error::io(&dir, e))?;
    Ok(codebench_figures::write(&figure, &dir)
        .map_err(crate::Error::from)?
        .into_iter()
        .map(|p| p.display().to_string())
        .collect())
}

/// Fetches the Docker Hub repositories the projects' image references name.
pub fn fetch_hub(
    ctx: &mut Ctx<'_>,
    req: FetchHub,
    task: &Task<'_, HubProgress>,
) -> ApiResult<HubFetchSummary> {
    req.check()?;
    let options = HubFetchOptions {
        hub_url: hub_url(&req.hub_url)?,
        refresh: req.refresh,
        cancel: Some(task.cancel_flag()),
    };
    Ok(ctx
        .study
        .fetch_hub(req.project.as_deref(), &options, &|p| task.report(p))?)
}

/// A project's Docker Hub evidence, for beside its README.
pub fn hub_evidence(ctx: &mut Ctx<'_>, req: HubEvidenceRequest) -> ApiResult<ProjectHub> {
    input::line("project", &req.project, MAX_NAME)?;
    Ok(ctx.study.hub_evidence(&req.project)?)
}
