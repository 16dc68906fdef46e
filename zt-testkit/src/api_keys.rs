//! API keys and key rings for tests, minted with the product's own key format.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret as _;
use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument};

/// Holds a freshly minted API key with its ring record.
///
/// `Debug` shows the key id only.
pub struct MintedKey {
    key: NewKey,
    record: KeyRecord,
}

impl std::fmt::Debug for MintedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedKey")
            .field("id", &self.key.id())
            .finish_non_exhaustive()
    }
}

impl MintedKey {
    /// Mints a key granting `scopes`, owned by `test-owner`, valid for one hour.
    #[must_use]
    pub fn new<S: AsRef<str>>(scopes: &[S]) -> Self {
        let key = NewKey::generate();
        let now = now();
        let record = KeyRecord {
            id: key.id().to_owned(),
            hash: key.hash(),
            scopes: scopes.iter().map(|s| s.as_ref().to_owned()).collect(),
            not_before: None,
            expires_at: now + 3600,
            disabled: false,
            owner: "test-owner".to_owned(),
            description: "minted by zt-testkit".to_owned(),
            created_at: Some(now),
        };
        Self { key, record }
    }

    /// Sets the owner shown as the caller's client id.
    #[must_use]
    pub fn owner(mut self, owner: &str) -> Self {
        owner.clone_into(&mut self.record.owner);
        self
    }

    /// Makes the key expired a minute ago.
    #[must_use]
    pub fn expired(mut self) -> Self {
        self.record.expires_at = now().saturating_sub(60);
        self
    }

    /// Makes the key start working only after `delay`.
    #[must_use]
    pub fn not_before(mut self, delay: Duration) -> Self {
        self.record.not_before = Some(now() + delay.as_secs());
        self
    }

    /// Marks the key disabled.
    #[must_use]
    pub fn disabled(mut self) -> Self {
        self.record.disabled = true;
        self
    }

    /// Returns the key as its holder sends it.
    #[must_use]
    pub fn text(&self) -> &str {
        self.key.key().expose_secret()
    }

    /// Returns the key id.
    #[must_use]
    pub fn id(&self) -> &str {
        self.key.id()
    }

    /// Returns the ring record (hash, scopes, times), never the key.
    #[must_use]
    pub fn record(&self) -> &KeyRecord {
        &self.record
    }
}

/// Builds a stored ring document holding `keys`' records.
#[must_use]
pub fn ring_document(keys: &[&MintedKey]) -> RingDocument {
    RingDocument {
        version: 1,
        keys: keys.iter().map(|k| k.record.clone()).collect(),
    }
}

/// Builds a key ring holding `keys`' records.
///
/// # Examples
///
/// ```
/// use zt_testkit::{key_ring, MintedKey};
///
/// let partner = MintedKey::new(&["export"]).owner("acme");
/// let ring = key_ring(&[&partner]);
/// assert_eq!(ring.verify(partner.text()).unwrap().client_id(), Some("acme"));
/// ```
#[must_use]
pub fn key_ring(keys: &[&MintedKey]) -> KeyRing {
    KeyRing::new(&ring_document(keys))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
