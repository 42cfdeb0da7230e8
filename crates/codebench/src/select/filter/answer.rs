//! One repository's answer for a criterion that asks the network: commits and releases
//! counted and the Dockerfiles of the tree from GitHub, an image from Docker Hub (one the
//! README or a compose file names, or one named like the repository), and lasting failures
//! told from transient trouble.

use std::collections::HashMap;
use std::ops::ControlFlow;

use codebench_github::{
    Check, CheckOutcome, CheckTarget, CheckValue, FailureKind, FileRole, FileSelector, GitHub,
    RefSource, RepoFailure, RepoOutcome,
};
use codebench_hub::{Hub, HubName, Lookup};

use super::Criterion;
use crate::corpus::github::StudySelector;
use crate::corpus::names::{self, Role};
use crate::select::{each_until, Candidate};

/// The importer's rules, for compose files only (the README comes through its own endpoint).
struct ComposeSelector;

impl FileSelector for ComposeSelector {
    fn role(&self, path: &str) -> Option<FileRole> {
        (names::role_of(path) == Some(Role::Compose)).then_some(FileRole::Compose)
    }

    fn descend(&self, path: &str) -> bool {
        !path.split('/').any(names::is_skipped_dir)
    }
}

/// One repository's answer for a filter that asks the network.
pub(crate) enum Answer {
    /// A lasting answer: the value stored, and why it is left out (`None`: kept).
    Stored {
        value: Option<serde_json::Value>,
        failure: Option<FailureKind>,
        message: Option<String>,
        left_out: Option<String>,
    },
    /// Transient trouble: nothing stored, asked again next run.
    Transient(String),
}

/// Why a repository that could not be read is left out.
fn failure_reason(f: &RepoFailure) -> String {
    match f.reason {
        FailureKind::NotFound => format!("gone from GitHub (404): {}", f.message),
        FailureKind::Blocked => format!("blocked (451): {}", f.message),
        FailureKind::Empty => "empty repository (no commits)".into(),
        FailureKind::Forbidden => format!("access forbidden (403): {}", f.message),
        _ => f.message.clone(),
    }
}

fn lasting_failure(f: &RepoFailure) -> Answer {
    if f.reason.is_transient() {
        return Answer::Transient(f.message.clone());
    }
    Answer::Stored {
        value: None,
        failure: Some(f.reason),
        message: Some(f.message.clone()),
        left_out: Some(failure_reason(f)),
    }
}

fn check_answer(criterion: &Criterion, o: &CheckOutcome) -> Answer {
    let value = match &o.result {
        Ok(v) => v,
        Err(f) => return lasting_failure(f),
    };
    match (criterion, value) {
        (Criterion::MinCommits { min }, CheckValue::Count(n)) => Answer::Stored {
            value: Some(serde_json::json!({ "commits": n })),
            failure: None,
            message: None,
            left_out: (n < min).then(|| format!("{n} commits, fewer than {min}")),
        },
        (Criterion::MinReleases { min }, CheckValue::Count(n)) => Answer::Stored {
            value: Some(serde_json::json!({ "releases": n })),
            failure: None,
            message: None,
            left_out: (n < min).then(|| {
                if *n == 0 {
                    "no release".to_string()
                } else {
                    format!("{n} releases, fewer than {min}")
                }
            }),
        },
        (Criterion::HasDockerfile, CheckValue::Files(t)) => {
            let dockerfiles: Vec<&str> = t
                .files
                .iter()
                .filter(|f| f.role == FileRole::Dockerfile)
                .map(|f| f.path.as_str())
                .collect();
            Answer::Stored {
                value: Some(serde_json::json!({
                    "reference": t.reference, "dockerfiles": dockerfiles,
                })),
                failure: None,
                message: None,
                left_out: dockerfiles
                    .is_empty()
                    .then(|| format!("no Dockerfile in the tree of {}", t.reference)),
            }
        }
        (_, other) => Answer::Transient(format!("unexpected answer {other:?}")),
    }
}

/// Asks Docker Hub for the images a repository names and its own name, until one exists.
async fn hub_answer(
    gh: &GitHub,
    hub: &Hub,
    c: &Candidate,
    on_event: &(dyn Fn(codebench_github::Event) + Sync),
    on_hub: &(dyn Fn(codebench_hub::HubEvent) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Answer {
    let snap = match gh
        .fetch_repo(&c.full_name, &ComposeSelector, on_event)
        .await
    {
        RepoOutcome::Fetched(s) => s,
        RepoOutcome::Failed(f) => return lasting_failure(&f),
    };
    let mut names: Vec<(HubName, &'static str)> = Vec::new();
    let mut references = Vec::new();
    for r in &snap.image_refs {
        let via = match r.how {
            RefSource::ComposeImage => "compose",
            RefSource::ReadmeLink | RefSource::DockerPull => "readme",
            _ => continue,
        };
        references.push(r.reference.clone());
        if let Ok(n) = HubName::parse(&r.reference) {
            if !names.iter().any(|(m, _)| *m == n) {
                names.push((n, via));
            }
        }
    }
    if let Some((owner, repo)) = snap.full_name.split_once('/') {
        if let Ok(n) = HubName::new(&owner.to_ascii_lowercase(), &repo.to_ascii_lowercase()) {
            if !names.iter().any(|(m, _)| *m == n) {
                names.push((n, "own-name"));
            }
        }
    }
    let mut tried = Vec::new();
    for (name, via) in names {
        match hub.repository(&name, on_hub, stop).await {
            Ok(Lookup::Found(_)) => {
                return Answer::Stored {
                    value: Some(serde_json::json!({
                        "found": name.to_string(), "via": via, "tried": tried,
                        "references": references,
                    })),
                    failure: None,
                    message: None,
                    left_out: None,
                }
            }
            Ok(Lookup::NotFound) => tried.push(name.to_string()),
            Err(e) if e.is_transient() => return Answer::Transient(e.to_string()),
            Err(e) => tried.push(format!("{name} ({e})")),
        }
    }
    let left_out = if tried.is_empty() {
        "no Docker Hub image name to check".to_string()
    } else {
        format!("no image on Docker Hub: {} not found", tried.join(", "))
    };
    Answer::Stored {
        value: Some(serde_json::json!({
            "found": null, "via": null, "tried": tried, "references": references,
        })),
        failure: None,
        message: None,
        left_out: Some(left_out),
    }
}

/// Asks GitHub (or Docker Hub) about every target for a criterion the search's answer does not
/// decide, handing each answer to `on_answer` as it arrives; ends early when `stop` says true
/// or `on_answer` says `Break`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ask_all(
    rt: &tokio::runtime::Runtime,
    gh: &GitHub,
    hub_client: &Hub,
    criterion: &Criterion,
    targets: &[Candidate],
    concurrency: usize,
    on_event: &(dyn Fn(codebench_github::Event) + Sync),
    on_hub: &(dyn Fn(codebench_hub::HubEvent) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
    on_answer: &mut dyn FnMut(&Candidate, Answer) -> ControlFlow<()>,
) {
    if *criterion == Criterion::HasHubImage {
        let jobs: Vec<_> = targets
            .iter()
            .map(|c| async move {
                let a = hub_answer(gh, hub_client, c, on_event, on_hub, stop).await;
                (c, a)
            })
            .collect();
        rt.block_on(each_until(jobs, concurrency, stop, |(c, a)| {
            on_answer(c, a)
        }));
        return;
    }
    let by_name: HashMap<String, &Candidate> = targets
        .iter()
        .map(|c| (c.full_name.to_ascii_lowercase(), c))
        .collect();
    let check_targets: Vec<CheckTarget> = targets
        .iter()
        .map(|c| CheckTarget {
            full_name: c.full_name.clone(),
            default_branch: c.default_branch.clone().filter(|b| !b.is_empty()),
        })
        .collect();
    let check = match criterion {
        Criterion::MinCommits { .. } => Check::Commits,
        Criterion::MinReleases { .. } => Check::Releases,
        _ => Check::Files(&StudySelector),
    };
    rt.block_on(
        gh.check_many_until(&check_targets, check, on_event, stop, |o| {
            match by_name.get(&o.requested_name.to_ascii_lowercase()) {
                Some(c) => on_answer(c, check_answer(criterion, &o)),
                None => ControlFlow::Continue(()),
            }
        }),
    );
}
