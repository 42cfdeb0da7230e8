//! What the Docker Hub calls yield: serde-serialisable results and the events reported while
//! waiting.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::name::HubName;

/// An answer about a repository that may not exist: a 404 is a result (the filter's "no
/// image"), not an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lookup<T> {
    /// The repository exists.
    Found(T),
    /// Docker Hub answered 404: no such repository (or a private one the token cannot see).
    NotFound,
}

impl<T> Lookup<T> {
    /// The value, when found.
    pub fn found(self) -> Option<T> {
        match self {
            Lookup::Found(t) => Some(t),
            Lookup::NotFound => None,
        }
    }

    /// Whether the repository exists.
    pub fn is_found(&self) -> bool {
        matches!(self, Lookup::Found(_))
    }
}

/// A Docker Hub repository's facts, from the namespaces endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubRepository {
    /// The name asked for.
    pub name: HubName,
    /// `namespace/name` as Docker Hub reports it, if it does.
    pub reported_name: Option<String>,
    /// One-line description.
    pub description: Option<String>,
    /// The overview in Markdown, as written by its owners (untrusted: sanitise before showing).
    pub full_description: Option<String>,
    /// Stars.
    pub star_count: u64,
    /// Pulls, all time.
    pub pull_count: u64,
    /// Last update, ISO 8601.
    pub last_updated: Option<String>,
    /// Creation, ISO 8601.
    pub date_registered: Option<String>,
    /// Docker Hub's status code (1 is active).
    pub status: Option<i64>,
    /// Docker Hub's status in words (`active`, `inactive`).
    pub status_description: Option<String>,
    /// Whether it is private.
    pub is_private: bool,
    /// Its page on Docker Hub.
    pub web_url: String,
}

/// One tag of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubTag {
    /// The tag.
    pub name: String,
    /// Last push, ISO 8601 (`tag_last_pushed`, else the first image's `last_pushed`, else
    /// `last_updated`).
    pub last_pushed: Option<String>,
    /// Last update, ISO 8601.
    pub last_updated: Option<String>,
    /// The manifest (or first image's) digest.
    pub digest: Option<String>,
    /// Compressed size in bytes, summed over layers, as Docker Hub reports it.
    pub full_size: Option<u64>,
    /// `active` or `inactive` (not pulled for a long time).
    pub status: Option<String>,
}

/// A repository's tags, as many pages as allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    /// The tags read, in Docker Hub's order (most recently updated first).
    pub tags: Vec<HubTag>,
    /// The total Docker Hub reports (`count`), which may exceed the tags read.
    pub count: Option<u64>,
    /// Pages read.
    pub pages: u32,
    /// Whether every tag was read (no further page, or the page bound not reached).
    pub complete: bool,
}

/// What a rater reads about one image repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubEvidence {
    /// The repository's facts.
    pub repository: HubRepository,
    /// Its tags.
    pub tags: TagList,
}

/// Why the client waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HubWaitReason {
    /// `X-RateLimit-Remaining` reached 0: every request waits for `X-RateLimit-Reset`.
    RateLimit,
    /// A 429: every request waits as `Retry-After` / `X-Retry-After` says.
    TooManyRequests,
    /// A server error or dropped connection: this request waits before a retry.
    Retry,
}

/// Progress reported while calling Docker Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEvent {
    /// A pause (announced once when several requests meet the same limit).
    Waiting {
        /// The repository whose request met it.
        name: HubName,
        /// Why.
        reason: HubWaitReason,
        /// How long.
        wait: Duration,
    },
}
