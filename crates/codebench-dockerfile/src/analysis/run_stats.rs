//! RUN instructions: their statistics, the category of each command's first word (counted per
//! file and per stage), and the apt and pip hygiene checks.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::instructions::StageState;
use super::{Analysis, Counts, Finding, Stage};
use crate::parser::{Form, Instruction};
use crate::run;

/// RUN instruction statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunStats {
    /// RUN instructions (ONBUILD triggers not included).
    pub instructions: u32,
    /// In exec (JSON) form.
    pub exec_form: u32,
    /// With at least one here-document.
    pub heredoc: u32,
    /// With a `--mount` flag.
    pub mount: u32,
    /// Commands after splitting (those with a first word).
    pub commands: u32,
}

/// RUN command counts per category ([`run::CATEGORIES`] then [`run::UNKNOWN`]), kept in arrays
/// while walking the instructions and written to the maps once (map updates cost far more).
#[derive(Default)]
pub(super) struct Tally {
    /// The whole file.
    pub(super) all: [u32; 6],
    /// The current stage (or the instructions before the first FROM, which belong to none).
    stage: [u32; 6],
}

impl Tally {
    /// Adds the counts of `tally` to a map made by [`empty_categories`](super::empty_categories).
    pub(super) fn add_to(tally: &[u32; 6], map: &mut Counts) {
        if tally.iter().all(|&n| n == 0) {
            return;
        }
        // One walk over the map (it holds exactly the six names) instead of six searches.
        for (name, count) in map.iter_mut() {
            let slot = match &**name {
                "Dependencies" => 0,
                "Filesystem" => 1,
                "Build/Execute" => 2,
                "Environment" => 3,
                "Permissions" => 4,
                "Unknown" => 5,
                _ => continue,
            };
            *count += tally[slot];
        }
    }

    /// Ends the current stage: its counts go to `stage` (none before the first FROM).
    pub(super) fn end_stage(&mut self, stage: Option<&mut Stage>) {
        if let Some(stage) = stage {
            Tally::add_to(&self.stage, &mut stage.run_categories);
        }
        self.stage = [0; 6];
    }
}

/// Adds one to `map[key]`, allocating the key only when it is new.
fn increment(map: &mut Counts, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(Cow::Owned(key.to_string()), 1);
        }
    }
}

fn count_word(a: &mut Analysis, tally: &mut Tally, word: &str) {
    let slot = match run::category_index(word) {
        Some(i) => i,
        None => {
            increment(&mut a.run_unknown_words, word);
            run::CATEGORIES.len()
        }
    };
    tally.all[slot] += 1;
    tally.stage[slot] += 1;
    a.run.commands += 1;
}

pub(super) fn measure_run(
    a: &mut Analysis,
    ins: &Instruction,
    state: &StageState,
    tally: &mut Tally,
) {
    a.run.instructions += 1;
    let mounts: Vec<&str> = ins
        .flags
        .iter()
        .filter_map(|f| f.strip_prefix("--mount="))
        .collect();
    if ins.flag("mount").is_some() {
        a.run.mount += 1;
        a.uses_mount = true;
    }
    let cache_on = |path: &str| {
        mounts
            .iter()
            .any(|m| m.contains("type=cache") && m.contains(path))
    };
    match ins.form {
        Form::Json => {
            a.run.exec_form += 1;
            if let Some(first) = ins.args.first() {
                count_word(a, tally, first);
            }
        }
        Form::Shell | Form::Heredoc => {
            let line = ins.args.first().map(String::as_str).unwrap_or("");
            // The scripts: the line itself, or the here-document bodies (no Vec: this runs for
            // every RUN).
            let mut bodies: &[crate::parser::Heredoc] = &[];
            let mut on_line = true;
            if ins.form == Form::Heredoc {
                a.run.heredoc += 1;
                // `RUN <<EOF` (only heredoc markers): the bodies are the scripts. Otherwise the
                // bodies are input to the command on the line.
                let only_markers = line.split_whitespace().all(|w| {
                    let w = w.trim_start_matches(|c: char| c.is_ascii_digit());
                    w.starts_with("<<")
                });
                if only_markers {
                    bodies = &ins.heredocs;
                    on_line = false;
                }
            }
            let scripts = on_line
                .then_some(line)
                .into_iter()
                .chain(bodies.iter().map(|doc| doc.content.as_str()));
            let mut apt_install_line = false;
            let mut apt_lists_cleaned = false;
            for script in scripts {
                if let Some(interpreter) = non_shell_shebang(script) {
                    count_word(a, tally, interpreter);
                    continue;
                }
                for command in run::Commands::new(script) {
                    let Some(word) = run::first_word(command) else {
                        continue;
                    };
                    count_word(a, tally, &word);
                    let tool = match &word[..] {
                        "apt-get" | "apt" => run::Tool::Apt,
                        "rm" => run::Tool::Rm,
                        w if w.starts_with("pip") => run::Tool::Pip,
                        w if w.starts_with("python") => run::Tool::Python,
                        _ => continue,
                    };
                    let facts = run::word_facts_for(command, tool);
                    if matches!(&word[..], "apt-get" | "apt") && facts.install {
                        apt_install_line = true;
                        if !facts.no_install_recommends {
                            a.hygiene.push(Finding {
                                rule: Cow::Borrowed("apt-install-recommends"),
                                line: ins.line,
                                message: Cow::Borrowed(
                                    "apt install without --no-install-recommends pulls in \
                                     recommended packages",
                                ),
                            });
                        }
                    }
                    if word == "rm" && facts.apt_lists_path {
                        apt_lists_cleaned = true;
                    }
                    let pip = word.starts_with("pip")
                        && word[3..].bytes().all(|b| b.is_ascii_digit() || b == b'.');
                    let python_m_pip = word.starts_with("python") && facts.m_pip;
                    if (pip || python_m_pip)
                        && facts.install
                        && !facts.no_cache_dir
                        && !state.pip_no_cache_env
                        && !cache_on("/root/.cache/pip")
                    {
                        a.hygiene.push(Finding {
                            rule: Cow::Borrowed("pip-cache"),
                            line: ins.line,
                            message: Cow::Borrowed(
                                "pip install without --no-cache-dir keeps the download cache in \
                                 the image",
                            ),
                        });
                    }
                }
            }
            if apt_install_line
                && !apt_lists_cleaned
                && !cache_on("/var/lib/apt")
                && !cache_on("/var/cache/apt")
            {
                a.hygiene.push(Finding {
                    rule: Cow::Borrowed("apt-lists-not-cleaned"),
                    line: ins.line,
                    message: Cow::Borrowed(
                        "apt package lists are not removed in the same RUN \
                         (rm -rf /var/lib/apt/lists/*)",
                    ),
                });
            }
        }
    }
}

/// The interpreter of a script whose `#!` line names something other than a POSIX shell.
fn non_shell_shebang(script: &str) -> Option<&str> {
    // Check the prefix before looking for the end of the first line (most scripts have none).
    let first = script.strip_prefix("#!")?.lines().next()?;
    let mut parts = first.split_whitespace();
    let mut prog = parts.next()?;
    if prog.ends_with("/env") {
        prog = parts.find(|p| !p.starts_with('-'))?;
    }
    let base = prog.rsplit('/').next().unwrap_or(prog);
    (!matches!(base, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh")).then_some(base)
}
