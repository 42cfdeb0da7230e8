//! `codebench analyze image`, `codebench metrics run --images` and `codebench jobs`, with the
//! real binary against a real `docker-registry` on 127.0.0.1.

mod common;
#[path = "../../codebench/tests/registry_support/mod.rs"]
mod registry_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fails, ok};
use registry_support::*;
use serde_json::Value;

fn analyze(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["analyze", "image"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&ok(&dir.path().join("unused"), &all)).unwrap()
}

#[test]
fn registry_oci_layout_and_docker_archive_give_the_same_metrics() {
    let reg = Registry::start();
    let (a, _) = two_images();
    reg.push_image("ns/a", "1", &a);
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    write_oci_layout(&layout, &a);
    let archive = dir.path().join("a.tar");
    write_docker_archive(&archive, &a);

    let from_reg = analyze(&[&format!("{}/ns/a:1", reg.addr)]);
    let from_layout = analyze(&["--oci-layout", layout.to_str().unwrap()]);
    let from_archive = analyze(&[
        "--docker-archive",
        archive.to_str().unwrap(),
        "--platform",
        "linux/amd64",
    ]);
    let p = |v: &Value| v["platforms"][0].clone();
    assert_eq!(from_reg["platforms"].as_array().unwrap().len(), 1);
    // Same manifest: identical platform reports.
    assert_eq!(p(&from_reg), p(&from_layout));
    assert_eq!(p(&from_reg)["image"]["env_count"], 2);
    // A docker-save archive holds uncompressed layers and no manifest of the registry's: the
    // filesystem and configuration metrics agree, and each layer's content metrics.
    let (ri, ai) = (&p(&from_reg)["image"], &p(&from_archive)["image"]);
    for k in [
        "filesystem",
        "env_count",
        "env_names",
        "layer_count",
        "uncompressed_bytes",
        "history_entries",
        "cmd",
        "os",
        "architecture",
    ] {
        assert_eq!(ri[k], ai[k], "{k}");
    }
    for (rl, al) in p(&from_reg)["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(p(&from_archive)["layers"].as_array().unwrap())
    {
        for k in [
            "files",
            "directories",
            "file_bytes",
            "max_directory_level",
            "uncompressed_bytes",
            "extensions",
            "largest_files",
        ] {
            assert_eq!(rl[k], al[k], "{k}");
        }
    }

    // The text form names what matters.
    let text = ok(
        &dir.path().join("unused"),
        &["analyze", "image", "--oci-layout", layout.to_str().unwrap()],
    );
    assert!(text.contains("platform linux/amd64"), "{text}");
    assert!(text.contains("2 layers"), "{text}");
    assert!(text.contains("5 files"), "{text}");
    assert!(text.contains("max directory level 3"), "{text}");
    assert!(text.contains("2 environment variables"), "{text}");

    // Bad input: one clear line, exit 1.
    let e = fails(
        &dir.path().join("unused"),
        &["analyze", "image", "--oci-layout", "/no/such/layout"],
    );
    assert!(e.contains("/no/such/layout"), "{e}");
    let e = fails(
        &dir.path().join("unused"),
        &["analyze", "image", "bad ref!!"],
    );
    assert!(e.contains("bad ref!!"), "{e}");
}

#[test]
fn a_registry_mirror_and_credentials_from_the_environment() {
    let reg = Registry::start();
    let (a, _) = two_images();
    reg.push_image("ns/a", "1", &a);
    let dir = tempfile::tempdir().unwrap();
    // The reference names Docker Hub; the mirror on 127.0.0.1 answers for it.
    let mirror = format!("http://{}", reg.addr);
    let via_mirror = analyze(&["ns/a:1", "--registry-url", &mirror]);
    let direct = analyze(&[&format!("{}/ns/a:1", reg.addr)]);
    assert_eq!(via_mirror["platforms"][0], direct["platforms"][0]);
    // Credentials are taken from the environment (the registry never asks for them here).
    let out = Command::new(common::bin())
        .args([
            "analyze",
            "image",
            "ns/a:1",
            "--registry-url",
            &mirror,
            "--registry-user",
            "ana",
            "--format",
            "json",
        ])
        .env("CODEBENCH_REGISTRY_PASSWORD", "token-123")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("token-123"));
    // And from standard input.
    let mut child = Command::new(common::bin())
        .args([
            "analyze",
            "image",
            "ns/a:1",
            "--registry-url",
            &mirror,
            "--registry-user",
            "ana",
            "--registry-password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"token-123\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Bad input: one clear line each.
    let unused = dir.path().join("unused");
    let e = fails(
        &unused,
        &["analyze", "image", "ns/a:1", "--registry-url", "ftp://x"],
    );
    assert!(e.contains("registry URL 'ftp://x'"), "{e}");
    let e = fails(
        &unused,
        &["analyze", "image", "ns/a:1", "--registry-user", "ana"],
    );
    assert!(e.contains("CODEBENCH_REGISTRY_PASSWORD"), "{e}");
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let e = fails(
        &study,
        &[
            "metrics",
            "run",
            "--image",
            "ns/a:1",
            "--registry-url",
            "nope",
        ],
    );
    assert!(e.contains("registry URL 'nope'"), "{e}");
}

#[test]
fn metrics_run_images_stores_results_and_jobs_retry_after_503() {
    let reg = Registry::start();
    let (a, b) = two_images();
    reg.push_image("ns/a", "1", &a);
    reg.push_image("ns/b", "1", &b);
    let proxy = Proxy::start(&reg.addr);
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let (ra, rb) = (
        format!("{}/ns/a:1", proxy.addr),
        format!("{}/ns/b:1", proxy.addr),
    );
    let out = ok(&study, &["metrics", "run", "--image", &ra, "--image", &rb]);
    assert!(
        out.contains(&format!("done      image_metrics      {ra}")),
        "{out}"
    );
    assert!(out.contains("2 done, 0 failed"), "{out}");
    assert!(out.contains("layers: 3 analysed, 1 from cache"), "{out}");
    let jobs: Value =
        serde_json::from_str(&ok(&study, &["jobs", "list", "--format", "json"])).unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 2);
    assert!(jobs
        .as_array()
        .unwrap()
        .iter()
        .all(|j| j["state"] == "done"));

    // The registry answers 503 with Retry-After: the job fails, retryable, with a retry time.
    proxy.set(Mode::Unavailable);
    let rc = format!("{}/ns/c:1", proxy.addr);
    let e = fails(&study, &["metrics", "run", "--image", &rc]);
    assert!(e.contains("1 job failed; see `codebench jobs`"), "{e}");
    let list = ok(&study, &["jobs"]);
    let line = list.lines().find(|l| l.contains(&rc)).unwrap();
    assert!(
        line.starts_with("   3 image_metrics") && line.contains("failed"),
        "{list}"
    );
    assert!(
        line.contains("503") && line.contains("retryable, not before"),
        "{list}"
    );

    // Back up (and the image pushed): `jobs retry` queues it, the next run succeeds.
    proxy.set(Mode::Up);
    reg.push_image("ns/c", "1", &a);
    assert!(ok(&study, &["jobs", "retry", "3"]).contains("queued"));
    let out = ok(&study, &["metrics", "run", "--images"]);
    assert!(out.contains("1 done, 0 failed"), "{out}");
    assert!(out.contains("layers: 0 analysed, 2 from cache"), "{out}");
    let e = fails(&study, &["jobs", "retry", "3"]);
    assert!(e.contains("job 3 is done"), "{e}");

    // Held: a queued job waits (in the CLI as in the app) until `jobs run`.
    assert!(ok(&study, &["jobs", "hold"]).contains("run as soon as they are queued"));
    let e = fails(&study, &["jobs", "hold", "on"]);
    assert!(e.contains("--by"), "{e}");
    assert!(ok(&study, &["jobs", "hold", "on", "--by", "lead"]).contains("held"));
    let out = ok(
        &study,
        &["metrics", "run", "--image", &format!("{}/ns/a:1", reg.addr)],
    );
    assert!(
        out.contains("queued 1 job; the study holds queued jobs"),
        "{out}"
    );
    let jobs: Value =
        serde_json::from_str(&ok(&study, &["jobs", "list", "--format", "json"])).unwrap();
    assert_eq!(jobs[3]["state"], "queued", "{jobs}");
    let out = ok(&study, &["jobs", "run"]);
    assert!(out.contains("1 done, 0 failed"), "{out}");
    assert!(ok(&study, &["jobs", "hold", "off", "--by", "lead"]).contains("as soon as"));
    let e = fails(&study, &["jobs", "cancel", "42"]);
    assert!(e.contains("unknown job '42'"), "{e}");
}

#[test]
fn a_killed_metrics_run_resumes() {
    let reg = Registry::start();
    let (a, _) = two_images();
    reg.push_image("ns/a", "1", &a);
    let proxy = Proxy::start(&reg.addr);
    proxy.set(Mode::Stall);
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let r = format!("{}/ns/a:1", proxy.addr);
    let mut child = Command::new(common::bin())
        .args([
            "--study",
            study.to_str().unwrap(),
            "metrics",
            "run",
            "--image",
            &r,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let state = || -> Option<String> {
        let c = rusqlite::Connection::open(&study).ok()?;
        c.query_row("SELECT state FROM job", [], |r| r.get(0)).ok()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while state().as_deref() != Some("running") {
        assert!(Instant::now() < deadline, "the job never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(state().as_deref(), Some("running"), "killed mid-job");

    proxy.set(Mode::Up);
    let out = ok(&study, &["metrics", "run", "--images"]);
    assert!(out.contains("1 done, 0 failed"), "{out}");
    assert!(out.contains("1 resumed after an interrupted run"), "{out}");
    let jobs: Value =
        serde_json::from_str(&ok(&study, &["jobs", "list", "--format", "json"])).unwrap();
    assert_eq!(jobs[0]["state"], "done");
    assert_eq!(jobs[0]["attempts"], 2);
}

/// The image metrics of a study file, without the time they were computed: what a sharded run
/// and a single run must agree on.
fn image_metrics(study: &std::path::Path) -> Vec<(String, String, String, String)> {
    let c = rusqlite::Connection::open(study).unwrap();
    let mut stmt = c
        .prepare("SELECT reference, platform, manifest_digest, metrics FROM image_metrics ORDER BY reference, platform")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

fn layers_analysed(out: &str) -> u64 {
    let tail = out.rsplit("layers: ").next().unwrap();
    tail.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn sharded_metrics_runs_in_parallel_processes_merge_to_the_single_run() {
    let reg = Registry::start();
    let f = common::fixture();
    // The fixture's own references (none reachable here) go; six images on one base come in.
    let refs: Value =
        serde_json::from_str(&ok(&f.study, &["images", "list", "--format", "json"])).unwrap();
    for r in refs.as_array().unwrap() {
        ok(
            &f.study,
            &[
                "images",
                "remove",
                "--project",
                r["project"].as_str().unwrap(),
                r["reference"].as_str().unwrap(),
            ],
        );
    }
    let base = || layer(&[("usr/bin/python3", 30_000), ("etc/os-release", 200)]);
    for i in 0..6 {
        let img = image(
            vec![base(), layer(&[(&format!("opt/app{i}/main.py"), 100 + i)])],
            &["PATH=/usr/bin"],
        );
        reg.push_image(&format!("ns/app{i}"), "1", &img);
        let project = if i % 2 == 0 {
            "acme/alpha"
        } else {
            "acme/beta"
        };
        ok(
            &f.study,
            &[
                "images",
                "add",
                "--project",
                project,
                &format!("{}/ns/app{i}:1", reg.addr),
            ],
        );
    }
    let d = f.dir.path();
    let path = |name: &str| d.join(name).to_str().unwrap().to_string();

    // One machine, one run.
    ok(&f.study, &["copy", &path("single.codebench")]);
    let single = ok(
        &d.join("single.codebench"),
        &["metrics", "run", "--images", "--dockerfiles"],
    );
    assert!(single.contains("6 done, 0 failed"), "{single}");
    assert_eq!(layers_analysed(&single), 7, "{single}");

    for n in [1usize, 2, 4] {
        let cache = path(&format!("cache-{n}"));
        // N shard processes at once, as an array job runs them, sharing one layer cache.
        let children: Vec<_> = (1..=n)
            .map(|i| {
                Command::new(common::bin())
                    .args([
                        "--study",
                        f.study.to_str().unwrap(),
                        "metrics",
                        "run",
                        "--images",
                        "--dockerfiles",
                        "--shard",
                        &format!("{i}/{n}"),
                        "--into",
                        &path(&format!("shard-{i}-of-{n}.codebench")),
                        "--layer-cache",
                        &cache,
                    ])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut analysed = 0;
        let mut jobs = 0;
        for c in children {
            let out = c.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            assert!(
                out.status.success(),
                "{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(text.contains("(new copy)"), "{text}");
            analysed += layers_analysed(&text);
            let done: usize = text
                .split(": ")
                .nth(1)
                .and_then(|t| t.split(' ').next())
                .and_then(|t| t.parse().ok())
                .unwrap();
            jobs += done;
        }
        // 6 image jobs and 2 Dockerfile jobs, each in exactly one shard; the shared cache
        // keeps every layer analysed once across the processes.
        assert_eq!(jobs, 8, "N = {n}");
        assert_eq!(analysed, 7, "N = {n}");

        // The lead merges the shards into a copy of the study; a second merge adds nothing.
        let merged = d.join(format!("merged-{n}.codebench"));
        ok(&f.study, &["copy", merged.to_str().unwrap()]);
        for i in 1..=n {
            ok(
                &merged,
                &["merge", &path(&format!("shard-{i}-of-{n}.codebench"))],
            );
        }
        for i in 1..=n {
            let again = ok(
                &merged,
                &["merge", &path(&format!("shard-{i}-of-{n}.codebench"))],
            );
            assert!(again.contains("nothing new"), "N = {n}: {again}");
        }
        assert_eq!(
            image_metrics(&merged),
            image_metrics(&d.join("single.codebench")),
            "N = {n}"
        );
        let jobs: Value =
            serde_json::from_str(&ok(&merged, &["jobs", "list", "--format", "json"])).unwrap();
        assert_eq!(jobs.as_array().unwrap().len(), 8, "{jobs}");
        assert!(
            jobs.as_array()
                .unwrap()
                .iter()
                .all(|j| j["state"] == "done"),
            "{jobs}"
        );
        // Running a finished shard again resumes its copy and runs nothing.
        let again = ok(
            &f.study,
            &[
                "metrics",
                "run",
                "--images",
                "--dockerfiles",
                "--shard",
                &format!("1/{n}"),
                "--into",
                &path(&format!("shard-1-of-{n}.codebench")),
            ],
        );
        assert!(
            again.contains("(resumed)") && again.contains("0 done, 0 failed"),
            "{again}"
        );
    }
    // The study itself was only read.
    let jobs: Value =
        serde_json::from_str(&ok(&f.study, &["jobs", "list", "--format", "json"])).unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 0, "{jobs}");
    let e = fails(
        &f.study,
        &[
            "metrics",
            "run",
            "--images",
            "--shard",
            "5/4",
            "--into",
            &path("x.codebench"),
        ],
    );
    assert!(e.contains("shard '5/4'"), "{e}");
}

#[test]
fn a_shard_run_by_a_rater_carries_no_one_elses_blind_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init", "--sample"]);
    ok(&study, &["raters", "add", "alice"]);
    ok(&study, &["raters", "add", "bob"]);
    ok(
        &study,
        &[
            "round",
            "create",
            "r1",
            "--size",
            "2",
            "--dimension",
            "kind",
            "--seed",
            "1",
        ],
    );
    ok(&study, &["round", "assign", "r1", "--raters", "alice,bob"]);
    let round: Value =
        serde_json::from_str(&ok(&study, &["round", "show", "r1", "--format", "json"])).unwrap();
    let unit = round["units"][0].as_str().unwrap().to_string();
    ok(
        &study,
        &[
            "--as",
            "bob",
            "code",
            "--rater",
            "bob",
            "--unit",
            &unit,
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    let copy = dir.path().join("alice-shard.codebench");
    ok(
        &study,
        &[
            "--as",
            "alice",
            "metrics",
            "run",
            "--dockerfiles",
            "--shard",
            "1/1",
            "--into",
            copy.to_str().unwrap(),
        ],
    );
    let bobs = |f: &std::path::Path| -> i64 {
        rusqlite::Connection::open(f)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM decision d JOIN rater r ON r.id = d.rater_id WHERE r.name = 'bob'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(
        bobs(&copy),
        0,
        "alice's shard copy holds bob's blind decision"
    );
    // Merged back, the metrics come in and bob's decision stays.
    let said = ok(&study, &["merge", copy.to_str().unwrap()]);
    assert!(said.contains("metrics"), "{said}");
    assert_eq!(bobs(&study), 1);
}
