//! The .qdpx model written and read back, validated against the REFI-QDA schema with xmllint,
//! and hostile archives refused with errors that name what is wrong.

use std::io::Write;

use codebench_qdpx::*;

const U1: &str = "00000000-0000-4000-8000-000000000001";
const U2: &str = "00000000-0000-4000-8000-000000000002";
const C1: &str = "00000000-0000-4000-8000-0000000000c1";
const C2: &str = "00000000-0000-4000-8000-0000000000c2";
const S1: &str = "00000000-0000-4000-8000-0000000000a1";
const V1: &str = "00000000-0000-4000-8000-0000000000b1";
const N1: &str = "00000000-0000-4000-8000-0000000000d1";

fn g(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn sample() -> Project {
    Project {
        name: "study <&> \"one\"".into(),
        origin: "test".into(),
        created: Some("2024-01-02T03:04:05Z".into()),
        users: vec![
            User {
                guid: U1.into(),
                name: "alice".into(),
            },
            User {
                guid: U2.into(),
                name: "bob".into(),
            },
        ],
        codes: vec![Code {
            guid: C1.into(),
            name: "Kind".into(),
            is_codable: false,
            color: None,
            description: "line one\r\nline two & more".into(),
            children: vec![Code {
                guid: C2.into(),
                name: "Tool".into(),
                is_codable: true,
                color: Some("#aabbcc".into()),
                description: String::new(),
                children: vec![],
            }],
        }],
        variables: vec![Variable {
            guid: V1.into(),
            name: "stars".into(),
            kind: VariableType::Integer,
        }],
        cases: vec![Case {
            guid: g(500),
            name: "owner/name".into(),
            values: vec![VariableValue {
                variable: V1.into(),
                kind: VariableType::Integer,
                value: "42".into(),
            }],
            sources: vec![S1.into()],
        }],
        sources: vec![TextSource {
            guid: S1.into(),
            name: "owner/name:README.md".into(),
            text: Some("Héllo\r\nwörld\ttab".into()),
            creating_user: Some(U1.into()),
            created: None,
            description: String::new(),
            selections: vec![Selection {
                guid: g(600),
                name: None,
                start: 7,
                end: 12,
                creating_user: Some(U2.into()),
                created: None,
                description: "a note".into(),
                codings: vec![Coding {
                    guid: g(601),
                    code: C2.into(),
                    creating_user: Some(U2.into()),
                    created: None,
                }],
                note_refs: vec![],
            }],
            codings: vec![
                Coding {
                    guid: g(602),
                    code: C2.into(),
                    creating_user: Some(U1.into()),
                    created: Some("2024-01-02T03:04:05.123Z".into()),
                },
                Coding {
                    guid: g(603),
                    code: C2.into(),
                    creating_user: Some(U2.into()),
                    created: None,
                },
            ],
            note_refs: vec![N1.into()],
            values: vec![],
        }],
        notes: vec![Note {
            guid: N1.into(),
            name: "memo: kind".into(),
            text: "why\r\nbecause <this>".into(),
            creating_user: Some(U1.into()),
            created: None,
            description: String::new(),
        }],
    }
}

fn entry(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
    s
}

fn xsd() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/Project.xsd")
}

#[test]
fn written_project_reads_back_the_same_and_is_valid() {
    let p = sample();
    let bytes = write(&p).unwrap();
    assert_eq!(
        write(&p).unwrap(),
        bytes,
        "the same project gives the same bytes"
    );
    let back = read(&bytes, &Limits::default()).unwrap();
    assert_eq!(back, p);
    assert_eq!(
        entry(&bytes, &format!("sources/{S1}.txt")),
        "Héllo\r\nwörld\ttab"
    );
    let dir = tempfile::tempdir().unwrap();
    let qde = dir.path().join("project.qde");
    std::fs::write(&qde, entry(&bytes, "project.qde")).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd())
        .arg(&qde)
        .output()
        .expect("xmllint (Debian package libxml2-utils, see scripts/deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn writer_refuses_what_the_schema_or_references_forbid() {
    let mut p = sample();
    p.sources[0].selections[0].end = 99;
    assert!(write(&p)
        .unwrap_err()
        .to_string()
        .contains("outside its 16 characters"));
    let mut p = sample();
    p.users[1].guid = U1.into();
    assert!(write(&p).unwrap_err().to_string().contains("used twice"));
    let mut p = sample();
    p.sources[0].codings[0].code = g(999);
    assert!(write(&p)
        .unwrap_err()
        .to_string()
        .contains("refers to no code"));
    let mut p = sample();
    p.cases[0].values[0].value = "many".into();
    assert!(write(&p)
        .unwrap_err()
        .to_string()
        .contains("not a Integer value"));
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        z.start_file(*name, o).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn qde(body: &str) -> String {
    format!("\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"p\">{body}</Project>")
}

#[test]
fn foreign_conventions_are_read() {
    // BOM, CRLF, upper-case Sources/, inline note text, a picture source skipped, a prefix.
    let xml = qde(&format!(
        "<Users><User guid=\"{U1}\" name=\"ann\"/></Users>\
         <CodeBook><Codes><Code guid=\"{C1}\" name=\"A\" isCodable=\"true\"><Description>d&amp;e</Description></Code></Codes></CodeBook>\
         <Sources><PictureSource guid=\"{}\" path=\"internal://x.png\"><Coding guid=\"{}\"><CodeRef targetGUID=\"{C1}\"/></Coding></PictureSource>\
         <TextSource guid=\"{S1}\" name=\"doc\" plainTextPath=\"internal://doc.txt\"><PlainTextSelection guid=\"{}\" startPosition=\"0\" endPosition=\"3\" creatingUser=\"{U1}\"><Coding guid=\"{}\" creatingUser=\"{U1}\"><CodeRef targetGUID=\"{C1}\"/><NoteRef targetGUID=\"{N1}\"/></Coding></PlainTextSelection></TextSource></Sources>\
         <Notes><Note guid=\"{N1}\" name=\"n\"><PlainTextContent>a&#13;\nb</PlainTextContent></Note></Notes>",
        g(1), g(2), g(3), g(4)
    ));
    let bytes = zip_of(&[
        ("project.qde", xml.as_bytes()),
        ("Sources/doc.txt", "\u{feff}ab\r\ncd".as_bytes()),
    ]);
    let p = read(&bytes, &Limits::default()).unwrap();
    assert_eq!(p.sources.len(), 1);
    assert_eq!(p.sources[0].text.as_deref(), Some("ab\r\ncd"));
    assert_eq!(p.sources[0].selections[0].codings[0].code, C1);
    assert_eq!(p.sources[0].selections[0].note_refs, vec![N1.to_string()]);
    assert_eq!(p.codes[0].description, "d&e");
    assert_eq!(p.notes[0].text, "a\r\nb");
}

fn err_of(bytes: &[u8], limits: &Limits) -> String {
    read(bytes, limits).unwrap_err().to_string()
}

#[test]
fn hostile_archives_are_refused_by_name() {
    let small = Limits {
        max_entry: 1 << 20,
        ..Limits::default()
    };
    let zeros = vec![0u8; 3 << 20];
    let bomb = zip_of(&[
        ("project.qde", qde("").as_bytes()),
        ("sources/big.txt", &zeros),
    ]);
    let e = err_of(&bomb, &small);
    assert!(
        e.contains("sources/big.txt") && e.contains("over the limit"),
        "{e}"
    );

    let deep = qde(&"<Description>".repeat(100));
    let e = err_of(
        &zip_of(&[("project.qde", deep.as_bytes())]),
        &Limits::default(),
    );
    assert!(e.contains("deeper than 64"), "{e}");

    let e = err_of(&zip_of(&[("other.xml", b"<x/>")]), &Limits::default());
    assert!(e.contains("project.qde") && e.contains("missing"), "{e}");

    let sel = qde(&format!(
        "<Sources><TextSource guid=\"{S1}\" name=\"doc\" plainTextPath=\"internal://doc.txt\"><PlainTextSelection guid=\"{}\" startPosition=\"2\" endPosition=\"9\"/></TextSource></Sources>",
        g(5)
    ));
    let e = err_of(
        &zip_of(&[("project.qde", sel.as_bytes()), ("sources/doc.txt", b"abc")]),
        &Limits::default(),
    );
    assert!(
        e.contains("TextSource 'doc'") && e.contains("outside the text's 3 characters"),
        "{e}"
    );

    let missing = qde(&format!(
        "<Sources><TextSource guid=\"{S1}\" plainTextPath=\"internal://gone.txt\"/></Sources>"
    ));
    let e = err_of(
        &zip_of(&[("project.qde", missing.as_bytes())]),
        &Limits::default(),
    );
    assert!(e.contains("sources/gone.txt"), "{e}");

    let noguid = qde("<Users><User name=\"x\"/></Users>");
    let e = err_of(
        &zip_of(&[("project.qde", noguid.as_bytes())]),
        &Limits::default(),
    );
    assert!(e.contains("User: missing attribute guid"), "{e}");

    let e = err_of(b"not a zip at all", &Limits::default());
    assert!(e.contains("not a .qdpx file"), "{e}");

    let wrong_ns = "<Project xmlns=\"urn:other\" name=\"p\"/>";
    let e = err_of(
        &zip_of(&[("project.qde", wrong_ns.as_bytes())]),
        &Limits::default(),
    );
    assert!(e.contains("namespace"), "{e}");

    let many: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("f{i}"), vec![])).collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let e = err_of(
        &zip_of(&refs),
        &Limits {
            max_entries: 10,
            ..Limits::default()
        },
    );
    assert!(e.contains("number of zip entries"), "{e}");
}
