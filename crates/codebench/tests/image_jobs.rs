//! Persisted metrics jobs against a real `docker-registry` on 127.0.0.1: image metrics stored,
//! a shared base layer analysed once, 503 + Retry-After back-off, retry, resume after a kill,
//! and the first-decision hook.

#[path = "registry_support/mod.rs"]
mod registry_support;

use codebench::codebook::Codebook;
use codebench::coding::DecisionInput;
use codebench::jobs::{JobKind, JobState, RunOptions};
use codebench::Study;
use registry_support::*;

fn study(dir: &tempfile::TempDir) -> Study {
    Study::create(dir.path().join("s.codebench"), &Codebook::shipped()).unwrap()
}

fn run(s: &mut Study, opts: &RunOptions) -> codebench::jobs::RunSummary {
    let mut events = Vec::new();
    let summary = s.run_jobs(opts, &mut |e| events.push(e.clone())).unwrap();
    // Every job that ran reported its start and its end.
    for j in s.jobs().unwrap() {
        let mine: Vec<_> = events.iter().filter(|e| e.job.id == j.id).collect();
        if !mine.is_empty() {
            assert_eq!(mine[0].note, "started", "{mine:?}");
            assert_eq!(mine.last().unwrap().job.state, j.state, "{mine:?}");
        }
    }
    summary
}

#[test]
fn two_images_sharing_a_base_layer_are_stored_and_the_base_is_analysed_once() {
    let reg = Registry::start();
    let (a, b) = two_images();
    assert_eq!(
        a.layers[0].digest, b.layers[0].digest,
        "the images share their base"
    );
    reg.push_image("ns/a", "1", &a);
    reg.push_image("ns/b", "1", &b);
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(&dir);
    let ra = format!("{}/ns/a:1", reg.addr);
    let rb = format!("{}/ns/b:1", reg.addr);
    assert!(s.enqueue_image(&ra).unwrap());
    assert!(s.enqueue_image(&rb).unwrap());
    assert!(!s.enqueue_image(&ra).unwrap(), "a job per (kind, target)");
    let opts = RunOptions {
        concurrency: 2,
        ..Default::default()
    };
    let sum = run(&mut s, &opts);
    assert_eq!(
        (sum.done, sum.failed),
        (2, 0),
        "{sum:?} {:?}",
        s.jobs().unwrap()
    );
    assert_eq!(
        sum.layers_analysed, 3,
        "base + two top layers, base once: {sum:?}"
    );
    assert_eq!(sum.layers_reused, 1, "{sum:?}");
    assert_eq!(s.cached_layers().unwrap(), 3);
    for j in s.jobs().unwrap() {
        assert_eq!((j.state, j.progress, j.attempts), (JobState::Done, 1.0, 1));
    }
    let ma = s.image_metrics(Some(&ra)).unwrap();
    let mb = s.image_metrics(Some(&rb)).unwrap();
    assert_eq!((ma.len(), mb.len()), (1, 1));
    assert_eq!(ma[0].platform, "linux/amd64");
    let ia = ma[0].report.image.as_ref().unwrap();
    let ib = mb[0].report.image.as_ref().unwrap();
    assert_eq!(ia.manifest_digest, sha(&a.manifest));
    assert_eq!((ia.env_count, ib.env_count), (2, 3));
    assert_eq!((ia.layer_count, ib.layer_count), (2, 2));
    assert_eq!(ia.filesystem.files, 5);
    assert_eq!(ib.filesystem.files, 4);
    assert_eq!(
        ia.filesystem.total_bytes,
        30_000 + 200 + 12_000 + 900 + 5000
    );
    assert_eq!(ia.filesystem.max_directory_level, 3);
    assert_eq!(ma[0].report.layers[0], mb[0].report.layers[0]);

    // A third image on the same base, in a later run: the base comes from the study's cache.
    let c = image(
        vec![
            layer(&[
                ("usr/bin/python3", 30_000),
                ("etc/os-release", 200),
                ("usr/lib/x86_64-linux-gnu/libc.so.6", 12_000),
            ]),
            layer(&[("opt/x", 10)]),
        ],
        &["X=1"],
    );
    reg.push_image("ns/c", "1", &c);
    s.enqueue_image(&format!("{}/ns/c:1", reg.addr)).unwrap();
    let sum = run(&mut s, &opts);
    assert_eq!(
        (sum.done, sum.layers_analysed, sum.layers_reused),
        (1, 1, 1),
        "{sum:?}"
    );
    assert_eq!(s.cached_layers().unwrap(), 4);
    // Done jobs are not run again.
    let sum = run(&mut s, &opts);
    assert_eq!((sum.done, sum.layers_analysed), (0, 0));
}

#[test]
fn image_metrics_reach_images_csv_layers_csv_and_table_2() {
    let reg = Registry::start();
    let (a, b) = two_images();
    reg.push_image("ns/a", "1", &a);
    reg.push_image("ns/b", "1", &b);
    let dir = tempfile::tempdir().unwrap();
    let mut s = codebench::sample::create(&dir.path().join("s.codebench")).unwrap();
    let ra = format!("{}/ns/a:1", reg.addr);
    let rb = format!("{}/ns/b:1", reg.addr);
    // a belongs to two projects (a model and a toolkit), b to the toolkit only.
    s.add_image_ref("basalt-ai/autotune", &ra).unwrap();
    s.add_image_ref("quarry-data/siftkit", &ra).unwrap();
    s.add_image_ref("quarry-data/siftkit", &rb).unwrap();
    s.add_rater("ana").unwrap();
    for (unit, kind) in [
        ("basalt-ai/autotune", "model"),
        ("quarry-data/siftkit", "toolkit"),
    ] {
        s.record(&DecisionInput {
            rater: "ana".into(),
            unit: unit.into(),
            dimension: "kind".into(),
            codes: vec![kind.into()],
            memo: None,
            flagged: None,
        })
        .unwrap();
    }
    for r in [&ra, &rb] {
        s.enqueue_image(r).unwrap();
    }
    let sum = run(&mut s, &RunOptions::default());
    assert_eq!(sum.failed, 0, "{:?}", s.jobs().unwrap());

    let out = dir.path().join("export");
    codebench::export::export_all(&s, &out, &Default::default()).unwrap();
    let read = |name: &str| {
        let mut r = csv::Reader::from_path(out.join(name)).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    };
    let (header, images) = read("images.csv");
    assert_eq!(header, codebench::export::IMAGES_COLUMNS);
    assert_eq!(images.len(), 2);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row_a = images.iter().find(|r| r[0] == ra).unwrap();
    assert_eq!(
        row_a[col("projects")],
        "basalt-ai/autotune;quarry-data/siftkit"
    );
    assert_eq!(row_a[col("platform")], "linux/amd64");
    assert_eq!(row_a[col("manifest_digest")], sha(&a.manifest));
    assert_eq!(row_a[col("env_count")], "2");
    assert_eq!(row_a[col("layer_count")], "2");
    assert_eq!(row_a[col("files")], "5");
    assert_eq!(
        row_a[col("total_bytes")],
        (30_000 + 200 + 12_000 + 900 + 5000).to_string()
    );
    assert_eq!(row_a[col("max_directory_level")], "3");
    let (lheader, layers) = read("layers.csv");
    assert_eq!(lheader, codebench::export::LAYERS_COLUMNS);
    assert_eq!(layers.len(), 4, "two layers per image");
    let la: Vec<&Vec<String>> = layers.iter().filter(|r| r[0] == ra).collect();
    assert_eq!((la[0][2].as_str(), la[1][2].as_str()), ("0", "1"));
    assert_eq!(la[0][3], a.layers[0].digest);
    assert_eq!(la[0][5], "gzip");
    // The shared base layer has the same row in both images.
    let lb0 = layers.iter().find(|r| r[0] == rb && r[2] == "0").unwrap();
    assert_eq!(la[0][3..], lb0[3..]);

    // Table 2: the model's one image, the toolkit's two.
    let report = s
        .report(
            &codebench::report::Labels::Rater("ana".into()),
            None,
            codebench::report::Compare::Ease2022,
        )
        .unwrap();
    let t = report.tables.iter().find(|t| t.id == "images").unwrap();
    let c = |name: &str| t.columns.iter().position(|h| h == name).unwrap();
    assert_eq!(t.rows.len(), 2, "{:?}", t.rows);
    let model = t.rows.iter().find(|r| r[0] == "Model").unwrap();
    assert_eq!(
        (model[c("projects")].as_str(), model[c("images")].as_str()),
        ("1", "1")
    );
    assert_eq!(model[c("files")], "5");
    assert_eq!(model[c("env_vars")], "2");
    assert_eq!(model[c("architectures")], "amd64");
    assert_eq!(model[c("ease2022_files")], "51943");
    let toolkit = t.rows.iter().find(|r| r[0] == "Toolkit").unwrap();
    assert_eq!(toolkit[c("images")], "2");
    assert_eq!(toolkit[c("files")], "4.5", "median of 5 and 4");
    assert_eq!(toolkit[c("env_vars")], "2.5");
}

#[test]
fn unavailable_registry_fails_retryable_with_not_before_and_retry_succeeds() {
    let reg = Registry::start();
    let (a, _) = two_images();
    reg.push_image("ns/a", "1", &a);
    let proxy = Proxy::start(&reg.addr);
    proxy.set(Mode::Unavailable);
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(&dir);
    s.enqueue_image("registry.test/ns/a:1").unwrap();
    let opts = RunOptions {
        registry_base_url: Some(format!("http://{}", proxy.addr)),
        ..Default::default()
    };
    let before = chrono::Utc::now();
    let sum = run(&mut s, &opts);
    assert_eq!((sum.done, sum.failed), (0, 1));
    let j = &s.jobs().unwrap()[0];
    assert_eq!(j.state, JobState::Failed);
    assert!(j.retryable, "{j:?}");
    assert!(j.error.as_deref().unwrap().contains("503"), "{j:?}");
    let nb = chrono::DateTime::parse_from_rfc3339(j.not_before.as_deref().unwrap()).unwrap();
    let wait = (nb.with_timezone(&chrono::Utc) - before).num_seconds();
    assert!(
        (115..=125).contains(&wait),
        "Retry-After 120 honoured, got {wait}s"
    );
    assert!(s.image_metrics(None).unwrap().is_empty());

    // Before not_before nothing is retried, even with the registry back.
    proxy.set(Mode::Up);
    let sum = run(&mut s, &opts);
    assert_eq!((sum.done, sum.failed, sum.waiting), (0, 0, 0));
    assert_eq!(s.jobs().unwrap()[0].state, JobState::Failed);

    // An explicit retry queues it now; it succeeds.
    let id = s.jobs().unwrap()[0].id;
    assert_eq!(s.retry_job(id).unwrap().state, JobState::Queued);
    let sum = run(&mut s, &opts);
    assert_eq!(sum.done, 1, "{:?}", s.jobs().unwrap());
    let j = s.job(id).unwrap();
    assert_eq!(
        (j.state, j.attempts, j.retryable),
        (JobState::Done, 2, false)
    );
    assert_eq!(s.image_metrics(None).unwrap().len(), 1);
    // Done jobs cannot be retried or cancelled.
    assert!(s.retry_job(id).is_err());
    assert!(s.cancel_job(id).is_err());
}

#[test]
fn a_job_left_running_by_a_killed_process_resumes_and_cancelled_jobs_stay() {
    let reg = Registry::start();
    let (a, b) = two_images();
    reg.push_image("ns/a", "1", &a);
    reg.push_image("ns/b", "1", &b);
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(&dir);
    let ra = format!("{}/ns/a:1", reg.addr);
    s.enqueue_image(&ra).unwrap();
    s.enqueue_image(&format!("{}/ns/b:1", reg.addr)).unwrap();
    let (ja, jb) = (s.jobs().unwrap()[0].id, s.jobs().unwrap()[1].id);
    // What a process killed mid-run leaves behind.
    let c = rusqlite::Connection::open(dir.path().join("s.codebench")).unwrap();
    c.execute(
        "UPDATE job SET state = 'running', attempts = 1 WHERE id = ?1",
        [ja],
    )
    .unwrap();
    drop(c);
    assert_eq!(s.cancel_job(jb).unwrap().state, JobState::Cancelled);
    let sum = run(&mut s, &RunOptions::default());
    assert_eq!((sum.resumed, sum.done), (1, 1), "{sum:?}");
    assert_eq!(s.job(ja).unwrap().state, JobState::Done);
    assert_eq!(s.job(ja).unwrap().attempts, 2);
    assert_eq!(s.job(jb).unwrap().state, JobState::Cancelled);
    assert_eq!(s.image_metrics(None).unwrap().len(), 1);
    s.retry_job(jb).unwrap();
    assert_eq!(run(&mut s, &RunOptions::default()).done, 1);
    assert!(s.cancel_job(9999).is_err());
    // A job another process is running (its lease is fresh) is not taken from it; once the
    // lease has run out (that process died), the next run takes it back.
    s.retry_job(jb).unwrap_err();
    let c = rusqlite::Connection::open(dir.path().join("s.codebench")).unwrap();
    c.execute(
        "UPDATE job SET state = 'running', lease_owner = 'other:1:t', lease_until = '2999-01-01T00:00:00.000Z' WHERE id = ?1",
        [jb],
    )
    .unwrap();
    let sum = run(&mut s, &RunOptions::default());
    assert_eq!((sum.resumed, sum.done), (0, 0), "{sum:?}");
    assert_eq!(s.job(jb).unwrap().state, JobState::Running);
    c.execute(
        "UPDATE job SET lease_until = '2000-01-01T00:00:00.000Z' WHERE id = ?1",
        [jb],
    )
    .unwrap();
    let sum = run(&mut s, &RunOptions::default());
    assert_eq!((sum.resumed, sum.done), (1, 1), "{sum:?}");
}

#[test]
fn first_decision_queues_the_projects_metrics_and_image_ref_is_read_when_present() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.codebench");
    codebench::sample::create(&path).unwrap();
    let mut s = Study::open(&path).unwrap();
    let before = s.jobs().unwrap().len();
    let units = s.units().unwrap();
    let unit = units
        .iter()
        .find(|u| u.kind == "project")
        .unwrap()
        .name
        .clone();
    let book = s.codebook().unwrap();
    let dim = book
        .dimensions
        .iter()
        .find(|d| d.unit.as_str() == "project")
        .unwrap();
    let code = dim.codes[0].id.clone();
    s.add_rater("ann").unwrap();
    s.add_rater("bob").unwrap();
    let decide = |rater: &str| DecisionInput {
        rater: rater.into(),
        unit: unit.clone(),
        dimension: dim.id.clone(),
        codes: vec![code.clone()],
        memo: None,
        flagged: None,
    };
    let had_decisions = s
        .decisions(None)
        .unwrap()
        .iter()
        .any(|d| d.unit == unit || d.unit.starts_with(&format!("{unit}:")));
    s.record(&decide("ann")).unwrap();
    let jobs = s.jobs().unwrap();
    let mine: Vec<_> = jobs.iter().filter(|j| j.target == unit).collect();
    if !had_decisions {
        assert_eq!(jobs.len(), before + 1, "{jobs:?}");
    }
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].kind, JobKind::DockerfileMetrics);
    s.record(&decide("bob")).unwrap();
    assert_eq!(
        s.jobs().unwrap().len(),
        jobs.len(),
        "only the first decision queues"
    );

    // The Dockerfile job runs and stores analyses.
    let sum = run(
        &mut s,
        &RunOptions {
            kinds: Some(vec![JobKind::DockerfileMetrics]),
            project: Some(unit.clone()),
            ..Default::default()
        },
    );
    assert_eq!(sum.done, 1);

    // The project's image references (here added by hand) become image jobs.
    s.add_image_ref(&unit, "example.org/team/model:1").unwrap();
    assert_eq!(s.enqueue_metrics(Some(&unit)).unwrap(), 1);
    let img: Vec<_> = s
        .jobs()
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == JobKind::ImageMetrics)
        .collect();
    assert_eq!(img.len(), 1);
    assert_eq!(img[0].target, "example.org/team/model:1");
    assert!(s.enqueue_metrics(Some("no/such")).is_err());
    assert!(s.enqueue_image("Not A Ref!!").is_err());
}
