//! `codebench machine`: machine raters — add (openai endpoint or local classifier), list, run
//! (progress on standard error; Ctrl-C keeps what was stored, the next run resumes), runs and
//! answers (the provenance), evaluate (a local model's cross-validated agreement), and the
//! endpoint's API key in the OS keyring.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use codebench::api::{self, machine as m};
use codebench::machine::{Backend, MachineConfig, MachineProgress};
use indicatif::{ProgressBar, ProgressStyle};

use crate::shell::Shell;
use crate::{say, Format};

/// The backends, as the command line names them.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BackendArg {
    /// An OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp, vLLM, OpenAI).
    Openai,
    /// A naive Bayes classifier trained on the study's labels; no network.
    Local,
}

/// `codebench machine ...`
#[derive(Subcommand)]
pub enum MachineCmd {
    /// Add a machine rater with its configuration.
    Add {
        /// The machine rater's name.
        name: String,
        #[arg(long, value_enum)]
        backend: BackendArg,
        /// The dimension it codes unless a run names another.
        #[arg(long)]
        dimension: Option<String>,
        /// openai: the base URL (e.g. http://localhost:11434/v1).
        #[arg(long)]
        url: Option<String>,
        /// openai: the model.
        #[arg(long)]
        model: Option<String>,
        /// openai: sampling temperature (default 0).
        #[arg(long)]
        temperature: Option<f64>,
        /// openai: seed sent with every request.
        #[arg(long)]
        seed: Option<i64>,
        /// openai: most characters of a unit's files in one prompt (default 24000).
        #[arg(long)]
        max_chars: Option<usize>,
        /// openai: requests at most per unit, retries included (default 4).
        #[arg(long)]
        max_attempts: Option<u32>,
        /// openai: limit on one request, in seconds (default 120).
        #[arg(long)]
        timeout: Option<f64>,
        /// openai: a prompt template file (placeholders {{codebook}}, {{unit}}, {{files}}...,
        /// a line `=== user ===` between the system and the user message).
        #[arg(long, value_name = "FILE")]
        prompt_template: Option<PathBuf>,
        /// openai: the environment variable with the API key when the keyring has none
        /// (default CODEBENCH_MACHINE_KEY).
        #[arg(long)]
        key_env: Option<String>,
        /// openai: this study may send unit text to this endpoint, which is not on this machine.
        #[arg(long)]
        allow_remote: bool,
        /// local: learn from `consensus` or a rater's labels.
        #[arg(long)]
        train_on: Option<String>,
        /// local: folds of the cross-validation (default 5).
        #[arg(long)]
        folds: Option<usize>,
        /// local: seed of the cross-validation's shuffle (default 1).
        #[arg(long)]
        cv_seed: Option<u64>,
    },
    /// List the machine raters with their configuration.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// One machine rater: its configuration and every run with its provenance.
    Show {
        /// The machine rater.
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Assist: the machine raters' answers on a unit, shown to you (--as) before you decide
    /// it; recorded, so the decision you record next says it was assisted. Refused on a unit of
    /// a round not revealed yet.
    Suggest {
        /// The unit.
        unit: String,
        #[arg(long)]
        dimension: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Run a machine rater (resumes its unfinished run; no unit is asked twice).
    Run {
        /// The machine rater.
        name: String,
        #[arg(long)]
        dimension: Option<String>,
        /// Only this unit (repeatable).
        #[arg(long = "unit")]
        units: Vec<String>,
        /// Only this round's units.
        #[arg(long)]
        round: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The runs with their provenance.
    Runs {
        /// Only this machine rater's runs.
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The answers with rationale, confidence, codes or why they failed.
    Answers {
        /// Only this machine rater's answers.
        name: Option<String>,
        /// Only this run's answers.
        #[arg(long)]
        run: Option<i64>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The units to send to people first: machine raters disagree, are unsure or failed.
    Route {
        /// The dimension (default: the one dimension machine raters answered on).
        #[arg(long)]
        dimension: Option<String>,
        /// Only this machine rater (repeatable; default: every one that answered).
        #[arg(long = "rater")]
        raters: Vec<String>,
        /// Labels with a confidence below this (0 to 1) are routed.
        #[arg(long, default_value_t = codebench::machine::DEFAULT_BELOW)]
        below: f64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// A local machine rater's cross-validated agreement with the labels it learns from.
    Evaluate {
        /// The local machine rater.
        name: String,
        #[arg(long)]
        dimension: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// An endpoint's API key in the OS keyring.
    #[command(subcommand)]
    Key(KeyCmd),
}

/// `codebench machine key ...`
#[derive(Subcommand)]
pub enum KeyCmd {
    /// Keep the key for an endpoint: read from the first line of standard input.
    Keep {
        #[arg(long)]
        url: String,
    },
    /// Remove the kept key of an endpoint.
    Forget {
        #[arg(long)]
        url: String,
    },
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Runs a `machine` subcommand.
pub fn run(sh: &Shell, cmd: MachineCmd) -> anyhow::Result<()> {
    match cmd {
        MachineCmd::Add {
            name,
            backend,
            dimension,
            url,
            model,
            temperature,
            seed,
            max_chars,
            max_attempts,
            timeout,
            prompt_template,
            key_env,
            allow_remote,
            train_on,
            folds,
            cv_seed,
        } => {
            let prompt_template = match prompt_template {
                Some(p) => Some(
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?,
                ),
                None => None,
            };
            let config = MachineConfig {
                backend: match backend {
                    BackendArg::Openai => Backend::Openai,
                    BackendArg::Local => Backend::Local,
                },
                dimension,
                url,
                model,
                temperature,
                seed,
                max_chars,
                max_attempts,
                timeout_seconds: timeout,
                prompt_template,
                key_env,
                allow_remote,
                train_on,
                folds,
                cv_seed,
            };
            let x = sh.call(api::add_machine_rater, m::AddMachineRater { name, config })?;
            say!(
                "added machine rater {} ({})",
                x.name,
                x.config.backend.as_str()
            );
        }
        MachineCmd::List { format } => {
            let list = sh.call(api::machine_raters, m::MachineRatersRequest {})?;
            if format == Format::Json {
                return crate::out::json(&list);
            }
            for x in list {
                say!("{}", rater_line(&x));
            }
        }
        MachineCmd::Show { name, format } => {
            let d = sh.call(api::machine_rater, m::MachineRaterRequest { name })?;
            if format == Format::Json {
                return crate::out::json(&d);
            }
            say!("{}", rater_line(&d.rater));
            say!("added {}", d.rater.created_at);
            for r in &d.runs {
                say!("{}", run_line(r));
            }
        }
        MachineCmd::Suggest {
            unit,
            dimension,
            format,
        } => {
            let Some(rater) = sh.viewer.clone() else {
                bail!("say who is shown the suggestions with --as RATER");
            };
            let s = sh.call(
                api::machine_suggestions,
                m::MachineSuggestionsRequest {
                    rater,
                    unit,
                    dimension,
                },
            )?;
            if format == Format::Json {
                return crate::out::json(&s);
            }
            if s.suggestions.is_empty() {
                say!(
                    "{} ({}): no machine rater has a label to suggest",
                    s.unit,
                    s.dimension
                );
            }
            for x in &s.suggestions {
                say!(
                    "{}: {} ({}) {}",
                    x.rater,
                    x.codes.join(" "),
                    x.confidence.map_or("-".to_string(), |c| format!("{c:.2}")),
                    x.rationale
                );
            }
            for f in &s.failed {
                say!("{f}: failed on this unit, nothing to suggest");
            }
            if s.recorded {
                say!(
                    "shown to {}: the decision {} records next on {} ({}) is marked suggested_by",
                    s.rater,
                    s.rater,
                    s.unit,
                    s.dimension
                );
            }
        }
        MachineCmd::Run {
            name,
            dimension,
            units,
            round,
            format,
        } => {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
                )
                .context("progress bar template")?,
            );
            let on = |p: MachineProgress| match p {
                MachineProgress::Planned {
                    units,
                    answered_before,
                    ..
                } => {
                    bar.set_length(units);
                    bar.set_position(answered_before);
                }
                MachineProgress::Waiting { unit, wait_seconds } => {
                    bar.set_message(format!("{unit}: waiting {wait_seconds:.1} s"))
                }
                MachineProgress::Answered { unit, ok, error } => {
                    bar.inc(1);
                    if !ok {
                        bar.println(format!("{unit}: failed: {}", error.unwrap_or_default()));
                    }
                    bar.set_message(unit);
                }
            };
            let s = sh.task(
                api::run_machine,
                m::RunMachine {
                    rater: name,
                    dimension,
                    units,
                    round,
                },
                &on,
            )?;
            bar.finish_and_clear();
            if format == Format::Json {
                crate::out::json(&s)?;
            } else {
                if let Some(e) = &s.evaluation {
                    say!(
                        "cross-validated ({} folds, {} units): accuracy {}, kappa {}, majority baseline {}",
                        e.folds,
                        e.units,
                        pct(e.accuracy),
                        e.kappa.map_or("undefined".to_string(), |k| format!("{k:.3}")),
                        pct(e.baseline_accuracy)
                    );
                }
                say!(
                    "run {}{}: {} units, {} labelled, {} failed, {} answered before; {} requests",
                    s.run,
                    if s.resumed { " (resumed)" } else { "" },
                    s.units,
                    s.labelled,
                    s.failed,
                    s.skipped,
                    s.requests
                );
            }
            if s.cancelled {
                bail!("the run stopped before the end; run it again to go on");
            }
        }
        MachineCmd::Runs { name, format } => {
            let runs = sh.call(api::machine_runs, m::MachineRunsRequest { rater: name })?;
            if format == Format::Json {
                return crate::out::json(&runs);
            }
            for r in runs {
                say!("{}", run_line(&r));
            }
        }
        MachineCmd::Answers { name, run, format } => {
            let a = sh.call(
                api::machine_answers,
                m::MachineAnswersRequest { run, rater: name },
            )?;
            if format == Format::Json {
                return crate::out::json(&a);
            }
            for x in &a.answers {
                match x.status.as_str() {
                    "ok" => say!(
                        "run {} {} {}: {} ({}) {}",
                        x.run,
                        x.unit,
                        x.dimension,
                        if x.codes.is_empty() {
                            "(blind)".to_string()
                        } else {
                            x.codes.join(" ")
                        },
                        x.confidence.map_or("-".to_string(), |c| format!("{c:.2}")),
                        x.rationale.as_deref().unwrap_or("")
                    ),
                    _ => say!(
                        "run {} {} {}: failed: {}",
                        x.run,
                        x.unit,
                        x.dimension,
                        x.error.as_deref().unwrap_or("")
                    ),
                }
            }
            if a.withheld > 0 {
                say!(
                    "{} answers on units of unrevealed rounds are shown without codes",
                    a.withheld
                );
            }
        }
        MachineCmd::Route {
            dimension,
            raters,
            below,
            format,
        } => {
            let r = sh.call(
                api::machine_routing,
                m::MachineRoutingRequest {
                    dimension,
                    raters,
                    below: Some(below),
                },
            )?;
            if format == Format::Json {
                return crate::out::json(&r);
            }
            say!(
                "{}: {} of {} units answered by {} to send to people first (confidence below {})",
                r.dimension,
                r.units.len(),
                r.considered,
                r.raters.join(", "),
                r.below
            );
            for u in &r.units {
                let reasons: Vec<&str> = u.reasons.iter().map(|x| x.as_str()).collect();
                let answers: Vec<String> = u
                    .answers
                    .iter()
                    .map(|a| match a.status.as_str() {
                        "ok" => format!(
                            "{} {} ({})",
                            a.rater,
                            a.codes.join(" "),
                            a.confidence.map_or("-".to_string(), |c| format!("{c:.2}"))
                        ),
                        _ => format!("{} failed", a.rater),
                    })
                    .collect();
                say!("{}: {}; {}", u.unit, reasons.join(", "), answers.join("; "));
            }
            if r.withheld > 0 {
                say!(
                    "{} units in rounds not revealed yet are left out (blind)",
                    r.withheld
                );
            }
        }
        MachineCmd::Evaluate {
            name,
            dimension,
            format,
        } => {
            let e = sh.call(
                api::evaluate_local,
                m::EvaluateLocal {
                    rater: name,
                    dimension,
                },
            )?;
            if format == Format::Json {
                return crate::out::json(&e);
            }
            say!(
                "{} units, {} folds (seed {}): accuracy {}, Cohen's kappa {}{}, majority baseline {} ({})",
                e.units,
                e.folds,
                e.seed,
                pct(e.accuracy),
                e.kappa.map_or("undefined".to_string(), |k| format!("{k:.3}")),
                e.kappa_ci.map_or(String::new(), |(l, h)| format!(" [{l:.3}, {h:.3}]")),
                pct(e.baseline_accuracy),
                e.majority.join(" ")
            );
            for c in &e.per_code {
                say!(
                    "  {}: {} units, kappa {}",
                    c.code,
                    c.support,
                    c.kappa
                        .map_or("undefined".to_string(), |k| format!("{k:.3}"))
                );
            }
        }
        MachineCmd::Key(KeyCmd::Keep { url }) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the key from standard input")?;
            let key = line.trim().to_string();
            sh.global(
                api::keep_machine_key,
                m::KeepMachineKey {
                    url: url.clone(),
                    key,
                },
            )?;
            say!("the API key for {url} is kept in the OS keyring");
        }
        MachineCmd::Key(KeyCmd::Forget { url }) => {
            let had = sh.global(
                api::forget_machine_key,
                m::MachineKeyRequest { url: url.clone() },
            )?;
            say!(
                "{}",
                if had {
                    format!("the API key for {url} was removed from the OS keyring")
                } else {
                    format!("no API key was kept for {url}")
                }
            );
        }
    }
    Ok(())
}

/// A machine rater and its configuration on one line.
fn rater_line(x: &codebench::machine::MachineRater) -> String {
    let c = &x.config;
    let what = match c.backend {
        Backend::Openai => format!(
            "openai {} model {} temperature {} seed {}",
            c.url.as_deref().unwrap_or(""),
            c.model.as_deref().unwrap_or(""),
            c.temperature.unwrap_or(0.0),
            c.seed.map_or("none".to_string(), |s| s.to_string())
        ),
        Backend::Local => format!("local, trained on {}", c.train_on.as_deref().unwrap_or("")),
    };
    format!(
        "{}: {what}; dimension {}; {} decisions, {} runs",
        x.name,
        c.dimension.as_deref().unwrap_or("(per run)"),
        x.decisions,
        x.runs
    )
}

/// A run and its provenance on one line.
fn run_line(r: &codebench::machine::MachineRun) -> String {
    format!(
        "run {} {} {} {} {}: {}/{} answered, {} failed, {} tokens in, {} out, {} ({}), prompt {}, codebook {} {}",
        r.id,
        r.rater,
        r.backend,
        r.model.as_deref().unwrap_or(""),
        r.model_version.as_deref().unwrap_or("-"),
        r.answered,
        r.units,
        r.failed,
        r.tokens_in,
        r.tokens_out,
        r.status,
        r.started_at,
        &r.prompt_sha256[..12.min(r.prompt_sha256.len())],
        r.codebook_version,
        &r.codebook_sha256[..12.min(r.codebook_sha256.len())]
    )
}
