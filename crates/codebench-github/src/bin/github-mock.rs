//! `github-mock`: serves a fictional GitHub built from a repository list on 127.0.0.1, so a
//! developer can run `codebench import github --list FILE --api-url http://127.0.0.1:PORT`
//! by hand without touching the internet.
//!
//! Usage: github-mock LIST [--port N] [--delay-ms N] [--tree-limit N] [--rate-limit N/SECS]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use codebench_github::mock::{Fixture, MockConfig, MockGitHub, PrimaryLimit};
use codebench_github::read_repo_list;

const USAGE: &str =
    "usage: github-mock LIST [--port N] [--delay-ms N] [--tree-limit N] [--rate-limit N/SECS]

Serves one generated, fictional repository per entry of LIST (text or CSV, as for
`codebench import github --list`) at http://127.0.0.1:PORT until interrupted.
  --port N          port to listen on (default: any free port, printed)
  --delay-ms N      delay added to every answer
  --tree-limit N    truncate recursive tree listings longer than N entries
  --rate-limit N/S  allow N requests per S seconds, then answer 403 until the window resets";

struct Args {
    list: PathBuf,
    port: u16,
    config: MockConfig,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut list = None;
    let mut port = 0;
    let mut config = MockConfig::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--port" => {
                let v = value("--port")?;
                port = v
                    .parse()
                    .map_err(|_| format!("--port: {v:?} is not a port"))?;
            }
            "--delay-ms" => {
                config.delay = Duration::from_millis(number("--delay-ms", value("--delay-ms")?)?)
            }
            "--tree-limit" => {
                config.tree_entry_limit =
                    Some(number("--tree-limit", value("--tree-limit")?)? as usize)
            }
            "--rate-limit" => {
                let v = value("--rate-limit")?;
                let (n, s) = v
                    .split_once('/')
                    .ok_or_else(|| format!("--rate-limit: {v:?} is not N/SECS"))?;
                config.primary = Some(PrimaryLimit {
                    limit: number("--rate-limit", n.to_string())?,
                    window: Duration::from_secs(number("--rate-limit", s.to_string())?.max(1)),
                });
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other if list.is_none() => list = Some(PathBuf::from(other)),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    Ok(Args {
        list: list.ok_or("missing LIST")?,
        port,
        config,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&args) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("github-mock: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let entries = match read_repo_list(&args.list) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("github-mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    let count = entries.len();
    let mock =
        match MockGitHub::start_on(Fixture::generated(&entries), args.config, args.port).await {
            Ok(m) => m,
            Err(e) => {
                eprintln!("github-mock: cannot listen on 127.0.0.1:{}: {e}", args.port);
                return ExitCode::FAILURE;
            }
        };
    println!("github-mock: {count} repositories at {}", mock.url());
    println!(
        "  codebench import github --list {} --api-url {}",
        args.list.display(),
        mock.url()
    );
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
