//! A key ring kept in a secret: updates follow the secret, and an unavailable secret fails
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.
//! closed.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret as _;
use zt_core::secret::{MemorySource, SecretPolicy, SecretStore};
use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument};
use zt_core::{Denial, Reason};

fn doc(records: Vec<KeyRecord>) -> String {
    RingDocument {
        version: 1,
        keys: records,
    }
    .to_json()
}

fn record(key: &NewKey, disabled: bool) -> KeyRecord {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    KeyRecord {
        id: key.id().to_owned(),
        hash: key.hash(),
        scopes: vec!["export".to_owned()],
        not_before: None,
        expires_at: now + 3600,
        disabled,
        owner: "acme".to_owned(),
        description: String::new(),
        created_at: None,
    }
}

#[tokio::test]
async fn a_ring_follows_its_secret_and_revocations_apply() {
    let key = NewKey::generate();
    let source = MemorySource::new();
    source.set_current(doc(vec![record(&key, false)]));
    let policy = SecretPolicy::default()
        .refresh_interval(Duration::from_millis(50))
        .jitter(Duration::ZERO);
    let store = SecretStore::builder()
        .policy(policy)
        .secret("ring", source.clone())
        .build()
        .unwrap();
    store.refresh_all().await.unwrap();
    let _refresher = store.spawn_refresher();

    let ring = Arc::new(KeyRing::from_secret(store.secret("ring").unwrap()).unwrap());
    let _follower = ring.follow(Duration::from_millis(20));
    let text = key.key().expose_secret();
    assert!(ring.verify(text).is_ok());

    source.rotate(doc(vec![record(&key, true)]));
    let mut refused = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if ring.verify(text) == Err(Denial::InvalidCredential(Reason::KeyDisabled)) {
            refused = true;
            break;
        }
    }
    assert!(
        refused,
        "the disabled key must be refused within a few refresh intervals"
    );
}

#[tokio::test]
async fn a_broken_ring_version_keeps_the_previous_ring() {
    let key = NewKey::generate();
    let source = MemorySource::new();
    source.set_current(doc(vec![record(&key, false)]));
    let policy = SecretPolicy::default()
        .refresh_interval(Duration::from_millis(50))
        .jitter(Duration::ZERO);
    let store = SecretStore::builder()
        .policy(policy)
        .secret("ring", source.clone())
        .build()
        .unwrap();
    store.refresh_all().await.unwrap();
    let _refresher = store.spawn_refresher();
    let ring = Arc::new(KeyRing::from_secret(store.secret("ring").unwrap()).unwrap());
    let _follower = ring.follow(Duration::from_millis(20));

    source.rotate("{ not a ring");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(ring.verify(key.key().expose_secret()).is_ok());
}

#[tokio::test]
async fn an_unavailable_ring_secret_answers_503_not_401() {
    let key = NewKey::generate();
    let source = MemorySource::new();
    source.set_current(doc(vec![record(&key, false)]));
    let policy = SecretPolicy::default()
        .refresh_interval(Duration::from_millis(30))
        .jitter(Duration::ZERO)
        .max_stale(Duration::from_millis(200))
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(20));
    let store = SecretStore::builder()
        .policy(policy)
        .secret("ring", source.clone())
        .build()
        .unwrap();
    store.refresh_all().await.unwrap();
    let _refresher = store.spawn_refresher();
    let ring = KeyRing::from_secret(store.secret("ring").unwrap()).unwrap();
    assert!(ring.verify(key.key().expose_secret()).is_ok());

    source.fail(true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let outcome = ring.verify(key.key().expose_secret());
    assert!(
        matches!(outcome, Err(Denial::Unavailable { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_ring_from_an_unloaded_secret_is_refused_at_startup() {
    let store = SecretStore::builder()
        .secret("ring", MemorySource::new())
        .build()
        .unwrap();
    let err = KeyRing::from_secret(store.secret("ring").unwrap()).unwrap_err();
    assert!(err.to_string().contains("ring"), "{err}");
}
