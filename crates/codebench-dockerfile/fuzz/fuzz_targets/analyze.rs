//! Any bytes: `analyze` must return (no panic, no hang), and the result and its NDJSON record
//! must serialise and read back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = codebench_dockerfile::analyze("fuzz", data);
    // Every instruction lies within the file's lines, in order.
    let mut last = 0;
    for i in &a.instructions {
        assert!(i.line >= last && i.line <= i.end_line && i.end_line <= a.lines.max(1));
        last = i.line;
    }
    assert!(a.errors.len() <= codebench_dockerfile::MAX_ERRORS + 1);
    let json = serde_json::to_string(&a).expect("analysis serialises");
    let back: codebench_dockerfile::Analysis = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, a);
    // The NDJSON record is one line and reads back as written.
    let record = codebench_dockerfile::Record::from_analysis(a);
    let line = serde_json::to_string(&record).expect("record serialises");
    assert!(!line.contains('\n'));
    let back: codebench_dockerfile::Record =
        serde_json::from_str(&line).expect("record round trip");
    assert_eq!(back, record);
    // Image references never panic either.
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = codebench_dockerfile::parse_image_reference(s);
    }
});
