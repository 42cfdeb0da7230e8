//! The GitHub import's tests against the local GitHub look-alike: a cancelled import keeps what it
//! stored and a re-run goes on, a refresh adds a snapshot when the branch moved and keeps the
//! decisions, failures are recorded on a project without units and retried, image references by
//! hand with their history, and the selector follows the study's file rules.

use std::sync::Mutex;

use codebench_github::mock::{Fixture, FixtureRepo, MockConfig, MockGitHub};
use codebench_github::{FileRole, FileSelector};

use super::*;
use crate::codebook::Codebook;
use crate::coding::DecisionInput;
use crate::Study;

fn mock(rt: &tokio::runtime::Runtime, repos: Vec<FixtureRepo>) -> MockGitHub {
    rt.block_on(MockGitHub::start(
        Fixture::new(repos),
        MockConfig::default(),
    ))
    .unwrap()
}

fn options(url: &str, refresh: bool) -> GithubImportOptions {
    GithubImportOptions {
        api_url: Some(url.to_string()),
        token: Some("test-token-not-stored".into()),
        concurrency: 8,
        refresh,
        cancel: None,
    }
}

#[test]
fn cancel_keeps_what_is_stored_and_a_rerun_goes_on() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
    let names: Vec<String> = (0..6).map(|i| format!("acme/r{i}")).collect();
    let gh = mock(
        &rt,
        names
            .iter()
            .map(|n| FixtureRepo::new(n).file("Dockerfile", "FROM python:3.11\n"))
            .collect(),
    );
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut opts = options(&gh.url(), false);
    opts.concurrency = 1;
    opts.cancel = Some(flag.clone());
    let all: Vec<&str> = names.iter().map(String::as_str).collect();
    // Cancel as soon as the first repository is stored (the app's Cancel button).
    let on = |p: ImportProgress| {
        if matches!(p, ImportProgress::Done(_)) {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    };
    let s = study.import_github(&entries(&all), &opts, &on).unwrap();
    assert!(s.cancelled);
    assert_eq!(s.repos.len(), 1, "{:?}", s.repos);
    // Again without cancelling: the stored one is skipped, the rest are fetched.
    opts.cancel = None;
    let s = study.import_github(&entries(&all), &opts, &|_| {}).unwrap();
    assert!(!s.cancelled);
    assert_eq!((s.skipped.len(), s.repos.len()), (1, 5));
}

fn entries(names: &[&str]) -> Vec<ListEntry> {
    entries_from_names(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
}

fn repo_v1() -> FixtureRepo {
    FixtureRepo::new("acme/model")
        .file(
            "README.md",
            "# Model\n\n```\ndocker pull acme/model:1.0\n```\n",
        )
        .file("Dockerfile", "FROM python:3.11\nRUN pip install model\n")
        .file("vendor/x/Dockerfile", "FROM scratch\n")
        .file(
            "docker-compose.yml",
            "services:\n  app:\n    image: acme/model-api:2\n",
        )
}

#[test]
fn refresh_adds_a_snapshot_when_the_branch_moved_and_keeps_decisions() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
    let first = mock(&rt, vec![repo_v1()]);
    let events = Mutex::new(Vec::new());
    let on = |p: ImportProgress| events.lock().unwrap().push(p);
    let s = study
        .import_github(
            &entries(&["acme/model"]),
            &options(&first.url(), false),
            &on,
        )
        .unwrap();
    assert_eq!(s.repos.len(), 1);
    assert_eq!(s.repos[0].outcome, "new");
    let events = events.into_inner().unwrap();
    assert_eq!(
        events[0],
        ImportProgress::Planned {
            to_fetch: 1,
            skipped: 0
        }
    );
    assert!(matches!(events.last(), Some(ImportProgress::Done(r)) if r.project == "acme/model"));
    let units: Vec<String> = study.units().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(units, ["acme/model", "acme/model:Dockerfile"]);
    let view = study.project_view("acme/model").unwrap();
    assert_eq!(view.metadata["stars"], 42);
    assert_eq!(view.metadata["license"], "MIT");
    assert_eq!(view.metadata["default_branch"], "main");
    assert!(view.readme.unwrap().text.unwrap().contains("docker pull"));
    let refs: Vec<(String, String, String)> = study
        .image_refs(Some("acme/model"))
        .unwrap()
        .into_iter()
        .map(|r| (r.reference, r.found_in, r.how))
        .collect();
    assert_eq!(
        refs,
        [
            (
                "acme/model-api:2".into(),
                "docker-compose.yml".into(),
                "compose-image".into()
            ),
            (
                "acme/model:1.0".into(),
                "README.md".into(),
                "docker-pull".into()
            ),
        ]
    );

    let rater = "alice";
    study.add_rater(rater).unwrap();
    study
        .record(&DecisionInput {
            rater: rater.into(),
            unit: "acme/model".into(),
            dimension: "kind".into(),
            codes: vec!["mlops-aiops".into()],
            memo: None,
            flagged: None,
        })
        .unwrap();

    // Without --refresh nothing is fetched.
    let before = first.stats().requests;
    let s = study
        .import_github(
            &entries(&["acme/model"]),
            &options(&first.url(), false),
            &|_| {},
        )
        .unwrap();
    assert_eq!(s.skipped, ["acme/model"]);
    assert!(s.repos.is_empty());
    assert_eq!(first.stats().requests, before);

    // Refresh against the same commit: unchanged.
    let s = study
        .import_github(
            &entries(&["acme/model"]),
            &options(&first.url(), true),
            &|_| {},
        )
        .unwrap();
    assert_eq!(s.repos[0].outcome, "unchanged");
    assert!(!study.project_view("acme/model").unwrap().changed);

    // The default branch moved: a new snapshot, marked changed, decisions kept.
    let moved = mock(
        &rt,
        vec![repo_v1().file("docker/Dockerfile.gpu", "FROM nvidia/cuda:12.2.0-base\n")],
    );
    let s = study
        .import_github(
            &entries(&["acme/model"]),
            &options(&moved.url(), true),
            &|_| {},
        )
        .unwrap();
    assert_eq!(s.repos[0].outcome, "updated");
    let view = study.project_view("acme/model").unwrap();
    assert!(view.changed);
    assert_eq!(view.dockerfiles.len(), 2);
    let snapshots: i64 = study
        .conn()
        .query_row("SELECT count(*) FROM snapshot", [], |r| r.get(0))
        .unwrap();
    assert_eq!(snapshots, 2);
    assert!(study
        .decision(rater, "acme/model", "kind")
        .unwrap()
        .is_some());
    // The token went to the server and nowhere into the study.
    assert_eq!(first.authorizations(), ["Bearer test-token-not-stored"]);
    let bytes = std::fs::read(study.path()).unwrap();
    let wal = std::fs::read(study.path().with_extension("cb-wal")).unwrap_or_default();
    for b in [bytes, wal] {
        assert!(!b.windows(10).any(|w| w == b"test-token"));
    }
    assert!(!format!("{:?}", options("http://x", false)).contains("test-token"));
}

#[test]
fn failures_are_recorded_on_a_project_without_units_and_retried() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
    let server = mock(&rt, vec![repo_v1()]);
    let mut list = entries(&["acme/gone", "acme/model"]);
    list[0].image = Some("acme/gone:latest".into());
    let s = study
        .import_github(&list, &options(&server.url(), false), &|_| {})
        .unwrap();
    let failed: Vec<_> = s.failed().collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].failure.as_deref().unwrap().contains("404"));
    let projects = study.projects().unwrap();
    let gone = projects.iter().find(|p| p.name == "acme/gone").unwrap();
    assert!(gone.problem.as_deref().unwrap().contains("404"));
    assert!(gone.commit.is_none());
    assert!(study
        .units()
        .unwrap()
        .iter()
        .all(|u| u.project != "acme/gone"));
    assert_eq!(study.status().unwrap().projects_with_problems, 1);
    let refs = study.image_refs(Some("acme/gone")).unwrap();
    assert_eq!(refs[0].reference, "acme/gone:latest");
    assert_eq!(refs[0].how, "list");
    // A failed repository has no snapshot, so the next run tries it again.
    let s = study
        .import_github(&list, &options(&server.url(), false), &|_| {})
        .unwrap();
    assert_eq!(s.skipped, ["acme/model"]);
    assert_eq!(s.repos.len(), 1);
}

#[test]
fn images_by_hand_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = Study::create(dir.path().join("s.cb"), &Codebook::shipped()).unwrap();
    let err = study.add_image_ref("acme/none", "x/y").unwrap_err();
    assert!(err.to_string().contains("unknown project"), "{err}");
    study
        .write(|tx| {
            tx.execute(
                "INSERT INTO project (full_name, source, created_at) VALUES ('acme/a', 'github', 'now')",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    let r = study
        .add_image_ref("acme/a", "docker.io/library/python:3.11")
        .unwrap();
    assert_eq!(r.reference, "python:3.11");
    study.add_image_ref("acme/a", "ghcr.io/acme/a:1").unwrap();
    assert!(study.add_image_ref("acme/a", "python:3.11").is_err());
    assert!(study.add_image_ref("acme/a", "Not A Ref").is_err());
    assert_eq!(study.image_refs(None).unwrap().len(), 2);
    let removed = study.remove_image_ref("acme/a", "python:3.11").unwrap();
    assert_eq!(removed.len(), 1);
    assert!(study.remove_image_ref("acme/a", "python:3.11").is_err());
    let actions: Vec<String> = study
        .conn()
        .prepare("SELECT action FROM history WHERE action LIKE 'image_ref.%' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<std::result::Result<_, _>>()
        .unwrap();
    assert_eq!(
        actions,
        ["image_ref.add", "image_ref.add", "image_ref.remove"]
    );
}

#[test]
fn selector_follows_the_study_rules() {
    let s = StudySelector;
    assert_eq!(s.role("README.md"), None);
    assert_eq!(s.role("a/Dockerfile"), Some(FileRole::Dockerfile));
    assert_eq!(s.role("node_modules/a/Dockerfile"), None);
    assert_eq!(s.role(".github/workflows/ci.yml"), Some(FileRole::Workflow));
    assert!(s.descend("src/app"));
    assert!(!s.descend("web/node_modules"));
    assert!(!s.descend(".git"));
}
