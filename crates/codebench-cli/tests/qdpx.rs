//! `codebench export --qdpx` and `codebench import qdpx` end to end: real checkouts, real study
//! files, the real binary.

mod common;

use common::*;

fn code(study: &std::path::Path, rater: &str, unit: &str, dim: &str, code: &str, memo: &str) {
    ok(
        study,
        &[
            "code",
            "--rater",
            rater,
            "--unit",
            unit,
            "--dimension",
            dim,
            "--code",
            code,
            "--memo",
            memo,
        ],
    );
}

#[test]
fn export_qdpx_then_import_into_a_new_study() {
    let f = fixture();
    code(
        &f.study,
        "alice",
        "acme/alpha",
        "kind",
        "mlops-aiops",
        "serves a model\nover HTTP",
    );
    code(&f.study, "bob", "acme/alpha", "kind", "model", "");
    code(
        &f.study,
        "bob",
        "acme/alpha:tests/Dockerfile",
        "purpose",
        "software-testing",
        "",
    );
    ok(
        &f.study,
        &[
            "evidence",
            "add",
            "--rater",
            "bob",
            "--unit",
            "acme/alpha:tests/Dockerfile",
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
    ok(
        &f.study,
        &[
            "evidence",
            "add",
            "--rater",
            "alice",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "mlops-aiops",
            "--file",
            "README.md",
            "--quote",
            "Serves a model.",
            "--lines",
            "2",
        ],
    );
    let file = f.dir.path().join("out/study.qdpx");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let said = ok(&f.study, &["export", "--qdpx", file.to_str().unwrap()]);
    assert!(
        said.contains("3 users") || said.contains("2 users"),
        "{said}"
    );
    assert!(said.contains("2 selections"), "{said}");
    assert!(file.is_file());

    // A second study over the same checkouts, without raters: the import adds them.
    let other = f.dir.path().join("t.codebench");
    ok(&other, &["init"]);
    ok(
        &other,
        &[
            "import",
            "local",
            f.dir.path().join("co/alpha").to_str().unwrap(),
            f.dir.path().join("co/beta").to_str().unwrap(),
        ],
    );
    let dry = ok(
        &other,
        &["import", "qdpx", "--dry-run", file.to_str().unwrap()],
    );
    assert!(dry.starts_with("dry run, nothing written: 3 new"), "{dry}");
    assert!(
        ok(&other, &["decisions"]).trim().is_empty()
            || !ok(&other, &["decisions"]).contains("alice")
    );
    let said = ok(&other, &["import", "qdpx", file.to_str().unwrap()]);
    assert!(
        said.contains("3 new, 0 changed, 0 unchanged decisions; 2 evidence quotes, 1 memos"),
        "{said}"
    );
    assert!(said.contains("raters added: alice, bob"), "{said}");
    let a = ok(&f.study, &["decisions", "--format", "json"]);
    let b = ok(&other, &["decisions", "--format", "json"]);
    assert_eq!(a, b);
    let a = ok(&f.study, &["evidence", "list", "--format", "json"]);
    let b = ok(&other, &["evidence", "list", "--format", "json"]);
    let strip = |s: &str| -> Vec<serde_json::Value> {
        let mut v: Vec<serde_json::Value> = serde_json::from_str(s).unwrap();
        for e in &mut v {
            e.as_object_mut().unwrap().remove("id");
        }
        v
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn bad_qdpx_files_fail_with_one_clear_line() {
    let f = fixture();
    let junk = f.dir.path().join("junk.qdpx");
    std::fs::write(&junk, b"not a zip").unwrap();
    let m = fails(&f.study, &["import", "qdpx", junk.to_str().unwrap()]);
    assert!(
        m.contains("junk.qdpx") && m.contains("not a .qdpx file"),
        "{m}"
    );
    let m = fails(
        &f.study,
        &[
            "import",
            "qdpx",
            f.dir.path().join("none.qdpx").to_str().unwrap(),
        ],
    );
    assert!(m.contains("none.qdpx"), "{m}");
    let m = fails(
        &f.study,
        &["export", "--qdpx", f.dir.path().to_str().unwrap()],
    );
    assert!(m.contains("is a folder"), "{m}");
}
