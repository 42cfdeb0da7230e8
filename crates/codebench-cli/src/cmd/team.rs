//! `codebench merge OTHER`: bring another copy of the study (a rater's) into this one.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use codebench::api::{self, team};

use crate::shell::{abs, Shell};
use crate::{say, Format};

/// `codebench merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The other copy of the study (only read).
    pub other: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Merges `args.other` into the study.
pub fn merge(sh: &Shell, args: MergeArgs) -> Result<()> {
    let r = sh.call(api::merge_study, team::MergeStudy { path: abs(&args.other)? })?;
    if args.format == Format::Json {
        return crate::out::json(&r);
    }
    if !r.changed() {
        say!(
            "nothing new in {} ({} decisions already here)",
            args.other.display(),
            r.decisions_same
        );
        return Ok(());
    }
    if !r.raters_added.is_empty() {
        say!("raters added: {}", r.raters_added.join(", "));
    }
    if !r.projects_added.is_empty() {
        say!("projects added: {}", r.projects_added.join(", "));
    }
    if !r.rounds_added.is_empty() {
        say!("rounds added: {}", r.rounds_added.join(", "));
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
    say!(
        "{} snapshots, {} units, {} decisions ({} already here), {} consensus, {} history rows added",
        r.snapshots_added,
        r.units_added,
        r.decisions_added,
        r.decisions_same,
        r.consensus_added,
        r.history_added
    );
    Ok(())
}
