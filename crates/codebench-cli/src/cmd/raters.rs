//! `codebench raters`: add, list, rename, merge, remove.

use clap::Subcommand;
use codebench::api::{self, raters as r};

use crate::shell::Shell;
use crate::{say, Format};

/// `codebench raters ...`
#[derive(Subcommand)]
pub enum RatersCmd {
    /// Add a rater.
    Add { name: String },
    /// List raters with their decision counts.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Rename a rater (their decisions, evidence and adjudications follow).
    Rename {
        /// The current name.
        rater: String,
        /// The new name.
        name: String,
        #[arg(long)]
        by: String,
    },
    /// Merge rater FROM into INTO (the same person entered twice); refused where both decided
    /// a unit differently.
    Merge {
        from: String,
        into: String,
        #[arg(long)]
        by: String,
    },
    /// Remove a rater who has no decisions.
    Remove {
        rater: String,
        #[arg(long)]
        by: String,
    },
}

/// Runs a `raters` subcommand.
pub fn run(sh: &Shell, cmd: RatersCmd) -> anyhow::Result<()> {
    match cmd {
        RatersCmd::Add { name } => {
            let x = sh.call(api::add_rater, r::AddRater { name })?;
            say!("added rater {}", x.name);
        }
        RatersCmd::List { format } => {
            let list = sh.call(api::list_raters, r::RatersRequest {})?;
            if format == Format::Json {
                return crate::out::json(&list);
            }
            for x in list {
                say!("{}", x.name);
            }
        }
        RatersCmd::Rename { rater, name, by } => {
            let x = sh.call(
                api::rename_rater,
                r::RenameRater {
                    rater: rater.clone(),
                    name,
                    by,
                },
            )?;
            say!("renamed rater {rater} to {}", x.name);
        }
        RatersCmd::Merge { from, into, by } => {
            let m = sh.call(api::merge_raters, r::MergeRaters { from, into, by })?;
            say!(
                "merged {} into {}: {} decisions moved, {} joined, {} evidence moved",
                m.from,
                m.into,
                m.decisions_moved,
                m.decisions_joined,
                m.evidence_moved
            );
        }
        RatersCmd::Remove { rater, by } => {
            sh.call(
                api::remove_rater,
                r::RemoveRater {
                    rater: rater.clone(),
                    by,
                },
            )?;
            say!("removed rater {rater}");
        }
    }
    Ok(())
}
