//! Bad input never panics or hangs: it yields a result with errors.

use codebench_dockerfile::{analyze, MAX_BYTES, MAX_ERRORS};

#[test]
fn binary_bytes() {
    let bytes: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let x = analyze("blob", &bytes);
    assert!(!x.errors.is_empty());
    assert!(x.errors.len() <= MAX_ERRORS + 1);
}

#[test]
fn nul_bytes_are_flagged_with_their_line() {
    let x = analyze("Dockerfile", b"FROM alpine\nRUN echo \0 hi\n");
    assert_eq!(x.errors[0].line, Some(2));
    assert!(x.errors[0].message.contains("NUL"));
    assert_eq!(x.instructions.len(), 2);
}

#[test]
fn invalid_utf8_is_replaced_and_flagged() {
    let x = analyze("Dockerfile", b"FROM alpine\nLABEL a=\xff\xfe\n");
    assert_eq!(x.errors[0].line, Some(2));
    assert!(x.errors[0].message.contains("UTF-8"));
    assert_eq!(x.instructions[1].args, vec!["a=\u{FFFD}\u{FFFD}"]);
}

#[test]
fn utf16_with_bom_is_decoded_and_flagged() {
    for le in [true, false] {
        let mut bytes = if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in "FROM ubuntu:22.04\nRUN echo hi\n".encode_utf16() {
            bytes.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        let x = analyze("Dockerfile", &bytes);
        assert_eq!(x.errors.len(), 1, "{:?}", x.errors);
        assert!(x.errors[0].message.contains("UTF-16"));
        assert_eq!(x.stages[0].base.name.as_deref(), Some("ubuntu"));
    }
}

#[test]
fn ten_megabytes_are_analysed() {
    let unit = "RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n    && rm -rf /var/lib/apt/lists/*\n";
    let mut text = String::from("FROM ubuntu:22.04\n");
    while text.len() + unit.len() <= 10_000_000 {
        text.push_str(unit);
    }
    let x = analyze("big", text.as_bytes());
    assert!(x.errors.is_empty(), "{:?}", &x.errors[..1]);
    assert_eq!(x.run.instructions as usize, (text.len() - 18) / unit.len());
}

#[test]
fn over_the_limit_yields_an_error_and_a_result() {
    let bytes = vec![b'#'; MAX_BYTES + 1];
    let x = analyze("huge", &bytes);
    assert_eq!(x.errors.len(), 1);
    assert!(x.errors[0].message.contains("too large"));
    assert!(x.instructions.is_empty());
    assert_eq!(x.bytes as usize, MAX_BYTES + 1);
}

#[test]
fn deeply_nested_continuations_and_long_lines() {
    let mut text = String::from("FROM alpine\nRUN echo start");
    for _ in 0..200_000 {
        text.push_str(" \\\n  && echo x");
    }
    text.push('\n');
    let x = analyze("Dockerfile", text.as_bytes());
    assert!(x.errors.is_empty());
    assert_eq!(x.run.commands, 200_001);
    // One line of 5 MB with operators and quotes.
    let long = format!("FROM alpine\nRUN {}\n", "a'&&'|\"x;\"".repeat(500_000));
    let y = analyze("Dockerfile", long.as_bytes());
    assert_eq!(y.instructions.len(), 2);
}

#[test]
fn unterminated_heredocs_and_quotes() {
    let x = analyze("Dockerfile", b"FROM alpine\nRUN <<A <<B\nx\nA\ny\n");
    assert_eq!(x.errors.len(), 1);
    assert!(x.errors[0].message.contains("unterminated heredoc"));
    let y = analyze("Dockerfile", b"FROM alpine\nRUN cat <<\"EOF\nx\n");
    assert_eq!(y.errors[0].line, Some(2));
    let z = analyze(
        "Dockerfile",
        b"FROM alpine\nENV A=\"unterminated\nRUN echo 'x\n",
    );
    assert_eq!(z.instructions.len(), 3);
}

#[test]
fn nested_onbuild_and_json_do_not_recurse_without_bound() {
    let text = format!("FROM alpine\n{}RUN x\n", "ONBUILD ".repeat(100_000));
    let x = analyze("Dockerfile", text.as_bytes());
    assert_eq!(x.instructions.len(), 2);
    assert!(!x.errors.is_empty());
    let json = format!("FROM alpine\nCMD {}\n", "[".repeat(100_000));
    let y = analyze("Dockerfile", json.as_bytes());
    assert_eq!(y.instructions[1].args.len(), 1);
}

#[test]
fn lone_carriage_returns_and_odd_whitespace() {
    let x = analyze(
        "Dockerfile",
        b"FROM\talpine\r\r\nRUN\x0becho\xc2\xa0x\r\n\x0c\n",
    );
    assert_eq!(x.instructions.len(), 2);
    assert_eq!(x.stages[0].base.name.as_deref(), Some("alpine"));
}
