//! The selection against the local GitHub and Docker Hub look-alikes on 127.0.0.1.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use codebench_github::mock::{Fixture, FixtureRepo, MockConfig, MockGitHub, RepoState};
use codebench_hub::mock::{HubFixtureRepo, HubMockConfig, MockHub};

use super::*;
use crate::codebook::Codebook;
use crate::corpus::names::{role_of, Role};

const QUERY: &str = "topic:mlops fork:true";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn study() -> (tempfile::TempDir, Study) {
    let dir = tempfile::tempdir().unwrap();
    let s = Study::create(dir.path().join("s.codebench"), &Codebook::shipped()).unwrap();
    (dir, s)
}

fn net(gh: &MockGitHub, hub: Option<&MockHub>) -> NetOptions {
    NetOptions {
        api_url: Some(gh.url()),
        hub_url: hub.map(MockHub::url),
        token: Some("test-token".into()),
        concurrency: 8,
        cancel: None,
    }
}

fn quiet(_: SelectProgress) {}

/// A topic fixture whose Docker Hub answers depend on the README: a third of the repositories
/// name an image `images/<repo>` in their README (on the mock Hub), a third have an image
/// under their own name (on the mock Hub), a third have none.
fn hub_fixture(n: usize) -> (Fixture, Vec<HubFixtureRepo>) {
    let mut fixture = Fixture::topic("mlops", n);
    let mut hub = Vec::new();
    for (i, r) in fixture.repos.iter_mut().enumerate() {
        let (owner, repo) = r.full_name.split_once('/').unwrap();
        let (owner, repo) = (owner.to_string(), repo.to_string());
        match i % 3 {
            0 => {
                for f in r.files.iter_mut().filter(|f| f.0 == "README.md") {
                    f.1 = format!("# {repo}\n\n```\ndocker pull images/{repo}:latest\n```\n")
                        .into_bytes();
                }
                hub.push(HubFixtureRepo::new("images", &repo).with_tags(3));
            }
            1 => hub.push(HubFixtureRepo::new(&owner, &repo)),
            _ => {}
        }
    }
    (fixture, hub)
}

/// Whether the importer's rules see a Dockerfile in a fixture repository.
fn has_dockerfile(r: &FixtureRepo) -> bool {
    r.state == RepoState::Normal
        && r.files
            .iter()
            .any(|(p, _, link)| !link && role_of(p) == Some(Role::Dockerfile))
}

fn counts(steps: &[Step]) -> Vec<(u64, u64)> {
    steps
        .iter()
        .map(|s| (s.count_in.unwrap(), s.count_out.unwrap()))
        .collect()
}

#[test]
fn the_funnel_gives_exactly_the_counts_the_fixture_implies() {
    let rt = rt();
    let (fixture, hub_repos) = hub_fixture(1200);
    let repos = fixture.repos.clone();
    let gh = rt
        .block_on(MockGitHub::start(fixture, MockConfig::default()))
        .unwrap();
    let hub = rt
        .block_on(MockHub::start(hub_repos, HubMockConfig::default()))
        .unwrap();
    let (_dir, mut s) = study();
    let net = net(&gh, Some(&hub));

    let search = s
        .select_search(QUERY, Some("2024-01-01"), false, &net, &quiet)
        .unwrap();
    assert_eq!(search.status, StepStatus::Done, "{:?}", search.error);
    assert_eq!(
        (search.count_in, search.count_out),
        (Some(1200), Some(1200))
    );
    assert!(search.parameters["slices"].as_u64().unwrap() >= 2);

    let steps = s
        .select_filter(
            &[
                Criterion::MinCommits { min: 100 },
                Criterion::MinReleases { min: 1 },
                Criterion::NotArchived,
                Criterion::HasDockerfile,
                Criterion::HasHubImage,
            ],
            &net,
            &quiet,
        )
        .unwrap();
    assert!(steps.iter().all(|s| s.status == StepStatus::Done));
    // What the fixture implies, step by step.
    let mut expected = Vec::new();
    let mut left: Vec<(usize, &FixtureRepo)> = repos.iter().enumerate().collect();
    let keep = |left: &mut Vec<(usize, &FixtureRepo)>,
                expected: &mut Vec<(u64, u64)>,
                f: &dyn Fn(usize, &FixtureRepo) -> bool| {
        let before = left.len() as u64;
        left.retain(|(i, r)| f(*i, r));
        expected.push((before, left.len() as u64));
    };
    keep(&mut left, &mut expected, &|_, r| r.commits >= 100);
    keep(&mut left, &mut expected, &|_, r| r.releases >= 1);
    keep(&mut left, &mut expected, &|_, r| !r.archived);
    keep(&mut left, &mut expected, &|_, r| has_dockerfile(r));
    keep(&mut left, &mut expected, &|i, _| i % 3 != 2);
    assert_eq!(counts(&steps), expected);
    assert!(
        expected.iter().all(|(i, o)| o < i && *o > 0),
        "{expected:?}"
    );
    // Reasons name what was found.
    let reasons: Vec<&str> = steps[0]
        .excluded
        .iter()
        .map(|e| e.reason.as_str())
        .collect();
    assert!(
        reasons.contains(&"99 commits, fewer than 100"),
        "{reasons:?}"
    );
    assert!(steps[1].excluded.iter().all(|e| e.reason == "no release"));
    assert!(steps[3]
        .excluded
        .iter()
        .all(|e| e.reason.starts_with("no Dockerfile in the tree of ")));
    assert!(steps[4]
        .excluded
        .iter()
        .all(|e| e.reason.starts_with("no image on Docker Hub: ")));
    assert_eq!(hub.stats().deprecated_requests, 0);

    // The same call again changes nothing and asks nothing.
    let before = gh.stats().requests;
    let again = s
        .select_filter(
            &[Criterion::HasDockerfile, Criterion::HasHubImage],
            &net,
            &quiet,
        )
        .unwrap();
    assert_eq!(counts(&again), expected[3..]);
    assert_eq!(gh.stats().requests, before);
    assert_eq!(s.selection().unwrap().steps.len(), 6);

    // The sample: the same seed draws the same repositories, in another study too.
    let sample = s.select_sample(20, 7, None).unwrap();
    assert_eq!(
        (sample.count_in, sample.count_out),
        (Some(expected[4].1), Some(20))
    );
    assert_eq!(
        s.select_sample(20, 7, None).unwrap().step,
        sample.step,
        "the same sample again is the same step"
    );
    let drawn: BTreeSet<String> = population(s.conn(), sample.step)
        .unwrap()
        .into_iter()
        .map(|c| c.full_name)
        .collect();
    assert_eq!(drawn.len(), 20);
    assert!(drawn
        .iter()
        .all(|n| left.iter().any(|(_, r)| &r.full_name == n)));

    // Outputs.
    let rows = s.selection_rows().unwrap();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0][1], "search");
    assert_eq!(rows[6][1], "sample");
    let excluded = s.excluded_rows().unwrap();
    let total_excluded: usize = s
        .selection()
        .unwrap()
        .steps
        .iter()
        .map(|s| s.excluded.len())
        .sum();
    assert_eq!(excluded.len(), total_excluded);
    assert_eq!(1200 - total_excluded, 20);
    let methods = s.selection_methods().unwrap().unwrap();
    for part in [
        "`topic:mlops fork:true`",
        "2024-01-01T23:59:59Z",
        "at least 100 commits",
        &format!("({} of 1,200 remained", expected[0].1),
        "seed 7",
        "a simple random sample",
    ] {
        assert!(methods.contains(part), "{part:?} missing from: {methods}");
    }
    let fig = s.selection_funnel().unwrap().unwrap();
    let svg = codebench_figures::svg(&fig).unwrap();
    assert!(svg.contains("<svg"));

    // Accept imports the 20, and records the Hub images found under the repositories' names.
    let accepted = s.select_accept(&net, &quiet).unwrap();
    assert_eq!(
        accepted.step.status,
        StepStatus::Done,
        "{:?}",
        accepted.step.error
    );
    assert_eq!(
        (accepted.step.count_in, accepted.step.count_out),
        (Some(20), Some(20))
    );
    let projects: BTreeSet<String> = s.projects().unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(projects, drawn);
    assert!(s.selection().unwrap().accepted);
    assert!(matches!(
        s.select_filter(&[Criterion::NotFork], &net, &quiet),
        Err(Error::Conflict(_))
    ));

    // Docker Hub evidence for every accepted project.
    let fetched = s
        .fetch_hub(
            None,
            &crate::hub::HubFetchOptions {
                hub_url: Some(hub.url()),
                ..Default::default()
            },
            &|_| {},
        )
        .unwrap();
    assert_eq!(fetched.projects, 20);
    assert!(fetched.failed.is_empty(), "{:?}", fetched.failed);
    for p in &drawn {
        let e = s.hub_evidence(p).unwrap();
        let found: Vec<_> = e.images.iter().filter(|i| i.found).collect();
        assert!(!found.is_empty(), "{p}: {e:?}");
        assert!(found[0]
            .description
            .as_deref()
            .unwrap()
            .contains("fictional image"));
        assert!(found[0]
            .full_description_html
            .as_deref()
            .unwrap()
            .contains("<h1>"));
        assert!(!found[0].tags.is_empty());
    }
    let hub_rows = s.hub_rows().unwrap();
    assert!(hub_rows.len() >= 20);
    assert!(hub_rows
        .iter()
        .any(|r| r[3] == "true" && r[4].contains("fictional image")));
    // Fetched ones are not asked again.
    let again = s
        .fetch_hub(
            None,
            &crate::hub::HubFetchOptions {
                hub_url: Some(hub.url()),
                ..Default::default()
            },
            &|_| {},
        )
        .unwrap();
    assert_eq!((again.fetched, again.requests), (0, 0));
}

#[test]
fn a_cancelled_search_resumes_without_asking_any_page_twice() {
    let rt = rt();
    let gh = rt
        .block_on(MockGitHub::start(
            Fixture::topic("mlops", 2500),
            MockConfig::default(),
        ))
        .unwrap();
    let (_dir, mut s) = study();
    let flag = Arc::new(AtomicBool::new(false));
    let mut opts = net(&gh, None);
    opts.cancel = Some(flag.clone());
    let pages = AtomicU64::new(0);
    let cancel_after_pages = |p: SelectProgress| {
        if let SelectProgress::Page { .. } = p {
            if pages.fetch_add(1, Ordering::SeqCst) + 1 >= 7 {
                flag.store(true, Ordering::SeqCst);
            }
        }
    };
    let step = s
        .select_search(QUERY, Some("2024-01-01"), false, &opts, &cancel_after_pages)
        .unwrap();
    assert_eq!(step.status, StepStatus::Unfinished);
    assert!(
        matches!(step.count_out, Some(n) if (600..2500).contains(&n)),
        "{:?}",
        step.count_out
    );
    // Another step is refused while the search is unfinished.
    assert!(s.select_sample(5, 1, None).is_err());
    flag.store(false, Ordering::SeqCst);
    let step = s
        .select_search(QUERY, Some("2024-01-01"), false, &opts, &quiet)
        .unwrap();
    assert_eq!(step.status, StepStatus::Done);
    assert_eq!(step.count_out, Some(2500));
    let log = gh.searches();
    let distinct: BTreeSet<(String, u64, u64)> = log
        .iter()
        .map(|r| (r.q.clone(), r.page, r.per_page))
        .collect();
    assert_eq!(distinct.len(), log.len(), "a request was sent twice");
    // A finished search for the same query asks nothing; another query is refused once
    // later steps exist, unless restarted.
    let before = gh.stats().search_requests;
    s.select_search(QUERY, None, false, &opts, &quiet).unwrap();
    assert_eq!(gh.stats().search_requests, before);
    s.select_filter(&[Criterion::NotFork], &opts, &quiet)
        .unwrap();
    assert!(matches!(
        s.select_search("topic:other", None, false, &opts, &quiet),
        Err(Error::Conflict(_))
    ));
    let other = s
        .select_search("topic:other", None, true, &opts, &quiet)
        .unwrap();
    assert_eq!((other.step, other.count_out), (1, Some(0)));
    assert_eq!(s.selection().unwrap().steps.len(), 1);
}

#[test]
fn a_cancelled_filter_resumes_without_asking_a_repository_twice() {
    let rt = rt();
    let gh = rt
        .block_on(MockGitHub::start(
            Fixture::topic("mlops", 300),
            MockConfig::default(),
        ))
        .unwrap();
    let run = |cancel_after: Option<u64>| {
        let (dir, mut s) = study();
        let flag = Arc::new(AtomicBool::new(false));
        let mut opts = net(&gh, None);
        opts.concurrency = 1;
        opts.cancel = Some(flag.clone());
        s.select_search(QUERY, Some("2024-01-01"), false, &opts, &quiet)
            .unwrap();
        let checked = AtomicU64::new(0);
        let before = gh.stats().requests;
        let on = |p: SelectProgress| {
            if let (SelectProgress::Checked { .. }, Some(n)) = (&p, cancel_after) {
                if checked.fetch_add(1, Ordering::SeqCst) + 1 >= n {
                    flag.store(true, Ordering::SeqCst);
                }
            }
        };
        let criteria = [Criterion::MinCommits { min: 100 }, Criterion::HasDockerfile];
        let first = s.select_filter(&criteria, &opts, &on).unwrap();
        let mut requests = gh.stats().requests - before;
        if cancel_after.is_some() {
            assert_eq!(first.len(), 1);
            assert_eq!(first[0].status, StepStatus::Unfinished);
            assert!(first[0].error.as_deref().unwrap().contains("cancelled"));
            flag.store(false, Ordering::SeqCst);
            let before = gh.stats().requests;
            let second = s.select_filter(&criteria, &opts, &quiet).unwrap();
            requests += gh.stats().requests - before;
            assert_eq!(second.len(), 2);
            assert!(second.iter().all(|s| s.status == StepStatus::Done));
        }
        let sel = s.selection().unwrap();
        let out: Vec<_> = sel.steps.iter().map(|s| s.count_out).collect();
        drop(dir);
        (requests, out)
    };
    let (fresh, fresh_counts) = run(None);
    let (resumed, resumed_counts) = run(Some(40));
    assert_eq!(resumed_counts, fresh_counts);
    assert_eq!(
        resumed, fresh,
        "the resumed filter asked some repository twice"
    );
}

#[test]
fn a_rerun_reports_what_vanished_changed_and_newly_matches() {
    let rt = rt();
    let mut base: Vec<FixtureRepo> = (0..40)
        .map(|i| {
            let mut r =
                FixtureRepo::new(&format!("acme/r{i:02}")).file("Dockerfile", "FROM python:3.11\n");
            r.topics = vec!["mlops".into()];
            r.stars = 10 * i;
            r.commits = 150;
            r
        })
        .collect();
    let first = rt
        .block_on(MockGitHub::start(
            Fixture::new(base.clone()),
            MockConfig::default(),
        ))
        .unwrap();
    let (_dir, mut s) = study();
    let opts = net(&first, None);
    s.select_search("topic:mlops", None, false, &opts, &quiet)
        .unwrap();
    let steps = s
        .select_filter(
            &[
                Criterion::MinStars { min: 100 },
                Criterion::MinCommits { min: 100 },
            ],
            &opts,
            &quiet,
        )
        .unwrap();
    assert_eq!(counts(&steps), [(40, 30), (30, 30)]);
    s.select_sample(10, 3, None).unwrap();
    let sampled: BTreeSet<String> = population(s.conn(), 4)
        .unwrap()
        .into_iter()
        .map(|c| c.full_name)
        .collect();

    // Today: r39 (sampled or not) is gone, r05 gained stars, r20 lost its commits after a
    // push, and r40 is new.
    let gone = "acme/r39";
    base.retain(|r| r.full_name != gone);
    for r in base.iter_mut() {
        if r.full_name == "acme/r05" {
            r.stars = 500;
        }
        if r.full_name == "acme/r20" {
            r.commits = 12;
            r.pushed_at = "2023-03-01T00:00:00Z".into();
        }
    }
    let mut new = FixtureRepo::new("acme/r40").file("Dockerfile", "FROM python:3.11\n");
    new.topics = vec!["mlops".into()];
    new.stars = 1000;
    new.commits = 500;
    base.push(new);
    let ids: Vec<u64> = (1000..1040).collect();
    let mut fixture = Fixture::new(base);
    // Keep GitHub's ids stable across the two servers (ids follow list order otherwise).
    for r in fixture.repos.iter_mut() {
        let i: u64 = r.full_name[6..].parse().unwrap();
        r.id = ids.get(i as usize).copied().unwrap_or(2000 + i);
    }
    let today = rt
        .block_on(MockGitHub::start(fixture, MockConfig::default()))
        .unwrap();
    let core = |m: &MockGitHub| m.stats().requests - m.stats().search_requests;
    let before = core(&today);
    let report = s.rerun_selection(&net(&today, None), &quiet).unwrap();
    let names = |v: &[drift::DriftRepo]| v.iter().map(|r| r.repository.clone()).collect::<Vec<_>>();
    assert_eq!(names(&report.vanished), [gone]);
    assert_eq!(names(&report.new), ["acme/r40"]);
    let changed: Vec<(String, Vec<String>)> = report
        .changed
        .iter()
        .map(|c| {
            (
                c.repository.clone(),
                c.fields.iter().map(|f| f.field.clone()).collect(),
            )
        })
        .collect();
    assert!(
        changed.contains(&("acme/r05".into(), vec!["stars".into()])),
        "{changed:?}"
    );
    assert!(changed.contains(&("acme/r20".into(), vec!["pushed_at".into()])));
    // Stars: r05 newly matches, r39 left; commits: only r20 (pushed) and the new r05, r40 were
    // asked again.
    assert_eq!(
        names(&report.steps[0].newly_matching),
        ["acme/r05", "acme/r40"]
    );
    assert_eq!(names(&report.steps[0].no_longer_matching), [gone]);
    assert_eq!(
        report.steps[0].no_longer_matching[0].reason.as_deref(),
        Some("no longer found by the search")
    );
    assert_eq!(
        names(&report.steps[1].no_longer_matching),
        ["acme/r20", gone]
    );
    assert_eq!(
        report.steps[1].no_longer_matching[0].reason.as_deref(),
        Some("left out at step 3: 12 commits, fewer than 100")
    );
    let commit_requests = core(&today) - before;
    assert_eq!(commit_requests, 3, "r05, r20 and r40 only");
    // The sample keeps its members that still reach it.
    let sample = &report.steps[2];
    let lost: Vec<String> = names(&sample.no_longer_matching);
    let expect_lost: Vec<String> = sampled
        .iter()
        .filter(|n| *n == gone || *n == "acme/r20")
        .cloned()
        .collect();
    assert_eq!(lost, expect_lost);
    assert_eq!(sample.out_now, 10 - expect_lost.len() as u64);
    assert!(report.complete);
    // The record is unchanged and shows the last report.
    let sel = s.selection().unwrap();
    assert_eq!(sel.steps[1].count_out, Some(30));
    assert_eq!(sel.drift.unwrap(), report);
}

#[test]
fn stratified_samples_and_refusals() {
    let rt = rt();
    let gh = rt
        .block_on(MockGitHub::start(
            Fixture::topic("mlops", 200),
            MockConfig::default(),
        ))
        .unwrap();
    let (_dir, mut s) = study();
    assert!(matches!(
        s.select_sample(5, 1, None),
        Err(Error::Conflict(_))
    ));
    let opts = net(&gh, None);
    s.select_search(QUERY, Some("2024-01-01"), false, &opts, &quiet)
        .unwrap();
    assert!(s.select_sample(0, 1, None).is_err());
    assert!(s.select_sample(5, 1, Some("colour")).is_err());
    let a = s.select_sample(40, 11, Some("language")).unwrap();
    assert_eq!(a.count_out, Some(40));
    assert!(a
        .excluded
        .iter()
        .all(|e| e.reason.contains("stratified by language")));
    // Sampling a sample: the second step draws from the first's 40.
    let b = s.select_sample(10, 11, None).unwrap();
    assert_eq!((b.count_in, b.count_out), (Some(40), Some(10)));
    assert!(s
        .select_filter(
            &[Criterion::PushedAfter {
                date: "soon".into()
            }],
            &opts,
            &quiet
        )
        .is_err());
}
