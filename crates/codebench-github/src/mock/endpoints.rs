//! The endpoints the mock answers: the repository (also by id after a rename's 301), its
//! commits and releases lists, a commit, git trees and blobs, the readme, and repository
//! search with its 1,000-result cap.

use std::sync::atomic::Ordering;

use http::header::{HeaderValue, LOCATION};
use http::{Request, StatusCode};
use hyper::body::Incoming;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::answers::{
    answer, base64, json_answer, link_header, message, page_bounds, percent_decode, Answer,
};
use super::objects::RepoObjects;
use super::{search, FixtureRepo, RepoState, SearchRequest, Server};

/// GitHub's cap on reachable search results.
const SEARCH_CAP: usize = 1000;

impl Server {
    /// `GET /search/repositories`.
    pub(super) fn search(&self, req: &Request<Incoming>, request: SearchRequest) -> Answer {
        if req.uri().path().trim_end_matches('/') != "/search/repositories" {
            return message(StatusCode::NOT_FOUND, "Not Found");
        }
        let invalid = |text: &str| {
            json_answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "message": "Validation Failed",
                    "errors": [{ "resource": "Search", "field": "q", "code": "invalid", "message": text }],
                    "documentation_url": "https://docs.github.com/v3/search",
                    "status": "422",
                }),
            )
        };
        if request.q.trim().is_empty() {
            return invalid("q is missing");
        }
        let query = match search::Query::parse(&request.q) {
            Ok(q) => q,
            Err(e) => return invalid(&e),
        };
        let (page, per_page) = (request.page, request.per_page);
        if page == 0 || per_page == 0 {
            return invalid("page and per_page must be positive");
        }
        let per_page = per_page.min(100) as usize;
        let start = (page as usize - 1).saturating_mul(per_page);
        if start >= SEARCH_CAP {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Only the first 1000 search results are available",
            );
        }
        // "Best match", made deterministic: most stars first, then oldest id.
        let mut found: Vec<&RepoObjects> = self
            .repos
            .iter()
            .filter(|o| query.matches(&o.repo))
            .collect();
        found.sort_by(|a, b| {
            b.repo
                .stars
                .cmp(&a.repo.stars)
                .then(a.repo.id.cmp(&b.repo.id))
        });
        let total = found.len();
        let end = (start + per_page).min(total).min(SEARCH_CAP);
        let items: Vec<Value> = found
            .get(start..end.max(start))
            .unwrap_or_default()
            .iter()
            .map(|o| {
                let mut v = self.repo_json(&o.repo, o);
                v["score"] = json!(1.0);
                v
            })
            .collect();
        let mut r = json_answer(
            StatusCode::OK,
            json!({ "total_count": total, "incomplete_results": false, "items": items }),
        );
        let last = total.min(SEARCH_CAP).div_ceil(per_page).max(1) as u64;
        let q = utf8_percent_encode(&request.q, NON_ALPHANUMERIC).to_string();
        let url = |p: u64| {
            format!(
                "{}/search/repositories?q={q}&per_page={per_page}&page={p}",
                self.base
            )
        };
        link_header(&mut r, page, last, url);
        r
    }

    pub(super) fn route(&self, req: &Request<Incoming>) -> Answer {
        let path = req.uri().path();
        let query = req.uri().query().unwrap_or("");
        let raw = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/vnd.github.raw"));
        let wants_sha = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/vnd.github.sha"));
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (index, rest) = match segs.as_slice() {
            ["repos", owner, name, rest @ ..] => {
                let key = format!("{owner}/{name}").to_ascii_lowercase();
                if let Some(&i) = self.by_name.get(&key) {
                    (i, rest)
                } else if let Some(&i) = self.by_old_name.get(&key) {
                    self.counters.redirects.fetch_add(1, Ordering::Relaxed);
                    let id = self.repos[i].repo.id;
                    let mut location = format!("{}/repositories/{id}", self.base);
                    for r in rest {
                        location.push('/');
                        location.push_str(r);
                    }
                    if !query.is_empty() {
                        location.push('?');
                        location.push_str(query);
                    }
                    let mut r = message(StatusCode::MOVED_PERMANENTLY, "Moved Permanently");
                    if let Ok(v) = HeaderValue::from_str(&location) {
                        r.headers_mut().insert(LOCATION, v);
                    }
                    return r;
                } else {
                    return message(StatusCode::NOT_FOUND, "Not Found");
                }
            }
            ["repositories", id, rest @ ..] => {
                match id.parse::<u64>().ok().and_then(|id| self.by_id.get(&id)) {
                    Some(&i) => (i, rest),
                    None => return message(StatusCode::NOT_FOUND, "Not Found"),
                }
            }
            _ => return message(StatusCode::NOT_FOUND, "Not Found"),
        };
        let objects = &self.repos[index];
        let repo = &objects.repo;
        if repo.state == RepoState::Blocked {
            return json_answer(
                StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
                json!({
                    "message": "Repository access blocked",
                    "block": {
                        "reason": "dmca",
                        "created_at": "2021-03-01T00:00:00Z",
                        "html_url": "https://github.com/github/dmca/blob/master/2021/03/fictional.md"
                    }
                }),
            );
        }
        let param = |key: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .map(percent_decode)
        };
        let empty = || message(StatusCode::CONFLICT, "Git Repository is empty.");
        let list_page = || {
            let per_page = param("per_page")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(30)
                .clamp(1, 100);
            let page = param("page")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
                .max(1);
            (page, per_page)
        };
        let list_url = |what: &'static str, per_page: u64| {
            let (base, id) = (self.base.clone(), repo.id);
            move |p: u64| format!("{base}/repositories/{id}/{what}?per_page={per_page}&page={p}")
        };
        match rest {
            [] => json_answer(StatusCode::OK, self.repo_json(repo, objects)),
            ["commits"] => {
                let Some(commit) = &objects.commit else {
                    return empty();
                };
                let (page, per_page) = list_page();
                let (from, to) = page_bounds(page, per_page, repo.commits);
                let items: Vec<Value> = (from..to)
                    .map(|i| {
                        let sha = if i == 0 {
                            commit.clone()
                        } else {
                            crate::git::object_sha("commit", format!("{}#{i}", repo.full_name).as_bytes())
                        };
                        json!({
                            "sha": sha,
                            "commit": { "message": format!("commit {i}") },
                            "html_url": format!("https://github.com/{}/commit/{sha}", repo.full_name),
                        })
                    })
                    .collect();
                let mut r = json_answer(StatusCode::OK, Value::Array(items));
                let last = repo.commits.div_ceil(per_page).max(1);
                link_header(&mut r, page, last, list_url("commits", per_page));
                r
            }
            ["releases"] => {
                let (page, per_page) = list_page();
                let (from, to) = page_bounds(page, per_page, repo.releases);
                let items: Vec<Value> = (from..to)
                    .map(|i| {
                        let tag = format!("v0.{}", repo.releases - i);
                        json!({
                            "id": repo.id * 1000 + i,
                            "tag_name": tag,
                            "name": tag,
                            "draft": false,
                            "prerelease": false,
                            "created_at": repo.pushed_at,
                            "published_at": repo.pushed_at,
                            "html_url": format!("https://github.com/{}/releases/tag/{tag}", repo.full_name),
                        })
                    })
                    .collect();
                let mut r = json_answer(StatusCode::OK, Value::Array(items));
                let last = repo.releases.div_ceil(per_page).max(1);
                link_header(&mut r, page, last, list_url("releases", per_page));
                r
            }
            ["commits", reference @ ..] if !reference.is_empty() => {
                let Some(commit) = &objects.commit else {
                    return empty();
                };
                let reference = percent_decode(&reference.join("/"));
                if reference != repo.default_branch && reference != *commit {
                    return message(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &format!("No commit found for SHA: {reference}"),
                    );
                }
                if wants_sha {
                    answer(
                        StatusCode::OK,
                        "application/vnd.github.sha; charset=utf-8",
                        commit.clone().into_bytes(),
                    )
                } else {
                    json_answer(
                        StatusCode::OK,
                        json!({
                            "sha": commit,
                            "commit": {
                                "tree": { "sha": objects.root_tree },
                                "message": repo.full_name,
                            },
                            "html_url": format!("https://github.com/{}/commit/{commit}", repo.full_name),
                        }),
                    )
                }
            }
            ["git", "trees", sha] => {
                if objects.commit.is_none() {
                    return empty();
                }
                let recursive =
                    param("recursive").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
                // A branch name stands for its commit, as on GitHub.
                let branch = percent_decode(sha);
                let sha = match &objects.commit {
                    Some(c) if branch == repo.default_branch => c.as_str(),
                    _ => *sha,
                };
                let Some(mut entries) = objects.listing(sha, recursive) else {
                    return message(StatusCode::NOT_FOUND, "Not Found");
                };
                let mut truncated = false;
                if let Some(limit) = self.config.tree_entry_limit.filter(|_| recursive) {
                    if entries.len() > limit {
                        entries.truncate(limit);
                        truncated = true;
                    }
                }
                let tree_sha = if Some(sha) == objects.commit.as_deref() {
                    objects.root_tree.clone().unwrap_or_default()
                } else {
                    sha.to_string()
                };
                let api = format!("{}/repos/{}", self.base, repo.full_name);
                let tree: Vec<Value> = entries
                    .iter()
                    .map(|e| {
                        let url = if e.kind == "tree" {
                            format!("{api}/git/trees/{}", e.sha)
                        } else {
                            format!("{api}/git/blobs/{}", e.sha)
                        };
                        let mut v = json!({
                            "path": e.name, "mode": e.mode, "type": e.kind, "sha": e.sha, "url": url,
                        });
                        if let Some(size) = e.size {
                            v["size"] = size.into();
                        }
                        v
                    })
                    .collect();
                json_answer(
                    StatusCode::OK,
                    json!({
                        "sha": tree_sha,
                        "url": format!("{api}/git/trees/{tree_sha}"),
                        "tree": tree,
                        "truncated": truncated,
                    }),
                )
            }
            ["git", "blobs", sha] => match objects.blobs.get(*sha) {
                None => message(StatusCode::NOT_FOUND, "Not Found"),
                Some(bytes) if raw => {
                    answer(StatusCode::OK, "application/vnd.github.raw", bytes.clone())
                }
                Some(bytes) => json_answer(
                    StatusCode::OK,
                    json!({
                        "sha": sha, "node_id": "", "size": bytes.len(),
                        "url": format!("{}/repos/{}/git/blobs/{sha}", self.base, repo.full_name),
                        "content": base64(bytes), "encoding": "base64",
                    }),
                ),
            },
            ["readme"] => {
                if let Some(r) = param("ref") {
                    if objects.commit.as_deref() != Some(r.as_str()) && r != repo.default_branch {
                        return message(
                            StatusCode::NOT_FOUND,
                            &format!("No commit found for the ref {r}"),
                        );
                    }
                }
                let Some((path, bytes)) = objects.readme_bytes() else {
                    return message(StatusCode::NOT_FOUND, "Not Found");
                };
                if raw {
                    answer(StatusCode::OK, "application/vnd.github.raw", bytes.to_vec())
                } else {
                    let sha = crate::git::blob_sha(bytes);
                    json_answer(
                        StatusCode::OK,
                        json!({
                            "type": "file", "encoding": "base64", "size": bytes.len(),
                            "name": path, "path": path, "content": base64(bytes), "sha": sha,
                            "url": format!("{}/repos/{}/contents/{path}", self.base, repo.full_name),
                        }),
                    )
                }
            }
            _ => message(StatusCode::NOT_FOUND, "Not Found"),
        }
    }

    fn repo_json(&self, repo: &FixtureRepo, objects: &RepoObjects) -> Value {
        let (owner, _) = repo
            .full_name
            .split_once('/')
            .unwrap_or((&repo.full_name, ""));
        let size: u64 = repo
            .files
            .iter()
            .map(|(_, c, _)| c.len() as u64)
            .sum::<u64>()
            .div_ceil(1024);
        json!({
            "id": repo.id,
            "node_id": format!("R_fixture{}", repo.id),
            "name": repo.full_name.split_once('/').map_or("", |(_, n)| n),
            "full_name": repo.full_name,
            "private": false,
            "owner": { "login": owner, "type": "Organization" },
            "html_url": format!("https://github.com/{}", repo.full_name),
            "url": format!("{}/repos/{}", self.base, repo.full_name),
            "description": repo.description,
            "fork": repo.fork,
            "homepage": null,
            "size": if objects.commit.is_some() { size } else { 0 },
            "stargazers_count": repo.stars,
            "watchers_count": repo.stars,
            "subscribers_count": repo.watchers,
            "language": repo.language,
            "forks_count": repo.forks,
            "open_issues_count": repo.open_issues,
            "license": repo.license.as_ref().map(|l| json!({ "key": l.to_ascii_lowercase(), "name": l, "spdx_id": l })),
            "topics": repo.topics,
            "archived": repo.archived,
            "disabled": false,
            "visibility": "public",
            "default_branch": repo.default_branch,
            "created_at": repo.created_at,
            "updated_at": repo.pushed_at,
            "pushed_at": if objects.commit.is_some() { json!(repo.pushed_at) } else { Value::Null },
        })
    }
}
