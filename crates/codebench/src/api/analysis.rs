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
    let (report, computed) = ctx.study.agreement_for(&scope_of(req)?)?;
    if computed.is_empty() {
        return Err(ApiError::invalid(
            "agreement needs two raters who decided the same units (outside rounds not revealed yet)",
        ));
    }
    Ok(report)
}

/// `agreement_units`: one confusion-matrix cell of an agreement.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AgreementUnitsRequest {
    /// The agreement the matrix belongs to: the same request as `agreement`.
    #[serde(default)]
    pub request: AgreementRequest,
    /// The cell: dimension, level, the two raters, row and column.
    pub cell: crate::agreement::ConfusionCell,
}

/// The units behind a confusion-matrix cell.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AgreementUnits {
    /// The cell asked for.
    pub cell: crate::agreement::ConfusionCell,
    /// Its units, in name order; as many as the cell counts.
    pub units: Vec<String>,
}

/// The units a confusion-matrix cell counts (rows: the first rater's code, columns: the
/// second's), so a disagreement can be opened and reconciled. As blind as the agreement: an
/// unrevealed round is refused, units of unrevealed rounds are never listed.
pub fn agreement_units(ctx: &mut Ctx<'_>, req: AgreementUnitsRequest) -> ApiResult<AgreementUnits> {
    input::list("rater", &req.cell.raters, 2, MAX_NAME)?;
    for (field, value) in [
        ("dimension", &req.cell.dimension),
        ("row", &req.cell.row),
        ("column", &req.cell.column),
    ] {
        input::line(field, value, MAX_LABEL)?;
    }
    let scope = scope_of(req.request)?;
    let units = ctx.study.confusion_units(&scope, &req.cell)?;
    Ok(AgreementUnits {
        cell: req.cell,
        units,
    })
}

/// An agreement request checked and read as the core's [`crate::agreement::Scope`].
fn scope_of(req: AgreementRequest) -> ApiResult<crate::agreement::Scope> {
    input::list("dimension", &req.dimensions, MAX_DIMENSIONS, MAX_LABEL)?;
    if let Some(r) = &req.raters {
        input::list("rater", r, MAX_LIST, MAX_NAME)?;
    }
    input::opt_line("round", &req.round, MAX_LABEL)?;
    Ok(crate::agreement::Scope {
        dimensions: req.dimensions,
        raters: req.raters,
        round: req.round,
        exclude_machine: !req.include_machine.unwrap_or(true),
    })
}

/// `export_agreement`: the agreement asked for, written to a file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ExportAgreement {
    /// The file to write (absolute path; its folder is created if missing): a CSV, or a PNG
    /// figure of the overall results when the name ends in `.png`.
    pub file: String,
    /// What to compare: the same request as `agreement`.
    #[serde(default)]
    pub request: AgreementRequest,
    /// Write text cells as they are, without neutralising spreadsheet formulas.
    #[serde(default)]
    pub raw: bool,
}

/// Writes the agreement of exactly this request (what the screen shows) as `agreement.csv`
/// holds it: the same table `codebench agreement --format csv` prints; or, to a `.png` file,
/// the overall results drawn as bars (`rows` then counts the bars).
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
    let scope = match &req.request.round {
        Some(r) => format!("round {r}"),
        None => "all units".to_string(),
    };
    let report = agreement(ctx, req.request)?;
    let png = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    let figure = if png {
        let book = ctx.study.codebook()?;
        let name_of = |id: &str| {
            book.dimension(id)
                .map_or_else(|| id.to_string(), |d| d.name.clone())
        };
        let figure =
            crate::figures::agreement_figure(&report, &name_of, &scope).ok_or_else(|| {
                ApiError::invalid("no agreement value to draw: every result is undefined")
            })?;
        Some(figure)
    } else {
        None
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ApiError::from(crate::Error::io(dir, e)))?;
    }
    match figure {
        Some(figure) => {
            let bytes = codebench_figures::png(&figure).map_err(crate::Error::from)?;
            crate::export::write_file_atomic(&file, &bytes)?;
            let bars = match &figure {
                crate::figures::Figure::Bars(b) => b.categories.len(),
                crate::figures::Figure::Boxes(b) => b.groups.len(),
            };
            Ok(crate::export::Written {
                path: file,
                rows: bars,
            })
        }
        None => Ok(crate::export::write_agreement(&report, &file, req.raw)?),
    }
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
