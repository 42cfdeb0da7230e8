//! `codebench round`: samples of units coded blind, assigned raters, reveal.

use anyhow::Result;
use clap::{Args, Subcommand};
use codebench::api::{self, rounds as rd};
use codebench::round::RoundInfo;

use crate::shell::Shell;
use crate::{say, Format};

/// `codebench round ...`
#[derive(Subcommand)]
pub enum RoundCmd {
    /// Sample a new round of units (deterministic for a --seed).
    Create(CreateArgs),
    /// Assign raters to a round.
    Assign {
        /// The round.
        name: String,
        /// Raters, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        raters: Vec<String>,
    },
    /// Every round with its raters' progress.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// One round: its units and what each rater still owes.
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Reveal a round (everyone sees everyone's decisions on its units).
    Reveal {
        name: String,
        /// Who reveals it.
        #[arg(long, default_value = "lead")]
        by: String,
        /// Reveal even though raters have not decided every unit.
        #[arg(long)]
        force: bool,
    },
}

/// `codebench round create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The round's name.
    name: String,
    /// How many units.
    #[arg(long, group = "how")]
    size: Option<usize>,
    /// Which share of the units (0 < F ≤ 1), rounded up.
    #[arg(long, group = "how")]
    fraction: Option<f64>,
    /// Size the round for a Cohen's κ confidence interval this wide (needs --expected-kappa
    /// and --dimension).
    #[arg(long, group = "how", requires = "expected_kappa")]
    plan_width: Option<f64>,
    /// The κ raters are expected to reach (with --plan-width).
    #[arg(long, requires = "plan_width")]
    expected_kappa: Option<f64>,
    /// Confidence level of the planned interval.
    #[arg(long, default_value_t = 0.95, requires = "plan_width")]
    confidence: f64,
    /// The dimension coded in the round (default: every dimension of project units).
    #[arg(long)]
    dimension: Option<String>,
    /// Stratify the sample by a one-code project dimension (consensus, else the raters' code).
    #[arg(long)]
    stratify: Option<String>,
    /// Sampling seed (default: from the clock; stored with the round).
    #[arg(long)]
    seed: Option<u64>,
    /// Keep every unit of this earlier round and sample more.
    #[arg(long)]
    extend: Option<String>,
}

/// Runs a `round` subcommand.
pub fn run(sh: &Shell, cmd: RoundCmd) -> Result<()> {
    match cmd {
        RoundCmd::Create(a) => {
            let info = sh.call(
                api::create_round,
                rd::CreateRound {
                    name: a.name,
                    size: a.size,
                    fraction: a.fraction,
                    plan_width: a.plan_width,
                    expected_kappa: a.expected_kappa,
                    confidence: a.plan_width.map(|_| a.confidence),
                    dimension: a.dimension,
                    stratify: a.stratify,
                    seed: a.seed,
                    extend: a.extend,
                    by: sh.viewer.clone(),
                },
            )?;
            say!(
                "created round {} with {} units (seed {}){}",
                info.name,
                info.units.len(),
                info.seed,
                info.extends
                    .as_deref()
                    .map(|e| format!(", extending {e}"))
                    .unwrap_or_default()
            );
            if let Some(n) = info.plan.get("plan").and_then(|p| p.get("planned")) {
                say!("planned size {n} (pool {})", info.plan["pool"]);
            }
        }
        RoundCmd::Assign { name, raters } => {
            let info = sh.call(
                api::assign_round,
                rd::AssignRound {
                    round: name,
                    raters,
                    by: sh.viewer.clone(),
                },
            )?;
            let names: Vec<&str> = info.raters.iter().map(|r| r.rater.as_str()).collect();
            say!("round {}: raters {}", info.name, names.join(", "));
        }
        RoundCmd::List { format } => {
            let rounds = sh.call(api::rounds, rd::RoundsRequest {})?;
            if format == Format::Json {
                return crate::out::json(&rounds);
            }
            if rounds.is_empty() {
                say!("no rounds yet (`codebench round create NAME --fraction 0.5`)");
            }
            for r in &rounds {
                print_round(r)?;
            }
        }
        RoundCmd::Show { name, format } => {
            let d = sh.call(api::round, rd::RoundRequest { round: name })?;
            if format == Format::Json {
                return crate::out::json(&d.round);
            }
            print_round(&d.round)?;
            for u in &d.round.units {
                say!("  unit {u}");
            }
            for m in d.missing {
                say!("  {} still owes: {}", m.rater, m.pairs.join(", "));
            }
        }
        RoundCmd::Reveal { name, by, force } => {
            let r = sh.call(
                api::reveal_round,
                rd::RevealRound {
                    round: name,
                    by,
                    force,
                },
            )?;
            say!(
                "round {} revealed at {}",
                r.name,
                r.revealed_at.unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn print_round(r: &RoundInfo) -> Result<()> {
    let progress: Vec<String> = r
        .raters
        .iter()
        .map(|p| format!("{} {}/{}", p.rater, p.decided, p.total))
        .collect();
    say!(
        "{:<12} {:>4} units  {:<10} {}  {}{}",
        r.name,
        r.units.len(),
        r.dimension.as_deref().unwrap_or("all"),
        if r.revealed_at.is_some() {
            "revealed"
        } else {
            "blind   "
        },
        if progress.is_empty() {
            "no raters assigned".to_string()
        } else {
            progress.join(", ")
        },
        r.extends
            .as_deref()
            .map(|e| format!("  (extends {e})"))
            .unwrap_or_default()
    );
    Ok(())
}
