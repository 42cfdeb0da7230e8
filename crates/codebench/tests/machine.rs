//! Machine raters end to end through the API, against a real chat-completions server on
//! 127.0.0.1 (codebench-machine's mock): a machine rater labels the sample study's units, its
//! failures are recorded and are no decisions, agreement reports human–machine kappa (and
//! leaves machines out on request), a run cancelled midway resumes without asking any unit
//! twice, blind rounds keep the machine's codes from other raters, the local backend reports
//! its cross-validation before it labels, and the exports carry the provenance.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use codebench::api::{self, machine as m, ApiResult, Ctx, Env, Task};
use codebench::machine::{Backend, MachineConfig, MachineProgress};
use codebench::Study;
use codebench_machine::mock::{Behaviour, ChatMockConfig, MockChat};

/// Secrets in memory, variables from a map: no keyring, no process environment.
#[derive(Default)]
struct TestEnv {
    secrets: Mutex<BTreeMap<String, String>>,
    vars: BTreeMap<String, String>,
}

impl Env for TestEnv {
    fn secret(&self, name: &str) -> ApiResult<Option<String>> {
        Ok(self.secrets.lock().unwrap().get(name).cloned())
    }
    fn keep_secret(&self, name: &str, value: &str) -> ApiResult<()> {
        self.secrets
            .lock()
            .unwrap()
            .insert(name.into(), value.into());
        Ok(())
    }
    fn forget_secret(&self, name: &str) -> ApiResult<bool> {
        Ok(self.secrets.lock().unwrap().remove(name).is_some())
    }
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
}

/// The sample study with rater `ana` holding the expected `kind` codes.
fn sample(dir: &std::path::Path) -> Study {
    let path = dir.join("s.codebench");
    let mut s = codebench::sample::create(&path).unwrap();
    s.add_rater("ana").unwrap();
    let expected = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../sample/expected-codes.csv"
    ))
    .unwrap();
    let mut kinds: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in expected.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() == 3 && f[1] == "kind" {
            kinds
                .entry(f[0].to_string())
                .or_default()
                .push(f[2].to_string());
        }
    }
    for (unit, codes) in kinds {
        s.record(&codebench::coding::DecisionInput {
            rater: "ana".into(),
            unit,
            dimension: "kind".into(),
            codes,
            memo: None,
            flagged: None,
        })
        .unwrap();
    }
    s
}

/// Adds an openai machine rater asking the server at `url`.
fn add_openai(ctx: &mut Ctx<'_>, name: &str, url: &str) {
    api::add_machine_rater(
        ctx,
        m::AddMachineRater {
            name: name.into(),
            config: openai(url),
        },
    )
    .unwrap();
}

/// Puts every one of the study's `n` project units in round r1 of `kind`, not revealed.
fn round_of_all(ctx: &mut Ctx<'_>, n: usize) {
    api::create_round(
        ctx,
        api::rounds::CreateRound {
            name: "r1".into(),
            size: Some(n),
            dimension: Some("kind".into()),
            seed: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
}

fn kind_units(s: &Study) -> Vec<String> {
    s.units()
        .unwrap()
        .into_iter()
        .filter(|u| u.kind == "project")
        .map(|u| u.name)
        .collect()
}

fn openai(url: &str) -> MachineConfig {
    MachineConfig {
        backend: Backend::Openai,
        dimension: Some("kind".into()),
        url: Some(url.into()),
        model: Some("mock-model".into()),
        temperature: Some(0.0),
        seed: Some(7),
        max_attempts: Some(3),
        timeout_seconds: Some(5.0),
        ..Default::default()
    }
}

fn run(
    ctx: &mut Ctx<'_>,
    rater: &str,
    cancel_after: Option<usize>,
) -> codebench::machine::MachineRunSummary {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = AtomicUsize::new(0);
    let f2 = flag.clone();
    let on = move |p: MachineProgress| {
        if let MachineProgress::Answered { .. } = p {
            let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
            if cancel_after.is_some_and(|c| n >= c) {
                f2.store(true, Ordering::SeqCst);
            }
        }
    };
    let task = Task::new(&on, flag);
    api::run_machine(
        ctx,
        m::RunMachine {
            rater: rater.into(),
            ..Default::default()
        },
        &task,
    )
    .unwrap()
}

#[test]
fn a_machine_rater_labels_every_unit_records_failures_and_is_measured_like_anyone() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = sample(dir.path());
    let units = kind_units(&study);
    assert!(units.len() >= 8, "{units:?}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let script = vec![
        (
            units[0].clone(),
            Behaviour::Content(
                r#"{"codes":["not-a-code"],"rationale":"x","confidence":0.5}"#.into(),
            ),
        ),
        (units[1].clone(), Behaviour::Content("{\"codes\": [".into())),
        (
            units[2].clone(),
            Behaviour::TooMany {
                times: 1,
                retry_after: 0,
            },
        ),
        (units[3].clone(), Behaviour::ServerError),
        (units[4].clone(), Behaviour::Refusal("no".into())),
    ];
    let mock = rt
        .block_on(MockChat::start(
            script,
            ChatMockConfig {
                key: Some("sk-test".into()),
            },
        ))
        .unwrap();
    let env = TestEnv::default();
    let mut ctx = Ctx::new(&mut study, None, &env);
    // The key comes from the keyring (kept per endpoint), never from the study.
    api::keep_machine_key(
        &env,
        m::KeepMachineKey {
            url: mock.url(),
            key: "sk-test".into(),
        },
    )
    .unwrap();
    let added = api::add_machine_rater(
        &mut ctx,
        m::AddMachineRater {
            name: "gpt".into(),
            config: openai(&mock.url()),
        },
    )
    .unwrap();
    assert_eq!(added.config.backend, Backend::Openai);
    // A remote endpoint needs the study's opt-in.
    let mut remote = openai("https://models.example.org/v1");
    let e = api::add_machine_rater(
        &mut ctx,
        m::AddMachineRater {
            name: "far".into(),
            config: remote.clone(),
        },
    )
    .unwrap_err();
    assert!(e.message.contains("--allow-remote"), "{}", e.message);
    remote.allow_remote = true;
    api::add_machine_rater(
        &mut ctx,
        m::AddMachineRater {
            name: "far".into(),
            config: remote,
        },
    )
    .unwrap();

    let s = run(&mut ctx, "gpt", None);
    assert!(!s.cancelled);
    assert_eq!(s.units as usize, units.len());
    assert_eq!(
        s.failed, 4,
        "outside the codebook, broken JSON, 500s, refusal"
    );
    assert_eq!(s.labelled as usize, units.len() - 4);
    assert_eq!(mock.stats().unauthorized, 0);
    let (answers, _) = ctx.study.machine_answers(Some(s.run), None, None).unwrap();
    assert_eq!(answers.len(), units.len());
    let by: BTreeMap<&str, &codebench::machine::MachineAnswer> =
        answers.iter().map(|a| (a.unit.as_str(), a)).collect();
    assert!(by[units[0].as_str()]
        .error
        .as_deref()
        .unwrap()
        .contains("outside the codebook"));
    assert_eq!(by[units[2].as_str()].attempts, 2);
    assert_eq!(by[units[2].as_str()].status, "ok");
    assert_eq!(by[units[3].as_str()].attempts, 3);
    for (i, u) in units.iter().enumerate() {
        let d = ctx.study.decision("gpt", u, "kind").unwrap();
        assert_eq!(
            d.is_some(),
            ![0, 1, 3, 4].contains(&i),
            "{u}: a failure is never a decision"
        );
    }
    let runs = api::machine_runs(
        &mut ctx,
        m::MachineRunsRequest {
            rater: Some("gpt".into()),
        },
    )
    .unwrap();
    assert_eq!(runs[0].model_version.as_deref(), Some("fp_mock_0001"));
    assert_eq!(runs[0].status, "done");
    assert_eq!(runs[0].prompt_sha256.len(), 64);
    assert!(runs[0].tokens_in > 0);
    // The model read the codebook and the unit's own files, and nothing of ana's codes.
    let body = mock.bodies()[5].to_string();
    assert!(body.contains("definition"));
    assert!(!body.contains("\"ana\"") && !body.contains("ana's"));

    // Agreement counts the machine like anyone, and leaves it out on request.
    let rep = api::agreement(
        &mut ctx,
        api::analysis::AgreementRequest {
            dimensions: vec!["kind".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let json = serde_json::to_string(&rep).unwrap();
    assert!(json.contains("gpt") && json.contains("ana"), "{json}");
    let people = api::agreement(
        &mut ctx,
        api::analysis::AgreementRequest {
            dimensions: vec!["kind".into()],
            include_machine: Some(false),
            ..Default::default()
        },
    );
    assert!(
        people.is_err(),
        "only one person decided: nothing to compare"
    );
    let list = api::list_raters(&mut ctx, api::raters::RatersRequest {}).unwrap();
    assert_eq!(
        list.iter().find(|r| r.name == "gpt").unwrap().kind,
        "machine"
    );
    assert_eq!(list.iter().find(|r| r.name == "ana").unwrap().kind, "human");

    // A second run asks only the units without a decision (the failed ones).
    let before = mock.stats().requests;
    let again = run(&mut ctx, "gpt", None);
    assert_eq!(again.units, 4);
    assert!(mock.stats().requests > before);

    // The exports carry the provenance.
    let out = dir.path().join("out");
    api::export_tables(
        &mut ctx,
        api::analysis::ExportTables {
            dir: out.display().to_string(),
            raw: false,
            ..Default::default()
        },
    )
    .unwrap();
    let runs_csv = std::fs::read_to_string(out.join("machine_runs.csv")).unwrap();
    assert!(runs_csv.starts_with("run,rater,backend,endpoint,model,model_version"));
    assert!(runs_csv.contains("fp_mock_0001"));
    let answers_csv = std::fs::read_to_string(out.join("machine_answers.csv")).unwrap();
    assert!(answers_csv.contains("outside the codebook"));
    // And every table can leave machine raters out: people only.
    let people = dir.path().join("people");
    api::export_tables(
        &mut ctx,
        api::analysis::ExportTables {
            dir: people.display().to_string(),
            raw: false,
            include_machine: Some(false),
        },
    )
    .unwrap();
    let all = std::fs::read_to_string(out.join("codings.csv")).unwrap();
    assert!(all.lines().any(|l| l.starts_with("gpt,")), "{all}");
    let codings = std::fs::read_to_string(people.join("codings.csv")).unwrap();
    assert!(
        codings.lines().skip(1).all(|l| l.starts_with("ana,")),
        "{codings}"
    );
    for t in ["machine_runs.csv", "machine_answers.csv"] {
        let text = std::fs::read_to_string(people.join(t)).unwrap();
        assert_eq!(text.lines().count(), 1, "{t}: header only");
    }
    assert!(!std::fs::read_to_string(people.join("codings_wide.csv"))
        .unwrap()
        .contains("gpt"));
    assert!(std::fs::read_to_string(out.join("agreement.csv"))
        .unwrap()
        .contains("gpt"));
    assert!(!std::fs::read_to_string(people.join("agreement.csv"))
        .unwrap()
        .contains("gpt"));
    // No key anywhere in the study file.
    drop(ctx);
    let bytes = std::fs::read(dir.path().join("s.codebench")).unwrap();
    assert!(!bytes.windows(7).any(|w| w == b"sk-test"));
}

#[test]
fn a_run_cancelled_midway_resumes_without_asking_any_unit_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = sample(dir.path());
    let units = kind_units(&study);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt
        .block_on(MockChat::start(
            vec![(units[1].clone(), Behaviour::Content("oops".into()))],
            ChatMockConfig::default(),
        ))
        .unwrap();
    let env = TestEnv::default();
    let mut ctx = Ctx::new(&mut study, None, &env);
    add_openai(&mut ctx, "llm", &mock.url());
    let first = run(&mut ctx, "llm", Some(3));
    assert!(first.cancelled);
    assert_eq!(first.labelled + first.failed, 3);
    assert_eq!(mock.stats().requests, 3);
    let second = run(&mut ctx, "llm", None);
    assert!(second.resumed);
    assert_eq!(second.run, first.run);
    assert_eq!(second.skipped, 3);
    assert!(!second.cancelled);
    let stats = mock.stats();
    assert_eq!(stats.requests as usize, units.len());
    assert!(
        stats.per_unit.values().all(|&n| n == 1),
        "{:?}",
        stats.per_unit
    );
    let runs = ctx.study.machine_runs(Some("llm")).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].answered, runs[0].failed, runs[0].status.as_str()),
        (units.len(), 1, "done")
    );
}

#[test]
fn in_a_blind_round_nobody_else_sees_the_machines_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = sample(dir.path());
    let units = kind_units(&study);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt
        .block_on(MockChat::start(Vec::new(), ChatMockConfig::default()))
        .unwrap();
    let env = TestEnv::default();
    let mut ctx = Ctx::new(&mut study, None, &env);
    api::add_rater(&mut ctx, api::raters::AddRater { name: "bob".into() }).unwrap();
    add_openai(&mut ctx, "llm", &mock.url());
    round_of_all(&mut ctx, units.len());
    api::assign_round(
        &mut ctx,
        api::rounds::AssignRound {
            round: "r1".into(),
            raters: vec!["bob".into(), "llm".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let task = Task::new(&|_| {}, flag);
    let s = api::run_machine(
        &mut ctx,
        m::RunMachine {
            rater: "llm".into(),
            round: Some("r1".into()),
            ..Default::default()
        },
        &task,
    )
    .unwrap();
    assert_eq!(s.labelled as usize, units.len());
    // Bob, before deciding, sees the machine's answers without codes or rationale.
    ctx.viewer = Some("bob".into());
    let a = api::machine_answers(&mut ctx, m::MachineAnswersRequest::default()).unwrap();
    assert_eq!(a.withheld, units.len());
    assert!(a
        .answers
        .iter()
        .all(|x| x.codes.is_empty() && x.rationale.is_none() && x.raw.is_none()));
    let d = api::decisions(
        &mut ctx,
        api::coding::DecisionsRequest {
            rater: Some("llm".into()),
        },
    )
    .unwrap();
    assert!(d.is_empty(), "{d:?}");
    let out = dir.path().join("bob");
    api::export_tables(
        &mut ctx,
        api::analysis::ExportTables {
            dir: out.display().to_string(),
            raw: false,
            ..Default::default()
        },
    )
    .unwrap();
    let csv = std::fs::read_to_string(out.join("machine_answers.csv")).unwrap();
    assert!(!csv.contains("say so"), "{csv}");
    // A copy handed out to Bob carries none of the machine's answers on the round's units.
    let copy = dir.path().join("bob.codebench");
    api::copy_study(
        &mut ctx,
        api::team::CopyStudy {
            out: copy.display().to_string(),
            for_rater: Some("bob".into()),
            round: Some("r1".into()),
            by: Some("carol".into()),
        },
    )
    .unwrap();
    let theirs = Study::open(&copy).unwrap();
    assert!(theirs
        .machine_answers(None, None, Some("llm"))
        .unwrap()
        .0
        .is_empty());
    assert_eq!(
        theirs.machine_runs(None).unwrap().len(),
        1,
        "the run's provenance stays"
    );
    // The machine rater itself sees its own.
    ctx.viewer = Some("llm".into());
    let a = api::machine_answers(&mut ctx, m::MachineAnswersRequest::default()).unwrap();
    assert_eq!(a.withheld, 0);
}

#[test]
fn a_local_model_reports_its_cross_validation_before_it_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = sample(dir.path());
    let units = kind_units(&study);
    let env = TestEnv::default();
    let mut ctx = Ctx::new(&mut study, None, &env);
    let cfg = MachineConfig {
        backend: Backend::Local,
        dimension: Some("kind".into()),
        train_on: Some("ana".into()),
        folds: Some(3),
        ..Default::default()
    };
    api::add_machine_rater(
        &mut ctx,
        m::AddMachineRater {
            name: "nb".into(),
            config: cfg,
        },
    )
    .unwrap();
    let e = api::evaluate_local(
        &mut ctx,
        m::EvaluateLocal {
            rater: "nb".into(),
            dimension: None,
        },
    )
    .unwrap();
    assert_eq!(e.folds, 3);
    assert!(e.units >= 4);
    assert!((0.0..=1.0).contains(&e.accuracy) && (0.0..=1.0).contains(&e.baseline_accuracy));
    // Its labels: every project unit ana decided is labelled (none skipped), with the
    // evaluation recorded on the run.
    ctx.study.clear_decision("ana", &units[0], "kind").unwrap();
    let s = run(&mut ctx, "nb", None);
    assert!(s.evaluation.is_some());
    assert_eq!(s.labelled as usize, units.len());
    let runs = ctx.study.machine_runs(Some("nb")).unwrap();
    assert!(runs[0].evaluation.is_some());
    // A machine rater cannot be what a local model learns from.
    let bad = MachineConfig {
        backend: Backend::Local,
        train_on: Some("nb".into()),
        ..Default::default()
    };
    assert!(api::add_machine_rater(
        &mut ctx,
        m::AddMachineRater {
            name: "nb2".into(),
            config: bad
        }
    )
    .is_err());
}

#[test]
fn the_routing_list_sends_people_where_machines_disagree_are_unsure_or_failed_and_stays_blind() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = sample(dir.path());
    let units = kind_units(&study);
    let (split, unsure, broken) = (&units[0], &units[1], &units[2]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Both answer every unit alike (confidence 0.75), except: on the three units m1 says
    // `model`, and m2 another code on `split`, `model` with confidence 0.2 on `unsure`, and
    // no JSON on `broken`.
    let said = |u: &String| (u.clone(), Behaviour::Answer(vec!["model".into()]));
    let m1 = rt
        .block_on(MockChat::start(
            vec![said(split), said(unsure), said(broken)],
            ChatMockConfig::default(),
        ))
        .unwrap();
    let script = vec![
        (
            split.clone(),
            Behaviour::Content(
                r#"{"codes": ["toolkit"], "rationale": "a toolkit", "confidence": 0.9}"#.into(),
            ),
        ),
        (
            unsure.clone(),
            Behaviour::Content(
                r#"{"codes": ["model"], "rationale": "maybe", "confidence": 0.2}"#.into(),
            ),
        ),
        (broken.clone(), Behaviour::Content("{not json".into())),
    ];
    let m2 = rt
        .block_on(MockChat::start(script, ChatMockConfig::default()))
        .unwrap();
    let env = TestEnv::default();
    let mut ctx = Ctx::new(&mut study, Some("ana".into()), &env);
    for (name, mock) in [("m1", &m1), ("m2", &m2)] {
        api::add_machine_rater(
            &mut ctx,
            m::AddMachineRater {
                name: name.into(),
                config: openai(&mock.url()),
            },
        )
        .unwrap();
        run(&mut ctx, name, None);
    }
    let r = api::machine_routing(&mut ctx, m::MachineRoutingRequest::default()).unwrap();
    assert_eq!(r.dimension, "kind");
    assert_eq!(r.raters, ["m1", "m2"]);
    assert_eq!((r.considered, r.withheld), (units.len(), 0));
    let listed: Vec<(&str, Vec<&str>)> = r
        .units
        .iter()
        .map(|u| {
            (
                u.unit.as_str(),
                u.reasons.iter().map(|x| x.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (split.as_str(), vec!["disagree"]),
            (unsure.as_str(), vec!["low_confidence"]),
            (broken.as_str(), vec!["failed"]),
        ]
    );
    assert_eq!(r.units[1].min_confidence, Some(0.2));
    // A stricter threshold routes every unit; one machine alone cannot disagree.
    let strict = api::machine_routing(
        &mut ctx,
        m::MachineRoutingRequest {
            raters: vec!["m1".into()],
            below: Some(0.8),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(strict.units.len(), units.len());
    assert!(strict
        .units
        .iter()
        .all(|u| u.reasons == [codebench::machine::RouteReason::LowConfidence]));
    let bad = api::machine_routing(
        &mut ctx,
        m::MachineRoutingRequest {
            raters: vec!["ana".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(bad.message.contains("not a machine rater"), "{bad:?}");
    // In a round not revealed yet, nobody learns where the machines disagree.
    round_of_all(&mut ctx, units.len());
    let blind = api::machine_routing(&mut ctx, m::MachineRoutingRequest::default()).unwrap();
    assert_eq!((blind.considered, blind.withheld), (0, units.len()));
    assert!(blind.units.is_empty());
}

#[test]
fn assist_shows_suggestions_outside_rounds_and_the_decision_says_it_was_assisted() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = sample(dir.path());
    study.add_rater("ben").unwrap();
    let units = kind_units(&study);
    let (shown, alone, broken, blind) = (&units[0], &units[1], &units[2], &units[3]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt
        .block_on(MockChat::start(
            vec![
                (
                    shown.clone(),
                    Behaviour::Content(
                        r#"{"codes": ["toolkit"], "rationale": "a library to import", "confidence": 0.7}"#.into(),
                    ),
                ),
                (broken.clone(), Behaviour::Content("{not json".into())),
            ],
            ChatMockConfig::default(),
        ))
        .unwrap();
    let env = TestEnv::default();
    let mut ctx = Ctx::new(&mut study, Some("ben".into()), &env);
    add_openai(&mut ctx, "m1", &mock.url());
    run(&mut ctx, "m1", None);
    let ask = |ctx: &mut Ctx<'_>, unit: &str| {
        api::machine_suggestions(
            ctx,
            m::MachineSuggestionsRequest {
                rater: "ben".into(),
                unit: unit.into(),
                dimension: "kind".into(),
            },
        )
    };
    let decide = |ctx: &mut Ctx<'_>, unit: &str| {
        api::record_decision(
            ctx,
            codebench::coding::DecisionInput {
                rater: "ben".into(),
                unit: unit.into(),
                dimension: "kind".into(),
                codes: vec!["model".into()],
                ..Default::default()
            },
        )
        .unwrap()
        .decision
    };
    let s = ask(&mut ctx, shown).unwrap();
    assert!(s.recorded);
    assert_eq!(s.suggestions.len(), 1);
    assert_eq!(s.suggestions[0].rater, "m1");
    assert_eq!(s.suggestions[0].codes, ["toolkit"]);
    assert_eq!(s.suggestions[0].rationale, "a library to import");
    assert_eq!(s.suggestions[0].confidence, Some(0.7));
    // A failed answer is named, with nothing to suggest, and nothing is recorded.
    let f = ask(&mut ctx, broken).unwrap();
    assert_eq!(
        (f.suggestions.len(), f.failed.clone(), f.recorded),
        (0, vec!["m1".to_string()], false)
    );
    // The decision made after seeing it says so; one made alone does not, nor later edits of it.
    assert_eq!(decide(&mut ctx, shown).suggested_by, ["m1"]);
    assert!(decide(&mut ctx, alone).suggested_by.is_empty());
    assert!(decide(&mut ctx, broken).suggested_by.is_empty());
    let read = api::decisions(
        &mut ctx,
        api::coding::DecisionsRequest {
            rater: Some("ben".into()),
        },
    )
    .unwrap();
    let by: BTreeMap<&str, &Vec<String>> = read
        .iter()
        .map(|d| (d.unit.as_str(), &d.suggested_by))
        .collect();
    assert_eq!(by[shown.as_str()], &vec!["m1".to_string()]);
    assert!(by[alone.as_str()].is_empty());
    // Someone else at the keyboard cannot ask in ben's name, and a machine is never "shown".
    let mut ana = Ctx::new(ctx.study, Some("ana".into()), &env);
    let e = ask(&mut ana, shown).unwrap_err();
    assert!(e.message.contains("working as 'ana'"), "{e:?}");
    let e = api::machine_suggestions(
        &mut Ctx::new(ana.study, None, &env),
        m::MachineSuggestionsRequest {
            rater: "m1".into(),
            unit: shown.clone(),
            dimension: "kind".into(),
        },
    )
    .unwrap_err();
    assert!(e.message.contains("machine rater"), "{e:?}");
    // codings.csv carries the mark, and importing it into another study keeps it.
    let mut ctx = Ctx::new(ana.study, Some("ben".into()), &env);
    let mut csv = Vec::new();
    codebench::export::write_codings(ctx.study, None, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.lines().next().unwrap().ends_with(",suggested_by"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("ben,{shown},kind,model,")) && l.ends_with(",m1")),
        "{csv}"
    );
    let file = dir.path().join("codings.csv");
    std::fs::write(&file, &csv).unwrap();
    let mut other = codebench::sample::create(&dir.path().join("other.codebench")).unwrap();
    other.import_codings(&file).unwrap();
    let d = other.decision("ben", shown, "kind").unwrap().unwrap();
    assert_eq!(d.suggested_by, ["m1"]);
    assert!(other
        .decision("ben", alone, "kind")
        .unwrap()
        .unwrap()
        .suggested_by
        .is_empty());
    // In a round not revealed yet, nothing is suggested, to anyone.
    round_of_all(&mut ctx, units.len());
    let e = ask(&mut ctx, blind).unwrap_err();
    assert_eq!(e.kind, api::ErrorKind::Blind, "{e:?}");
    assert!(
        e.message.contains("blind until round r1 is revealed"),
        "{e:?}"
    );
}

#[test]
fn a_machine_run_made_in_a_copy_merges_back_as_a_machine_with_its_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = sample(dir.path());
    let copy = dir.path().join("copy.codebench");
    study
        .copy_to(&codebench::copy::CopySpec {
            out: copy.clone(),
            for_rater: None,
            round: None,
            by: "lead".into(),
        })
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt
        .block_on(MockChat::start(Vec::new(), ChatMockConfig::default()))
        .unwrap();
    let env = TestEnv::default();
    let mut other = Study::open(&copy).unwrap();
    let mut ctx = Ctx::new(&mut other, None, &env);
    add_openai(&mut ctx, "m1", &mock.url());
    let ran = run(&mut ctx, "m1", None);
    drop(other);
    let r = study.merge_from(&copy).unwrap();
    assert!(r.merged);
    assert_eq!(r.raters_added, ["m1"]);
    assert_eq!(r.machine_runs_added, 1);
    assert_eq!(r.machine_answers_added as u64, ran.units);
    // It is a machine here too: configured, its run's provenance and answers on record, its
    // decisions left out when asked to leave machines out.
    let here = study.machine_rater("m1").unwrap();
    assert_eq!(here.config.model.as_deref(), Some("mock-model"));
    let runs = study.machine_runs(Some("m1")).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "done");
    assert_eq!(runs[0].model_version.as_deref(), Some("fp_mock_0001"));
    let (answers, withheld) = study.machine_answers(None, Some("m1"), None).unwrap();
    assert_eq!((answers.len() as u64, withheld), (ran.units, 0));
    // Merging again brings nothing new.
    let again = study.merge_from(&copy).unwrap();
    assert_eq!(
        (again.machine_runs_added, again.machine_answers_added),
        (0, 0)
    );
    assert!(!again.changed(), "{again:?}");
    // A copy handed out for ana brings no machine run, as it brings no one else's decisions.
    let anas = dir.path().join("ana.codebench");
    study
        .copy_to(&codebench::copy::CopySpec {
            out: anas.clone(),
            for_rater: Some("ana".into()),
            round: None,
            by: "lead".into(),
        })
        .unwrap();
    let mut hers = Study::open(&anas).unwrap();
    let mut ctx = Ctx::new(&mut hers, None, &env);
    add_openai(&mut ctx, "m2", &mock.url());
    run(&mut ctx, "m2", None);
    drop(hers);
    let r = study.merge_from(&anas).unwrap();
    assert_eq!(r.handed_out_for.as_deref(), Some("ana"));
    assert_eq!((r.machine_runs_added, r.machine_runs_left_out), (0, 1));
    assert!(study.machine_runs(Some("m2")).unwrap().is_empty());
}
