//! `codebench reconcile`: the queue of disagreements, consensus decisions, bulk acceptance.

use anyhow::Result;
use clap::{Args, Subcommand};
use codebench::api::{self, reconcile as rc};
use codebench::reconcile::{AcceptReport, ConsensusInput, Rule};

use crate::shell::Shell;
use crate::{say, Format};

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

/// Runs a `reconcile` subcommand.
pub fn run(sh: &Shell, cmd: ReconcileCmd) -> Result<()> {
    match cmd {
        ReconcileCmd::List {
            dimension,
            all,
            format,
        } => {
            let q = sh.call(
                api::reconcile_queue,
                rc::QueueRequest {
                    dimension,
                    include_resolved: all,
                },
            )?;
            if format == Format::Json {
                return crate::out::json(&q);
            }
            if q.items.is_empty() {
                say!("nothing to reconcile");
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
                say!("{} ({})  {state}", item.unit, item.dimension);
                for d in &item.decisions {
                    say!(
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
                say!(
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
            let d = sh.call(
                api::decide_consensus,
                ConsensusInput {
                    unit,
                    dimension,
                    codes,
                    adjudicator: by,
                    rationale: why,
                },
            )?;
            let (change, c) = (d.change, d.consensus);
            say!(
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
            let r = sh.call(
                api::accept_consensus,
                rc::AcceptConsensus {
                    dimension: a.dimension,
                    rule,
                    by: Some(a.by),
                    why: a.why,
                },
            )?;
            print_accept(&r)?;
        }
        ReconcileCmd::Auto { dimension } => {
            let r = sh.call(
                api::accept_consensus,
                rc::AcceptConsensus {
                    dimension,
                    rule: Rule::Unanimous,
                    by: None,
                    why: None,
                },
            )?;
            print_accept(&r)?;
        }
        ReconcileCmd::Automatic { state, by } => match state {
            None => {
                let on = sh.call(api::auto_consensus, rc::AutoRequest {})?;
                say!("automatic consensus is {}", if on { "on" } else { "off" });
            }
            Some(state) => {
                let Some(by) = by else {
                    anyhow::bail!("say who changes the setting with --by NAME");
                };
                let on = matches!(state, Switch::On);
                let made = sh.call(api::set_auto_consensus, rc::SetAuto { on, by })?;
                for c in &made {
                    say!(
                        "accepted {} ({}) = [{}]",
                        c.unit,
                        c.dimension,
                        c.codes.join(", ")
                    );
                }
                say!(
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
        },
        ReconcileCmd::Reopen {
            unit,
            dimension,
            by,
            why,
        } => {
            let r = sh.call(
                api::reopen_consensus,
                rc::ReopenConsensus {
                    unit: unit.clone(),
                    dimension: dimension.clone(),
                    by,
                    why,
                },
            )?;
            if r.reopened {
                say!("reopened {unit} ({dimension})");
            } else {
                say!("{unit} ({dimension}) had no consensus");
            }
        }
    }
    Ok(())
}

fn print_accept(r: &AcceptReport) -> Result<()> {
    for c in &r.accepted {
        say!(
            "accepted {} ({}) = [{}]",
            c.unit,
            c.dimension,
            c.codes.join(", ")
        );
    }
    say!(
        "{} accepted, {} already decided, {} where the rule does not hold, {} blind (unrevealed round)",
        r.accepted.len(),
        r.already_decided,
        r.not_met,
        r.blinded
    );
    Ok(())
}
