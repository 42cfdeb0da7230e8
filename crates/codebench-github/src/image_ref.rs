//! Docker Hub image references found in a repository's files, each with where and how it was
//! found, so a rater can see why a project is linked to an image.
//!
//! All functions here are pure: text in, references out. Only Docker Hub references are kept
//! (no registry, or `docker.io`); references that depend on variables in their name
//! (`${{ secrets.USER }}/app`) are dropped, and a variable tag (`app:${{ github.sha }}`) is
//! dropped from the reference while the repository is kept.

use serde::{Deserialize, Serialize};

/// How an image reference was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefSource {
    /// A `hub.docker.com` link in the README.
    ReadmeLink,
    /// A `docker pull` command in the README.
    DockerPull,
    /// An `image:` key in a compose file.
    ComposeImage,
    /// `tags:` of docker/build-push-action (or `images:` of docker/metadata-action) in a workflow.
    WorkflowTags,
    /// A `docker push` command in a workflow.
    DockerPush,
    /// The `image` column of the repository list.
    List,
}

impl RefSource {
    /// The stable kebab-case name (`readme-link`, `docker-pull`, ...) used in storage and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            RefSource::ReadmeLink => "readme-link",
            RefSource::DockerPull => "docker-pull",
            RefSource::ComposeImage => "compose-image",
            RefSource::WorkflowTags => "workflow-tags",
            RefSource::DockerPush => "docker-push",
            RefSource::List => "list",
        }
    }
}

/// One Docker Hub image reference and its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageRef {
    /// Normalized reference: `name[:tag][@sha256:...]`, official images without `library/`.
    pub reference: String,
    /// Repository path of the file it was found in (`README.md`, `.github/workflows/ci.yml`),
    /// or `list` for the repository list.
    pub found_in: String,
    /// How it was found.
    pub how: RefSource,
}

/// Normalizes a Docker Hub image reference: strips quotes, a `docker.io/` host and
/// `library/`; drops a tag made of variables. Returns `None` for anything that is not a valid
/// Docker Hub reference (other registries, placeholders, upper case, variables in the name).
/// The reference is read with the workspace's one grammar ([`codebench_reference`]).
pub fn normalize_reference(raw: &str) -> Option<String> {
    let s = raw
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '`'))
        .trim_end_matches(['.', ',', ';', ')', ']', ':']);
    if s.is_empty() || s.len() > 512 {
        return None;
    }
    // A tag made of variables is dropped before the reference is read; variables in the name
    // drop the whole reference.
    let s = codebench_reference::without_variable_tag(s);
    let parts = codebench_reference::parse_image_reference(&s).ok()?;
    // A valid component holds no `$` or `{`, so variables in the name drop the reference.
    let hub_name = codebench_reference::is_valid_component;
    if !parts.is_docker_hub()
        || !parts.namespace.as_deref().is_none_or(hub_name)
        || !hub_name(&parts.name)
        || parts
            .tag
            .as_deref()
            .is_some_and(|t| !codebench_reference::is_valid_tag(t))
        || parts
            .digest
            .as_deref()
            .is_some_and(|d| !codebench_reference::is_sha256_digest(d))
    {
        return None;
    }
    let mut out = parts.repository();
    if let Some(t) = parts.tag {
        out.push(':');
        out.push_str(&t);
    }
    if let Some(d) = parts.digest {
        out.push('@');
        out.push_str(&d.to_ascii_lowercase());
    }
    Some(out)
}

fn push_unique(out: &mut Vec<ImageRef>, reference: Option<String>, found_in: &str, how: RefSource) {
    if let Some(reference) = reference {
        if !out.iter().any(|r| r.reference == reference && r.how == how) {
            out.push(ImageRef {
                reference,
                found_in: found_in.to_string(),
                how,
            });
        }
    }
}

/// Characters that end a token in prose, Markdown or shell.
fn is_token_end(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '`' | ')' | '(' | '<' | '>' | '"' | '\'' | ';' | '&' | '|' | '[' | ']' | '\\'
        )
}

/// References from a README: `hub.docker.com` links (`/r/NS/NAME`, `/_/NAME`,
/// `/repository/docker/NS/NAME`, `/layers/NS/NAME/TAG`) and `docker pull` commands.
pub fn refs_from_readme(text: &str, found_in: &str) -> Vec<ImageRef> {
    let mut out = Vec::new();
    for (pos, _) in text.match_indices("hub.docker.com/") {
        let rest = &text[pos + "hub.docker.com/".len()..];
        let end = rest.find(is_token_end).unwrap_or(rest.len());
        let path = rest[..end].to_ascii_lowercase();
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let candidate = match segs.as_slice() {
            ["_", name, ..] => Some(name.to_string()),
            ["r", ns, name, ..] => Some(format!("{ns}/{name}")),
            ["repository", "docker", ns, name, ..] => Some(format!("{ns}/{name}")),
            ["layers", ns, name, tag, ..] => Some(format!("{ns}/{name}:{tag}")),
            _ => None,
        };
        push_unique(
            &mut out,
            candidate.and_then(|c| normalize_reference(&c)),
            found_in,
            RefSource::ReadmeLink,
        );
    }
    for reference in command_args(text, &["docker pull ", "docker image pull "]) {
        push_unique(
            &mut out,
            normalize_reference(&reference),
            found_in,
            RefSource::DockerPull,
        );
    }
    out
}

/// The first non-option argument after each occurrence of any of `commands`.
fn command_args(text: &str, commands: &[&str]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for command in commands {
        for (pos, _) in text.match_indices(command) {
            let rest = &text[pos + command.len()..];
            let line = rest.split('\n').next().unwrap_or_default();
            let mut tokens = line.split(' ').filter(|t| !t.is_empty());
            while let Some(token) = tokens.next() {
                if token == "--platform" {
                    tokens.next();
                    continue;
                }
                if token.starts_with('-') {
                    continue;
                }
                let end = token.find(is_token_end).unwrap_or(token.len());
                if end > 0 {
                    found.push((pos, token[..end].to_string()));
                }
                break;
            }
        }
    }
    found.sort_by_key(|(pos, _)| *pos);
    found.into_iter().map(|(_, t)| t).collect()
}

/// Strips a YAML comment (`#` at the start or after whitespace) from a line.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return &line[..i];
        }
    }
    line
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `key: value` on this line (after an optional list dash): the value, trimmed.
fn key_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let t = strip_comment(line).trim();
    let t = t.strip_prefix("- ").map_or(t, str::trim_start);
    let rest = t.strip_prefix(key)?.trim_start();
    let value = rest.strip_prefix(':')?;
    Some(value.trim())
}

/// References from a compose file: every `image:` value.
pub fn refs_from_compose(text: &str, found_in: &str) -> Vec<ImageRef> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(value) = key_value(line, "image") {
            push_unique(
                &mut out,
                normalize_reference(value),
                found_in,
                RefSource::ComposeImage,
            );
        }
    }
    out
}

/// References from a GitHub Actions workflow: `tags:` of steps using
/// `docker/build-push-action`, `images:` of steps using `docker/metadata-action` (both
/// [`RefSource::WorkflowTags`]), and `docker push` commands.
pub fn refs_from_workflow(text: &str, found_in: &str) -> Vec<ImageRef> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (action, key) in [
        ("docker/build-push-action", "tags"),
        ("docker/metadata-action", "images"),
    ] {
        for (start, end, key_col) in steps_using(&lines, action) {
            for item in block_values(&lines[start..end], key, key_col) {
                let item = item.strip_prefix("name=").unwrap_or(&item);
                if item.contains('=') {
                    continue; // a metadata-action attribute such as enable=...
                }
                push_unique(
                    &mut out,
                    normalize_reference(item),
                    found_in,
                    RefSource::WorkflowTags,
                );
            }
        }
    }
    for reference in command_args(text, &["docker push ", "docker image push "]) {
        push_unique(
            &mut out,
            normalize_reference(&reference),
            found_in,
            RefSource::DockerPush,
        );
    }
    out
}

/// Steps (list items) whose `uses:` names `action`: (first line, end line, key column).
fn steps_using(lines: &[&str], action: &str) -> Vec<(usize, usize, usize)> {
    let mut steps = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(value) = key_value(line, "uses") else {
            continue;
        };
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        if !value.starts_with(action) {
            continue;
        }
        let trimmed = line.trim_start();
        let (start, dash) = if trimmed.starts_with("- ") {
            (i, indent(line))
        } else {
            let own = indent(line);
            let found = (0..i).rev().find(|&j| {
                let l = strip_comment(lines[j]);
                !l.trim().is_empty() && indent(l) < own
            });
            match found {
                Some(j) if lines[j].trim_start().starts_with("- ") => (j, indent(lines[j])),
                _ => continue,
            }
        };
        let key_col = {
            let after_dash = &lines[start][dash + 1..];
            dash + 1 + indent(after_dash)
        };
        let end = (start + 1..lines.len())
            .find(|&k| {
                let l = strip_comment(lines[k]);
                !l.trim().is_empty() && indent(l) <= dash
            })
            .unwrap_or(lines.len());
        steps.push((start, end, key_col));
    }
    steps
}

/// Values of `key` inside a step: inline (`key: a,b`), flow list (`key: [a, b]`), block
/// scalar (`key: |` + lines) or block list (`key:` + `- a` lines); comma-separated items split.
fn block_values(step: &[&str], key: &str, key_col: usize) -> Vec<String> {
    let mut values = Vec::new();
    for (i, line) in step.iter().enumerate() {
        if indent(line) <= key_col && i > 0 {
            continue; // the step's own keys (uses, name, with), not inside `with:`
        }
        let Some(value) = key_value(line, key) else {
            continue;
        };
        let own = indent(line);
        let mut raw: Vec<String> = Vec::new();
        if value.is_empty() || value.starts_with('|') || value.starts_with('>') {
            for next in &step[i + 1..] {
                let l = strip_comment(next);
                if l.trim().is_empty() {
                    continue;
                }
                if indent(l) <= own {
                    break;
                }
                let t = l.trim();
                raw.push(t.strip_prefix("- ").unwrap_or(t).to_string());
            }
        } else if let Some(flow) = value.strip_prefix('[') {
            raw.push(flow.trim_end_matches(']').to_string());
        } else {
            raw.push(value.to_string());
        }
        for r in raw {
            for item in r.split(',') {
                let item = item.trim().trim_matches(|c| c == '"' || c == '\'');
                if !item.is_empty() {
                    values.push(item.to_string());
                }
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &[ImageRef]) -> Vec<(&str, RefSource)> {
        v.iter().map(|r| (r.reference.as_str(), r.how)).collect()
    }

    #[test]
    fn normalizes() {
        let n = normalize_reference;
        assert_eq!(
            n("docker.io/library/ubuntu:20.04").as_deref(),
            Some("ubuntu:20.04")
        );
        assert_eq!(
            n("\"pytorch/pytorch:1.10.0-cuda11.3\"").as_deref(),
            Some("pytorch/pytorch:1.10.0-cuda11.3")
        );
        assert_eq!(n("index.docker.io/a/b").as_deref(), Some("a/b"));
        assert_eq!(n("a/b:${{ github.sha }}").as_deref(), Some("a/b"));
        assert_eq!(n("a/b:${TAG:-latest}").as_deref(), Some("a/b"));
        let digest = format!("a/b@sha256:{}", "A".repeat(64));
        assert_eq!(n(&digest), Some(format!("a/b@sha256:{}", "a".repeat(64))));
        for bad in [
            "ghcr.io/a/b",
            "quay.io/a/b:1",
            "localhost:5000/a",
            "${{ secrets.USER }}/app:latest",
            "$IMAGE",
            "<image>",
            "Upper/Case",
            "a/b/c",
            "a/b:-x",
            "a/b@sha256:xyz",
            "",
            "-a",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }

    #[test]
    fn readme_links_and_pulls() {
        let text = "\
[![Docker](https://img.shields.io/docker/pulls/acme/tool)](https://hub.docker.com/r/acme/tool)
Official base: <https://hub.docker.com/_/python>. Tags: https://hub.docker.com/r/Acme/Tool/tags?page=1
See https://hub.docker.com/repository/docker/acme/worker/general and
https://hub.docker.com/layers/acme/tool/1.2/images/sha256-abc and https://hub.docker.com/u/acme.

```bash
docker pull acme/tool:1.2
$ docker pull --platform linux/amd64 -q acme/gpu:latest && docker run acme/gpu
docker pull ghcr.io/acme/tool
docker pull <your-image>
```
Run `docker image pull acme/cli`.
";
        let got = refs_from_readme(text, "README.md");
        assert_eq!(
            refs(&got),
            [
                ("acme/tool", RefSource::ReadmeLink),
                ("python", RefSource::ReadmeLink),
                ("acme/worker", RefSource::ReadmeLink),
                ("acme/tool:1.2", RefSource::ReadmeLink),
                ("acme/tool:1.2", RefSource::DockerPull),
                ("acme/gpu:latest", RefSource::DockerPull),
                ("acme/cli", RefSource::DockerPull),
            ]
        );
        assert!(got.iter().all(|r| r.found_in == "README.md"));
    }

    #[test]
    fn compose_images() {
        let text = "\
version: '3'
services:
  api:
    image: \"acme/api:${TAG:-latest}\"   # pinned later
    build: .
  db:
    image: postgres:13
  cache:
    image: ghcr.io/acme/cache
  # image: commented/out
";
        assert_eq!(
            refs(&refs_from_compose(text, "docker-compose.yml")),
            [
                ("acme/api", RefSource::ComposeImage),
                ("postgres:13", RefSource::ComposeImage)
            ]
        );
    }

    #[test]
    fn workflow_tags_and_pushes() {
        let text = "\
name: release
on: push
jobs:
  docker:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          tags: not/this-one
      - name: Meta
        id: meta
        uses: docker/metadata-action@v5
        with:
          images: |
            acme/app
            name=acme/app-gpu,enable=true
            ghcr.io/acme/app
      - name: Build and push
        uses: \"docker/build-push-action@v5\"
        with:
          push: true
          tags: acme/app:latest,acme/app:${{ github.ref_name }}
      - uses: docker/build-push-action@v2
        with:
          tags: |
            acme/cli:1.0
            acme/cli:latest
      - uses: docker/build-push-action@v3
        with:
          tags:
            - acme/list:1
            - \"acme/list:2\"
      - uses: docker/build-push-action@v4
        with: { context: . }
      - run: |
          docker push acme/manual:1.0
          docker push ${{ secrets.DOCKER_USER }}/private:1
          docker image push --all-tags acme/all
";
        assert_eq!(
            refs(&refs_from_workflow(text, ".github/workflows/release.yml")),
            [
                ("acme/app:latest", RefSource::WorkflowTags),
                ("acme/app", RefSource::WorkflowTags),
                ("acme/cli:1.0", RefSource::WorkflowTags),
                ("acme/cli:latest", RefSource::WorkflowTags),
                ("acme/list:1", RefSource::WorkflowTags),
                ("acme/list:2", RefSource::WorkflowTags),
                ("acme/app-gpu", RefSource::WorkflowTags),
                ("acme/manual:1.0", RefSource::DockerPush),
                ("acme/all", RefSource::DockerPush),
            ]
        );
    }

    #[test]
    fn hostile_text_does_not_panic() {
        for text in [
            "hub.docker.com/",
            "docker pull ",
            "tags:",
            "- uses: docker/build-push-action\n  tags: |",
            "é hub.docker.com/r/é/ü docker pull é",
        ] {
            let _ = refs_from_readme(text, "x");
            let _ = refs_from_workflow(text, "x");
            let _ = refs_from_compose(text, "x");
        }
    }
}
