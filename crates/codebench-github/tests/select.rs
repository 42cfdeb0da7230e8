//! The selection half of the client against the local mock GitHub: search past the 1,000 cap
//! by `created:` slices, resumption without asking twice, search's own rate limit, counts
//! from `Link` headers, and filter checks whose answers the fixture predicts exactly.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use codebench_github::mock::{
    Fixture, FixtureRepo, MockConfig, MockGitHub, PrimaryLimit, RepoState, SecondaryLimit,
};
use codebench_github::{
    Check, CheckTarget, CheckValue, Event, FailureKind, FileRole, FileSelector, GitHub,
    GitHubOptions, PlanOptions, SearchCount, SearchError, SearchPlan, SearchSlice, SliceHits,
    WaitReason, SEARCH_CAP,
};

/// The importer's Dockerfile rules, as in tests/fetch.rs.
struct Rules;

const SKIPPED_DIRS: [&str; 3] = [".git", "node_modules", "vendor"];

impl FileSelector for Rules {
    fn role(&self, path: &str) -> Option<FileRole> {
        let parts: Vec<&str> = path.split('/').collect();
        let (name, dirs) = parts.split_last()?;
        if dirs.iter().any(|d| SKIPPED_DIRS.contains(d)) {
            return None;
        }
        let lower = name.to_ascii_lowercase();
        if lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || lower.starts_with("dockerfile-")
            || lower.ends_with(".dockerfile")
        {
            return Some(FileRole::Dockerfile);
        }
        None
    }

    fn descend(&self, path: &str) -> bool {
        let last = path.rsplit('/').next().unwrap_or(path);
        !SKIPPED_DIRS.contains(&last)
    }
}

/// Whether the importer would find a Dockerfile in a fixture repository (links are not files).
fn expect_dockerfile(r: &FixtureRepo) -> bool {
    r.files
        .iter()
        .any(|(p, _, link)| !link && Rules.role(p) == Some(FileRole::Dockerfile))
}

const QUERY: &str = "topic:mlops fork:true";
const UNTIL: &str = "2024-01-01T00:00:00Z";

fn client(mock: &MockGitHub, concurrency: usize) -> GitHub {
    GitHub::new(GitHubOptions {
        api_url: Some(mock.url()),
        token: Some("test-token-123".into()),
        concurrency,
        fallback_wait: Duration::from_millis(300),
        retry_backoff: Duration::from_millis(10),
        ..GitHubOptions::default()
    })
    .unwrap()
}

fn options() -> PlanOptions {
    PlanOptions {
        created_until: Some(UNTIL.into()),
        ..PlanOptions::default()
    }
}

#[derive(Default)]
struct Events(Mutex<Vec<Event>>);

impl Events {
    fn push(&self, e: Event) {
        self.0.lock().unwrap().push(e);
    }
    fn waits(&self) -> Vec<(String, WaitReason, Duration)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Waiting { repo, reason, wait } => Some((repo.clone(), *reason, *wait)),
                _ => None,
            })
            .collect()
    }
}

async fn plan(gh: &GitHub, query: &str, options: &PlanOptions) -> SearchPlan {
    gh.plan_search(query, options, &|_| {}, &|| false, |_| {})
        .await
        .unwrap()
}

async fn fetch_all(gh: &GitHub, plan: &SearchPlan) -> Vec<SliceHits> {
    let mut out = Vec::new();
    gh.search_slices_until(plan, &|_| false, &|_| {}, &|| false, |h| {
        out.push(h);
        ControlFlow::Continue(())
    })
    .await
    .unwrap();
    out
}

/// Checks that the slices follow each other without gap or overlap, in created: order.
fn assert_contiguous(plan: &SearchPlan) {
    let ranges: Vec<_> = plan
        .slices
        .iter()
        .map(|s| {
            s.created
                .clone()
                .expect("a split plan gives every slice a range")
        })
        .collect();
    assert_eq!(ranges[0].from, plan.created.from);
    assert_eq!(ranges.last().unwrap().to, plan.created.to);
    let secs = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
    for w in ranges.windows(2) {
        assert_eq!(secs(&w[1].from), secs(&w[0].to) + 1, "{w:?}");
    }
    for (i, s) in plan.slices.iter().enumerate() {
        assert_eq!(s.index, i);
    }
}

#[tokio::test]
async fn three_thousand_repositories_are_all_found_through_created_slices() {
    let fixture = Fixture::topic("mlops", 3000);
    let all: BTreeSet<String> = fixture.repos.iter().map(|r| r.full_name.clone()).collect();
    let by_name: HashMap<String, FixtureRepo> = fixture
        .repos
        .iter()
        .map(|r| (r.full_name.clone(), r.clone()))
        .collect();
    let mock = MockGitHub::start(fixture, MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);

    let plan = plan(&gh, QUERY, &options()).await;
    assert_eq!(plan.total_count, 3000);
    assert_eq!(plan.base_query, QUERY);
    assert!(plan.slices.len() >= 3, "{:?}", plan.slices);
    for s in &plan.slices {
        assert!(s.total_count <= SEARCH_CAP, "{s:?}");
        assert!(!s.over_cap);
        assert!(
            s.query.starts_with("topic:mlops fork:true created:"),
            "{}",
            s.query
        );
    }
    assert_eq!(plan.slices_total(), 3000);
    assert_contiguous(&plan);
    assert_eq!(plan.counts_asked, mock.stats().search_requests);

    let before = mock.stats().search_requests;
    let sliced = fetch_all(&gh, &plan).await;
    assert_eq!(sliced.len(), plan.slices.len());
    let mut found = BTreeSet::new();
    for (slice, hits) in plan.slices.iter().zip(&sliced) {
        assert_eq!(hits.index, slice.index);
        assert_eq!(hits.total_count, slice.total_count);
        assert_eq!(hits.hits.len() as u64, slice.total_count);
        assert_eq!(
            (hits.duplicates, hits.missing(), hits.invalid_items),
            (0, 0, 0)
        );
        let range = slice.created.as_ref().unwrap();
        for h in &hits.hits {
            assert!(range.contains(h.created_at.as_deref().unwrap()), "{h:?}");
            assert!(found.insert(h.full_name.clone()), "{} twice", h.full_name);
            // The hit carries what the filters read.
            let r = &by_name[&h.full_name];
            assert_eq!(
                (h.archived, h.fork, h.stargazers_count),
                (r.archived, r.fork, r.stars)
            );
            assert_eq!(h.language, r.language);
            assert_eq!(h.default_branch.as_deref(), Some(r.default_branch.as_str()));
            assert!(h.topics.contains(&"mlops".to_string()));
            assert_eq!(h.html_url, format!("https://github.com/{}", h.full_name));
        }
    }
    assert_eq!(found, all);
    // Pages: ceil(total / 100) per slice, none past the cap.
    let pages: u64 = plan
        .slices
        .iter()
        .map(|s| s.total_count.div_ceil(100))
        .sum();
    assert_eq!(mock.stats().search_requests - before, pages);
    println!(
        "3000 repositories: {} slices {:?}, {} count requests, {} page requests",
        plan.slices.len(),
        plan.slices
            .iter()
            .map(|s| s.total_count)
            .collect::<Vec<_>>(),
        plan.counts_asked,
        pages
    );
    assert!(mock.searches().iter().all(|r| r.page <= 10));

    // Without fork:true, forks are left out, as on GitHub.
    let forks = by_name.values().filter(|r| r.fork).count() as u64;
    assert!(forks > 0);
    let no_forks = gh
        .search_count("topic:mlops", &|_| {}, &|| false)
        .await
        .unwrap();
    assert_eq!(no_forks.total_count, 3000 - forks);
}

#[tokio::test]
async fn a_small_query_is_one_slice_without_a_qualifier() {
    let fixture = Fixture::topic("tiny", 40);
    let mock = MockGitHub::start(fixture, MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);
    let plan = plan(&gh, "topic:tiny fork:true", &options()).await;
    assert_eq!(plan.total_count, 40);
    assert_eq!(plan.slices.len(), 1);
    assert_eq!(plan.slices[0].created, None);
    assert_eq!(plan.slices[0].query, "topic:tiny fork:true");
    let hits = fetch_all(&gh, &plan).await;
    assert_eq!(hits[0].hits.len(), 40);
    assert_eq!(hits[0].pages, 1);
}

#[tokio::test]
async fn the_querys_own_created_range_bounds_the_slices() {
    let fixture = Fixture::topic("mlops", 3000);
    let expected = fixture
        .repos
        .iter()
        .filter(|r| r.created_at.as_str() >= "2015-01-01" && r.created_at.as_str() < "2021")
        .count() as u64;
    let mock = MockGitHub::start(fixture, MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);
    let plan = plan(
        &gh,
        "topic:mlops created:2015-01-01..2020-12-31 fork:true",
        &options(),
    )
    .await;
    assert!(expected > SEARCH_CAP);
    assert_eq!(plan.total_count, expected);
    assert_eq!(plan.base_query, "topic:mlops fork:true");
    assert_eq!(plan.created.from, "2015-01-01T00:00:00Z");
    assert_eq!(plan.created.to, "2020-12-31T23:59:59Z");
    assert_contiguous(&plan);
    let found: usize = fetch_all(&gh, &plan)
        .await
        .iter()
        .map(|h| h.hits.len())
        .sum();
    assert_eq!(found as u64, expected);
}

#[tokio::test]
async fn a_killed_search_resumes_without_asking_github_twice() {
    let mock = MockGitHub::start(Fixture::topic("mlops", 3000), MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);

    // Planning, killed after three counts: what was handed over is what the caller stored.
    let mut stored: BTreeMap<String, SearchCount> = BTreeMap::new();
    let asked = AtomicUsize::new(0);
    let err = gh
        .plan_search(
            QUERY,
            &options(),
            &|_| {},
            &|| asked.load(Ordering::SeqCst) >= 3,
            |c| {
                asked.fetch_add(1, Ordering::SeqCst);
                stored.insert(c.query.clone(), c.clone());
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, SearchError::Stopped);
    assert_eq!(stored.len(), 3);

    // Resumed planning reuses the stored counts.
    let resumed = PlanOptions {
        known: stored.clone(),
        ..options()
    };
    let plan = gh
        .plan_search(QUERY, &resumed, &|_| {}, &|| false, |c| {
            stored.insert(c.query.clone(), c.clone());
        })
        .await
        .unwrap();
    assert_eq!(plan.counts_reused, 3);
    assert_eq!(plan.total_count, 3000);

    // Slices: the first run is killed after the first slice is handed over.
    let mut done: BTreeMap<usize, SliceHits> = BTreeMap::new();
    let summary = gh
        .search_slices_until(&plan, &|_| false, &|_| {}, &|| false, |h| {
            done.insert(h.index, h);
            ControlFlow::Break(())
        })
        .await
        .unwrap();
    assert!(summary.stopped);
    assert_eq!(done.len(), 1);
    let finished: BTreeSet<usize> = done.keys().copied().collect();
    let summary = gh
        .search_slices_until(&plan, &|i| finished.contains(&i), &|_| {}, &|| false, |h| {
            assert!(!done.contains_key(&h.index), "slice {} again", h.index);
            done.insert(h.index, h);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert!(!summary.stopped);
    assert_eq!(summary.skipped, 1);
    assert_eq!(done.len(), plan.slices.len());
    let found: BTreeSet<&str> = done
        .values()
        .flat_map(|h| h.hits.iter().map(|x| x.full_name.as_str()))
        .collect();
    assert_eq!(found.len(), 3000);

    // The server saw every (q, page) exactly once: no count and no finished slice twice.
    let log = mock.searches();
    let distinct: BTreeSet<(String, u64, u64)> = log
        .iter()
        .map(|r| (r.q.clone(), r.page, r.per_page))
        .collect();
    assert_eq!(distinct.len(), log.len(), "{log:?}");
    // A third run with every slice done asks nothing.
    let before = mock.stats().search_requests;
    let all_done = gh
        .search_slices_until(&plan, &|_| true, &|_| {}, &|| false, |_| {
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(all_done.skipped, plan.slices.len());
    assert_eq!(mock.stats().search_requests, before);
}

#[tokio::test]
async fn search_rate_limit_is_waited_out_and_reported() {
    let mock = MockGitHub::start(
        Fixture::topic("mlops", 1500),
        MockConfig {
            search: Some(PrimaryLimit {
                limit: 4,
                window: Duration::from_secs(1),
            }),
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let events = Events::default();
    let plan = gh
        .plan_search(QUERY, &options(), &|e| events.push(e), &|| false, |_| {})
        .await
        .unwrap();
    let mut found = 0;
    gh.search_slices_until(&plan, &|_| false, &|e| events.push(e), &|| false, |h| {
        found += h.hits.len();
        ControlFlow::Continue(())
    })
    .await
    .unwrap();
    assert_eq!(found, 1500);
    let waits = events.waits();
    assert!(
        waits
            .iter()
            .any(|(label, reason, _)| *reason == WaitReason::PrimaryRateLimit
                && label.starts_with("search: topic:mlops")),
        "{waits:?}"
    );
    // The client paused at remaining = 0 instead of running into refusals.
    assert_eq!(mock.stats().search_refusals, 0);
    // Search's quota does not hold back core requests: their headers never said 0.
    assert_eq!(mock.stats().primary_refusals, 0);
}

#[tokio::test]
async fn search_secondary_limit_with_retry_after_is_followed() {
    let mock = MockGitHub::start(
        Fixture::topic("mlops", 50),
        MockConfig {
            secondary: vec![SecondaryLimit {
                on_request: 1,
                status: 429,
                retry_after: Some(1),
            }],
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let events = Events::default();
    let plan = gh
        .plan_search(QUERY, &options(), &|e| events.push(e), &|| false, |_| {})
        .await
        .unwrap();
    assert_eq!(plan.total_count, 50);
    assert_eq!(mock.stats().secondary_trips, 1);
    assert_eq!(mock.stats().early_requests, 0);
    assert_eq!(
        events
            .waits()
            .iter()
            .map(|(_, r, w)| (*r, *w))
            .collect::<Vec<_>>(),
        [(WaitReason::SecondaryRateLimit, Duration::from_secs(1))]
    );
}

#[tokio::test]
async fn stop_during_an_hour_long_search_pause_ends_the_plan() {
    let mock = MockGitHub::start(
        Fixture::topic("mlops", 1500),
        MockConfig {
            search: Some(PrimaryLimit {
                limit: 1,
                window: Duration::from_secs(3600),
            }),
            ..MockConfig::default()
        },
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let stop = AtomicBool::new(false);
    let on_event = |e: Event| {
        if let Event::Waiting { wait, .. } = e {
            if wait >= Duration::from_secs(60) {
                stop.store(true, Ordering::SeqCst);
            }
        }
    };
    // The outer timeout only turns a hang into a failure.
    let result = tokio::time::timeout(
        Duration::from_secs(120),
        gh.plan_search(
            QUERY,
            &options(),
            &on_event,
            &|| stop.load(Ordering::SeqCst),
            |_| {},
        ),
    )
    .await
    .expect("the stop ends the plan instead of the hour-long wait");
    assert_eq!(result.unwrap_err(), SearchError::Stopped);
    assert_eq!(mock.stats().search_refusals, 0);
}

#[tokio::test]
async fn more_than_the_cap_in_one_second_is_an_over_cap_slice() {
    let mut fixture = Fixture::topic("burst", 1005);
    for r in &mut fixture.repos {
        r.created_at = "2020-02-02T02:02:02Z".into();
        r.fork = false;
    }
    let mock = MockGitHub::start(fixture, MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);
    let plan = plan(&gh, "topic:burst", &options()).await;
    let over: Vec<&SearchSlice> = plan.slices.iter().filter(|s| s.over_cap).collect();
    assert_eq!(over.len(), 1, "{:?}", plan.slices);
    let slice = over[0];
    let range = slice.created.as_ref().unwrap();
    assert_eq!(range.from, "2020-02-02T02:02:02Z");
    assert_eq!(range.to, "2020-02-02T02:02:02Z");
    assert_eq!(slice.total_count, 1005);
    let hits = gh.search_slice(slice, &|_| {}, &|| false).await.unwrap();
    assert!(hits.over_cap);
    assert_eq!(hits.hits.len(), 1000);
    assert_eq!(hits.missing(), 5);
    assert_eq!(hits.pages, 10);
}

/// One raw HTTP/1.1 GET; returns the status code and the body.
fn raw_get(mock: &MockGitHub, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(mock.addr()).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/vnd.github+json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_answers_422_past_the_cap_and_on_bad_queries() {
    let mock = MockGitHub::start(Fixture::topic("mlops", 1200), MockConfig::default())
        .await
        .unwrap();
    let page =
        |p: u64| format!("/search/repositories?q=topic%3Amlops+fork%3Atrue&per_page=100&page={p}");
    let (status, body) = tokio::task::block_in_place(|| raw_get(&mock, &page(10)));
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total_count"], 1200);
    assert_eq!(v["incomplete_results"], false);
    assert_eq!(v["items"].as_array().unwrap().len(), 100);
    let (status, body) = tokio::task::block_in_place(|| raw_get(&mock, &page(11)));
    assert_eq!(status, 422);
    assert!(
        body.contains("Only the first 1000 search results are available"),
        "{body}"
    );

    let gh = client(&mock, 1);
    let err = gh
        .search_count("topic:mlops frobnicate:1", &|_| {}, &|| false)
        .await
        .unwrap_err();
    assert!(matches!(err, SearchError::InvalidQuery { .. }), "{err}");
    assert!(!err.is_transient());
    // The planner refuses what it cannot split before asking.
    let before = mock.stats().search_requests;
    for q in [
        "topic:x created:yesterday",
        "created:2019 created:2020",
        "  ",
    ] {
        let err = gh
            .plan_search(q, &options(), &|_| {}, &|| false, |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(err, SearchError::InvalidQuery { .. }),
            "{q}: {err}"
        );
    }
    assert_eq!(mock.stats().search_requests, before);
}

#[tokio::test]
async fn commits_and_releases_are_counted_from_the_link_header() {
    let mut many = FixtureRepo::new("acme/many").file("README.md", "# many\n");
    many.commits = 2566;
    many.releases = 41;
    let mut one = FixtureRepo::new("acme/one").file("README.md", "# one\n");
    one.releases = 1;
    let mut renamed = FixtureRepo::new("acme/new-name")
        .file("README.md", "x")
        .renamed_from("acme/old-name");
    renamed.commits = 7;
    let mock = MockGitHub::start(
        Fixture::new(vec![
            many,
            one,
            FixtureRepo::new("acme/empty").state(RepoState::Empty),
            renamed,
        ]),
        MockConfig::default(),
    )
    .await
    .unwrap();
    let gh = client(&mock, 1);
    let count = |name: &'static str| {
        let gh = &gh;
        async move {
            (
                gh.count_commits(name, &|_| {}).await,
                gh.count_releases(name, &|_| {}).await,
            )
        }
    };
    let (c, r) = count("acme/many").await;
    assert_eq!((c.unwrap(), r.unwrap()), (2566, 41));
    let (c, r) = count("acme/one").await;
    assert_eq!((c.unwrap(), r.unwrap()), (1, 1));
    let (c, r) = count("acme/empty").await;
    assert_eq!((c.unwrap(), r.unwrap()), (0, 0));
    let (c, _) = count("acme/old-name").await;
    assert_eq!(c.unwrap(), 7);
    let (c, r) = count("acme/missing").await;
    assert_eq!(c.unwrap_err().reason, FailureKind::NotFound);
    assert_eq!(r.unwrap_err().reason, FailureKind::NotFound);
    assert_eq!(
        gh.count_commits("not a name", &|_| {})
            .await
            .unwrap_err()
            .reason,
        FailureKind::InvalidName
    );

    let facts = gh.repo_facts("acme/old-name", &|_| {}).await.unwrap();
    assert!(facts.renamed());
    assert_eq!(facts.full_name, "acme/new-name");
}

#[tokio::test]
async fn filter_checks_give_exactly_what_the_fixture_implies() {
    let fixture = Fixture::topic("mlops", 400);
    let repos = fixture.repos.clone();
    let mock = MockGitHub::start(fixture, MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 8);
    // Targets with the default branch known (as from search hits) and without.
    let targets: Vec<CheckTarget> = repos
        .iter()
        .enumerate()
        .map(|(i, r)| CheckTarget {
            full_name: r.full_name.clone(),
            default_branch: (i % 2 == 0).then(|| r.default_branch.clone()),
        })
        .collect();
    let run = |check: Check<'static>| {
        let (gh, targets) = (&gh, &targets);
        async move {
            let mut out = HashMap::new();
            let summary = gh
                .check_many_until(targets, check, &|_| {}, &|| false, |o| {
                    out.insert(o.requested_name.clone(), o.result);
                    ControlFlow::Continue(())
                })
                .await;
            assert!(!summary.stopped);
            out
        }
    };
    static RULES: Rules = Rules;

    let commits = run(Check::Commits).await;
    let releases = run(Check::Releases).await;
    let facts = run(Check::Facts).await;
    let files = run(Check::Files(&RULES)).await;
    let mut kept = [0usize; 6];
    for r in &repos {
        let n = &r.full_name;
        assert_eq!(commits[n], Ok(CheckValue::Count(r.commits)), "{n}");
        assert_eq!(releases[n], Ok(CheckValue::Count(r.releases)), "{n}");
        let Ok(CheckValue::Facts(f)) = &facts[n] else {
            panic!("{n}: {:?}", facts[n]);
        };
        let m = &f.metadata;
        assert_eq!(
            (m.archived, m.fork, m.stars, m.language.as_ref()),
            (r.archived, r.fork, r.stars, r.language.as_ref())
        );
        assert_eq!(m.default_branch, r.default_branch);
        assert_eq!(m.created_at.as_deref(), Some(r.created_at.as_str()));
        match (&files[n], r.state) {
            (Err(e), RepoState::Empty) => assert_eq!(e.reason, FailureKind::Empty),
            (Ok(CheckValue::Files(t)), RepoState::Normal) => {
                assert_eq!(t.has_dockerfile(), expect_dockerfile(r), "{n}: {t:?}");
                assert_eq!(t.reference, r.default_branch);
                assert!(t.files.iter().all(|f| !f.path.starts_with("node_modules/")));
            }
            other => panic!("{n}: {other:?}"),
        }
        kept[0] += usize::from(r.commits >= 100);
        kept[1] += usize::from(r.releases >= 1);
        kept[2] += usize::from(!r.archived);
        kept[3] += usize::from(expect_dockerfile(r) && r.state == RepoState::Normal);
        kept[4] += usize::from(r.fork);
        kept[5] += usize::from(r.state == RepoState::Empty);
    }
    // The fixture exercises every filter both ways.
    assert!(
        kept[..4].iter().all(|&k| k > 0 && k < repos.len()),
        "{kept:?}"
    );
    assert!(kept[4] > 0, "forks");
    assert!(kept[5] > 0, "empty repositories");
    assert!(repos.iter().any(|r| r.commits == 100) && repos.iter().any(|r| r.commits == 99));
    assert!(repos.iter().any(|r| r
        .files
        .iter()
        .any(|(p, _, link)| *link && p == "Dockerfile")));
}

#[tokio::test]
async fn check_many_stops_and_resumes_by_the_callers_choice_of_targets() {
    let fixture = Fixture::topic("mlops", 30);
    let names: Vec<CheckTarget> = fixture
        .repos
        .iter()
        .map(|r| CheckTarget::from(r.full_name.as_str()))
        .collect();
    let mock = MockGitHub::start(fixture, MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 4);
    let mut done = BTreeSet::new();
    let summary = gh
        .check_many_until(&names, Check::Commits, &|_| {}, &|| false, |o| {
            done.insert(o.requested_name);
            if done.len() == 10 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .await;
    assert!(summary.stopped);
    assert_eq!(done.len(), 10);
    let rest: Vec<CheckTarget> = names
        .iter()
        .filter(|t| !done.contains(&t.full_name))
        .cloned()
        .collect();
    let before = mock.stats().requests;
    let summary = gh
        .check_many_until(&rest, Check::Commits, &|_| {}, &|| false, |o| {
            assert!(done.insert(o.requested_name));
            ControlFlow::Continue(())
        })
        .await;
    assert!(!summary.stopped);
    assert_eq!(done.len(), 30);
    assert_eq!(mock.stats().requests - before, 20);
}

#[tokio::test]
async fn selection_futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    let gh = GitHub::new(GitHubOptions::default()).unwrap();
    let options = PlanOptions::default();
    assert_send(gh.plan_search("q", &options, &|_| {}, &|| false, |_| {}));
    let plan = SearchPlan {
        query: String::new(),
        base_query: String::new(),
        created: codebench_github::CreatedRange {
            from: String::new(),
            to: String::new(),
        },
        total_count: 0,
        incomplete_results: false,
        slices: Vec::new(),
        counts_asked: 0,
        counts_reused: 0,
    };
    assert_send(
        gh.search_slices_until(&plan, &|_| false, &|_| {}, &|| false, |_| {
            ControlFlow::Continue(())
        }),
    );
    let targets = vec![CheckTarget::from("a/b")];
    assert_send(
        gh.check_many_until(&targets, Check::Files(&Rules), &|_| {}, &|| false, |_| {
            ControlFlow::Continue(())
        }),
    );
}

#[tokio::test]
async fn a_slice_resumes_at_the_page_after_the_last_one_stored() {
    let mock = MockGitHub::start(Fixture::topic("mlops", 2000), MockConfig::default())
        .await
        .unwrap();
    let gh = client(&mock, 1);
    let plan = plan(&gh, QUERY, &options()).await;
    let slice = plan
        .slices
        .iter()
        .find(|s| s.total_count > 300)
        .unwrap()
        .clone();
    let whole = gh.search_slice(&slice, &|_| {}, &|| false).await.unwrap();
    // A first run stores three pages and is killed; the second starts at page 4.
    let mut stored = Vec::new();
    gh.search_slice_pages(&slice, 1, &|_| {}, &|| false, |p| {
        stored.push(p);
        if stored.len() == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .await
    .unwrap();
    let before = mock.searches().len();
    let asked = gh
        .search_slice_pages(&slice, 4, &|_| {}, &|| false, |p| {
            stored.push(p);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    let pages: Vec<u64> = stored.iter().map(|p| p.page).collect();
    let last = slice.total_count.div_ceil(100);
    assert_eq!(pages, (1..=last).collect::<Vec<_>>());
    assert_eq!(asked, last - 3);
    assert!(stored.last().unwrap().last && stored[..stored.len() - 1].iter().all(|p| !p.last));
    assert!(mock.searches()[before..].iter().all(|r| r.page >= 4));
    let ids: Vec<u64> = stored
        .iter()
        .flat_map(|p| p.hits.iter().map(|h| h.id))
        .collect();
    let whole_ids: Vec<u64> = whole.hits.iter().map(|h| h.id).collect();
    assert_eq!(ids, whole_ids);
    // Past the cap's last page nothing is asked.
    let before = mock.searches().len();
    let asked = gh
        .search_slice_pages(
            &slice,
            11,
            &|_| {},
            &|| false,
            |_| ControlFlow::Continue(()),
        )
        .await
        .unwrap();
    assert_eq!((asked, mock.searches().len()), (0, before));
}
