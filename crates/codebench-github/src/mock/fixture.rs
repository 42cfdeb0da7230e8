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
