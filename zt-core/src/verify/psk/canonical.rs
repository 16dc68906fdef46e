//! The string a signer and a verifier both build from a request, and the HMAC over it.

use std::fmt;

use aws_lc_rs::{digest, hmac};
use subtle::{Choice, ConstantTimeEq};

/// The first line of every canonical string; it names the algorithm and format version.
pub const ALGORITHM_LINE: &str = "ZT-HMAC-SHA256";

/// Names the parts of a request that a signature covers.
///
/// The canonical string is these six lines joined by `\n`, with no trailing newline:
///
/// ```text
/// ZT-HMAC-SHA256
/// <method, as sent: POST>
/// <path, as sent, percent-encoding untouched: /hooks/deploy>
/// <query, as sent, without the `?`; an empty line when there is none>
/// <the X-ZT-Timestamp value: unix seconds in decimal>
/// <SHA-256 of the raw body bytes, lowercase hex; of zero bytes when there is no body>
/// ```
///
/// Nothing is normalized: the path and query are the bytes of the request line, so a proxy
/// that rewrites either breaks the signature (by design: the handler sees what was signed).
#[derive(Clone, Copy)]
pub struct SignedParts<'a> {
    /// The request method, such as `POST`.
    pub method: &'a str,
    /// The path as sent; `/` when the request line has none.
    pub path: &'a str,
    /// The query as sent without its `?`; empty when there is none.
    pub query: &'a str,
    /// The timestamp the client sends in `X-ZT-Timestamp`, in unix seconds.
    pub timestamp: u64,
    /// The SHA-256 of the raw body, as [`body_digest`] computes it.
    pub body_sha256: [u8; 32],
}

impl SignedParts<'_> {
    /// Returns the canonical string this request's signature covers.
    #[must_use]
    pub fn canonical_string(&self) -> String {
        let mut hex_digest = [0_u8; 64];
        // The buffer is exactly twice the digest length, which is all `encode_to_slice` needs.
        let _ = hex::encode_to_slice(self.body_sha256, &mut hex_digest);
        let hex_digest = std::str::from_utf8(&hex_digest).unwrap_or_default();
        let path = if self.path.is_empty() { "/" } else { self.path };
        format!(
            "{ALGORITHM_LINE}\n{}\n{path}\n{}\n{}\n{hex_digest}",
            self.method, self.query, self.timestamp
        )
    }

    /// Computes the HMAC-SHA256 tag of the canonical string under `key`.
    ///
    /// # Security
    ///
    /// Do not log or print the tag: it lets anyone replay the request within its window.
    #[must_use]
    pub fn sign(&self, key: &[u8]) -> Tag {
        self.sign_canonical(key, &self.canonical_string())
    }

    pub(crate) fn sign_canonical(&self, key: &[u8], canonical: &str) -> Tag {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        let tag = hmac::sign(&key, canonical.as_bytes());
        let mut bytes = [0_u8; 32];
        bytes.copy_from_slice(tag.as_ref());
        Tag(bytes)
    }
}

impl fmt::Debug for SignedParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedParts")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Returns the SHA-256 of a request body, as the canonical string carries it.
#[must_use]
pub fn body_digest(body: &[u8]) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, body);
    let mut bytes = [0_u8; 32];
    bytes.copy_from_slice(digest.as_ref());
    bytes
}

/// Holds one HMAC-SHA256 tag: the signature of a request under one secret version.
///
/// # Security
///
/// `Debug` is redacted and there is no `Display`; equality is checked in constant time.
#[derive(Clone, Copy)]
pub struct Tag(pub(crate) [u8; 32]);

impl Tag {
    /// Returns the tag as the header carries it: `v1=` and 64 lowercase hex digits.
    ///
    /// # Security
    ///
    /// Do not log what this returns.
    #[must_use]
    pub fn header_item(&self) -> String {
        format!("v1={}", hex::encode(self.0))
    }

    /// Compares two tags in constant time.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tag([REDACTED])")
    }
}

/// Joins tags into an `X-ZT-Signature` value, such as `v1=<hex>, v1=<hex>`.
///
/// Send the tags of the current and previous secret during a rotation, so the server accepts
/// the request whichever version it holds.
#[must_use]
pub fn signature_header(tags: &[Tag]) -> String {
    let items: Vec<String> = tags.iter().map(Tag::header_item).collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_string_has_six_lines_and_no_trailing_newline() {
        let parts = SignedParts {
            method: "POST",
            path: "/hooks/deploy",
            query: "env=prod&x=%20",
            timestamp: 1_700_000_000,
            body_sha256: body_digest(b""),
        };
        assert_eq!(
            parts.canonical_string(),
            "ZT-HMAC-SHA256\nPOST\n/hooks/deploy\nenv=prod&x=%20\n1700000000\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn tags_match_a_known_hmac_and_are_redacted() {
        // HMAC-SHA256 test case 2 of RFC 4231, through the same key and message path.
        let parts = SignedParts {
            method: "GET",
            path: "/",
            query: "",
            timestamp: 0,
            body_sha256: [0; 32],
        };
        let tag = parts.sign_canonical(b"Jefe", "what do ya want for nothing?");
        assert_eq!(
            tag.header_item(),
            "v1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(format!("{tag:?}"), "Tag([REDACTED])");
    }
}
