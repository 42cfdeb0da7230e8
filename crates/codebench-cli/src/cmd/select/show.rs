//! `codebench select show`: the selection's steps as a table, JSON or CSV, the methods
//! paragraph, and the funnel figure.

use codebench::api::{self, select as sel};
use codebench::select::StepStatus;

use super::{count, ShowArgs, ShowFormat};
use crate::say;
use crate::shell::{abs, Shell};

pub(super) fn show(sh: &Shell, a: ShowArgs) -> anyhow::Result<()> {
    if let Some(dir) = &a.figure {
        let written = sh.call(
            api::export_selection_figure,
            sel::ExportSelectionFigure { dir: abs(dir)? },
        )?;
        for w in &written {
            eprintln!("wrote {w}");
        }
    }
    if a.methods {
        let m = sh.call(api::selection_methods, sel::SelectionRequest {})?;
        say!("{}", m.text);
        return Ok(());
    }
    match a.format {
        ShowFormat::Json => {
            let s = sh.call(api::selection, sel::SelectionRequest {})?;
            crate::out::json(&s)
        }
        ShowFormat::Csv => {
            let csv = sh.call(api::selection_csv, sel::SelectionRequest {})?;
            crate::out::raw(&csv)
        }
        ShowFormat::Table => {
            let s = sh.call(api::selection, sel::SelectionRequest {})?;
            if s.steps.is_empty() {
                say!("no selection yet (start with `codebench select search QUERY`)");
                return Ok(());
            }
            say!(
                "{:>4}  {:<7} {:<10} {:>8} {:>8} {:>8}  what",
                "step",
                "kind",
                "status",
                "in",
                "out",
                "excluded"
            );
            for st in &s.steps {
                say!(
                    "{:>4}  {:<7} {:<10} {:>8} {:>8} {:>8}  {}",
                    st.step,
                    st.kind.as_str(),
                    match st.status {
                        StepStatus::Done => "done",
                        StepStatus::Unfinished => "unfinished",
                        StepStatus::Failed => "failed",
                    },
                    count(st.count_in),
                    count(st.count_out),
                    st.excluded.len(),
                    st.label
                );
                if let Some(e) = &st.error {
                    say!("      {e}");
                }
            }
            say!(
                "{} repositories in the selection{}",
                s.population,
                if s.accepted {
                    "; accepted as the corpus"
                } else {
                    ""
                }
            );
            if let Some(d) = &s.drift {
                say!(
                    "last re-run {}: {} found now ({} vanished, {} new, {} changed)",
                    d.ran_at,
                    d.found_now,
                    d.vanished.len(),
                    d.new.len(),
                    d.changed.len()
                );
            }
            Ok(())
        }
    }
}
