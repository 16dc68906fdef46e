//! What the secret store logs: a WARN per failed refresh, the fail-closed transition, the
//! recovery and client fallbacks; and never a value, in logs or in `Debug` output.
//!
//! Every test here captures logs and runs on a current-thread runtime, so each event is
//! emitted on a thread that records it (tracing caches per call site whether anyone listens).
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod common;

use std::time::Duration;

use zt_core::secret::{MemorySource, Secret, SecretPolicy, SecretStore, SecretValue, SourceError};
use zt_testkit::LogCapture;

use common::eventually;

fn fast() -> SecretPolicy {
    SecretPolicy::default()
        .refresh_interval(Duration::from_millis(50))
        .jitter(Duration::from_millis(10))
        .miss_refresh_interval(Duration::from_millis(100))
        .max_stale(Duration::from_millis(500))
        .retry_backoff(Duration::from_millis(20), Duration::from_millis(100))
}

#[tokio::test]
async fn an_outage_is_logged_at_warn_then_fail_closed_then_recovery() {
    let logs = LogCapture::install();
    let source = MemorySource::new();
    let secret = Secret::new("logged-outage", source.clone(), fast()).unwrap();
    source.set_current("outage-logged-value");
    secret.refresh_now().await.unwrap();
    let _refresher = secret.spawn_refresher();
    source.fail(true);

    let closed = eventually(Duration::from_secs(3), || async {
        secret.verify_eq(b"outage-logged-value").await.is_err()
    })
    .await;
    assert!(closed);
    source.fail(false);
    let recovered = eventually(Duration::from_secs(3), || async {
        secret.verify_eq(b"outage-logged-value").await.is_ok()
    })
    .await;
    assert!(recovered);

    let text = logs.text();
    let warn = |message: &str| {
        text.lines()
            .any(|l| l.contains(" WARN zt::secrets: ") && l.contains(message))
    };
    assert!(warn("could not refresh secret"), "{text}");
    assert!(warn("failing closed"), "{text}");
    assert!(text.contains("secret=logged-outage"), "{text}");
    assert!(text.contains("serving_cached=true"), "{text}");
    assert!(text.contains("secret source recovered"), "{text}");
    assert_eq!(text.matches("failing closed").count(), 1, "{text}");
    logs.assert_free_of("outage-logged-value");
}

#[tokio::test]
async fn a_client_fallback_is_logged_at_warn_with_version_ids_only() {
    let logs = LogCapture::install();
    let source = MemorySource::new();
    let secret = Secret::new("logged-client", source.clone(), fast()).unwrap();
    let old = source.set_current("client-logged-old");
    let new = source.rotate("client-logged-new");
    secret.refresh_now().await.unwrap();

    let client = secret.client();
    client.report_rejected(&client.value().unwrap()).await;
    assert!(client.is_falling_back());

    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("using the previous one"))
        .unwrap_or_else(|| panic!("no fallback line in:\n{text}"));
    assert!(line.contains(" WARN zt::secrets: "), "{line}");
    assert!(line.contains(&format!("rejected=\"{new}\"")), "{line}");
    assert!(line.contains(&format!("using=\"{old}\"")), "{line}");
    logs.assert_free_of("client-logged-old");
    logs.assert_free_of("client-logged-new");
}

#[tokio::test]
async fn secret_values_never_reach_debug_output_or_logs() {
    let logs = LogCapture::install();
    let values = [
        "debug-value-one-x",
        "debug-value-two-y",
        "debug-value-three-z",
    ];
    let source = MemorySource::new();
    let store = SecretStore::builder()
        .policy(fast())
        .secret("logged", source.clone())
        .build()
        .unwrap();
    let secret = store.secret("logged").unwrap();

    source.set_current(values[0]);
    store.refresh_all().await.unwrap();
    source.stage_pending(values[1]);
    secret.refresh_now().await.unwrap();
    source.promote();
    source.rotate(values[2]);
    secret.refresh_now().await.unwrap();
    let _ = secret.verify_eq(b"junk-junk-junk").await;
    let _ = secret.verify_eq(values[1].as_bytes()).await;
    let client = secret.client();
    client.report_rejected(&client.value().unwrap()).await;
    source.fail(true);
    let _ = secret.refresh_now().await;

    let versions = secret.versions().unwrap();
    let value = SecretValue::from_text(values[2].to_owned());
    let errors = [
        SourceError::Invalid("value refused".to_owned()),
        SourceError::Unreachable("down".to_owned()),
    ];
    let debug = format!(
        "{store:?} {secret:?} {versions:?} {value:?} {source:?} {client:?} {errors:?} {:?} {:?}",
        secret.current(),
        secret.stats(),
    );
    assert!(debug.contains("REDACTED"), "{debug}");
    let text = logs.text();
    assert!(text.contains("secret versions changed"), "{text}");
    assert!(text.contains("matched a non-current version"), "{text}");
    let everything = format!("{text}\n{debug}");
    for value in values {
        assert!(!everything.contains(value), "a value leaked:\n{everything}");
        logs.assert_free_of(value);
    }
}
