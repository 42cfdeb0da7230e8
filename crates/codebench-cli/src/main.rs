//! `codebench`: the command line of Codebench. A thin shell: parse arguments, call the core,
//! print the result. Exit codes: 0 success, 1 failure (one message on stderr), 2 usage error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use codebench::codebook::Codebook;
use codebench::coding::DecisionInput;
use codebench::Study;

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
    /// Write the export tables (CSV) into a folder.
    Export {
        /// The folder (created if missing).
        #[arg(long, value_name = "DIR", default_value = "export")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum CodebookCmd {
    /// Print the dimensions and codes.
    Show {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
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
    Json,
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
    /// Decisions from a CSV: rater,unit,dimension,code[,memo,flagged,coded_at], one row per code.
    Codings {
        /// The CSV file.
        file: PathBuf,
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
                    println!("{indent}{:<28} {}{status}", c.id, c.name);
                }
            }
        }
        Command::Codebook(CodebookCmd::Export {
            format: CodebookFormat::Json,
            file,
        }) => {
            let book = open(&path)?.codebook()?;
            std::fs::write(&file, book.to_json()).with_context(|| format!("{}", file.display()))?;
            println!("wrote {}", file.display());
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
        Command::Export { out } => {
            let study = open(&path)?;
            for w in codebench::export::export_all(&study, &out)? {
                println!("wrote {} ({} rows)", w.path.display(), w.rows);
            }
        }
    }
    Ok(())
}
