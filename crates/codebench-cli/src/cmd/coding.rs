//! `codebench queue`, `decisions`, `code` and `evidence`.

use clap::{Args, Subcommand, ValueEnum};
use codebench::api::{self, coding as c};
use codebench::coding::DecisionInput;

use crate::shell::Shell;
use crate::{say, Format};

/// A queue filter.
#[derive(Clone, Copy, ValueEnum)]
pub enum Filter {
    /// Units you have not decided in every dimension.
    Todo,
    /// Units you have decided.
    Done,
    /// Units with a decision of yours flagged.
    Flagged,
    /// Units of projects that changed upstream.
    Changed,
    /// Units where your codes differ from another rater's.
    Disagree,
    /// Every unit.
    All,
}

/// `codebench queue`.
#[derive(Args)]
pub struct QueueArgs {
    /// Whose queue.
    #[arg(long)]
    rater: String,
    #[arg(long, value_enum, default_value_t = Filter::Todo)]
    filter: Filter,
    /// A part of the unit's name.
    #[arg(long, default_value = "")]
    search: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Prints a rater's queue: the round progress, then the units the filter shows.
pub fn queue(sh: &Shell, a: QueueArgs) -> anyhow::Result<()> {
    let q = sh.call(
        api::coding_queue,
        c::QueueRequest {
            rater: a.rater,
            filter: match a.filter {
                Filter::Todo => c::QueueFilter::Todo,
                Filter::Done => c::QueueFilter::Done,
                Filter::Flagged => c::QueueFilter::Flagged,
                Filter::Changed => c::QueueFilter::Changed,
                Filter::Disagree => c::QueueFilter::Disagree,
                Filter::All => c::QueueFilter::All,
            },
            search: a.search,
        },
    )?;
    if a.format == Format::Json {
        return crate::out::json(&q);
    }
    for r in &q.rounds {
        say!(
            "Round {}: {} of {} by you{}",
            r.round,
            r.decided,
            r.total,
            if r.revealed { " (revealed)" } else { "" }
        );
    }
    say!("{} of {} units coded", q.coded, q.total);
    for e in q.items.iter().filter(|e| e.shown) {
        let mut marks = Vec::new();
        if e.coded {
            marks.push("coded".to_string());
        }
        if e.flagged {
            marks.push("flagged".into());
        }
        if e.changed {
            marks.push("changed upstream".into());
        }
        if e.disagreement {
            marks.push("disagreement".into());
        }
        if !e.blind_rounds.is_empty() {
            marks.push(format!("blind: {}", e.blind_rounds.join(", ")));
        }
        say!(
            "{:<60} {}",
            e.unit.name,
            if marks.is_empty() {
                String::new()
            } else {
                format!("[{}]", marks.join("; "))
            }
        );
    }
    Ok(())
}

/// `codebench decisions`.
#[derive(Args)]
pub struct DecisionsArgs {
    /// Only this rater's.
    #[arg(long)]
    rater: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Prints decisions, as the viewer may see them.
pub fn decisions(sh: &Shell, a: DecisionsArgs) -> anyhow::Result<()> {
    let list = sh.call(api::decisions, c::DecisionsRequest { rater: a.rater })?;
    if a.format == Format::Json {
        return crate::out::json(&list);
    }
    for d in list {
        let assisted = if d.suggested_by.is_empty() {
            String::new()
        } else {
            format!(" (suggested by {})", d.suggested_by.join(", "))
        };
        say!(
            "{:<16} {:<50} {:<10} [{}]{}{assisted}",
            d.rater,
            d.unit,
            d.dimension,
            d.codes.join(", "),
            if d.flagged { " (flagged)" } else { "" }
        );
    }
    Ok(())
}

/// `codebench code`.
#[derive(Args)]
pub struct CodeArgs {
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
    /// Remove the rater's decision on the unit instead (the history keeps it).
    #[arg(long, conflicts_with_all = ["codes", "memo", "flag"])]
    clear: bool,
}

/// Records (or clears) a decision.
pub fn code(sh: &Shell, a: CodeArgs) -> anyhow::Result<()> {
    if a.clear {
        let r = sh.call(
            api::clear_decision,
            c::ClearDecision {
                rater: a.rater.clone(),
                unit: a.unit.clone(),
                dimension: a.dimension.clone(),
            },
        )?;
        say!(
            "{} {} {}: {}",
            a.rater,
            a.unit,
            a.dimension,
            if r.cleared {
                "cleared"
            } else {
                "had no decision"
            }
        );
        return Ok(());
    }
    let r = sh.call(
        api::record_decision,
        DecisionInput {
            rater: a.rater,
            unit: a.unit,
            dimension: a.dimension,
            codes: a.codes,
            memo: a.memo,
            flagged: a.flag.then_some(true),
        },
    )?;
    let d = &r.decision;
    say!(
        "{:?}: {} {} {} = [{}]",
        r.change,
        d.rater,
        d.unit,
        d.dimension,
        d.codes.join(", ")
    );
    Ok(())
}

/// `codebench evidence ...`
#[derive(Subcommand)]
pub enum EvidenceCmd {
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
    /// List evidence (of one rater), as you may see it.
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

/// Runs an `evidence` subcommand.
pub fn evidence(sh: &Shell, cmd: EvidenceCmd) -> anyhow::Result<()> {
    match cmd {
        EvidenceCmd::Add {
            rater,
            unit,
            dimension,
            code,
            file,
            quote,
            lines,
        } => {
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
            let e = sh.call(
                api::add_evidence,
                codebench::evidence::EvidenceInput {
                    rater,
                    unit,
                    dimension,
                    code,
                    file,
                    quote,
                    line_start,
                    line_end,
                },
            )?;
            say!(
                "evidence {} on {} {} {}: {}",
                e.id,
                e.unit,
                e.dimension,
                e.code,
                e.cite()
            );
        }
        EvidenceCmd::List { rater, format } => {
            let list = sh.call(api::evidence, c::EvidenceRequest { rater })?;
            if format == Format::Json {
                return crate::out::json(&list);
            }
            for e in list {
                say!(
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
        EvidenceCmd::Remove { id, by } => {
            sh.call(api::remove_evidence, c::RemoveEvidence { id, by })?;
            say!("removed evidence {id}");
        }
    }
    Ok(())
}
