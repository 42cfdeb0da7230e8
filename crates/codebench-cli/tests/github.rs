//! `codebench import github` and `codebench images` end to end against the mock GitHub of
//! `codebench-github` on 127.0.0.1: the real binary, a real study file.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codebench_github::mock::{Fixture, FixtureRepo, MockConfig, MockGitHub, RepoState};
use codebench_github::{read_repo_list, ListEntry};
use common::*;

/// A runtime kept alive for the mock server while the test runs the CLI.
fn serve(fixture: Fixture) -> (tokio::runtime::Runtime, MockGitHub) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(MockGitHub::start(fixture, MockConfig::default()))
        .unwrap();
    (rt, server)
}

fn db(study: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(study, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
}

fn count(study: &Path, sql: &str) -> i64 {
    db(study).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn import(study: &Path, url: &str, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .arg("--study")
        .arg(study)
        .args(["import", "github", "--api-url", url, "--concurrency", "8"])
        .args(args)
        .env("GITHUB_TOKEN", "ghp_secret_test_token")
        .output()
        .unwrap()
}

#[test]
fn imports_normal_renamed_missing_empty_and_huge_repositories() {
    let huge = vec![b'#'; 2 * 1024 * 1024];
    let (_rt, server) = serve(Fixture::new(vec![
        FixtureRepo::new("acme/normal")
            .file(
                "README.md",
                "# Normal\n\nOn [Docker Hub](https://hub.docker.com/r/acme/normal).\n\n```\ndocker pull acme/normal:1.2\n```\n",
            )
            .file("Dockerfile", "FROM python:3.11\nRUN pip install normal\n")
            .file("docker/Dockerfile.gpu", "FROM nvidia/cuda:12.2.0-base\n")
            .file("node_modules/x/Dockerfile", "FROM node:18\n")
            .file(
                "docker-compose.yml",
                "services:\n  app:\n    image: acme/normal-api:3\n  db:\n    image: postgres:13\n",
            )
            .file(
                ".github/workflows/docker.yml",
                "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n        with:\n          tags: acme/normal:latest\n",
            ),
        FixtureRepo::new("acme/new-name")
            .renamed_from("acme/old-name")
            .file("README.md", "# Renamed\n")
            .file("Dockerfile", "FROM alpine:3.19\n"),
        FixtureRepo::new("acme/empty").state(RepoState::Empty),
        FixtureRepo::new("acme/huge")
            .file("README.md", "# Huge\n")
            .file("Dockerfile", huge)
            .file("Dockerfile.dev", "FROM python:3.12\n"),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let repos = [
        "acme/normal",
        "acme/old-name",
        "acme/empty",
        "acme/huge",
        "https://github.com/acme/missing",
    ];
    let out = import(&study, &server.url(), &repos);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{stdout}");
    assert!(
        stdout.starts_with("3 fetched (3 new, 0 updated, 0 unchanged), 0 skipped as already imported, 1 renamed, 2 with problems, 2 failed;"),
        "{stdout}"
    );
    assert!(
        stdout.contains("acme/old-name -> acme/new-name"),
        "{stdout}"
    );
    assert!(
        stdout.contains("acme/huge: Dockerfile is larger than"),
        "{stdout}"
    );
    assert!(
        stdout.contains("acme/missing: repository: HTTP 404"),
        "{stdout}"
    );
    assert!(stdout.contains("acme/empty:"), "{stdout}");
    assert!(!stdout.contains("ghp_secret") && !stderr.contains("ghp_secret"));
    assert_eq!(server.authorizations(), ["Bearer ghp_secret_test_token"]);

    let units = ok(&study, &["units"]);
    for u in [
        "acme/normal:Dockerfile",
        "acme/normal:docker/Dockerfile.gpu",
        "acme/new-name:Dockerfile",
        "acme/huge:Dockerfile",
        "acme/huge:Dockerfile.dev",
    ] {
        assert!(units.contains(u), "{u} in {units}");
    }
    assert!(!units.contains("node_modules") && !units.contains("acme/old-name"));
    assert!(!units.contains("acme/empty") && !units.contains("acme/missing"));

    let status: serde_json::Value =
        serde_json::from_str(&ok(&study, &["status", "--format", "json"])).unwrap();
    assert_eq!(status["projects"], 5);
    assert_eq!(status["project_units"], 3);
    assert_eq!(status["dockerfile_units"], 5);
    // renamed, huge, empty and missing carry a problem.
    assert_eq!(status["projects_with_problems"], 4);

    let c = db(&study);
    let (meta, location): (String, String) = c
        .query_row(
            "SELECT metadata, location FROM project WHERE full_name = 'acme/new-name'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["renamed_from"], "acme/old-name");
    assert_eq!(meta["html_url"], "https://github.com/acme/new-name");
    assert_eq!(meta["stars"], 42);
    assert_eq!(meta["topics"][0], "machine-learning");
    assert_eq!(location, format!("{}/repos/acme/new-name", server.url()));
    let status_of = |path: &str| -> String {
        c.query_row(
            "SELECT f.status FROM file f JOIN snapshot s ON s.id = f.snapshot_id JOIN project p ON p.id = s.project_id
             WHERE p.full_name = 'acme/huge' AND f.path = ?1",
            [path],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(status_of("Dockerfile"), "too_large");
    assert_eq!(status_of("Dockerfile.dev"), "stored");
    let readme: String = c
        .query_row(
            "SELECT t.text FROM file f JOIN content t ON t.sha256 = f.sha256 JOIN snapshot s ON s.id = f.snapshot_id
             JOIN project p ON p.id = s.project_id WHERE p.full_name = 'acme/normal' AND f.role = 'readme'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(readme.contains("docker pull acme/normal:1.2"));
    let empty: Option<String> = c
        .query_row(
            "SELECT problem FROM project WHERE full_name = 'acme/empty'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(empty.unwrap().contains("empty"));
    assert!(!dump(&study).contains("ghp_secret"));

    // Image references with where they were found.
    let refs: serde_json::Value = serde_json::from_str(&ok(
        &study,
        &["images", "--project", "acme/normal", "--format", "json"],
    ))
    .unwrap();
    let got: Vec<(String, String, String)> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reference"].as_str().unwrap().into(),
                r["found_in"].as_str().unwrap().into(),
                r["how"].as_str().unwrap().into(),
            )
        })
        .collect();
    for want in [
        ("acme/normal", "README.md", "readme-link"),
        ("acme/normal:1.2", "README.md", "docker-pull"),
        ("acme/normal-api:3", "docker-compose.yml", "compose-image"),
        ("postgres:13", "docker-compose.yml", "compose-image"),
        (
            "acme/normal:latest",
            ".github/workflows/docker.yml",
            "workflow-tags",
        ),
    ] {
        let want = (want.0.to_string(), want.1.to_string(), want.2.to_string());
        assert!(got.contains(&want), "{want:?} in {got:?}");
    }
    ok(
        &study,
        &[
            "images",
            "add",
            "--project",
            "acme/normal",
            "acme/normal:2.0",
        ],
    );
    let text = ok(&study, &["images", "--project", "acme/normal"]);
    assert!(
        text.contains("acme/normal:2.0") && text.contains("manual"),
        "{text}"
    );
    ok(
        &study,
        &[
            "images",
            "remove",
            "--project",
            "acme/normal",
            "postgres:13",
        ],
    );
    let text = ok(&study, &["images"]);
    assert!(!text.contains("postgres"), "{text}");
    let err = fails(
        &study,
        &[
            "images",
            "remove",
            "--project",
            "acme/normal",
            "postgres:13",
        ],
    );
    assert!(err.contains("has no image reference postgres:13"), "{err}");
    let err = fails(&study, &["images", "--project", "acme/nobody"]);
    assert!(err.contains("unknown project"), "{err}");
    assert_eq!(
        count(
            &study,
            "SELECT count(*) FROM history WHERE action IN ('image_ref.add', 'image_ref.remove')"
        ),
        2
    );

    // Run again: the three fetched are skipped, the two failed are tried again.
    let before = server.stats().requests;
    let out = import(&study, &server.url(), &repos);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.starts_with("0 fetched (0 new, 0 updated, 0 unchanged), 3 skipped as already imported, 0 renamed, 0 with problems, 2 failed;"),
        "{stdout}"
    );
    // /repos for missing; /repos and /commits for empty.
    assert_eq!(server.stats().requests - before, 3);
}

#[test]
fn nothing_can_be_done_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let err = fails(&study, &["import", "github", "--list", "/no/such/list.txt"]);
    assert!(err.contains("/no/such/list.txt"), "{err}");
    let list = dir.path().join("bad.txt");
    std::fs::write(&list, "acme/ok\nnot a repo name\n").unwrap();
    let err = fails(
        &study,
        &["import", "github", "--list", list.to_str().unwrap()],
    );
    assert!(err.contains("bad.txt:2"), "{err}");
    let err = fails(
        &study,
        &[
            "import",
            "github",
            "acme/x",
            "--api-url",
            "ftp://example.invalid",
        ],
    );
    assert!(
        err.contains("'ftp://example.invalid' is not an http(s) URL"),
        "{err}"
    );
    let err = fails(&study, &["import", "github", "acme"]);
    assert!(err.contains("'acme'"), "{err}");
    assert_eq!(count(&study, "SELECT count(*) FROM project"), 0);
}

#[test]
fn the_406_repositories_of_the_reference_study() {
    let list = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/ease2022/manual-labeling.csv"
    ));
    if !list.exists() {
        eprintln!(
            "SKIPPED: {} is absent (the shared reference data); nothing to import",
            list.display()
        );
        return;
    }
    let entries = read_repo_list(list).unwrap();
    assert_eq!(entries.len(), 406);
    let fixture = Fixture::generated(&entries);
    let dockerfiles: usize = fixture
        .repos
        .iter()
        .map(|r| {
            r.files
                .iter()
                .filter(|(p, _, _)| {
                    codebench::corpus::names::role_of(p)
                        == Some(codebench::corpus::names::Role::Dockerfile)
                })
                .count()
        })
        .sum();
    let (_rt, server) = serve(fixture);
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let started = Instant::now();
    let out = import(
        &study,
        &server.url(),
        &["--list", list.to_str().unwrap(), "--format", "json"],
    );
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["repos"].as_array().unwrap().len(), 406);
    eprintln!(
        "406 repositories imported in {:.2}s with {} requests",
        took.as_secs_f64(),
        summary["requests"]
    );
    assert_eq!(count(&study, "SELECT count(*) FROM project"), 406);
    assert_eq!(
        count(
            &study,
            "SELECT count(*) FROM project WHERE source = 'github' AND problem IS NULL"
        ),
        406
    );
    assert_eq!(
        count(
            &study,
            "SELECT count(*) FROM file WHERE role = 'readme' AND status = 'stored'"
        ),
        406
    );
    assert_eq!(
        count(
            &study,
            "SELECT count(*) FROM unit WHERE kind = 'dockerfile'"
        ) as usize,
        dockerfiles
    );
    // Every project links to its image from the README (a hub link and a `docker pull`).
    assert_eq!(
        count(
            &study,
            "SELECT count(DISTINCT project_id) FROM image_ref WHERE how = 'docker-pull' AND found_in = 'README.md'"
        ),
        406
    );
    assert_eq!(
        count(
            &study,
            "SELECT count(DISTINCT project_id) FROM image_ref WHERE how = 'readme-link'"
        ),
        406
    );
    assert_eq!(
        count(
            &study,
            "SELECT count(DISTINCT project_id) FROM image_ref WHERE how IN ('workflow-tags', 'docker-push')"
        ),
        406
    );

    // The study's own kind labels, imported as rater "ease2022" (raw manual_topic values map
    // to codes through the codebook's aliases, as in FACTS.md), reproduce its kind counts.
    let said = ok(
        &study,
        &[
            "import",
            "labels",
            "--rater",
            "ease2022",
            "--dimension",
            "kind",
            "--unit-column",
            "repos",
            "--code-column",
            "manual_topic",
            list.to_str().unwrap(),
        ],
    );
    assert!(said.contains("406 decisions recorded"), "{said}");
    let report = ok(
        &study,
        &[
            "report",
            "--rater",
            "ease2022",
            "--compare",
            "ease2022",
            "--format",
            "csv",
        ],
    );
    for (kind, n) in [
        ("Application System", 170),
        ("MLOps / AIOps", 93),
        ("Toolkit", 62),
        ("DL Framework", 62),
        ("Model", 13),
        ("Documentation / Tutorials", 6),
    ] {
        assert!(
            report.contains(&format!("kinds,{kind},projects,{n}\r\n")),
            "{kind} {n}: {report}"
        );
    }
    let out = dir.path().join("export");
    ok(&study, &["export", "--out", out.to_str().unwrap()]);
    let dist = std::fs::read_to_string(out.join("distributions.csv")).unwrap();
    for (code, n) in [
        ("application-system", 170),
        ("mlops-aiops", 93),
        ("toolkit", 62),
        ("dl-framework", 62),
        ("model", 13),
        ("documentation-tutorials", 6),
    ] {
        assert!(
            dist.contains(&format!("ease2022,kind,{code},,,{n},406,")),
            "{code} {n}"
        );
    }
}

#[test]
fn killed_import_resumes_without_fetching_finished_repositories_again() {
    const N: usize = 400;
    let entries: Vec<ListEntry> = (0..N)
        .map(|i| ListEntry {
            full_name: format!("kill-test-org{}/project-{i}", i % 7),
            image: None,
            line: i as u64 + 1,
        })
        .collect();
    let (_rt, server) = serve(Fixture::generated(&entries));
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("repos.txt");
    let names: Vec<&str> = entries.iter().map(|e| e.full_name.as_str()).collect();
    std::fs::write(&list, names.join("\n")).unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);

    let mut child = Command::new(bin())
        .arg("--study")
        .arg(&study)
        .args(["import", "github", "--concurrency", "8", "--api-url"])
        .arg(server.url())
        .arg("--list")
        .arg(&list)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stored = count(&study, "SELECT count(*) FROM snapshot");
        if stored >= 40 {
            break;
        }
        assert!(Instant::now() < deadline, "the import stalled at {stored}");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended early"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let kept = count(&study, "SELECT count(*) FROM snapshot") as usize;
    assert!((40..N).contains(&kept), "killed after {kept} of {N}");
    assert!(ok(&study, &["status"]).contains(&format!("projects   {kept} ")));
    let done: Vec<String> = db(&study)
        .prepare("SELECT full_name FROM project ORDER BY full_name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();

    let before = server.stats().requests;
    let out = import(
        &study,
        &server.url(),
        &["--list", list.to_str().unwrap(), "--format", "json"],
    );
    assert!(out.status.success());
    let resumed = server.stats().requests - before;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["skipped"].as_array().unwrap().len(), kept);
    let fetched: Vec<&str> = summary["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["requested"].as_str().unwrap())
        .collect();
    assert_eq!(fetched.len(), N - kept);
    assert!(fetched.iter().all(|f| !done.iter().any(|d| d == f)));
    assert_eq!(count(&study, "SELECT count(*) FROM project"), N as i64);
    assert_eq!(count(&study, "SELECT count(*) FROM snapshot"), N as i64);
    assert_eq!(
        count(&study, "SELECT count(DISTINCT project_id) FROM snapshot"),
        N as i64
    );
    assert!(ok(&study, &["status"]).contains(&format!("projects   {N} ")));

    // The mock's request count of the resumed run equals that of a fresh import of only the
    // repositories that were not finished: finished ones were not fetched again.
    let rest = dir.path().join("rest.txt");
    std::fs::write(&rest, fetched.join("\n")).unwrap();
    let fresh = dir.path().join("fresh.codebench");
    ok(&fresh, &["init"]);
    let before = server.stats().requests;
    let out = import(&fresh, &server.url(), &["--list", rest.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(resumed, server.stats().requests - before);
    eprintln!("killed after {kept} of {N} stored; the resumed run sent {resumed} requests");
}

#[test]
fn rate_limit_waits_are_shown_with_reason_and_duration() {
    use codebench_github::mock::SecondaryLimit;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = MockConfig {
        secondary: vec![SecondaryLimit {
            on_request: 2,
            status: 429,
            retry_after: Some(1),
        }],
        ..MockConfig::default()
    };
    let server = rt
        .block_on(MockGitHub::start(
            Fixture::new(vec![FixtureRepo::new("acme/a")
                .file("README.md", "# A\n")
                .file("Dockerfile", "FROM alpine\n")]),
            config,
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let out = import(&study, &server.url(), &["acme/a"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("waiting 1.") && stderr.contains("secondary rate limit"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("waited 1."), "{stdout}");
    assert!(stdout.starts_with("1 fetched (1 new"), "{stdout}");
}
