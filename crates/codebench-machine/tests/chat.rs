//! The chat-completions client and the answer check against the local mock server on
//! 127.0.0.1: good answers, codes outside the codebook, broken JSON, 429 then OK, 500s, a
//! refusal, a cut answer, a timeout, a wrong key.

use std::time::Duration;

use codebench_machine::mock::{Behaviour, ChatMockConfig, MockChat};
use codebench_machine::prompt::{self, CodeText, DimensionText, FileText, UnitText};
use codebench_machine::{label, request, ChatClient, ChatOptions, Labelled};

fn dim() -> DimensionText {
    let code = |id: &str| CodeText {
        id: id.into(),
        name: id.to_uppercase(),
        definition: format!("a {id}"),
        include: String::new(),
        exclude: String::new(),
        example: String::new(),
    };
    DimensionText {
        id: "kind".into(),
        name: "Kind".into(),
        description: String::new(),
        many: false,
        unit_kind: "project".into(),
        codes: vec![code("model"), code("tool")],
    }
}

fn options(url: &str) -> ChatOptions {
    ChatOptions {
        base_url: url.to_string(),
        api_key: None,
        request_timeout: Duration::from_millis(500),
        max_attempts: 3,
        backoff: Duration::from_millis(10),
        fallback_wait: Duration::from_millis(10),
        max_body_bytes: 1024 * 1024,
    }
}

async fn ask(client: &ChatClient, unit: &str) -> Labelled {
    let d = dim();
    let u = UnitText {
        name: unit.into(),
        files: vec![FileText {
            path: "README.md".into(),
            role: "readme".into(),
            text: "A tool.".into(),
        }],
    };
    let p = prompt::build(prompt::DEFAULT_TEMPLATE, &d, &u, 1000).unwrap();
    let req = request(
        "mock-model",
        0.0,
        Some(42),
        &p,
        &d.id,
        &d.code_ids(),
        d.many,
    );
    label(client, &req, &d.code_ids(), d.many, &|_, _| {}, &|| false)
        .await
        .expect("not stopped")
}

#[tokio::test]
async fn every_kind_of_answer_is_validated_and_failures_are_failures() {
    let script = vec![
        ("a/good".to_string(), Behaviour::Answer(vec!["tool".into()])),
        (
            "a/outside".to_string(),
            Behaviour::Content(r#"{"codes":["app"],"rationale":"x","confidence":0.9}"#.into()),
        ),
        (
            "a/broken".to_string(),
            Behaviour::Content("{\"codes\": [\"to".into()),
        ),
        (
            "a/busy".to_string(),
            Behaviour::TooMany {
                times: 2,
                retry_after: 0,
            },
        ),
        ("a/crash".to_string(), Behaviour::ServerError),
        (
            "a/refuse".to_string(),
            Behaviour::Refusal("I cannot help with that.".into()),
        ),
        ("a/cut".to_string(), Behaviour::Length),
        (
            "a/slow".to_string(),
            Behaviour::Slow(Duration::from_secs(3)),
        ),
    ];
    let mock = MockChat::start(script, ChatMockConfig::default())
        .await
        .unwrap();
    let client = ChatClient::new(options(&mock.url())).unwrap();

    let good = ask(&client, "a/good").await;
    let a = good.answer.clone().unwrap();
    assert_eq!(a.codes, vec!["tool"]);
    assert_eq!(a.confidence, 0.75);
    assert_eq!(good.attempts, 1);
    assert_eq!(good.tokens_in, Some(120));
    assert_eq!(good.model_version.as_deref(), Some("fp_mock_0001"));

    let outside = ask(&client, "a/outside").await;
    assert!(outside.answer.unwrap_err().contains("outside the codebook"));
    assert!(outside.raw.unwrap().contains("app"));

    assert!(ask(&client, "a/broken")
        .await
        .answer
        .unwrap_err()
        .contains("not JSON"));

    let busy = ask(&client, "a/busy").await;
    assert_eq!(busy.attempts, 3, "two 429s, then the answer");
    assert_eq!(busy.answer.unwrap().codes, vec!["model"]);

    let crash = ask(&client, "a/crash").await;
    assert_eq!(crash.attempts, 3, "bounded attempts");
    assert!(crash.answer.unwrap_err().contains("HTTP 500"));

    let refuse = ask(&client, "a/refuse").await;
    assert!(refuse.answer.unwrap_err().contains("refused"));
    assert_eq!(refuse.raw.as_deref(), Some("I cannot help with that."));

    assert!(ask(&client, "a/cut")
        .await
        .answer
        .unwrap_err()
        .contains("length"));

    let slow = ask(&client, "a/slow").await;
    assert_eq!(slow.attempts, 3);
    assert!(
        slow.answer.unwrap_err().contains("timed out"),
        "{:?}",
        slow.raw
    );

    let stats = mock.stats();
    assert_eq!(stats.per_unit["a/good"], 1);
    assert_eq!(stats.per_unit["a/crash"], 3);
    // The request carried the model, the parameters and a schema allowing only the codes.
    let first = &mock.bodies()[0];
    assert_eq!(first["model"], "mock-model");
    assert_eq!(first["seed"], 42);
    assert_eq!(first["temperature"], 0.0);
    assert_eq!(
        first["response_format"]["json_schema"]["schema"]["properties"]["codes"]["items"]["enum"],
        serde_json::json!(["model", "tool"])
    );
}

#[tokio::test]
async fn a_wrong_key_is_a_failure_not_retried_and_a_stop_stops() {
    let mock = MockChat::start(
        Vec::new(),
        ChatMockConfig {
            key: Some("sk-right".into()),
        },
    )
    .await
    .unwrap();
    let mut o = options(&mock.url());
    o.api_key = Some("sk-wrong".into());
    let client = ChatClient::new(o.clone()).unwrap();
    let l = ask(&client, "a/x").await;
    assert_eq!(l.attempts, 1);
    assert!(l.answer.unwrap_err().contains("HTTP 401"));
    o.api_key = Some("sk-right".into());
    let client = ChatClient::new(o).unwrap();
    assert!(ask(&client, "a/x").await.answer.is_ok());
    // A stop before the request: nothing to record.
    let d = dim();
    let p = prompt::Prompt {
        system: "s".into(),
        user: "Unit: a/y".into(),
        truncated: false,
    };
    let req = request("m", 0.0, None, &p, "kind", &d.code_ids(), false);
    assert!(
        label(&client, &req, &d.code_ids(), false, &|_, _| {}, &|| true)
            .await
            .is_none()
    );
    assert!(!mock.stats().per_unit.contains_key("a/y"));
}

#[test]
fn bad_urls_are_refused_and_loopback_is_known() {
    for bad in [
        "ftp://x/v1",
        "not a url",
        "http://h/v1?x=1",
        "http://u:p@h/v1",
    ] {
        assert!(ChatClient::new(options(bad)).is_err(), "{bad}");
    }
    assert!(codebench_machine::openai::is_loopback(
        "http://127.0.0.1:11434/v1"
    ));
    assert!(codebench_machine::openai::is_loopback(
        "http://localhost:8080/v1"
    ));
    assert!(codebench_machine::openai::is_loopback(
        "http://[::1]:8080/v1"
    ));
    assert!(!codebench_machine::openai::is_loopback(
        "https://api.openai.com/v1"
    ));
    assert!(!codebench_machine::openai::is_loopback(
        "http://10.0.0.2/v1"
    ));
}
