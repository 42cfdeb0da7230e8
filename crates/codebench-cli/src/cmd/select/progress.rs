//! The progress bar a long `select` or `hub` step draws on standard error, with the lines
//! (waits, failures, resumed steps) printed above it.

use std::time::Duration;

use anyhow::Context;
use codebench::select::SelectProgress;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on standard error, and lines printed above it.
pub(super) struct Bar(pub(super) ProgressBar);

impl Bar {
    pub(super) fn new() -> anyhow::Result<Bar> {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
            )
            .context("progress bar template")?,
        );
        Ok(Bar(bar))
    }

    pub(super) fn line(&self, line: String) {
        if self.0.is_hidden() {
            eprintln!("{line}");
        } else {
            self.0.println(line);
        }
    }

    pub(super) fn on(&self, p: SelectProgress) {
        match p {
            SelectProgress::Step {
                step,
                label,
                to_do,
                done_before,
            } => {
                self.0.set_position(0);
                self.0.set_length(to_do);
                self.0.set_message(format!("step {step}: {label}"));
                if done_before > 0 {
                    self.line(format!(
                        "step {step} ({label}): {done_before} done by an earlier run, {to_do} to go"
                    ));
                }
            }
            SelectProgress::Counted { query, total } => {
                self.0.set_message(format!("counting: {total} for {query}"))
            }
            SelectProgress::Planned { slices, total } => {
                self.line(format!(
                    "GitHub reports {total} repositories: {slices} slice{} of at most 1,000",
                    if slices == 1 { "" } else { "s" }
                ));
            }
            SelectProgress::Page { slice, page, found } => {
                self.0.set_message(format!(
                    "slice {} page {page}: {found} repositories found",
                    slice + 1
                ));
            }
            SelectProgress::Checked { repository, .. } => {
                self.0.inc(1);
                self.0.set_message(repository);
            }
            SelectProgress::Waiting {
                repo,
                reason,
                wait_seconds,
            } => self.line(format!(
                "waiting {}: {reason} ({repo})",
                human(Duration::from_secs_f64(wait_seconds.max(0.0)))
            )),
            SelectProgress::Imported { result } => {
                self.0.inc(1);
                match &result.failure {
                    Some(f) => self.line(format!("{} failed: {f}", result.requested)),
                    None => self.0.set_message(result.project),
                }
            }
        }
    }
}

pub(super) fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}
