//! The demo's API key ring: a ring file kept fresh, or one development key.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zt_core::secret::{FileSource, Refresher, SecretPolicy, SecretStore};
use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument, RingFollower};

/// The ring the demo trusts, with what keeps it fresh.
pub(crate) struct ApiKeys {
    pub(crate) ring: Arc<KeyRing>,
    /// A key minted at startup when no ring file is configured.
    pub(crate) dev_key: Option<NewKey>,
    _refresh: Option<(SecretStore, Refresher, RingFollower)>,
}

impl ApiKeys {
    /// Loads the ring file at `path` (written by `zt keys create --ring PATH`) and follows
    /// its changes, or mints one development key when `path` is `None`.
    pub(crate) async fn load(path: Option<PathBuf>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(Self::development());
        };
        let setting = |e: &dyn std::fmt::Display| format!("ZT_API_KEYS_FILE: {e}");
        let source = FileSource::new(&path).map_err(|e| setting(&e))?;
        let policy = SecretPolicy::default()
            .refresh_interval(Duration::from_secs(2))
            .jitter(Duration::from_millis(200));
        let store = SecretStore::builder()
            .secret_with_policy("api-keys", source, policy)
            .build()
            .map_err(|e| setting(&e))?;
        store.refresh_all().await.map_err(|e| setting(&e))?;
        let secret = store.secret("api-keys").map_err(|e| setting(&e))?;
        let ring = Arc::new(KeyRing::from_secret(secret).map_err(|e| setting(&e))?);
        let refresher = store.spawn_refresher();
        let follower = ring.follow(Duration::from_millis(500));
        Ok(Self {
            ring,
            dev_key: None,
            _refresh: Some((store, refresher, follower)),
        })
    }

    fn development() -> Self {
        let key = NewKey::generate();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let record = KeyRecord {
            id: key.id().to_owned(),
            hash: key.hash(),
            scopes: vec!["export".to_owned()],
            not_before: None,
            expires_at: now + 24 * 3600,
            disabled: false,
            owner: "demo-partner".to_owned(),
            description: "development key minted at startup".to_owned(),
            created_at: Some(now),
        };
        let ring = KeyRing::new(&RingDocument {
            version: 1,
            keys: vec![record],
        });
        Self {
            ring: Arc::new(ring),
            dev_key: Some(key),
            _refresh: None,
        }
    }
}
