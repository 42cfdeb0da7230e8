//! OCI layouts, skopeo dirs and docker-save archives written by the tests, analysed and compared
//! with independently computed metrics; plus hostile layers.

mod common;

use std::sync::Arc;

use codebench_image::{
    analyze_docker_archive, analyze_layer, analyze_layer_with, analyze_oci_layout,
    analyze_skopeo_dir, AnalyzeOptions, Hashing, LayerInput, Limits, MemoryCache, Platform,
};
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

#[test]
fn oci_layout_multi_arch_matches_independent_metrics() {
    let (amd, arm) = standard_images();
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[&amd, &arm]);
    let cache = Arc::new(MemoryCache::new());
    let opts = AnalyzeOptions {
        cache: Some(cache.clone()),
        ..Default::default()
    };
    let r = analyze_oci_layout(dir.path(), &opts).unwrap();
    assert_eq!(r.platforms.len(), 2, "{r:#?}");
    assert_eq!(r.attestations_skipped, 1);
    assert!(!r.failed());
    check_platform(find(&r, "amd64"), &amd, true);
    check_platform(find(&r, "arm64"), &arm, true);
    // The shared base layer was analysed once.
    assert_eq!(cache.len(), 5);
    assert_eq!(cache.hits(), 1);
    // Platform filter.
    let opts = AnalyzeOptions {
        platform: Some(Platform::parse("linux/arm64").unwrap()),
        ..Default::default()
    };
    let r = analyze_oci_layout(dir.path(), &opts).unwrap();
    assert_eq!(r.platforms.len(), 1);
    check_platform(&r.platforms[0], &arm, true);
    let opts = AnalyzeOptions {
        platform: Some(Platform::parse("windows/amd64").unwrap()),
        ..Default::default()
    };
    let e = analyze_oci_layout(dir.path(), &opts).unwrap_err();
    assert!(e.to_string().contains("windows/amd64"), "{e}");
    // Reports round-trip through JSON.
    let json = serde_json::to_string(&r_or(&dir)).unwrap();
    let back: codebench_image::ImageReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r_or(&dir));
}

fn r_or(dir: &tempfile::TempDir) -> codebench_image::ImageReport {
    analyze_oci_layout(dir.path(), &AnalyzeOptions::default()).unwrap()
}

#[test]
fn docker_archive_and_skopeo_dir_match() {
    let (amd, arm) = standard_images();
    let dir = tempfile::tempdir().unwrap();
    for img in [&amd, &arm] {
        let file = dir.path().join(format!("{}.tar", img.arch));
        write_docker_archive(&file, img);
        let r = analyze_docker_archive(&file, &AnalyzeOptions::default()).unwrap();
        assert_eq!(r.platforms.len(), 1);
        check_platform(&r.platforms[0], img, false);

        let sk = dir.path().join(format!("skopeo-{}", img.arch));
        std::fs::create_dir(&sk).unwrap();
        write_skopeo_dir(&sk, img);
        let r = analyze_skopeo_dir(&sk, &AnalyzeOptions::default()).unwrap();
        assert_eq!(r.platforms.len(), 1);
        check_platform(&r.platforms[0], img, true);
    }
}

#[test]
fn corrupted_blob_fails_that_platform_only() {
    let (amd, arm) = standard_images();
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[&amd, &arm]);
    // Flip a byte in the arm64-only zstd layer.
    let l = &arm.layers[1];
    let p = dir.path().join("blobs/sha256").join(&l.digest[7..]);
    let mut data = std::fs::read(&p).unwrap();
    let n = data.len();
    data[n / 2] ^= 0xff;
    std::fs::write(&p, data).unwrap();
    let r = analyze_oci_layout(dir.path(), &AnalyzeOptions::default()).unwrap();
    check_platform(find(&r, "amd64"), &amd, true);
    let e = find(&r, "arm64").error.clone().unwrap();
    assert_eq!(e.kind, "digest_mismatch", "{e:?}");
    assert!(!e.retryable);
    assert!(r.failed() && !r.retryable());
}

#[test]
fn hundred_thousand_files_and_forty_levels() {
    let big = build_layer(hundred_k_entries(), Comp::Gzip, false);
    let a = analyze_layer(
        &big.blob[..],
        &LayerInput {
            digest: Some(big.digest.clone()),
            media_type: Some(big.media_type.to_string()),
            size: Some(big.blob.len() as u64),
        },
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(a.metrics.files, 99_900);
    assert_eq!(actual_layer(&a.metrics), expected_layer(&big.entries));
    // 40 levels deep, long names through GNU long-name headers.
    let (_, arm) = standard_images();
    let deep = &arm.layers[2];
    let a = analyze_layer(&deep.blob[..], &LayerInput::default(), &Limits::default()).unwrap();
    assert_eq!(a.metrics.max_directory_level, 40);
    assert_eq!(actual_layer(&a.metrics), expected_layer(&deep.entries));
    // Merged with a base, in a layout.
    let img = TestImage::new(
        "linux",
        "amd64",
        None,
        vec![big, build_layer(deep.entries.clone(), Comp::Zstd, true)],
    );
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[&img]);
    let r = analyze_oci_layout(dir.path(), &AnalyzeOptions::default()).unwrap();
    check_platform(&r.platforms[0], &img, true);
}

fn raw_header(name: &[u8], size_field: &[u8], typeflag: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[124..124 + size_field.len()].copy_from_slice(size_field);
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

fn analyze_bytes(data: &[u8], limits: &Limits, hashing: Hashing) -> codebench_image::ImageError {
    analyze_layer_with(data, &LayerInput::default(), limits, hashing).unwrap_err()
}

#[test]
fn hostile_layers_give_clear_errors() {
    hostile_layers_with(Hashing::Inline);
    hostile_layers_with(Hashing::Pipelined);
}

fn hostile_layers_with(hashing: Hashing) {
    // `../` names.
    let mut t = raw_header(b"../../etc/passwd", b"00000000000\0", b'0').to_vec();
    t.extend([0u8; 1024]);
    let e = analyze_bytes(&t, &Limits::default(), hashing);
    assert_eq!(e.kind(), "limit");
    assert!(e.to_string().contains(".."), "{e}");
    assert!(!e.retryable());

    // An entry declaring ~1 PiB (base-256 size field).
    let mut size = [0u8; 12];
    size[0] = 0x80;
    size[6] = 0x04; // 4 << 40 bytes
    let t = raw_header(b"huge.bin", &size, b'0').to_vec();
    let e = analyze_bytes(&t, &Limits::default(), hashing);
    assert_eq!(e.kind(), "limit");
    assert!(e.to_string().contains("absurd size"), "{e}");

    // A gzip bomb: 256 MiB of zeros in a tar entry; limits shrunk so the test stays quick.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    {
        use std::io::Write;
        let h = raw_header(
            b"zeros",
            format!("{:011o}\0", 256u64 << 20).as_bytes(),
            b'0',
        );
        enc.write_all(&h).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..256 {
            enc.write_all(&zeros).unwrap();
        }
    }
    let bomb = enc.finish().unwrap();
    let limits = Limits {
        ratio_check_after_bytes: 8 << 20,
        max_compression_ratio: 100.0,
        ..Limits::default()
    };
    let e = analyze_bytes(&bomb, &limits, hashing);
    assert_eq!(e.kind(), "limit", "{e}");
    assert!(e.to_string().contains("bomb"), "{e}");
    let limits = Limits {
        max_layer_uncompressed_bytes: 16 << 20,
        ..Limits::default()
    };
    assert!(analyze_bytes(&bomb, &limits, hashing)
        .to_string()
        .contains("more than"));

    // Truncated blob with a declared size: retryable truncation.
    let (amd, _) = standard_images();
    let l = &amd.layers[0];
    let cut = &l.blob[..l.blob.len() / 2];
    let e = analyze_layer_with(
        cut,
        &LayerInput {
            digest: Some(l.digest.clone()),
            media_type: Some(l.media_type.into()),
            size: Some(l.blob.len() as u64),
        },
        &Limits::default(),
        hashing,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "truncated", "{e}");
    assert!(e.retryable());

    // Wrong media type (zstd declared, gzip content) and unknown media type.
    for (mt, kind) in [
        ("application/vnd.oci.image.layer.v1.tar+zstd", "media_type"),
        ("application/x-whatever", "media_type"),
    ] {
        let e = analyze_layer_with(
            &l.blob[..],
            &LayerInput {
                digest: Some(l.digest.clone()),
                media_type: Some(mt.into()),
                size: None,
            },
            &Limits::default(),
            hashing,
        )
        .unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert!(!e.retryable());
    }

    // Garbage that is not a tar.
    let e = analyze_bytes(&[0x42u8; 4096], &Limits::default(), hashing);
    assert_eq!(e.kind(), "archive");
    assert!(e.to_string().contains("checksum"), "{e}");
}

#[test]
fn oversized_manifest_and_bad_json_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("index.json"), vec![b' '; 5 << 20]).unwrap();
    let e = analyze_oci_layout(dir.path(), &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(e.kind(), "too_large", "{e}");
    std::fs::write(dir.path().join("index.json"), b"{\n \"manifests\": [1]\n}").unwrap();
    let e = analyze_oci_layout(dir.path(), &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(e.kind(), "parse");
    assert!(
        e.to_string().contains("index.json") && e.to_string().contains("line 2"),
        "{e}"
    );
}

#[test]
fn oci_layout_index_listing_one_index_thousands_of_times_is_walked_once() {
    let (amd, arm) = standard_images();
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[&amd, &arm]);
    let (idx, _) = index_of(&[&amd, &arm], true);
    let entry = serde_json::json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": sha(&idx),
        "size": idx.len()
    });
    let top = serde_json::json!({"schemaVersion": 2, "manifests": vec![entry; 10_000]});
    std::fs::write(
        dir.path().join("index.json"),
        serde_json::to_vec(&top).unwrap(),
    )
    .unwrap();
    let r = analyze_oci_layout(dir.path(), &AnalyzeOptions::default()).unwrap();
    assert_eq!(r.platforms.len(), 2, "{:?}", r.platforms);
    assert_eq!(r.attestations_skipped, 1);
    check_platform(find(&r, "amd64"), &amd, true);
    check_platform(find(&r, "arm64"), &arm, true);
}
