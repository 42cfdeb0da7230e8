//! `codebench`: the command line of Codebench. A thin shell: parse arguments, call the core,
//! print the result. Exit codes: 0 success, 1 failure (one message on stderr), 2 usage error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use codebench::codebook::Codebook;
use codebench::coding::DecisionInput;
use codebench::Study;

mod github;
mod image;
mod merge;
mod reconcile;
mod round;

#[derive(Parser)]
#[command(
    name = "codebench",
    version,
    about = "Qualitative coding of software repositories: studies, decisions, agreement, metrics, exports"
)]
struct Cli {
    /// The study file (default: $CODEBENCH_STUDY, else ./study.codebench).
    #[arg(long, global = true, value_name = "FILE")]
    study: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new study (with the ml-docker-2022 codebook unless --codebook is given).
    Init {
        /// A codebook JSON file.
        #[arg(long, value_name = "FILE")]
        codebook: Option<PathBuf>,
        /// Create the sample study (fictional projects) instead of an empty one.
        #[arg(long, conflicts_with = "codebook")]
        sample: bool,
    },
    /// What the study holds: projects, units, raters and their decisions.
    Status {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show or export the study's codebook.
    #[command(subcommand)]
    Codebook(CodebookCmd),
    /// Bring projects or codings into the study.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Manage raters.
    #[command(subcommand)]
    Raters(RatersCmd),
    /// Record one rater's decision on one unit.
    Code(CodeArgs),
    /// List the study's units (projects and Dockerfiles).
    Units {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Agreement between raters: kappa family with confidence intervals, per code for
    /// many-code dimensions, at the leaf level and with sub-codes collapsed.
    Agreement {
        /// A dimension id; repeat for several (default: every dimension).
        #[arg(long = "dimension")]
        dimensions: Vec<String>,
        /// Raters to compare, comma-separated (default: every rater).
        #[arg(long, value_delimiter = ',')]
        raters: Option<Vec<String>>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Only the units of this round (its raters and dimension unless given).
        #[arg(long)]
        round: Option<String>,
    },
    /// The reference study's tables computed from this study (kinds, purposes, instruction
    /// shares, RUN categories, base images and their types).
    Report {
        /// Whose labels to use (default: the only rater, if there is one).
        #[arg(long)]
        rater: Option<String>,
        /// Put the published figures of a study beside this study's.
        #[arg(long, value_enum)]
        compare: Option<CompareWith>,
        #[arg(long, value_enum, default_value_t = ReportOut::Md)]
        format: ReportOut,
        /// Also draw the paper's figures into this folder, each as SVG and PNG.
        #[arg(long)]
        figures: Option<PathBuf>,
    },
    /// Open the desktop app on this study at a unit (owner/name or owner/name:path).
    Open {
        /// The unit to open.
        unit: String,
    },
    /// Reconcile disagreements: the queue, consensus decisions, bulk acceptance.
    #[command(subcommand)]
    Reconcile(reconcile::ReconcileCmd),
    /// Rounds of blind coding: sample, assign, reveal.
    #[command(subcommand)]
    Round(round::RoundCmd),
    /// Merge another copy of this study (a rater's) into this one.
    Merge(merge::MergeArgs),
    /// Analyse files without a study.
    #[command(subcommand)]
    Analyze(AnalyzeCmd),
    /// Compute metrics for the study's projects.
    #[command(subcommand)]
    Metrics(MetricsCmd),
    /// Quotes from a README or Dockerfile attached to a code of a decision.
    #[command(subcommand)]
    Evidence(EvidenceCmd),
    /// Docker Hub image references of the projects, with where they were found; add or
    /// remove them by hand.
    Images(github::ImagesArgs),
    /// Background jobs (Dockerfile and image metrics): list, cancel, retry.
    Jobs {
        #[command(subcommand)]
        cmd: Option<image::JobsCmd>,
    },
    /// Write the export tables (CSV) into a folder.
    Export {
        /// The folder (created if missing).
        #[arg(long, value_name = "DIR", default_value = "export")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CompareWith {
    /// EASE 2022: 406 ML projects with Docker images.
    Ease2022,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ReportOut {
    Md,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ReportFormat {
    Table,
    Json,
    Csv,
}

#[derive(Subcommand)]
enum CodebookCmd {
    /// Print the dimensions and codes.
    Show {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Propose a new code while coding (status proposed).
    Propose {
        #[arg(long)]
        dimension: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        definition: String,
        /// Make it a sub-code of this code.
        #[arg(long)]
        parent: Option<String>,
        /// Who proposes it (a rater).
        #[arg(long)]
        by: String,
    },
    /// Rename a code (its id and its decisions stay).
    Rename {
        #[arg(long)]
        dimension: String,
        code: String,
        new_name: String,
        #[arg(long)]
        by: String,
    },
    /// Retire a code (old decisions keep it; it is not offered anew), or bring it back.
    Retire {
        #[arg(long)]
        dimension: String,
        code: String,
        #[arg(long)]
        by: String,
        /// Make the code active again (also accepts a proposed code).
        #[arg(long)]
        undo: bool,
    },
    /// Merge one code into another: every decision with FROM gets INTO; FROM is removed.
    Merge {
        #[arg(long)]
        dimension: String,
        from: String,
        into: String,
        #[arg(long)]
        by: String,
    },
    /// Split a code into new codes (NAME=definition, at least two); the old code is retired and
    /// the units to recode are listed.
    Split {
        #[arg(long)]
        dimension: String,
        code: String,
        #[arg(required = true, num_args = 2..)]
        into: Vec<String>,
        #[arg(long)]
        by: String,
    },
    /// Replace the study's codebook (JSON or .qdc) before coding starts.
    Import {
        /// The codebook file.
        file: PathBuf,
    },
    /// Write the codebook to a file.
    Export {
        #[arg(long, value_enum, default_value_t = CodebookFormat::Json)]
        format: CodebookFormat,
        /// Where to write it.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CodebookFormat {
    /// Codebench's JSON format (schema/codebook.schema.json).
    Json,
    /// REFI-QDA codebook (urn:QDA-XML:codebook:1.0) for ATLAS.ti, MAXQDA, NVivo, QualCoder.
    Qdc,
}

#[derive(Subcommand)]
enum ImportCmd {
    /// Checkouts on disk: the README, every Dockerfile, compose and workflow files.
    Local {
        /// Record READMEs and Dockerfiles that are too large or not UTF-8 without their text,
        /// instead of refusing the import.
        #[arg(long)]
        lenient: bool,
        /// The checkout folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// One column of labels from any CSV, as one rater's decisions (e.g. a published
    /// study's spreadsheet: --rater ease2022 --dimension kind --unit-column repos
    /// --code-column manual_topic).
    Labels {
        #[arg(long)]
        rater: String,
        #[arg(long)]
        dimension: String,
        #[arg(long)]
        unit_column: String,
        #[arg(long)]
        code_column: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// Repositories from GitHub (token from $GITHUB_TOKEN): metadata, README, Dockerfiles,
    /// compose and workflow files, image references. Resumes where an earlier run stopped.
    Github(github::ImportGithubArgs),
    /// Decisions from a CSV: rater,unit,dimension,code[,memo,flagged,coded_at], one row per code.
    Codings {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AnalyzeCmd {
    /// Parse Dockerfiles as BuildKit does and compute the study's metrics (no study needed).
    Dockerfile {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The Dockerfiles.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Container image metrics (layers, files, directory levels, sizes) from a registry, an
    /// OCI layout, a docker-save archive or a skopeo dir (no study needed).
    Image(image::ImageArgs),
}

#[derive(Subcommand)]
enum MetricsCmd {
    /// Compute what is missing (or, with --all, everything again).
    Run {
        /// Dockerfile analyses (stored per distinct Dockerfile text).
        #[arg(long)]
        dockerfiles: bool,
        /// Recompute even what is already there.
        #[arg(long)]
        all: bool,
        /// Image metrics, as jobs (references from the study, and --image).
        #[arg(long)]
        images: bool,
        /// Only this project (owner/name).
        #[arg(long, value_name = "OWNER/NAME")]
        project: Option<String>,
        /// Also queue this image reference; repeat for several (implies --images).
        #[arg(long = "image", value_name = "REF")]
        image_refs: Vec<String>,
        /// Images analysed at once.
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
        #[command(flatten)]
        registry: image::RegistryFlags,
    },
}

#[derive(Subcommand)]
enum EvidenceCmd {
    /// Attach a quote to a code of the rater's decision.
    Add {
        #[arg(long)]
        rater: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        dimension: String,
        #[arg(long)]
        code: String,
        /// The file quoted (README.md, docker/Dockerfile, ...).
        #[arg(long)]
        file: String,
        /// The passage.
        #[arg(long)]
        quote: String,
        /// Lines, as N or N-M.
        #[arg(long)]
        lines: Option<String>,
    },
    /// List evidence (of one rater).
    List {
        #[arg(long)]
        rater: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Remove a piece of evidence by id.
    Remove {
        id: i64,
        #[arg(long)]
        by: String,
    },
}

#[derive(Subcommand)]
enum RatersCmd {
    /// Add a rater.
    Add { name: String },
    /// List raters.
    List,
}

#[derive(Args)]
struct CodeArgs {
    /// The rater's name.
    #[arg(long)]
    rater: String,
    /// The unit: owner/name, or owner/name:path/to/Dockerfile.
    #[arg(long)]
    unit: String,
    /// The dimension id (e.g. kind, purpose).
    #[arg(long)]
    dimension: String,
    /// A code (id, name or alias); repeat for several. None: an empty decision.
    #[arg(long = "code")]
    codes: Vec<String>,
    /// A memo.
    #[arg(long)]
    memo: Option<String>,
    /// Flag the unit for discussion.
    #[arg(long)]
    flag: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codebench: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn study_path(cli: &Cli) -> PathBuf {
    cli.study
        .clone()
        .or_else(|| std::env::var_os("CODEBENCH_STUDY").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("study.codebench"))
}

fn open(path: &Path) -> Result<Study> {
    Ok(Study::open(path)?)
}

/// The desktop app: `codebench-app` beside this binary, else on the PATH.
fn app_binary() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("codebench-app")));
    match beside {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("codebench-app"),
    }
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    let path = study_path(&cli);
    match cli.command {
        Command::Init { codebook, sample } => {
            if sample {
                codebench::sample::create(&path)?;
            } else {
                let book = match codebook {
                    Some(f) => Codebook::from_file(&f)?,
                    None => Codebook::shipped(),
                };
                Study::create(&path, &book)?;
            }
            println!("created {}", path.display());
        }
        Command::Status { format } => {
            let s = open(&path)?.status()?;
            if format == Format::Json {
                return print_json(&s);
            }
            println!("study      {}", s.path);
            println!("codebook   {}", s.codebook);
            println!(
                "projects   {} ({} changed upstream, {} with problems)",
                s.projects, s.projects_changed, s.projects_with_problems
            );
            println!(
                "units      {} projects, {} Dockerfiles",
                s.project_units, s.dockerfile_units
            );
            println!("decisions  {}", s.decisions);
            for r in &s.raters {
                let per: Vec<String> = r
                    .decisions
                    .iter()
                    .map(|d| format!("{} {}", d.dimension, d.count))
                    .collect();
                println!(
                    "  rater {:<16} {}",
                    r.name,
                    if per.is_empty() {
                        "no decisions yet".into()
                    } else {
                        per.join(", ")
                    }
                );
            }
        }
        Command::Codebook(CodebookCmd::Show { format }) => {
            let book = open(&path)?.codebook()?;
            if format == Format::Json {
                print!("{}", book.to_json());
                return Ok(());
            }
            let uses = open(&path)?.code_use_counts()?;
            println!("{} {}: {}", book.id, book.version, book.name);
            for d in &book.dimensions {
                println!(
                    "\n{} ({}; unit {}; {} code{} per decision)",
                    d.id,
                    d.name,
                    d.unit.as_str(),
                    d.cardinality.as_str(),
                    if d.cardinality.as_str() == "one" {
                        ""
                    } else {
                        "s"
                    }
                );
                for c in &d.codes {
                    let indent = if c.parent.is_some() { "    " } else { "  " };
                    let status = if c.status.as_str() == "active" {
                        String::new()
                    } else {
                        format!(" [{}]", c.status.as_str())
                    };
                    let n = uses
                        .get(&(d.id.clone(), c.id.clone()))
                        .copied()
                        .unwrap_or(0);
                    let used = if n > 0 {
                        format!("  ({n} decision{})", if n == 1 { "" } else { "s" })
                    } else {
                        String::new()
                    };
                    println!("{indent}{:<28} {}{status}{used}", c.id, c.name);
                }
            }
        }
        Command::Codebook(CodebookCmd::Export { format, file }) => {
            let book = open(&path)?.codebook()?;
            let text = match format {
                CodebookFormat::Json => book.to_json(),
                CodebookFormat::Qdc => codebench::qdc::to_qdc(&book),
            };
            std::fs::write(&file, text).with_context(|| format!("{}", file.display()))?;
            println!("wrote {}", file.display());
        }
        Command::Codebook(CodebookCmd::Propose {
            dimension,
            name,
            definition,
            parent,
            by,
        }) => {
            let c = open(&path)?.propose_code(
                &dimension,
                &name,
                &definition,
                parent.as_deref(),
                &by,
            )?;
            println!("proposed {} ({}) in {dimension}", c.id, c.name);
        }
        Command::Codebook(CodebookCmd::Rename {
            dimension,
            code,
            new_name,
            by,
        }) => {
            open(&path)?.rename_code(&dimension, &code, &new_name, &by)?;
            println!("renamed {code} to '{new_name}'");
        }
        Command::Codebook(CodebookCmd::Retire {
            dimension,
            code,
            by,
            undo,
        }) => {
            use codebench::codebook::CodeStatus;
            let status = if undo {
                CodeStatus::Active
            } else {
                CodeStatus::Retired
            };
            open(&path)?.set_code_status(&dimension, &code, status, &by)?;
            println!("{code} is now {}", status.as_str());
        }
        Command::Codebook(CodebookCmd::Merge {
            dimension,
            from,
            into,
            by,
        }) => {
            let n = open(&path)?.merge_codes(&dimension, &from, &into, &by)?;
            println!("merged {from} into {into}; {n} decisions remapped");
        }
        Command::Codebook(CodebookCmd::Split {
            dimension,
            code,
            into,
            by,
        }) => {
            let parts: Vec<(String, String)> = into
                .iter()
                .map(|p| match p.split_once('=') {
                    Some((n, d)) => (n.to_string(), d.to_string()),
                    None => (p.clone(), String::new()),
                })
                .collect();
            let (created, units) = open(&path)?.split_code(&dimension, &code, &parts, &by)?;
            println!(
                "split {code} into {}; {code} is retired",
                created
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for u in units {
                println!("  to recode: {u}");
            }
        }
        Command::Codebook(CodebookCmd::Import { file }) => {
            let book = Codebook::from_file(&file)?;
            open(&path)?.replace_codebook(&book)?;
            println!(
                "the study now codes with {} {} ({} dimensions)",
                book.id,
                book.version,
                book.dimensions.len()
            );
        }
        Command::Import(ImportCmd::Local { lenient, dirs }) => {
            let mut study = open(&path)?;
            for r in study.import_local(&dirs, lenient)? {
                let s = &r.stored;
                println!(
                    "{:<40} {:<9} {} Dockerfile{}, {}{}",
                    s.project,
                    s.outcome,
                    s.dockerfiles,
                    if s.dockerfiles == 1 { "" } else { "s" },
                    if s.readme { "README" } else { "no README" },
                    s.commit
                        .as_deref()
                        .map(|c| format!(", commit {}", &c[..c.len().min(12)]))
                        .unwrap_or_default()
                );
                for skipped in &s.skipped {
                    println!("  recorded without text: {skipped}");
                }
            }
        }
        Command::Import(ImportCmd::Labels {
            rater,
            dimension,
            unit_column,
            code_column,
            file,
        }) => {
            let cols = codebench::coding::LabelColumns {
                rater,
                dimension,
                unit_column,
                code_column,
            };
            let s = open(&path)?.import_labels(&file, &cols)?;
            println!(
                "{} decisions recorded, {} unchanged, {} rows without a label skipped",
                s.recorded, s.unchanged, s.skipped_empty
            );
        }
        Command::Import(ImportCmd::Github(a)) => github::import(&mut open(&path)?, a)?,
        Command::Images(a) => github::images(&mut open(&path)?, a)?,
        Command::Import(ImportCmd::Codings { file }) => {
            let mut study = open(&path)?;
            let s = study.import_codings(&file)?;
            println!(
                "{} new, {} changed, {} unchanged decisions",
                s.created, s.updated, s.unchanged
            );
            if !s.raters_added.is_empty() {
                println!("raters added: {}", s.raters_added.join(", "));
            }
        }
        Command::Raters(RatersCmd::Add { name }) => {
            let r = open(&path)?.add_rater(&name)?;
            println!("added rater {}", r.name);
        }
        Command::Raters(RatersCmd::List) => {
            for r in open(&path)?.raters()? {
                println!("{}", r.name);
            }
        }
        Command::Code(a) => {
            let mut study = open(&path)?;
            let input = DecisionInput {
                rater: a.rater,
                unit: a.unit,
                dimension: a.dimension,
                codes: a.codes,
                memo: a.memo,
                flagged: a.flag.then_some(true),
            };
            let (change, d) = study.record(&input)?;
            println!(
                "{:?}: {} {} {} = [{}]",
                change,
                d.rater,
                d.unit,
                d.dimension,
                d.codes.join(", ")
            );
        }
        Command::Units { format } => {
            let units = open(&path)?.units()?;
            if format == Format::Json {
                return print_json(&units);
            }
            for u in units {
                println!("{:<10} {}", u.kind, u.name);
            }
        }
        Command::Agreement {
            dimensions,
            raters,
            format,
            round,
        } => {
            let study = open(&path)?;
            let report = match round {
                None => study.agreement(&dimensions, raters.as_deref(), &Default::default())?,
                Some(name) => {
                    let r = study.round(&name)?;
                    let units = study.round_units(&name)?;
                    let dims = match (dimensions.is_empty(), &r.dimension) {
                        (true, Some(d)) => vec![d.clone()],
                        _ => dimensions,
                    };
                    let assigned: Vec<String> = r.raters.into_iter().map(|p| p.rater).collect();
                    let raters = raters.or((assigned.len() >= 2).then_some(assigned));
                    study.agreement_of_units(
                        &dims,
                        raters.as_deref(),
                        Some(&units),
                        &Default::default(),
                    )?
                }
            };
            use codebench::agreement as ag;
            match format {
                ReportFormat::Json => println!("{}", ag::to_json(&report)),
                ReportFormat::Csv => print!("{}", ag::to_csv(&report)),
                ReportFormat::Table => print!("{}", ag::to_table(&report)),
            }
        }
        Command::Report {
            rater,
            compare,
            format,
            figures,
        } => {
            let study = open(&path)?;
            let rater = study.report_rater(rater.as_deref())?;
            let cmp = match compare {
                Some(CompareWith::Ease2022) => codebench::report::Compare::Ease2022,
                None => codebench::report::Compare::None,
            };
            if let Some(dir) = figures {
                let written = study.write_figures(&rater, cmp, &dir)?;
                eprintln!(
                    "{} figures written to {} ({} files, SVG and PNG)",
                    written.len() / 2,
                    dir.display(),
                    written.len()
                );
            }
            let report = study.report(&rater, cmp)?;
            match format {
                ReportOut::Md => print!("{}", report.to_markdown()),
                ReportOut::Csv => print!("{}", report.to_csv()?),
                ReportOut::Json => print_json(&report)?,
            }
        }
        Command::Open { unit } => {
            let study = open(&path)?;
            study.unit(&unit)?; // a clear error for an unknown unit, before starting a window
            let app = app_binary();
            let status = std::process::Command::new(&app)
                .arg("--study")
                .arg(study.path())
                .arg("--open")
                .arg(&unit)
                .spawn()
                .with_context(|| format!("starting the app ({})", app.display()))?;
            println!("opened {unit} in the app (pid {})", status.id());
        }
        Command::Reconcile(cmd) => reconcile::run(&path, cmd)?,
        Command::Round(cmd) => round::run(&path, cmd)?,
        Command::Merge(args) => merge::run(&path, args)?,
        Command::Analyze(AnalyzeCmd::Dockerfile { format, files }) => {
            let mut results = Vec::new();
            for f in &files {
                let bytes = std::fs::read(f).with_context(|| format!("{}", f.display()))?;
                results.push(codebench::dockerfile::analyze(
                    &f.display().to_string(),
                    &bytes,
                ));
            }
            if format == Format::Json {
                return print_json(&results);
            }
            for a in &results {
                print_dockerfile_summary(a);
            }
        }
        Command::Analyze(AnalyzeCmd::Image(a)) => image::analyze(a)?,
        Command::Jobs { cmd } => image::jobs(&mut open(&path)?, cmd)?,
        Command::Metrics(MetricsCmd::Run {
            dockerfiles,
            all,
            images,
            project,
            image_refs,
            concurrency,
            registry,
        }) if images || project.is_some() || !image_refs.is_empty() => {
            let req = image::MetricsRequest {
                dockerfiles,
                images,
                all,
                project,
                image_refs,
                concurrency,
                registry,
            };
            image::run_metrics(&mut open(&path)?, req)?
        }
        Command::Metrics(MetricsCmd::Run {
            dockerfiles, all, ..
        }) => {
            let mut study = open(&path)?;
            if !dockerfiles {
                anyhow::bail!("say which metrics to run: --dockerfiles");
            }
            let n = study.analyze_dockerfiles(all)?;
            println!(
                "analysed {n} Dockerfile text{}",
                if n == 1 { "" } else { "s" }
            );
        }
        Command::Evidence(EvidenceCmd::Add {
            rater,
            unit,
            dimension,
            code,
            file,
            quote,
            lines,
        }) => {
            let (line_start, line_end) = match lines.as_deref() {
                None => (None, None),
                Some(l) => {
                    let bad = || anyhow::anyhow!("--lines '{l}': give N or N-M");
                    let (a, b) = l.split_once('-').unwrap_or((l, l));
                    (
                        Some(a.trim().parse::<i64>().map_err(|_| bad())?),
                        Some(b.trim().parse::<i64>().map_err(|_| bad())?),
                    )
                }
            };
            let input = codebench::evidence::EvidenceInput {
                rater,
                unit,
                dimension,
                code,
                file,
                quote,
                line_start,
                line_end,
            };
            let e = open(&path)?.add_evidence(&input)?;
            println!(
                "evidence {} on {} {} {}: {}",
                e.id,
                e.unit,
                e.dimension,
                e.code,
                e.cite()
            );
        }
        Command::Evidence(EvidenceCmd::List { rater, format }) => {
            let list = open(&path)?.evidence(rater.as_deref())?;
            if format == Format::Json {
                return print_json(&list);
            }
            for e in list {
                println!(
                    "{:>4} {} {} {} {}: {}",
                    e.id,
                    e.rater,
                    e.unit,
                    e.dimension,
                    e.code,
                    e.cite()
                );
            }
        }
        Command::Evidence(EvidenceCmd::Remove { id, by }) => {
            open(&path)?.remove_evidence(id, &by)?;
            println!("removed evidence {id}");
        }
        Command::Export { out } => {
            let study = open(&path)?;
            for w in codebench::export::export_all(&study, &out)? {
                println!("wrote {} ({} rows)", w.path.display(), w.rows);
            }
        }
    }
    Ok(())
}

fn print_dockerfile_summary(a: &codebench::dockerfile::Analysis) {
    println!("{}", a.path);
    let counts: Vec<String> = a.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "  {} lines ({} comments), {} instructions: {}",
        a.lines,
        a.comment_lines,
        a.instructions.len(),
        counts.join(", ")
    );
    if a.partial {
        println!("  partial Dockerfile (no FROM, or instructions before it)");
    }
    for s in &a.stages {
        let name = s
            .name
            .as_deref()
            .map(|n| format!(" AS {n}"))
            .unwrap_or_default();
        println!(
            "  FROM {}{name}  [{}]",
            s.base.resolved,
            s.base_type.as_deref().unwrap_or("-")
        );
    }
    let cats: Vec<String> = a
        .run_categories
        .iter()
        .filter(|(_, v)| **v > 0)
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !cats.is_empty() {
        println!("  RUN commands: {}", cats.join(", "));
    }
    for h in &a.hygiene {
        println!("  hygiene, line {}: {} ({})", h.line, h.message, h.rule);
    }
    for e in &a.errors {
        let line = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
        println!("  error: {line}{}", e.message);
    }
}
