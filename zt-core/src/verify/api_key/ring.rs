//! The key ring: records of issued keys (hashes, never keys), looked up by id without locks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::format::{self, FormatError, KeyHash};
use crate::secret::Secret;
use crate::{Denial, Mechanism, Principal, Reason, Scopes};

/// Describes one issued key, as stored in the ring.
///
/// Times are Unix seconds. Every key has an expiry: keys are time-limited by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    /// The public key id, the 12 characters after `ztk_`.
    pub id: String,
    /// SHA-256 of the whole key, base64url in JSON.
    #[serde(serialize_with = "hash_to_text", deserialize_with = "hash_from_text")]
    pub hash: KeyHash,
    /// Scopes the key grants.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the key starts working; `None` means at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<u64>,
    /// When the key stops working.
    pub expires_at: u64,
    /// Whether the key was switched off before its expiry.
    #[serde(default)]
    pub disabled: bool,
    /// Who holds the key (a partner, a team), shown as the caller's client id.
    #[serde(default)]
    pub owner: String,
    /// What the key is for.
    #[serde(default)]
    pub description: String,
    /// When the key was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<u64>,
}

/// The stored form of a ring: `{"version": 1, "keys": [..]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingDocument {
    /// Format version; only 1 exists.
    pub version: u32,
    /// Every record, enabled or not.
    pub keys: Vec<KeyRecord>,
}

impl RingDocument {
    /// Parses and checks a stored ring.
    ///
    /// # Errors
    ///
    /// Returns [`RingError`] for invalid JSON, an unknown version, a malformed key id, or
    /// a key id used twice.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RingError> {
        let doc: Self =
            serde_json::from_slice(bytes).map_err(|e| RingError::Json(describe_json_error(&e)))?;
        if doc.version != 1 {
            return Err(RingError::Version(doc.version));
        }
        let mut seen = std::collections::HashSet::new();
        for record in &doc.keys {
            if !format::is_key_id(&record.id) {
                return Err(RingError::BadId(record.id.clone()));
            }
            if !seen.insert(record.id.as_str()) {
                return Err(RingError::DuplicateId(record.id.clone()));
            }
        }
        Ok(doc)
    }

    /// Writes the ring as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Invariant: the document holds only strings, numbers and booleans, which always
        // serialize.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Explains why a stored ring was refused; the previous ring stays in force.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RingError {
    /// The document is not valid ring JSON; says where, never what the document holds.
    #[error("key ring is not valid JSON of the expected shape ({0})")]
    Json(String),
    /// The format version is unknown.
    #[error("key ring version {0} is not supported (expected 1)")]
    Version(u32),
    /// A record's id is not 12 base62 characters.
    #[error("key ring holds a malformed key id `{0}` (expected 12 letters or digits)")]
    BadId(String),
    /// Two records share an id.
    #[error("key ring holds key id `{0}` twice")]
    DuplicateId(String),
    /// The secret holding the ring has no usable version.
    #[error("{0}")]
    Unavailable(String),
}

struct Entry {
    hash: KeyHash,
    scopes: Scopes,
    not_before: Option<u64>,
    expires_at: u64,
    disabled: bool,
    owner: Option<String>,
}

/// Holds the issued keys and verifies presented ones; reads never lock.
///
/// Replace the contents with [`KeyRing::replace`] when the stored ring changes (the secret
/// store does this on every refresh); requests in flight keep the snapshot they started
/// with.
///
/// # Security
///
/// A presented key is checked for shape and checksum first (no lookup for a typo), then
/// hashed, looked up by id, and its hash compared in constant time. Expired, not yet valid
/// and disabled keys are refused with distinct reasons in the log.
pub struct KeyRing {
    entries: ArcSwap<HashMap<String, Entry>>,
    source: Option<Secret>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.entries.load().len())
            .finish()
    }
}

impl Default for KeyRing {
    fn default() -> Self {
        Self {
            entries: ArcSwap::from_pointee(HashMap::new()),
            source: None,
        }
    }
}

impl KeyRing {
    /// Builds a ring holding `doc`'s records.
    #[must_use]
    pub fn new(doc: &RingDocument) -> Self {
        let ring = Self::default();
        ring.replace(doc);
        ring
    }

    /// Parses a stored ring and builds it.
    ///
    /// # Errors
    ///
    /// Returns [`RingError`] as [`RingDocument::from_json`] does.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RingError> {
        Ok(Self::new(&RingDocument::from_json(bytes)?))
    }

    /// Builds a ring from the current version of `secret`, which holds a stored ring.
    ///
    /// Keep it in step with the secret with [`KeyRing::follow`]. While the secret is
    /// unavailable (its source down for longer than the secret's `max_stale`), every key is
    /// answered with [`Denial::Unavailable`]: revocations must not be missed.
    ///
    /// # Errors
    ///
    /// Returns [`RingError::Unavailable`] when the secret has no usable version yet (load
    /// it first, e.g. with `SecretStore::refresh_all`), or the parse errors of
    /// [`RingDocument::from_json`].
    pub fn from_secret(secret: Secret) -> Result<Self, RingError> {
        let current = secret
            .current()
            .map_err(|e| RingError::Unavailable(e.to_string()))?;
        let doc = RingDocument::from_json(current.value().expose_bytes())?;
        let ring = Self {
            entries: ArcSwap::from_pointee(HashMap::new()),
            source: Some(secret),
        };
        ring.replace(&doc);
        Ok(ring)
    }

    /// Re-reads the ring whenever its secret's current version changes, checking every
    /// `every`; stops when the returned handle drops.
    ///
    /// A new version that does not parse is refused with a WARN event (target
    /// `zt::secrets`) and the previous ring stays in force. Revocations therefore reach
    /// requests within the secret store's refresh interval plus `every`; to apply one at
    /// once, call `Secret::refresh_now` (from an admin hook, say) after writing the ring.
    ///
    /// # Panics
    ///
    /// Panics when called outside a Tokio runtime.
    pub fn follow(self: &Arc<Self>, every: Duration) -> RingFollower {
        let ring = Arc::clone(self);
        let task = tokio::spawn(async move {
            let Some(secret) = ring.source.clone() else {
                return;
            };
            let mut seen = secret.current().ok().map(|v| v.id().to_owned());
            loop {
                tokio::time::sleep(every).await;
                let Ok(current) = secret.current() else {
                    continue;
                };
                if seen.as_deref() == Some(current.id()) {
                    continue;
                }
                seen = Some(current.id().to_owned());
                match RingDocument::from_json(current.value().expose_bytes()) {
                    Ok(doc) => {
                        ring.replace(&doc);
                        metrics::counter!(
                            crate::metrics::KEY_RING_UPDATES,
                            "secret" => secret.name().to_owned(),
                            "outcome" => "ok",
                        )
                        .increment(1);
                        tracing::info!(
                            target: "zt::secrets",
                            secret = secret.name(),
                            version = current.id(),
                            keys = doc.keys.len(),
                            "key ring updated"
                        );
                    }
                    Err(error) => {
                        metrics::counter!(
                            crate::metrics::KEY_RING_UPDATES,
                            "secret" => secret.name().to_owned(),
                            "outcome" => "refused",
                        )
                        .increment(1);
                        tracing::warn!(
                            target: "zt::secrets",
                            secret = secret.name(),
                            version = current.id(),
                            %error,
                            "key ring version refused; the previous ring stays in force"
                        );
                    }
                }
            }
        });
        RingFollower(task)
    }

    /// Swaps in a new set of records at once.
    pub fn replace(&self, doc: &RingDocument) {
        let entries = doc
            .keys
            .iter()
            .map(|r| {
                let entry = Entry {
                    hash: r.hash,
                    scopes: r.scopes.iter().cloned().collect(),
                    not_before: r.not_before,
                    expires_at: r.expires_at,
                    disabled: r.disabled,
                    owner: (!r.owner.is_empty()).then(|| r.owner.clone()),
                };
                (r.id.clone(), entry)
            })
            .collect();
        self.entries.store(Arc::new(entries));
    }

    /// Returns how many records the ring holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.load().len()
    }

    /// Tells whether the ring holds no record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Verifies a presented key and returns the caller it identifies.
    ///
    /// The principal's subject is the key id and its client id the key's owner.
    ///
    /// # Errors
    ///
    /// Returns [`Denial::InvalidCredential`] with the reason: malformed, bad checksum,
    /// unknown id, wrong secret, expired, not yet valid, or disabled.
    pub fn verify(&self, presented: &str) -> Result<Principal, Denial> {
        let invalid = Denial::InvalidCredential;
        if let Some(secret) = &self.source {
            secret.current().map_err(|e| e.denial())?;
        }
        let id = format::parse(presented).map_err(|e| match e {
            FormatError::Malformed => invalid(Reason::MalformedKey),
            FormatError::Checksum => invalid(Reason::KeyChecksum),
        })?;
        let hash = KeyHash::of(presented);

        let entries = self.entries.load();
        let entry = entries.get(id).ok_or(invalid(Reason::UnknownKey))?;
        if !entry.hash.matches(&hash) {
            return Err(invalid(Reason::WrongKey));
        }

        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if entry.disabled {
            return Err(invalid(Reason::KeyDisabled));
        }
        if now >= entry.expires_at {
            return Err(invalid(Reason::Expired));
        }
        if entry.not_before.is_some_and(|nbf| now < nbf) {
            return Err(invalid(Reason::NotYetValid));
        }

        let principal = Principal::new(Mechanism::ApiKey, "api_key", id)
            .with_scopes(entry.scopes.clone())
            .with_client_id(entry.owner.clone());
        // An expiry beyond what the clock can represent is simply not reported.
        Ok(
            match UNIX_EPOCH.checked_add(Duration::from_secs(entry.expires_at)) {
                Some(expiry) => principal.with_expiry(expiry),
                None => principal,
            },
        )
    }
}

/// Says where a ring document is broken without quoting it: a key pasted into the ring by
/// mistake must not reach the logs through a parser message.
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match error.classify() {
        Category::Syntax => "syntax error",
        Category::Data => "unexpected field or value",
        Category::Eof => "unexpected end",
        Category::Io => "read error",
    };
    format!("{kind} at line {} column {}", error.line(), error.column())
}

/// Keeps a [`KeyRing`] in step with its secret; the task stops when this drops.
#[derive(Debug)]
pub struct RingFollower(tokio::task::JoinHandle<()>);

impl Drop for RingFollower {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn hash_to_text<S: Serializer>(hash: &KeyHash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&URL_SAFE_NO_PAD.encode(hash.0))
}

fn hash_from_text<'de, D: Deserializer<'de>>(d: D) -> Result<KeyHash, D::Error> {
    let text = String::deserialize(d)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .map_err(serde::de::Error::custom)?;
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| serde::de::Error::custom("a key hash is 32 bytes"))?;
    Ok(KeyHash(array))
}
