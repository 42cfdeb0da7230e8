//! The golden sample exports in exports/sample/ are what the sample study exports today, byte
//! for byte (`make golden` writes them again after an intended change).

use std::path::Path;
use std::process::Command;

#[test]
fn sample_exports_match_the_golden_files() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let golden = root.join("exports/sample");
    assert!(
        golden.is_dir(),
        "exports/sample is missing: run `make golden`"
    );
    let out = tempfile::tempdir().unwrap();
    let status = Command::new("bash")
        .arg(root.join("scripts/golden.sh"))
        .arg(out.path())
        .env("CODEBENCH", env!("CARGO_BIN_EXE_codebench"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut names: Vec<String> = std::fs::read_dir(&golden)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut made: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    made.sort();
    assert_eq!(
        names, made,
        "the set of export files changed: run `make golden` and review the diff"
    );
    for n in names {
        let want = std::fs::read(golden.join(&n)).unwrap();
        let got = std::fs::read(out.path().join(&n)).unwrap();
        assert!(
            want == got,
            "{n} differs from exports/sample/{n}: run `make golden` and review the diff"
        );
    }
}
