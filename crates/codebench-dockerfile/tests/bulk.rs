//! Bulk analysis: NDJSON order, error records, closed and failing outputs, mapped files, bounded
//! read-ahead, and records that say what the analysis says.
#![cfg(feature = "bulk")]

use std::cell::Cell;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use codebench_dockerfile::bulk::{
    analyze_stream, paths_from_lines, BulkError, BulkOptions, BulkSummary, Detail,
};
use codebench_dockerfile::{analyze, Analysis, Record, MAX_BYTES};

fn ok(paths: &[PathBuf]) -> impl Iterator<Item = io::Result<PathBuf>> + '_ {
    paths.iter().cloned().map(Ok)
}

fn run(paths: &[PathBuf], opts: &BulkOptions<'_>) -> (Vec<u8>, BulkSummary) {
    let mut out = Vec::new();
    let s = analyze_stream(ok(paths), &mut out, opts).unwrap();
    (out, s)
}

fn records(out: &[u8]) -> Vec<Record> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// Files of different sizes and contents (so threads finish out of order).
fn corpus(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let p = dir.join(format!("{i:04}.Dockerfile"));
            let mut text = format!("FROM python:3.{}\nWORKDIR /app\n", i % 13);
            for k in 0..(i * 7919) % 97 {
                text.push_str(&format!("RUN pip install pkg{k} && echo {i}\n"));
            }
            if i % 5 == 0 {
                text.push_str("USER app\n");
            }
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect()
}

/// Files whose name says Dockerfile, under `dir`, sorted.
fn dockerfiles_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().contains("dockerfile"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// The repository's sample Dockerfiles (real-looking, written for the sample study), by a
/// path relative to the crate (tests run there), as a user in a checkout would name them.
fn samples() -> Vec<PathBuf> {
    dockerfiles_under(Path::new("../../sample"))
}

/// The samples and the fuzz seeds (edge cases: binary, UTF-16, deep nesting, heredocs).
fn samples_and_seeds() -> Vec<PathBuf> {
    let mut out = samples();
    out.extend(dockerfiles_under(Path::new("fuzz/corpus/analyze")));
    out
}

#[test]
fn order_is_preserved_with_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    let paths = corpus(dir.path(), 400);
    let many = BulkOptions {
        threads: 8,
        batch_files: 3,
        max_in_flight: 5,
        ..BulkOptions::default()
    };
    let (out, s) = run(&paths, &many);
    let got: Vec<String> = records(&out).into_iter().map(|r| r.path).collect();
    let want: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(got, want);
    assert_eq!((s.files, s.analysed, s.unreadable), (400, 400, 0));
    assert_eq!(s.bytes_out, out.len() as u64);
    let total: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(s.bytes_in, total);
    assert!(!s.output_closed);
    // One thread, one file per batch: byte for byte the same output.
    let one = BulkOptions {
        threads: 1,
        batch_files: 1,
        ..BulkOptions::default()
    };
    assert_eq!(run(&paths, &one).0, out);
}

#[test]
fn missing_unreadable_and_directory_paths_get_error_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = corpus(dir.path(), 3);
    paths.insert(1, dir.path().join("gone/Dockerfile"));
    paths.push(dir.path().to_path_buf());
    let (out, s) = run(&paths, &BulkOptions::default());
    let r = records(&out);
    assert_eq!(r.len(), 5);
    assert_eq!(r[1].path, paths[1].display().to_string());
    let e = r[1].error.as_deref().unwrap();
    assert!(e.starts_with("cannot open"), "{e}");
    assert_eq!(r[4].error.as_deref(), Some("is a directory"));
    // An error record has only the path and the error.
    let line = out.split(|&b| b == b'\n').nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_slice(line).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 2);
    assert!(r[0].error.is_none() && r[2].error.is_none() && r[3].error.is_none());
    assert_eq!((s.files, s.analysed, s.unreadable), (5, 3, 2));
}

/// A writer that takes `room` bytes, then fails with `kind`.
struct Failing {
    room: usize,
    kind: io::ErrorKind,
    taken: Vec<u8>,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::new(self.kind, "reader went away"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        self.taken.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let paths = corpus(dir.path(), 300);
    let opts = BulkOptions {
        threads: 4,
        batch_files: 2,
        ..BulkOptions::default()
    };
    let mut out = Failing {
        room: 1000,
        kind: io::ErrorKind::BrokenPipe,
        taken: Vec::new(),
    };
    let s = analyze_stream(ok(&paths), &mut out, &opts).unwrap();
    assert!(s.output_closed);
    assert!(s.files < 300, "{s:?}");
    // What was written is the start of the full output.
    let full = run(&paths, &opts).0;
    assert!(full.starts_with(&out.taken));
    // Also when the pipe is closed before the first byte.
    let mut closed = Failing {
        room: 0,
        kind: io::ErrorKind::BrokenPipe,
        taken: Vec::new(),
    };
    let s = analyze_stream(ok(&paths), &mut closed, &opts).unwrap();
    assert!(s.output_closed);
    assert_eq!(s.files, 0);
}

#[test]
fn any_other_write_error_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let paths = corpus(dir.path(), 50);
    let mut out = Failing {
        room: 500,
        kind: io::ErrorKind::StorageFull,
        taken: Vec::new(),
    };
    let e = analyze_stream(ok(&paths), &mut out, &BulkOptions::default()).unwrap_err();
    assert!(matches!(e, BulkError::Write(ref io) if io.kind() == io::ErrorKind::StorageFull));
    assert!(e.to_string().starts_with("writing the output"), "{e}");
}

#[test]
fn a_list_read_error_ends_the_run_after_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let paths = corpus(dir.path(), 5);
    let list = paths
        .iter()
        .cloned()
        .map(Ok)
        .chain([Err(io::Error::other("disk gone"))]);
    let mut out = Vec::new();
    let e = analyze_stream(list, &mut out, &BulkOptions::default()).unwrap_err();
    assert!(matches!(e, BulkError::List(_)), "{e}");
    assert_eq!(
        records(&out).len(),
        5,
        "the paths before the error are analysed"
    );
}

#[test]
fn paths_come_from_a_list_with_crlf_and_empty_lines() {
    let dir = tempfile::tempdir().unwrap();
    let paths = corpus(dir.path(), 3);
    let list = format!(
        "{}\r\n\n{}\n{}",
        paths[0].display(),
        paths[1].display(),
        paths[2].display()
    );
    let mut out = Vec::new();
    let s = analyze_stream(
        paths_from_lines(list.as_bytes()),
        &mut out,
        &BulkOptions::default(),
    )
    .unwrap();
    assert_eq!((s.files, s.unreadable), (3, 0));
    assert_eq!(out, run(&paths, &BulkOptions::default()).0);
}

#[test]
fn mapped_files_give_the_same_records_as_read_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = corpus(dir.path(), 40);
    // An empty file (never mapped) and one of exactly the threshold.
    let empty = dir.path().join("empty.Dockerfile");
    std::fs::write(&empty, "").unwrap();
    paths.push(empty);
    let mapped = BulkOptions {
        mmap_threshold: 1,
        ..BulkOptions::default()
    };
    let read = BulkOptions {
        mmap_threshold: u64::MAX,
        ..BulkOptions::default()
    };
    let (a, sa) = run(&paths, &mapped);
    let (b, sb) = run(&paths, &read);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    let full = |o: &BulkOptions<'static>| BulkOptions {
        detail: Detail::Full,
        ..o.clone()
    };
    assert_eq!(run(&paths, &full(&mapped)).0, run(&paths, &full(&read)).0);
}

#[test]
fn a_file_over_the_limit_is_reported_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.Dockerfile");
    // Sparse: no disk space used, and never read.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_BYTES as u64 + 1)
        .unwrap();
    let (out, s) = run(std::slice::from_ref(&big), &BulkOptions::default());
    let r = &records(&out)[0];
    let name = big.display().to_string();
    let want = Record::from_analysis(analyze(&name, &vec![0u8; MAX_BYTES + 1]));
    assert_eq!(r, &want);
    assert!(r.errors[0].message.starts_with("file too large"));
    assert_eq!(
        (s.analysed, s.with_errors, s.bytes_in),
        (1, 1, MAX_BYTES as u64 + 1)
    );
}

#[test]
fn read_ahead_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let paths = corpus(dir.path(), 200);
    let pulled = Rc::new(Cell::new(0usize));
    let counter = pulled.clone();
    let list = paths.iter().cloned().map(move |p| {
        counter.set(counter.get() + 1);
        Ok(p)
    });
    /// Checks, at every write, how far the list was read ahead of what is written.
    struct Watch {
        pulled: Rc<Cell<usize>>,
        lines: usize,
        most_ahead: usize,
    }
    impl Write for Watch {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.most_ahead = self.most_ahead.max(self.pulled.get() - self.lines);
            self.lines += buf.iter().filter(|&&b| b == b'\n').count();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut w = Watch {
        pulled: pulled.clone(),
        lines: 0,
        most_ahead: 0,
    };
    let opts = BulkOptions {
        threads: 4,
        batch_files: 3,
        max_in_flight: 2,
        ..BulkOptions::default()
    };
    let s = analyze_stream(list, &mut w, &opts).unwrap();
    assert_eq!(s.files, 200);
    assert!(w.most_ahead <= 2 * 3, "read {} paths ahead", w.most_ahead);
}

/// Every field of a record against the analysis it came from.
fn assert_same(r: &Record, a: &Analysis) {
    let nonzero = |c: &codebench_dockerfile::Counts| {
        let mut c = c.clone();
        c.retain(|_, n| *n > 0);
        c
    };
    assert_eq!(r.path, a.path);
    assert_eq!(r.error, None);
    assert_eq!(
        (r.bytes, r.lines, r.comment_lines, r.blank_lines),
        (a.bytes, a.lines, a.comment_lines, a.blank_lines)
    );
    assert_eq!(r.directives.get("syntax"), a.directives.syntax.as_ref());
    assert_eq!(r.directives.get("escape"), a.directives.escape.as_ref());
    assert_eq!(r.directives.get("check"), a.directives.check.as_ref());
    assert_eq!(r.instruction_count(), a.instructions.len() as u64);
    assert_eq!(r.counts, a.counts);
    assert_eq!(r.unknown_instructions, a.unknown_instructions);
    assert_eq!(r.stages.len(), a.stages.len());
    for (rs, s) in r.stages.iter().zip(&a.stages) {
        assert_eq!(
            (&rs.name, rs.line, &rs.platform, &rs.base_type),
            (&s.name, s.line, &s.platform, &s.base_type)
        );
        let (rb, b) = (&rs.base, &s.base);
        assert_eq!((&rb.text, rb.resolved()), (&b.text, b.resolved.as_str()));
        assert_eq!(
            (rb.official, rb.variable, rb.stage, rb.tag_status),
            (b.official, b.variable, b.stage, b.tag_status)
        );
        // The reference's parts come back from `resolved`.
        if b.name.is_some() {
            let parts = codebench_dockerfile::parse_image_reference(rb.resolved()).unwrap();
            assert_eq!(
                (parts.registry, parts.namespace, Some(parts.name)),
                (b.registry.clone(), b.namespace.clone(), b.name.clone())
            );
            assert_eq!((parts.tag, parts.digest), (b.tag.clone(), b.digest.clone()));
        }
    }
    assert_eq!((r.multi_stage, r.partial), (a.multi_stage, a.partial));
    let args: Vec<_> = a
        .global_args
        .iter()
        .map(|g| (g.line, g.name.clone(), g.default.clone()))
        .collect();
    let rargs: Vec<_> = r
        .global_args
        .iter()
        .map(|g| (g.line, g.name.clone(), g.default.clone()))
        .collect();
    assert_eq!(rargs, args);
    let copies: Vec<_> = a
        .copy_from
        .iter()
        .map(|c| (c.line, c.stage, c.from.clone(), c.from_stage))
        .collect();
    let rcopies: Vec<_> = r
        .copy_from
        .iter()
        .map(|c| (c.line, c.stage, c.from.clone(), c.from_stage))
        .collect();
    assert_eq!(rcopies, copies);
    assert_eq!(r.base_types, a.base_types);
    assert_eq!(r.run_categories, nonzero(&a.run_categories));
    assert_eq!(r.run_unknown_words, a.run_unknown_words);
    assert_eq!(
        (
            r.run.instructions,
            r.run.exec_form,
            r.run.heredoc,
            r.run.mount,
            r.run.commands
        ),
        (
            a.run.instructions,
            a.run.exec_form,
            a.run.heredoc,
            a.run.mount,
            a.run.commands
        )
    );
    assert_eq!(r.exposed_ports, a.exposed_ports);
    assert_eq!(
        (&r.user, r.non_root_user, r.uses_mount),
        (&a.user, a.non_root_user, a.uses_mount)
    );
    assert_eq!(r.add_urls, a.add_urls);
    let mut findings: Vec<(String, u32)> = a
        .hygiene
        .iter()
        .map(|f| (f.rule.to_string(), f.line))
        .collect();
    findings.sort_by(|x, y| x.0.cmp(&y.0));
    let rfindings: Vec<(String, u32)> = r
        .hygiene
        .iter()
        .flat_map(|(rule, lines)| lines.iter().map(|&l| (rule.to_string(), l)))
        .collect();
    assert_eq!(rfindings, findings);
    assert_eq!(r.errors, a.errors);
    assert_eq!(r.warnings, a.warnings);
}

#[test]
fn ndjson_lines_parse_back_to_the_analysis_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = samples_and_seeds();
    paths.extend(corpus(dir.path(), 30));
    let extra = dir.path().join("everything.Dockerfile");
    std::fs::write(
        &extra,
        "# syntax=docker/dockerfile:1\n# escape=\\\nARG BASE=python:3.11\nARG NODEF\n\
         FROM --platform=linux/amd64 ${BASE} AS build\nRUN --mount=type=cache,target=/x \
         apt-get install -y curl\nRUN [\"make\"]\nRUN <<EOF\nfrobnicate\nEOF\n\
         ADD https://example.org/a.tgz /a\nADD x /x\nBOGUS thing\nFROM build\n\
         COPY --from=build /a /b\nCOPY --from=other:1 /c /d\nEXPOSE 80 53/udp\nUSER app\n",
    )
    .unwrap();
    paths.push(extra);
    assert!(paths.len() > 40, "samples found: {}", paths.len());
    let (out, _) = run(&paths, &BulkOptions::default());
    let recs = records(&out);
    assert_eq!(recs.len(), paths.len());
    for (r, p) in recs.iter().zip(&paths) {
        let a = analyze(&p.display().to_string(), &std::fs::read(p).unwrap());
        assert_same(r, &a);
        // The record is what `Record::from_analysis` makes, and reads back as it was written.
        assert_eq!(r, &Record::from_analysis(a));
    }
    // The `everything` file sets the fields that are usually left out.
    let last = serde_json::to_value(recs.last().unwrap()).unwrap();
    for key in [
        "directives",
        "global_args",
        "copy_from",
        "run_unknown_words",
        "add_urls",
        "errors",
        "multi_stage",
        "uses_mount",
        "non_root_user",
        "unknown_instructions",
    ] {
        assert!(last.get(key).is_some(), "{key} missing in {last}");
    }

    // Full detail: each line is the whole analysis, as `--format json` writes it.
    let full = BulkOptions {
        detail: Detail::Full,
        ..BulkOptions::default()
    };
    let (out, _) = run(&paths, &full);
    for (line, p) in out.split(|&b| b == b'\n').zip(&paths) {
        let a: Analysis = serde_json::from_slice(line).unwrap();
        assert_eq!(
            a,
            analyze(&p.display().to_string(), &std::fs::read(p).unwrap())
        );
    }
}

#[test]
fn ndjson_is_smaller_than_the_sample_dockerfiles() {
    let paths = samples();
    assert!(paths.len() > 30, "samples found: {}", paths.len());
    let (out, s) = run(&paths, &BulkOptions::default());
    let ratio = out.len() as f64 / s.bytes_in as f64;
    println!(
        "{} files, {} bytes in, {} bytes out: {ratio:.3}",
        s.files,
        s.bytes_in,
        out.len()
    );
    assert!(ratio < 1.0, "NDJSON is {ratio:.3} times the input");
}

#[test]
fn record_document_lists_every_field() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/RECORD.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("Dockerfile");
    std::fs::write(
        &p,
        "# syntax=x\n# escape=\\\n# check=skip=all\nARG B=alpine\nFROM --platform=p $B AS s\n\
         RUN --mount=type=cache,target=/c frob && apt-get install x\nRUN [\"a\"]\nRUN <<EOF\nx\nEOF\n\
         ADD http://x/y /y\nBOGUS\nFROM s\nCOPY --from=s /a /b\nEXPOSE 1\nUSER u\n\n",
    )
    .unwrap();
    let (out, _) = run(&[p, dir.path().join("missing")], &BulkOptions::default());
    let mut keys = std::collections::BTreeSet::new();
    fn collect(v: &serde_json::Value, keys: &mut std::collections::BTreeSet<String>, free: bool) {
        match v {
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    // Keys of count maps (keywords, categories, rules, words) are data.
                    let data = ["counts", "run_categories", "run_unknown_words", "hygiene"]
                        .contains(&k.as_str());
                    if !free {
                        keys.insert(k.clone());
                    }
                    collect(v, keys, data);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, keys, false)),
            _ => {}
        }
    }
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        collect(&v, &mut keys, false);
    }
    for k in &keys {
        assert!(
            doc.contains(&format!("`{k}`")) || doc.contains(&format!(".{k}`")),
            "RECORD.md does not list `{k}`"
        );
    }
    assert!(keys.len() > 30, "{keys:?}");
}
