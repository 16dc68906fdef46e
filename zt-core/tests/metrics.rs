//! Metrics recorded through the `metrics` facade: key set fetches, secret refreshes and client
//! fallbacks, counted with the debugging recorder.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use zt_core::secret::{MemorySource, Secret, SecretPolicy};
use zt_core::{metrics as names, Issuer, OidcVerifier, Provider};
use zt_testkit::{Flavor, TestIssuer};

/// Counter values by name and labels, read once: a snapshot resets the recorder's counters.
struct Counters(Vec<(String, Labels, u64)>);

type Labels = Vec<(String, String)>;

impl Counters {
    fn read(snapshotter: &Snapshotter) -> Self {
        let values = snapshotter.snapshot().into_vec().into_iter();
        Self(
            values
                .filter_map(|(key, .., value)| match value {
                    DebugValue::Counter(n) => Some((
                        key.key().name().to_owned(),
                        key.key()
                            .labels()
                            .map(|l| (l.key().to_owned(), l.value().to_owned()))
                            .collect(),
                        n,
                    )),
                    _ => None,
                })
                .collect(),
        )
    }

    /// Returns the sum of counters `name` whose labels include every pair of `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.0
            .iter()
            .filter(|(n, have, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| have.iter().any(|(hk, hv)| hk == k && hv == v))
            })
            .map(|(.., value)| value)
            .sum()
    }
}

fn policy() -> SecretPolicy {
    SecretPolicy::default()
        .miss_refresh_interval(Duration::from_millis(10))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

#[tokio::test]
async fn secret_refreshes_and_client_fallbacks_are_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let source = MemorySource::new();
    let secret = Secret::new("metrics-psk", source.clone(), policy()).unwrap();

    source.set_current("first-value-aaaa");
    source.rotate("second-value-bbbb");
    secret.refresh_now().await.unwrap();
    secret.refresh_now().await.unwrap();
    source.fail(true);
    // The cached versions keep serving through the failure.
    secret.refresh_now().await.unwrap();
    assert_eq!(secret.stats().refresh_failures, 1);
    source.fail(false);

    let ok = [("secret", "metrics-psk"), ("outcome", "ok")];
    let error = [("secret", "metrics-psk"), ("outcome", "error")];
    let counters = Counters::read(&snapshotter);
    assert_eq!(counters.get(names::SECRET_REFRESHES, &ok), 2);
    assert_eq!(counters.get(names::SECRET_REFRESHES, &error), 1);

    let client = secret.client();
    client.report_rejected(&client.value().unwrap()).await;
    assert!(client.is_falling_back());
    let fallback = [("secret", "metrics-psk")];
    let counters = Counters::read(&snapshotter);
    assert_eq!(counters.get(names::SECRET_FALLBACKS, &fallback), 1);
}

#[tokio::test]
async fn key_set_fetches_are_counted_by_outcome() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let verifier = OidcVerifier::new(
        Provider::Auth0,
        Issuer::auth0(issuer.issuer()).audience(issuer.audience()),
    )
    .unwrap();
    let url = issuer.issuer();

    let token = issuer.token().scopes(&["read"]).sign();
    verifier.verify(&token).await.unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(
        Counters::read(&snapshotter).get(
            names::KEY_SET_FETCHES,
            &[("issuer", url), ("outcome", "ok")]
        ),
        1,
        "a cached key set is not fetched again"
    );

    let down = TestIssuer::start(Flavor::Auth0).unwrap();
    down.set_outage(true);
    let unreachable = OidcVerifier::new(
        Provider::Auth0,
        Issuer::auth0(down.issuer()).audience(down.audience()),
    )
    .unwrap();
    assert!(unreachable.verify(&down.token().sign()).await.is_err());
    let labels = [("issuer", down.issuer()), ("outcome", "error")];
    let counters = Counters::read(&snapshotter);
    assert_eq!(counters.get(names::KEY_SET_FETCHES, &labels), 1);
}
