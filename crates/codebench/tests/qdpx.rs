//! REFI-QDA project exchange end to end on real study files: a study with two raters,
//! evidence, memos and a consensus exported to `.qdpx`, the `project.qde` validated against
//! the REFI-QDA Project schema with xmllint, imported into a new study with the same
//! decisions, evidence and memos; a file written by another tool's conventions; hostile files
//! refused with nothing written.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use codebench::api::{self, qdpx::ExportQdpx, qdpx::ImportQdpx, Ctx, SystemEnv};
use codebench::coding::DecisionInput;
use codebench::evidence::EvidenceInput;
use codebench::reconcile::ConsensusInput;
use codebench::Study;

const PROJECT: &str = "greenrow/cropwatch";
const README: &str = "greenrow/cropwatch:README.md";

fn xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codebench-qdpx/tests/fixtures/Project.xsd")
}

fn readme_text(s: &Study) -> String {
    s.project_view(PROJECT)
        .unwrap()
        .readme
        .unwrap()
        .text
        .unwrap()
}

fn line_of(text: &str, quote: &str) -> i64 {
    let at = text.find(quote).unwrap();
    1 + text[..at].matches('\n').count() as i64
}

fn decide(s: &mut Study, rater: &str, unit: &str, dim: &str, codes: &[&str], memo: &str) {
    s.record(&DecisionInput {
        rater: rater.into(),
        unit: unit.into(),
        dimension: dim.into(),
        codes: codes.iter().map(|c| c.to_string()).collect(),
        memo: Some(memo.into()),
        flagged: None,
    })
    .unwrap();
}

#[allow(clippy::too_many_arguments)]
fn quote(
    s: &mut Study,
    rater: &str,
    unit: &str,
    dim: &str,
    code: &str,
    file: &str,
    q: &str,
    lines: Option<i64>,
) {
    s.add_evidence(&EvidenceInput {
        rater: rater.into(),
        unit: unit.into(),
        dimension: dim.into(),
        code: code.into(),
        file: file.into(),
        quote: q.into(),
        line_start: lines,
        line_end: lines,
    })
    .unwrap();
}

/// Decisions (with memo and time) and evidence, as comparable lines.
fn content(s: &Study) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in s.decisions(None).unwrap() {
        out.insert(format!(
            "{}|{}|{}|{:?}|{:?}|{}",
            d.rater, d.unit, d.dimension, d.codes, d.memo, d.coded_at
        ));
    }
    for e in s.evidence(None).unwrap() {
        out.insert(format!(
            "ev|{}|{}|{}|{}|{}|{:?}|{:?}|{:?}",
            e.rater, e.unit, e.dimension, e.code, e.file, e.quote, e.line_start, e.line_end
        ));
    }
    out
}

fn export(s: &mut Study, viewer: Option<&str>, out: &Path) -> codebench::qdpx::export::QdpxExport {
    let env = SystemEnv;
    let mut ctx = Ctx::new(s, viewer.map(str::to_string), &env);
    api::export_qdpx(
        &mut ctx,
        ExportQdpx {
            file: out.display().to_string(),
        },
    )
    .unwrap()
}

fn import(
    s: &mut Study,
    file: &Path,
    dry_run: bool,
) -> api::ApiResult<codebench::qdpx::import::QdpxImport> {
    let env = SystemEnv;
    let mut ctx = Ctx::new(s, None, &env);
    api::import_qdpx(
        &mut ctx,
        ImportQdpx {
            file: file.display().to_string(),
            dry_run,
        },
    )
}

fn entry(file: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
    s
}

fn validate(qdpx: &Path, dir: &Path) {
    let qde = dir.join("project.qde");
    std::fs::write(&qde, entry(qdpx, "project.qde")).unwrap();
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
fn a_study_round_trips_through_a_valid_qdpx() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = codebench::sample::create(&dir.path().join("a.codebench")).unwrap();
    a.add_rater("alice").unwrap();
    a.add_rater("bob").unwrap();
    let text = readme_text(&a);
    let q1 = "stitches them into tiles";
    decide(
        &mut a,
        "alice",
        PROJECT,
        "kind",
        &["application-system"],
        "maps & tiles <for agronomists>",
    );
    quote(
        &mut a,
        "alice",
        PROJECT,
        "kind",
        "application-system",
        "README.md",
        q1,
        Some(line_of(&text, q1)),
    );
    quote(
        &mut a,
        "alice",
        PROJECT,
        "kind",
        "application-system",
        "README.md",
        "CropWatch",
        None,
    );
    decide(
        &mut a,
        "bob",
        PROJECT,
        "kind",
        &["model"],
        "a model\r\nfirst, then an app",
    );
    let df = "greenrow/cropwatch:Dockerfile";
    decide(
        &mut a,
        "bob",
        df,
        "purpose",
        &["hosting", "build-packaging"],
        "",
    );
    let from = "FROM nvidia/cuda:12.2.0-cudnn8-runtime-ubuntu22.04";
    quote(
        &mut a,
        "bob",
        df,
        "purpose",
        "hosting",
        "Dockerfile",
        from,
        Some(2),
    );
    a.decide_consensus(&ConsensusInput {
        unit: PROJECT.into(),
        dimension: "kind".into(),
        codes: vec!["application-system".into()],
        adjudicator: "carol".into(),
        rationale: "the README sells an app".into(),
    })
    .unwrap();

    let file = dir.path().join("study.qdpx");
    let r = export(&mut a, None, &file);
    assert_eq!(r.users, 3, "{r:?}");
    assert_eq!(r.selections, 3, "{r:?}");
    assert_eq!(r.codings, 5, "{r:?}");
    assert_eq!(r.notes, 3, "{r:?}");
    assert!(r.evidence_not_found.is_empty(), "{r:?}");
    validate(&file, dir.path());
    let qde = entry(&file, "project.qde");
    assert!(qde.contains("xmlns=\"urn:QDA-XML:project:1.0\""));
    assert!(qde.contains("name=\"consensus\""));
    // Sources in lower-case `sources/`, holding the stored text as is.
    let z = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).unwrap();
    assert!(z
        .file_names()
        .filter(|n| *n != "project.qde")
        .all(|n| n.starts_with("sources/")));
    // The selection's positions are those of the quote in the stored text (characters).
    let start = text[..text.find(q1).unwrap()].chars().count();
    assert!(qde.contains(&format!(
        "startPosition=\"{start}\" endPosition=\"{}\"",
        start + q1.chars().count()
    )));

    let mut b = codebench::sample::create(&dir.path().join("b.codebench")).unwrap();
    let dry = import(&mut b, &file, true).unwrap();
    assert!(dry.dry_run && dry.decisions_created == 3, "{dry:?}");
    assert!(
        b.decisions(None).unwrap().is_empty(),
        "a dry run writes nothing"
    );
    let r = import(&mut b, &file, false).unwrap();
    assert_eq!(
        (r.decisions_created, r.evidence_added, r.memos, r.consensus),
        (3, 3, 2, 1),
        "{r:?}"
    );
    assert_eq!(r.raters_added, vec!["alice".to_string(), "bob".to_string()]);
    assert!(
        r.unmatched_sources.is_empty() && r.unknown_codes.is_empty() && r.not_imported.is_empty(),
        "{r:?}"
    );
    assert_eq!(content(&b), content(&a));
    let c = b.consensus(None).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].adjudicator.as_str(), c[0].rationale.as_str()),
        ("carol", "the README sells an app")
    );
    // Again: nothing changes.
    let again = import(&mut b, &file, false).unwrap();
    assert_eq!(
        (again.decisions_unchanged, again.evidence_added),
        (3, 0),
        "{again:?}"
    );
}

#[test]
fn export_follows_the_blind_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = codebench::sample::create(&dir.path().join("a.codebench")).unwrap();
    a.add_rater("alice").unwrap();
    a.add_rater("bob").unwrap();
    decide(&mut a, "alice", PROJECT, "kind", &["model"], "secret memo");
    decide(&mut a, "bob", PROJECT, "kind", &["toolkit"], "");
    a.create_round(&codebench::round::RoundSpec {
        name: "r1".into(),
        size: codebench::round::RoundSize::Fraction(1.0),
        dimension: Some("kind".into()),
        stratify: None,
        seed: Some(1),
        extend: None,
        by: None,
    })
    .unwrap();
    let file = dir.path().join("blind.qdpx");
    let r = export(&mut a, Some("bob"), &file);
    assert_eq!((r.withheld, r.codings, r.notes), (1, 1, 0), "{r:?}");
    let qde = entry(&file, "project.qde");
    assert!(!qde.contains("secret memo"));
    let r = export(&mut a, Some("alice"), &file);
    assert_eq!((r.withheld, r.codings, r.notes), (1, 1, 1), "{r:?}");
    assert!(entry(&file, "project.qde").contains("secret memo"));
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

#[test]
fn another_tools_whole_source_codings_become_two_raters_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = codebench::sample::create(&dir.path().join("s.codebench")).unwrap();
    // Another tool's conventions: its own GUIDs (in braces, upper case), codes by name under a
    // parent named like the dimension, CRLF text behind a BOM, a BOM before <?xml, sources in
    // a case named after the project, a note on the source, a code and a source Codebench lacks.
    let text = readme_text(&s).replace('\n', "\r\n");
    let passage = "CropWatch spots leaf disease";
    let start = text[..text.find(passage).unwrap()].chars().count();
    let end = start + passage.chars().count();
    let xml = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"field study\" origin=\"Other QDA 9\">\r\n\
<Users><User guid=\"{{AAAAAAAA-0000-4000-8000-000000000001}}\" name=\"Ann\"/><User guid=\"AAAAAAAA-0000-4000-8000-000000000002\" name=\"Ben\"/></Users>\r\n\
<CodeBook><Codes><Code guid=\"CCCCCCCC-0000-4000-8000-000000000000\" name=\"Project kind\" isCodable=\"false\">\
<Code guid=\"CCCCCCCC-0000-4000-8000-000000000001\" name=\"Model\" isCodable=\"true\"/>\
<Code guid=\"CCCCCCCC-0000-4000-8000-000000000002\" name=\"application system\" isCodable=\"true\"/></Code>\
<Code guid=\"CCCCCCCC-0000-4000-8000-000000000003\" name=\"Interesting\" isCodable=\"true\"/></Codes></CodeBook>\r\n\
<Cases><Case guid=\"EEEEEEEE-0000-4000-8000-000000000001\" name=\"{PROJECT}\"><SourceRef targetGUID=\"DDDDDDDD-0000-4000-8000-000000000001\"/></Case></Cases>\r\n\
<Sources><TextSource guid=\"DDDDDDDD-0000-4000-8000-000000000001\" name=\"README.md\" plainTextPath=\"internal://readme.txt\">\
<PlainTextSelection guid=\"BBBBBBBB-0000-4000-8000-000000000001\" startPosition=\"{start}\" endPosition=\"{end}\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000001\">\
<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000002\"><CodeRef targetGUID=\"CCCCCCCC-0000-4000-8000-000000000001\"/></Coding></PlainTextSelection>\
<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000003\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000001\"><CodeRef targetGUID=\"CCCCCCCC-0000-4000-8000-000000000001\"/></Coding>\
<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000004\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000002\"><CodeRef targetGUID=\"CCCCCCCC-0000-4000-8000-000000000002\"/></Coding>\
<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000005\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000002\"><CodeRef targetGUID=\"CCCCCCCC-0000-4000-8000-000000000003\"/></Coding>\
<NoteRef targetGUID=\"FFFFFFFF-0000-4000-8000-000000000001\"/></TextSource>\
<TextSource guid=\"DDDDDDDD-0000-4000-8000-000000000002\" name=\"interview.txt\"><PlainTextContent>hello</PlainTextContent></TextSource></Sources>\r\n\
<Notes><Note guid=\"FFFFFFFF-0000-4000-8000-000000000001\" name=\"Memo\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000002\"><PlainTextContent>an app, clearly</PlainTextContent></Note></Notes>\r\n\
</Project>\r\n"
    );
    let file = dir.path().join("other.qdpx");
    let body = format!("\u{feff}{text}");
    std::fs::write(
        &file,
        zip_of(&[
            ("project.qde", xml.as_bytes()),
            ("Sources/readme.txt", body.as_bytes()),
        ]),
    )
    .unwrap();
    let r = import(&mut s, &file, false).unwrap();
    assert_eq!(
        r.raters_added,
        vec!["Ann".to_string(), "Ben".to_string()],
        "{r:?}"
    );
    assert_eq!(
        (r.decisions_created, r.evidence_added, r.memos),
        (2, 1, 1),
        "{r:?}"
    );
    assert_eq!(r.unknown_codes, vec!["Interesting".to_string()]);
    assert_eq!(r.unmatched_sources, vec!["interview.txt".to_string()]);
    let ann = s.decision("Ann", PROJECT, "kind").unwrap().unwrap();
    let ben = s.decision("Ben", PROJECT, "kind").unwrap().unwrap();
    assert_eq!(
        (ann.codes, ben.codes),
        (
            vec!["model".to_string()],
            vec!["application-system".to_string()]
        )
    );
    assert_eq!(ben.memo, "an app, clearly");
    let ev = s.evidence(Some("Ann")).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].file.as_str(), ev[0].quote.as_str()),
        ("README.md", passage)
    );
    let orig = readme_text(&s);
    assert_eq!(ev[0].line_start, Some(line_of(&orig, passage)));
    assert_eq!(
        s.units()
            .unwrap()
            .iter()
            .filter(|u| u.name == README)
            .count(),
        0
    );
}

#[test]
fn hostile_files_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = codebench::sample::create(&dir.path().join("s.codebench")).unwrap();
    let ok_xml = |body: &str| {
        format!("<?xml version=\"1.0\"?><Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"p\"><Users><User guid=\"AAAAAAAA-0000-4000-8000-000000000001\" name=\"eve\"/></Users>{body}</Project>")
    };
    let coded = format!(
        "<CodeBook><Codes><Code guid=\"CCCCCCCC-0000-4000-8000-000000000001\" name=\"Model\" isCodable=\"true\"/></Codes></CodeBook>\
<Sources><TextSource guid=\"DDDDDDDD-0000-4000-8000-000000000001\" name=\"{README}\" plainTextPath=\"internal://r.txt\">\
<PlainTextSelection guid=\"BBBBBBBB-0000-4000-8000-000000000001\" startPosition=\"5\" endPosition=\"500\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000001\">\
<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000002\"><CodeRef targetGUID=\"CCCCCCCC-0000-4000-8000-000000000001\"/></Coding></PlainTextSelection>\
<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000003\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000001\"><CodeRef targetGUID=\"CCCCCCCC-0000-4000-8000-000000000001\"/></Coding></TextSource></Sources>"
    );
    let zeros = vec![b' '; 65 << 20];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bomb",
            zip_of(&[
                ("project.qde", ok_xml("").as_bytes()),
                ("sources/big.txt", &zeros),
            ]),
            "sources/big.txt",
        ),
        (
            "deep",
            zip_of(&[(
                "project.qde",
                ok_xml(&"<Description>".repeat(200)).as_bytes(),
            )]),
            "deeper than 64",
        ),
        (
            "missing",
            zip_of(&[("content.xml", b"<x/>")]),
            "project.qde",
        ),
        (
            "range",
            zip_of(&[
                ("project.qde", ok_xml(&coded).as_bytes()),
                ("sources/r.txt", b"short text"),
            ]),
            "outside the text's 10 characters",
        ),
        (
            "garbage",
            b"PK\x03\x04 not really".to_vec(),
            "not a .qdpx file",
        ),
    ];
    for (name, bytes, needle) in cases {
        let file = dir.path().join(format!("{name}.qdpx"));
        std::fs::write(&file, bytes).unwrap();
        let e = import(&mut s, &file, false).unwrap_err();
        assert!(e.message.contains(needle), "{name}: {}", e.message);
        assert!(
            e.message.contains(&file.display().to_string()),
            "{name}: {}",
            e.message
        );
        assert_eq!(e.kind, api::ErrorKind::Invalid, "{name}");
    }
    assert!(s.decisions(None).unwrap().is_empty());
    assert!(s.raters().unwrap().is_empty());
    // A selection in range but in a one-code dimension with two codes by one user: the
    // codebook refuses it, and nothing of the file is written.
    let two = coded.replace("endPosition=\"500\"", "endPosition=\"8\"").replace(
        "</Codes>",
        "<Code guid=\"CCCCCCCC-0000-4000-8000-000000000002\" name=\"Toolkit\" isCodable=\"true\"/></Codes>",
    ).replace(
        "<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000003\"",
        "<Coding guid=\"BBBBBBBB-0000-4000-8000-000000000009\" creatingUser=\"AAAAAAAA-0000-4000-8000-000000000001\"><CodeRef targetGUID=\"CCCCCCCC-0000-4000-8000-000000000002\"/></Coding><Coding guid=\"BBBBBBBB-0000-4000-8000-000000000003\"",
    );
    let file = dir.path().join("two.qdpx");
    std::fs::write(
        &file,
        zip_of(&[
            ("project.qde", ok_xml(&two).as_bytes()),
            ("sources/r.txt", b"short text"),
        ]),
    )
    .unwrap();
    let e = import(&mut s, &file, false).unwrap_err();
    assert!(
        e.message.contains("eve on greenrow/cropwatch (kind)")
            && e.message.contains("nothing was imported"),
        "{}",
        e.message
    );
    assert!(s.decisions(None).unwrap().is_empty());
    assert!(
        s.raters().unwrap().is_empty(),
        "the rater added in the failed import is rolled back"
    );
}
