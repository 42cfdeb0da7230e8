//! Registry sources: the real Debian `docker-registry` on loopback with images pushed by the
//! test, and a fake registry for Docker Hub's token flow, redirects and faults.

mod common;

use std::sync::Arc;

use codebench_image::{
    analyze_oci_layout, analyze_registry, AnalyzeOptions, Credentials, Hashing, MemoryCache,
    Platform, RegistryOptions,
};
use common::servers::{Fake, PushTestImage, Registry, Route, TOKEN};
use common::*;

fn find<'a>(
    r: &'a codebench_image::ImageReport,
    arch: &str,
) -> &'a codebench_image::PlatformReport {
    r.platforms
        .iter()
        .find(|p| p.platform.as_ref().map(|p| p.architecture.as_str()) == Some(arch))
        .unwrap_or_else(|| panic!("no {arch} platform in {:?}", r.platforms))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_registry_multi_arch_index_matches_layout_and_expectations() {
    let reg = Registry::start();
    let (amd, arm) = standard_images();
    let repo = "ns/img";
    reg.push_image(repo, &amd);
    reg.push_image(repo, &arm);
    let (index, extra) = index_of(&[&amd, &arm], true);
    for (m, blobs) in &extra {
        for b in blobs {
            reg.push_blob(repo, b);
        }
        reg.push_manifest(
            repo,
            &sha(m),
            "application/vnd.oci.image.manifest.v1+json",
            m,
        );
    }
    reg.push_manifest(
        repo,
        "multi",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    // A second image sharing the base layer, and the 100,000-file image.
    reg.push_image("ns/other", &amd);
    reg.push_manifest(
        "ns/other",
        "1",
        "application/vnd.oci.image.manifest.v1+json",
        &amd.manifest,
    );
    let big = TestImage::new(
        "linux",
        "amd64",
        None,
        vec![build_layer(hundred_k_entries(), Comp::Gzip, false)],
    );
    reg.push_image("ns/big", &big);
    reg.push_manifest(
        "ns/big",
        "1",
        "application/vnd.oci.image.manifest.v1+json",
        &big.manifest,
    );

    let cache = Arc::new(MemoryCache::new());
    let opts = RegistryOptions {
        analyze: AnalyzeOptions {
            cache: Some(cache.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = analyze_registry(&format!("{}/{repo}:multi", reg.addr), &opts)
        .await
        .unwrap();
    assert_eq!(r.root_digest.as_deref(), Some(sha(&index).as_str()));
    assert_eq!(r.root_media_type, "application/vnd.oci.image.index.v1+json");
    assert_eq!(r.attestations_skipped, 1);
    assert_eq!(r.platforms.len(), 2);
    check_platform(find(&r, "amd64"), &amd, true);
    check_platform(find(&r, "arm64"), &arm, true);
    assert_eq!(cache.len(), 5, "the shared base layer is analysed once");

    // Same metrics as through an OCI layout of the same images.
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[&amd, &arm]);
    let local = analyze_oci_layout(dir.path(), &AnalyzeOptions::default()).unwrap();
    for arch in ["amd64", "arm64"] {
        assert_eq!(find(&r, arch).image, find(&local, arch).image);
        assert_eq!(find(&r, arch).layers, find(&local, arch).layers);
    }

    // Another image with the same layers: everything from the cache.
    let before = cache.hits();
    let r2 = analyze_registry(&format!("{}/ns/other:1", reg.addr), &opts)
        .await
        .unwrap();
    check_platform(&r2.platforms[0], &amd, true);
    assert_eq!(cache.hits() - before, 3);

    // Platform filter, by digest reference, and the big image.
    let f = RegistryOptions {
        analyze: AnalyzeOptions {
            platform: Some(Platform::parse("linux/arm64/v8").unwrap()),
            ..Default::default()
        },
        ..Default::default()
    };
    let r3 = analyze_registry(&format!("{}/{repo}@{}", reg.addr, sha(&index)), &f)
        .await
        .unwrap();
    assert_eq!(r3.platforms.len(), 1);
    check_platform(&r3.platforms[0], &arm, true);
    let rb = analyze_registry(
        &format!("{}/ns/big:1", reg.addr),
        &RegistryOptions::default(),
    )
    .await
    .unwrap();
    check_platform(&rb.platforms[0], &big, true);

    // Unknown tag: a clear, non-retryable error.
    let e = analyze_registry(
        &format!("{}/{repo}:nope", reg.addr),
        &RegistryOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), "http");
    assert!(!e.retryable() && e.to_string().contains("404"), "{e}");
}

#[test]
fn blocking_api_against_docker_registry() {
    let reg = Registry::start();
    let (amd, _) = standard_images();
    reg.push_image("solo", &amd);
    reg.push_manifest(
        "solo",
        "v1",
        "application/vnd.oci.image.manifest.v1+json",
        &amd.manifest,
    );
    let r = codebench_image::analyze_registry_blocking(
        &format!("localhost:{}/solo:v1", reg.addr.split(':').nth(1).unwrap()),
        &RegistryOptions::default(),
    )
    .unwrap();
    check_platform(&r.platforms[0], &amd, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_hub_token_flow_library_prefix_and_redirects() {
    let hub = Fake::start(true).await;
    let (amd, _) = standard_images();
    hub.serve_image("library/python", &amd, Some("3.11"));
    let opts = RegistryOptions {
        base_url: Some(hub.base.clone()),
        credentials: Some(Credentials {
            username: "user".into(),
            password: "pass".into(),
        }),
        ..Default::default()
    };
    let r = analyze_registry("python:3.11", &opts).await.unwrap();
    check_platform(&r.platforms[0], &amd, true);
    let seen = hub.seen.lock().unwrap().clone();
    // 401 challenge first, then the token endpoint with service, scope and basic credentials.
    assert_eq!(seen[0].path, "/v2/library/python/manifests/3.11");
    assert!(seen[0].authorization.is_none());
    let tok = seen
        .iter()
        .find(|s| s.path.starts_with("/token"))
        .expect("token requested");
    assert!(tok.path.contains("service=fake.hub"), "{}", tok.path);
    assert!(
        tok.path
            .contains("scope=repository%3Alibrary%2Fpython%3Apull"),
        "{}",
        tok.path
    );
    assert_eq!(tok.authorization.as_deref(), Some("Basic dXNlcjpwYXNz"));
    // Only one token request: the token is reused.
    assert_eq!(
        seen.iter().filter(|s| s.path.starts_with("/token")).count(),
        1
    );
    // Blobs went through the redirect, without the Authorization header.
    let cdn: Vec<_> = seen
        .iter()
        .filter(|s| s.path.starts_with("/cdn/"))
        .collect();
    assert_eq!(cdn.len(), 4, "config + 3 layers");
    assert!(cdn.iter().all(|s| s.authorization.is_none()));
    assert!(seen
        .iter()
        .filter(|s| s.path.contains("/blobs/") && !s.path.starts_with("/cdn"))
        .any(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_faults_are_classified_and_other_platforms_go_on() {
    let fake = Fake::start(false).await;
    let (amd, arm) = standard_images();
    let repo = "faults/img";
    fake.serve_image(repo, &amd, None);
    fake.serve_image(repo, &arm, None);
    let (index, _) = index_of(&[&amd, &arm], false);
    fake.route(
        &format!("/v2/{repo}/manifests/multi"),
        Route::Ok(index, "application/vnd.oci.image.index.v1+json"),
    );
    let opts = RegistryOptions {
        base_url: Some(fake.base.clone()),
        ..Default::default()
    };
    let reference = format!("example.org/{repo}:multi");
    let run = || analyze_registry(&reference, &opts);

    // Connection dropped in the middle of an arm64-only layer: that platform fails, retryable.
    let zl = &arm.layers[1];
    let path = format!("/v2/{repo}/blobs/{}", zl.digest);
    // Both hashing arrangements (Auto picks one by the machine's cores).
    let arrangements = [Hashing::Inline, Hashing::Pipelined].map(|hashing| RegistryOptions {
        base_url: Some(fake.base.clone()),
        analyze: AnalyzeOptions {
            hashing,
            ..Default::default()
        },
        ..Default::default()
    });
    fake.route(&path, Route::Drop(zl.blob.clone(), zl.blob.len() / 2));
    for o in &arrangements {
        let r = analyze_registry(&reference, o).await.unwrap();
        check_platform(find(&r, "amd64"), &amd, true);
        let e = find(&r, "arm64").error.clone().unwrap();
        assert!(e.retryable, "{:?}: {e:?}", o.analyze.hashing);
        assert!(r.failed() && r.retryable());
    }

    // 503 with Retry-After, and 429.
    fake.route(&path, Route::Status(503, Some(7)));
    let r = run().await.unwrap();
    let e = find(&r, "arm64").error.clone().unwrap();
    assert_eq!(
        (e.kind.as_str(), e.retryable, e.retry_after),
        ("http", true, Some(7)),
        "{e:?}"
    );
    assert_eq!(r.retry_after(), Some(7));
    fake.route(&path, Route::Status(429, None));
    let e = find(&run().await.unwrap(), "arm64").error.clone().unwrap();
    assert!(e.retryable && e.message.contains("429"), "{e:?}");

    // Digest mismatch: other bytes behind the digest. Not retryable.
    let mut wrong = zl.blob.clone();
    let n = wrong.len();
    wrong[n - 5] ^= 1;
    fake.route(&path, Route::Ok(wrong, "application/octet-stream"));
    for o in &arrangements {
        let r = analyze_registry(&reference, o).await.unwrap();
        let e = find(&r, "arm64").error.clone().unwrap();
        assert!(!e.retryable, "{e:?}");
        assert!(
            matches!(e.kind.as_str(), "digest_mismatch" | "archive"),
            "{:?}: {e:?}",
            o.analyze.hashing
        );
    }
    fake.route(
        &path,
        Route::Ok(zl.blob.clone(), "application/octet-stream"),
    );
    assert!(!run().await.unwrap().failed());
    for o in &arrangements {
        assert!(!analyze_registry(&reference, o).await.unwrap().failed());
    }

    // Manifest over 4 MiB; root manifest 5xx.
    let mut huge =
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x":""#
            .to_vec();
    huge.extend(vec![b'a'; 5 << 20]);
    huge.extend(b"\"}");
    fake.route(
        &format!("/v2/{repo}/manifests/huge"),
        Route::Ok(huge, "application/vnd.oci.image.manifest.v1+json"),
    );
    let e = analyze_registry(&format!("example.org/{repo}:huge"), &opts)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "too_large", "{e}");
    assert!(!e.retryable());
    fake.route(
        &format!("/v2/{repo}/manifests/down"),
        Route::Status(502, Some(30)),
    );
    let e = analyze_registry(&format!("example.org/{repo}:down"), &opts)
        .await
        .unwrap_err();
    assert!(e.retryable() && e.retry_after() == Some(30), "{e}");

    // Unknown layer media type.
    let mut m: serde_json::Value = serde_json::from_slice(&amd.manifest).unwrap();
    m["layers"][0]["mediaType"] = "application/x-mystery".into();
    let mb = serde_json::to_vec(&m).unwrap();
    fake.route(
        &format!("/v2/{repo}/manifests/odd"),
        Route::Ok(mb, "application/vnd.oci.image.manifest.v1+json"),
    );
    let r = analyze_registry(&format!("example.org/{repo}:odd"), &opts)
        .await
        .unwrap();
    let e = r.platforms[0].error.clone().unwrap();
    assert_eq!(e.kind, "media_type");
    assert!(e.message.contains("x-mystery") && !e.retryable, "{e:?}");

    // Nothing listens: a connection error, retryable.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = analyze_registry(
        &format!("127.0.0.1:{closed}/a/b:c"),
        &RegistryOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), "connection");
    assert!(e.retryable());
}

fn index_listing(entries: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries
    }))
    .unwrap()
}

fn index_descriptor(index: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": sha(index),
        "size": index.len()
    })
}

/// Requests the fake registry saw for `path` (query strings ignored).
fn hits(fake: &Fake, path: &str) -> usize {
    fake.seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.path.split('?').next() == Some(path))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_indexes_are_walked_in_bounded_work() {
    const INDEX: &str = "application/vnd.oci.image.index.v1+json";
    let fake = Fake::start(false).await;
    let (amd, arm) = standard_images();
    let repo = "hostile/img";
    fake.serve_image(repo, &amd, None);
    fake.serve_image(repo, &arm, None);
    let opts = RegistryOptions {
        base_url: Some(fake.base.clone()),
        ..Default::default()
    };
    let manifest_path = |d: &str| format!("/v2/{repo}/manifests/{d}");

    // The same nested index listed 5,000 times: fetched once, each platform analysed once.
    let (nested, _) = index_of(&[&amd, &arm], false);
    fake.route(
        &manifest_path(&sha(&nested)),
        Route::Ok(nested.clone(), INDEX),
    );
    let dup = index_listing(&vec![index_descriptor(&nested); 5_000]);
    assert!(dup.len() < 4 << 20, "stays under the manifest size limit");
    fake.route(&manifest_path("dup"), Route::Ok(dup, INDEX));
    let r = analyze_registry(&format!("example.org/{repo}:dup"), &opts)
        .await
        .unwrap();
    assert_eq!(r.platforms.len(), 2, "{:?}", r.platforms);
    check_platform(find(&r, "amd64"), &amd, true);
    check_platform(find(&r, "arm64"), &arm, true);
    assert_eq!(hits(&fake, &manifest_path(&sha(&nested))), 1);
    assert_eq!(hits(&fake, &manifest_path(&sha(&amd.manifest))), 1);
    let manifest_requests = fake
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.path.contains("/manifests/"))
        .count();
    assert_eq!(manifest_requests, 4, "root, nested index, two manifests");

    // A cycle the registry makes up: it answers a listed digest with the listing index itself.
    // Verification refuses it, so the walk ends after one fetch of it.
    let liar = format!("sha256:{}", "c".repeat(64));
    let cyc = index_listing(&[
        serde_json::json!({"mediaType": INDEX, "digest": liar, "size": 0}),
        amd.descriptor(),
    ]);
    fake.route(&manifest_path(&liar), Route::Ok(cyc.clone(), INDEX));
    fake.route(&manifest_path("cycle"), Route::Ok(cyc, INDEX));
    let r = analyze_registry(&format!("example.org/{repo}:cycle"), &opts)
        .await
        .unwrap();
    assert_eq!(r.platforms.len(), 2);
    check_platform(find(&r, "amd64"), &amd, true);
    let bad = r
        .platforms
        .iter()
        .find(|p| p.manifest_digest == liar)
        .unwrap();
    assert_eq!(bad.error.as_ref().unwrap().kind, "digest_mismatch");
    assert_eq!(hits(&fake, &manifest_path(&liar)), 1);

    // Indexes nested five deep below the root: refused at the bound, nothing else fetched.
    let mut inner = index_listing(&[amd.descriptor()]);
    let mut chain = vec![];
    for _ in 0..5 {
        fake.route(
            &manifest_path(&sha(&inner)),
            Route::Ok(inner.clone(), INDEX),
        );
        chain.push(sha(&inner));
        inner = index_listing(&[index_descriptor(&inner)]);
    }
    fake.route(&manifest_path("deep"), Route::Ok(inner, INDEX));
    let r = analyze_registry(&format!("example.org/{repo}:deep"), &opts)
        .await
        .unwrap();
    assert_eq!(r.platforms.len(), 1, "{:?}", r.platforms);
    let e = r.platforms[0].error.clone().unwrap();
    assert_eq!(e.kind, "index_limit");
    assert!(
        e.message.contains("nested more than 4 deep") && !e.retryable,
        "{e:?}"
    );
    assert_eq!(
        r.platforms[0].manifest_digest, chain[0],
        "the deepest index is named"
    );

    // More distinct manifests than allowed: the first few are fetched, then one clear refusal.
    let many: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": format!("sha256:{i:064x}"),
                "size": 10,
                "platform": {"os": "linux", "architecture": format!("arch{i}")}
            })
        })
        .collect();
    fake.route(
        &manifest_path("many"),
        Route::Ok(index_listing(&many), INDEX),
    );
    let few = RegistryOptions {
        base_url: Some(fake.base.clone()),
        analyze: AnalyzeOptions {
            max_manifests: 8,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = analyze_registry(&format!("example.org/{repo}:many"), &few)
        .await
        .unwrap();
    let kinds: Vec<&str> = r
        .platforms
        .iter()
        .map(|p| p.error.as_ref().unwrap().kind.as_str())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "index_limit").count(), 1);
    assert_eq!(
        kinds.iter().filter(|k| **k == "http").count(),
        8,
        "{kinds:?}"
    );
    assert_eq!(
        hits(&fake, &manifest_path(&format!("sha256:{:064x}", 8))),
        0
    );
}
