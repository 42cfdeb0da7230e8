//! What `codebench analyze dockerfile --format ndjson` does, through the library alone:
//! one NDJSON line per Dockerfile on stdout, in input order; a summary on stderr.
//!
//! ```text
//! cargo run --release -p codebench-dockerfile --example analyze_bulk -- \
//!     [--full] [--threads N] [--quiet] [--from-list LIST|-] [FILE...]
//! ```
//! `--from-list LIST` reads one path per line from LIST (`-`: stdin), after any FILE
//! arguments. Exit status: 0 when every line was written (also when the reader closed the
//! pipe early), 1 on a write or list error, 2 on bad arguments.

use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use codebench_dockerfile::bulk::{analyze_stream, paths_from_lines, BulkOptions, Detail};

fn main() -> ExitCode {
    let mut opts = BulkOptions::default();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut list: Option<String> = None;
    let mut quiet = false;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--full") => opts.detail = Detail::Full,
            Some("--quiet") => quiet = true,
            Some("--threads") => match args.next().and_then(|v| v.to_str()?.parse().ok()) {
                Some(n) => opts.threads = n,
                None => return usage("--threads needs a number"),
            },
            Some("--from-list") => match args.next().and_then(|v| v.into_string().ok()) {
                Some(l) => list = Some(l),
                None => return usage("--from-list needs a file (or -)"),
            },
            Some(s) if s.starts_with("--") => return usage(&format!("unknown option {s}")),
            _ => files.push(PathBuf::from(arg)),
        }
    }
    let named = files.into_iter().map(Ok);
    let stdout = io::stdout().lock();
    let result = match list.as_deref() {
        None => analyze_stream(named, stdout, &opts),
        Some("-") => {
            let stdin = io::stdin().lock();
            analyze_stream(named.chain(paths_from_lines(stdin)), stdout, &opts)
        }
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => analyze_stream(
                named.chain(paths_from_lines(BufReader::new(f))),
                stdout,
                &opts,
            ),
            Err(e) => {
                eprintln!("error: the list {path}: {e}");
                return ExitCode::from(1);
            }
        },
    };
    match result {
        Ok(s) => {
            if !quiet {
                eprintln!(
                    "{} files ({} analysed, {} unreadable, {} with parse errors), {} bytes in, \
                     {} bytes out{}",
                    s.files,
                    s.analysed,
                    s.unreadable,
                    s.with_errors,
                    s.bytes_in,
                    s.bytes_out,
                    if s.output_closed {
                        "; output closed by its reader"
                    } else {
                        ""
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "error: {problem}\nusage: analyze_bulk [--full] [--threads N] [--quiet] \
         [--from-list LIST|-] [FILE...]"
    );
    ExitCode::from(2)
}
