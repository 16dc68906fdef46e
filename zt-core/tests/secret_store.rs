//! The secret store over memory, file and environment sources: stages, refresh-on-miss,
//! staleness, rotation under load, the client helper and configuration errors. What the store
//! logs is checked in `secret_logs.rs`.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use zt_core::secret::{
    EnvSource, FileSource, MemorySource, Refusal, Secret, SecretPolicy, SecretStore, Stage,
    UnavailableCause,
};
use zt_core::{Denial, Reason};

use common::*;

/// A policy scaled down so that tests run in milliseconds.
fn fast() -> SecretPolicy {
    SecretPolicy::default()
        .refresh_interval(Duration::from_millis(50))
        .jitter(Duration::from_millis(10))
        .miss_refresh_interval(Duration::from_millis(100))
        .max_stale(Duration::from_millis(800))
        .retry_backoff(Duration::from_millis(20), Duration::from_millis(100))
        .fetch_timeout(Duration::from_secs(2))
}

fn memory_secret(policy: SecretPolicy) -> (MemorySource, Secret) {
    let source = MemorySource::new();
    let secret = Secret::new("test-secret", source.clone(), policy).unwrap();
    (source, secret)
}

async fn stage_of(secret: &Secret, presented: &str) -> Result<Stage, Refusal> {
    secret
        .verify_eq(presented.as_bytes())
        .await
        .map(|m| m.stage())
}

fn is_no_match(result: &Result<Stage, Refusal>) -> bool {
    matches!(result, Err(Refusal::NoMatch))
}

#[tokio::test]
async fn current_and_previous_are_accepted_and_older_versions_refused() {
    let (source, secret) = memory_secret(fast());
    let first = source.set_current("value-one-aaaa");
    let second = source.rotate("value-two-bbbb");
    secret.refresh_now().await.unwrap();

    let matched = secret.verify_eq(b"value-two-bbbb").await.unwrap();
    assert_eq!(
        (matched.stage(), matched.version_id()),
        (Stage::Current, &*second)
    );
    let matched = secret.verify_eq(b"value-one-aaaa").await.unwrap();
    assert_eq!(
        (matched.stage(), matched.version_id()),
        (Stage::Previous, &*first)
    );

    source.rotate("value-three-cccc");
    secret.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&secret, "value-three-cccc").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&secret, "value-two-bbbb").await.unwrap(),
        Stage::Previous
    );
    assert!(is_no_match(&stage_of(&secret, "value-one-aaaa").await));
    assert!(is_no_match(&stage_of(&secret, "").await));
    assert!(is_no_match(&stage_of(&secret, "value-three-ccc").await));
}

#[tokio::test]
async fn pending_is_accepted_only_while_a_rotation_is_in_progress_and_allowed() {
    let (source, secret) = memory_secret(fast());
    let strict = Secret::new("strict", source.clone(), fast().accept_pending(false)).unwrap();
    source.set_current("current-value-1");
    source.stage_pending("pending-value-2");
    secret.refresh_now().await.unwrap();
    strict.refresh_now().await.unwrap();

    assert_eq!(
        stage_of(&secret, "pending-value-2").await.unwrap(),
        Stage::Pending
    );
    assert!(is_no_match(&stage_of(&strict, "pending-value-2").await));

    source.cancel_pending();
    secret.refresh_now().await.unwrap();
    assert!(secret.versions().unwrap().pending().is_none());
    assert!(is_no_match(&stage_of(&secret, "pending-value-2").await));
}

#[tokio::test]
async fn a_version_fetched_on_demand_is_used_at_once() {
    let (source, secret) = memory_secret(fast());
    source.set_current("on-demand-value");

    assert_eq!(
        stage_of(&secret, "on-demand-value").await.unwrap(),
        Stage::Current
    );
    assert_eq!(source.fetches(), 1);
}

#[tokio::test]
async fn a_new_version_is_found_by_one_refresh_on_miss() {
    let policy = fast().refresh_interval(Duration::from_secs(60));
    let policy = policy.max_stale(Duration::from_secs(600));
    let (source, secret) = memory_secret(policy);
    source.set_current("before-rotation");
    secret.refresh_now().await.unwrap();
    source.rotate("after-rotation");
    tokio::time::sleep(Duration::from_millis(150)).await;

    assert_eq!(
        stage_of(&secret, "after-rotation").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&secret, "before-rotation").await.unwrap(),
        Stage::Previous
    );
    let stats = secret.stats();
    assert_eq!(stats.demand_refreshes, 1);
    assert_eq!(stats.version_changes, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_share_one_refresh() {
    let (source, secret) = memory_secret(fast());
    source.set_current("old-shared-value");
    secret.refresh_now().await.unwrap();
    source.rotate("new-shared-value");
    source.set_delay(Duration::from_millis(200));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let before = source.fetches();

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let secret = secret.clone();
            tokio::spawn(async move { secret.verify_eq(b"new-shared-value").await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().stage(), Stage::Current);
    }

    assert_eq!(source.fetches() - before, 1);
    assert!(secret.stats().shared_refreshes >= 1);
}

#[tokio::test]
async fn junk_credentials_cause_at_most_one_fetch_per_miss_interval() {
    let policy = fast()
        .refresh_interval(Duration::from_secs(60))
        .max_stale(Duration::from_secs(600));
    let (source, secret) = memory_secret(policy);
    source.set_current("the-real-value");
    secret.refresh_now().await.unwrap();
    let before = source.fetches();

    let started = Instant::now();
    let mut refused = 0_u32;
    while started.elapsed() < Duration::from_millis(1000) {
        let junk = format!("junk-{refused}");
        assert!(is_no_match(&stage_of(&secret, &junk).await));
        refused += 1;
        tokio::task::yield_now().await;
    }

    let fetches = source.fetches() - before;
    let allowed = 1 + 1000 / 100 + 1;
    assert!(refused > 1000, "only {refused} attempts were made");
    assert!(
        fetches <= allowed,
        "{fetches} fetches for {refused} junk credentials"
    );
    assert!(secret.stats().demand_refreshes_limited > 900);
}

#[tokio::test]
async fn failing_source_serves_cache_until_max_stale_then_fails_closed_and_recovers() {
    let (source, secret) = memory_secret(fast());
    source.set_current("cached-through-outage");
    secret.refresh_now().await.unwrap();
    let _refresher = secret.spawn_refresher();
    let loaded = Instant::now();
    source.fail(true);

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        stage_of(&secret, "cached-through-outage").await.unwrap(),
        Stage::Current
    );
    assert!(secret.stats().refresh_failures >= 1);

    let closed = eventually(Duration::from_secs(3), || async {
        secret.verify_eq(b"cached-through-outage").await.is_err()
    })
    .await;
    assert!(closed, "the secret never failed closed");
    assert!(loaded.elapsed() >= Duration::from_millis(790));
    let Err(Refusal::Unavailable(unavailable)) = secret.verify_eq(b"cached-through-outage").await
    else {
        panic!("expected unavailable");
    };
    assert_eq!(unavailable.cause(), UnavailableCause::Expired);
    assert!(unavailable.retry_after() >= Duration::from_secs(1));
    assert!(matches!(
        unavailable.denial(),
        Denial::Unavailable {
            reason: Reason::SecretUnavailable,
            ..
        }
    ));
    assert!(secret.current().is_err());

    source.fail(false);
    let recovered = eventually(Duration::from_secs(3), || async {
        secret.verify_eq(b"cached-through-outage").await.is_ok()
    })
    .await;
    assert!(recovered, "the secret did not recover");
    assert_eq!(secret.stats().consecutive_failures, 0);
}

#[tokio::test]
async fn plain_reads_expire_at_max_stale_without_a_refresher() {
    let (source, secret) = memory_secret(fast());
    source.set_current("expiring-value");
    secret.refresh_now().await.unwrap();
    let loaded = Instant::now();
    source.fail(true);

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(secret.current().is_ok());
    let expired = eventually(Duration::from_secs(2), || async {
        secret.current().is_err()
    })
    .await;
    assert!(expired, "reads never expired");
    assert!(loaded.elapsed() >= Duration::from_millis(790));
    assert_eq!(
        secret.versions().unwrap_err().cause(),
        UnavailableCause::Expired
    );
}

#[test]
fn a_secret_loaded_on_a_runtime_that_stopped_fails_closed_until_fetched_again() {
    let (source, secret) = memory_secret(fast());
    source.set_current("runtime-value");
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    first.block_on(secret.refresh_now()).unwrap();
    drop(first);
    assert!(secret.current().is_err());

    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        secret.refresh_now().await.unwrap();
        assert!(secret.current().is_ok());
    });
}

#[tokio::test]
async fn a_failing_source_is_retried_with_back_off_even_under_junk_credentials() {
    let policy = fast()
        .refresh_interval(Duration::from_millis(20))
        .jitter(Duration::ZERO)
        .miss_refresh_interval(Duration::from_millis(10))
        .max_stale(Duration::from_secs(60))
        .retry_backoff(Duration::from_millis(50), Duration::from_millis(400));
    let (source, secret) = memory_secret(policy);
    source.set_current("back-off-value");
    secret.refresh_now().await.unwrap();
    source.fail(true);
    let before = source.fetches();
    let _refresher = secret.spawn_refresher();

    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        let _ = secret.verify_eq(b"junk-while-failing").await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    // 50 + 100 + 200 + 400 + 400 + 400 ms: about six attempts, where the refresh interval
    // alone would allow seventy-five.
    let attempts = source.fetches() - before;
    assert!((3..=9).contains(&attempts), "{attempts} attempts");
    assert_eq!(
        stage_of(&secret, "back-off-value").await.unwrap(),
        Stage::Current
    );
}

#[tokio::test]
async fn nothing_loaded_answers_unavailable_with_retry_after() {
    let (source, secret) = memory_secret(fast());

    let refusal = secret.verify_eq(b"anything").await.unwrap_err();
    let Refusal::Unavailable(unavailable) = &refusal else {
        panic!("expected unavailable, got {refusal:?}");
    };
    assert_eq!(unavailable.cause(), UnavailableCause::NeverLoaded);
    assert_eq!(unavailable.secret(), "test-secret");
    let Denial::Unavailable {
        reason,
        retry_after,
    } = refusal.denial(Reason::BadSignature)
    else {
        panic!("expected a 503 denial");
    };
    assert_eq!(reason.code(), "secret_unavailable");
    assert!(retry_after >= Duration::from_secs(1));
    assert_eq!(
        Refusal::NoMatch.denial(Reason::BadSignature),
        Denial::InvalidCredential(Reason::BadSignature)
    );
    assert!(source.fetches() >= 1);
}

#[tokio::test]
async fn an_empty_value_is_never_served() {
    let (source, secret) = memory_secret(fast());
    source.set_current("");

    assert!(matches!(
        stage_of(&secret, "").await,
        Err(Refusal::Unavailable(_))
    ));
    source.set_current("non-empty-value");
    source.stage_pending("");
    secret.refresh_now().await.unwrap();
    assert!(secret.versions().unwrap().pending().is_none());
    assert!(is_no_match(&stage_of(&secret, "").await));
}

#[tokio::test]
async fn the_refresher_picks_up_rotations_and_stops_when_dropped() {
    let (source, secret) = memory_secret(fast());
    source.set_current("refresher-one");
    let refresher = secret.spawn_refresher();
    assert!(
        eventually(Duration::from_secs(2), || async {
            secret.current().is_ok()
        })
        .await
    );

    let id = source.rotate("refresher-two");
    let picked_up = eventually(Duration::from_secs(2), || async {
        secret.current().is_ok_and(|v| v.id() == id)
    })
    .await;
    assert!(picked_up);

    drop(refresher);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let fetches = source.fetches();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(source.fetches(), fetches);
}

#[tokio::test]
async fn the_client_helper_falls_back_to_previous_until_a_newer_current_appears() {
    let (source, secret) = memory_secret(fast());
    source.set_current("client-old-value");
    source.rotate("client-new-value");
    secret.refresh_now().await.unwrap();
    let client = secret.client();

    let sent = client.value().unwrap();
    assert_eq!(sent.value().expose_text(), Some("client-new-value"));
    client.report_rejected(&sent).await;
    assert!(client.is_falling_back());
    let sent = client.value().unwrap();
    assert_eq!(sent.value().expose_text(), Some("client-old-value"));
    assert_eq!(client.value().unwrap().id(), sent.id());

    let newest = source.rotate("client-newest-value");
    secret.refresh_now().await.unwrap();
    assert_eq!(client.value().unwrap().id(), newest);
    assert!(!client.is_falling_back());

    // The peer rejects current, then previous as well: back to current.
    tokio::time::sleep(Duration::from_millis(120)).await;
    client.report_rejected(&client.value().unwrap()).await;
    let previous = client.value().unwrap();
    assert_ne!(previous.id(), newest);
    client.report_rejected(&previous).await;
    assert_eq!(client.value().unwrap().id(), newest);
}

#[tokio::test]
async fn the_client_helper_obeys_its_policy() {
    let no_fallback = fast().client_fallback(false);
    let (source, secret) = memory_secret(no_fallback);
    source.set_current("policy-old");
    source.rotate("policy-new");
    secret.refresh_now().await.unwrap();
    let client = secret.client();
    client.report_rejected(&client.value().unwrap()).await;
    assert!(!client.is_falling_back());

    let retry_soon = fast().client_retry_current_after(Duration::from_millis(100));
    let (source, secret) = memory_secret(retry_soon);
    source.set_current("retry-old");
    source.rotate("retry-new");
    secret.refresh_now().await.unwrap();
    let client = secret.client();
    client.report_rejected(&client.value().unwrap()).await;
    assert_eq!(
        client.value().unwrap().value().expose_text(),
        Some("retry-old")
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        client.value().unwrap().value().expose_text(),
        Some("retry-new")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_rotations_under_load_lose_no_request() {
    let policy = fast()
        .refresh_interval(Duration::from_millis(20))
        .jitter(Duration::from_millis(5))
        .miss_refresh_interval(Duration::from_millis(50))
        .max_stale(Duration::from_secs(10));
    let (source, secret) = memory_secret(policy);
    source.set_current("rotation-0");
    secret.refresh_now().await.unwrap();
    let _refresher = secret.spawn_refresher();

    let rotate = |round: usize| {
        let source = source.clone();
        async move {
            let value = format!("rotation-{round}");
            source.stage_pending(value.as_str());
            tokio::time::sleep(Duration::from_millis(60)).await;
            source.promote();
            value
        }
    };
    let window = Duration::from_millis(60);
    let accepted = hammer_through_rotations(&secret, "rotation-0", 60, window, rotate).await;

    assert!(accepted > 1000, "only {accepted} requests");
    secret.refresh_now().await.unwrap();
    let current = secret.current().unwrap();
    assert_eq!(current.value().expose_text(), Some("rotation-60"));
}

#[tokio::test]
async fn a_file_source_follows_a_mounted_secret() {
    let dir = scratch_dir("file-source");
    let path = dir.join("psk");
    std::fs::write(&path, "file-value-one\n").unwrap();
    let source = FileSource::new(&path).unwrap();
    let secret = Secret::new("mounted", source, fast()).unwrap();

    secret.refresh_now().await.unwrap();
    let first = secret.current().unwrap();
    assert_eq!(first.value().expose_text(), Some("file-value-one"));
    assert_eq!(first.id(), "file#1");

    std::fs::write(&path, "file-value-two-longer\n").unwrap();
    secret.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&secret, "file-value-two-longer").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&secret, "file-value-one").await.unwrap(),
        Stage::Previous
    );
    assert_eq!(secret.current().unwrap().id(), "file#2");

    // Rewritten with the same content: the same version.
    std::fs::write(&path, "file-value-two-longer").unwrap();
    secret.refresh_now().await.unwrap();
    assert_eq!(secret.current().unwrap().id(), "file#2");

    // Emptied by mistake: the cached versions keep serving.
    std::fs::write(&path, "").unwrap();
    secret.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&secret, "file-value-two-longer").await.unwrap(),
        Stage::Current
    );
    assert_eq!(secret.stats().consecutive_failures, 1);

    let exact = Secret::new(
        "exact",
        FileSource::new(dir.join("exact"))
            .unwrap()
            .keep_trailing_newline(),
        fast(),
    )
    .unwrap();
    std::fs::write(dir.join("exact"), [0_u8, 255, b'\n']).unwrap();
    exact.refresh_now().await.unwrap();
    assert_eq!(
        exact.current().unwrap().value().expose_bytes(),
        &[0, 255, b'\n']
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_missing_file_is_a_source_failure_not_a_configuration_error() {
    let source = FileSource::new("/nonexistent/zt-secret").unwrap();
    let secret = Secret::new("missing-file", source, fast()).unwrap();
    let error = secret.refresh_now().await.unwrap_err();
    assert_eq!(error.cause(), UnavailableCause::NeverLoaded);
}

#[tokio::test]
async fn an_env_source_reads_current_and_previous_variables() {
    // Variable names unique to this test; nothing else in this binary reads them.
    std::env::set_var("ZT_TEST_SECRET_CURRENT", "env-current-value");
    std::env::set_var("ZT_TEST_SECRET_PREVIOUS", "env-previous-value");
    let source = EnvSource::new("ZT_TEST_SECRET_CURRENT")
        .unwrap()
        .with_previous("ZT_TEST_SECRET_PREVIOUS")
        .unwrap();
    let secret = Secret::new("from-env", source, fast()).unwrap();

    secret.refresh_now().await.unwrap();
    let matched = secret.verify_eq(b"env-current-value").await.unwrap();
    assert_eq!(
        (matched.stage(), matched.version_id()),
        (Stage::Current, "ZT_TEST_SECRET_CURRENT#1")
    );
    assert_eq!(
        stage_of(&secret, "env-previous-value").await.unwrap(),
        Stage::Previous
    );

    std::env::remove_var("ZT_TEST_SECRET_PREVIOUS");
    secret.refresh_now().await.unwrap();
    assert!(secret.versions().unwrap().previous().is_none());

    let unset = Secret::new(
        "unset",
        EnvSource::new("ZT_TEST_SECRET_UNSET").unwrap(),
        fast(),
    );
    assert!(unset.unwrap().refresh_now().await.is_err());
}

#[test]
fn configuration_errors_name_the_setting() {
    let error = |result: Result<SecretStore, zt_core::ConfigError>| result.unwrap_err().to_string();
    let store = |policy: SecretPolicy| {
        SecretStore::builder()
            .policy(policy)
            .secret("a", MemorySource::new())
            .build()
    };

    let cases = [
        (
            store(SecretPolicy::default().refresh_interval(Duration::ZERO)),
            "secret_store.refresh_interval:",
        ),
        (
            store(SecretPolicy::default().miss_refresh_interval(Duration::ZERO)),
            "secret_store.miss_refresh_interval:",
        ),
        (
            store(SecretPolicy::default().max_stale(Duration::from_secs(300))),
            "secret_store.max_stale:",
        ),
        (
            store(SecretPolicy::default().jitter(Duration::from_secs(300))),
            "secret_store.jitter:",
        ),
        (
            store(SecretPolicy::default().fetch_timeout(Duration::ZERO)),
            "secret_store.fetch_timeout:",
        ),
        (
            store(
                SecretPolicy::default()
                    .retry_backoff(Duration::from_secs(5), Duration::from_secs(1)),
            ),
            "secret_store.retry_backoff:",
        ),
        (
            SecretStore::builder()
                .secret(" ", MemorySource::new())
                .build(),
            "secret_store.secret:",
        ),
        (
            SecretStore::builder()
                .secret("twice", MemorySource::new())
                .secret("twice", MemorySource::new())
                .build(),
            "secret_store.secret(\"twice\"):",
        ),
        (
            SecretStore::builder()
                .secret_with_policy(
                    "own",
                    MemorySource::new(),
                    SecretPolicy::default().refresh_interval(Duration::ZERO),
                )
                .build(),
            "secret_store.secret(\"own\").refresh_interval:",
        ),
    ];
    for (result, expected) in cases {
        let message = error(result);
        assert!(
            message.starts_with(expected),
            "`{message}` should start with `{expected}`"
        );
    }

    let built = store(SecretPolicy::default()).unwrap();
    let missing = built.secret("absent").unwrap_err().to_string();
    assert!(
        missing.starts_with("secret_store.secret(\"absent\") is required"),
        "{missing}"
    );

    let file = FileSource::new("").unwrap_err().to_string();
    assert!(file.starts_with("file_source.path:"), "{file}");
    for bad in ["", "A=B", "A\0B"] {
        let env = EnvSource::new(bad).unwrap_err().to_string();
        assert!(env.starts_with("env_source.name:"), "{env}");
    }
    let same = EnvSource::new("A").unwrap().with_previous("A").unwrap_err();
    assert!(same.to_string().starts_with("env_source.previous:"));
    let unnamed = Secret::new("", MemorySource::new(), SecretPolicy::default()).unwrap_err();
    assert!(unnamed.to_string().starts_with("secret.name:"));
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zt-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
