//! Fetching what a rater needs from GitHub: repository metadata, the default branch's commit,
//! the README, every Dockerfile, compose file and CI workflow, and the Docker Hub image
//! references in them, through octocrab with a settable base URL (GitHub Enterprise, tests).
//! For corpus selection it also searches repositories past GitHub's 1,000-result cap
//! ([`GitHub::plan_search`], [`GitHub::search_slice`], page by page with
//! [`GitHub::search_slice_pages`]) and answers filter questions without
//! importing ([`GitHub::count_commits`], [`GitHub::count_releases`], [`GitHub::repo_facts`],
//! [`GitHub::selected_paths`], [`GitHub::check_many_until`]).
//!
//! The crate knows nothing of storage or user interfaces: the core decides which files matter
//! (a [`FileSelector`]), stores each [`RepoOutcome`] as [`GitHub::fetch_many`] hands it over,
//! and chooses which repositories to skip when an import resumes. Rate limits (the core one and
//! search's own) are followed and every wait is reported as an [`Event`].
//!
//! With the `mock-server` feature, [`mock`] offers a local GitHub look-alike for tests, benches
//! and hand runs (also as the `github-mock` binary).

#![warn(missing_docs)]

mod client;
mod facts;
mod fetch;
pub mod git;
pub mod image_ref;
pub mod list;
#[cfg(feature = "mock-server")]
pub mod mock;
mod search;
mod snapshot;

pub use client::{ClientError, GitHub, GitHubOptions, DEFAULT_API_URL};
pub use facts::{
    last_page, Check, CheckOutcome, CheckSummary, CheckTarget, CheckValue, RepoFacts, SelectedPath,
    TreeListing,
};
pub use fetch::STOP_POLL;
pub use image_ref::{
    normalize_reference, refs_from_compose, refs_from_readme, refs_from_workflow, ImageRef,
    RefSource,
};
pub use list::{parse_repo_list, parse_repo_name, read_repo_list, ListEntry, ListError};
pub use search::{
    CreatedRange, PlanOptions, SearchCount, SearchError, SearchHit, SearchPlan, SearchSlice,
    SearchSummary, SliceHits, SlicePage, DEFAULT_CREATED_FROM, SEARCH_CAP, SEARCH_PAGE_SIZE,
};
pub use snapshot::{
    Content, Event, FailureKind, FetchedFile, FileRole, FileSelector, ImportSummary, Problem,
    ProblemKind, RepoFailure, RepoMetadata, RepoOutcome, RepoSnapshot, WaitReason,
};
