//! `codebench agreement`, `overview`, `report` and `export`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use codebench::api::{self, analysis as an};

use crate::shell::{abs, Shell};
use crate::{say, Format};

/// How agreement is printed.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// An aligned table.
    Table,
    /// JSON (what the app receives).
    Json,
    /// CSV (the shape of agreement.csv).
    Csv,
}

/// `codebench agreement`.
#[derive(Args)]
pub struct AgreementArgs {
    /// A dimension id; repeat for several (default: every dimension, or the round's).
    #[arg(long = "dimension")]
    dimensions: Vec<String>,
    /// Raters to compare, comma-separated (default: the round's, else every rater with
    /// decisions in the dimension).
    #[arg(long, value_delimiter = ',')]
    raters: Option<Vec<String>>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Only the units of this round (its raters and dimension unless given); refused until
    /// the round is revealed.
    #[arg(long)]
    round: Option<String>,
    /// Compare people only: leave machine raters out (by default they count like anyone).
    #[arg(long)]
    no_machine: bool,
    /// Write the table (as agreement.csv holds it) to this file instead of printing it; a
    /// name ending in .png gets the overall results drawn as a figure.
    #[arg(long, value_name = "FILE", conflicts_with = "format")]
    out: Option<PathBuf>,
    /// List the units of one confusion-matrix cell instead: the code of the first rater of
    /// --pair (the row) and of the second (the column), e.g. --cell model,toolkit.
    #[arg(
        long,
        value_name = "ROW,COLUMN",
        value_delimiter = ',',
        num_args = 1,
        conflicts_with = "out"
    )]
    cell: Option<Vec<String>>,
    /// The cell's two raters, rows first (default: --raters when it names two).
    #[arg(long, value_name = "A,B", value_delimiter = ',', requires = "cell")]
    pair: Option<Vec<String>>,
    /// The cell's matrix: codes as given (leaf) or sub-codes merged into parents (collapsed).
    #[arg(long, value_enum, default_value_t = CellLevel::Leaf, requires = "cell")]
    level: CellLevel,
}

/// The level of a confusion matrix.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CellLevel {
    /// Codes as given.
    Leaf,
    /// Sub-codes merged into their parents.
    Collapsed,
}

/// Prints agreement.
pub fn agreement(sh: &Shell, a: AgreementArgs) -> anyhow::Result<()> {
    let request = an::AgreementRequest {
        dimensions: a.dimensions,
        raters: a.raters,
        round: a.round,
        include_machine: Some(!a.no_machine),
    };
    if let Some(cell) = &a.cell {
        let [row, column] = cell.as_slice() else {
            anyhow::bail!("--cell takes a row and a column code: --cell ROW,COLUMN");
        };
        let pair = match (&a.pair, &request.raters) {
            (Some(p), _) => p.clone(),
            (None, Some(r)) if r.len() == 2 => r.clone(),
            _ => anyhow::bail!("name the cell's two raters with --pair A,B (rows first)"),
        };
        let dimension = match request.dimensions.as_slice() {
            [d] => d.clone(),
            _ => anyhow::bail!("name the cell's dimension with one --dimension"),
        };
        let found = sh.call(
            api::agreement_units,
            an::AgreementUnitsRequest {
                request,
                cell: codebench::agreement::ConfusionCell {
                    dimension,
                    level: match a.level {
                        CellLevel::Leaf => codebench::agreement::Level::Leaf,
                        CellLevel::Collapsed => codebench::agreement::Level::Collapsed,
                    },
                    raters: pair,
                    row: row.clone(),
                    column: column.clone(),
                },
            },
        )?;
        if a.format == ReportFormat::Json {
            return crate::out::json(&found);
        }
        for unit in &found.units {
            say!("{unit}");
        }
        return Ok(());
    }
    if let Some(file) = &a.out {
        let w = sh.call(
            api::export_agreement,
            an::ExportAgreement {
                file: abs(file)?,
                request,
                raw: false,
            },
        )?;
        say!("wrote {} ({} rows)", w.path.display(), w.rows);
        return Ok(());
    }
    let report = sh.call(api::agreement, request)?;
    use codebench::agreement as ag;
    match a.format {
        ReportFormat::Json => crate::out::json(&report),
        ReportFormat::Csv => crate::out::raw(&codebench::export::report_csv(&report, false)?),
        ReportFormat::Table => crate::out::raw(&ag::to_table(&report)),
    }
}

/// `codebench overview`.
#[derive(Args)]
pub struct OverviewArgs {
    /// Count one source's codes: `consensus` or a rater (default: every decision you may see).
    #[arg(long)]
    labels: Option<String>,
    /// Count only this round's units.
    #[arg(long)]
    round: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Prints the overview.
pub fn overview(sh: &Shell, a: OverviewArgs) -> anyhow::Result<()> {
    let o = sh.call(
        api::overview,
        an::OverviewRequest {
            labels: a.labels,
            round: a.round,
        },
    )?;
    if a.format == Format::Json {
        return crate::out::json(&o);
    }
    say!("{} units", o.units);
    for r in &o.raters {
        say!(
            "rater {:<16} {} units coded, {} decisions, {} flagged",
            r.rater,
            r.coded_units,
            r.decisions,
            r.flagged
        );
    }
    for r in &o.rounds {
        let progress: Vec<String> = r
            .raters
            .iter()
            .map(|p| format!("{} {}/{}", p.rater, p.decided, p.total))
            .collect();
        say!(
            "round {:<12} {} units, {}  {}",
            r.name,
            r.units.len(),
            if r.revealed_at.is_some() {
                "revealed"
            } else {
                "blind"
            },
            progress.join(", ")
        );
    }
    let mut dim = String::new();
    for c in o.distribution.iter().filter(|c| c.count > 0) {
        if c.dimension != dim {
            dim = c.dimension.clone();
            say!("{dim}:");
        }
        say!("  {:<40} {}", c.name, c.count);
    }
    if o.hidden > 0 {
        say!(
            "{} decisions of other raters not counted: their rounds are not revealed yet",
            o.hidden
        );
    }
    Ok(())
}

/// Whose labels to compare with.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CompareWith {
    /// EASE 2022: 406 ML projects with Docker images.
    Ease2022,
}

/// How the report is printed.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportOut {
    /// Markdown.
    Md,
    /// One long CSV (table,row,column,value).
    Csv,
    /// JSON (what the app receives).
    Json,
}

/// `codebench report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Whose labels: `consensus` or a rater (default: the only rater, else the consensus).
    #[arg(long, visible_alias = "rater")]
    labels: Option<String>,
    /// Put the published figures of a study beside this study's.
    #[arg(long, value_enum)]
    compare: Option<CompareWith>,
    #[arg(long, value_enum, default_value_t = ReportOut::Md)]
    format: ReportOut,
    /// Also draw the paper's figures into this folder, each as SVG and PNG.
    #[arg(long)]
    figures: Option<PathBuf>,
}

/// Prints the report (and writes the figures).
pub fn report(sh: &Shell, a: ReportArgs) -> anyhow::Result<()> {
    let ease2022 = a.compare == Some(CompareWith::Ease2022);
    if let Some(dir) = &a.figures {
        let written = sh.call(
            api::export_figures,
            an::ExportFigures {
                dir: abs(dir)?,
                labels: a.labels.clone(),
                ease2022,
            },
        )?;
        eprintln!(
            "{} figures written to {} ({} files, SVG and PNG)",
            written.len() / 2,
            dir.display(),
            written.len()
        );
    }
    let report = sh.call(
        api::report,
        an::ReportRequest {
            labels: a.labels,
            ease2022,
        },
    )?;
    match a.format {
        ReportOut::Md => crate::out::raw(&report.to_markdown()),
        ReportOut::Csv => crate::out::raw(&report.to_csv()?),
        ReportOut::Json => crate::out::json(&report),
    }
}

/// `codebench export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "export")]
    out: PathBuf,
    /// Write text cells as they are: no `'` before cells a spreadsheet would run as formulas.
    #[arg(long)]
    raw: bool,
    /// Write the study as a REFI-QDA project (.qdpx) to this file instead of the tables (for
    /// ATLAS.ti, MAXQDA, NVivo, QualCoder).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "raw", "no_machine"])]
    qdpx: Option<PathBuf>,
    /// Leave machine raters out of the tables (people only; history.csv stays whole).
    #[arg(long)]
    no_machine: bool,
}

/// Writes the `.qdpx` project and says what it holds.
fn export_qdpx(sh: &Shell, file: &std::path::Path) -> anyhow::Result<()> {
    let e = sh.call(api::export_qdpx, api::qdpx::ExportQdpx { file: abs(file)? })?;
    say!(
        "wrote {}: {} users, {} codes, {} sources in {} cases, {} codings, {} selections, {} notes",
        e.path,
        e.users,
        e.codes,
        e.sources,
        e.cases,
        e.codings,
        e.selections,
        e.notes
    );
    if e.withheld > 0 {
        say!(
            "{} decisions, evidence and consensus of other raters left out: their rounds are not revealed yet",
            e.withheld
        );
    }
    if e.decisions_without_codes > 0 {
        say!(
            "{} decisions with no code are not in the file (REFI-QDA codes only what has a code)",
            e.decisions_without_codes
        );
    }
    for q in &e.evidence_not_found {
        say!("evidence left out, its quote is not in the stored text: {q}");
    }
    Ok(())
}

/// Writes the export tables (or, with `--qdpx`, the REFI-QDA project).
pub fn export(sh: &Shell, a: ExportArgs) -> anyhow::Result<()> {
    if let Some(file) = &a.qdpx {
        return export_qdpx(sh, file);
    }
    let e = sh.call(
        api::export_tables,
        an::ExportTables {
            dir: abs(&a.out)?,
            raw: a.raw,
            include_machine: Some(!a.no_machine),
        },
    )?;
    for w in &e.files {
        say!("wrote {} ({} rows)", w.path.display(), w.rows);
    }
    if e.withheld > 0 {
        say!(
            "{} decisions and evidence of other raters left out: their rounds are not revealed yet",
            e.withheld
        );
    }
    Ok(())
}
