//! A key ring kept in a secret: updates follow the secret, and an unavailable secret fails
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.
//! closed.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret as _;
use zt_core::secret::{MemorySource, Refresher, SecretPolicy, SecretStore};
use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument, RingFollower};
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

/// Builds a ring from `source` through a store refreshed every 50 ms, followed every 20 ms;
/// keep the second value alive for as long as the ring should follow.
async fn followed_ring(source: &MemorySource) -> (Arc<KeyRing>, (Refresher, RingFollower)) {
    let policy = SecretPolicy::default()
        .refresh_interval(Duration::from_millis(50))
        .jitter(Duration::ZERO);
    let store = SecretStore::builder()
        .policy(policy)
        .secret("ring", source.clone())
        .build()
        .unwrap();
    store.refresh_all().await.unwrap();
    let refresher = store.spawn_refresher();
    let ring = Arc::new(KeyRing::from_secret(store.secret("ring").unwrap()).unwrap());
    let follower = ring.follow(Duration::from_millis(20));
    (ring, (refresher, follower))
}

#[tokio::test]
async fn a_ring_follows_its_secret_and_revocations_apply() {
    let key = NewKey::generate();
    let source = MemorySource::new();
    source.set_current(doc(vec![record(&key, false)]));
    let (ring, _running) = followed_ring(&source).await;
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
    let (ring, _running) = followed_ring(&source).await;

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

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ring_updated_in_secrets_manager_while_requests_run_loses_no_request() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use zt_core::secret::SecretsManagerSource;
    use zt_testkit::MotoServer;

    let moto = MotoServer::start().unwrap();
    let config = moto.sdk_config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let steady = NewKey::generate();
    let newcomer = NewKey::generate();
    sm.create_secret()
        .name("prod/api-keys")
        .secret_string(doc(vec![record(&steady, false)]))
        .send()
        .await
        .unwrap();

    let policy = SecretPolicy::default()
        .refresh_interval(Duration::from_millis(100))
        .jitter(Duration::ZERO);
    let source = SecretsManagerSource::new(&config, "prod/api-keys").unwrap();
    let store = SecretStore::builder()
        .secret_with_policy("api-keys", source, policy)
        .build()
        .unwrap();
    store.refresh_all().await.unwrap();
    let _refresher = store.spawn_refresher();
    let ring = Arc::new(KeyRing::from_secret(store.secret("api-keys").unwrap()).unwrap());
    let _follower = ring.follow(Duration::from_millis(20));

    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (ring, stop, served, failed) =
            (ring.clone(), stop.clone(), served.clone(), failed.clone());
        let key = steady.key().expose_secret().to_owned();
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match ring.verify(&key) {
                    Ok(_) => served.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
                tokio::task::yield_now().await;
            }
        })
    };

    for round in 0..5 {
        let mut records = vec![record(&steady, false)];
        if round % 2 == 0 {
            records.push(record(&newcomer, false));
        }
        sm.put_secret_value()
            .secret_id("prod/api-keys")
            .secret_string(doc(records))
            .send()
            .await
            .unwrap();
        let expect_newcomer = round % 2 == 0;
        let mut seen = false;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if ring.verify(newcomer.key().expose_secret()).is_ok() == expect_newcomer {
                seen = true;
                break;
            }
        }
        assert!(seen, "round {round}: the ring did not follow the secret");
    }
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "a steady key must never be refused"
    );
    assert!(served.load(Ordering::Relaxed) > 100);
}

#[test]
fn an_expiry_beyond_the_clock_does_not_panic() {
    let key = NewKey::generate();
    let far = KeyRecord {
        expires_at: u64::MAX,
        ..record(&key, false)
    };
    let ring = KeyRing::new(&RingDocument {
        version: 1,
        keys: vec![far],
    });
    let who = ring.verify(key.key().expose_secret()).unwrap();
    assert_eq!(who.expires_at(), None);
}

#[test]
fn a_broken_ring_is_refused_without_quoting_it() {
    let key = NewKey::generate();
    let text = key.key().expose_secret();
    let cases = [
        format!(r#"{{"version":1,"keys":"{text}"}}"#),
        format!(r#"{{"version":1,"{text}":[]}}"#),
        format!(r#"{{"version":"{text}","keys":[]}}"#),
    ];
    for case in &cases {
        let err = RingDocument::from_json(case.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(!err.contains(&text[4..]), "{err}");
        assert!(err.contains("line 1 column"), "{err}");
    }
}
