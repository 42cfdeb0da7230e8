//! `codebench machine` end to end: the real binary against a chat-completions server on
//! 127.0.0.1, the key from the environment; a failure is recorded and is no decision; the
//! agreement table counts the machine, `--no-machine` leaves it out; the exports carry the runs.

mod common;

use codebench_machine::mock::{Behaviour, ChatMockConfig, MockChat};
use common::{fails, ok};

#[test]
fn a_machine_rater_from_the_command_line() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock = rt
        .block_on(MockChat::start(
            vec![(
                "basalt-ai/autotune".to_string(),
                Behaviour::Content(
                    r#"{"codes":["no-such-kind"],"rationale":"x","confidence":1}"#.into(),
                ),
            )],
            ChatMockConfig {
                key: Some("sk-env".into()),
            },
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("s.codebench");
    ok(&study, &["init", "--sample"]);
    ok(&study, &["raters", "add", "ana"]);
    for (unit, code) in [
        ("cobalt-notes/ml-handbook", "documentation-tutorials"),
        ("lumen-labs/tinyserve", "mlops-aiops"),
    ] {
        ok(
            &study,
            &[
                "code",
                "--rater",
                "ana",
                "--unit",
                unit,
                "--dimension",
                "kind",
                "--code",
                code,
            ],
        );
    }
    let url = mock.url();
    ok(
        &study,
        &[
            "machine",
            "add",
            "llm",
            "--backend",
            "openai",
            "--url",
            &url,
            "--model",
            "mock-model",
            "--seed",
            "3",
            "--dimension",
            "kind",
            "--key-env",
            "TEST_MACHINE_KEY",
        ],
    );
    let e = fails(
        &study,
        &[
            "machine",
            "add",
            "far",
            "--backend",
            "openai",
            "--url",
            "https://llm.example.org/v1",
            "--model",
            "m",
        ],
    );
    assert!(e.contains("--allow-remote"), "{e}");
    let list = ok(&study, &["machine", "list"]);
    assert!(
        list.contains("llm: openai") && list.contains("seed 3"),
        "{list}"
    );
    let out = std::process::Command::new(common::bin())
        .args(["--study", study.to_str().unwrap(), "machine", "run", "llm"])
        .env("TEST_MACHINE_KEY", "sk-env")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 failed"), "{text}");
    assert_eq!(mock.stats().unauthorized, 0);
    let answers = ok(&study, &["machine", "answers", "llm"]);
    assert!(
        answers.contains("basalt-ai/autotune kind: failed: codes outside the codebook"),
        "{answers}"
    );
    // The routing list: the failed unit goes to people first; a stricter threshold sends all.
    let route = ok(&study, &["machine", "route"]);
    assert!(
        route.contains("kind: 1 of 12 units answered by llm")
            && route.contains("basalt-ai/autotune: failed; llm failed"),
        "{route}"
    );
    let strict: serde_json::Value = serde_json::from_str(&ok(
        &study,
        &["machine", "route", "--below", "0.8", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(strict["units"].as_array().unwrap().len(), 12, "{strict}");
    assert_eq!(strict["units"][0]["reasons"][0], "low_confidence");
    // The tables of people only.
    let people = dir.path().join("people");
    ok(
        &study,
        &["export", "--out", people.to_str().unwrap(), "--no-machine"],
    );
    let codings = std::fs::read_to_string(people.join("codings.csv")).unwrap();
    assert!(
        codings.lines().skip(1).all(|l| l.starts_with("ana,")),
        "{codings}"
    );
    // One machine rater with its runs.
    let show = ok(&study, &["machine", "show", "llm"]);
    assert!(
        show.starts_with("llm: openai ") && show.contains("\nrun 1 llm openai mock-model"),
        "{show}"
    );
    // Assist: shown to ana, then recorded on the decision she makes next.
    let unit = "pebble-audio/murmur";
    let suggest = [
        "--as",
        "ana",
        "machine",
        "suggest",
        unit,
        "--dimension",
        "kind",
    ];
    let said = ok(&study, &suggest);
    assert!(
        said.starts_with("llm: ") && said.contains("marked suggested_by"),
        "{said}"
    );
    assert!(fails(&study, &["machine", "suggest", unit, "--dimension", "kind"]).contains("--as"));
    ok(
        &study,
        &[
            "code",
            "--rater",
            "ana",
            "--unit",
            unit,
            "--dimension",
            "kind",
            "--code",
            "model",
        ],
    );
    let mine = ok(&study, &["decisions", "--rater", "ana"]);
    assert!(
        mine.lines()
            .any(|l| l.contains(unit) && l.ends_with("(suggested by llm)")),
        "{mine}"
    );
    assert!(
        mine.lines()
            .any(|l| l.contains("lumen-labs/tinyserve") && !l.contains("suggested")),
        "{mine}"
    );
    let runs: serde_json::Value =
        serde_json::from_str(&ok(&study, &["machine", "runs", "--format", "json"])).unwrap();
    assert_eq!(runs[0]["model_version"], "fp_mock_0001");
    assert_eq!(runs[0]["status"], "done");
    let decisions = ok(&study, &["decisions", "--rater", "llm"]);
    assert!(
        !decisions.contains("basalt-ai/autotune"),
        "a failure is no decision: {decisions}"
    );
    let table = ok(&study, &["agreement", "--dimension", "kind"]);
    assert!(table.contains("llm"), "{table}");
    fails(
        &study,
        &["agreement", "--dimension", "kind", "--no-machine"],
    );
    let dir_out = dir.path().join("out");
    ok(&study, &["export", "--out", dir_out.to_str().unwrap()]);
    let rows = csv::Reader::from_path(dir_out.join("machine_runs.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(rows, 1);
    let answers = csv::Reader::from_path(dir_out.join("machine_answers.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(answers, 12, "every project unit of the sample");
    // Without the key the server refuses every unit: recorded failures, not decisions.
    ok(
        &study,
        &[
            "machine",
            "add",
            "nokey",
            "--backend",
            "openai",
            "--url",
            &url,
            "--model",
            "mock-model",
            "--dimension",
            "kind",
            "--key-env",
            "TEST_MACHINE_KEY_UNSET",
        ],
    );
    let out = common::run(&study, &["machine", "run", "nokey"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(" 0 labelled"));
    // In a round not revealed yet the routing list says nothing of the round's units.
    ok(
        &study,
        &[
            "round",
            "create",
            "r1",
            "--size",
            "12",
            "--dimension",
            "kind",
        ],
    );
    let blind = ok(&study, &["--as", "ana", "machine", "route"]);
    assert!(
        blind.contains("0 of 0 units") && blind.contains("12 units in rounds not revealed yet"),
        "{blind}"
    );
    // Nor does anyone get a suggestion there.
    let refused = fails(&study, &suggest);
    assert!(
        refused.contains("blind until round r1 is revealed"),
        "{refused}"
    );
}
