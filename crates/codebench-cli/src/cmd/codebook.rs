//! `codebench codebook`: show it, open-coding edits, and exchange (JSON, .qdc).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use codebench::api::{self, codebook as cb};
use codebench::codebook::{CodeStatus, CodeText};

use crate::shell::{abs, Shell};
use crate::{say, Format};

/// `codebench codebook ...`
#[derive(Subcommand)]
pub enum CodebookCmd {
    /// Print the dimensions and codes, with use counts and who proposed a code.
    Show {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Propose a new code while coding (status proposed).
    Propose {
        #[arg(long)]
        dimension: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        definition: String,
        /// Make it a sub-code of this code.
        #[arg(long)]
        parent: Option<String>,
        /// Who proposes it (a rater).
        #[arg(long)]
        by: String,
    },
    /// Rename a code (its id and its decisions stay).
    Rename {
        #[arg(long)]
        dimension: String,
        code: String,
        new_name: String,
        #[arg(long)]
        by: String,
    },
    /// Rewrite a code's definition, include and exclude notes and example (kept in the history).
    Edit {
        #[arg(long)]
        dimension: String,
        code: String,
        #[arg(long, default_value = "")]
        definition: String,
        #[arg(long, default_value = "")]
        include: String,
        #[arg(long, default_value = "")]
        exclude: String,
        #[arg(long, default_value = "")]
        example: String,
        #[arg(long)]
        by: String,
    },
    /// Retire a code (old decisions keep it; it is not offered anew), or bring it back.
    Retire {
        #[arg(long)]
        dimension: String,
        code: String,
        #[arg(long)]
        by: String,
        /// Make the code active again (also accepts a proposed code).
        #[arg(long)]
        undo: bool,
    },
    /// Merge one code into another: every decision with FROM gets INTO; FROM is removed.
    Merge {
        #[arg(long)]
        dimension: String,
        from: String,
        into: String,
        #[arg(long)]
        by: String,
    },
    /// Split a code into new codes (NAME=definition, at least two); the old code is retired and
    /// the units to recode are listed.
    Split {
        #[arg(long)]
        dimension: String,
        code: String,
        #[arg(required = true, num_args = 2..)]
        into: Vec<String>,
        #[arg(long)]
        by: String,
    },
    /// Replace the study's codebook (JSON or .qdc) before coding starts.
    Import {
        /// The codebook file.
        file: PathBuf,
    },
    /// Write the codebook to a file.
    Export {
        #[arg(long, value_enum, default_value_t = CodebookFormat::Json)]
        format: CodebookFormat,
        /// Where to write it.
        file: PathBuf,
    },
}

/// A codebook file format.
#[derive(Clone, Copy, ValueEnum)]
pub enum CodebookFormat {
    /// Codebench's JSON format (schema/codebook.schema.json).
    Json,
    /// REFI-QDA codebook (urn:QDA-XML:codebook:1.0) for ATLAS.ti, MAXQDA, NVivo, QualCoder.
    Qdc,
}

/// Runs a `codebook` subcommand.
pub fn run(sh: &Shell, cmd: CodebookCmd) -> anyhow::Result<()> {
    match cmd {
        CodebookCmd::Show { format } => {
            let book = sh.call(api::codebook, cb::CodebookRequest {})?;
            if format == Format::Json {
                return crate::out::raw(&book.to_json());
            }
            let uses = sh.call(api::code_uses, cb::CodebookRequest {})?;
            say!("{} {}: {}", book.id, book.version, book.name);
            for d in &book.dimensions {
                say!(
                    "\n{} ({}; unit {}; {} code{} per decision)",
                    d.id,
                    d.name,
                    d.unit.as_str(),
                    d.cardinality.as_str(),
                    if d.cardinality.as_str() == "one" {
                        ""
                    } else {
                        "s"
                    }
                );
                for c in &d.codes {
                    let indent = if c.parent.is_some() { "    " } else { "  " };
                    let status = if c.status.as_str() == "active" {
                        String::new()
                    } else {
                        format!(" [{}]", c.status.as_str())
                    };
                    let u = uses.iter().find(|u| u.dimension == d.id && u.code == c.id);
                    let n = u.map_or(0, |u| u.count);
                    let used = if n > 0 {
                        format!("  ({n} decision{})", if n == 1 { "" } else { "s" })
                    } else {
                        String::new()
                    };
                    let by = u
                        .and_then(|u| u.proposed_by.as_deref())
                        .map(|p| format!("  proposed by {p}"))
                        .unwrap_or_default();
                    say!("{indent}{:<28} {}{status}{used}{by}", c.id, c.name);
                }
            }
        }
        CodebookCmd::Export { format, file } => {
            let w = sh.call(
                api::export_codebook,
                cb::ExportCodebook {
                    file: abs(&file)?,
                    format: match format {
                        CodebookFormat::Json => cb::CodebookFormat::Json,
                        CodebookFormat::Qdc => cb::CodebookFormat::Qdc,
                    },
                },
            )?;
            say!("wrote {}", w.path);
        }
        CodebookCmd::Propose {
            dimension,
            name,
            definition,
            parent,
            by,
        } => {
            let c = sh.call(
                api::propose_code,
                cb::ProposeCode {
                    dimension: dimension.clone(),
                    name,
                    definition,
                    parent,
                    by,
                },
            )?;
            say!("proposed {} ({}) in {dimension}", c.id, c.name);
        }
        CodebookCmd::Rename {
            dimension,
            code,
            new_name,
            by,
        } => {
            sh.call(
                api::rename_code,
                cb::RenameCode {
                    dimension,
                    code: code.clone(),
                    name: new_name.clone(),
                    by,
                },
            )?;
            say!("renamed {code} to '{new_name}'");
        }
        CodebookCmd::Edit {
            dimension,
            code,
            definition,
            include,
            exclude,
            example,
            by,
        } => {
            let c = sh.call(
                api::edit_code,
                cb::EditCode {
                    dimension,
                    code,
                    text: CodeText {
                        definition,
                        include,
                        exclude,
                        example,
                    },
                    by,
                },
            )?;
            say!("{} ({}) now reads: {}", c.id, c.name, c.definition);
        }
        CodebookCmd::Retire {
            dimension,
            code,
            by,
            undo,
        } => {
            let status = if undo {
                CodeStatus::Active
            } else {
                CodeStatus::Retired
            };
            sh.call(
                api::set_code_status,
                cb::SetCodeStatus {
                    dimension,
                    code: code.clone(),
                    status,
                    by,
                },
            )?;
            say!("{code} is now {}", status.as_str());
        }
        CodebookCmd::Merge {
            dimension,
            from,
            into,
            by,
        } => {
            let m = sh.call(
                api::merge_codes,
                cb::MergeCodes {
                    dimension,
                    from: from.clone(),
                    into: into.clone(),
                    by,
                },
            )?;
            say!(
                "merged {from} into {into}; {} decisions remapped",
                m.decisions_remapped
            );
        }
        CodebookCmd::Split {
            dimension,
            code,
            into,
            by,
        } => {
            let into = into
                .iter()
                .map(|p| match p.split_once('=') {
                    Some((n, d)) => cb::NewCode {
                        name: n.to_string(),
                        definition: d.to_string(),
                    },
                    None => cb::NewCode {
                        name: p.clone(),
                        definition: String::new(),
                    },
                })
                .collect();
            let s = sh.call(
                api::split_code,
                cb::SplitCode {
                    dimension,
                    code: code.clone(),
                    into,
                    by,
                },
            )?;
            say!(
                "split {code} into {}; {code} is retired",
                s.codes
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for u in s.recode {
                say!("  to recode: {u}");
            }
        }
        CodebookCmd::Import { file } => {
            let b = sh.call(
                api::import_codebook,
                cb::ImportCodebook { file: abs(&file)? },
            )?;
            say!(
                "the study now codes with {} {} ({} dimensions)",
                b.id,
                b.version,
                b.dimensions
            );
        }
    }
    Ok(())
}
