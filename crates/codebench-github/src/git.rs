//! Git object hashing and text classification.
//!
//! Every fetched file is checked against the blob SHA that GitHub's tree names (untrusted
//! content is verified, not trusted), and the mock server names its objects the way git does.

use sha1::{Digest, Sha1};

/// The git blob id of `content`: SHA-1 over `"blob <len>\0" + content`, lowercase hex.
///
/// Used to verify each downloaded blob against the tree entry that named it, and to find the
/// README's path in the tree from its raw bytes.
pub fn blob_sha(content: &[u8]) -> String {
    object_sha("blob", content)
}

/// The git object id of an object of `kind` ("blob", "tree", "commit") with this payload.
pub(crate) fn object_sha(kind: &str, payload: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("{kind} {}\0", payload.len()).as_bytes());
    hasher.update(payload);
    hex(&hasher.finalize())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// True when `content` looks binary: a NUL byte in its first 8000 bytes (git's own rule).
pub fn looks_binary(content: &[u8]) -> bool {
    content.iter().take(8000).any(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_sha_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        // The empty blob every git user has seen.
        assert_eq!(blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn binary_by_nul() {
        assert!(looks_binary(b"PK\x03\x04\0\0"));
        assert!(!looks_binary("FROM python:3.9\n".as_bytes()));
    }
}
