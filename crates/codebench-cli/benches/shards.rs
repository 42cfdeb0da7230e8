//! `make bench`: image metrics of one study run as N shard processes (N = 1, 2, 4) with a shared
//! layer cache and merged back, beside the same metrics in one `codebench metrics run`, end to end
//! as a user runs the commands (the release `codebench` binary against the real Debian
//! `docker-registry` on 127.0.0.1). Checks that every merged result equals the single run.
//!
//! The corpus: 32 images on one shared base layer (2,000 files) with a top layer of their own
//! (1,000 files each). On one machine the shards share its cores and its loopback; the figure is
//! what splitting costs or gains here, not a cluster's speed-up.

#[path = "../../codebench/tests/registry_support/mod.rs"]
mod registry_support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use registry_support::*;

const IMAGES: usize = 32;

fn codebench(study: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_codebench"))
        .arg("--study")
        .arg(study)
        .args(args)
        .output()
        .expect("codebench runs");
    assert!(
        out.status.success(),
        "codebench {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn image_metrics(study: &Path) -> Vec<(String, String, String, String)> {
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

fn files(prefix: &str, n: usize, size: usize) -> Vec<(String, usize)> {
    (0..n)
        .map(|i| (format!("{prefix}/d{}/f{i}.py", i % 40), size + i % 97))
        .collect()
}

fn main() {
    let reg = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("study.codebench");
    codebench(&study, &["init", "--sample"]);
    // The sample's own references (not reachable here) go; the corpus's come in.
    let refs: serde_json::Value =
        serde_json::from_str(&codebench(&study, &["images", "list", "--format", "json"])).unwrap();
    for r in refs.as_array().unwrap() {
        codebench(
            &study,
            &[
                "images",
                "remove",
                "--project",
                r["project"].as_str().unwrap(),
                r["reference"].as_str().unwrap(),
            ],
        );
    }
    let projects: serde_json::Value = serde_json::from_str(&codebench(
        &study,
        &["projects", "list", "--format", "json"],
    ))
    .unwrap();
    let projects: Vec<String> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    let base_files = files("usr/lib/python3", 2000, 1500);
    let base: Vec<(&str, usize)> = base_files.iter().map(|(p, s)| (p.as_str(), *s)).collect();
    for i in 0..IMAGES {
        let top_files = files(&format!("opt/app{i}"), 1000, 800 + i);
        let top: Vec<(&str, usize)> = top_files.iter().map(|(p, s)| (p.as_str(), *s)).collect();
        let img = image(vec![layer(&base), layer(&top)], &["PATH=/usr/bin"]);
        reg.push_image(&format!("bench/app{i}"), "1", &img);
        codebench(
            &study,
            &[
                "images",
                "add",
                "--project",
                &projects[i % projects.len()],
                &format!("{}/bench/app{i}:1", reg.addr),
            ],
        );
    }
    let path = |name: &str| dir.path().join(name);

    // Baseline: one process, one run.
    let single = path("single.codebench");
    codebench(&study, &["copy", single.to_str().unwrap()]);
    let t = Instant::now();
    codebench(
        &single,
        &["metrics", "run", "--images", "--concurrency", "2"],
    );
    let base_s = t.elapsed().as_secs_f64();
    let expected = image_metrics(&single);
    assert_eq!(expected.len(), IMAGES);
    println!(
        "shards: {IMAGES} images, 1 shared base layer; single `metrics run`: {base_s:.2} s (baseline)"
    );

    for n in [1usize, 2, 4] {
        let cache = path(&format!("cache-{n}"));
        let t = Instant::now();
        let children: Vec<_> = (1..=n)
            .map(|i| {
                Command::new(env!("CARGO_BIN_EXE_codebench"))
                    .arg("--study")
                    .arg(&study)
                    .args([
                        "metrics",
                        "run",
                        "--images",
                        "--concurrency",
                        "2",
                        "--shard",
                    ])
                    .arg(format!("{i}/{n}"))
                    .arg("--into")
                    .arg(path(&format!("shard-{i}-of-{n}.codebench")))
                    .arg("--layer-cache")
                    .arg(&cache)
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "a shard failed");
        }
        let shards_s = t.elapsed().as_secs_f64();
        let merged = path(&format!("merged-{n}.codebench"));
        codebench(&study, &["copy", merged.to_str().unwrap()]);
        let t = Instant::now();
        for i in 1..=n {
            codebench(
                &merged,
                &[
                    "merge",
                    path(&format!("shard-{i}-of-{n}.codebench"))
                        .to_str()
                        .unwrap(),
                ],
            );
        }
        let merge_s = t.elapsed().as_secs_f64();
        assert_eq!(image_metrics(&merged), expected, "N = {n}: merged differs");
        let total = shards_s + merge_s;
        println!(
            "shards: N = {n}: {n} processes {shards_s:.2} s + merge {merge_s:.2} s = {total:.2} s, {:.2}x the single run; merged result identical",
            base_s / total
        );
    }
}
