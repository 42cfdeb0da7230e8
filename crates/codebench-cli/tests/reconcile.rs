//! Reconciliation, rounds and merging end to end through the `codebench` binary: two raters
//! code separate copies of one study, the copies are merged, disagreements reconciled,
//! agreement computed and everything exported.

mod common;

use std::path::Path;

use common::*;

fn code(study: &Path, rater: &str, unit: &str, dim: &str, codes: &[&str], memo: &str) {
    let mut args = vec![
        "code",
        "--rater",
        rater,
        "--unit",
        unit,
        "--dimension",
        dim,
        "--memo",
        memo,
    ];
    for c in codes {
        args.extend(["--code", c]);
    }
    ok(study, &args);
}

#[test]
fn two_copies_merged_reconciled_and_exported() {
    let f = fixture();
    let a = f.dir.path().join("alice.codebench");
    let b = f.dir.path().join("bob.codebench");
    std::fs::copy(&f.study, &a).unwrap();
    std::fs::copy(&f.study, &b).unwrap();

    code(
        &a,
        "alice",
        "acme/alpha",
        "kind",
        &["model"],
        "serves a model",
    );
    code(&a, "alice", "acme/beta", "kind", &["toolkit"], "");
    code(
        &a,
        "alice",
        "acme/alpha:Dockerfile",
        "purpose",
        &["hosting"],
        "",
    );
    code(
        &b,
        "bob",
        "acme/alpha",
        "kind",
        &["application-system"],
        "an app around it",
    );
    code(&b, "bob", "acme/beta", "kind", &["toolkit"], "");
    code(
        &b,
        "bob",
        "acme/alpha:Dockerfile",
        "purpose",
        &["hosting", "ci-cd"],
        "",
    );

    let said = ok(&a, &["merge", b.to_str().unwrap()]);
    assert!(
        said.contains("3 decisions (0 already here, 0 replaced)"),
        "{said}"
    );
    assert!(
        said.contains("1 units where all raters now agree became consensus"),
        "{said}"
    );
    let said = ok(&a, &["merge", b.to_str().unwrap()]);
    assert!(said.contains("nothing new"), "{said}");
    let before = dump(&a);
    ok(&a, &["merge", b.to_str().unwrap()]);
    assert_eq!(before, dump(&a), "merging twice changes nothing");

    // The queue: the two disagreements, side by side with memos.
    let q = ok(&a, &["reconcile", "list"]);
    assert!(q.contains("acme/alpha (kind)  raters differ"), "{q}");
    assert!(
        q.contains("alice            [model]  memo: serves a model"),
        "{q}"
    );
    assert!(
        q.contains("bob              [application-system]  memo: an app around it"),
        "{q}"
    );
    assert!(q.contains("acme/alpha:Dockerfile (purpose)"), "{q}");
    assert!(!q.contains("acme/beta (kind)"), "{q}");
    let json: serde_json::Value = serde_json::from_str(&ok(
        &a,
        &[
            "reconcile",
            "list",
            "--dimension",
            "kind",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 1);

    // Overriding both raters without a reason is refused; with one it is kept.
    let e = fails(
        &a,
        &[
            "reconcile",
            "decide",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "mlops-aiops",
            "--by",
            "carol",
        ],
    );
    assert!(e.contains("overrides every rater"), "{e}");
    ok(
        &a,
        &[
            "reconcile",
            "decide",
            "--unit",
            "acme/alpha",
            "--dimension",
            "kind",
            "--code",
            "model",
            "--by",
            "carol",
            "--why",
            "the README says it serves a model",
        ],
    );
    ok(
        &a,
        &[
            "reconcile",
            "decide",
            "--unit",
            "acme/alpha:Dockerfile",
            "--dimension",
            "purpose",
            "--code",
            "hosting",
            "--code",
            "ci-cd",
            "--by",
            "carol",
            "--why",
            "builds in CI",
        ],
    );
    // acme/beta, where both agree, became consensus automatically at the merge.
    assert_eq!(
        ok(&a, &["reconcile", "automatic"]).trim(),
        "automatic consensus is on"
    );
    let said = ok(&a, &["reconcile", "auto", "--dimension", "kind"]);
    assert!(said.contains("0 accepted, 2 already decided"), "{said}");
    let e = fails(&a, &["reconcile", "automatic", "off"]);
    assert!(e.contains("--by"), "{e}");
    let said = ok(&a, &["reconcile", "automatic", "off", "--by", "carol"]);
    assert_eq!(said.trim(), "automatic consensus is off");
    let said = ok(&a, &["reconcile", "automatic", "on", "--by", "carol"]);
    assert_eq!(
        said.trim(),
        "automatic consensus is on (0 units where all raters agree made consensus)"
    );
    assert_eq!(
        ok(&a, &["reconcile", "list"]).trim(),
        "nothing to reconcile"
    );
    let all = ok(&a, &["reconcile", "list", "--all", "--dimension", "kind"]);
    assert!(
        all.contains("consensus [model] by carol: the README says it serves a model"),
        "{all}"
    );

    let table = ok(&a, &["agreement", "--dimension", "kind", "--format", "csv"]);
    assert!(table.lines().count() > 1, "{table}");

    let out = f.dir.path().join("export");
    let said = ok(&a, &["export", "--out", out.to_str().unwrap()]);
    assert!(said.contains("consensus.csv (4 rows)"), "{said}");
    let cons = std::fs::read_to_string(out.join("consensus.csv")).unwrap();
    assert!(
        cons.starts_with("unit,dimension,code,adjudicator,rationale,decided_at\r\n"),
        "{cons}"
    );
    assert!(
        cons.contains("acme/alpha,kind,model,carol,the README says it serves a model,"),
        "{cons}"
    );
    assert!(
        cons.contains("acme/beta,kind,toolkit,auto,all raters chose these codes,"),
        "{cons}"
    );
    let agreement = std::fs::read_to_string(out.join("agreement.csv")).unwrap();
    assert!(
        agreement.contains("kind") && agreement.contains("purpose"),
        "{agreement}"
    );
    let codings = std::fs::read_to_string(out.join("codings.csv")).unwrap();
    assert_eq!(codings.matches("\r\n").count(), 1 + 7, "{codings}");

    // The other direction brings the consensus along with its history.
    let said = ok(&b, &["merge", a.to_str().unwrap()]);
    assert!(said.contains("3 consensus"), "{said}");
}

#[test]
fn merge_refuses_conflicts_and_other_codebooks_leaving_the_study_as_it_was() {
    let f = fixture();
    let b = f.dir.path().join("b.codebench");
    std::fs::copy(&f.study, &b).unwrap();
    code(&f.study, "alice", "acme/alpha", "kind", &["model"], "");
    code(&b, "alice", "acme/alpha", "kind", &["toolkit"], "");
    code(&b, "bob", "acme/beta", "kind", &["toolkit"], "");
    let before = dump(&f.study);
    // The conflict is listed with both sides (stdout) and the one error says nothing merged.
    let out = common::run(&f.study, &["merge", b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let (said, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        said.contains("conflict decision:alice|acme/alpha|kind") && said.contains("(to settle)"),
        "{said}"
    );
    assert!(
        e.contains("1 conflict to settle") && e.contains("nothing was merged"),
        "{e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert_eq!(before, dump(&f.study));

    let book = f.dir.path().join("book.json");
    ok(&f.study, &["codebook", "export", book.to_str().unwrap()]);
    let text = std::fs::read_to_string(&book).unwrap().replacen(
        "\"cardinality\": \"one\"",
        "\"cardinality\": \"many\"",
        1,
    );
    std::fs::write(&book, text).unwrap();
    let other = f.dir.path().join("other.codebench");
    ok(&other, &["init", "--codebook", book.to_str().unwrap()]);
    let e = fails(&f.study, &["merge", other.to_str().unwrap()]);
    assert!(
        e.contains("another codebook") && e.contains("decided differently there"),
        "{e}"
    );
    assert_eq!(before, dump(&f.study));
}

#[test]
fn rounds_fifty_seventy_five_hundred_with_blind_coding() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("s.codebench");
    ok(&s, &["init", "--sample"]);
    ok(&s, &["raters", "add", "alice"]);
    ok(&s, &["raters", "add", "bob"]);
    let said = ok(
        &s,
        &[
            "round",
            "create",
            "r50",
            "--fraction",
            "0.5",
            "--dimension",
            "kind",
            "--seed",
            "42",
        ],
    );
    assert!(
        said.contains("created round r50 with 6 units (seed 42)"),
        "{said}"
    );
    ok(
        &s,
        &[
            "round",
            "create",
            "r75",
            "--fraction",
            "0.75",
            "--dimension",
            "kind",
            "--seed",
            "42",
            "--extend",
            "r50",
        ],
    );
    ok(
        &s,
        &[
            "round",
            "create",
            "r100",
            "--fraction",
            "1",
            "--dimension",
            "kind",
            "--seed",
            "42",
            "--extend",
            "r75",
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(&s, &["round", "list", "--format", "json"])).unwrap();
    let units = |i: usize| -> Vec<String> {
        v[i]["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!((units(0).len(), units(1).len(), units(2).len()), (6, 9, 12));
    assert!(units(0).iter().all(|u| units(1).contains(u)));

    // Same seed in another study of the same projects: same sample.
    let s2 = dir.path().join("s2.codebench");
    ok(&s2, &["init", "--sample"]);
    ok(
        &s2,
        &[
            "round",
            "create",
            "r50",
            "--fraction",
            "0.5",
            "--dimension",
            "kind",
            "--seed",
            "42",
        ],
    );
    let v2: serde_json::Value =
        serde_json::from_str(&ok(&s2, &["round", "show", "r50", "--format", "json"])).unwrap();
    assert_eq!(v2["units"], v[0]["units"]);

    ok(&s, &["round", "assign", "r50", "--raters", "alice,bob"]);
    let r50 = units(0);
    for (i, u) in r50.iter().enumerate() {
        code(&s, "alice", u, "kind", &["model"], "");
        if i > 0 {
            code(
                &s,
                "bob",
                u,
                "kind",
                &[if i % 2 == 0 { "model" } else { "toolkit" }],
                "",
            );
        }
    }
    // Blind: the queue shows none of the round's units.
    let q = ok(&s, &["reconcile", "list"]);
    assert!(q.contains("left out: in a round not revealed yet"), "{q}");
    let e = fails(&s, &["round", "reveal", "r50"]);
    assert!(
        e.contains(&format!("bob has not decided 1 ({} (kind))", r50[0])),
        "{e}"
    );
    let listed = ok(&s, &["round", "list"]);
    assert!(listed.contains("alice 6/6, bob 5/6"), "{listed}");
    code(&s, "bob", &r50[0], "kind", &["model"], "");
    // A confusion cell of a blind round is refused like its agreement.
    let cell = [
        "agreement",
        "--round",
        "r50",
        "--dimension",
        "kind",
        "--cell",
        "model,toolkit",
        "--pair",
        "alice,bob",
    ];
    let e = fails(&s, &cell);
    assert!(e.contains("blind") || e.contains("not revealed"), "{e}");
    ok(&s, &["round", "reveal", "r50"]);
    // Its units are still blind through r75, so the cell lists none of them yet.
    assert_eq!(ok(&s, &cell), "");

    // Its units are in the later rounds too, which are still blind.
    let q = ok(&s, &["reconcile", "list"]);
    assert!(q.contains("6 units left out"), "{q}");
    let e = fails(&s, &["round", "reveal", "r75"]);
    assert!(e.contains("no raters assigned"), "{e}");
    ok(&s, &["round", "reveal", "r75", "--force"]);
    ok(&s, &["round", "reveal", "r100", "--force"]);
    // After every round holding them is revealed the cell lists its units: those bob coded toolkit, as many as the
    // matrix counts.
    let listed: Vec<String> = ok(&s, &cell).lines().map(str::to_string).collect();
    let toolkit: Vec<String> = r50
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, u)| u.clone())
        .collect();
    let mut expected = toolkit.clone();
    expected.sort();
    assert_eq!(listed, expected);
    let report: serde_json::Value = serde_json::from_str(&ok(
        &s,
        &["agreement", "--round", "r50", "--format", "json"],
    ))
    .unwrap();
    let matrix = &report["confusion"][0];
    let categories: Vec<&str> = matrix["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let at = |c: &str| categories.iter().position(|x| *x == c).unwrap();
    assert_eq!(
        matrix["counts"][at("model")][at("toolkit")].as_u64(),
        Some(listed.len() as u64)
    );
    let diagonal = ok(
        &s,
        &[
            "agreement",
            "--round",
            "r50",
            "--dimension",
            "kind",
            "--cell",
            "model,model",
            "--pair",
            "alice,bob",
            "--format",
            "json",
        ],
    );
    let diagonal: serde_json::Value = serde_json::from_str(&diagonal).unwrap();
    assert_eq!(diagonal["units"].as_array().unwrap().len(), 3);
    let e = fails(
        &s,
        &[
            "agreement",
            "--round",
            "r50",
            "--dimension",
            "kind",
            "--cell",
            "model,toolkit",
            "--pair",
            "alice,nobody",
        ],
    );
    assert!(e.contains("nobody"), "{e}");
    // The figure of what the screen shows: a PNG of the overall results.
    let png = s.with_file_name("r50-agreement.png");
    let wrote = ok(
        &s,
        &[
            "agreement",
            "--round",
            "r50",
            "--out",
            png.to_str().unwrap(),
        ],
    );
    assert!(wrote.contains("r50-agreement.png"), "{wrote}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let q = ok(&s, &["reconcile", "list"]);
    assert!(
        q.contains("raters differ") && !q.contains("left out"),
        "{q}"
    );

    let round = ok(&s, &["agreement", "--round", "r50", "--format", "csv"]);
    assert!(round.contains("kind"), "{round}");
    // --out writes the same table to a file (the app's Export CSV on the agreement screen).
    let file = s.with_file_name("r50-agreement.csv");
    let wrote = ok(
        &s,
        &[
            "agreement",
            "--round",
            "r50",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        wrote.starts_with("wrote ") && wrote.contains("rows)"),
        "{wrote}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), round);
    let e = fails(&s, &["agreement", "--round", "nope"]);
    assert!(e.contains("unknown round 'nope'"), "{e}");

    let said = ok(
        &s,
        &[
            "round",
            "create",
            "planned",
            "--plan-width",
            "0.5",
            "--expected-kappa",
            "0.6",
            "--dimension",
            "kind",
            "--seed",
            "1",
        ],
    );
    assert!(said.contains("planned size"), "{said}");
    let out = run(
        &s,
        &["round", "create", "x", "--size", "3", "--fraction", "0.5"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "--size and --fraction exclude each other"
    );
    let e = fails(&s, &["round", "create", "x"]);
    assert!(e.contains("say how big"), "{e}");
}
