//! The Secrets Manager and Parameter Store sources against a real `moto_server`: stages,
//! versions, labels, rotation as AWS drives it, outages, throttling, and bounded calls under
//! junk credentials.
//!
//! Every test captures logs and runs on a current-thread runtime, so each event is emitted on
//! a thread that records it (tracing caches per call site whether anyone listens); the two
//! client tasks of the rotation test interleave on that thread.
#![cfg(feature = "aws")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_ssm::types::ParameterType;
use zt_core::secret::{
    ParameterStoreSource, Refusal, Secret, SecretPolicy, SecretSource, SecretsManagerSource, Stage,
    UnavailableCause,
};
use zt_core::{Denial, Reason};
use zt_testkit::{Fault, FaultProxy, LogCapture, MotoServer};

use common::*;

/// A moto server, a fault proxy in front of it, and admin clients that bypass the proxy.
struct Aws {
    moto: MotoServer,
    proxy: FaultProxy,
    secrets: aws_sdk_secretsmanager::Client,
    parameters: aws_sdk_ssm::Client,
    /// Configuration for the code under test: through the proxy.
    config: aws_config::SdkConfig,
}

async fn aws() -> Aws {
    let moto = MotoServer::start().expect("moto_server is needed for these tests");
    let proxy = FaultProxy::start(&moto.endpoint()).unwrap();
    let admin = moto.sdk_config().await;
    Aws {
        secrets: aws_sdk_secretsmanager::Client::new(&admin),
        parameters: aws_sdk_ssm::Client::new(&admin),
        config: zt_testkit::sdk_config(&proxy.endpoint()).await,
        moto,
        proxy,
    }
}

impl Aws {
    async fn create_secret(&self, name: &str, value: &str) -> String {
        let created = self
            .secrets
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
        created.version_id.unwrap()
    }

    /// Puts `value` as `AWSPENDING`, as a rotation function's first step does.
    async fn stage_pending(&self, name: &str, value: &str) -> String {
        let put = self
            .secrets
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .version_stages("AWSPENDING")
            .send()
            .await
            .unwrap();
        put.version_id.unwrap()
    }

    /// Moves `AWSCURRENT` to `version`, as a rotation function's last step does; AWS then
    /// labels the old current `AWSPREVIOUS`.
    async fn promote(&self, name: &str, version: &str) {
        let current = self
            .secrets
            .get_secret_value()
            .secret_id(name)
            .version_stage("AWSCURRENT")
            .send()
            .await
            .unwrap()
            .version_id
            .unwrap();
        self.secrets
            .update_secret_version_stage()
            .secret_id(name)
            .version_stage("AWSCURRENT")
            .move_to_version_id(version)
            .remove_from_version_id(current)
            .send()
            .await
            .unwrap();
    }

    async fn put_parameter(&self, name: &str, value: &str) {
        self.parameters
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .unwrap();
    }

    async fn label(&self, name: &str, version: i64, label: &str) {
        self.parameters
            .label_parameter_version()
            .name(name)
            .parameter_version(version)
            .labels(label)
            .send()
            .await
            .unwrap();
    }

    fn secrets_manager(&self, name: &str) -> SecretsManagerSource {
        SecretsManagerSource::new(&self.config, name).unwrap()
    }
}

fn policy() -> SecretPolicy {
    SecretPolicy::default()
        .refresh_interval(Duration::from_millis(100))
        .jitter(Duration::from_millis(20))
        .miss_refresh_interval(Duration::from_millis(200))
        .max_stale(Duration::from_millis(1500))
        .retry_backoff(Duration::from_millis(100), Duration::from_millis(400))
        .fetch_timeout(Duration::from_secs(3))
}

async fn stage_of(secret: &Secret, presented: &str) -> Result<Stage, Refusal> {
    secret
        .verify_eq(presented.as_bytes())
        .await
        .map(|m| m.stage())
}

#[tokio::test]
async fn secrets_manager_serves_stages_version_ids_and_binary_values() {
    let _logs = LogCapture::install();
    let aws = aws().await;
    let first = aws.create_secret("app/psk", "sm-alpha-one").await;
    let pending = aws.stage_pending("app/psk", "sm-alpha-two").await;
    let source = aws.secrets_manager("app/psk");

    let stages = source.stages().await.unwrap();
    assert_eq!(stages[&first], ["AWSCURRENT"]);
    assert_eq!(stages[&pending], ["AWSPENDING"]);
    let current = source.version_by_stage("AWSCURRENT").await.unwrap();
    assert_eq!(
        (current.id(), current.value().expose_text()),
        (&*first, Some("sm-alpha-one"))
    );
    let by_id = source.version_by_id(&pending).await.unwrap();
    assert_eq!(by_id.value().expose_text(), Some("sm-alpha-two"));
    let missing = source.version_by_stage("AWSPREVIOUS").await.unwrap_err();
    assert!(missing.to_string().contains("app/psk"), "{missing}");

    let secret = Secret::new("psk", source, policy()).unwrap();
    secret.refresh_now().await.unwrap();
    let versions = secret.versions().unwrap();
    assert_eq!(versions.current().id(), first);
    assert_eq!(versions.pending().unwrap().id(), pending);
    assert_eq!(
        stage_of(&secret, "sm-alpha-two").await.unwrap(),
        Stage::Pending
    );

    aws.secrets
        .create_secret()
        .name("app/binary")
        .secret_binary(Blob::new(vec![0_u8, 1, 254, 255]))
        .send()
        .await
        .unwrap();
    let binary = aws.secrets_manager("app/binary");
    let versions = binary.fetch(None).await.unwrap();
    assert_eq!(versions.current().value().expose_bytes(), &[0, 1, 254, 255]);
    assert_eq!(versions.current().value().expose_text(), None);

    let absent = aws
        .secrets_manager("app/absent")
        .fetch(None)
        .await
        .unwrap_err();
    assert!(
        matches!(absent, zt_core::secret::SourceError::NotFound(_)),
        "{absent}"
    );
}

#[tokio::test]
async fn secrets_manager_rotation_as_aws_drives_it() {
    let _logs = LogCapture::install();
    let aws = aws().await;
    aws.create_secret("rotated", "rot-value-1").await;
    let secret = Secret::new("rotated", aws.secrets_manager("rotated"), policy()).unwrap();
    secret.refresh_now().await.unwrap();

    let second = aws.stage_pending("rotated", "rot-value-2").await;
    secret.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&secret, "rot-value-2").await.unwrap(),
        Stage::Pending
    );
    aws.promote("rotated", &second).await;
    secret.refresh_now().await.unwrap();
    let versions = secret.versions().unwrap();
    assert_eq!(versions.current().id(), second);
    assert!(versions.pending().is_none());
    assert_eq!(
        stage_of(&secret, "rot-value-2").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&secret, "rot-value-1").await.unwrap(),
        Stage::Previous
    );

    let third = aws.stage_pending("rotated", "rot-value-3").await;
    aws.promote("rotated", &third).await;
    secret.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&secret, "rot-value-3").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&secret, "rot-value-2").await.unwrap(),
        Stage::Previous
    );
    assert!(matches!(
        stage_of(&secret, "rot-value-1").await,
        Err(Refusal::NoMatch)
    ));
}

#[tokio::test]
async fn describe_secret_is_the_probe_and_values_are_fetched_only_when_versions_change() {
    let _logs = LogCapture::install();
    let aws = aws().await;
    aws.create_secret("probed", "probe-value-1").await;
    let secret = Secret::new("probed", aws.secrets_manager("probed"), policy()).unwrap();
    secret.refresh_now().await.unwrap();
    assert_eq!(aws.proxy.calls_to("GetSecretValue"), 1);

    aws.proxy.reset_calls();
    for _ in 0..3 {
        secret.refresh_now().await.unwrap();
    }
    assert_eq!(aws.proxy.calls_to("DescribeSecret"), 3);
    assert_eq!(aws.proxy.calls_to("GetSecretValue"), 0);

    let pending = aws.stage_pending("probed", "probe-value-2").await;
    secret.refresh_now().await.unwrap();
    assert_eq!(aws.proxy.calls_to("GetSecretValue"), 1);
    aws.promote("probed", &pending).await;
    aws.proxy.reset_calls();
    secret.refresh_now().await.unwrap();
    assert_eq!(aws.proxy.actions(), ["DescribeSecret"]);
    assert_eq!(secret.current().unwrap().id(), pending);
}

#[tokio::test]
async fn parameter_store_serves_versions_labels_and_history() {
    let _logs = LogCapture::install();
    let aws = aws().await;
    for value in ["ssm-value-1", "ssm-value-2", "ssm-value-3"] {
        aws.put_parameter("/app/key", value).await;
    }
    let source = ParameterStoreSource::new(&aws.config, "/app/key").unwrap();
    assert_eq!(source.latest().await.unwrap().id(), "3");
    let first = source.version(1).await.unwrap();
    assert_eq!(first.value().expose_text(), Some("ssm-value-1"));

    let latest = Secret::new("latest", source.clone(), policy()).unwrap();
    latest.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&latest, "ssm-value-3").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&latest, "ssm-value-2").await.unwrap(),
        Stage::Previous
    );
    assert!(matches!(
        stage_of(&latest, "ssm-value-1").await,
        Err(Refusal::NoMatch)
    ));

    aws.label("/app/key", 2, "live").await;
    aws.label("/app/key", 1, "old").await;
    aws.label("/app/key", 3, "next").await;
    let history = source.history().await.unwrap();
    let labels: Vec<_> = history
        .iter()
        .map(|v| (v.version(), v.labels().to_vec()))
        .collect();
    assert_eq!(
        labels,
        [
            (1, vec!["old".to_owned()]),
            (2, vec!["live".to_owned()]),
            (3, vec!["next".to_owned()])
        ]
    );
    assert_eq!(source.labeled("live").await.unwrap().id(), "2");

    let labelled = source
        .current_label("live")
        .unwrap()
        .previous_label("old")
        .unwrap()
        .pending_label("next")
        .unwrap();
    let secret = Secret::new("labelled", labelled, policy()).unwrap();
    secret.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&secret, "ssm-value-2").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&secret, "ssm-value-1").await.unwrap(),
        Stage::Previous
    );
    assert_eq!(
        stage_of(&secret, "ssm-value-3").await.unwrap(),
        Stage::Pending
    );

    // The rotation finishes: the labels move on.
    aws.label("/app/key", 3, "live").await;
    aws.label("/app/key", 2, "old").await;
    secret.refresh_now().await.unwrap();
    assert_eq!(
        stage_of(&secret, "ssm-value-3").await.unwrap(),
        Stage::Current
    );
    assert_eq!(
        stage_of(&secret, "ssm-value-2").await.unwrap(),
        Stage::Previous
    );
    assert!(secret.versions().unwrap().pending().is_none());
    assert!(matches!(
        stage_of(&secret, "ssm-value-1").await,
        Err(Refusal::NoMatch)
    ));
}

#[tokio::test]
async fn an_outage_serves_cached_versions_for_the_bound_then_fails_closed_and_recovers() {
    let logs = LogCapture::install();
    let mut aws = aws().await;
    aws.create_secret("outage", "outage-value-1").await;
    let secret = Secret::new("outage", aws.secrets_manager("outage"), policy()).unwrap();
    secret.refresh_now().await.unwrap();
    let loaded = Instant::now();
    let _refresher = secret.spawn_refresher();

    aws.moto.stop();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        stage_of(&secret, "outage-value-1").await.unwrap(),
        Stage::Current
    );
    assert!(secret.stats().refresh_failures >= 1);

    let closed = eventually(Duration::from_secs(5), || async {
        secret.verify_eq(b"outage-value-1").await.is_err()
    })
    .await;
    assert!(closed, "the secret never failed closed");
    assert!(loaded.elapsed() >= Duration::from_millis(1490));
    let refusal = secret.verify_eq(b"outage-value-1").await.unwrap_err();
    let Refusal::Unavailable(unavailable) = &refusal else {
        panic!("expected unavailable, got {refusal:?}");
    };
    assert_eq!(unavailable.cause(), UnavailableCause::Expired);
    assert!(matches!(
        refusal.denial(Reason::BadSignature),
        Denial::Unavailable {
            reason: Reason::SecretUnavailable,
            ..
        }
    ));

    // moto comes back empty; the secret is restored, with a rotation that happened meanwhile.
    aws.moto.restart().unwrap();
    aws.create_secret("outage", "outage-value-2").await;
    let recovered = eventually(Duration::from_secs(5), || async {
        secret.verify_eq(b"outage-value-2").await.is_ok()
    })
    .await;
    assert!(recovered, "the secret did not recover");

    let text = logs.text();
    assert!(text.contains("could not refresh secret"), "{text}");
    assert!(text.contains("service unreachable"), "{text}");
    assert!(text.contains("failing closed"), "{text}");
    assert!(text.contains("secret source recovered"), "{text}");
    logs.assert_free_of("outage-value-1");
    logs.assert_free_of("outage-value-2");
}

#[tokio::test]
async fn throttling_and_server_errors_keep_cached_values_and_back_off() {
    let logs = LogCapture::install();
    let aws = aws().await;
    aws.create_secret("throttled", "throttled-value").await;
    let policy = policy()
        .refresh_interval(Duration::from_millis(50))
        .jitter(Duration::ZERO)
        .max_stale(Duration::from_secs(60));
    let secret = Secret::new("throttled", aws.secrets_manager("throttled"), policy).unwrap();
    secret.refresh_now().await.unwrap();

    for fault in [Fault::Throttle, Fault::ServerError, Fault::Drop] {
        aws.proxy.set_fault(fault);
        aws.proxy.reset_calls();
        let refresher = secret.spawn_refresher();
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(1200) {
            assert_eq!(
                stage_of(&secret, "throttled-value").await.unwrap(),
                Stage::Current
            );
            let _ = secret.verify_eq(b"junk-during-fault").await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(refresher);

        // Back-off of 100, 200, 400, 400 ms: about five calls where the interval alone
        // would allow twenty-four.
        let calls = aws.proxy.calls();
        assert!((2..=8).contains(&calls), "{fault:?}: {calls} calls");
        assert!(secret.stats().consecutive_failures >= 2, "{fault:?}");

        aws.proxy.set_fault(Fault::None);
        secret.refresh_now().await.unwrap();
        assert_eq!(secret.stats().consecutive_failures, 0);
    }

    let text = logs.text();
    assert!(text.contains("throttled by the service"), "{text}");
    assert!(text.contains("ThrottlingException"), "{text}");
    assert!(text.contains("InternalServiceError"), "{text}");
    logs.assert_free_of("throttled-value");
}

#[tokio::test]
async fn junk_credentials_at_full_speed_cause_at_most_one_call_per_interval() {
    let _logs = LogCapture::install();
    let aws = aws().await;
    aws.create_secret("flooded", "flooded-value").await;
    let policy = policy()
        .refresh_interval(Duration::from_secs(60))
        .jitter(Duration::from_secs(1))
        .max_stale(Duration::from_secs(600));
    let secret = Secret::new("flooded", aws.secrets_manager("flooded"), policy).unwrap();
    secret.refresh_now().await.unwrap();
    aws.proxy.reset_calls();

    let attempts = Arc::new(AtomicU64::new(0));
    let attackers: Vec<_> = (0..2)
        .map(|n| {
            let (secret, attempts) = (secret.clone(), attempts.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let mut i = 0_u64;
                while started.elapsed() < Duration::from_millis(1200) {
                    let junk = format!("junk-{n}-{i}");
                    let refused = secret.verify_eq(junk.as_bytes()).await;
                    assert!(matches!(refused, Err(Refusal::NoMatch)));
                    i += 1;
                    tokio::task::yield_now().await;
                }
                attempts.fetch_add(i, Ordering::Relaxed);
            })
        })
        .collect();
    for attacker in attackers {
        attacker.await.unwrap();
    }

    let attempts = attempts.load(Ordering::Relaxed);
    let calls = aws.proxy.calls();
    assert!(attempts > 1000, "only {attempts} attempts");
    assert!(
        calls <= 1 + 1200 / 200 + 1,
        "{calls} AWS calls for {attempts} junk credentials"
    );
    assert_eq!(aws.proxy.calls_to("GetSecretValue"), 0);
}

#[tokio::test]
async fn sixty_rotations_against_moto_under_load_lose_no_request() {
    let _logs = LogCapture::install();
    let aws = Arc::new(aws().await);
    aws.create_secret("busy", "busy-0").await;
    let policy = policy()
        .refresh_interval(Duration::from_millis(30))
        .jitter(Duration::from_millis(5))
        .miss_refresh_interval(Duration::from_millis(50))
        .max_stale(Duration::from_secs(10));
    let secret = Secret::new("busy", aws.secrets_manager("busy"), policy).unwrap();
    secret.refresh_now().await.unwrap();
    let _refresher = secret.spawn_refresher();

    let rotate = |round: usize| {
        let aws = Arc::clone(&aws);
        async move {
            let value = format!("busy-{round}");
            let version = aws.stage_pending("busy", &value).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            aws.promote("busy", &version).await;
            value
        }
    };
    let window = Duration::from_millis(80);
    let accepted = hammer_through_rotations(&secret, "busy-0", 60, window, rotate).await;

    assert!(accepted > 500, "only {accepted} requests");
    secret.refresh_now().await.unwrap();
    let current = secret.current().unwrap();
    assert_eq!(current.value().expose_text(), Some("busy-60"));
}

#[tokio::test]
async fn values_never_reach_debug_output_or_logs() {
    let logs = LogCapture::install();
    let aws = aws().await;
    aws.create_secret("quiet", "quiet-sm-value-1").await;
    let pending = aws.stage_pending("quiet", "quiet-sm-value-2").await;
    aws.promote("quiet", &pending).await;
    aws.put_parameter("/quiet", "quiet-ssm-value").await;

    let sm = aws.secrets_manager("quiet");
    let ssm = ParameterStoreSource::new(&aws.config, "/quiet").unwrap();
    let versions = sm.fetch(None).await.unwrap();
    let parameter = ssm.fetch(None).await.unwrap();
    let secret = Secret::new("quiet", sm.clone(), policy()).unwrap();
    secret.refresh_now().await.unwrap();
    let _ = secret.verify_eq(b"junk-credential").await;

    let debug = format!("{sm:?} {ssm:?} {versions:?} {parameter:?} {secret:?}");
    let text = format!("{}\n{debug}", logs.text());
    for value in ["quiet-sm-value-1", "quiet-sm-value-2", "quiet-ssm-value"] {
        assert!(!text.contains(value), "{value} leaked:\n{text}");
    }
}

#[tokio::test]
async fn aws_source_settings_are_checked() {
    let _logs = LogCapture::install();
    let config = zt_testkit::sdk_config("http://127.0.0.1:9").await;
    let error = SecretsManagerSource::new(&config, " ").unwrap_err();
    assert!(
        error.to_string().starts_with("secrets_manager.secret_id:"),
        "{error}"
    );
    let error = ParameterStoreSource::new(&config, "").unwrap_err();
    assert!(
        error.to_string().starts_with("parameter_store.name:"),
        "{error}"
    );
    let source = ParameterStoreSource::new(&config, "/ok").unwrap();
    let error = source.current_label("1bad").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("parameter_store.current_label:"),
        "{error}"
    );
}
