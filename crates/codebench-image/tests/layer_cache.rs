//! The shared-folder layer cache: its layout, files it must not trust, claims (stale ones taken
//! over, live ones waited for, abandoned ones passed on), and several threads, cache instances
//! and processes (this test binary run again as a child) hitting the same digests, each layer
//! analysed exactly once.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use codebench_image::{
    analyze_layer, analyze_oci_layout, analyze_registry, AnalyzeOptions, DirCache, DirCacheOptions,
    ImageReport, LayerAnalysis, LayerCache, LayerInput, Limits, RegistryOptions,
};
use common::servers::{Fake, Route};
use common::*;
use serde_json::json;

/// Forwards to a [`DirCache`] and records which digests were put: the layers this analyser
/// analysed.
struct Counting {
    inner: DirCache,
    puts: Mutex<Vec<String>>,
}

impl Counting {
    fn new(inner: DirCache) -> Counting {
        Counting {
            inner,
            puts: Mutex::new(Vec::new()),
        }
    }

    fn puts(&self) -> Vec<String> {
        self.puts.lock().unwrap().clone()
    }
}

impl LayerCache for Counting {
    fn get(&self, digest: &str) -> Option<LayerAnalysis> {
        self.inner.get(digest)
    }
    fn put(&self, digest: &str, analysis: &LayerAnalysis) {
        self.puts.lock().unwrap().push(digest.to_string());
        self.inner.put(digest, analysis);
    }
    fn abandon(&self, digest: &str) {
        self.inner.abandon(digest);
    }
}

fn quick() -> DirCacheOptions {
    DirCacheOptions {
        heartbeat: Duration::from_millis(20),
        stale_after: Duration::from_secs(30),
        max_wait: Duration::from_secs(120),
        poll: Duration::from_millis(20),
        ..Default::default()
    }
}

/// A real analysis of a small layer, relabelled as the analysis of `digest`.
fn analysis_for(digest: &str) -> LayerAnalysis {
    let l = build_layer(
        vec![
            Ent::Dir("etc".into()),
            Ent::File("etc/hosts".into(), 120),
            Ent::File("usr/lib/libx.so".into(), 4_000),
        ],
        Comp::Gzip,
        false,
    );
    let mut a = analyze_layer(&l.blob[..], &LayerInput::default(), &Limits::default()).unwrap();
    a.metrics.digest = digest.to_string();
    a
}

fn digests(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| sha(format!("layer {i}").as_bytes()))
        .collect()
}

/// Every file under `dir` whose name ends with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out
}

/// The protocol an analyser follows: look up, and on a miss "analyse" (counted, and slow
/// enough that others arrive meanwhile) and put. Returns the digests this worker analysed.
fn work(cache: &dyn LayerCache, digests: &[String], offset: usize) -> Vec<String> {
    let mut analysed = Vec::new();
    for i in 0..digests.len() {
        let d = &digests[(i + offset) % digests.len()];
        match cache.get(d) {
            Some(a) => assert_eq!(a, analysis_for(d), "the stored analysis of {d}"),
            None => {
                analysed.push(d.clone());
                std::thread::sleep(Duration::from_millis(15));
                cache.put(d, &analysis_for(d));
            }
        }
    }
    analysed
}

#[test]
fn layout_is_content_addressed_and_bad_digests_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = &digests(1)[0];
    let hex = &d[7..];
    {
        let cache = DirCache::with_options(dir.path(), quick()).unwrap();
        assert!(cache.get(d).is_none());
        cache.put(d, &analysis_for(d));
        let s = cache.stats();
        assert_eq!((s.claims, s.hits, s.write_errors), (1, 0, 0), "{s:?}");
    }
    let file = dir
        .path()
        .join("sha256")
        .join(&hex[..2])
        .join(format!("{hex}.json"));
    assert!(file.is_file());
    let cache = DirCache::with_options(dir.path(), quick()).unwrap();
    assert_eq!(cache.path_of(d).unwrap(), file);
    assert_eq!(cache.get(d), Some(analysis_for(d)));
    assert_eq!(cache.stats().hits, 1);
    // The two lines: a header naming the digest, the body it checks.
    let text = std::fs::read_to_string(&file).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["format"], "codebench-layer-cache/1");
    assert_eq!(header["digest"], d.as_str());

    let before = files_ending(dir.path(), "");
    let upper = format!("sha256:{}", hex.to_uppercase());
    for bad in [
        "sha256:../../../etc/passwd",
        "md5:0123",
        upper.as_str(),
        "sha256:",
        "",
    ] {
        assert!(cache.get(bad).is_none(), "{bad}");
        cache.put(bad, &analysis_for(bad));
        cache.abandon(bad);
        assert!(cache.path_of(bad).is_err(), "{bad}");
    }
    assert_eq!(files_ending(dir.path(), "").len(), before.len());
    // An analysis whose metrics name another layer is not stored under this one.
    let other = &digests(2)[1];
    assert!(cache.get(other).is_none());
    cache.put(other, &analysis_for(d));
    assert_eq!(cache.stats().write_errors, 1);
    assert!(cache.get(other).is_none());
    cache.abandon(other);
    assert!(files_ending(dir.path(), ".claim").is_empty());
}

#[test]
fn torn_foreign_and_edited_files_are_misses_and_get_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let ds = digests(2);
    let (d1, d2) = (&ds[0], &ds[1]);
    let cache = DirCache::with_options(dir.path(), quick()).unwrap();
    assert!(cache.get(d1).is_none());
    cache.put(d1, &analysis_for(d1));
    let good = std::fs::read(cache.path_of(d1).unwrap()).unwrap();
    let p1 = cache.path_of(d1).unwrap();
    let p2 = cache.path_of(d2).unwrap();
    std::fs::create_dir_all(p2.parent().unwrap()).unwrap();

    let mut edited = good.clone();
    let at = edited.len() - 40;
    edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
    let mut no_newline = good.clone();
    no_newline.pop();
    let cases: Vec<(&str, &Path, Vec<u8>)> = vec![
        ("torn", &p1, good[..good.len() / 2].to_vec()),
        ("no final newline", &p1, no_newline),
        ("edited body", &p1, edited),
        ("garbage", &p1, b"\x00\xffnot json at all".to_vec()),
        ("empty", &p1, Vec::new()),
        ("foreign: another layer's file", &p2, good.clone()),
        (
            "foreign: another format",
            &p1,
            format!("{}\n{{}}\n", json!({"format": "x/9", "digest": d1})).into_bytes(),
        ),
    ];
    for (what, path, bytes) in cases {
        std::fs::write(path, &bytes).unwrap();
        let digest = if path == p2.as_path() { d2 } else { d1 };
        let rejected = cache.stats().rejected_files;
        assert!(cache.get(digest).is_none(), "{what} was trusted");
        assert_eq!(cache.stats().rejected_files, rejected + 1, "{what}");
        // The miss claimed the layer; analysing it again replaces the file.
        cache.put(digest, &analysis_for(digest));
        assert_eq!(cache.get(digest), Some(analysis_for(digest)), "{what}");
    }
    // A file over the size bound is not read.
    let small = DirCache::with_options(
        dir.path(),
        DirCacheOptions {
            max_file_bytes: 100,
            ..quick()
        },
    )
    .unwrap();
    assert!(small.get(d1).is_none());
    small.abandon(d1);
    assert!(files_ending(dir.path(), ".claim").is_empty());
    assert!(files_ending(dir.path(), ".takeover").is_empty());
}

/// Writes a claim as another machine's process would, with the given age.
fn foreign_claim(cache: &DirCache, digest: &str, age: Duration) -> PathBuf {
    let p = cache.path_of(digest).unwrap().with_extension("claim");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let c = json!({"format": "codebench-layer-claim/1", "digest": digest, "host": "node-17",
                   "pid": 4242, "token": "node-17:4242:dead:0", "claimed_at": 1});
    std::fs::write(&p, serde_json::to_vec(&c).unwrap()).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
    p
}

#[test]
fn stale_claims_are_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let ds = digests(2);
    let cache = DirCache::with_options(dir.path(), quick()).unwrap();
    // A claim whose heartbeat stopped an hour ago (its holder died).
    let claim = foreign_claim(&cache, &ds[0], Duration::from_secs(3600));
    assert!(cache.get(&ds[0]).is_none(), "taken over: ours to analyse");
    assert_eq!(cache.stats().takeovers, 1);
    let now: serde_json::Value = serde_json::from_slice(&std::fs::read(&claim).unwrap()).unwrap();
    assert_eq!(now["pid"], std::process::id());
    cache.put(&ds[0], &analysis_for(&ds[0]));
    assert!(!claim.exists());
    assert!(cache.get(&ds[0]).is_some());

    // A claim that looks fresh but never heartbeats: taken over once this waiter has seen it
    // unchanged for `stale_after`.
    let short = DirCache::with_options(
        dir.path(),
        DirCacheOptions {
            stale_after: Duration::from_millis(300),
            ..quick()
        },
    )
    .unwrap();
    let claim = foreign_claim(&short, &ds[1], Duration::ZERO);
    assert!(short.get(&ds[1]).is_none());
    let s = short.stats();
    assert_eq!((s.takeovers, s.claims, s.timeouts), (1, 1, 0), "{s:?}");
    drop(short);
    assert!(!claim.exists(), "a dropped cache releases its claims");

    // What crashed processes leave behind is swept once old; results stay.
    let leftover = foreign_claim(&cache, &ds[1], Duration::from_secs(7200));
    let tmp = leftover.with_file_name(".tmp-crashed");
    std::fs::write(&tmp, b"half").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&tmp)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    assert_eq!(
        cache.sweep(Duration::from_secs(3600)).unwrap(),
        1,
        "the old claim only"
    );
    assert!(!leftover.exists() && tmp.exists());
    assert_eq!(cache.sweep(Duration::from_secs(30)).unwrap(), 1);
    assert!(!tmp.exists());
    assert!(cache.get(&ds[0]).is_some());
}

#[test]
fn live_claims_are_waited_for_and_abandoned_ones_passed_on() {
    let dir = tempfile::tempdir().unwrap();
    let ds = digests(3);
    let opts = DirCacheOptions {
        stale_after: Duration::from_secs(2),
        ..quick()
    };
    let a = Arc::new(DirCache::with_options(dir.path(), opts.clone()).unwrap());
    let b = Arc::new(DirCache::with_options(dir.path(), opts.clone()).unwrap());

    // A holds the claim longer than the stale timeout, heartbeating: B waits for its result.
    assert!(a.get(&ds[0]).is_none());
    let (b2, d) = (b.clone(), ds[0].clone());
    let waiter = std::thread::spawn(move || b2.get(&d));
    std::thread::sleep(Duration::from_secs(3));
    a.put(&ds[0], &analysis_for(&ds[0]));
    assert_eq!(waiter.join().unwrap(), Some(analysis_for(&ds[0])));
    let s = b.stats();
    assert_eq!((s.waits, s.takeovers, s.claims), (1, 0, 0), "{s:?}");

    // A gives up: the waiting B gets the claim.
    assert!(a.get(&ds[1]).is_none());
    let (b2, d) = (b.clone(), ds[1].clone());
    let waiter = std::thread::spawn(move || b2.get(&d));
    std::thread::sleep(Duration::from_millis(200));
    a.abandon(&ds[1]);
    assert_eq!(waiter.join().unwrap(), None);
    assert_eq!(b.stats().claims, 1);
    b.put(&ds[1], &analysis_for(&ds[1]));
    assert_eq!(a.get(&ds[1]), Some(analysis_for(&ds[1])));

    // The wait is bounded: past it, a miss without a claim, and A's claim stays A's.
    let impatient = DirCache::with_options(
        dir.path(),
        DirCacheOptions {
            max_wait: Duration::from_millis(200),
            ..opts
        },
    )
    .unwrap();
    assert!(a.get(&ds[2]).is_none());
    assert!(impatient.get(&ds[2]).is_none());
    assert_eq!(impatient.stats().timeouts, 1);
    impatient.put(&ds[2], &analysis_for(&ds[2]));
    assert_eq!(
        files_ending(dir.path(), ".claim").len(),
        1,
        "A's claim is untouched"
    );
    a.put(&ds[2], &analysis_for(&ds[2]));
    assert!(files_ending(dir.path(), ".claim").is_empty());
}

#[test]
fn threads_and_instances_analyse_each_digest_once() {
    let dir = tempfile::tempdir().unwrap();
    let ds = digests(16);
    let caches: Vec<Arc<DirCache>> = (0..3)
        .map(|_| Arc::new(DirCache::with_options(dir.path(), quick()).unwrap()))
        .collect();
    let mut handles = Vec::new();
    for (ci, c) in caches.iter().enumerate() {
        for t in 0..3 {
            let (c, ds) = (c.clone(), ds.clone());
            handles.push(std::thread::spawn(move || work(&*c, &ds, ci * 5 + t * 2)));
        }
    }
    let mut count: HashMap<String, usize> = HashMap::new();
    for h in handles {
        for d in h.join().unwrap() {
            *count.entry(d).or_default() += 1;
        }
    }
    assert_eq!(count.len(), ds.len(), "every digest analysed");
    assert!(count.values().all(|&n| n == 1), "{count:?}");
    for c in &caches {
        let s = c.stats();
        assert_eq!(
            (s.takeovers, s.timeouts, s.write_errors),
            (0, 0, 0),
            "{s:?}"
        );
    }
    assert!(files_ending(dir.path(), ".claim").is_empty());
}

const CHILD: &str = "CODEBENCH_LAYER_CACHE_CHILD";

/// Runs this test binary again as `n` child processes doing `mode` on the cache `dir`; they
/// start together once all are up. Returns each child's JSON output.
fn run_children(n: usize, mode: &str, dir: &Path, extra: &str) -> Vec<serde_json::Value> {
    let work = tempfile::tempdir().unwrap();
    let go = work.path().join("go");
    let children: Vec<_> = (0..n)
        .map(|i| {
            let out = work.path().join(format!("out-{i}.json"));
            let spec = json!({"mode": mode, "dir": dir, "go": go, "out": out, "id": i,
                              "extra": extra});
            let child = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "child_process",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, spec.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();
    std::fs::write(&go, b"go").unwrap();
    children
        .into_iter()
        .map(|(mut child, out)| {
            assert!(child.wait().unwrap().success(), "a child failed");
            serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
        })
        .collect()
}

/// Not a test by itself: the body of a child process started by [`run_children`].
#[test]
fn child_process() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let path = |k: &str| PathBuf::from(spec[k].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path("go").exists() {
        assert!(Instant::now() < deadline, "never told to go");
        std::thread::sleep(Duration::from_millis(5));
    }
    let id = spec["id"].as_u64().unwrap() as usize;
    let cache = Arc::new(Counting::new(
        DirCache::with_options(path("dir"), quick()).unwrap(),
    ));
    let out = match spec["mode"].as_str().unwrap() {
        "protocol" => {
            let ds = digests(24);
            let handles: Vec<_> = (0..3)
                .map(|t| {
                    let (c, ds) = (cache.clone(), ds.clone());
                    std::thread::spawn(move || work(&*c, &ds, id * 7 + t * 3))
                })
                .collect();
            let analysed: Vec<String> = handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect();
            json!({"analysed": analysed, "stats": cache.inner.stats()})
        }
        "layout" => {
            let opts = AnalyzeOptions {
                cache: Some(cache.clone()),
                workers: 2,
                ..Default::default()
            };
            let layout = PathBuf::from(spec["extra"].as_str().unwrap());
            let r = analyze_oci_layout(&layout, &opts).unwrap();
            json!({"analysed": cache.puts(), "report": r, "stats": cache.inner.stats()})
        }
        other => panic!("unknown mode {other}"),
    };
    std::fs::write(path("out"), serde_json::to_vec(&out).unwrap()).unwrap();
}

fn analysed_by_all(outs: &[serde_json::Value]) -> HashMap<String, usize> {
    let mut count = HashMap::new();
    for o in outs {
        for d in o["analysed"].as_array().unwrap() {
            *count.entry(d.as_str().unwrap().to_string()).or_default() += 1;
        }
        assert_eq!(o["stats"]["takeovers"], 0, "{o}");
        assert_eq!(o["stats"]["timeouts"], 0, "{o}");
    }
    count
}

#[test]
fn processes_analyse_each_digest_once() {
    let dir = tempfile::tempdir().unwrap();
    let outs = run_children(3, "protocol", dir.path(), "");
    let count = analysed_by_all(&outs);
    assert_eq!(count.len(), 24, "every digest analysed");
    assert!(count.values().all(|&n| n == 1), "{count:?}");
    assert!(files_ending(dir.path(), ".claim").is_empty());
    assert!(files_ending(dir.path(), ".json").len() == 24);
}

#[test]
fn processes_analysing_one_layout_share_its_layers() {
    let (amd, arm) = standard_images();
    let layout = tempfile::tempdir().unwrap();
    write_oci_layout(layout.path(), &[&amd, &arm]);
    let alone = analyze_oci_layout(layout.path(), &AnalyzeOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outs = run_children(3, "layout", dir.path(), layout.path().to_str().unwrap());
    let count = analysed_by_all(&outs);
    let mut distinct: Vec<&str> = amd
        .layers
        .iter()
        .chain(&arm.layers)
        .map(|l| l.digest.as_str())
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(count.len(), distinct.len(), "{count:?}");
    assert!(count.values().all(|&n| n == 1), "{count:?}");
    for o in &outs {
        let r: ImageReport = serde_json::from_value(o["report"].clone()).unwrap();
        assert_eq!(r, alone);
    }
}

#[test]
fn failed_analyses_leave_no_claim_behind() {
    // A local layout with a corrupt layer.
    let (amd, arm) = standard_images();
    let layout = tempfile::tempdir().unwrap();
    write_oci_layout(layout.path(), &[&amd, &arm]);
    let l = &arm.layers[1];
    let p = layout.path().join("blobs/sha256").join(&l.digest[7..]);
    let mut data = std::fs::read(&p).unwrap();
    let n = data.len();
    data[n / 2] ^= 0xff;
    std::fs::write(&p, data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(DirCache::with_options(dir.path(), quick()).unwrap());
    let opts = AnalyzeOptions {
        cache: Some(cache.clone()),
        ..Default::default()
    };
    let r = analyze_oci_layout(layout.path(), &opts).unwrap();
    assert!(r.failed());
    assert!(files_ending(dir.path(), ".claim").is_empty());
    assert!(cache.path_of(&l.digest).map(|p| !p.exists()).unwrap());

    // A registry that drops the connection in the middle of a layer (a fresh folder, so no
    // layer is there yet).
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(DirCache::with_options(dir.path(), quick()).unwrap());
    let opts = AnalyzeOptions {
        cache: Some(cache.clone()),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fake = Fake::start(false).await;
        fake.serve_image("c/img", &amd, Some("1"));
        let bad = &amd.layers[2];
        fake.route(
            &format!("/v2/c/img/blobs/{}", bad.digest),
            Route::Drop(bad.blob.clone(), bad.blob.len() / 2),
        );
        let ropts = RegistryOptions {
            base_url: Some(fake.base.clone()),
            analyze: opts.clone(),
            ..Default::default()
        };
        let r = analyze_registry("example.org/c/img:1", &ropts)
            .await
            .unwrap();
        assert!(r.retryable(), "{:?}", r.platforms);
        assert!(files_ending(dir.path(), ".claim").is_empty());
        // Served whole again: analysed now, and stored.
        fake.route(
            &format!("/v2/c/img/blobs/{}", bad.digest),
            Route::Ok(bad.blob.clone(), "application/octet-stream"),
        );
        let r = analyze_registry("example.org/c/img:1", &ropts)
            .await
            .unwrap();
        check_platform(&r.platforms[0], &amd, true);
        for l in &amd.layers {
            assert!(cache.path_of(&l.digest).unwrap().is_file());
        }
    });
    assert!(files_ending(dir.path(), ".claim").is_empty());
}
