//! The lookups a rater's evidence is made of: a repository's description and counts, and its
//! tags page by page, read from Docker Hub's answers.

use reqwest::StatusCode;
use serde::Deserialize;

use super::request::until_stopped;
use super::{Hub, HubError, TAG_PAGE_SIZE};
use crate::model::{HubEvent, HubEvidence, HubRepository, HubTag, Lookup, TagList};
use crate::name::HubName;

#[derive(Deserialize)]
struct RepositoryJson {
    namespace: Option<String>,
    name: Option<String>,
    description: Option<String>,
    full_description: Option<String>,
    #[serde(default)]
    star_count: u64,
    #[serde(default)]
    pull_count: u64,
    last_updated: Option<String>,
    date_registered: Option<String>,
    status: Option<i64>,
    status_description: Option<String>,
    #[serde(default)]
    is_private: bool,
}

#[derive(Deserialize)]
struct TagsJson {
    count: Option<u64>,
    next: Option<String>,
    #[serde(default)]
    results: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct TagJson {
    name: String,
    tag_last_pushed: Option<String>,
    last_updated: Option<String>,
    digest: Option<String>,
    full_size: Option<u64>,
    tag_status: Option<String>,
    #[serde(default)]
    images: Vec<ImageJson>,
}

#[derive(Deserialize)]
struct ImageJson {
    digest: Option<String>,
    last_pushed: Option<String>,
}

impl Hub {
    /// The repository's description, full description (Markdown, as written: sanitise it
    /// before showing it), stars, pulls, last update and status, through
    /// `GET /v2/namespaces/{namespace}/repositories/{repository}`. 404 is
    /// [`Lookup::NotFound`]. `stop` is asked every [`STOP_POLL`](super::STOP_POLL).
    pub async fn repository(
        &self,
        name: &HubName,
        on_event: &(dyn Fn(HubEvent) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Lookup<HubRepository>, HubError> {
        let path = format!(
            "/v2/namespaces/{}/repositories/{}",
            name.namespace, name.repository
        );
        let reply = until_stopped(self.get(name, &path, on_event), stop)
            .await
            .ok_or(HubError::Stopped)??;
        match reply.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(Lookup::NotFound),
            _ => return Err(self.status_error(&path, &reply)),
        }
        let r: RepositoryJson =
            serde_json::from_slice(&reply.body).map_err(|e| HubError::InvalidResponse {
                url: format!("{}{path}", self.base),
                message: e.to_string(),
            })?;
        Ok(Lookup::Found(HubRepository {
            name: name.clone(),
            reported_name: match (r.namespace, r.name) {
                (Some(ns), Some(n)) => Some(format!("{ns}/{n}")),
                _ => None,
            },
            description: r.description.filter(|d| !d.is_empty()),
            full_description: r.full_description.filter(|d| !d.is_empty()),
            star_count: r.star_count,
            pull_count: r.pull_count,
            last_updated: r.last_updated,
            date_registered: r.date_registered,
            status: r.status,
            status_description: r.status_description,
            is_private: r.is_private,
            web_url: name.web_url(),
        }))
    }

    /// The repository's tags, newest first as Docker Hub orders them, through
    /// `GET /v2/namespaces/{namespace}/repositories/{repository}/tags?page_size=100&page=N`,
    /// at most [`HubOptions::max_tag_pages`] pages ([`TagList::complete`] says whether
    /// that was all). Pages are asked of the base URL by number: the `next` link in the body is
    /// read only as "there is more", never followed. 404 is [`Lookup::NotFound`].
    ///
    /// [`HubOptions::max_tag_pages`]: super::HubOptions::max_tag_pages
    pub async fn tags(
        &self,
        name: &HubName,
        on_event: &(dyn Fn(HubEvent) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Lookup<TagList>, HubError> {
        let mut list = TagList {
            tags: Vec::new(),
            count: None,
            pages: 0,
            complete: false,
        };
        let max_pages = self.options.max_tag_pages.max(1);
        for page in 1..=max_pages {
            let path = format!(
                "/v2/namespaces/{}/repositories/{}/tags?page_size={TAG_PAGE_SIZE}&page={page}",
                name.namespace, name.repository
            );
            let reply = until_stopped(self.get(name, &path, on_event), stop)
                .await
                .ok_or(HubError::Stopped)??;
            match reply.status {
                StatusCode::OK => {}
                StatusCode::NOT_FOUND if page == 1 => return Ok(Lookup::NotFound),
                // Past the last page (tags deleted meanwhile): what was read is all.
                StatusCode::NOT_FOUND => {
                    list.complete = true;
                    break;
                }
                _ => return Err(self.status_error(&path, &reply)),
            }
            let t: TagsJson =
                serde_json::from_slice(&reply.body).map_err(|e| HubError::InvalidResponse {
                    url: format!("{}{path}", self.base),
                    message: e.to_string(),
                })?;
            list.pages += 1;
            if page == 1 {
                list.count = t.count;
            }
            let n = t.results.len();
            list.tags.extend(t.results.into_iter().filter_map(tag_of));
            if t.next.as_deref().is_none_or(str::is_empty) || n == 0 {
                list.complete = true;
                break;
            }
        }
        Ok(Lookup::Found(list))
    }

    /// [`Hub::repository`] and then [`Hub::tags`]: the evidence a rater reads.
    pub async fn evidence(
        &self,
        name: &HubName,
        on_event: &(dyn Fn(HubEvent) + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Lookup<HubEvidence>, HubError> {
        let Lookup::Found(repository) = self.repository(name, on_event, stop).await? else {
            return Ok(Lookup::NotFound);
        };
        let Lookup::Found(tags) = self.tags(name, on_event, stop).await? else {
            return Ok(Lookup::NotFound);
        };
        Ok(Lookup::Found(HubEvidence { repository, tags }))
    }
}

fn tag_of(v: serde_json::Value) -> Option<HubTag> {
    let t: TagJson = serde_json::from_value(v).ok()?;
    let first = t.images.first();
    Some(HubTag {
        last_pushed: t
            .tag_last_pushed
            .or_else(|| first.and_then(|i| i.last_pushed.clone()))
            .or_else(|| t.last_updated.clone()),
        last_updated: t.last_updated,
        digest: t.digest.or_else(|| first.and_then(|i| i.digest.clone())),
        full_size: t.full_size,
        status: t.tag_status,
        name: t.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_what_hub_sends() {
        let t = tag_of(serde_json::json!({
            "name": "latest", "full_size": 123, "last_updated": "2021-01-05T21:06:53Z",
            "images": [{ "digest": "sha256:ab", "last_pushed": "2021-01-04T00:00:00Z" }],
        }))
        .unwrap();
        assert_eq!(t.digest.as_deref(), Some("sha256:ab"));
        assert_eq!(t.last_pushed.as_deref(), Some("2021-01-04T00:00:00Z"));
        assert!(tag_of(serde_json::json!({ "nom": 1 })).is_none());
    }
}
