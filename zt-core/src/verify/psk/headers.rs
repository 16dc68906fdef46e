//! Parsing the `X-ZT-Timestamp` and `X-ZT-Signature` headers of a signed request.

use std::fmt;

use super::Tag;
use crate::{Denial, Reason};

/// The most signatures one request may carry: current, previous and pending, and one spare.
pub const MAX_SIGNATURES: usize = 4;

/// Holds the timestamp and signatures a client sent, parsed but not yet verified.
///
/// # Security
///
/// `Debug` shows the timestamp and how many signatures were sent, never the signatures.
#[derive(Clone)]
pub struct SignedHeaders {
    timestamp: u64,
    tags: Vec<Tag>,
}

impl SignedHeaders {
    /// Parses the two header values.
    ///
    /// `timestamp` must be unix seconds in plain decimal (digits only, no sign, no leading
    /// zero, at most 12 digits). `signature` is a comma-separated list of `v1=<64 hex
    /// digits>` items (either case), at most [`MAX_SIGNATURES`]; items of other versions
    /// (`v2=..`) are skipped so that a client may send a newer scheme alongside.
    ///
    /// # Errors
    ///
    /// Returns [`Denial::BadRequest`] with [`Reason::MalformedSignature`] when either value
    /// is not in that form or no `v1` item is present.
    pub fn parse(timestamp: &str, signature: &str) -> Result<Self, Denial> {
        let malformed = Denial::BadRequest(Reason::MalformedSignature);
        let timestamp = parse_timestamp(timestamp).ok_or(malformed)?;

        let mut tags = Vec::with_capacity(2);
        for (count, item) in signature.split(',').enumerate() {
            if count >= MAX_SIGNATURES {
                return Err(malformed);
            }
            let (label, value) = item
                .trim_matches([' ', '\t'])
                .split_once('=')
                .ok_or(malformed)?;
            if label != "v1" {
                if label.is_empty() || !label.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(malformed);
                }
                continue;
            }
            let mut bytes = [0_u8; 32];
            hex::decode_to_slice(value, &mut bytes).map_err(|_| malformed)?;
            tags.push(Tag(bytes));
        }
        if tags.is_empty() {
            return Err(malformed);
        }
        Ok(Self { timestamp, tags })
    }

    /// Returns the signed timestamp, in unix seconds.
    #[must_use]
    pub const fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// Returns the presented signatures.
    #[must_use]
    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("timestamp", &self.timestamp)
            .field("signatures", &self.tags.len())
            .finish()
    }
}

fn parse_timestamp(text: &str) -> Option<u64> {
    let canonical = text == "0" || !text.starts_with('0');
    if text.is_empty() || text.len() > 12 || !canonical {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    #[test]
    fn several_signatures_and_unknown_versions_are_read() {
        let value = format!("v1={HEX}, v2=whatever,v1={}", HEX.to_uppercase());
        let headers = SignedHeaders::parse("1700000000", &value).unwrap();
        assert_eq!(headers.timestamp(), 1_700_000_000);
        assert_eq!(headers.tags().len(), 2);
        assert!(!format!("{headers:?}").contains("5bdc"));
    }

    #[test]
    fn malformed_values_are_refused() {
        let bad = Err(Denial::BadRequest(Reason::MalformedSignature));
        for timestamp in ["", "-1", "+5", "017", "1.5", "1e9", "9999999999999", " 1"] {
            let parsed = SignedHeaders::parse(timestamp, &format!("v1={HEX}"));
            assert_eq!(parsed.map(|h| h.timestamp()), bad, "{timestamp:?}");
        }
        let too_many = vec![format!("v1={HEX}"); MAX_SIGNATURES + 1].join(",");
        for signature in [
            "", "v1=", "v1=abc", "v2=abc", "=abc", HEX, "v 1=x", &too_many,
        ] {
            let parsed = SignedHeaders::parse("1", signature);
            assert_eq!(parsed.map(|h| h.timestamp()), bad, "{signature:?}");
        }
    }
}
