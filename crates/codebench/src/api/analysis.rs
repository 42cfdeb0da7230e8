//! Analysis: agreement, the overview, the paper's tables and figures, and the exports.
//!
//! Agreement never counts a blind pair: a unit in a round not revealed yet is left out of the
//! statistics, and asking for an unrevealed round's agreement is refused.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_LABEL, MAX_LIST, MAX_NAME};
use super::{ApiError, ApiResult, Ctx};
use crate::agreement::Report as AgreementReport;
use crate::export::Written as ExportWritten;
use crate::figures::RenderedFigure;
use crate::overview::Overview;
use crate::report::{Compare, Labels, Report};

/// Most dimensions in one agreement request.
pub const MAX_DIMENSIONS: usize = 100;

/// `agreement`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AgreementRequest {
    /// Dimension ids (none: every dimension, or the round's).
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Raters to compare (none: the round's assigned raters, else every rater with decisions
    /// in the dimension).
    pub raters: Option<Vec<String>>,
    /// Only this round's units (refused until it is revealed).
    pub round: Option<String>,
    /// Count machine raters (default: yes); `false` compares people only.
    pub include_machine: Option<bool>,
}

/// Agreement between raters: the kappa family with confidence intervals, per code for
/// many-code dimensions, at the leaf level and with sub-codes collapsed. The same request
/// gives the same report from the CLI and the app.
pub fn agreement(ctx: &mut Ctx<'_>, req: AgreementRequest) -> ApiResult<AgreementReport> {
    input::list("dimension", &req.dimensions, MAX_DIMENSIONS, MAX_LABEL)?;
    if let Some(r) = &req.raters {
        input::list("rater", r, MAX_LIST, MAX_NAME)?;
    }
    input::opt_line("round", &req.round, MAX_LABEL)?;
    let (report, computed) = ctx.study.agreement_for(&crate::agreement::Scope {
        dimensions: req.dimensions,
        raters: req.raters,
        round: req.round,
        exclude_machine: !req.include_machine.unwrap_or(true),
    })?;
    if computed.is_empty() {
        return Err(ApiError::invalid(
            "agreement needs two raters who decided the same units (outside rounds not revealed yet)",
        ));
    }
    Ok(report)
}

/// `export_agreement`: the agreement asked for, written to a file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ExportAgreement {
    /// The CSV file to write (absolute path; its folder is created if missing).
    pub file: String,
    /// What to compare: the same request as `agreement`.
    #[serde(default)]
    pub request: AgreementRequest,
    /// Write text cells as they are, without neutralising spreadsheet formulas.
    #[serde(default)]
    pub raw: bool,
}

/// Writes the agreement of exactly this request (what the screen shows) as `agreement.csv`
/// holds it: the same table `codebench agreement --format csv` prints.
pub fn export_agreement(
    ctx: &mut Ctx<'_>,
    req: ExportAgreement,
) -> ApiResult<crate::export::Written> {
    let file = input::path(&req.file, "the file")?;
    if file.is_dir() {
        return Err(ApiError::invalid(format!(
            "{} is a folder, not a file",
            file.display()
        )));
    }
    let report = agreement(ctx, req.request)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ApiError::from(crate::Error::io(dir, e)))?;
    }
    Ok(crate::export::write_agreement(&report, &file, req.raw)?)
}

/// `overview`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct OverviewRequest {
    /// Count one source's labels: `consensus` or a rater (none: every decision the viewer may
    /// see, pooled).
    pub labels: Option<String>,
    /// Count only this round's units.
    pub round: Option<String>,
}

/// The study at a glance for the viewer: raters' and rounds' progress, code counts.
pub fn overview(ctx: &mut Ctx<'_>, req: OverviewRequest) -> ApiResult<Overview> {
    input::opt_line("labels", &req.labels, MAX_NAME)?;
    input::opt_line("round", &req.round, MAX_LABEL)?;
    let labels = req.labels.as_deref().map(Labels::parse);
    Ok(ctx
        .study
        .overview(ctx.viewer.as_deref(), labels.as_ref(), req.round.as_deref())?)
}

/// `report` and `figures`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ReportRequest {
    /// Whose labels: `consensus` or a rater (none: the only rater, else the consensus).
    pub labels: Option<String>,
    /// Put the EASE 2022 figures beside this study's.
    #[serde(default)]
    pub ease2022: bool,
}

fn labels_of(ctx: &Ctx<'_>, named: &Option<String>) -> ApiResult<Labels> {
    input::opt_line("labels", named, MAX_NAME)?;
    Ok(match named {
        Some(n) => Labels::parse(n),
        None => ctx.study.default_labels()?,
    })
}

fn compare(ease2022: bool) -> Compare {
    if ease2022 {
        Compare::Ease2022
    } else {
        Compare::None
    }
}

/// The paper's tables from a rater's labels or from the consensus, with the units each
/// dimension has no label for.
pub fn report(ctx: &mut Ctx<'_>, req: ReportRequest) -> ApiResult<Report> {
    let labels = labels_of(ctx, &req.labels)?;
    Ok(ctx
        .study
        .report(&labels, ctx.viewer.as_deref(), compare(req.ease2022))?)
}

/// The paper's figures as SVG documents, from the same labels as the report.
pub fn figures(ctx: &mut Ctx<'_>, req: ReportRequest) -> ApiResult<Vec<RenderedFigure>> {
    let labels = labels_of(ctx, &req.labels)?;
    Ok(ctx
        .study
        .figures_svg(&labels, ctx.viewer.as_deref(), compare(req.ease2022))?)
}

/// `export_figures`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ExportFigures {
    /// The folder (absolute path; created if missing).
    pub dir: String,
    /// Whose labels (as for the report).
    pub labels: Option<String>,
    /// Put the EASE 2022 figures beside.
    #[serde(default)]
    pub ease2022: bool,
}

/// Writes the figures as SVG and PNG into a folder; returns the files written.
pub fn export_figures(ctx: &mut Ctx<'_>, req: ExportFigures) -> ApiResult<Vec<String>> {
    let dir = output_folder(&req.dir)?;
    let labels = labels_of(ctx, &req.labels)?;
    Ok(ctx
        .study
        .write_figures(&labels, ctx.viewer.as_deref(), compare(req.ease2022), &dir)?
        .into_iter()
        .map(|p| p.display().to_string())
        .collect())
}

/// `export_tables`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ExportTables {
    /// The folder (absolute path; created if missing).
    pub dir: String,
    /// Write text cells as they are, without neutralising spreadsheet formulas.
    #[serde(default)]
    pub raw: bool,
    /// Count machine raters (default: yes); `false` writes the tables of people only.
    pub include_machine: Option<bool>,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Exported {
    /// Every file, with its rows.
    pub files: Vec<ExportWritten>,
    /// Decisions and evidence of other raters left out: their round is not revealed yet.
    pub withheld: usize,
}

/// A folder given by the user: absolute, created if missing, not a file.
fn output_folder(dir: &str) -> ApiResult<std::path::PathBuf> {
    let path = input::path(dir, "the folder")?;
    if path.exists() && !path.is_dir() {
        return Err(ApiError::invalid(format!(
            "'{}' is a file, not a folder",
            path.display()
        )));
    }
    Ok(path)
}

/// Writes every export table (CSV) into a folder, as the viewer may see the study.
pub fn export_tables(ctx: &mut Ctx<'_>, req: ExportTables) -> ApiResult<Exported> {
    let dir = output_folder(&req.dir)?;
    let opts = crate::export::ExportOptions {
        viewer: ctx.viewer.clone(),
        raw: req.raw,
        exclude_machine: !req.include_machine.unwrap_or(true),
    };
    let (files, withheld) = crate::export::export_all(ctx.study, &dir, &opts)?;
    Ok(Exported { files, withheld })
}
