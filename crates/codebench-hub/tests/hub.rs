//! The Docker Hub client against the local mock on 127.0.0.1: found, 404, 429 with
//! `X-Retry-After` and `Retry-After`, the per-window limit, tag paging and its bound, stop
//! during a long wait, and errors that name what is wrong.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use codebench_hub::mock::{HubFixtureRepo, HubLimit, HubMockConfig, MockHub, RetryHeader, TooMany};
use codebench_hub::{
    Hub, HubError, HubEvent, HubName, HubOptions, HubWaitReason, Lookup, TAG_PAGE_SIZE,
};

fn client(mock: &MockHub) -> Hub {
    Hub::new(HubOptions {
        base_url: Some(mock.url()),
        fallback_wait: Duration::from_millis(300),
        retry_backoff: Duration::from_millis(10),
        ..HubOptions::default()
    })
    .unwrap()
}

#[derive(Default)]
struct Events(Mutex<Vec<HubEvent>>);

impl Events {
    fn push(&self, e: HubEvent) {
        self.0.lock().unwrap().push(e);
    }
    fn waits(&self) -> Vec<(HubWaitReason, Duration)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|HubEvent::Waiting { reason, wait, .. }| (*reason, *wait))
            .collect()
    }
}

fn name(s: &str) -> HubName {
    HubName::parse(s).unwrap()
}

fn repos() -> Vec<HubFixtureRepo> {
    vec![
        HubFixtureRepo::new("acme", "detector").with_tags(3),
        HubFixtureRepo::new("library", "python").with_tags(250),
    ]
}

#[tokio::test]
async fn a_repository_is_found_with_its_description_and_counts() {
    let fixture = repos();
    let mock = MockHub::start(fixture.clone(), HubMockConfig::default())
        .await
        .unwrap();
    let hub = client(&mock);
    let r = hub
        .repository(&name("acme/detector:2.1"), &|_| {}, &|| false)
        .await
        .unwrap()
        .found()
        .expect("found");
    let f = &fixture[0];
    assert_eq!(r.name.to_string(), "acme/detector");
    assert_eq!(r.reported_name.as_deref(), Some("acme/detector"));
    assert_eq!(r.description.as_deref(), Some(f.description.as_str()));
    assert_eq!(
        r.full_description.as_deref(),
        Some(f.full_description.as_str())
    );
    assert!(r.full_description.unwrap().starts_with("# detector"));
    assert_eq!((r.star_count, r.pull_count), (f.star_count, f.pull_count));
    assert_eq!(r.last_updated.as_deref(), Some(f.last_updated.as_str()));
    assert_eq!(r.status, Some(1));
    assert_eq!(r.status_description.as_deref(), Some("active"));
    assert_eq!(r.web_url, "https://hub.docker.com/r/acme/detector");
    // The current endpoint, not the deprecated one.
    assert_eq!(mock.paths(), ["/v2/namespaces/acme/repositories/detector"]);
    assert_eq!(mock.stats().deprecated_requests, 0);
}

#[tokio::test]
async fn an_official_image_reference_is_looked_up_in_library() {
    let mock = MockHub::start(repos(), HubMockConfig::default())
        .await
        .unwrap();
    let hub = client(&mock);
    let r = hub
        .repository(&name("python:3.11"), &|_| {}, &|| false)
        .await
        .unwrap();
    assert!(r.is_found());
    assert_eq!(mock.paths(), ["/v2/namespaces/library/repositories/python"]);
}

#[tokio::test]
async fn a_missing_repository_is_a_result_not_an_error() {
    let mock = MockHub::start(repos(), HubMockConfig::default())
        .await
        .unwrap();
    let hub = client(&mock);
    let missing = name("acme/no-such-image");
    assert_eq!(
        hub.repository(&missing, &|_| {}, &|| false).await.unwrap(),
        Lookup::NotFound
    );
    assert_eq!(
        hub.tags(&missing, &|_| {}, &|| false).await.unwrap(),
        Lookup::NotFound
    );
    assert_eq!(
        hub.evidence(&missing, &|_| {}, &|| false).await.unwrap(),
        Lookup::NotFound
    );
}

#[tokio::test]
async fn tags_are_paged_and_bounded() {
    let fixture = repos();
    let mock = MockHub::start(fixture.clone(), HubMockConfig::default())
        .await
        .unwrap();
    let hub = client(&mock);
    let python = name("python");
    let all = hub
        .tags(&python, &|_| {}, &|| false)
        .await
        .unwrap()
        .found()
        .unwrap();
    assert_eq!(all.tags.len(), 250);
    assert_eq!(all.count, Some(250));
    assert_eq!(all.pages, 3);
    assert!(all.complete);
    let expected: Vec<&str> = fixture[1].tags.iter().map(|t| t.name.as_str()).collect();
    let got: Vec<&str> = all.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(got, expected);
    let first = &all.tags[0];
    assert_eq!(first.name, "latest");
    assert_eq!(
        first.last_pushed.as_deref(),
        Some(fixture[1].tags[0].last_pushed.as_str())
    );
    assert_eq!(
        first.digest.as_deref(),
        Some(fixture[1].tags[0].digest.as_str())
    );
    assert_eq!(first.full_size, Some(fixture[1].tags[0].full_size));
    for (page, path) in mock.paths().iter().enumerate() {
        assert_eq!(
            path,
            &format!(
                "/v2/namespaces/library/repositories/python/tags?page_size={TAG_PAGE_SIZE}&page={}",
                page + 1
            )
        );
    }

    // The page bound: two pages of 100, and the list says it is not complete.
    let bounded = Hub::new(HubOptions {
        base_url: Some(mock.url()),
        max_tag_pages: 2,
        ..HubOptions::default()
    })
    .unwrap();
    let some = bounded
        .tags(&python, &|_| {}, &|| false)
        .await
        .unwrap()
        .found()
        .unwrap();
    assert_eq!(
        (some.tags.len(), some.pages, some.complete),
        (200, 2, false)
    );
    assert_eq!(some.count, Some(250));

    // A small repository: one page.
    let small = hub
        .evidence(&name("acme/detector"), &|_| {}, &|| false)
        .await
        .unwrap()
        .found()
        .unwrap();
    assert_eq!(small.tags.tags.len(), 3);
    assert_eq!((small.tags.pages, small.tags.complete), (1, true));
    assert_eq!(small.repository.name.to_string(), "acme/detector");
}

#[tokio::test]
async fn a_429_with_x_retry_after_is_waited_out() {
    let mock = MockHub::start(
        repos(),
        HubMockConfig {
            too_many: vec![TooMany {
                on_request: 1,
                seconds: 1,
                header: RetryHeader::XRetryAfter,
            }],
            ..HubMockConfig::default()
        },
    )
    .await
    .unwrap();
    let hub = client(&mock);
    let events = Events::default();
    let r = hub
        .repository(&name("acme/detector"), &|e| events.push(e), &|| false)
        .await
        .unwrap();
    assert!(r.is_found());
    let stats = mock.stats();
    assert_eq!(stats.too_many, 1);
    assert_eq!(stats.early_requests, 0, "the client waited as told");
    assert_eq!(stats.requests, 2);
    let waits = events.waits();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].0, HubWaitReason::TooManyRequests);
    assert!(waits[0].1 >= Duration::from_millis(500), "{waits:?}");
    assert_eq!(hub.requests_sent(), 2);
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_waited_out() {
    let mock = MockHub::start(
        repos(),
        HubMockConfig {
            too_many: vec![TooMany {
                on_request: 2,
                seconds: 1,
                header: RetryHeader::RetryAfter,
            }],
            ..HubMockConfig::default()
        },
    )
    .await
    .unwrap();
    let hub = client(&mock);
    let events = Events::default();
    let tags = hub
        .evidence(&name("python"), &|e| events.push(e), &|| false)
        .await
        .unwrap()
        .found()
        .unwrap();
    assert_eq!(tags.tags.tags.len(), 250);
    assert_eq!(mock.stats().early_requests, 0);
    // The mock blocks until the next whole second after one: Retry-After says 1 or 2.
    let waits = events.waits();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].0, HubWaitReason::TooManyRequests);
    assert!(
        [Duration::from_secs(1), Duration::from_secs(2)].contains(&waits[0].1),
        "{waits:?}"
    );
}

#[tokio::test]
async fn the_per_window_limit_is_followed_without_refusals() {
    let mock = MockHub::start(
        repos(),
        HubMockConfig {
            limit: Some(HubLimit {
                limit: 2,
                window: Duration::from_secs(1),
            }),
            ..HubMockConfig::default()
        },
    )
    .await
    .unwrap();
    let hub = client(&mock);
    let events = Events::default();
    // 1 + 3 requests for python, then 2 for acme/detector: past two windows.
    for n in ["python", "acme/detector"] {
        assert!(hub
            .evidence(&name(n), &|e| events.push(e), &|| false)
            .await
            .unwrap()
            .is_found());
    }
    assert_eq!(mock.stats().too_many, 0, "the client paused at remaining 0");
    assert!(events
        .waits()
        .iter()
        .any(|(r, _)| *r == HubWaitReason::RateLimit));
}

#[tokio::test]
async fn persistent_429s_end_as_rate_limited() {
    let mock = MockHub::start(
        repos(),
        HubMockConfig {
            limit: Some(HubLimit {
                limit: 0,
                window: Duration::from_secs(1),
            }),
            retry_header: RetryHeader::None,
            ..HubMockConfig::default()
        },
    )
    .await
    .unwrap();
    let hub = Hub::new(HubOptions {
        base_url: Some(mock.url()),
        max_rate_limit_waits: 2,
        ..HubOptions::default()
    })
    .unwrap();
    let events = Events::default();
    let err = hub
        .repository(&name("acme/detector"), &|e| events.push(e), &|| false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, HubError::RateLimited { waits: 2, .. }),
        "{err}"
    );
    assert!(err.is_transient());
    assert!(events
        .waits()
        .iter()
        .all(|(r, _)| *r == HubWaitReason::TooManyRequests));
}

#[tokio::test]
async fn stop_during_a_long_wait_ends_the_call() {
    let mock = MockHub::start(
        repos(),
        HubMockConfig {
            too_many: vec![TooMany {
                on_request: 1,
                seconds: 3600,
                header: RetryHeader::XRetryAfter,
            }],
            ..HubMockConfig::default()
        },
    )
    .await
    .unwrap();
    let hub = client(&mock);
    let stop = AtomicBool::new(false);
    let on_event = |e: HubEvent| {
        let HubEvent::Waiting { wait, .. } = e;
        if wait >= Duration::from_secs(60) {
            stop.store(true, Ordering::SeqCst);
        }
    };
    // The outer timeout only turns a hang into a failure.
    let result = tokio::time::timeout(
        Duration::from_secs(120),
        hub.repository(&name("acme/detector"), &on_event, &|| {
            stop.load(Ordering::SeqCst)
        }),
    )
    .await
    .expect("the stop ends the call instead of the hour-long wait");
    assert_eq!(result.unwrap_err(), HubError::Stopped);
    assert_eq!(mock.stats().requests, 1);
}

#[tokio::test]
async fn oversize_answers_and_dead_servers_are_errors_that_say_so() {
    let mut big = HubFixtureRepo::new("acme", "big");
    big.full_description = "x".repeat(200_000);
    let mock = MockHub::start(vec![big], HubMockConfig::default())
        .await
        .unwrap();
    let hub = Hub::new(HubOptions {
        base_url: Some(mock.url()),
        max_body_bytes: 100_000,
        ..HubOptions::default()
    })
    .unwrap();
    let err = hub
        .repository(&name("acme/big"), &|_| {}, &|| false)
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::InvalidResponse { .. }), "{err}");
    assert!(
        err.to_string().contains("larger than 100000 bytes"),
        "{err}"
    );

    let url = mock.url();
    drop(mock);
    let hub = Hub::new(HubOptions {
        base_url: Some(url),
        retry_backoff: Duration::from_millis(1),
        ..HubOptions::default()
    })
    .unwrap();
    let err = hub
        .repository(&name("acme/big"), &|_| {}, &|| false)
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::Network { .. }), "{err}");
    assert_eq!(hub.requests_sent(), 4, "one try and three retries");
}

#[tokio::test]
async fn bad_base_urls_and_tokens_are_refused() {
    for url in ["ftp://x", "not a url", "http://", "http://h/?q=1"] {
        let err = Hub::new(HubOptions {
            base_url: Some(url.into()),
            ..HubOptions::default()
        })
        .unwrap_err();
        assert!(matches!(err, HubError::InvalidUrl { .. }), "{url}: {err}");
    }
    let err = Hub::new(HubOptions {
        token: Some("bad\ntoken".into()),
        ..HubOptions::default()
    })
    .unwrap_err();
    assert_eq!(err, HubError::InvalidToken);
    let ok = Hub::new(HubOptions {
        token: Some("secret-jwt".into()),
        ..HubOptions::default()
    })
    .unwrap();
    assert!(!format!("{ok:?}").contains("secret-jwt"));
}

#[tokio::test]
async fn hub_futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    let hub = Hub::new(HubOptions::default()).unwrap();
    let n = name("python");
    assert_send(hub.evidence(&n, &|_| {}, &|| false));
}
