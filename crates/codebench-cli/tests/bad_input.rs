//! Bad input: each case gives one clear message naming what is wrong, exits 1, and changes
//! nothing in the study.

mod common;

use common::*;

/// Runs a failing command and checks the study is exactly as before; returns the message.
fn refused(f: &Fixture, args: &[&str]) -> String {
    let before = dump(&f.study);
    let msg = fails(&f.study, args);
    assert_eq!(before, dump(&f.study), "{args:?} changed the study");
    msg
}

#[test]
fn malformed_codebook_json() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book.json");
    std::fs::write(
        &book,
        "{\n \"id\": \"x\",\n \"name\": \"X\"\n \"version\": 1 }",
    )
    .unwrap();
    let study = dir.path().join("s.codebench");
    let msg = fails(&study, &["init", "--codebook", book.to_str().unwrap()]);
    assert!(msg.contains("book.json") && msg.contains("line 4"), "{msg}");
    assert!(!study.exists(), "no study file is left behind");

    let shipped: serde_json::Value =
        serde_json::from_str(codebench::codebook::SHIPPED_ML_DOCKER_2022).unwrap();
    let mut dup = shipped.clone();
    dup["dimensions"][1]["codes"][3]["id"] = dup["dimensions"][1]["codes"][2]["id"].clone();
    std::fs::write(&book, dup.to_string()).unwrap();
    let msg = fails(&study, &["init", "--codebook", book.to_str().unwrap()]);
    assert!(
        msg.contains("appears twice in dimension 'purpose'"),
        "{msg}"
    );
}

#[test]
fn unknown_code_dimension_rater_unit() {
    let f = fixture();
    let m = refused(
        &f,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "spaceship",
        ],
    );
    assert!(
        m.contains("unknown code 'spaceship' in dimension 'kind'"),
        "{m}"
    );
    let m = refused(
        &f,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha",
            "--dimension",
            "colour",
            "--code",
            "model",
        ],
    );
    assert!(
        m.contains("unknown dimension 'colour'") && m.contains("kind, purpose"),
        "{m}"
    );
    let m = refused(
        &f,
        &[
            "code",
            "--rater",
            "carol",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    assert!(m.contains("unknown rater 'carol'"), "{m}");
    let m = refused(
        &f,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/gamma",
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    assert!(m.contains("unknown unit 'acme/gamma'"), "{m}");
}

#[test]
fn kind_with_two_codes_and_purpose_on_project() {
    let f = fixture();
    let m = refused(
        &f,
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
            "--code",
            "toolkit",
        ],
    );
    assert!(m.contains("exactly one code"), "{m}");
    let m = refused(
        &f,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha",
            "--dimension",
            "purpose",
            "--code",
            "hosting",
        ],
    );
    assert!(
        m.contains("decided on dockerfile units") && m.contains("'acme/alpha' is a project unit"),
        "{m}"
    );
    let m = refused(
        &f,
        &[
            "code",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha:Dockerfile",
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    assert!(m.contains("decided on project units"), "{m}");
}

#[test]
fn codings_csv_with_a_bad_row_in_the_middle() {
    let f = fixture();
    let csv = f.dir.path().join("codings.csv");
    let mut text = String::from("rater,unit,dimension,code\n");
    for i in 0..50 {
        let r = if i % 2 == 0 { "alice" } else { "bob" };
        text.push_str(&format!("{r}-{i},acme/alpha,kind,model\n"));
    }
    text.push_str("alice,acme/alpha:Dockerfile,purpose,teleportation\n"); // line 52
    for i in 0..50 {
        text.push_str(&format!("carol-{i},acme/beta,kind,toolkit\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let m = refused(&f, &["import", "codings", csv.to_str().unwrap()]);
    assert!(
        m.contains("codings.csv:52: code:")
            && m.contains("teleportation")
            && m.contains("nothing was imported"),
        "{m}"
    );

    // A row with the wrong number of fields.
    std::fs::write(
        &csv,
        "rater,unit,dimension,code\nalice,acme/alpha,kind,model\nalice,acme/beta,kind\n",
    )
    .unwrap();
    let m = refused(&f, &["import", "codings", csv.to_str().unwrap()]);
    assert!(m.contains("codings.csv:3"), "{m}");

    // An unknown column.
    std::fs::write(&csv, "rater,unit,dimension,code,mood\n").unwrap();
    let m = refused(&f, &["import", "codings", csv.to_str().unwrap()]);
    assert!(m.contains("codings.csv:1: mood: unknown column"), "{m}");

    // Two codes for a one-code dimension, spread over rows.
    std::fs::write(
        &csv,
        "rater,unit,dimension,code\nalice,acme/alpha,kind,model\nalice,acme/alpha,kind,toolkit\n",
    )
    .unwrap();
    let m = refused(&f, &["import", "codings", csv.to_str().unwrap()]);
    assert!(
        m.contains("codings.csv:2") && m.contains("exactly one code"),
        "{m}"
    );
}

#[test]
fn unreadable_readmes() {
    let f = fixture();
    let latin1 = f.dir.path().join("co/latin1");
    checkout(
        &latin1,
        "https://github.com/acme/latin1",
        &[
            ("README.md", b"caf\xe9 cr\xe8me\n"),
            ("Dockerfile", b"FROM alpine\n"),
        ],
    );
    let m = refused(&f, &["import", "local", latin1.to_str().unwrap()]);
    assert!(m.contains("README.md") && m.contains("not UTF-8"), "{m}");

    let huge = f.dir.path().join("co/huge");
    let big = vec![b'a'; 50 * 1024 * 1024];
    checkout(
        &huge,
        "https://github.com/acme/huge",
        &[("README.md", &big), ("Dockerfile", b"FROM alpine\n")],
    );
    let m = refused(&f, &["import", "local", huge.to_str().unwrap()]);
    assert!(
        m.contains("README.md") && m.contains("50.0 MiB, over the 1 MiB limit"),
        "{m}"
    );

    // Leniently, they are recorded without their text and the rest is imported.
    let said = ok(
        &f.study,
        &[
            "import",
            "local",
            "--lenient",
            huge.to_str().unwrap(),
            latin1.to_str().unwrap(),
        ],
    );
    assert!(
        said.contains("recorded without text: README.md: 50.0 MiB"),
        "{said}"
    );
    assert!(
        said.contains("recorded without text: README.md: not UTF-8"),
        "{said}"
    );
}

#[test]
fn a_path_that_is_not_a_checkout() {
    let f = fixture();
    let m = refused(&f, &["import", "local", "/nonexistent/folder"]);
    assert!(m.contains("/nonexistent/folder"), "{m}");
    let empty = f.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let m = refused(&f, &["import", "local", empty.to_str().unwrap()]);
    assert!(m.contains("not a repository checkout"), "{m}");
    let file = f.dir.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let m = refused(&f, &["import", "local", file.to_str().unwrap()]);
    assert!(m.contains("not a folder"), "{m}");
    // One bad folder among good ones imports none of them.
    let good = f.dir.path().join("co/gamma");
    checkout(
        &good,
        "https://github.com/acme/gamma",
        &[("README.md", b"# g\n")],
    );
    refused(
        &f,
        &[
            "import",
            "local",
            good.to_str().unwrap(),
            empty.to_str().unwrap(),
        ],
    );
}

#[test]
fn a_file_that_is_not_a_study() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("text.codebench", b"hello world, not sqlite".to_vec()),
        ("empty.codebench", Vec::new()),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let m = fails(&p, &["status"]);
        assert!(
            m.contains("not a Codebench study") && m.contains("left untouched"),
            "{m}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), bytes);
        assert!(!dir.path().join(format!("{name}-wal")).exists());
    }
    // Another application's SQLite database.
    let other = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(conn);
    let bytes = std::fs::read(&other).unwrap();
    let m = fails(&other, &["status"]);
    assert!(m.contains("another application"), "{m}");
    assert_eq!(std::fs::read(&other).unwrap(), bytes);

    // A study from a newer Codebench.
    let newer = dir.path().join("newer.codebench");
    ok(&newer, &["init"]);
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    conn.pragma_update(None, "journal_mode", "delete").unwrap();
    drop(conn);
    let bytes = std::fs::read(&newer).unwrap();
    let m = fails(&newer, &["status"]);
    assert!(m.contains("schema version 99 is newer"), "{m}");
    assert_eq!(std::fs::read(&newer).unwrap(), bytes);

    // Missing file, and init over an existing file.
    let m = fails(&dir.path().join("missing.codebench"), &["status"]);
    assert!(m.contains("no such study file"), "{m}");
    let m = fails(&other, &["init"]);
    assert!(m.contains("already exists"), "{m}");
}
