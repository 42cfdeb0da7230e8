//! `codebench merge OTHER`: bring another copy of the study (a rater's) into this one.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use crate::{open, print_json, Format};

/// `codebench merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The other copy of the study (only read).
    pub other: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Merges `args.other` into the study at `path`.
pub fn run(path: &Path, args: MergeArgs) -> Result<()> {
    let r = open(path)?.merge_from(&args.other)?;
    if args.format == Format::Json {
        return print_json(&r);
    }
    if !r.changed() {
        println!(
            "nothing new in {} ({} decisions already here)",
            args.other.display(),
            r.decisions_same
        );
        return Ok(());
    }
    if !r.raters_added.is_empty() {
        println!("raters added: {}", r.raters_added.join(", "));
    }
    if !r.projects_added.is_empty() {
        println!("projects added: {}", r.projects_added.join(", "));
    }
    if !r.rounds_added.is_empty() {
        println!("rounds added: {}", r.rounds_added.join(", "));
    }
    if !r.rounds_revealed.is_empty() {
        println!(
            "rounds revealed there, now here: {}",
            r.rounds_revealed.join(", ")
        );
    }
    if r.auto_consensus > 0 {
        println!(
            "{} units where all raters now agree became consensus (automatic consensus is on)",
            r.auto_consensus
        );
    }
    println!(
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
