//! Crash safety: SIGKILL in the middle of work loses no decision whose call returned, leaves
//! no half-done import, and the study passes `PRAGMA integrity_check`.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn integrity_ok(study: &std::path::Path) {
    let conn = rusqlite::Connection::open(study).unwrap();
    let r: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(r, "ok");
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0, "foreign keys hold");
}

fn decision_count(study: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(study).unwrap();
    conn.query_row("SELECT count(*) FROM decision", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn sigkill_during_a_long_run_of_code_calls() {
    let f = fixture();
    for i in 0..31 {
        ok(&f.study, &["raters", "add", &format!("r{i}")]);
    }
    // A loop of `code` calls; each returned call is logged after it returns.
    let log = f.dir.path().join("returned.log");
    let script = format!(
        "i=0; while [ $i -lt 100000 ]; do r=r$((i % 31)); u=$([ $((i % 2)) = 0 ] && echo acme/alpha || echo acme/beta); \
         k=$([ $((i % 3)) = 0 ] && echo model || echo toolkit); \
         '{bin}' --study '{study}' code --rater $r --unit $u --dimension kind --code $k --memo \"call $i\" >/dev/null || exit 9; \
         echo \"$r $u $k call $i\" >> '{log}'; i=$((i+1)); done",
        bin = bin().display(),
        study = f.study.display(),
        log = log.display()
    );
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .process_group(0)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Let it make a few dozen calls, then kill the loop and whatever call is under way.
    while std::fs::read_to_string(&log)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 40
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the loop made no progress"
        );
        assert!(child.try_wait().unwrap().is_none(), "the loop ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pgid = child.id() as i32;
    let killed = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pgid}")])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.wait();

    integrity_ok(&f.study);
    let conn = rusqlite::Connection::open(&f.study).unwrap();
    // The last returned call of each (rater, unit) is what the study holds, or a later call
    // that was killed after its commit but before it was logged.
    let returned = std::fs::read_to_string(&log).unwrap();
    let mut last: std::collections::HashMap<(String, String), (String, u64)> = Default::default();
    for line in returned.lines() {
        let p: Vec<&str> = line.split(' ').collect();
        last.insert(
            (p[0].into(), p[1].into()),
            (p[2].into(), p[4].parse().unwrap()),
        );
    }
    assert!(last.len() >= 30);
    for ((rater, unit), (_code, call)) in &last {
        let memo: String = conn
            .query_row(
                "SELECT d.memo FROM decision d JOIN rater r ON r.id = d.rater_id JOIN unit u ON u.id = d.unit_id
                 WHERE r.name = ?1 AND u.name = ?2 AND d.dimension = 'kind'",
                [rater, unit],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("decision of {rater} on {unit} (call {call}) lost: {e}"));
        let n: u64 = memo.trim_start_matches("call ").parse().unwrap();
        assert!(
            n >= *call,
            "{rater} {unit}: the study holds call {n}, older than returned call {call}"
        );
    }
    // Every history row belongs to a complete change: decisions and their history agree.
    let sets: i64 = conn
        .query_row(
            "SELECT count(*) FROM history WHERE action = 'decision.set'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sets >= returned.lines().count() as i64);
}

#[test]
fn sigkill_during_a_large_codings_import_leaves_nothing() {
    let f = fixture();
    let csv = f.dir.path().join("big.csv");
    let mut text = String::from("rater,unit,dimension,code,memo\n");
    for i in 0..40_000 {
        text.push_str(&format!("rater{i},acme/alpha,kind,model,memo {i}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let before = decision_count(&f.study);
    let mut child = Command::new(bin())
        .arg("--study")
        .arg(&f.study)
        .args(["import", "codings", csv.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the import holds the write lock (its WAL grows), then kill it.
    let wal = f.study.with_file_name("s.codebench-wal");
    let start = Instant::now();
    let base = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    loop {
        let grown = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > base + 512 * 1024;
        if grown || start.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import finished before it could be killed; make the file larger"
    );
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    integrity_ok(&f.study);
    assert_eq!(
        decision_count(&f.study),
        before,
        "a killed import leaves nothing"
    );
    let conn = rusqlite::Connection::open(&f.study).unwrap();
    let raters: i64 = conn
        .query_row("SELECT count(*) FROM rater", [], |r| r.get(0))
        .unwrap();
    assert_eq!(raters, 2);
    drop(conn);
    // And it can be run again to completion.
    let said = ok(&f.study, &["import", "codings", csv.to_str().unwrap()]);
    assert!(said.contains("40000 new"), "{said}");
}
