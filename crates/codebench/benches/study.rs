//! `make bench`: the study file's hot paths, each beside a raw-SQLite baseline on the same disk.
//!
//! - recording one decision (validated, one transaction with its history row, synchronous=FULL)
//!   against a bare INSERT in its own transaction with the same durability;
//! - opening a 10,000-project study and listing its units, against opening the file with
//!   rusqlite and selecting the unit names.

use std::time::{Duration, Instant};

use codebench::codebook::Codebook;
use codebench::coding::DecisionInput;
use codebench::corpus::{FileContent, FileInput, Role, SnapshotInput, Source};
use codebench::Study;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p95(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 95 / 100).min(v.len() - 1)]
}

fn project(i: usize) -> SnapshotInput {
    let text = |s: String| FileInput {
        size: s.len() as u64,
        path: String::new(),
        role: Role::Readme,
        content: FileContent::Text(s),
    };
    let readme = FileInput {
        path: "README.md".into(),
        role: Role::Readme,
        ..text(format!(
            "# Project {i}\n\nA fictional project for the bench.\n"
        ))
    };
    let df = |p: &str| FileInput {
        path: p.into(),
        role: Role::Dockerfile,
        ..text(format!(
            "FROM python:3.11\nRUN pip install project{i}\nCMD [\"python\", \"-m\", \"p{i}\"]\n"
        ))
    };
    SnapshotInput {
        full_name: format!("owner{}/project{i}", i % 97),
        source: Source::Local,
        location: None,
        commit: Some(format!("{i:040x}")),
        metadata: serde_json::json!({}),
        files: vec![readme, df("Dockerfile"), df("docker/Dockerfile.gpu")],
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.codebench");
    let t = Instant::now();
    let mut study = Study::create(&path, &Codebook::shipped()).unwrap();
    let inputs: Vec<SnapshotInput> = (0..10_000).map(project).collect();
    study.store_snapshots(&inputs).unwrap();
    println!(
        "built a study of 10,000 projects (30,000 units) in {:.2?}",
        t.elapsed()
    );
    for r in ["alice", "bob"] {
        study.add_rater(r).unwrap();
    }

    // 1. Recording a decision.
    let mut times = Vec::new();
    let kinds = [
        "model",
        "application-system",
        "mlops-aiops",
        "toolkit",
        "dl-framework",
    ];
    for i in 0..1000 {
        let input = DecisionInput {
            rater: if i % 2 == 0 { "alice" } else { "bob" }.into(),
            unit: format!("owner{}/project{i}", i % 97),
            dimension: "kind".into(),
            codes: vec![kinds[i % kinds.len()].into()],
            memo: Some(format!("memo {i}")),
            flagged: None,
        };
        let t = Instant::now();
        study.record(&input).unwrap();
        times.push(t.elapsed());
    }
    let ours = median(times);
    drop(study);

    let base_path = dir.path().join("baseline.sqlite");
    let conn = rusqlite::Connection::open(&base_path).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE d (rater TEXT, unit TEXT, code TEXT, memo TEXT)")
        .unwrap();
    let mut times = Vec::new();
    for i in 0..1000 {
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        conn.execute(
            "INSERT INTO d VALUES ('alice', ?1, 'model', ?2)",
            [format!("u{i}"), format!("memo {i}")],
        )
        .unwrap();
        conn.execute_batch("COMMIT").unwrap();
        times.push(t.elapsed());
    }
    let base = median(times);
    println!(
        "record a decision: median {:.3} ms (budget 1 ms); bare durable INSERT: {:.3} ms; ratio {:.2}x",
        ours.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3,
        ours.as_secs_f64() / base.as_secs_f64()
    );

    // 2. Opening the study and listing its units.
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let s = Study::open(&path).unwrap();
        n = s.units().unwrap().len();
        times.push(t.elapsed());
    }
    let ours = median(times);
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let c = rusqlite::Connection::open(&path).unwrap();
        let names: Vec<String> = c
            .prepare("SELECT name FROM unit ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(names.len(), n);
        times.push(t.elapsed());
    }
    let base = median(times);
    println!(
        "open a 10,000-project study and list its {n} units: median {:.1} ms (budget 200 ms); raw SELECT: {:.1} ms; ratio {:.2}x",
        ours.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3,
        ours.as_secs_f64() / base.as_secs_f64()
    );

    // 3. Opening one unit as a rater does: README rendered, Dockerfiles, this rater's decision.
    let s = Study::open(&path).unwrap();
    let mut times = Vec::new();
    for i in 0..200 {
        let name = format!("owner{}/project{}", (i * 37) % 97, i * 37);
        let t = Instant::now();
        let view = s.project_view(&name).unwrap();
        let _ = s.decision("alice", &name, "kind").unwrap();
        assert_eq!(view.dockerfiles.len(), 2);
        times.push(t.elapsed());
    }
    println!("open a unit (README rendered + Dockerfiles + the rater's decision): p95 {:.2} ms (budget 50 ms)", p95(times).as_secs_f64() * 1e3);

    // 4. A full agreement report from the study: 10,000 Dockerfile units x 33 purpose codes x
    //    5 raters, decisions read from SQLite, against the statistics alone on the same ratings.
    drop(s);
    let mut study = Study::open(&path).unwrap();
    let book = study.codebook().unwrap();
    let codes: Vec<String> = book
        .dimension("purpose")
        .unwrap()
        .codes
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let raters = ["r1", "r2", "r3", "r4", "r5"];
    for r in raters {
        study.add_rater(r).unwrap();
    }
    let t = Instant::now();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..10_000 {
        let unit = format!("owner{}/project{i}:Dockerfile", i % 97);
        let truth = [
            codes[(i * 7) % codes.len()].clone(),
            codes[(i * 13) % codes.len()].clone(),
        ];
        for r in raters {
            let mut chosen: Vec<String> =
                truth.iter().filter(|_| next() % 10 < 8).cloned().collect();
            if next() % 10 == 0 {
                chosen.push(codes[(next() as usize) % codes.len()].clone());
            }
            let input = DecisionInput {
                rater: r.into(),
                unit: unit.clone(),
                dimension: "purpose".into(),
                codes: chosen,
                memo: None,
                flagged: None,
            };
            study.record(&input).unwrap();
        }
    }
    println!("recorded 50,000 purpose decisions in {:.1?}", t.elapsed());
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let report = study
            .agreement(&["purpose".to_string()], None, &Default::default())
            .unwrap();
        rows = report.results.len();
        times.push(t.elapsed());
    }
    let ours = median(times);
    let ratings = study.ratings("purpose", None).unwrap();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        codebench::agreement::report(&ratings, &Default::default()).unwrap();
        times.push(t.elapsed());
    }
    let base = median(times);
    println!(
        "agreement report from the study, 10,000 units x 33 codes x 5 raters ({rows} rows): median {:.1} ms (budget 100 ms); statistics alone: {:.1} ms; ratio {:.2}x",
        ours.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3,
        ours.as_secs_f64() / base.as_secs_f64()
    );
}
