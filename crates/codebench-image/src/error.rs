//! Errors of image analysis, each classed as retryable (the registry or the network may do better
//! next time) or not (the content itself is bad), so a job runner knows whether to try again.

use serde::{Deserialize, Serialize};

/// Everything that can go wrong while fetching or analysing an image.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The image reference could not be parsed.
    #[error("invalid image reference {reference:?}: {reason}")]
    Reference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The registry answered with an HTTP error status.
    #[error("registry answered HTTP {status} for {url}{}", retry_after_note(*retry_after))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The URL that was requested.
        url: String,
        /// Seconds the registry asked us to wait (`Retry-After`), when it sent one.
        retry_after: Option<u64>,
    },
    /// The registry refused our credentials or token.
    #[error("registry refused access to {url}: {reason}")]
    Unauthorized {
        /// The URL that was requested.
        url: String,
        /// Why (challenge, token endpoint answer).
        reason: String,
    },
    /// The connection failed, timed out or dropped in the middle of a transfer.
    #[error("connection to {url} failed: {reason}")]
    Connection {
        /// The URL being fetched.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// A blob ended before its declared size.
    #[error("blob {digest} truncated: got {got} of {expected} bytes")]
    Truncated {
        /// The blob digest.
        digest: String,
        /// Bytes received.
        got: u64,
        /// Bytes the descriptor declared.
        expected: u64,
    },
    /// Content did not hash to the digest that names it.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// Which blob or manifest.
        what: String,
        /// The digest that names it.
        expected: String,
        /// The digest of what we read.
        actual: String,
    },
    /// A blob was longer or shorter than its descriptor says.
    #[error("size mismatch for {digest}: descriptor says {expected} bytes, content has {actual}")]
    SizeMismatch {
        /// The blob digest.
        digest: String,
        /// Declared size.
        expected: u64,
        /// Size read (at least this much when the content is longer).
        actual: u64,
    },
    /// A media type we do not know, or one that does not match the content.
    #[error("media type problem for {what}: {reason}")]
    MediaType {
        /// Which manifest or layer.
        what: String,
        /// The media type and what is wrong with it.
        reason: String,
    },
    /// A manifest, index or config larger than the configured limit.
    #[error("{what} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// What was too large.
        what: String,
        /// Its size (at least this much).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A limit that protects us from hostile content was hit (gzip bomb, absurd entry size,
    /// too many entries).
    #[error("layer {digest}: {reason}")]
    Limit {
        /// The layer digest.
        digest: String,
        /// Which limit and the values.
        reason: String,
    },
    /// The layer's tar stream or its compression is malformed.
    #[error("layer {digest}: bad archive at uncompressed offset {offset}: {reason}")]
    Archive {
        /// The layer digest (or archive path).
        digest: String,
        /// Offset in the uncompressed tar stream.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A manifest, index or config that is not valid JSON of the expected shape.
    #[error("cannot parse {what}: {reason}")]
    Parse {
        /// Which document (file or digest).
        what: String,
        /// The parser's message, with line and column.
        reason: String,
    },
    /// A file of a local layout or archive is missing or unreadable.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An index that nests deeper, or lists more manifests, than the walk allows (a hostile or
    /// broken index).
    #[error("index {index}: {reason}")]
    IndexLimit {
        /// The index's digest (or file).
        index: String,
        /// Which bound and its value.
        reason: String,
    },
    /// The reference or filter matched nothing to analyse.
    #[error("{0}")]
    NotFound(String),
}

fn retry_after_note(secs: Option<u64>) -> String {
    match secs {
        Some(s) => format!(" (retry after {s}s)"),
        None => String::new(),
    }
}

impl ImageError {
    /// True when trying again later may succeed: registry 5xx and 429, connection problems and
    /// truncated transfers. Bad content (digest mismatch, bad media type, bombs) is not retryable.
    pub fn retryable(&self) -> bool {
        match self {
            ImageError::Http { status, .. } => *status == 429 || *status >= 500,
            ImageError::Connection { .. } | ImageError::Truncated { .. } => true,
            _ => false,
        }
    }

    /// Seconds the registry asked us to wait before retrying, when it said so.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ImageError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short stable name of the error class, for storage and filtering.
    pub fn kind(&self) -> &'static str {
        match self {
            ImageError::Reference { .. } => "reference",
            ImageError::Http { .. } => "http",
            ImageError::Unauthorized { .. } => "unauthorized",
            ImageError::Connection { .. } => "connection",
            ImageError::Truncated { .. } => "truncated",
            ImageError::DigestMismatch { .. } => "digest_mismatch",
            ImageError::SizeMismatch { .. } => "size_mismatch",
            ImageError::MediaType { .. } => "media_type",
            ImageError::TooLarge { .. } => "too_large",
            ImageError::Limit { .. } => "limit",
            ImageError::IndexLimit { .. } => "index_limit",
            ImageError::Archive { .. } => "archive",
            ImageError::Parse { .. } => "parse",
            ImageError::Io { .. } => "io",
            ImageError::NotFound(_) => "not_found",
        }
    }

    /// The serialisable summary stored in reports.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            kind: self.kind().to_string(),
            message: self.to_string(),
            retryable: self.retryable(),
            retry_after: self.retry_after(),
        }
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }
}

/// A serialisable error attached to a platform of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Error class, see [`ImageError::kind`].
    pub kind: String,
    /// Human-readable reason.
    pub message: String,
    /// Whether a retry may succeed.
    pub retryable: bool,
    /// Seconds to wait before retrying, when the registry said so.
    pub retry_after: Option<u64>,
}
