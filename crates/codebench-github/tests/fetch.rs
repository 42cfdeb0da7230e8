//! The client against the local mock GitHub: normal repositories, truncated trees, rate limits,
//! renames, 404/451/empty, oversize and undecodable files, and the EASE 2022 list.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use codebench_github::mock::{
    Fixture, FixtureRepo, MockConfig, MockGitHub, PrimaryLimit, RepoState, SecondaryLimit,
};
use codebench_github::{
    read_repo_list, Content, Event, FailureKind, FileRole, FileSelector, GitHub, GitHubOptions,
    ProblemKind, RefSource, RepoOutcome, RepoSnapshot, WaitReason,
};

/// The core's selection rules, as the brief states them.
struct Rules;

const SKIPPED_DIRS: [&str; 3] = [".git", "node_modules", "vendor"];

impl FileSelector for Rules {
    fn role(&self, path: &str) -> Option<FileRole> {
        let parts: Vec<&str> = path.split('/').collect();
        let (name, dirs) = parts.split_last()?;
        if dirs.iter().any(|d| SKIPPED_DIRS.contains(d)) {
            return None;
        }
        let lower = name.to_ascii_lowercase();
        if lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || lower.starts_with("dockerfile-")
            || lower.ends_with(".dockerfile")
        {
            return Some(FileRole::Dockerfile);
        }
        let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
        if yaml
            && (lower.starts_with("docker-compose")
                || lower == "compose.yml"
                || lower == "compose.yaml")
        {
            return Some(FileRole::Compose);
        }
        if yaml && dirs.len() == 2 && dirs[0] == ".github" && dirs[1] == "workflows" {
            return Some(FileRole::Workflow);
        }
        None
    }

    fn descend(&self, path: &str) -> bool {
        let last = path.rsplit('/').next().unwrap_or(path);
        !SKIPPED_DIRS.contains(&last)
    }
}

fn client(mock: &MockGitHub, concurrency: usize) -> GitHub {
    GitHub::new(GitHubOptions {
        api_url: Some(mock.url()),
        token: Some("test-token-123".into()),
        concurrency,
        fallback_wait: Duration::from_millis(300),
        retry_backoff: Duration::from_millis(10),
        ..GitHubOptions::default()
    })
    .unwrap()
}

/// Collects events for assertions.
#[derive(Default)]
struct Events(Mutex<Vec<Event>>);

impl Events {
    fn push(&self, e: Event) {
        self.0.lock().unwrap().push(e);
    }
    fn waits(&self) -> Vec<(WaitReason, Duration)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Waiting { reason, wait, .. } => Some((*reason, *wait)),
                _ => None,
            })
            .collect()
    }
}

fn fetched(outcome: RepoOutcome) -> RepoSnapshot {
    match outcome {
        RepoOutcome::Fetched(s) => s,
        RepoOutcome::Failed(f) => {
            panic!("{} failed: {:?} {}", f.requested_name, f.reason, f.message)
        }
    }
}

fn ml_repo(name: &str) -> FixtureRepo {
    FixtureRepo::new(name)
        .file(
            "README.md",
            "# Detector\n\nPrebuilt images: https://hub.docker.com/r/acme/detector\n\n```\ndocker pull acme/detector:2.1\n```\n",
        )
        .file("Dockerfile", "FROM python:3.9-slim\nCMD [\"python\"]\n")
        .file("docker/Dockerfile.gpu", "FROM nvidia/cuda:11.3.1-runtime\n")
        .file("deploy/serve.Dockerfile", "FROM acme/detector:2.1\n")
        .file("node_modules/pkg/Dockerfile", "FROM node:18\n")
        .file("vendor/lib/Dockerfile", "FROM golang:1.20\n")
        .file(
            "docker-compose.yml",
            "services:\n  api:\n    image: acme/detector-api:latest\n  db:\n    image: postgres:13\n",
        )
        .file(
            ".github/workflows/docker.yml",
            "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n        with:\n          tags: acme/detector:latest\n",
        )
        .file("src/detector/__init__.py", "")
        .file("setup.py", "from setuptools import setup\n")
}

#[tokio::test]
async fn normal_repository_snapshot() {
    let mock = MockGitHub::start(
        Fixture::new(vec![ml_repo("acme/detector")]),
        MockConfig::default(),
    )
    .await
    .unwrap();
    let gh = client(&mock, 4);
    let events = Events::default();
    let snap = fetched(
        gh.fetch_repo("acme/detector", &Rules, &|e| events.push(e))
            .await,
    );

    assert_eq!(snap.full_name, "acme/detector");
    assert!(!snap.renamed());
    assert_eq!(snap.commit_sha.len(), 40);
    let m = &snap.metadata;
    assert_eq!(m.default_branch, "main");
    assert_eq!((m.stars, m.forks, m.watchers, m.open_issues), (42, 7, 3, 2));
    assert_eq!(m.license.as_deref(), Some("MIT"));
    assert_eq!(m.topics, ["machine-learning", "docker"]);
    assert_eq!(m.language.as_deref(), Some("Python"));
    assert!(m.created_at.is_some() && m.pushed_at.is_some());

    let readme = snap.readme.as_ref().unwrap();
    assert_eq!(readme.path, "README.md");
    assert_eq!(readme.role, FileRole::Readme);
    assert!(readme.text().unwrap().starts_with("# Detector"));

    let files: Vec<(&str, FileRole)> = snap
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.role))
        .collect();
    assert_eq!(
        files,
        [
            (".github/workflows/docker.yml", FileRole::Workflow),
            ("Dockerfile", FileRole::Dockerfile),
            ("deploy/serve.Dockerfile", FileRole::Dockerfile),
            ("docker-compose.yml", FileRole::Compose),
            ("docker/Dockerfile.gpu", FileRole::Dockerfile),
        ]
    );
    assert_eq!(
        snap.files[1].text(),
        Some("FROM python:3.9-slim\nCMD [\"python\"]\n")
    );
    assert_eq!(
        snap.files[1].sha,
        codebench_github::git::blob_sha(b"FROM python:3.9-slim\nCMD [\"python\"]\n")
    );

    let refs: Vec<(&str, &str, RefSource)> = snap
        .image_refs
        .iter()
        .map(|r| (r.reference.as_str(), r.found_in.as_str(), r.how))
        .collect();
    assert_eq!(
        refs,
        [
            ("acme/detector", "README.md", RefSource::ReadmeLink),
            ("acme/detector:2.1", "README.md", RefSource::DockerPull),
            (
                "acme/detector:latest",
                ".github/workflows/docker.yml",
                RefSource::WorkflowTags
            ),
            (
                "acme/detector-api:latest",
                "docker-compose.yml",
                RefSource::ComposeImage
            ),
            ("postgres:13", "docker-compose.yml", RefSource::ComposeImage),
        ]
    );
    assert!(snap.problems.is_empty(), "{:?}", snap.problems);
    // meta, commit, tree, readme, 5 blobs.
    assert_eq!(gh.requests_sent(), 9);
    assert_eq!(mock.authorizations(), ["Bearer test-token-123"]);
    assert!(!format!("{:?}", gh.options()).contains("test-token-123"));
    assert!(events.waits().is_empty());
}

#[tokio::test]
async fn truncated_tree_is_walked_by_subtree() {
    let mut repo = ml_repo("acme/big");
    for i in 0..30 {
        repo = repo.file(&format!("data/part{}/file{i}.txt", i % 4), format!("{i}\n"));
    }
    repo = repo.file("data/part1/deep/er/Dockerfile.deep", "FROM alpine:3\n");
    let fixture = Fixture::new(vec![repo]);
    let plain = MockGitHub::start(fixture.clone(), MockConfig::default())
        .await
        .unwrap();
    let truncating = MockGitHub::start(
        fixture,
        MockConfig {
            tree_entry_limit: Some(6),
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let full = fetched(
        client(&plain, 1)
            .fetch_repo("acme/big", &Rules, &|_| {})
            .await,
    );
    let walked = fetched(
        client(&truncating, 1)
            .fetch_repo("acme/big", &Rules, &|_| {})
            .await,
    );
    assert_eq!(full.files, walked.files);
    assert!(walked
        .files
        .iter()
        .any(|f| f.path == "data/part1/deep/er/Dockerfile.deep"));
    assert_eq!(full.readme, walked.readme);
    assert_eq!(full.image_refs, walked.image_refs);
    // The walk skipped node_modules and vendor instead of listing them.
    assert!(truncating.stats().requests > plain.stats().requests);
}

#[tokio::test]
async fn primary_rate_limit_pauses_until_reset() {
    let repos = (0..3).map(|i| ml_repo(&format!("acme/r{i}"))).collect();
    let mock = MockGitHub::start(
        Fixture::new(repos),
        MockConfig {
            primary: Some(PrimaryLimit {
                limit: 10,
                window: Duration::from_secs(1),
            }),
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let events = Events::default();
    let names: Vec<String> = (0..3).map(|i| format!("acme/r{i}")).collect();
    let mut done = Vec::new();
    let summary = gh
        .fetch_many(&names, &Rules, &|e| events.push(e), |o| done.push(o))
        .await;
    assert_eq!(summary.fetched, 3, "{summary}");
    assert!(summary.failed.is_empty());
    let waits = events.waits();
    assert!(
        waits
            .iter()
            .filter(|(r, _)| *r == WaitReason::PrimaryRateLimit)
            .count()
            >= 2,
        "{waits:?}"
    );
    // The client stopped at remaining = 0 instead of running into refusals.
    assert_eq!(mock.stats().primary_refusals, 0);
    assert!(summary.waited > Duration::ZERO);
}

#[tokio::test]
async fn primary_rate_limit_with_concurrency_recovers_from_refusals() {
    let repos: Vec<FixtureRepo> = (0..6).map(|i| ml_repo(&format!("acme/r{i}"))).collect();
    let names: Vec<String> = repos.iter().map(|r| r.full_name.clone()).collect();
    let mock = MockGitHub::start(
        Fixture::new(repos),
        MockConfig {
            primary: Some(PrimaryLimit {
                limit: 20,
                window: Duration::from_secs(1),
            }),
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 4);
    let summary = gh.fetch_many(&names, &Rules, &|_| {}, |_| {}).await;
    assert_eq!(summary.fetched, 6, "{summary}");
}

#[tokio::test]
async fn secondary_limit_with_retry_after_waits_and_goes_on() {
    let mock = MockGitHub::start(
        Fixture::new(vec![ml_repo("acme/detector")]),
        MockConfig {
            secondary: vec![SecondaryLimit {
                on_request: 3,
                status: 403,
                retry_after: Some(1),
            }],
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let events = Events::default();
    let start = Instant::now();
    let snap = fetched(
        gh.fetch_repo("acme/detector", &Rules, &|e| events.push(e))
            .await,
    );
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(snap.files.len(), 5);
    assert_eq!(
        events.waits(),
        [(WaitReason::SecondaryRateLimit, Duration::from_secs(1))]
    );
    let stats = mock.stats();
    assert_eq!((stats.secondary_trips, stats.early_requests), (1, 0));
}

#[tokio::test]
async fn secondary_429_without_retry_after_uses_fallback_wait() {
    let mock = MockGitHub::start(
        Fixture::new(vec![ml_repo("acme/detector")]),
        MockConfig {
            secondary: vec![SecondaryLimit {
                on_request: 1,
                status: 429,
                retry_after: None,
            }],
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let events = Events::default();
    fetched(
        gh.fetch_repo("acme/detector", &Rules, &|e| events.push(e))
            .await,
    );
    assert_eq!(
        events.waits(),
        [(WaitReason::SecondaryRateLimit, Duration::from_millis(300))]
    );
}

#[tokio::test]
async fn stop_during_an_hour_long_rate_limit_pause_ends_the_import() {
    // The second repository's first request is refused with `retry-after: 3600`: without
    // the stop check the import would sit out the hour. One repository's request count
    // comes from a fetch of it alone.
    let probe = MockGitHub::start(
        Fixture::new(vec![ml_repo("acme/first")]),
        MockConfig::default(),
    )
    .await
    .unwrap();
    fetched(
        client(&probe, 1)
            .fetch_repo("acme/first", &Rules, &|_| {})
            .await,
    );
    let per_repo = probe.stats().requests;
    let mock = MockGitHub::start(
        Fixture::new(vec![ml_repo("acme/first"), ml_repo("acme/second")]),
        MockConfig {
            secondary: vec![SecondaryLimit {
                on_request: per_repo + 1,
                status: 403,
                retry_after: Some(3600),
            }],
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let names: Vec<String> = vec!["acme/first".into(), "acme/second".into()];
    let stop = std::sync::atomic::AtomicBool::new(false);
    let events = Events::default();
    let on_event = |e: Event| {
        if let Event::Waiting { wait, .. } = &e {
            if *wait >= Duration::from_secs(3600) {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        events.push(e);
    };
    let mut done = Vec::new();
    // The outer timeout only turns a hang into a failure; it is far above the poll period.
    let summary = tokio::time::timeout(
        Duration::from_secs(120),
        gh.fetch_many_until(
            &names,
            &Rules,
            &on_event,
            &|| stop.load(std::sync::atomic::Ordering::SeqCst),
            |o| {
                done.push(o.requested_name().to_string());
                std::ops::ControlFlow::Continue(())
            },
        ),
    )
    .await
    .expect("the stop ends the import instead of the hour-long wait");
    assert_eq!(
        done,
        ["acme/first"],
        "the repository finished before stays done"
    );
    assert_eq!(summary.fetched, 1, "{summary}");
    assert!(
        summary.failed.is_empty(),
        "a stopped repository is not a failure"
    );
    assert_eq!(
        events.waits(),
        [(WaitReason::SecondaryRateLimit, Duration::from_secs(3600))]
    );
}

#[tokio::test]
async fn renamed_repository_follows_301() {
    let repo = ml_repo("new-owner/detector").renamed_from("old-owner/detector-v1");
    let mock = MockGitHub::start(Fixture::new(vec![repo]), MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);
    let snap = fetched(
        gh.fetch_repo("old-owner/detector-v1", &Rules, &|_| {})
            .await,
    );
    assert_eq!(snap.requested_name, "old-owner/detector-v1");
    assert_eq!(snap.full_name, "new-owner/detector");
    assert!(snap.renamed());
    assert_eq!(snap.problems.len(), 1);
    assert_eq!(snap.problems[0].kind, ProblemKind::Renamed);
    assert_eq!(snap.files.len(), 5);
    assert_eq!(mock.stats().redirects, 1);
}

#[tokio::test]
async fn not_found_blocked_empty_and_bad_names_fail_with_reasons() {
    let mock = MockGitHub::start(
        Fixture::new(vec![
            ml_repo("acme/gone").state(RepoState::Blocked),
            FixtureRepo::new("acme/empty").state(RepoState::Empty),
        ]),
        MockConfig::default(),
    )
    .await
    .unwrap();
    let gh = client(&mock, 2);
    let names: Vec<String> = ["acme/missing", "acme/gone", "acme/empty", "not a repo"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut failures = Vec::new();
    let summary = gh
        .fetch_many(&names, &Rules, &|_| {}, |o| match o {
            RepoOutcome::Failed(f) => failures.push(f),
            RepoOutcome::Fetched(s) => panic!("{} fetched", s.full_name),
        })
        .await;
    failures.sort_by(|a, b| a.requested_name.cmp(&b.requested_name));
    let kinds: Vec<(&str, FailureKind)> = failures
        .iter()
        .map(|f| (f.requested_name.as_str(), f.reason))
        .collect();
    assert_eq!(
        kinds,
        [
            ("acme/empty", FailureKind::Empty),
            ("acme/gone", FailureKind::Blocked),
            ("acme/missing", FailureKind::NotFound),
            ("not a repo", FailureKind::InvalidName),
        ]
    );
    assert!(
        failures[1].message.contains("451") && failures[1].message.contains("dmca"),
        "{}",
        failures[1].message
    );
    assert_eq!(summary.failed.len(), 4);
    assert!(summary.to_string().contains("4 failed"));
}

#[tokio::test]
async fn oversize_binary_and_non_utf8_files_are_recorded() {
    let huge = vec![b'#'; 1024 * 1024 + 1];
    let repos = vec![
        FixtureRepo::new("acme/odd")
            .file("README.md", "Hi\n")
            .file("Dockerfile", huge.clone())
            .file("Dockerfile.bin", b"FROM x\0\x01\x02".to_vec())
            .file("Dockerfile.latin1", b"FROM caf\xe9\n".to_vec())
            .symlink("Dockerfile.link", "Dockerfile")
            .file("ok.dockerfile", "FROM alpine:3\n"),
        FixtureRepo::new("acme/bigreadme")
            .file("README.md", huge)
            .file("Dockerfile", "FROM alpine:3\n"),
        FixtureRepo::new("acme/bare").file("main.py", "print(1)\n"),
    ];
    let mock = MockGitHub::start(Fixture::new(repos), MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);

    let odd = fetched(gh.fetch_repo("acme/odd", &Rules, &|_| {}).await);
    let contents: Vec<(&str, &Content)> = odd
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.content))
        .collect();
    assert_eq!(
        contents,
        [
            ("Dockerfile", &Content::TooLarge),
            ("Dockerfile.bin", &Content::Binary),
            ("Dockerfile.latin1", &Content::NotUtf8),
            ("ok.dockerfile", &Content::Text("FROM alpine:3\n".into())),
        ]
    );
    assert_eq!(odd.files[0].size, 1024 * 1024 + 1);
    let kinds: Vec<ProblemKind> = odd.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::TooLarge,
            ProblemKind::Binary,
            ProblemKind::NotUtf8,
            ProblemKind::Symlink
        ]
    );
    // The oversize Dockerfile was judged by the tree's size, never downloaded:
    // meta, commit, tree, readme, and three blobs.
    assert_eq!(gh.requests_sent(), 7);

    let big = fetched(gh.fetch_repo("acme/bigreadme", &Rules, &|_| {}).await);
    let readme = big.readme.unwrap();
    assert_eq!(
        (readme.path.as_str(), &readme.content),
        ("README.md", &Content::TooLarge)
    );
    assert_eq!(big.problems[0].kind, ProblemKind::TooLarge);

    let bare = fetched(gh.fetch_repo("acme/bare", &Rules, &|_| {}).await);
    let kinds: Vec<ProblemKind> = bare.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [ProblemKind::NoReadme, ProblemKind::NoDockerfile]);
}

#[tokio::test]
async fn unreachable_server_is_a_network_failure() {
    // Bind then drop a listener: the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gh = GitHub::new(GitHubOptions {
        api_url: Some(format!("http://127.0.0.1:{port}")),
        retry_backoff: Duration::from_millis(5),
        ..GitHubOptions::default()
    })
    .unwrap();
    let events = Events::default();
    match gh.fetch_repo("a/b", &Rules, &|e| events.push(e)).await {
        RepoOutcome::Failed(f) => assert_eq!(f.reason, FailureKind::Network, "{}", f.message),
        RepoOutcome::Fetched(_) => panic!("fetched from a closed port"),
    }
    assert_eq!(events.waits().len(), 3);
    assert_eq!(gh.requests_sent(), 4);
}

#[test]
fn building_outside_a_runtime_is_an_error_not_a_panic() {
    let err = GitHub::new(GitHubOptions::default()).unwrap_err();
    assert!(
        matches!(err, codebench_github::ClientError::NoRuntime),
        "{err}"
    );
}

#[tokio::test]
async fn bad_api_urls_are_refused() {
    for url in ["ftp://x", "not a url", "/relative"] {
        let err = GitHub::new(GitHubOptions {
            api_url: Some(url.into()),
            ..GitHubOptions::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("invalid API URL"), "{err}");
    }
}

#[tokio::test]
async fn fetch_many_future_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let gh = GitHub::new(GitHubOptions::default()).unwrap();
    let names = vec!["a/b".to_string()];
    assert_send(gh.fetch_many(&names, &Rules, &|_| {}, |_| {}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ease2022_manual_labeling_imports_from_local_server() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/ease2022/manual-labeling.csv");
    if !path.exists() {
        eprintln!("SKIP: {} is absent", path.display());
        return;
    }
    let entries = read_repo_list(&path).unwrap();
    assert_eq!(entries.len(), 406);
    let mock = MockGitHub::start(Fixture::generated(&entries), MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 8);
    let names: Vec<String> = entries.iter().map(|e| e.full_name.clone()).collect();
    let mut snapshots = Vec::new();
    let summary = gh
        .fetch_many(&names, &Rules, &|_| {}, |o| snapshots.push(fetched(o)))
        .await;
    assert_eq!(summary.fetched, 406, "{summary}");
    assert_eq!(summary.with_problems, 0);
    for s in &snapshots {
        assert!(
            s.readme.as_ref().and_then(|r| r.text()).is_some(),
            "{}",
            s.full_name
        );
        let dockerfiles = s
            .files
            .iter()
            .filter(|f| f.role == FileRole::Dockerfile)
            .count();
        assert!(
            (1..=3).contains(&dockerfiles),
            "{}: {dockerfiles}",
            s.full_name
        );
        assert!(!s.files.iter().any(|f| f.path.starts_with("node_modules/")));
        assert!(s.image_refs.iter().any(|r| r.how == RefSource::ReadmeLink));
        assert!(s.image_refs.iter().any(|r| r.how == RefSource::DockerPull));
        assert!(s
            .image_refs
            .iter()
            .any(|r| matches!(r.how, RefSource::WorkflowTags | RefSource::DockerPush)));
    }
    let esm = snapshots
        .iter()
        .find(|s| s.full_name == "esmBot/esmBot")
        .unwrap();
    assert!(esm
        .image_refs
        .iter()
        .any(|r| r.reference == "esmbot/esmbot:latest"));
    assert_eq!(summary.requests, mock.stats().requests);
}
