//! What the mock server serves: repositories with files, states and renames; written by hand in
//! tests or generated (fictional content) from a repository list.

use crate::image_ref::normalize_reference;
use crate::list::ListEntry;

/// How a repository answers besides its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoState {
    /// Answers normally.
    Normal,
    /// Every request answers 451 (access blocked for legal reasons).
    Blocked,
    /// No commits: metadata answers, the commit and tree endpoints answer 409.
    Empty,
}

/// One repository of a [`Fixture`].
#[derive(Debug, Clone)]
pub struct FixtureRepo {
    /// `owner/name`.
    pub full_name: String,
    /// GitHub's numeric id (set by [`Fixture::new`] when 0).
    pub id: u64,
    /// Description.
    pub description: Option<String>,
    /// Topics.
    pub topics: Vec<String>,
    /// Primary language.
    pub language: Option<String>,
    /// Stars.
    pub stars: u64,
    /// Forks.
    pub forks: u64,
    /// Watchers (subscribers).
    pub watchers: u64,
    /// Open issues.
    pub open_issues: u64,
    /// SPDX license id.
    pub license: Option<String>,
    /// Archived.
    pub archived: bool,
    /// A fork (search leaves forks out unless the query says `fork:true` or `fork:only`).
    pub fork: bool,
    /// Creation time, `YYYY-MM-DDTHH:MM:SSZ` (what search's `created:` matches).
    pub created_at: String,
    /// Last push, `YYYY-MM-DDTHH:MM:SSZ` (served as null for an empty repository).
    pub pushed_at: String,
    /// Commits the commits list reports (the first is the real commit; an empty repository
    /// answers 409 whatever this says).
    pub commits: u64,
    /// Releases the releases list reports.
    pub releases: u64,
    /// Default branch.
    pub default_branch: String,
    /// Normal, blocked or empty.
    pub state: RepoState,
    /// Files: (path, bytes, is_symlink). The README is a file like the others.
    pub files: Vec<(String, Vec<u8>, bool)>,
    /// Old names that answer 301 to this repository.
    pub renamed_from: Vec<String>,
}

impl FixtureRepo {
    /// A normal repository with no files, branch `main`.
    pub fn new(full_name: &str) -> FixtureRepo {
        FixtureRepo {
            full_name: full_name.to_string(),
            id: 0,
            description: Some(format!("{full_name}, a fictional project")),
            topics: vec!["machine-learning".into(), "docker".into()],
            language: Some("Python".into()),
            stars: 42,
            forks: 7,
            watchers: 3,
            open_issues: 2,
            license: Some("MIT".into()),
            archived: false,
            fork: false,
            created_at: "2019-05-04T12:00:00Z".into(),
            pushed_at: "2022-01-09T17:45:00Z".into(),
            commits: 1,
            releases: 0,
            default_branch: "main".into(),
            state: RepoState::Normal,
            files: Vec::new(),
            renamed_from: Vec::new(),
        }
    }

    /// Adds a file.
    pub fn file(mut self, path: &str, content: impl Into<Vec<u8>>) -> FixtureRepo {
        self.files.push((path.to_string(), content.into(), false));
        self
    }

    /// Adds a symbolic link to `target`.
    pub fn symlink(mut self, path: &str, target: &str) -> FixtureRepo {
        self.files
            .push((path.to_string(), target.as_bytes().to_vec(), true));
        self
    }

    /// Makes `old` (owner/name) answer 301 to this repository.
    pub fn renamed_from(mut self, old: &str) -> FixtureRepo {
        self.renamed_from.push(old.to_string());
        self
    }

    /// Sets the state.
    pub fn state(mut self, state: RepoState) -> FixtureRepo {
        self.state = state;
        self
    }
}

/// The repositories a mock server knows.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// The repositories.
    pub repos: Vec<FixtureRepo>,
}

/// FNV-1a, for deterministic variety.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A Docker Hub repository name made from any text.
fn hub_name(s: &str) -> String {
    let mapped: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut out = String::new();
    for c in mapped.chars() {
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "app".into()
    } else {
        out
    }
}

const DOCKERFILE_LAYOUTS: [&[&str]; 6] = [
    &["Dockerfile"],
    &["Dockerfile", "docker/Dockerfile.gpu"],
    &["docker/Dockerfile", "docker/Dockerfile.cpu"],
    &[
        "services/api/Dockerfile",
        "services/worker/Dockerfile",
        "Dockerfile-dev",
    ],
    &["build/app.dockerfile"],
    &["Dockerfile", "deploy/serve.Dockerfile"],
];

impl Fixture {
    /// A fixture of these repositories; ids of 0 are numbered from 1000.
    pub fn new(repos: Vec<FixtureRepo>) -> Fixture {
        let mut repos = repos;
        for (i, r) in repos.iter_mut().enumerate() {
            if r.id == 0 {
                r.id = 1000 + i as u64;
            }
        }
        Fixture { repos }
    }

    /// A fixture with one generated, fictional repository per list entry: a README with a
    /// Docker Hub link and a `docker pull` line, one to three Dockerfiles under varied names,
    /// sometimes a compose file, and a workflow that pushes the image (build-push-action
    /// `tags:` or `docker push`). The image is the entry's `image` when given, else made from
    /// the name. Deterministic: the same list gives the same fixture.
    pub fn generated(entries: &[ListEntry]) -> Fixture {
        let repos = entries
            .iter()
            .map(|entry| {
                let name = &entry.full_name;
                let h = fnv(&name.to_ascii_lowercase());
                let (owner, repo) = name.split_once('/').unwrap_or((name, name));
                let image = entry
                    .image
                    .as_deref()
                    .and_then(normalize_reference)
                    .map(|r| {
                        let r = r.split('@').next().unwrap_or_default();
                        let end = r.rfind(':').filter(|&i| !r[i..].contains('/'));
                        r[..end.unwrap_or(r.len())].to_string()
                    })
                    .unwrap_or_else(|| format!("{}/{}", hub_name(owner), hub_name(repo)));
                let pkg = hub_name(repo).replace(['-', '.'], "_");
                let py = 8 + h % 4;
                let mut r = FixtureRepo::new(name);
                r.stars = h % 20_000;
                r.forks = (h >> 16) % 3_000;
                r.watchers = (h >> 32) % 500;
                r.open_issues = (h >> 40) % 200;
                r.license = Some(if h % 3 == 0 { "Apache-2.0" } else { "MIT" }.into());
                r.description = Some(format!(
                    "{repo}: a fictional machine-learning project used to exercise Codebench"
                ));
                r = r.file(
                    "README.md",
                    format!(
                        "# {repo}\n\n{repo} is a fictional project generated for testing. It trains \
                         and serves a small model.\n\n## Docker\n\nImages are published on \
                         [Docker Hub](https://hub.docker.com/r/{image}).\n\n```bash\ndocker pull \
                         {image}:latest\ndocker run --rm -p 8080:8080 {image}:latest\n```\n"
                    ),
                );
                let layout = DOCKERFILE_LAYOUTS[(h % 6) as usize];
                for (k, path) in layout.iter().enumerate() {
                    r = r.file(
                        path,
                        format!(
                            "FROM python:3.{py}-slim\nLABEL org.opencontainers.image.title=\"{repo} \
                             ({k})\"\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install \
                             --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 8080\nCMD \
                             [\"python\", \"-m\", \"{pkg}\"]\n"
                        ),
                    );
                }
                if (h >> 7) % 3 == 0 {
                    r = r.file(
                        "docker-compose.yml",
                        format!(
                            "services:\n  app:\n    image: {image}:latest\n    build: .\n    \
                             ports:\n      - \"8080:8080\"\n  db:\n    image: postgres:13\n"
                        ),
                    );
                }
                if (h >> 11) % 2 == 0 {
                    r = r.file(
                        ".github/workflows/docker.yml",
                        format!(
                            "name: docker\non:\n  push:\n    branches: [main]\njobs:\n  build:\n    \
                             runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      \
                             - uses: docker/build-push-action@v5\n        with:\n          push: true\n          \
                             tags: {image}:latest,{image}:${{{{ github.sha }}}}\n"
                        ),
                    );
                } else {
                    r = r.file(
                        ".github/workflows/release.yaml",
                        format!(
                            "name: release\non: [release]\njobs:\n  push:\n    runs-on: ubuntu-latest\n    \
                             steps:\n      - uses: actions/checkout@v4\n      - run: |\n          \
                             docker build -t {image}:0.{py} .\n          docker push {image}:0.{py}\n"
                        ),
                    );
                }
                r = r
                    .file("requirements.txt", "numpy\ntorch\nflask\n")
                    .file("setup.py", format!("from setuptools import setup\nsetup(name=\"{pkg}\")\n"))
                    .file(&format!("src/{pkg}/__init__.py"), "__version__ = \"0.1.0\"\n")
                    .file(&format!("src/{pkg}/model.py"), "def predict(x):\n    return x\n");
                if h % 5 == 0 {
                    r = r.file("node_modules/left-pad/Dockerfile", "FROM node:18\n");
                }
                r
            })
            .collect();
        Fixture::new(repos)
    }
}

/// A 64-bit mix of `h` and `k` (splitmix64), for independent deterministic attributes.
fn mix(h: u64, k: u64) -> u64 {
    let mut z = h.wrapping_add(k.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 2012-01-01T00:00:00Z: the earliest creation time [`Fixture::topic`] gives.
pub const TOPIC_CREATED_FROM: i64 = 1_325_376_000;
/// Eleven years: creation times spread over [`TOPIC_CREATED_FROM`] and this many seconds.
pub const TOPIC_CREATED_SPAN: i64 = 11 * 365 * 86_400;

fn stamp(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Fixture {
    /// `n` fictional repositories sharing the topic `topic`, named `labNN/{topic}-{i:05}`, with
    /// deterministic, varied attributes so a test can compute from the fixture exactly which
    /// repositories each filter keeps:
    /// - `created_at` spread over 2012–2022 (so more than 1,000 need `created:` slicing),
    ///   `pushed_at` up to three years later;
    /// - `commits`: about a third under 100 (with some at 99 and at exactly 100), the rest up
    ///   to 5,000; `releases`: about 45% none, some exactly one, the rest up to 41;
    /// - about 12% archived, 7% forks (search shows them only with `fork:true`), 1% empty
    ///   (no commits: 409 on commits and trees);
    /// - stars 0–3,992 (skewed low); language Python, Jupyter Notebook, C++, Go or none;
    ///   default branch `main` or `master`;
    /// - about 45% with a Dockerfile under the importer's rules (`Dockerfile`,
    ///   `docker/Dockerfile.gpu`, `deploy/api.dockerfile`), and traps that are not one: a
    ///   Dockerfile only under `node_modules/`, or a `Dockerfile` that is a symbolic link;
    /// - a README, half of those with a Dockerfile naming a Docker Hub image
    ///   (`docker pull labNN/{topic}-{i}`), and sometimes a compose file naming it too.
    pub fn topic(topic: &str, n: usize) -> Fixture {
        let repos = (0..n)
            .map(|i| {
                let seed = fnv(&format!("{topic}#{i}"));
                let owner = format!("lab{:02}", seed % 40);
                let repo = format!("{topic}-{i:05}");
                let name = format!("{owner}/{repo}");
                let h = fnv(&name);
                let mut r = FixtureRepo::new(&name);
                let created = TOPIC_CREATED_FROM + (mix(h, 1) % TOPIC_CREATED_SPAN as u64) as i64;
                let pushed = created + (mix(h, 2) % (3 * 365 * 86_400)) as i64;
                r.created_at = stamp(created);
                r.pushed_at = stamp(pushed);
                r.commits = match mix(h, 3) % 100 {
                    35 => 100,
                    36 => 99,
                    c if c < 35 => 1 + mix(h, 13) % 99,
                    _ => 100 + mix(h, 13) % 4_900,
                };
                r.releases = match mix(h, 4) % 100 {
                    c if c < 45 => 0,
                    c if c < 50 => 1,
                    _ => 2 + mix(h, 14) % 40,
                };
                r.archived = mix(h, 5) % 100 < 12;
                r.fork = mix(h, 6) % 100 < 7;
                let x = mix(h, 7) % 1000;
                r.stars = x * x / 250;
                r.forks = mix(h, 15) % 300;
                r.language = match mix(h, 8) % 20 {
                    0..=11 => Some("Python".into()),
                    12..=14 => Some("Jupyter Notebook".into()),
                    15..=16 => Some("C++".into()),
                    17 => Some("Go".into()),
                    _ => None,
                };
                if mix(h, 16) % 3 == 0 {
                    r.default_branch = "master".into();
                }
                r.topics = vec![topic.to_string()];
                if mix(h, 17) % 2 == 0 {
                    r.topics.push("deep-learning".into());
                }
                r.description = Some(format!("{repo}: a fictional project about {topic}"));
                let image = format!("{owner}/{repo}");
                let dockerfile = match mix(h, 9) % 20 {
                    0..=6 => Some("Dockerfile"),
                    7..=8 => Some("docker/Dockerfile.gpu"),
                    9 => Some("deploy/api.dockerfile"),
                    _ => None,
                };
                let names_image = dockerfile.is_some() && mix(h, 11) % 2 == 0;
                let mut readme = format!("# {repo}\n\nA fictional project about {topic}.\n");
                if names_image {
                    readme.push_str(&format!("\n```\ndocker pull {image}:latest\n```\n"));
                }
                r = r.file("README.md", readme);
                if let Some(path) = dockerfile {
                    r = r.file(path, "FROM python:3.10-slim\nCOPY . /app\n");
                    if names_image && mix(h, 10) % 4 == 0 {
                        r = r.file(
                            "docker-compose.yml",
                            format!("services:\n  app:\n    image: {image}:latest\n"),
                        );
                    }
                } else {
                    match mix(h, 9) % 20 {
                        10 => r = r.file("node_modules/tool/Dockerfile", "FROM node:18\n"),
                        11 => {
                            r = r
                                .file("ops/container", "FROM alpine\n")
                                .symlink("Dockerfile", "ops/container")
                        }
                        _ => {}
                    }
                }
                r = r.file("src/main.py", format!("print({i})\n"));
                if mix(h, 12) % 100 == 0 {
                    r.commits = 0;
                    r.releases = 0;
                    r = r.state(RepoState::Empty);
                }
                r
            })
            .collect();
        Fixture::new(repos)
    }
}
