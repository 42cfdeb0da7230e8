//! The walk over a file's instructions that fills an [`Analysis`]: keyword counts, stages,
//! global ARGs, `COPY --from`, ADD sources, ports, users, partial files, and the hygiene
//! checks on base-image tags, ADD and the final stage's user.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::args::unquote_value;
use super::run_stats::{measure_run, Tally};
use super::stages::{new_stage, stage_index};
use super::{Analysis, CopyFrom, Counts, Diagnostic, Finding, GlobalArg, Located, TagStatus};
use crate::base_types::BaseImageTypes;
use crate::parser::{self, Form, Instruction};

/// Per-stage state while walking the instructions.
#[derive(Default)]
pub(super) struct StageState {
    pub(super) pip_no_cache_env: bool,
}

pub(super) fn measure(a: &mut Analysis, types: &BaseImageTypes) {
    let instructions = std::mem::take(&mut a.instructions);
    let mut global: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut seen_from = false;
    let mut before_from = false;
    let mut state = StageState::default();
    let mut tally = Tally::default();
    // Per keyword, in `parser::KEYWORDS` order; written to `a.counts` at the end.
    let mut keyword_counts = [0u32; parser::KEYWORDS.len()];

    for ins in &instructions {
        if let Cow::Borrowed(k) = ins.keyword {
            match parser::keyword_index(k.as_bytes()) {
                Some(i) => keyword_counts[i] += 1,
                None => increment_static(&mut a.counts, k),
            }
        } else {
            a.unknown_instructions += 1;
        }
        if let Some(stage) = a.stages.last_mut() {
            stage.instructions += 1;
        }
        match &ins.keyword[..] {
            "FROM" => {
                seen_from = true;
                state = StageState::default();
                tally.end_stage(a.stages.last_mut());
                let stage = new_stage(ins, a.stages.len(), &global, &a.stages, types);
                if let Some(t) = &stage.base_type {
                    if stage.base.stage.is_none() && !a.base_types.contains(t) {
                        a.base_types.push(t.clone());
                    }
                }
                if let Some(status) = match stage.base.tag_status {
                    TagStatus::Untagged => Some(("base-untagged", "has no tag (means `latest`)")),
                    TagStatus::Latest => Some(("base-latest", "uses the tag `latest`")),
                    _ => None,
                } {
                    a.hygiene.push(Finding {
                        rule: Cow::Borrowed(status.0),
                        line: ins.line,
                        message: Cow::Owned(format!(
                            "base image `{}` {}: builds are not reproducible; pin a version",
                            stage.base.resolved, status.1
                        )),
                    });
                }
                a.stages.push(stage);
            }
            "ARG" => {
                for word in &ins.args {
                    let (name, default) = match word.split_once('=') {
                        Some((n, v)) => (n.to_string(), Some(unquote_value(v))),
                        None => (word.clone(), None),
                    };
                    if !seen_from {
                        global.insert(name.clone(), default.clone());
                        a.global_args.push(GlobalArg {
                            line: ins.line,
                            name,
                            default,
                        });
                    }
                }
            }
            "RUN" => measure_run(a, ins, &state, &mut tally),
            "COPY" => {
                if let Some(from) = ins.flag("from") {
                    let current = a.stages.len().checked_sub(1);
                    let from_stage = stage_index(from, &a.stages);
                    a.copy_from.push(CopyFrom {
                        line: ins.line,
                        stage: current,
                        from: from.to_string(),
                        from_stage,
                    });
                }
            }
            "ADD" => measure_add(a, ins),
            "EXPOSE" => a.exposed_ports.extend(ins.args.iter().cloned()),
            "USER" => {
                if let (Some(stage), Some(u)) = (a.stages.last_mut(), ins.args.first()) {
                    stage.user = Some(u.clone());
                }
            }
            "ENV"
                if ins
                    .args
                    .iter()
                    .any(|kv| kv.split('=').next() == Some("PIP_NO_CACHE_DIR")) =>
            {
                state.pip_no_cache_env = true;
            }
            _ => {}
        }
        if !seen_from && ins.keyword != "ARG" {
            before_from = true;
        }
    }
    a.instructions = instructions;
    // In reverse order each new key is the smallest, so its search ends at the first
    // comparison.
    for (k, &n) in parser::KEYWORDS.iter().zip(&keyword_counts).rev() {
        if n > 0 {
            *a.counts.entry(Cow::Borrowed(*k)).or_insert(0) += n;
        }
    }
    tally.end_stage(a.stages.last_mut());
    Tally::add_to(&tally.all, &mut a.run_categories);

    a.multi_stage = a.stages.len() > 1;
    if a.stages.is_empty() && !a.instructions.is_empty() {
        a.partial = true;
        a.warnings.push(Diagnostic::file(
            "no FROM: a partial Dockerfile (fragment or template); BuildKit parses it but cannot \
             build it"
                .to_string(),
        ));
    } else if before_from {
        a.partial = true;
        let line = a
            .instructions
            .iter()
            .find(|i| i.keyword != "ARG")
            .map_or(1, |i| i.line);
        a.warnings.push(Diagnostic::at(
            line,
            "instruction before the first FROM: a partial Dockerfile; BuildKit parses it but \
             cannot build it"
                .to_string(),
        ));
    }
    if let Some(last) = a.stages.last() {
        a.user = last.user.clone();
        a.non_root_user = a.user.as_deref().is_some_and(|u| !is_root(u));
        if !a.non_root_user {
            a.hygiene.push(Finding {
                rule: Cow::Borrowed("no-user"),
                line: last.line,
                message: match &a.user {
                    Some(u) => Cow::Owned(format!("the final stage runs as root (USER {u})")),
                    None => Cow::Borrowed("the final stage sets no USER, so it runs as root"),
                },
            });
        }
    }
}

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user);
    name == "root" || name == "0"
}

/// Adds one to `map[key]` for a static key (no allocation).
fn increment_static(map: &mut Counts, key: &'static str) {
    *map.entry(Cow::Borrowed(key)).or_insert(0) += 1;
}

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("git@")
}

fn is_local_archive(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        ".tar",
        ".tar.gz",
        ".tgz",
        ".tar.bz2",
        ".tbz2",
        ".tbz",
        ".tar.xz",
        ".txz",
        ".tar.zst",
        ".tzst",
        ".tar.lz",
        ".tar.lzma",
    ]
    .iter()
    .any(|ext| l.ends_with(ext))
}

fn measure_add(a: &mut Analysis, ins: &Instruction) {
    let sources: &[String] = match ins.args.split_last() {
        Some((_, srcs)) => srcs,
        None => return,
    };
    let mut needs_add = ins.form == Form::Heredoc || ins.flag("checksum").is_some();
    for s in sources {
        if is_url(s) || s.ends_with(".git") {
            a.add_urls.push(Located {
                line: ins.line,
                value: s.clone(),
            });
            needs_add = true;
        } else if is_local_archive(s) || s.contains('$') {
            needs_add = true;
        }
    }
    if !needs_add {
        a.hygiene.push(Finding {
            rule: Cow::Borrowed("add-instead-of-copy"),
            line: ins.line,
            message: Cow::Borrowed(
                "ADD of local files that are not archives: COPY does the same, more predictably",
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        assert!(is_root("root"));
        assert!(is_root("0:0"));
        assert!(!is_root("1000"));
        assert!(!is_root("app:app"));
    }
}
