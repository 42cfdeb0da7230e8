//! The `codebench` command end to end on real files: real git checkouts, a real SQLite study.

mod common;

use common::*;

#[test]
fn round_trip_init_import_code_export_reimport() {
    let f = fixture();
    let units = ok(&f.study, &["units"]);
    assert!(units.contains("project    acme/alpha"), "{units}");
    assert!(
        units.contains("dockerfile acme/alpha:Dockerfile"),
        "{units}"
    );
    assert!(
        units.contains("dockerfile acme/alpha:tests/Dockerfile"),
        "{units}"
    );
    assert!(
        units.contains("dockerfile acme/beta:docker/serve.Dockerfile"),
        "{units}"
    );
    assert!(!units.contains("node_modules"), "{units}");

    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "mlops-aiops",
            "--memo",
            "serves, \"quoted\"\nand two lines",
        ],
    );
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "bob",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "Application System",
        ],
    );
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha:tests/Dockerfile",
            "--dimension",
            "purpose",
            "--code",
            "software-testing",
            "--code",
            "ci-cd",
        ],
    );
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/beta:docker/serve.Dockerfile",
            "--dimension",
            "purpose",
        ],
    );
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "bob",
            "--unit",
            "acme/beta",
            "--dimension",
            "kind",
            "--code",
            "model",
            "--flag",
        ],
    );
    // Changing a decision keeps the old value in the history.
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "bob",
            "--unit",
            "acme/beta",
            "--dimension",
            "kind",
            "--code",
            "toolkit",
        ],
    );

    let out = f.dir.path().join("export");
    ok(&f.study, &["export", "--out", out.to_str().unwrap()]);
    let csv = std::fs::read_to_string(out.join("codings.csv")).unwrap();
    assert!(
        csv.starts_with(
            "rater,unit,dimension,code,memo,evidence,flagged,coded_at,suggested_by\r\n"
        ),
        "{csv}"
    );
    assert_eq!(
        csv.matches("\r\n").count(),
        1 + 6,
        "one CRLF-ended record per code: {csv}"
    );

    // A new study with the same projects takes the export back and holds the same decisions.
    let second = f.dir.path().join("second.codebench");
    ok(&second, &["init"]);
    let a = f.dir.path().join("co/alpha");
    let b = f.dir.path().join("co/beta");
    ok(
        &second,
        &["import", "local", a.to_str().unwrap(), b.to_str().unwrap()],
    );
    let said = ok(
        &second,
        &[
            "import",
            "codings",
            out.join("codings.csv").to_str().unwrap(),
        ],
    );
    assert!(said.contains("5 new"), "{said}");
    assert!(said.contains("raters added: alice, bob"), "{said}");
    let out2 = f.dir.path().join("export2");
    ok(&second, &["export", "--out", out2.to_str().unwrap()]);
    assert_eq!(
        csv,
        std::fs::read_to_string(out2.join("codings.csv")).unwrap()
    );

    // Importing the same file again changes nothing.
    let said = ok(
        &second,
        &[
            "import",
            "codings",
            out.join("codings.csv").to_str().unwrap(),
        ],
    );
    assert!(said.contains("0 new, 0 changed, 5 unchanged"), "{said}");

    let conn = rusqlite::Connection::open(&f.study).unwrap();
    let (old, new): (String, String) = conn
        .query_row(
            "SELECT old, new FROM history WHERE action = 'decision.set' AND subject = 'bob|acme/beta|kind' AND old IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        old.contains("model") && new.contains("toolkit"),
        "{old} -> {new}"
    );
    assert!(
        conn.execute("DELETE FROM history", []).is_err(),
        "history is append-only"
    );
}

#[test]
fn import_local_pins_commit_and_keeps_old_snapshot() {
    let f = fixture();
    let conn = rusqlite::Connection::open(&f.study).unwrap();
    let commit: String = conn
        .query_row("SELECT commit_sha FROM snapshot s JOIN project p ON p.id = s.project_id WHERE p.full_name = 'acme/alpha'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(commit.len(), 40);
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha:Dockerfile",
            "--dimension",
            "purpose",
            "--code",
            "hosting",
        ],
    );

    // Same checkout again: unchanged.
    let a = f.dir.path().join("co/alpha");
    let said = ok(&f.study, &["import", "local", a.to_str().unwrap()]);
    assert!(said.contains("unchanged"), "{said}");

    // Upstream moves: a new snapshot, the project marked changed, the decision kept.
    std::fs::write(
        a.join("Dockerfile.gpu"),
        "FROM nvidia/cuda:12.2.0-base-ubuntu22.04\n",
    )
    .unwrap();
    git(&a, &["add", "-A"]);
    git(&a, &["commit", "-qm", "gpu"]);
    let said = ok(&f.study, &["import", "local", a.to_str().unwrap()]);
    assert!(said.contains("updated"), "{said}");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM snapshot s JOIN project p ON p.id = s.project_id WHERE p.full_name = 'acme/alpha'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    let status = ok(&f.study, &["status", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(v["projects_changed"], 1);
    assert_eq!(v["dockerfile_units"], 4);
    assert_eq!(v["decisions"], 1);
}

#[test]
fn folder_without_git_is_named_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let p = dir.path().join("plain-proj");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("README"), "plain").unwrap();
    let said = ok(&study, &["import", "local", p.to_str().unwrap()]);
    assert!(said.contains("local/plain-proj"), "{said}");
}

#[test]
fn sample_study_and_codebook_show() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init", "--sample"]);
    let v: serde_json::Value =
        serde_json::from_str(&ok(&study, &["status", "--format", "json"])).unwrap();
    assert_eq!(v["projects"], 12);
    let shown = ok(&study, &["codebook", "show"]);
    assert!(
        shown.contains("kind (Project kind; unit project; one code per decision)"),
        "{shown}"
    );
    assert!(shown.contains("    model-training"), "{shown}");
    let json = ok(&study, &["codebook", "show", "--format", "json"]);
    let book = codebench::codebook::Codebook::from_json(&json, "shown").unwrap();
    assert_eq!(book, codebench::codebook::Codebook::shipped());
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&dir.path().join("s"), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&dir.path().join("s"), &["code", "--rater", "a"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn codebook_exchange_through_refi_qda() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let qdc = dir.path().join("book.qdc");
    ok(
        &study,
        &[
            "codebook",
            "export",
            "--format",
            "qdc",
            qdc.to_str().unwrap(),
        ],
    );
    let xml = std::fs::read_to_string(&qdc).unwrap();
    assert!(
        xml.contains("<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\""),
        "{xml}"
    );
    // A new study made from the .qdc has the same codebook.
    let second = dir.path().join("second.codebench");
    ok(&second, &["init", "--codebook", qdc.to_str().unwrap()]);
    // Dimensions and codes (ids, definitions, notes, hierarchy) survive; REFI-QDA has no place
    // for the codebook's own description.
    let a: serde_json::Value =
        serde_json::from_str(&ok(&study, &["codebook", "show", "--format", "json"])).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&ok(&second, &["codebook", "show", "--format", "json"])).unwrap();
    assert!(
        a["dimensions"] == b["dimensions"],
        "dimensions differ after the .qdc round trip"
    );
    assert_eq!((&a["id"], &a["version"]), (&b["id"], &b["version"]));
    // Replacing a codebook is refused once coding started.
    let f = fixture();
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    let m = fails(&f.study, &["codebook", "import", qdc.to_str().unwrap()]);
    assert!(m.contains("already has 1 decisions"), "{m}");
}

#[test]
fn export_writes_every_table_with_documented_columns() {
    let f = fixture();
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha:Dockerfile",
            "--dimension",
            "purpose",
            "--code",
            "hosting",
        ],
    );
    let out = f.dir.path().join("x");
    ok(&f.study, &["export", "--out", out.to_str().unwrap()]);
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../exports/README.md"
    ))
    .unwrap();
    for table in [
        "codings",
        "projects",
        "dockerfiles",
        "codebook",
        "codings_wide",
        "distributions",
        "history",
    ] {
        let text = std::fs::read_to_string(out.join(format!("{table}.csv"))).unwrap();
        assert!(
            readme.contains(&format!("## {table}.csv")),
            "{table}.csv is not documented"
        );
        let header = text.lines().next().unwrap();
        assert!(!header.is_empty() && text.contains("\r\n"), "{table}");
    }
    let df = std::fs::read_to_string(out.join("dockerfiles.csv")).unwrap();
    let row = df
        .lines()
        .find(|l| l.starts_with("acme/beta:docker/serve.Dockerfile"))
        .unwrap();
    assert!(
        row.contains("nvidia/cuda:12.2.0-runtime-ubuntu22.04") && row.contains("Platform Runtime"),
        "{row}"
    );
    let wide = std::fs::read_to_string(out.join("codings_wide.csv")).unwrap();
    assert!(
        wide.starts_with("unit,dimension,alice,bob\r\nacme/alpha,kind,model,\r\n"),
        "{wide}"
    );
    let dist = std::fs::read_to_string(out.join("distributions.csv")).unwrap();
    assert!(dist.contains("alice,kind,model,,,1,1,1.000000"), "{dist}");
    assert!(
        dist.contains("alice,purpose,hosting,,model,1,1,1.000000"),
        "{dist}"
    );
}

#[test]
fn import_labels_from_a_spreadsheet_column() {
    let f = fixture();
    let csv = f.dir.path().join("labels.csv");
    // A BOM, blank rows, raw labels that resolve through the codebook's aliases.
    std::fs::write(&csv, "\u{feff}repos,manual_topic,other\nacme/alpha,DL framwork,x\n,,\nacme/beta,tutorials/ documentation,y\n\n").unwrap();
    let said = ok(
        &f.study,
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
            csv.to_str().unwrap(),
        ],
    );
    assert!(said.contains("2 decisions recorded"), "{said}");
    let report = ok(
        &f.study,
        &["report", "--rater", "ease2022", "--format", "csv"],
    );
    assert!(
        report.contains("kinds,DL Framework,projects,1\r\n"),
        "{report}"
    );
    assert!(
        report.contains("kinds,Documentation / Tutorials,projects,1\r\n"),
        "{report}"
    );
    // The figures: SVG and PNG per figure; several raters need --rater.
    let figs = f.dir.path().join("figures");
    let m = fails(&f.study, &["report", "--figures", figs.to_str().unwrap()]);
    assert!(
        m.contains("consensus (none reconciled yet) or one of alice, bob, ease2022"),
        "{m}"
    );
    let out = run(
        &f.study,
        &[
            "report",
            "--rater",
            "ease2022",
            "--figures",
            figs.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("7 figures written"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kinds = std::fs::read_to_string(figs.join("kinds.svg")).unwrap();
    assert!(
        kinds.contains("Project kinds") && kinds.contains("DL Framework"),
        "{kinds}"
    );
    assert!(std::fs::read(figs.join("kinds.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    assert_eq!(std::fs::read_dir(&figs).unwrap().count(), 14);
    // A label that is no code names its line and column, and nothing is recorded.
    std::fs::write(
        &csv,
        "repos,manual_topic\nacme/alpha,model\nacme/beta,spaceship\n",
    )
    .unwrap();
    let before = dump(&f.study);
    let m = fails(
        &f.study,
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
            csv.to_str().unwrap(),
        ],
    );
    assert!(
        m.contains("labels.csv:3: manual_topic") && m.contains("spaceship"),
        "{m}"
    );
    assert_eq!(before, dump(&f.study));
}

#[test]
fn open_coding_from_the_cli() {
    let f = fixture();
    let u = "acme/alpha:Dockerfile";
    ok(
        &f.study,
        &[
            "codebook",
            "propose",
            "--dimension",
            "purpose",
            "--name",
            "GPU Benchmarking",
            "--definition",
            "Measures GPU speed",
            "--by",
            "alice",
        ],
    );
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "purpose",
            "--code",
            "gpu-benchmarking",
            "--code",
            "hosting",
        ],
    );
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "bob",
            "--unit",
            u,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
        ],
    );
    let shown = ok(&f.study, &["codebook", "show"]);
    assert!(
        shown.contains("gpu-benchmarking") && shown.contains("[proposed]  (1 decision)"),
        "{shown}"
    );
    assert!(shown.contains("Hosting  (2 decisions)"), "{shown}");
    let said = ok(
        &f.study,
        &[
            "codebook",
            "merge",
            "--dimension",
            "purpose",
            "hosting",
            "gpu-benchmarking",
            "--by",
            "alice",
        ],
    );
    assert!(said.contains("2 decisions remapped"), "{said}");
    let out = f.dir.path().join("x");
    ok(&f.study, &["export", "--out", out.to_str().unwrap()]);
    let codings = std::fs::read_to_string(out.join("codings.csv")).unwrap();
    assert_eq!(
        codings.matches(",gpu-benchmarking,").count(),
        2,
        "{codings}"
    );
    ok(
        &f.study,
        &[
            "codebook",
            "retire",
            "--dimension",
            "purpose",
            "gpu-benchmarking",
            "--by",
            "bob",
        ],
    );
    let m = fails(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/beta:docker/serve.Dockerfile",
            "--dimension",
            "purpose",
            "--code",
            "gpu-benchmarking",
        ],
    );
    assert!(m.contains("retired"), "{m}");
    let said = ok(
        &f.study,
        &[
            "codebook",
            "split",
            "--dimension",
            "purpose",
            "security",
            "Secrets=Handles secrets",
            "Hardening",
            "--by",
            "alice",
        ],
    );
    assert!(
        said.contains("split security into secrets, hardening"),
        "{said}"
    );
}

#[test]
fn evidence_is_attached_listed_and_exported() {
    let f = fixture();
    let u = "acme/alpha:tests/Dockerfile";
    // No decision yet: evidence needs one.
    let m = fails(
        &f.study,
        &[
            "evidence",
            "add",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "purpose",
            "--code",
            "software-testing",
            "--file",
            "tests/Dockerfile",
            "--quote",
            "RUN pytest",
        ],
    );
    assert!(m.contains("no decision"), "{m}");
    ok(
        &f.study,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "purpose",
            "--code",
            "software-testing",
        ],
    );
    let said = ok(
        &f.study,
        &[
            "evidence",
            "add",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "purpose",
            "--code",
            "software-testing",
            "--file",
            "tests/Dockerfile",
            "--quote",
            "RUN pytest",
            "--lines",
            "2",
        ],
    );
    assert!(
        said.contains("tests/Dockerfile:2: \"RUN pytest\""),
        "{said}"
    );
    let m = fails(
        &f.study,
        &[
            "evidence",
            "add",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--file",
            "tests/Dockerfile",
            "--quote",
            "x",
        ],
    );
    assert!(m.contains("does not have code 'hosting'"), "{m}");
    let m = fails(
        &f.study,
        &[
            "evidence",
            "add",
            "--rater",
            "alice",
            "--unit",
            u,
            "--dimension",
            "purpose",
            "--code",
            "software-testing",
            "--file",
            "etc/passwd",
            "--quote",
            "x",
        ],
    );
    assert!(m.contains("not a README or Dockerfile"), "{m}");
    let out = f.dir.path().join("x");
    ok(&f.study, &["export", "--out", out.to_str().unwrap()]);
    let csv = std::fs::read_to_string(out.join("codings.csv")).unwrap();
    assert!(
        csv.contains(
            "software-testing,,\"[{\"\"file\"\":\"\"tests/Dockerfile\"\",\"\"line_end\"\":2,\"\"line_start\"\":2,\"\"quote\"\":\"\"RUN pytest\"\"}]\",false"
        ),
        "{csv}"
    );
    // Undoing the decision takes its evidence with it; the history keeps both.
    let list = ok(&f.study, &["evidence", "list"]);
    assert!(list.contains("RUN pytest"), "{list}");
}

#[test]
fn a_dockerfile_removed_upstream_still_shows_its_own_text() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init"]);
    let co = dir.path().join("co/gamma");
    checkout(
        &co,
        "https://github.com/acme/gamma.git",
        &[
            ("README.md", b"# gamma\n"),
            ("Dockerfile", b"FROM python:3.11\n"),
            (
                "docker/Dockerfile.gpu",
                b"FROM nvidia/cuda:12.2.0-runtime-ubuntu22.04\n",
            ),
        ],
    );
    ok(&study, &["import", "local", co.to_str().unwrap()]);
    std::fs::remove_file(co.join("docker/Dockerfile.gpu")).unwrap();
    common::git(&co, &["add", "-A"]);
    common::git(&co, &["commit", "-qm", "drop the gpu image"]);
    ok(&study, &["import", "local", co.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&ok(
        &study,
        &["projects", "show", "acme/gamma", "--format", "json"],
    ))
    .unwrap();
    let files = v["dockerfiles"].as_array().unwrap();
    let gpu = files
        .iter()
        .find(|f| f["path"] == "docker/Dockerfile.gpu")
        .expect("the removed Dockerfile is still shown for its unit");
    assert_eq!(gpu["removed_upstream"], true);
    assert!(gpu["text"].as_str().unwrap().contains("nvidia/cuda"));
    let kept = files.iter().find(|f| f["path"] == "Dockerfile").unwrap();
    assert_eq!(kept["removed_upstream"], false);
}
