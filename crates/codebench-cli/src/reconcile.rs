//! `codebench reconcile`: the queue of disagreements, consensus decisions, bulk acceptance.

use std::path::Path;

use anyhow::Result;
use clap::{Args, Subcommand};
use codebench::reconcile::{AcceptReport, ConsensusInput, Rule};

use crate::{open, print_json, Format};

/// `codebench reconcile ...`
#[derive(Subcommand)]
pub enum ReconcileCmd {
    /// The units on which raters differ, each rater's codes and memo side by side.
    List {
        /// One dimension (default: every dimension).
        #[arg(long)]
        dimension: Option<String>,
        /// Also units with a consensus and units where all raters agree.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Record the consensus on one unit (codes no rater chose need --why).
    Decide {
        /// The unit: owner/name, or owner/name:path/to/Dockerfile.
        #[arg(long)]
        unit: String,
        /// The dimension id.
        #[arg(long)]
        dimension: String,
        /// A code (id, name or alias); repeat for several. None: an empty consensus.
        #[arg(long = "code")]
        codes: Vec<String>,
        /// Who decides.
        #[arg(long)]
        by: String,
        /// Why (required when the codes equal no rater's codes).
        #[arg(long, default_value = "")]
        why: String,
    },
    /// Accept consensus in bulk where a rule holds (units with a consensus are left alone).
    Accept(AcceptArgs),
    /// Make every unit where all raters agree a consensus (adjudicator `auto`).
    Auto {
        /// The dimension id.
        #[arg(long)]
        dimension: String,
    },
    /// Show, or turn on or off, automatic consensus: units where all raters (two or more)
    /// chose the same codes become consensus by `auto` as decisions are recorded and rounds
    /// revealed, and are withdrawn when the raters stop agreeing. On in a new study.
    Automatic {
        /// `on` or `off`; none: show the setting.
        #[arg(value_enum)]
        state: Option<Switch>,
        /// Who changes the setting (kept in the history).
        #[arg(long)]
        by: Option<String>,
    },
    /// Remove a consensus (the unit returns to the queue; the history keeps it).
    Reopen {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        dimension: String,
        #[arg(long)]
        by: String,
        /// Why it is reopened.
        #[arg(long)]
        why: String,
    },
}

/// A setting's new state.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Switch {
    /// Turn it on.
    On,
    /// Turn it off.
    Off,
}

/// `codebench reconcile accept`.
#[derive(Args)]
pub struct AcceptArgs {
    /// The dimension id.
    #[arg(long)]
    dimension: String,
    /// Every rater who decided the unit (at least two) chose the same codes.
    #[arg(
        long,
        conflicts_with = "majority",
        required_unless_present = "majority"
    )]
    unanimous: bool,
    /// More than half of the raters who decided the unit chose the same codes.
    #[arg(long)]
    majority: bool,
    /// Who accepts.
    #[arg(long)]
    by: String,
    /// The rationale recorded on every accepted unit (default: the rule in words).
    #[arg(long)]
    why: Option<String>,
}

/// Runs a `reconcile` subcommand on the study at `path`.
pub fn run(path: &Path, cmd: ReconcileCmd) -> Result<()> {
    match cmd {
        ReconcileCmd::List {
            dimension,
            all,
            format,
        } => {
            let q = open(path)?.reconcile_queue(dimension.as_deref(), all)?;
            if format == Format::Json {
                return print_json(&q);
            }
            if q.items.is_empty() {
                println!("nothing to reconcile");
            }
            for item in &q.items {
                let state = match (&item.consensus, item.agree) {
                    (Some(c), _) => format!(
                        "consensus [{}] by {}{}",
                        c.codes.join(", "),
                        c.adjudicator,
                        if c.rationale.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", c.rationale)
                        }
                    ),
                    (None, true) => "raters agree".into(),
                    (None, false) => "raters differ".into(),
                };
                println!("{} ({})  {state}", item.unit, item.dimension);
                for d in &item.decisions {
                    println!(
                        "  {:<16} [{}]{}{}",
                        d.rater,
                        d.codes.join(", "),
                        if d.flagged { " (flagged)" } else { "" },
                        if d.memo.is_empty() {
                            String::new()
                        } else {
                            format!("  memo: {}", d.memo.replace('\n', " / "))
                        }
                    );
                }
            }
            if q.blinded > 0 {
                println!(
                    "{} unit{} left out: in a round not revealed yet",
                    q.blinded,
                    if q.blinded == 1 { "" } else { "s" }
                );
            }
        }
        ReconcileCmd::Decide {
            unit,
            dimension,
            codes,
            by,
            why,
        } => {
            let (change, c) = open(path)?.decide_consensus(&ConsensusInput {
                unit,
                dimension,
                codes,
                adjudicator: by,
                rationale: why,
            })?;
            println!(
                "{change:?}: consensus {} {} = [{}] by {}",
                c.unit,
                c.dimension,
                c.codes.join(", "),
                c.adjudicator
            );
        }
        ReconcileCmd::Accept(a) => {
            let rule = if a.majority {
                Rule::Majority
            } else {
                Rule::Unanimous
            };
            let r = open(path)?.accept_consensus(&a.dimension, rule, &a.by, a.why.as_deref())?;
            print_accept(&r);
        }
        ReconcileCmd::Auto { dimension } => {
            let r = open(path)?.auto_consensus(&dimension)?;
            print_accept(&r);
        }
        ReconcileCmd::Automatic { state, by } => {
            let mut study = open(path)?;
            match state {
                None => println!(
                    "automatic consensus is {}",
                    if study.auto_consensus_enabled()? {
                        "on"
                    } else {
                        "off"
                    }
                ),
                Some(state) => {
                    let Some(by) = by else {
                        anyhow::bail!("say who changes the setting with --by NAME");
                    };
                    let on = matches!(state, Switch::On);
                    let made = study.set_auto_consensus(on, &by)?;
                    for c in &made {
                        println!(
                            "accepted {} ({}) = [{}]",
                            c.unit,
                            c.dimension,
                            c.codes.join(", ")
                        );
                    }
                    println!(
                        "automatic consensus is {}{}",
                        if on { "on" } else { "off" },
                        if on {
                            format!(
                                " ({} units where all raters agree made consensus)",
                                made.len()
                            )
                        } else {
                            String::new()
                        }
                    );
                }
            }
        }
        ReconcileCmd::Reopen {
            unit,
            dimension,
            by,
            why,
        } => {
            if open(path)?.reopen_consensus(&unit, &dimension, &by, &why)? {
                println!("reopened {unit} ({dimension})");
            } else {
                println!("{unit} ({dimension}) had no consensus");
            }
        }
    }
    Ok(())
}

fn print_accept(r: &AcceptReport) {
    for c in &r.accepted {
        println!(
            "accepted {} ({}) = [{}]",
            c.unit,
            c.dimension,
            c.codes.join(", ")
        );
    }
    println!(
        "{} accepted, {} already decided, {} where the rule does not hold, {} blind (unrevealed round)",
        r.accepted.len(),
        r.already_decided,
        r.not_met,
        r.blinded
    );
}
