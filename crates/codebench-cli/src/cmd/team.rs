//! `codebench copy` and `codebench merge`: hand-out copies for raters and merging them back.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use codebench::api::{self, team};
use codebench::merge::{Prefer, Take};

use crate::shell::{abs, Shell};
use crate::{say, Format};

/// `codebench copy`.
#[derive(Args)]
pub struct CopyArgs {
    /// The new file.
    pub out: PathBuf,
    /// Hand it out for this rater (other raters' blind decisions are left out).
    #[arg(long = "for", value_name = "RATER")]
    pub for_rater: Option<String>,
    /// The round it is for.
    #[arg(long)]
    pub round: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Makes the copy.
pub fn copy(sh: &Shell, a: CopyArgs) -> Result<()> {
    let r = sh.call(
        api::copy_study,
        team::CopyStudy {
            out: abs(&a.out)?,
            for_rater: a.for_rater,
            round: a.round,
            by: None,
        },
    )?;
    if a.format == Format::Json {
        return crate::out::json(&r);
    }
    say!(
        "copied the study to {} ({} decisions{}{})",
        r.path,
        r.decisions - r.decisions_withheld,
        r.for_rater
            .as_deref()
            .map(|f| format!(", for {f}"))
            .unwrap_or_default(),
        if r.decisions_withheld > 0 {
            format!(
                "; {} of other raters' blind decisions left out",
                r.decisions_withheld
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// A rule for conflicts.
#[derive(Clone, Copy, ValueEnum)]
pub enum PreferArg {
    /// Keep this study's side.
    Mine,
    /// Take the other copy's side.
    Theirs,
    /// Take the side changed last.
    Newest,
}

/// `codebench merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The other copy of the study (only read).
    pub other: PathBuf,
    /// Settle every conflict without a --take by this rule (default: list them, merge nothing).
    #[arg(long, value_enum)]
    pub prefer: Option<PreferArg>,
    /// Settle one conflict: ID=mine or ID=theirs (IDs are listed by a merge that stops).
    #[arg(long = "take", value_name = "ID=SIDE")]
    pub take: Vec<String>,
    /// Show what the merge would do, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Merges `args.other` into the study.
pub fn merge(sh: &Shell, args: MergeArgs) -> Result<()> {
    let mut choices = Vec::new();
    for t in &args.take {
        let Some((id, side)) = t.rsplit_once('=') else {
            anyhow::bail!("--take '{t}': give ID=mine or ID=theirs");
        };
        let take = match side {
            "mine" => Take::Mine,
            "theirs" => Take::Theirs,
            _ => anyhow::bail!("--take '{t}': the side is mine or theirs"),
        };
        choices.push(team::Choice {
            id: id.to_string(),
            take,
        });
    }
    let r = sh.call(
        api::merge_study,
        team::MergeStudy {
            path: abs(&args.other)?,
            prefer: args.prefer.map(|p| match p {
                PreferArg::Mine => Prefer::Mine,
                PreferArg::Theirs => Prefer::Theirs,
                PreferArg::Newest => Prefer::Newest,
            }),
            choices,
            dry_run: args.dry_run,
        },
    )?;
    if args.format == Format::Json {
        crate::out::json(&r)?;
    } else {
        print(&r, &args)?;
    }
    if r.unsettled() > 0 {
        anyhow::bail!(
            "{} conflict{} to settle (--prefer mine|theirs|newest, or --take ID=mine|theirs); nothing was merged",
            r.unsettled(),
            if r.unsettled() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

fn print(r: &codebench::merge::MergeReport, args: &MergeArgs) -> Result<()> {
    for c in &r.conflicts {
        let taken = match c.taken {
            Some(Take::Mine) => "kept mine",
            Some(Take::Theirs) => "took theirs",
            None => "to settle",
        };
        say!("conflict {}: {} ({taken})", c.id, c.subject);
        say!("  mine   {}  ({})", c.mine, c.mine_at);
        say!("  theirs {}  ({})", c.theirs, c.theirs_at);
    }
    for f in &r.flagged {
        say!("flagged: {f}");
    }
    if r.unsettled() > 0 {
        return Ok(());
    }
    if !r.changed() {
        say!(
            "nothing new in {} ({} decisions already here)",
            args.other.display(),
            r.decisions_same
        );
        return Ok(());
    }
    let verb = if r.merged { "" } else { "would be " };
    if !r.raters_added.is_empty() {
        say!("raters {verb}added: {}", r.raters_added.join(", "));
    }
    if !r.codes_added.is_empty() {
        say!("codes {verb}added: {}", r.codes_added.join(", "));
    }
    if !r.codes_updated.is_empty() {
        say!("codes {verb}updated: {}", r.codes_updated.join(", "));
    }
    if !r.projects_added.is_empty() {
        say!("projects {verb}added: {}", r.projects_added.join(", "));
    }
    if !r.rounds_added.is_empty() {
        say!("rounds {verb}added: {}", r.rounds_added.join(", "));
    }
    if !r.rounds_revealed.is_empty() {
        say!(
            "rounds revealed there, now here: {}",
            r.rounds_revealed.join(", ")
        );
    }
    if r.auto_consensus > 0 {
        say!(
            "{} units where all raters now agree became consensus (automatic consensus is on)",
            r.auto_consensus
        );
    }
    if r.machine_runs_added + r.machine_answers_added > 0 {
        say!(
            "{} machine runs and {} machine answers {verb}added (configurations and provenance with them)",
            r.machine_runs_added,
            r.machine_answers_added
        );
    }
    if r.machine_runs_left_out > 0 {
        say!(
            "{} machine runs left out: the copy was handed out for {}",
            r.machine_runs_left_out,
            r.handed_out_for.as_deref().unwrap_or("a rater")
        );
    }
    say!(
        "{} snapshots, {} units, {} decisions ({} already here, {} replaced), {} evidence, {} consensus, {} image references, {} metrics, {} history rows {verb}added",
        r.snapshots_added,
        r.units_added,
        r.decisions_added,
        r.decisions_same,
        r.decisions_replaced,
        r.evidence_added,
        r.consensus_added,
        r.image_refs_added,
        r.metrics_added,
        r.history_added
    );
    Ok(())
}
