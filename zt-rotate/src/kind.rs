//! The kinds of secret this crate rotates, how a new value is made and how it is tested.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use zeroize::Zeroizing;
use zt_core::verify::api_key::RingDocument;

use crate::RotateError;

/// The tag whose value names a secret's kind: `psk` or `api-key-ring`.
pub const KIND_TAG: &str = "zt:kind";

/// How many random bytes a new pre-shared key holds.
pub const PSK_BYTES: usize = 32;

/// What a secret holds, and so how it is rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// A pre-shared key: a new one is [`PSK_BYTES`] bytes from the operating system's random
    /// generator, written as unpadded base64url text (43 characters).
    Psk,
    /// An API key ring (`{"version":1,"keys":[..]}`): rotating it drops the records of keys
    /// that expired more than `grace` ago and keeps every other record as it is.
    ///
    /// New keys are not made by a rotation; they are issued with `zt keys create`, and
    /// replaced with `zt keys rotate`.
    KeyRing {
        /// How long an expired key's record is kept, so that logs still say "expired"
        /// rather than "unknown key" for a while. Default 30 days.
        grace: Duration,
    },
}

impl SecretKind {
    /// A key ring with the default grace of 30 days.
    pub const KEY_RING: Self = Self::KeyRing {
        grace: Duration::from_secs(30 * 24 * 3600),
    };

    /// Reads a kind from its tag value: `psk` or `api-key-ring`.
    ///
    /// # Errors
    ///
    /// Returns [`RotateError::Kind`] for any other value.
    pub fn from_tag(target: &str, value: &str) -> Result<Self, RotateError> {
        match value.trim() {
            "psk" => Ok(Self::Psk),
            "api-key-ring" => Ok(Self::KEY_RING),
            other => Err(RotateError::Kind {
                target: target.to_owned(),
                problem: format!(
                    "tag {KIND_TAG}={other} names no kind this rotation knows; use psk or \
                     api-key-ring"
                ),
            }),
        }
    }

    /// Returns the tag value that names this kind.
    #[must_use]
    pub const fn tag(&self) -> &'static str {
        match self {
            Self::Psk => "psk",
            Self::KeyRing { .. } => "api-key-ring",
        }
    }

    /// Picks the kind from a resource's tags, else `fallback`.
    pub(crate) fn resolve<'a>(
        target: &str,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
        fallback: Option<Self>,
    ) -> Result<Self, RotateError> {
        let tagged = tags.into_iter().find(|(key, _)| *key == KIND_TAG);
        match (tagged, fallback) {
            (Some((_, value)), _) => match Self::from_tag(target, value)? {
                Self::KeyRing { .. } => Ok(match fallback {
                    Some(ring @ Self::KeyRing { .. }) => ring,
                    _ => Self::KEY_RING,
                }),
                kind => Ok(kind),
            },
            (None, Some(kind)) => Ok(kind),
            (None, None) => Err(RotateError::Kind {
                target: target.to_owned(),
                problem: format!(
                    "the kind of secret is not declared; tag it {KIND_TAG}=psk or \
                     {KIND_TAG}=api-key-ring, or configure a default kind"
                ),
            }),
        }
    }

    /// Makes the next value from the current one.
    ///
    /// # Errors
    ///
    /// Returns [`RotateError::Value`] when the current value of a key ring does not parse,
    /// or the random generator fails.
    pub fn next_value(
        &self,
        target: &str,
        current: &[u8],
        now: u64,
    ) -> Result<Zeroizing<String>, RotateError> {
        match self {
            Self::Psk => new_psk(target),
            Self::KeyRing { grace } => {
                let doc = parse_ring(target, current)?;
                Ok(Zeroizing::new(prune(doc, now, *grace).to_json()))
            }
        }
    }

    /// Checks a pending value before it becomes current: a PSK decodes to at least
    /// [`PSK_BYTES`] bytes and differs from current; a ring parses and still holds every key
    /// of the current ring that works now.
    ///
    /// # Errors
    ///
    /// Returns [`RotateError::Value`] saying what the pending value lacks.
    pub fn test_value(
        &self,
        target: &str,
        pending: &[u8],
        current: Option<&[u8]>,
        now: u64,
    ) -> Result<(), RotateError> {
        match self {
            Self::Psk => {
                let decoded = Zeroizing::new(URL_SAFE_NO_PAD.decode(pending).map_err(|_| {
                    RotateError::value(target, "the pending PSK is not unpadded base64url text")
                })?);
                if decoded.len() < PSK_BYTES {
                    return Err(RotateError::value(
                        target,
                        format!(
                            "the pending PSK holds {} bytes; at least {PSK_BYTES} are required",
                            decoded.len()
                        ),
                    ));
                }
                if current.is_some_and(|c| constant_time_eq(c, pending)) {
                    return Err(RotateError::value(
                        target,
                        "the pending PSK equals the current one",
                    ));
                }
                Ok(())
            }
            Self::KeyRing { .. } => {
                let pending = parse_ring(target, pending)?;
                let Some(current) = current else {
                    return Ok(());
                };
                let current = parse_ring(target, current)?;
                for record in current.keys.iter().filter(|r| is_live(r, now)) {
                    if !pending.keys.contains(record) {
                        return Err(RotateError::value(
                            target,
                            format!(
                                "the pending key ring lacks or changes the working key {}",
                                record.id
                            ),
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

/// Makes a new PSK: [`PSK_BYTES`] bytes from the operating system's generator, base64url.
fn new_psk(target: &str) -> Result<Zeroizing<String>, RotateError> {
    let mut bytes = Zeroizing::new([0_u8; PSK_BYTES]);
    aws_lc_rs::rand::fill(bytes.as_mut()).map_err(|_| {
        RotateError::value(target, "the operating system's random generator failed")
    })?;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref())))
}

fn parse_ring(target: &str, bytes: &[u8]) -> Result<RingDocument, RotateError> {
    RingDocument::from_json(bytes).map_err(|e| RotateError::value(target, e.to_string()))
}

/// Drops records that expired at least `grace` before `now`; keeps the rest in order.
fn prune(mut doc: RingDocument, now: u64, grace: Duration) -> RingDocument {
    doc.keys
        .retain(|r| r.expires_at.saturating_add(grace.as_secs()) > now);
    doc
}

/// Tells whether a record verifies at `now`: enabled and not expired.
fn is_live(record: &zt_core::verify::api_key::KeyRecord, now: u64) -> bool {
    !record.disabled && now < record.expires_at
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

    use zt_core::verify::api_key::{KeyRecord, NewKey};

    use super::*;

    fn record(expires_at: u64, disabled: bool) -> KeyRecord {
        let key = NewKey::generate();
        KeyRecord {
            id: key.id().to_owned(),
            hash: key.hash(),
            scopes: vec!["export".to_owned()],
            not_before: None,
            expires_at,
            disabled,
            owner: "team".to_owned(),
            description: String::new(),
            created_at: Some(1),
        }
    }

    #[test]
    fn new_psks_are_long_random_and_pass_the_test() {
        let a = new_psk("s").unwrap();
        let b = new_psk("s").unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(*a, *b);
        SecretKind::Psk
            .test_value("s", a.as_bytes(), Some(b.as_bytes()), 0)
            .unwrap();
    }

    #[test]
    fn weak_or_unchanged_psks_fail_the_test() {
        let short = URL_SAFE_NO_PAD.encode([7_u8; 31]);
        let err = SecretKind::Psk.test_value("s", short.as_bytes(), None, 0);
        assert!(err.unwrap_err().to_string().contains("31 bytes"));
        let err = SecretKind::Psk.test_value("s", b"not base64!", None, 0);
        assert!(err.unwrap_err().to_string().contains("base64url"));
        let same = new_psk("s").unwrap();
        let err = SecretKind::Psk.test_value("s", same.as_bytes(), Some(same.as_bytes()), 0);
        assert!(err.unwrap_err().to_string().contains("equals"));
    }

    #[test]
    fn ring_rotation_drops_only_keys_dead_longer_than_the_grace() {
        let now = 1_000_000;
        let grace = Duration::from_secs(100);
        let live = record(now + 50, false);
        let fresh_expired = record(now - 50, false);
        let old_expired = record(now - 100, false);
        let disabled_live = record(now + 50, true);
        let disabled_old = record(now - 500, true);
        let doc = RingDocument {
            version: 1,
            keys: vec![
                live.clone(),
                fresh_expired.clone(),
                old_expired,
                disabled_live.clone(),
                disabled_old,
            ],
        };
        let current = doc.to_json();
        let next = SecretKind::KeyRing { grace }
            .next_value("r", current.as_bytes(), now)
            .unwrap();
        let next_doc = RingDocument::from_json(next.as_bytes()).unwrap();
        assert_eq!(next_doc.keys, vec![live, fresh_expired, disabled_live]);
        SecretKind::KeyRing { grace }
            .test_value("r", next.as_bytes(), Some(current.as_bytes()), now)
            .unwrap();
    }

    #[test]
    fn a_pending_ring_that_loses_a_working_key_fails_the_test() {
        let now = 1_000;
        let live = record(now + 10, false);
        let current = RingDocument {
            version: 1,
            keys: vec![live.clone()],
        };
        let pending = RingDocument {
            version: 1,
            keys: Vec::new(),
        };
        let err = SecretKind::KEY_RING
            .test_value(
                "r",
                pending.to_json().as_bytes(),
                Some(current.to_json().as_bytes()),
                now,
            )
            .unwrap_err();
        assert!(err.to_string().contains(&live.id), "{err}");
        let err = SecretKind::KEY_RING.test_value("r", b"{}", None, now);
        assert!(err.is_err());
    }

    #[test]
    fn kinds_come_from_the_tag_or_the_fallback() {
        let tags = [("zt:kind", "psk")];
        assert_eq!(
            SecretKind::resolve("s", tags, None).unwrap(),
            SecretKind::Psk
        );
        let grace = Duration::from_secs(5);
        let ring = SecretKind::KeyRing { grace };
        assert_eq!(
            SecretKind::resolve("s", [("zt:kind", "api-key-ring")], Some(ring)).unwrap(),
            ring
        );
        assert_eq!(SecretKind::resolve("s", [], Some(ring)).unwrap(), ring);
        let err = SecretKind::resolve("s", [], None).unwrap_err();
        assert!(err.to_string().contains("zt:kind=psk"), "{err}");
        assert!(SecretKind::resolve("s", [("zt:kind", "rsa")], None).is_err());
    }
}
