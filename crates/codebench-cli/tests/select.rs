//! `codebench select` and `codebench hub` end to end: the real binary and a real study file
//! against the local GitHub and Docker Hub look-alikes on 127.0.0.1.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use codebench_github::mock::{Fixture, FixtureRepo, MockConfig, MockGitHub, RepoState};
use codebench_hub::mock::{HubFixtureRepo, HubMockConfig, MockHub};
use common::*;
use serde_json::Value;

const QUERY: &str = "topic:mlops fork:true";

/// Whether a filter keeps the fixture's repository at this index.
type Keep<'a> = &'a dyn Fn(usize, &FixtureRepo) -> bool;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn db(study: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(study, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
}

fn count(study: &Path, sql: &str) -> i64 {
    db(study).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// `codebench --study STUDY ARGS...` with a GitHub token in the environment.
fn cb(study: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--study")
        .arg(study)
        .args(args)
        .env("GITHUB_TOKEN", "ghp_select_test_token")
        .env("CODEBENCH_KEYRING_SERVICE", "codebench-select-test")
        .output()
        .unwrap()
}

fn cb_ok(study: &Path, args: &[&str]) -> String {
    let out = cb(study, args);
    assert!(
        out.status.success(),
        "codebench {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(study: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&cb_ok(study, args)).unwrap()
}

/// The importer's Dockerfile rules as the fixture knows them (not a link, not vendored).
fn has_dockerfile(r: &FixtureRepo) -> bool {
    r.state == RepoState::Normal
        && r.files.iter().any(|(p, _, link)| {
            let parts: Vec<&str> = p.split('/').collect();
            let name = parts.last().unwrap().to_ascii_lowercase();
            !link
                && !parts[..parts.len() - 1]
                    .iter()
                    .any(|d| [".git", "node_modules", "vendor"].contains(d))
                && (name == "dockerfile"
                    || name.starts_with("dockerfile.")
                    || name.starts_with("dockerfile-")
                    || name.starts_with("dockerfile_")
                    || (name.ends_with(".dockerfile") && name.len() > ".dockerfile".len()))
        })
}

/// 3,000 repositories for one topic; a third name an image `images/<repo>` in their README
/// (on the mock Hub), a third have an image under their own name (on the mock Hub), a third
/// have none.
fn fixture(n: usize) -> (Fixture, Vec<HubFixtureRepo>) {
    let mut fixture = Fixture::topic("mlops", n);
    let mut hub = Vec::new();
    for (i, r) in fixture.repos.iter_mut().enumerate() {
        let (owner, repo) = r.full_name.split_once('/').unwrap();
        let (owner, repo) = (owner.to_string(), repo.to_string());
        match i % 3 {
            0 => {
                for f in r.files.iter_mut().filter(|f| f.0 == "README.md") {
                    f.1 = format!("# {repo}\n\n```\ndocker pull images/{repo}:latest\n```\n")
                        .into_bytes();
                }
                let mut h = HubFixtureRepo::new("images", &repo).with_tags(3);
                h.description = format!("{repo}: images/{repo}, a fictional image");
                hub.push(h);
            }
            1 => hub.push(HubFixtureRepo::new(&owner, &repo)),
            _ => {}
        }
    }
    (fixture, hub)
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn three_thousand_repositories_through_search_filters_sample_and_accept() {
    let rt = runtime();
    let (fx, hub_repos) = fixture(3000);
    let repos = fx.repos.clone();
    let gh = rt
        .block_on(MockGitHub::start(fx, MockConfig::default()))
        .unwrap();
    let hub = rt
        .block_on(MockHub::start(hub_repos, HubMockConfig::default()))
        .unwrap();
    let (api, hub_url) = (gh.url(), hub.url());
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);

    // Search: all 3,000, through created: slices (the cap is 1,000).
    let started = Instant::now();
    let search = json(
        &study,
        &[
            "select",
            "search",
            QUERY,
            "--api-url",
            &api,
            "--format",
            "json",
        ],
    );
    let search_time = started.elapsed();
    assert_eq!(
        (search["in"].as_u64(), search["out"].as_u64()),
        (Some(3000), Some(3000))
    );
    assert_eq!(search["status"], "done");
    let slices = search["parameters"]["slices"].as_u64().unwrap();
    assert!(slices >= 3, "{search}");
    assert!(gh.searches().iter().all(|r| r.page <= 10));

    // Filters, in the order given (not the order of the flags' declaration).
    let started = Instant::now();
    let steps = json(
        &study,
        &[
            "select",
            "filter",
            "--not-archived",
            "--min-commits",
            "100",
            "--not-fork",
            "--min-releases",
            "1",
            "--has-dockerfile",
            "--has-hub-image",
            "--hub-url",
            &hub_url,
            "--api-url",
            &api,
            "--format",
            "json",
        ],
    );
    let filter_time = started.elapsed();
    let steps = steps.as_array().unwrap();
    let criteria: Vec<&str> = steps
        .iter()
        .map(|s| s["criterion"].as_str().unwrap())
        .collect();
    assert_eq!(
        criteria,
        [
            "not_archived",
            "min_commits",
            "not_fork",
            "min_releases",
            "has_dockerfile",
            "has_hub_image"
        ]
    );
    let mut left: Vec<(usize, &FixtureRepo)> = repos.iter().enumerate().collect();
    let mut expected = Vec::new();
    let tests: [Keep; 6] = [
        &|_, r| !r.archived,
        &|_, r| r.commits >= 100,
        &|_, r| !r.fork,
        &|_, r| r.releases >= 1,
        &|_, r| has_dockerfile(r),
        &|i, _| i % 3 != 2,
    ];
    for t in tests {
        let before = left.len() as u64;
        left.retain(|(i, r)| t(*i, r));
        expected.push((before, left.len() as u64));
    }
    let got: Vec<(u64, u64)> = steps
        .iter()
        .map(|s| (s["in"].as_u64().unwrap(), s["out"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, expected);
    eprintln!(
        "funnel: 3000 -> {:?}",
        expected.iter().map(|e| e.1).collect::<Vec<_>>()
    );
    let survivors: BTreeSet<&str> = left.iter().map(|(_, r)| r.full_name.as_str()).collect();

    // The sample: twice in this study, and once in a copy made before it, gives the same 50.
    let copy = dir.path().join("copy.codebench");
    std::fs::copy(&study, &copy).unwrap();
    let wal = study.with_extension("codebench-wal");
    if wal.exists() {
        std::fs::copy(&wal, copy.with_extension("codebench-wal")).unwrap();
    }
    let sample = json(
        &study,
        &[
            "select", "sample", "--size", "50", "--seed", "7", "--format", "json",
        ],
    );
    let again = json(
        &study,
        &[
            "select", "sample", "--size", "50", "--seed", "7", "--format", "json",
        ],
    );
    let elsewhere = json(
        &copy,
        &[
            "select", "sample", "--size", "50", "--seed", "7", "--format", "json",
        ],
    );
    assert_eq!(
        (sample["in"].as_u64(), sample["out"].as_u64()),
        (Some(expected[5].1), Some(50))
    );
    assert_eq!(again, sample);
    assert_eq!(elsewhere["excluded"], sample["excluded"]);
    let other = json(
        &copy,
        &[
            "select", "sample", "--size", "50", "--seed", "8", "--format", "json",
        ],
    );
    assert_ne!(
        other["excluded"], sample["excluded"],
        "another seed, another sample"
    );
    let not_drawn: BTreeSet<&str> = sample["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["repository"].as_str().unwrap())
        .collect();
    let drawn: BTreeSet<&str> = survivors.difference(&not_drawn).copied().collect();
    assert_eq!(drawn.len(), 50);

    // Accept imports the 50.
    let accepted = json(
        &study,
        &["select", "accept", "--api-url", &api, "--format", "json"],
    );
    assert_eq!(
        (
            accepted["step"]["in"].as_u64(),
            accepted["step"]["out"].as_u64()
        ),
        (Some(50), Some(50))
    );
    let projects = json(&study, &["projects", "list", "--format", "json"]);
    let imported: BTreeSet<&str> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(imported, drawn);
    assert_eq!(count(&study, "SELECT count(*) FROM snapshot"), 50);

    // The funnel as scripts read it.
    let shown = json(&study, &["select", "show", "--format", "json"]);
    let rows = shown["steps"].as_array().unwrap();
    assert_eq!(rows.len(), 9);
    for (r, key) in rows.iter().zip([
        "search", "filter", "filter", "filter", "filter", "filter", "filter", "sample", "accept",
    ]) {
        assert_eq!(r["kind"], key);
        for field in ["step", "kind", "parameters", "in", "out", "excluded"] {
            assert!(r.get(field).is_some(), "{field} missing in {r}");
        }
    }
    assert_eq!(rows[7]["parameters"]["seed"], 7);
    let excluded_total: usize = rows
        .iter()
        .map(|r| r["excluded"].as_array().unwrap().len())
        .sum();
    assert_eq!(excluded_total, 3000 - 50);

    // Docker Hub evidence for the 50, then every export.
    let fetched = json(
        &study,
        &["hub", "fetch", "--hub-url", &hub_url, "--format", "json"],
    );
    assert_eq!(fetched["projects"], 50);
    assert!(
        fetched["failed"].as_array().unwrap().is_empty(),
        "{fetched}"
    );
    assert_eq!(hub.stats().deprecated_requests, 0);
    let out = dir.path().join("export");
    ok(&study, &["export", "--out", out.to_str().unwrap()]);
    let selection = read_csv(&out.join("selection.csv"));
    assert_eq!(selection.len(), 9);
    assert_eq!(selection[0]["in"], "3000");
    assert_eq!(selection[0]["out"], "3000");
    assert_eq!(selection[2]["criterion"], "min_commits");
    assert_eq!(selection[2]["out"], expected[1].1.to_string());
    assert_eq!(selection[7]["out"], "50");
    assert!(selection[0]["parameters"].contains("\"created_until\""));
    let excluded = read_csv(&out.join("excluded.csv"));
    assert_eq!(excluded.len(), 3000 - 50);
    assert!(excluded
        .iter()
        .any(|e| e["step"] == "3" && e["reason"].ends_with("commits, fewer than 100")));
    assert!(excluded.iter().any(|e| e["reason"] == "a fork"));
    let hub_rows = read_csv(&out.join("hub.csv"));
    let described: BTreeSet<&str> = hub_rows
        .iter()
        .filter(|r| r["found"] == "true" && r["description"].contains("a fictional image"))
        .map(|r| r["project"].as_str())
        .collect();
    assert_eq!(
        described, drawn,
        "every accepted project has its Hub description"
    );
    assert!(hub_rows
        .iter()
        .any(|r| r["full_description"].contains("docker run --rm")));
    assert!(!read_csv(&out.join("hub_tags.csv")).is_empty());

    // The funnel figure and the methods paragraph.
    let figs = dir.path().join("figs");
    ok(
        &study,
        &["select", "show", "--figure", figs.to_str().unwrap()],
    );
    let svg = std::fs::read_to_string(figs.join("selection_funnel.svg")).unwrap();
    assert!(svg.contains("Corpus selection"));
    assert!(std::fs::read(figs.join("selection_funnel.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    let methods = cb_ok(&study, &["select", "show", "--methods"]);
    for part in [
        "`topic:mlops fork:true`",
        "GitHub reported 3,000 repositories and the search returned 3,000",
        &format!("split into {slices} `created:` ranges"),
        "at least 100 commits",
        "not archived",
        "an image on Docker Hub",
        "seed 7",
        "The 50 repositories were imported on",
    ] {
        assert!(methods.contains(part), "{part:?} missing from: {methods}");
    }
    let table = cb_ok(&study, &["select", "show"]);
    assert!(table.contains("accepted as the corpus"), "{table}");
    eprintln!(
        "search of 3,000 in {slices} slices: {search_time:?} ({} search requests); filters: {filter_time:?}; {} GitHub requests, {} Docker Hub requests in all",
        gh.stats().search_requests,
        gh.stats().requests,
        hub.stats().requests
    );
    eprintln!("{methods}");
}

#[test]
fn a_killed_search_resumes_without_repeating_requests() {
    let rt = runtime();
    let gh = rt
        .block_on(MockGitHub::start(
            Fixture::topic("mlops", 3000),
            MockConfig {
                delay: Duration::from_millis(40),
                ..MockConfig::default()
            },
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let mut child = Command::new(bin())
        .arg("--study")
        .arg(&study)
        .args(["select", "search", QUERY, "--api-url"])
        .arg(gh.url())
        .env("GITHUB_TOKEN", "ghp_select_test_token")
        .env("CODEBENCH_KEYRING_SERVICE", "codebench-select-test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let pages = |s: &Path| -> i64 {
        // The tables exist once the child has migrated the study.
        db(s)
            .query_row(
                "SELECT coalesce(sum(pages), 0) FROM search_slice",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0)
    };
    loop {
        if pages(&study) >= 6 {
            break;
        }
        assert!(Instant::now() < deadline, "the search stalled");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the search ended early"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let stored_pages = pages(&study);
    let found = count(&study, "SELECT count(*) FROM selection_candidate");
    assert!(
        stored_pages >= 6 && found < 3000,
        "{stored_pages} pages, {found} found"
    );
    let asked_before = gh.searches();
    // What the killed run stored: every count, and the pages of each slice.
    let stored: BTreeSet<(String, u64)> = {
        let c = db(&study);
        let mut stmt = c
            .prepare("SELECT query, pages FROM search_slice WHERE pages > 0")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap();
        let mut out = BTreeSet::new();
        for row in rows {
            let (q, n) = row.unwrap();
            for p in 1..=n as u64 {
                out.insert((q.clone(), p));
            }
        }
        out
    };
    assert_eq!(stored.len() as i64, stored_pages);

    let resumed = json(
        &study,
        &[
            "select",
            "search",
            QUERY,
            "--api-url",
            &gh.url(),
            "--format",
            "json",
        ],
    );
    assert_eq!(resumed["status"], "done");
    assert_eq!(resumed["out"], 3000);
    let log = gh.searches();
    let after: Vec<_> = log[asked_before.len()..].to_vec();
    // No count asked again (planning reused every stored count) and no stored page asked
    // again; at most the one request in flight at the kill is asked twice.
    assert!(
        after.iter().all(|r| r.per_page == 100),
        "a count was asked again: {after:?}"
    );
    assert!(
        after
            .iter()
            .all(|r| !stored.contains(&(r.q.clone(), r.page))),
        "a stored page was asked again"
    );
    let mut seen = BTreeSet::new();
    let repeated = log
        .iter()
        .filter(|r| !seen.insert((r.q.clone(), r.page, r.per_page)))
        .count();
    assert!(repeated <= 1, "{repeated} requests repeated");
    eprintln!(
        "killed after {stored_pages} pages ({found} repositories); the resumed run sent {} requests, {repeated} repeated",
        after.len()
    );
}

#[test]
fn selection_refusals_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let e = fails(&study, &["select", "sample", "--size", "5", "--seed", "1"]);
    assert!(e.contains("no search yet"), "{e}");
    let e = fails(&study, &["select", "filter"]);
    assert!(e.contains("at least one criterion"), "{e}");
    let e = fails(&study, &["select", "show", "--methods"]);
    assert!(e.contains("no corpus selection"), "{e}");
    let out = run(
        &study,
        &["select", "filter", "--hub-url", "http://127.0.0.1:1"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "--hub-url needs --has-hub-image"
    );
    let e = fails(&study, &["hub", "fetch", "--project", "acme/none"]);
    assert!(e.contains("unknown project"), "{e}");
    assert!(ok(&study, &["select", "show"]).contains("no selection yet"));
}
