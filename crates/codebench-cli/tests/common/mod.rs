//! Helpers shared by the CLI tests: run the real `codebench` binary, make real git checkouts,
//! and dump a study's tables to compare states.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `codebench` binary built by cargo for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_codebench"))
}

/// Runs `codebench --study STUDY ARGS...`.
pub fn run(study: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--study")
        .arg(study)
        .args(args)
        .output()
        .expect("codebench runs")
}

/// Runs and asserts success; returns stdout.
pub fn ok(study: &Path, args: &[&str]) -> String {
    let out = run(study, args);
    assert!(
        out.status.success(),
        "codebench {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs and asserts exit code 1 with exactly one line on stderr; returns that line.
pub fn fails(study: &Path, args: &[&str]) -> String {
    let out = run(study, args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "codebench {args:?} should fail with 1; stderr: {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one clear message, got: {err}"
    );
    assert!(err.starts_with("codebench: "), "{err}");
    err.trim_end().to_string()
}

/// Runs `git` in `dir`.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes a real git checkout at `dir` with the given files, an origin remote and one commit.
pub fn checkout(dir: &Path, origin: &str, files: &[(&str, &[u8])]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    git(dir, &["init", "-q"]);
    git(dir, &["remote", "add", "origin", origin]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "init"]);
    let out = Command::new("git")
        .current_dir(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Every row of every table of a study, as text, for before/after comparisons.
pub fn dump(study: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(study, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut out = String::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            out.push_str(&cells.join("|"));
            out.push('\n');
        }
    }
    out
}

/// A study with the shipped codebook and two real checkouts imported, and raters alice and bob.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub study: PathBuf,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let a = dir.path().join("co/alpha");
    checkout(
        &a,
        "https://github.com/acme/alpha.git",
        &[
            ("README.md", b"# Alpha\nServes a model.\n"),
            ("Dockerfile", b"FROM python:3.11\nRUN pip install alpha\n"),
            ("tests/Dockerfile", b"FROM python:3.11\nRUN pytest\n"),
            ("node_modules/x/Dockerfile", b"FROM node\n"),
        ],
    );
    let b = dir.path().join("co/beta");
    checkout(
        &b,
        "git@github.com:acme/beta.git",
        &[
            ("readme.rst", b"Beta\n====\n"),
            (
                "docker/serve.Dockerfile",
                b"FROM nvidia/cuda:12.2.0-runtime-ubuntu22.04\n",
            ),
        ],
    );
    ok(
        &study,
        &["import", "local", a.to_str().unwrap(), b.to_str().unwrap()],
    );
    ok(&study, &["raters", "add", "alice"]);
    ok(&study, &["raters", "add", "bob"]);
    Fixture { dir, study }
}
