//! Docker Hub for a study: whether an image repository exists (a selection filter) and what
//! its page says (evidence beside the README): description, full description, stars, pulls,
//! last update and tags with their last push, through Docker Hub's current namespaces API
//! (`/v2/namespaces/{namespace}/repositories/{repository}[/tags]`, not the deprecated
//! `/v2/repositories/…`), with a settable base URL.
//!
//! Invariants: no call panics on any answer; every body is read up to a bound; a repository
//! that does not exist is [`Lookup::NotFound`], a result rather than an error; the API's rate
//! limit (`X-RateLimit-*`, 429 with `Retry-After` / `X-Retry-After`) is followed by one gate
//! shared by all calls of a [`Hub`], and every wait is reported as a [`HubEvent`]; every call
//! takes a stop check asked while it waits. The crate knows nothing of storage.
//!
//! With the `mock-server` feature, [`mock`] offers a local Docker Hub look-alike for tests.

#![warn(missing_docs)]

mod client;
#[cfg(feature = "mock-server")]
pub mod mock;
mod model;
mod name;

pub use client::{Hub, HubError, HubOptions, DEFAULT_HUB_URL, STOP_POLL, TAG_PAGE_SIZE};
pub use model::{HubEvent, HubEvidence, HubRepository, HubTag, HubWaitReason, Lookup, TagList};
pub use name::{HubName, NameError, OFFICIAL_NAMESPACE};
