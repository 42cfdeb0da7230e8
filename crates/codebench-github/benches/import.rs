//! Import throughput against the mock server with 50 ms added to every answer: 400 generated
//! repositories at concurrency 4 and 8, compared with the bound
//! 1.2 × (requests × 50 ms / concurrency) — i.e. the client keeps `concurrency` requests in
//! flight nearly all the time.
//!
//! Run: `cargo bench -p codebench-github --bench import` (add `-- --repos N` for another count).

use std::time::{Duration, Instant};

use codebench_github::mock::{Fixture, MockConfig, MockGitHub};
use codebench_github::{FileRole, GitHub, GitHubOptions, ListEntry};

const DELAY: Duration = Duration::from_millis(50);

/// The core's selection rules, as far as the generated fixture needs them.
fn select(path: &str) -> Option<FileRole> {
    if path
        .split('/')
        .any(|d| d == "node_modules" || d == "vendor" || d == ".git")
    {
        return None;
    }
    let name = path.rsplit('/').next()?.to_ascii_lowercase();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    if name == "dockerfile"
        || name.starts_with("dockerfile.")
        || name.starts_with("dockerfile-")
        || name.ends_with(".dockerfile")
    {
        Some(FileRole::Dockerfile)
    } else if yaml && (name.starts_with("docker-compose") || name.starts_with("compose.")) {
        Some(FileRole::Compose)
    } else if yaml && path.starts_with(".github/workflows/") {
        Some(FileRole::Workflow)
    } else {
        None
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let repos: usize = args
        .iter()
        .position(|a| a == "--repos")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let entries: Vec<ListEntry> = (0..repos)
        .map(|i| ListEntry {
            full_name: format!("bench-org{}/project-{i}", i % 37),
            image: None,
            line: i as u64 + 1,
        })
        .collect();
    let names: Vec<String> = entries.iter().map(|e| e.full_name.clone()).collect();
    let fixture = Fixture::generated(&entries);

    println!(
        "import bench: {repos} repositories, {} ms added to every answer",
        DELAY.as_millis()
    );
    println!(
        "{:>11} {:>9} {:>10} {:>10} {:>8}",
        "concurrency", "requests", "wall", "bound", "wall/bound"
    );
    let mut worst: f64 = 0.0;
    for concurrency in [4usize, 8] {
        let mock = MockGitHub::start(
            fixture.clone(),
            MockConfig {
                delay: DELAY,
                ..MockConfig::default()
            },
        )
        .await
        .expect("start mock server");
        let gh = GitHub::new(GitHubOptions {
            api_url: Some(mock.url()),
            concurrency,
            ..GitHubOptions::default()
        })
        .expect("client");
        let start = Instant::now();
        let mut fetched = 0usize;
        let summary = gh
            .fetch_many(&names, &select, &|_| {}, |o| {
                if matches!(o, codebench_github::RepoOutcome::Fetched(_)) {
                    fetched += 1;
                }
            })
            .await;
        let wall = start.elapsed();
        assert_eq!(fetched, repos, "{summary}");
        let ideal = DELAY.as_secs_f64() * summary.requests as f64 / concurrency as f64;
        let bound = 1.2 * ideal;
        let ratio = wall.as_secs_f64() / bound;
        worst = worst.max(ratio);
        println!(
            "{concurrency:>11} {:>9} {:>9.2}s {:>9.2}s {:>8.3}   (ideal {:.2}s, wall/ideal {:.3})",
            summary.requests,
            wall.as_secs_f64(),
            bound,
            ratio,
            ideal,
            wall.as_secs_f64() / ideal,
        );
    }
    if worst <= 1.0 {
        println!("PASS: every run within 1.2 × (requests × 50 ms / concurrency)");
    } else {
        println!("FAIL: a run exceeded 1.2 × (requests × 50 ms / concurrency)");
        std::process::exit(1);
    }
}
