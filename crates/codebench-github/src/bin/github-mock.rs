//! `github-mock`: serves a fictional GitHub built from a repository list on 127.0.0.1, so a
//! developer can run `codebench import github --list FILE --api-url http://127.0.0.1:PORT`
//! by hand without touching the internet; or, with `--topic NAME:N`, N generated repositories
//! for one topic, for trying corpus selection (`search`, filters) by hand.
//!
//! Usage: github-mock (LIST | --topic NAME:N) [--port N] [--delay-ms N] [--tree-limit N]
//!        [--rate-limit N/SECS] [--search-rate-limit N/SECS]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use codebench_github::mock::{Fixture, MockConfig, MockGitHub, PrimaryLimit};
use codebench_github::read_repo_list;

const USAGE: &str =
    "usage: github-mock (LIST | --topic NAME:N) [--port N] [--delay-ms N] [--tree-limit N]
                   [--rate-limit N/SECS] [--search-rate-limit N/SECS]

Serves one generated, fictional repository per entry of LIST (text or CSV, as for
`codebench import github --list`) at http://127.0.0.1:PORT until interrupted.
  --topic NAME:N    instead of a list, N repositories for topic NAME with varied commits,
                    releases, archived, forks, stars, created dates and Dockerfiles
                    (search them with q=topic:NAME fork:true)
  --port N          port to listen on (default: any free port, printed)
  --delay-ms N      delay added to every answer
  --tree-limit N    truncate recursive tree listings longer than N entries
  --rate-limit N/S  allow N requests per S seconds, then answer 403 until the window resets
  --search-rate-limit N/S  the same for search requests (GitHub: 30/60 with a token)";

struct Args {
    list: Option<PathBuf>,
    topic: Option<(String, usize)>,
    port: u16,
    config: MockConfig,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut list = None;
    let mut topic = None;
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
            "--rate-limit" | "--search-rate-limit" => {
                let v = value(arg)?;
                let (n, s) = v
                    .split_once('/')
                    .ok_or_else(|| format!("{arg}: {v:?} is not N/SECS"))?;
                let limit = Some(PrimaryLimit {
                    limit: number(arg, n.to_string())?,
                    window: Duration::from_secs(number(arg, s.to_string())?.max(1)),
                });
                if arg == "--rate-limit" {
                    config.primary = limit;
                } else {
                    config.search = limit;
                }
            }
            "--topic" => {
                let v = value("--topic")?;
                let (name, n) = v
                    .rsplit_once(':')
                    .filter(|(name, _)| !name.is_empty())
                    .ok_or_else(|| format!("--topic: {v:?} is not NAME:N"))?;
                let n = number("--topic", n.to_string())?.min(1_000_000) as usize;
                topic = Some((name.to_string(), n));
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other if list.is_none() => list = Some(PathBuf::from(other)),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    if list.is_none() == topic.is_none() {
        return Err("give either LIST or --topic NAME:N".into());
    }
    Ok(Args {
        list,
        topic,
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
    let fixture = match (&args.list, &args.topic) {
        (Some(list), _) => match read_repo_list(list) {
            Ok(entries) => Fixture::generated(&entries),
            Err(e) => {
                eprintln!("github-mock: {e}");
                return ExitCode::FAILURE;
            }
        },
        (None, Some((name, n))) => Fixture::topic(name, *n),
        (None, None) => return ExitCode::from(2),
    };
    let count = fixture.repos.len();
    let mock = match MockGitHub::start_on(fixture, args.config, args.port).await {
        Ok(m) => m,
        Err(e) => {
            eprintln!("github-mock: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("github-mock: {count} repositories at {}", mock.url());
    match (&args.list, &args.topic) {
        (Some(list), _) => println!(
            "  codebench import github --list {} --api-url {}",
            list.display(),
            mock.url()
        ),
        (None, Some((name, _))) => println!(
            "  codebench select search 'topic:{name} fork:true' --api-url {}",
            mock.url()
        ),
        (None, None) => {}
    }
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
