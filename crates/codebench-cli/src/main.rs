//! `codebench`: the command line of Codebench. A thin shell over the core's API
//! (`codebench::api`): parse arguments, call the operation, print the result. Every operation
//! the app offers has a command here (a test checks it); `--format json` prints exactly what
//! the app receives. Exit codes: 0 success (also when the reader closes the pipe), 1 failure
//! (one message on stderr), 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

mod cmd;
mod out;
mod shell;

use shell::Shell;

/// The command line.
#[derive(Parser)]
#[command(
    name = "codebench",
    version,
    about = "Qualitative coding of software repositories: studies, decisions, agreement, metrics, exports"
)]
pub struct Cli {
    /// The study file (default: $CODEBENCH_STUDY, else ./study.codebench).
    #[arg(long, global = true, value_name = "FILE")]
    study: Option<PathBuf>,
    /// Read as this rater (default: $CODEBENCH_RATER): their own decisions on units of rounds
    /// not revealed yet are shown, nobody else's. Without it, no one's are shown there.
    #[arg(long = "as", global = true, value_name = "RATER")]
    viewer: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Text for people, or JSON for scripts (the shape the app receives).
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Format {
    /// Lines for people.
    #[default]
    Text,
    /// JSON.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new study (with the ml-docker-2022 codebook unless --codebook is given).
    Init(cmd::study::InitArgs),
    /// What the study holds: projects, units, raters and their decisions.
    Status {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The study's projects: list, show one as a rater reads it, remove one.
    #[command(subcommand)]
    Projects(cmd::corpus::ProjectsCmd),
    /// List the study's units (projects and Dockerfiles).
    Units {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show or change the study's codebook.
    #[command(subcommand)]
    Codebook(cmd::codebook::CodebookCmd),
    /// Bring projects or codings into the study.
    #[command(subcommand)]
    Import(cmd::corpus::ImportCmd),
    /// Manage raters.
    #[command(subcommand)]
    Raters(cmd::raters::RatersCmd),
    /// A rater's coding queue: round units assigned to them first, filters, progress.
    Queue(cmd::coding::QueueArgs),
    /// One rater's decisions (or everyone's), as you may see them.
    Decisions(cmd::coding::DecisionsArgs),
    /// Record one rater's decision on one unit (or clear it with --clear).
    Code(cmd::coding::CodeArgs),
    /// Quotes from a README or Dockerfile attached to a code of a decision.
    #[command(subcommand)]
    Evidence(cmd::coding::EvidenceCmd),
    /// Agreement between raters: kappa family with confidence intervals, per code for
    /// many-code dimensions, at the leaf level and with sub-codes collapsed.
    Agreement(cmd::analysis::AgreementArgs),
    /// The study at a glance: raters' and rounds' progress, and the codes given so far.
    Overview(cmd::analysis::OverviewArgs),
    /// The reference study's tables (and figures) from a rater's labels or the consensus.
    Report(cmd::analysis::ReportArgs),
    /// Write the export tables (CSV) into a folder.
    Export(cmd::analysis::ExportArgs),
    /// Open the desktop app on this study at a unit (owner/name or owner/name:path).
    Open {
        /// The unit to open.
        unit: String,
    },
    /// Reconcile disagreements: the queue, consensus decisions, bulk acceptance.
    #[command(subcommand)]
    Reconcile(cmd::reconcile::ReconcileCmd),
    /// Rounds of blind coding: sample, assign, reveal.
    #[command(subcommand)]
    Round(cmd::rounds::RoundCmd),
    /// A consistent copy of the study (even while it is open), optionally handed out for one
    /// rater: use it, not `cp`, to give a rater their copy.
    Copy(cmd::team::CopyArgs),
    /// Merge another copy of this study (a rater's) into this one, per item; conflicts are
    /// settled by --prefer or --take.
    Merge(cmd::team::MergeArgs),
    /// Analyse files without a study.
    #[command(subcommand)]
    Analyze(cmd::analyze::AnalyzeCmd),
    /// Compute metrics for the study's projects.
    #[command(subcommand)]
    Metrics(cmd::metrics::MetricsCmd),
    /// Docker Hub image references of the projects, with where they were found; add or
    /// remove them by hand.
    Images(cmd::corpus::ImagesArgs),
    /// Background jobs (Dockerfile and image metrics): list, cancel, retry.
    Jobs {
        #[command(subcommand)]
        cmd: Option<cmd::metrics::JobsCmd>,
    },
    /// GitHub settings: the token kept in the OS keyring.
    #[command(subcommand)]
    Github(cmd::corpus::GithubCmd),
    /// The corpus selection, recorded as a funnel: search GitHub, filter, sample, accept.
    #[command(subcommand)]
    Select(cmd::select::SelectCmd),
    /// Docker Hub descriptions and tags of the projects' images, as evidence.
    #[command(subcommand)]
    Hub(cmd::select::HubCmd),
    /// Machine raters (a language model behind an OpenAI-compatible endpoint, or a local
    /// classifier): add, list, run, their runs and answers, a local model's evaluation.
    #[command(subcommand)]
    Machine(cmd::machine::MachineCmd),
}

fn main() -> ExitCode {
    let usage = |e: clap::Error| {
        let code = if e.use_stderr() { 2 } else { 0 };
        let _ = e.print();
        ExitCode::from(code)
    };
    // The matches are kept: `select filter` applies its criteria in the order given.
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return usage(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage(e),
    };
    match run(cli, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<out::Closed>().is_some() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", out::failure(&e));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli, matches: &ArgMatches) -> anyhow::Result<()> {
    let study = cli
        .study
        .clone()
        .or_else(|| std::env::var_os("CODEBENCH_STUDY").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("study.codebench"));
    let viewer = cli
        .viewer
        .clone()
        .or_else(|| std::env::var("CODEBENCH_RATER").ok())
        .filter(|v| !v.trim().is_empty());
    let sh = Shell::new(study, viewer);
    match cli.command {
        Command::Init(a) => cmd::study::init(&sh, a),
        Command::Status { format } => cmd::study::status(&sh, format),
        Command::Projects(c) => cmd::corpus::projects(&sh, c),
        Command::Units { format } => cmd::corpus::units(&sh, format),
        Command::Codebook(c) => cmd::codebook::run(&sh, c),
        Command::Import(c) => cmd::corpus::import(&sh, c),
        Command::Raters(c) => cmd::raters::run(&sh, c),
        Command::Queue(a) => cmd::coding::queue(&sh, a),
        Command::Decisions(a) => cmd::coding::decisions(&sh, a),
        Command::Code(a) => cmd::coding::code(&sh, a),
        Command::Evidence(c) => cmd::coding::evidence(&sh, c),
        Command::Agreement(a) => cmd::analysis::agreement(&sh, a),
        Command::Overview(a) => cmd::analysis::overview(&sh, a),
        Command::Report(a) => cmd::analysis::report(&sh, a),
        Command::Export(a) => cmd::analysis::export(&sh, a),
        Command::Open { unit } => cmd::study::open_app(&sh, &unit),
        Command::Reconcile(c) => cmd::reconcile::run(&sh, c),
        Command::Round(c) => cmd::rounds::run(&sh, c),
        Command::Copy(a) => cmd::team::copy(&sh, a),
        Command::Merge(a) => cmd::team::merge(&sh, a),
        Command::Analyze(c) => cmd::analyze::run(c),
        Command::Metrics(c) => cmd::metrics::metrics(&sh, c),
        Command::Images(a) => cmd::corpus::images(&sh, a),
        Command::Jobs { cmd } => cmd::metrics::jobs(&sh, cmd),
        Command::Github(c) => cmd::corpus::github(&sh, c),
        Command::Select(c) => {
            let filter = matches
                .subcommand_matches("select")
                .and_then(|m| m.subcommand_matches("filter"));
            cmd::select::run(&sh, c, filter)
        }
        Command::Hub(c) => cmd::select::hub(&sh, c),
        Command::Machine(c) => cmd::machine::run(&sh, c),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// The subcommand paths of the CLI (`round create`, `images add`...), leaves and their
    /// parents.
    fn paths() -> Vec<String> {
        fn walk(c: &clap::Command, prefix: &str, out: &mut Vec<String>) {
            for s in c.get_subcommands() {
                let p = if prefix.is_empty() {
                    s.get_name().to_string()
                } else {
                    format!("{prefix} {}", s.get_name())
                };
                out.push(p.clone());
                walk(s, &p, out);
            }
        }
        let mut out = Vec::new();
        walk(&Cli::command(), "", &mut out);
        out
    }

    /// Commands that are this shell's own, not operations of the API: opening the desktop app,
    /// analysing files without a study.
    const SHELL_ONLY: &[&str] = &[
        "open",
        "analyze",
        "analyze dockerfile",
        "analyze image",
        "help",
    ];

    #[test]
    fn every_api_operation_has_a_command_and_every_command_an_operation() {
        let paths = paths();
        for op in codebench::api::OPERATIONS {
            for cmd in op.commands() {
                assert!(
                    paths.iter().any(|p| p == cmd),
                    "API operation {} names `codebench {cmd}`, which the CLI lacks",
                    op.name
                );
            }
        }
        for p in &paths {
            let leaf = !paths.iter().any(|q| q.starts_with(&format!("{p} ")));
            let claimed = codebench::api::OPERATIONS.iter().any(|op| {
                op.commands()
                    .any(|c| c == p || c.starts_with(&format!("{p} ")))
            });
            let shell = SHELL_ONLY
                .iter()
                .any(|s| p == s || p.ends_with(" help") || p == "help");
            assert!(
                !leaf || claimed || shell,
                "`codebench {p}` calls no API operation (add it to the API or to SHELL_ONLY)"
            );
        }
    }
}
