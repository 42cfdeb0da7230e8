//! The one surface both shells call.
//!
//! Every user-facing operation is one documented function here, taking a serde request and
//! returning a serde response; the desktop app's commands and the `codebench` command line are
//! generated from, or written against, the same list ([`crate::for_each_operation`]). Everything
//! a shell once decided on its own lives here: input limits ([`input`]), defaults (a round's
//! dimension and raters, whose labels a report uses, the GitHub token: typed, else kept in the
//! OS keyring, else `$GITHUB_TOKEN`), metrics planning, the coding queue, and the blind rule on
//! every read ([`Ctx::viewer`]). The shells parse, call and present; each adds its own hint to
//! an [`ApiError`] from its [`ErrorKind`].
//!
//! Three kinds of operation:
//! - **study** operations run on an open study: `fn(&mut Ctx, Request) -> ApiResult<Response>`;
//! - **global** operations need no study: `fn(&dyn Env, Request) -> ApiResult<Response>`;
//! - **task** operations run long, report progress and can be cancelled:
//!   `fn(&mut Ctx, Request, &Task<Progress>) -> ApiResult<Response>`. The app runs them on a
//!   thread with a connection of its own and sends the progress as events.
//!
//! Invariants: a request is checked ([`input`]) before the core sees it; nothing returned
//! carries another rater's codes, memo, flag or evidence on a blind pair (see
//! [`crate::rules::Blind`]) unless the viewer is that rater.

pub mod analysis;
pub mod codebook;
pub mod coding;
pub mod contract;
pub mod corpus;
mod env;
pub mod error;
pub mod input;
pub mod jobs;
pub mod machine;
pub mod qdpx;
pub mod raters;
pub mod reconcile;
pub mod rounds;
pub mod select;
pub mod study;
pub mod team;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use env::{Env, SystemEnv, GITHUB_TOKEN_SECRET};
pub use error::{ApiError, ApiResult, ErrorKind};

use crate::Study;

/// What a study operation runs with: the open study, on whose behalf it reads, and the machine.
pub struct Ctx<'a> {
    /// The open study.
    pub study: &'a mut Study,
    /// The rater at the keyboard, on whose behalf everything is read: they see their own
    /// decisions on blind units, and nobody else's. `None` (a script without `--as`) sees no
    /// one's decisions on blind units.
    pub viewer: Option<String>,
    /// Secrets and environment.
    pub env: &'a dyn Env,
}

impl<'a> Ctx<'a> {
    /// A context on `study` for `viewer`.
    pub fn new(study: &'a mut Study, viewer: Option<String>, env: &'a dyn Env) -> Ctx<'a> {
        Ctx { study, viewer, env }
    }

    /// The viewer, as `Option<&str>`.
    pub fn viewer(&self) -> Option<&str> {
        self.viewer.as_deref()
    }

    /// Refuses acting as `rater` when someone else is at the keyboard: in the app a rater
    /// codes, adjudicates and proposes only under their own name.
    pub fn acting_as(&self, rater: &str) -> ApiResult<()> {
        match self.viewer() {
            Some(v) if v != rater.trim() => Err(ApiError::invalid(format!(
                "you are working as '{v}', not as '{}'",
                rater.trim()
            ))),
            _ => Ok(()),
        }
    }
}

/// The checks a long operation's request passes before it starts, so a shell that runs it in
/// the background (the app) can refuse a bad request at once instead of in its end event.
pub trait Check {
    /// Refuses a request the operation would refuse before doing any work.
    fn check(&self) -> ApiResult<()>;
}

/// A long operation's link to its caller: where progress goes, and whether to stop.
pub struct Task<'a, P> {
    progress: &'a (dyn Fn(P) + Sync),
    cancel: Arc<AtomicBool>,
}

impl<'a, P> Task<'a, P> {
    /// A task reporting to `progress`, stopping when `cancel` is set.
    pub fn new(progress: &'a (dyn Fn(P) + Sync), cancel: Arc<AtomicBool>) -> Task<'a, P> {
        Task { progress, cancel }
    }

    /// Reports one step.
    pub fn report(&self, p: P) {
        (self.progress)(p)
    }

    /// Whether the caller asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// The cancel switch, for the core's long loops.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }
}

impl Operation {
    /// The `codebench` subcommands that call this operation.
    pub fn commands(&self) -> impl Iterator<Item = &'static str> {
        self.cli.split(", ")
    }
}

/// The kinds of operation, see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// Runs on an open study.
    Study,
    /// Needs no study.
    Global,
    /// Runs long on a study, with progress and cancel.
    Task,
}

/// One operation of the API, as listed for the parity test, the README and the generator.
///
/// [`Operation::commands`] splits [`Operation::cli`] into the subcommands.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Operation {
    /// The function's (and the app command's) name.
    pub name: &'static str,
    /// Its kind.
    pub kind: OpKind,
    /// The `codebench` subcommands that call it (words separated by spaces; several
    /// separated by `, `).
    pub cli: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
}

/// The list of every API operation, in the order of the README's table. Invokes `$m!` with
/// three sections (`study`, `global`, `task`), each a list of
/// `/// doc` `name(Request) => Response [, progress Progress], cli "sub command";`.
///
/// The app generates its commands from it, the contract generator its TypeScript, and the
/// parity test checks every entry against the CLI's and the app's command lists.
#[macro_export]
macro_rules! for_each_operation {
    ($m:ident) => {
        $m! {
            study {
                /// What the study holds: projects, units, raters and their decisions.
                status($crate::api::study::StatusRequest) => $crate::study::Status, cli "status";
                /// Every project, with its snapshot, Dockerfiles, changes and problems.
                list_projects($crate::api::corpus::ProjectsRequest) => Vec<$crate::corpus::ProjectSummary>, cli "projects list";
                /// Every unit: each project and each of its Dockerfiles.
                list_units($crate::api::corpus::UnitsRequest) => Vec<$crate::corpus::UnitInfo>, cli "units";
                /// A project as a rater reads it: README (sanitised HTML) and Dockerfiles.
                project_view($crate::api::corpus::ProjectRequest) => $crate::corpus::ProjectView, cli "projects show";
                /// Removes a project and its units (refused while any decision is on them).
                remove_project($crate::api::corpus::RemoveProject) => $crate::api::corpus::ProjectRemoved, cli "projects remove";
                /// Imports checkouts on disk: the README and every Dockerfile, pinned to HEAD.
                import_local($crate::api::corpus::ImportLocal) => Vec<$crate::corpus::local::LocalImport>, cli "import local";
                /// The Docker image references of one project (or all), with where each was found.
                image_refs($crate::api::corpus::ImageRefsRequest) => Vec<$crate::corpus::github::ImageRefInfo>, cli "images list";
                /// Adds an image reference to a project by hand.
                add_image_ref($crate::api::corpus::ImageRefChange) => $crate::corpus::github::ImageRefInfo, cli "images add";
                /// Removes an image reference from a project (every place it was found).
                remove_image_ref($crate::api::corpus::ImageRefChange) => Vec<$crate::corpus::github::ImageRefInfo>, cli "images remove";
                /// The study's codebook.
                codebook($crate::api::codebook::CodebookRequest) => $crate::codebook::Codebook, cli "codebook show";
                /// How many decisions give each code, and who proposed each code.
                code_uses($crate::api::codebook::CodebookRequest) => Vec<$crate::api::codebook::CodeUse>, cli "codebook show";
                /// Open coding: adds a code to a dimension as proposed.
                propose_code($crate::api::codebook::ProposeCode) => $crate::codebook::Code, cli "codebook propose";
                /// Renames a code (its id and decisions stay).
                rename_code($crate::api::codebook::RenameCode) => $crate::api::Done, cli "codebook rename";
                /// Rewrites a code's definition, include and exclude notes and example.
                edit_code($crate::api::codebook::EditCode) => $crate::codebook::Code, cli "codebook edit";
                /// Sets a code's status: active (agreed), proposed or retired.
                set_code_status($crate::api::codebook::SetCodeStatus) => $crate::api::Done, cli "codebook retire";
                /// Merges one code into another; every decision with it gets the other.
                merge_codes($crate::api::codebook::MergeCodes) => $crate::api::codebook::CodesMerged, cli "codebook merge";
                /// Splits a code into new ones; the units that used it are listed for recoding.
                split_code($crate::api::codebook::SplitCode) => $crate::api::codebook::CodeSplit, cli "codebook split";
                /// Replaces the study's codebook from a JSON or .qdc file (before coding starts).
                import_codebook($crate::api::codebook::ImportCodebook) => $crate::api::codebook::CodebookImported, cli "codebook import";
                /// Writes the codebook to a JSON or REFI-QDA .qdc file.
                export_codebook($crate::api::codebook::ExportCodebook) => $crate::api::Written, cli "codebook export";
                /// Every rater, with how many decisions each has.
                list_raters($crate::api::raters::RatersRequest) => Vec<$crate::api::raters::RaterInfo>, cli "raters list";
                /// Adds a rater.
                add_rater($crate::api::raters::AddRater) => $crate::coding::Rater, cli "raters add";
                /// Renames a rater; their decisions, evidence and history follow.
                rename_rater($crate::api::raters::RenameRater) => $crate::coding::Rater, cli "raters rename";
                /// Merges one rater into another (refused where both decided the same unit differently).
                merge_raters($crate::api::raters::MergeRaters) => $crate::api::raters::RatersMerged, cli "raters merge";
                /// Removes a rater who has no decisions (refused otherwise: nothing is lost).
                remove_rater($crate::api::raters::RemoveRater) => $crate::api::Done, cli "raters remove";
                /// The coding queue of one rater: round units assigned to them first, filters, progress.
                coding_queue($crate::api::coding::QueueRequest) => $crate::api::coding::CodingQueue, cli "queue";
                /// One rater's current decisions (as the viewer may see them).
                decisions($crate::api::coding::DecisionsRequest) => Vec<$crate::coding::Decision>, cli "decisions";
                /// Records one decision (durable when this returns).
                record_decision($crate::api::coding::RecordDecision) => $crate::api::coding::Recorded, cli "code";
                /// Removes a rater's decision on a unit (the undo of a first decision).
                clear_decision($crate::api::coding::ClearDecision) => $crate::api::coding::Cleared, cli "code";
                /// Evidence quotes (of one rater), as the viewer may see them.
                evidence($crate::api::coding::EvidenceRequest) => Vec<$crate::evidence::Evidence>, cli "evidence list";
                /// Attaches a quote of the README or a Dockerfile to a code of a decision.
                add_evidence($crate::api::coding::AddEvidence) => $crate::evidence::Evidence, cli "evidence add";
                /// Removes one piece of evidence.
                remove_evidence($crate::api::coding::RemoveEvidence) => $crate::api::Done, cli "evidence remove";
                /// Imports decisions from a codings CSV, all or nothing.
                import_codings($crate::api::coding::ImportFile) => $crate::coding::CodingsImport, cli "import codings";
                /// Imports a REFI-QDA project (.qdpx): users' codings as raters' decisions, selections as evidence, notes as memos; all or nothing.
                import_qdpx($crate::api::qdpx::ImportQdpx) => $crate::qdpx::import::QdpxImport, cli "import qdpx";
                /// Imports one column of labels from any CSV as one rater's decisions.
                import_labels($crate::api::coding::ImportLabels) => $crate::coding::LabelsImport, cli "import labels";
                /// Every round with its raters' progress.
                rounds($crate::api::rounds::RoundsRequest) => Vec<$crate::round::RoundInfo>, cli "round list";
                /// One round: its units and what each rater still owes.
                round($crate::api::rounds::RoundRequest) => $crate::api::rounds::RoundDetail, cli "round show";
                /// Samples a new round of units (by size, fraction or planned CI width; stratified; seeded).
                create_round($crate::api::rounds::CreateRound) => $crate::round::RoundInfo, cli "round create";
                /// Assigns raters to a round.
                assign_round($crate::api::rounds::AssignRound) => $crate::round::RoundInfo, cli "round assign";
                /// Reveals a round (refused until every assigned rater decided every unit, unless forced).
                reveal_round($crate::api::rounds::RevealRound) => $crate::round::RoundInfo, cli "round reveal";
                /// Agreement between raters: kappa family with CIs, per code, per round.
                agreement($crate::api::analysis::AgreementRequest) => $crate::agreement::Report, cli "agreement";
                /// The units behind one confusion-matrix cell of an agreement (blind-safe), to open and reconcile them.
                agreement_units($crate::api::analysis::AgreementUnitsRequest) => $crate::api::analysis::AgreementUnits, cli "agreement";
                /// The study at a glance: raters' and rounds' progress, code counts (blind-safe).
                overview($crate::api::analysis::OverviewRequest) => $crate::overview::Overview, cli "overview";
                /// The paper's tables from a rater's labels or from the consensus.
                report($crate::api::analysis::ReportRequest) => $crate::report::Report, cli "report";
                /// The paper's figures as SVG documents, from the same labels as the report.
                figures($crate::api::analysis::ReportRequest) => Vec<$crate::figures::RenderedFigure>, cli "report";
                /// Writes the figures as SVG and PNG into a folder.
                export_figures($crate::api::analysis::ExportFigures) => Vec<String>, cli "report";
                /// Writes the agreement of exactly what was asked (the screen's selection) as agreement.csv holds it.
                export_agreement($crate::api::analysis::ExportAgreement) => $crate::export::Written, cli "agreement";
                /// Writes every export table (CSV) into a folder.
                export_tables($crate::api::analysis::ExportTables) => $crate::api::analysis::Exported, cli "export";
                /// Writes the study as a REFI-QDA project (.qdpx) for ATLAS.ti, MAXQDA, NVivo or QualCoder.
                export_qdpx($crate::api::qdpx::ExportQdpx) => $crate::qdpx::export::QdpxExport, cli "export";
                /// The reconciliation queue: units where raters differ, side by side.
                reconcile_queue($crate::api::reconcile::QueueRequest) => $crate::reconcile::Queue, cli "reconcile list";
                /// Records the consensus on a unit (codes that override every rater need a rationale).
                decide_consensus($crate::api::reconcile::DecideConsensus) => $crate::api::reconcile::Decided, cli "reconcile decide";
                /// Accepts consensus in bulk where a rule (unanimous, majority) holds.
                accept_consensus($crate::api::reconcile::AcceptConsensus) => $crate::reconcile::AcceptReport, cli "reconcile accept, reconcile auto";
                /// Removes a consensus; the unit returns to the queue.
                reopen_consensus($crate::api::reconcile::ReopenConsensus) => $crate::api::reconcile::Reopened, cli "reconcile reopen";
                /// Whether units where all raters agree become consensus automatically.
                auto_consensus($crate::api::reconcile::AutoRequest) => bool, cli "reconcile automatic";
                /// Turns automatic consensus on or off.
                set_auto_consensus($crate::api::reconcile::SetAuto) => Vec<$crate::reconcile::Consensus>, cli "reconcile automatic";
                /// Every metrics job, oldest first.
                jobs($crate::api::jobs::JobsRequest) => Vec<$crate::jobs::Job>, cli "jobs list";
                /// Whether queued metrics jobs are held until someone runs them (a study setting).
                jobs_held($crate::api::jobs::JobsRequest) => bool, cli "jobs hold";
                /// Holds queued metrics jobs, or lets them run as soon as they are queued.
                hold_jobs($crate::api::jobs::HoldJobs) => bool, cli "jobs hold";
                /// Queues the Dockerfile and image metrics jobs (of a project, or all).
                enqueue_metrics($crate::api::jobs::EnqueueMetrics) => $crate::api::jobs::Enqueued, cli "metrics run";
                /// Cancels a queued, running or failed job.
                cancel_job($crate::api::jobs::JobRequest) => $crate::jobs::Job, cli "jobs cancel";
                /// Queues a failed or cancelled job again.
                retry_job($crate::api::jobs::JobRequest) => $crate::jobs::Job, cli "jobs retry";
                /// Makes a consistent copy of the study (even while it is open), optionally for one rater.
                copy_study($crate::api::team::CopyStudy) => $crate::copy::CopyReport, cli "copy";
                /// Merges another copy of this study (a rater's) into this one, per item; conflicts by rule or choice.
                merge_study($crate::api::team::MergeStudy) => $crate::merge::MergeReport, cli "merge";
                /// The corpus selection: every step with its parameters, counts and excluded repositories.
                selection($crate::api::select::SelectionRequest) => $crate::select::Selection, cli "select show";
                /// The selection as selection.csv (one row per step).
                selection_csv($crate::api::select::SelectionRequest) => String, cli "select show";
                /// The methods paragraph of the selection: query, dates, criteria with counts, seed.
                selection_methods($crate::api::select::SelectionRequest) => $crate::api::select::SelectionMethods, cli "select show";
                /// The selection's funnel as an SVG figure.
                selection_figure($crate::api::select::SelectionRequest) => $crate::figures::RenderedFigure, cli "select show";
                /// Writes the selection's funnel figure as SVG and PNG into a folder.
                export_selection_figure($crate::api::select::ExportSelectionFigure) => Vec<String>, cli "select show";
                /// Draws a random or stratified sample of the repositories still in, with a seed.
                select_sample($crate::api::select::SelectSample) => $crate::select::Step, cli "select sample";
                /// A project's Docker Hub evidence (descriptions, pulls, tags), for beside its README.
                hub_evidence($crate::api::select::HubEvidenceRequest) => $crate::hub::ProjectHub, cli "hub show";
                /// Adds a machine rater (openai endpoint or local classifier) with its recorded configuration.
                add_machine_rater($crate::api::machine::AddMachineRater) => $crate::machine::MachineRater, cli "machine add";
                /// Every machine rater with its configuration.
                machine_raters($crate::api::machine::MachineRatersRequest) => Vec<$crate::machine::MachineRater>, cli "machine list";
                /// One machine rater with its configuration and every run's provenance.
                machine_rater($crate::api::machine::MachineRaterRequest) => $crate::api::machine::MachineRaterDetail, cli "machine show";
                /// The runs of machine raters with their provenance (model, version, parameters, prompt and codebook hashes, tokens).
                machine_runs($crate::api::machine::MachineRunsRequest) => Vec<$crate::machine::MachineRun>, cli "machine runs";
                /// A machine rater's answers: raw answer, rationale, confidence, codes or why they failed (blind-safe).
                machine_answers($crate::api::machine::MachineAnswersRequest) => $crate::api::machine::MachineAnswers, cli "machine answers";
                /// The units to send to people first: machine raters disagree, are unsure or failed (blind-safe).
                machine_routing($crate::api::machine::MachineRoutingRequest) => $crate::machine::Routing, cli "machine route";
                /// Assist: machine raters' answers on a unit shown to a person before deciding, recorded on their decision (refused in unrevealed rounds).
                machine_suggestions($crate::api::machine::MachineSuggestionsRequest) => $crate::machine::Suggestions, cli "machine suggest";
                /// The cross-validated agreement of a local machine rater with the labels it learns from.
                evaluate_local($crate::api::machine::EvaluateLocal) => $crate::machine::Evaluation, cli "machine evaluate";
            }
            global {
                /// Creates a new study file (the shipped codebook, a codebook file, or the sample study).
                create_study($crate::api::study::CreateStudy) => $crate::api::study::Created, cli "init";
                /// Whether a GitHub token is kept in the OS keyring (the token never leaves it).
                github_token_status($crate::api::corpus::TokenStatusRequest) => bool, cli "github token status";
                /// Keeps a GitHub token in the OS keyring for later imports.
                keep_github_token($crate::api::corpus::KeepToken) => $crate::api::Done, cli "github token keep";
                /// Removes the GitHub token from the OS keyring.
                forget_github_token($crate::api::corpus::TokenStatusRequest) => bool, cli "github token forget";
                /// Keeps an endpoint's API key for machine raters in the OS keyring.
                keep_machine_key($crate::api::machine::KeepMachineKey) => $crate::api::Done, cli "machine key keep";
                /// Removes an endpoint's API key from the OS keyring.
                forget_machine_key($crate::api::machine::MachineKeyRequest) => bool, cli "machine key forget";
            }
            task {
                /// Imports repositories from GitHub (token: typed, else the keyring, else $GITHUB_TOKEN).
                import_github($crate::api::corpus::ImportGithub) => $crate::corpus::github::GithubImportSummary, progress $crate::api::corpus::GithubProgress, cli "import github";
                /// Runs the queued metrics jobs (Dockerfile and image metrics).
                run_jobs($crate::api::jobs::RunJobs) => $crate::jobs::RunSummary, progress $crate::jobs::JobEvent, cli "metrics run, jobs run";
                /// Runs one shard (I/N) of the pending metrics jobs in a copy of the study, for array jobs on many machines.
                run_metrics_shard($crate::api::jobs::RunShard) => $crate::shard::ShardReport, progress $crate::jobs::JobEvent, cli "metrics run";
                /// Searches GitHub for the selection (split past the 1,000-result cap), or resumes the search.
                select_search($crate::api::select::SelectSearch) => $crate::select::Step, progress $crate::select::SelectProgress, cli "select search";
                /// Applies filter criteria in order, each its own recorded step, or resumes them.
                select_filter($crate::api::select::SelectFilter) => Vec<$crate::select::Step>, progress $crate::select::SelectProgress, cli "select filter";
                /// Imports the repositories still in the selection from GitHub as the corpus.
                select_accept($crate::api::select::SelectAccept) => $crate::select::accept::Accepted, progress $crate::select::SelectProgress, cli "select accept";
                /// Re-runs the selection against today's GitHub and reports what drifted.
                rerun_selection($crate::api::select::RerunSelection) => $crate::select::drift::DriftReport, progress $crate::select::SelectProgress, cli "select rerun";
                /// Fetches Docker Hub descriptions and tags for the projects' image references.
                fetch_hub($crate::api::select::FetchHub) => $crate::hub::HubFetchSummary, progress $crate::hub::HubProgress, cli "hub fetch";
                /// Runs a machine rater over a dimension's units (resumes an unfinished run; each answer stored as it arrives).
                run_machine($crate::api::machine::RunMachine) => $crate::machine::MachineRunSummary, progress $crate::machine::MachineProgress, cli "machine run";
            }
        }
    };
}

/// An operation that returns nothing but success.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Done {}

/// A file written.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "FileWritten")]
pub struct Written {
    /// Where.
    pub path: String,
}

macro_rules! list_operations {
    (
        study { $( $(#[doc = $sdoc:literal])* $sname:ident($sreq:ty) => $sresp:ty, cli $scli:literal; )* }
        global { $( $(#[doc = $gdoc:literal])* $gname:ident($greq:ty) => $gresp:ty, cli $gcli:literal; )* }
        task { $( $(#[doc = $tdoc:literal])* $tname:ident($treq:ty) => $tresp:ty, progress $tev:ty, cli $tcli:literal; )* }
    ) => {
        /// Every operation of the API.
        pub const OPERATIONS: &[Operation] = &[
            $( Operation { name: stringify!($sname), kind: OpKind::Study, cli: $scli, summary: concat!($($sdoc),*) }, )*
            $( Operation { name: stringify!($gname), kind: OpKind::Global, cli: $gcli, summary: concat!($($gdoc),*) }, )*
            $( Operation { name: stringify!($tname), kind: OpKind::Task, cli: $tcli, summary: concat!($($tdoc),*) }, )*
        ];

        /// Calls a study operation by name with a JSON request (the app's and tests' way in).
        pub fn call_json(ctx: &mut Ctx<'_>, name: &str, request: serde_json::Value) -> ApiResult<serde_json::Value> {
            match name {
                $( stringify!($sname) => {
                    let req: $sreq = serde_json::from_value(request)
                        .map_err(|e| ApiError::invalid(format!("{}: bad request: {e}", stringify!($sname))))?;
                    let resp = $sname(ctx, req)?;
                    serde_json::to_value(resp).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))
                } )*
                _ => Err(ApiError::new(ErrorKind::NotFound, format!("no study operation named '{name}'"))),
            }
        }
    };
}
for_each_operation!(list_operations);

pub use analysis::{
    agreement, agreement_units, export_agreement, export_figures, export_tables, figures, overview,
    report,
};
pub use codebook::{
    code_uses, codebook, edit_code, export_codebook, import_codebook, merge_codes, propose_code,
    rename_code, set_code_status, split_code,
};
pub use coding::{
    add_evidence, clear_decision, coding_queue, decisions, evidence, import_codings, import_labels,
    record_decision, remove_evidence,
};
pub use corpus::{
    add_image_ref, forget_github_token, github_token_status, image_refs, import_github,
    import_local, keep_github_token, list_projects, list_units, project_view, remove_image_ref,
    remove_project,
};
pub use jobs::{
    cancel_job, enqueue_metrics, hold_jobs, jobs, jobs_held, retry_job, run_jobs, run_metrics_shard,
};
pub use machine::{
    add_machine_rater, evaluate_local, forget_machine_key, keep_machine_key, machine_answers,
    machine_rater, machine_raters, machine_routing, machine_runs, machine_suggestions, run_machine,
};
pub use qdpx::{export_qdpx, import_qdpx};
pub use raters::{add_rater, list_raters, merge_raters, remove_rater, rename_rater};
pub use reconcile::{
    accept_consensus, auto_consensus, decide_consensus, reconcile_queue, reopen_consensus,
    set_auto_consensus,
};
pub use rounds::{assign_round, create_round, reveal_round, round, rounds};
pub use select::{
    export_selection_figure, fetch_hub, hub_evidence, rerun_selection, select_accept,
    select_filter, select_sample, select_search, selection, selection_csv, selection_figure,
    selection_methods,
};
pub use study::{create_study, status};
pub use team::{copy_study, merge_study};
