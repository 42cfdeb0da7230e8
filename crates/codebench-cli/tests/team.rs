//! Team work through the real `codebench` binary: hand-out copies made while the study is open
//! elsewhere, merges that bring evidence back and settle conflicts, damaged copies and study
//! files refused without a panic, and a closed pipe that ends a command quietly.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{dump, fails, ok, run};

/// The sample study with alice and bob and a blind round over two project kinds.
fn sample(dir: &std::path::Path) -> std::path::PathBuf {
    let study = dir.join("lead.codebench");
    ok(&study, &["init", "--sample"]);
    ok(&study, &["raters", "add", "alice"]);
    ok(&study, &["raters", "add", "bob"]);
    ok(
        &study,
        &[
            "round",
            "create",
            "r50",
            "--size",
            "2",
            "--dimension",
            "kind",
            "--seed",
            "7",
        ],
    );
    ok(&study, &["round", "assign", "r50", "--raters", "alice,bob"]);
    study
}

fn round_units(study: &std::path::Path) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(&ok(study, &["round", "show", "r50", "--format", "json"])).unwrap();
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_copy_made_while_the_study_is_open_holds_every_acknowledged_decision() {
    let dir = tempfile::tempdir().unwrap();
    let study = sample(dir.path());
    let units = round_units(&study);
    // Another process holds the study open (the app would): the writes below stay in the WAL.
    let holder = codebench::Study::open(&study).unwrap();
    for u in &units {
        ok(
            &study,
            &[
                "code",
                "--rater",
                "alice",
                "--unit",
                u,
                "--dimension",
                "kind",
                "--code",
                "model",
            ],
        );
    }
    ok(
        &study,
        &[
            "code",
            "--rater",
            "bob",
            "--unit",
            &units[0],
            "--dimension",
            "kind",
            "--code",
            "toolkit",
        ],
    );
    // What `cp` would have handed out: the main file alone misses the decisions.
    let copied = dir.path().join("cp.codebench");
    std::fs::copy(&study, &copied).unwrap();
    let cp_decisions = codebench::Study::open(&copied)
        .map(|s| s.status().unwrap().decisions)
        .unwrap_or(0);
    assert!(cp_decisions < 3, "the plain copy had {cp_decisions}");
    // `codebench copy --for bob`: every decision bob may see, none of alice's blind ones.
    let bob = dir.path().join("bob.codebench");
    let said = ok(
        &study,
        &[
            "copy",
            bob.to_str().unwrap(),
            "--for",
            "bob",
            "--round",
            "r50",
        ],
    );
    assert!(
        said.contains("2 of other raters' blind decisions left out"),
        "{said}"
    );
    let s = codebench::Study::open(&bob).unwrap();
    let d = s.decisions(None).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].rater, "bob");
    assert!(
        !dump(&bob).contains("\"alice|"),
        "no history row of alice's blind decisions"
    );
    // A copy for the lead holds all three.
    let all = dir.path().join("all.codebench");
    ok(&study, &["copy", all.to_str().unwrap()]);
    assert_eq!(
        codebench::Study::open(&all)
            .unwrap()
            .status()
            .unwrap()
            .decisions,
        3
    );
    drop(holder);
}

#[test]
fn bobs_copy_merges_back_with_his_evidence_and_memos() {
    let dir = tempfile::tempdir().unwrap();
    let study = sample(dir.path());
    let bob = dir.path().join("bob.codebench");
    ok(&study, &["copy", bob.to_str().unwrap(), "--for", "bob"]);
    let unit = "lumen-labs/tinyserve:Dockerfile";
    ok(
        &bob,
        &[
            "code",
            "--rater",
            "bob",
            "--unit",
            unit,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--memo",
            "ports",
        ],
    );
    ok(
        &bob,
        &[
            "evidence",
            "add",
            "--rater",
            "bob",
            "--unit",
            unit,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--file",
            "Dockerfile",
            "--quote",
            "EXPOSE 8080",
            "--lines",
            "3",
        ],
    );
    let said = ok(&study, &["merge", bob.to_str().unwrap()]);
    assert!(
        said.contains("1 decisions (0 already here, 0 replaced), 1 evidence"),
        "{said}"
    );
    let ev = ok(&study, &["evidence", "list", "--rater", "bob"]);
    assert!(ev.contains("EXPOSE 8080"), "{ev}");
    let d = ok(&study, &["decisions", "--rater", "bob", "--format", "json"]);
    assert!(d.contains("\"memo\": \"ports\""), "{d}");
    // Idempotent.
    assert!(ok(&study, &["merge", bob.to_str().unwrap()]).contains("nothing new"));
}

#[test]
fn conflicts_stop_the_merge_until_a_rule_or_a_choice_settles_them() {
    let dir = tempfile::tempdir().unwrap();
    let study = sample(dir.path());
    let other = dir.path().join("other.codebench");
    ok(&study, &["copy", other.to_str().unwrap()]);
    let u = "lumen-labs/tinyserve";
    ok(
        &study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    ok(
        &other,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "kind",
            "--code",
            "toolkit",
        ],
    );
    ok(
        &other,
        &[
            "code",
            "--rater",
            "bob",
            "--unit",
            "basalt-ai/autotune",
            "--dimension",
            "kind",
            "--code",
            "toolkit",
        ],
    );
    let before = dump(&study);
    let out = run(&study, &["merge", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("conflict decision:alice|{u}|kind")),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was merged"));
    assert_eq!(dump(&study), before, "nothing written");
    ok(
        &study,
        &[
            "merge",
            other.to_str().unwrap(),
            "--take",
            &format!("decision:alice|{u}|kind=theirs"),
        ],
    );
    let d = ok(
        &study,
        &["decisions", "--rater", "alice", "--format", "json"],
    );
    assert!(d.contains("toolkit"), "{d}");
    assert!(ok(&study, &["decisions", "--rater", "bob"]).contains("basalt-ai/autotune"));
}

#[test]
fn a_copy_with_a_unit_whose_project_is_missing_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let study = sample(dir.path());
    let bad = dir.path().join("bad.codebench");
    ok(&study, &["copy", bad.to_str().unwrap()]);
    {
        let c = rusqlite::Connection::open(&bad).unwrap();
        c.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO unit (project_id, kind, path, name) VALUES (4242, 'project', NULL, 'ghost/repo');",
        )
        .unwrap();
    }
    let before = dump(&study);
    let m = fails(&study, &["merge", bad.to_str().unwrap()]);
    assert!(
        m.contains("damaged") && m.contains("nothing was merged"),
        "{m}"
    );
    assert_eq!(dump(&study), before);
}

#[test]
fn a_study_with_a_negative_schema_version_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    {
        let c = rusqlite::Connection::open(&study).unwrap();
        c.pragma_update(None, "user_version", -1).unwrap();
        c.pragma_update(None, "journal_mode", "delete").unwrap();
    }
    let before = std::fs::read(&study).unwrap();
    for args in [&["status"][..], &["units"], &["raters", "add", "x"]] {
        let m = fails(&study, args);
        assert!(m.contains("schema version -1"), "{m}");
    }
    assert_eq!(std::fs::read(&study).unwrap(), before);
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<std::path::PathBuf> = (0..200)
        .map(|i| {
            let p = dir.path().join(format!("Dockerfile.{i}"));
            std::fs::write(&p, format!("FROM python:3.{i}\nRUN pip install x\n")).unwrap();
            p
        })
        .collect();
    for format in ["json", "text"] {
        let mut child = Command::new(common::bin())
            .args(["analyze", "dockerfile", "--format", format])
            .args(&files)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `| head -c1` does.
        let mut out = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        out.read_exact(&mut one).unwrap();
        drop(out);
        let status = child.wait().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "{format}: {status:?} {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Whether a spreadsheet would run `cell` as a formula.
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

#[test]
fn exports_neutralise_formulas_and_an_import_gets_the_exact_text_back() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init", "--sample"]);
    ok(&study, &["raters", "add", "alice"]);
    let unit = "hostile-demo/readme-payloads:Dockerfile";
    let memo = "=HYPERLINK(\"https://example.invalid\",\"x\")\n+1 and '-2";
    ok(
        &study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            unit,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--memo",
            memo,
        ],
    );
    ok(
        &study,
        &[
            "evidence",
            "add",
            "--rater",
            "alice",
            "--unit",
            unit,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--file",
            "Dockerfile",
            "--quote",
            "@SUM(1+1)",
            "--lines",
            "7",
        ],
    );
    let out = dir.path().join("export");
    ok(&study, &["export", "--out", out.to_str().unwrap()]);
    let mut cells = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let mut rdr = csv::Reader::from_path(&path).unwrap();
        for rec in rdr.records() {
            for cell in rec.unwrap().iter() {
                cells += 1;
                assert!(
                    !formula(cell),
                    "{}: '{cell}' would run as a formula",
                    path.display()
                );
            }
        }
    }
    assert!(cells > 1000);
    let dockerfiles = std::fs::read_to_string(out.join("dockerfiles.csv")).unwrap();
    assert!(
        dockerfiles.contains("'=HYPERLINK(\"\"https://example.invalid/x\"\",\"\"click\"\")"),
        "the exact text is kept behind the quote"
    );
    // --raw writes them as they are.
    let raw = dir.path().join("raw");
    ok(&study, &["export", "--raw", "--out", raw.to_str().unwrap()]);
    assert!(std::fs::read_to_string(raw.join("dockerfiles.csv"))
        .unwrap()
        .contains(",\"=HYPERLINK("));
    // Import into a new study: the same memo and evidence, exactly.
    let again = dir.path().join("again.codebench");
    ok(&again, &["init", "--sample"]);
    ok(
        &again,
        &[
            "import",
            "codings",
            out.join("codings.csv").to_str().unwrap(),
        ],
    );
    let a: serde_json::Value =
        serde_json::from_str(&ok(&again, &["decisions", "--format", "json"])).unwrap();
    assert_eq!(a[0]["memo"], memo);
    let ev: serde_json::Value =
        serde_json::from_str(&ok(&again, &["evidence", "list", "--format", "json"])).unwrap();
    assert_eq!(ev[0]["quote"], "@SUM(1+1)");
    assert_eq!(ev[0]["line_start"], 7);
    // The round trip is exact: the second export is the first.
    let out2 = dir.path().join("export2");
    ok(&again, &["export", "--out", out2.to_str().unwrap()]);
    let codings = |d: &std::path::Path| std::fs::read_to_string(d.join("codings.csv")).unwrap();
    assert_eq!(codings(&out), codings(&out2));
}

#[test]
fn an_import_keeps_what_the_file_does_not_give_and_refuses_rows_that_disagree() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init", "--sample"]);
    ok(&study, &["raters", "add", "alice"]);
    let unit = "lumen-labs/tinyserve:Dockerfile";
    ok(
        &study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            unit,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--memo",
            "keep me",
        ],
    );
    ok(
        &study,
        &[
            "evidence",
            "add",
            "--rater",
            "alice",
            "--unit",
            unit,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--file",
            "Dockerfile",
            "--quote",
            "EXPOSE 8080",
        ],
    );
    // No memo or evidence column: both stay.
    let f = dir.path().join("codes.csv");
    std::fs::write(
        &f,
        format!(
            "rater,unit,dimension,code\nalice,{unit},purpose,hosting\nalice,{unit},purpose,ci-cd\n"
        ),
    )
    .unwrap();
    ok(&study, &["import", "codings", f.to_str().unwrap()]);
    let d: serde_json::Value =
        serde_json::from_str(&ok(&study, &["decisions", "--format", "json"])).unwrap();
    assert_eq!(d[0]["memo"], "keep me");
    assert_eq!(d[0]["codes"], serde_json::json!(["hosting", "ci-cd"]));
    assert!(ok(&study, &["evidence", "list"]).contains("EXPOSE 8080"));
    // Rows of one decision that disagree are an error naming both lines; nothing changes.
    let before = dump(&study);
    std::fs::write(
        &f,
        format!("rater,unit,dimension,code,flagged\nalice,{unit},purpose,hosting,true\nalice,{unit},purpose,ci-cd,false\n"),
    )
    .unwrap();
    let m = fails(&study, &["import", "codings", f.to_str().unwrap()]);
    assert!(m.contains(":3: flagged:") && m.contains("line 2"), "{m}");
    assert_eq!(dump(&study), before);
}

#[test]
fn a_copy_made_by_a_rater_without_for_holds_only_what_they_may_see() {
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
    let round: serde_json::Value =
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
    let copy = dir.path().join("alice.codebench");
    let said = ok(&study, &["--as", "alice", "copy", copy.to_str().unwrap()]);
    assert!(said.contains("alice"), "{said}");
    let bobs: i64 = rusqlite::Connection::open(&copy)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM decision d JOIN rater r ON r.id = d.rater_id WHERE r.name = 'bob'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bobs, 0, "alice's copy holds bob's blind decision");
}
