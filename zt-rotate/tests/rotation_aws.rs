//! Rotation steps, full rotations, Parameter Store rotation and rotation under load, against
//! a real `moto_server`. moto runs no Lambda: the tests call the handler with the events
//! Secrets Manager would send.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_secretsmanager::types::{RotationRulesType, Tag};
use aws_sdk_ssm::types::ParameterType;
use zt_core::secret::{
    ParameterStoreSource, Secret, SecretPolicy, SecretSource, SecretsManagerSource,
};
use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument};
use zt_rotate::{
    ParameterRotation, RotateError, RotationEvent, SecretKind, SecretsManagerRotation, Step,
};
use zt_testkit::{LogCapture, MotoServer};

use std::cell::Cell;
use std::rc::Rc;

use actix_web::http::StatusCode;
use actix_web::{test, App, HttpResponse};
use zt_actix::{route, zero_trust, Principal, ZeroTrust};
use zt_client::{Signature, Signer};

struct Aws {
    _moto: MotoServer,
    config: aws_config::SdkConfig,
    secrets: aws_sdk_secretsmanager::Client,
    parameters: aws_sdk_ssm::Client,
    kms: aws_sdk_kms::Client,
}

async fn aws() -> Aws {
    let moto = MotoServer::start().expect("moto_server is needed for these tests");
    let config = patient(&moto.sdk_config().await);
    Aws {
        secrets: aws_sdk_secretsmanager::Client::new(&config),
        parameters: aws_sdk_ssm::Client::new(&config),
        kms: aws_sdk_kms::Client::new(&config),
        config,
        _moto: moto,
    }
}

impl Aws {
    async fn customer_key(&self) -> String {
        let key = self.kms.create_key().send().await.unwrap();
        key.key_metadata().unwrap().key_id().to_owned()
    }

    /// Creates a secret tagged with `kind` and turns rotation on, as an administrator
    /// would; moto copies the value into a new current version when rotation is enabled.
    async fn rotating_secret(&self, name: &str, kind: Option<&str>, value: &str) {
        let key = self.customer_key().await;
        let mut create = self
            .secrets
            .create_secret()
            .name(name)
            .kms_key_id(key)
            .secret_string(value);
        if let Some(kind) = kind {
            create = create.tags(Tag::builder().key("zt:kind").value(kind).build());
        }
        create.send().await.unwrap();
        self.enable_rotation(name).await;
    }

    async fn enable_rotation(&self, name: &str) {
        self.secrets
            .rotate_secret()
            .secret_id(name)
            .rotation_rules(
                RotationRulesType::builder()
                    .automatically_after_days(30)
                    .build(),
            )
            .rotate_immediately(false)
            .send()
            .await
            .unwrap();
    }

    async fn stages(&self, name: &str) -> HashMap<String, Vec<String>> {
        let meta = self
            .secrets
            .describe_secret()
            .secret_id(name)
            .send()
            .await
            .unwrap();
        meta.version_ids_to_stages.unwrap_or_default()
    }

    async fn holder(&self, name: &str, stage: &str) -> Option<String> {
        let stages = self.stages(name).await;
        let mut ids = stages
            .into_iter()
            .filter(|(_, labels)| labels.iter().any(|l| l == stage))
            .map(|(id, _)| id);
        let first = ids.next();
        assert!(ids.next().is_none(), "two versions carry {stage}");
        first
    }

    async fn value(&self, name: &str, stage: &str, version: Option<&str>) -> String {
        let out = self
            .secrets
            .get_secret_value()
            .secret_id(name)
            .version_stage(stage)
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .unwrap();
        out.secret_string.unwrap()
    }

    /// Writes a new current version as `zt keys create` does. moto does not track a stage
    /// move made with `UpdateSecretVersionStage` when a later `PutSecretValue` takes
    /// `AWSCURRENT`, so the version is put under a label of its own and then promoted.
    async fn publish(&self, name: &str, value: &str) {
        let put = self
            .secrets
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .version_stages("ISSUED")
            .send()
            .await
            .unwrap();
        let current = self.holder(name, "AWSCURRENT").await.unwrap();
        self.secrets
            .update_secret_version_stage()
            .secret_id(name)
            .version_stage("AWSCURRENT")
            .move_to_version_id(put.version_id.unwrap())
            .remove_from_version_id(current)
            .send()
            .await
            .unwrap();
    }

    fn rotation(&self) -> SecretsManagerRotation {
        SecretsManagerRotation::new(&self.config)
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn record(key: &NewKey, expires_at: u64, disabled: bool) -> KeyRecord {
    KeyRecord {
        id: key.id().to_owned(),
        hash: key.hash(),
        scopes: vec!["export".to_owned()],
        not_before: None,
        expires_at,
        disabled,
        owner: "partner".to_owned(),
        description: String::new(),
        created_at: Some(now() - 100),
    }
}

fn event(step: &str, secret: &str, token: &str) -> RotationEvent {
    RotationEvent {
        step: step.to_owned(),
        secret_id: secret.to_owned(),
        client_request_token: token.to_owned(),
    }
}

const TOKEN: &str = "0d6f3a52-6f1e-4c1e-9b7a-2c5e8f6a4b10";

#[tokio::test(flavor = "multi_thread")]
async fn each_step_of_a_psk_rotation_follows_the_contract() {
    let logs = LogCapture::install();
    let aws = aws().await;
    let first = "M2Zq7c0x1yTq8n4kVbq3hP0sW9dL6eRa5uJ2fG8iK1o";
    aws.rotating_secret("psk", Some("psk"), first).await;
    let rotation = aws.rotation();
    let old_current = aws.holder("psk", "AWSCURRENT").await.unwrap();

    rotation
        .handle(&event("createSecret", "psk", TOKEN))
        .await
        .unwrap();
    let pending = aws.value("psk", "AWSPENDING", Some(TOKEN)).await;
    assert_ne!(pending, first);
    assert_eq!(pending.len(), 43, "32 random bytes in unpadded base64url");
    assert_eq!(aws.holder("psk", "AWSCURRENT").await.unwrap(), old_current);

    let versions = aws.stages("psk").await.len();
    rotation
        .handle(&event("createSecret", "psk", TOKEN))
        .await
        .unwrap();
    assert_eq!(aws.value("psk", "AWSPENDING", Some(TOKEN)).await, pending);
    assert_eq!(
        aws.stages("psk").await.len(),
        versions,
        "createSecret is idempotent"
    );

    rotation
        .handle(&event("setSecret", "psk", TOKEN))
        .await
        .unwrap();
    rotation
        .handle(&event("testSecret", "psk", TOKEN))
        .await
        .unwrap();
    assert_eq!(aws.holder("psk", "AWSCURRENT").await.unwrap(), old_current);

    rotation
        .handle(&event("finishSecret", "psk", TOKEN))
        .await
        .unwrap();
    assert_eq!(aws.holder("psk", "AWSCURRENT").await.unwrap(), TOKEN);
    assert_eq!(aws.holder("psk", "AWSPREVIOUS").await.unwrap(), old_current);
    assert_eq!(aws.value("psk", "AWSCURRENT", None).await, pending);

    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        rotation.handle(&event(step, "psk", TOKEN)).await.unwrap();
    }
    assert_eq!(
        aws.value("psk", "AWSCURRENT", None).await,
        pending,
        "repeats change nothing"
    );
    assert!(
        logs.text().contains("rotation step done"),
        "{}",
        logs.text()
    );
    logs.assert_free_of(first);
    logs.assert_free_of(&pending);
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_refuse_events_outside_a_rotation() {
    let aws = aws().await;
    let rotation = aws.rotation();
    aws.secrets
        .create_secret()
        .name("off")
        .secret_string("x".repeat(43))
        .tags(Tag::builder().key("zt:kind").value("psk").build())
        .send()
        .await
        .unwrap();
    let err = rotation
        .handle(&event("createSecret", "off", TOKEN))
        .await
        .unwrap_err();
    assert!(matches!(err, RotateError::NotEnabled(_)), "{err}");
    assert!(err.to_string().contains("rotation is not enabled"), "{err}");

    aws.rotating_secret("on", Some("psk"), &"y".repeat(43))
        .await;
    for step in ["setSecret", "testSecret", "finishSecret"] {
        let err = rotation
            .handle(&event(step, "on", TOKEN))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("has no stage for rotation"),
            "{step}: {err}"
        );
    }
    let previous = aws.holder("on", "AWSPREVIOUS").await.unwrap();
    let err = rotation
        .handle(&event("finishSecret", "on", &previous))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not staged AWSPENDING"), "{err}");

    let err = rotation
        .handle(&event("rotateSecret", "on", TOKEN))
        .await
        .unwrap_err();
    assert!(matches!(err, RotateError::UnknownStep(_)), "{err}");

    let err = rotation
        .handle(&event("createSecret", "missing", TOKEN))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_weak_pending_value_fails_the_test_step_and_is_never_promoted() {
    let aws = aws().await;
    aws.rotating_secret("weak", Some("psk"), &"z".repeat(43))
        .await;
    let current = aws.holder("weak", "AWSCURRENT").await.unwrap();
    aws.secrets
        .put_secret_value()
        .secret_id("weak")
        .client_request_token(TOKEN)
        .secret_string("c2hvcnQ")
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();

    let err = aws
        .rotation()
        .step(Step::Test, "weak", TOKEN)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("holds 5 bytes"), "{err}");
    assert!(!err.to_string().contains("c2hvcnQ"), "{err}");
    assert_eq!(aws.holder("weak", "AWSCURRENT").await.unwrap(), current);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_rotation_moves_the_stages() {
    let aws = aws().await;
    aws.rotating_secret("full", Some("psk"), &"q".repeat(43))
        .await;
    let before = aws.holder("full", "AWSCURRENT").await.unwrap();
    let before_value = aws.value("full", "AWSCURRENT", None).await;

    let token = aws.rotation().rotate_now("full").await.unwrap();
    assert_eq!(aws.holder("full", "AWSCURRENT").await.unwrap(), token);
    assert_eq!(aws.holder("full", "AWSPREVIOUS").await.unwrap(), before);
    assert_eq!(aws.holder("full", "AWSPENDING").await, None);
    assert_eq!(aws.value("full", "AWSPREVIOUS", None).await, before_value);

    let again = aws.rotation().rotate_now("full").await.unwrap();
    assert_ne!(again, token);
    assert_eq!(aws.holder("full", "AWSPREVIOUS").await.unwrap(), token);

    let source = SecretsManagerSource::new(&aws.config, "full").unwrap();
    let seen = source.fetch(None).await.unwrap();
    assert_eq!(seen.current().id(), again);
    assert_eq!(seen.previous().unwrap().id(), token);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ring_rotation_keeps_working_keys_and_drops_long_expired_ones() {
    let aws = aws().await;
    let (live, disabled, fresh, old) = (
        NewKey::generate(),
        NewKey::generate(),
        NewKey::generate(),
        NewKey::generate(),
    );
    let doc = RingDocument {
        version: 1,
        keys: vec![
            record(&live, now() + 3600, false),
            record(&disabled, now() + 3600, true),
            record(&fresh, now() - 3600, false),
            record(&old, now() - 40 * 86_400, false),
        ],
    };
    aws.rotating_secret("ring", Some("api-key-ring"), &doc.to_json())
        .await;

    aws.rotation().rotate_now("ring").await.unwrap();
    let rotated =
        RingDocument::from_json(aws.value("ring", "AWSCURRENT", None).await.as_bytes()).unwrap();
    let ids: Vec<&str> = rotated.keys.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [live.id(), disabled.id(), fresh.id()]);
    assert_eq!(rotated.keys[0], doc.keys[0], "kept records are unchanged");

    let ring = KeyRing::new(&rotated);
    use secrecy::ExposeSecret as _;
    assert!(ring.verify(live.key().expose_secret()).is_ok());
    assert!(ring.verify(disabled.key().expose_secret()).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untagged_secret_is_refused_unless_a_default_kind_is_set() {
    let aws = aws().await;
    let ring = RingDocument {
        version: 1,
        keys: Vec::new(),
    };
    aws.rotating_secret("plain", None, &ring.to_json()).await;
    let err = aws.rotation().rotate_now("plain").await.unwrap_err();
    assert!(err.to_string().contains("zt:kind=api-key-ring"), "{err}");
    assert_eq!(
        aws.holder("plain", "AWSPENDING").await,
        None,
        "nothing written"
    );

    aws.rotation()
        .default_kind(SecretKind::KEY_RING)
        .rotate_now("plain")
        .await
        .unwrap();
    let after = aws.value("plain", "AWSCURRENT", None).await;
    assert!(RingDocument::from_json(after.as_bytes()).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn parameter_store_rotation_moves_the_label_and_keeps_n_minus_1() {
    let aws = aws().await;
    let key = aws.customer_key().await;
    let first = "b".repeat(43);
    aws.parameters
        .put_parameter()
        .name("/zt/psk")
        .value(&first)
        .r#type(ParameterType::SecureString)
        .key_id(&key)
        .tags(
            aws_sdk_ssm::types::Tag::builder()
                .key("zt:kind")
                .value("psk")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let rotation = ParameterRotation::new(&aws.config);
    let rotated = rotation.rotate("/zt/psk").await.unwrap();
    assert_eq!((rotated.previous, rotated.current), (1, 2));
    let source = ParameterStoreSource::new(&aws.config, "/zt/psk")
        .unwrap()
        .current_label("current")
        .unwrap();
    let seen = source.fetch(None).await.unwrap();
    assert_eq!(seen.current().id(), "2");
    assert_ne!(seen.current().value().expose_text(), Some(first.as_str()));
    assert_eq!(
        seen.previous().unwrap().value().expose_text(),
        Some(first.as_str())
    );

    let second = seen.current().value().expose_text().unwrap().to_owned();
    let rotated = rotation.rotate("/zt/psk").await.unwrap();
    assert_eq!((rotated.previous, rotated.current), (2, 3));
    let seen = source.fetch(None).await.unwrap();
    assert_eq!(seen.current().id(), "3");
    assert_eq!(
        seen.previous().unwrap().value().expose_text(),
        Some(second.as_str())
    );
    let history = source.history().await.unwrap();
    let labels = |n: i64| {
        history
            .iter()
            .find(|v| v.version() == n)
            .unwrap()
            .labels()
            .to_vec()
    };
    assert_eq!(labels(3), ["current"]);
    assert_eq!(labels(2), ["previous"]);
    assert!(labels(1).is_empty());

    let latest = aws
        .parameters
        .get_parameter_history()
        .name("/zt/psk")
        .send()
        .await
        .unwrap();
    let entry = latest
        .parameters()
        .iter()
        .find(|p| p.version() == 3)
        .unwrap();
    assert_eq!(
        entry.key_id(),
        Some(key.as_str()),
        "the customer key is kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn parameter_rotation_refuses_the_aws_managed_key_and_plain_strings() {
    let aws = aws().await;
    let psk = aws_sdk_ssm::types::Tag::builder()
        .key("zt:kind")
        .value("psk")
        .build()
        .unwrap();
    for (name, kind) in [
        ("/zt/default", ParameterType::SecureString),
        ("/zt/plain", ParameterType::String),
    ] {
        aws.parameters
            .put_parameter()
            .name(name)
            .value("c".repeat(43))
            .r#type(kind)
            .tags(psk.clone())
            .send()
            .await
            .unwrap();
    }
    let rotation = ParameterRotation::new(&aws.config);
    let err = rotation.rotate("/zt/default").await.unwrap_err();
    assert!(err.to_string().contains("kms_key_id"), "{err}");
    let err = rotation.rotate("/zt/plain").await.unwrap_err();
    assert!(err.to_string().contains("not a SecureString"), "{err}");

    let key = aws.customer_key().await;
    let rotated = rotation
        .kms_key_id(&key)
        .rotate("/zt/default")
        .await
        .unwrap();
    assert_eq!(rotated.current, 2);
}

/// Rotates a key ring secret over and over (a new key issued, a long-expired record added,
/// then the four steps) while clients verify every key they hold through a `KeyRing` that
/// follows the secret. No request may be refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_ring_rotations_under_load_refuse_no_request() {
    use secrecy::ExposeSecret as _;

    let aws = aws().await;
    let first = NewKey::generate();
    let doc = RingDocument {
        version: 1,
        keys: vec![record(&first, now() + 3600, false)],
    };
    aws.rotating_secret("busy-ring", Some("api-key-ring"), &doc.to_json())
        .await;

    let policy = SecretPolicy::default()
        .refresh_interval(Duration::from_millis(30))
        .jitter(Duration::from_millis(5))
        .miss_refresh_interval(Duration::from_millis(50))
        .max_stale(Duration::from_secs(10));
    let source = SecretsManagerSource::new(&aws.config, "busy-ring").unwrap();
    let secret = Secret::new("busy-ring", source, policy).unwrap();
    secret.refresh_now().await.unwrap();
    let _refresher = secret.spawn_refresher();
    let ring = Arc::new(KeyRing::from_secret(secret.clone()).unwrap());
    let _follower = ring.follow(Duration::from_millis(10));

    let held = Arc::new(RwLock::new(vec![first.key().expose_secret().to_owned()]));
    let stop = Arc::new(AtomicBool::new(false));
    let (accepted, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (ring, held, stop) = (ring.clone(), held.clone(), stop.clone());
            let (accepted, refused) = (accepted.clone(), refused.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Acquire) {
                    let keys = held.read().unwrap().clone();
                    for key in &keys {
                        match ring.verify(key) {
                            Ok(_) => accepted.fetch_add(1, Ordering::Relaxed),
                            Err(_) => refused.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();

    let rotation = aws.rotation();
    for round in 0..12 {
        let current = aws.value("busy-ring", "AWSCURRENT", None).await;
        let mut doc = RingDocument::from_json(current.as_bytes()).unwrap();
        let issued = NewKey::generate();
        doc.keys.push(record(&issued, now() + 3600, false));
        doc.keys
            .push(record(&NewKey::generate(), now() - 60 * 86_400, false));
        aws.publish("busy-ring", &doc.to_json()).await;
        let issued_key = issued.key().expose_secret().to_owned();
        let mut picked_up = false;
        for _ in 0..500 {
            if ring.verify(&issued_key).is_ok() {
                picked_up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            picked_up,
            "round {round}: the ring never saw the issued key"
        );
        held.write().unwrap().push(issued_key);

        rotation.rotate_now("busy-ring").await.unwrap();
        let rotated = aws.value("busy-ring", "AWSCURRENT", None).await;
        let rotated = RingDocument::from_json(rotated.as_bytes()).unwrap();
        assert_eq!(
            rotated.keys.len(),
            round + 2,
            "round {round}: dead records dropped"
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Release);
    for client in clients {
        client.await.unwrap();
    }

    let (accepted, refused) = (
        accepted.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    );
    assert_eq!(refused, 0, "{refused} of {} refused", accepted + refused);
    assert!(accepted > 1000, "only {accepted} requests");
    assert_eq!(ring.len(), 13);
}

const PSK_NAME: &str = "deploy-hook";
const PSK_FIRST: &str = "M2Zq7c0x1yTq8n4kVbq3hP0sW9dL6eRa5uJ2fG8iK1o";
const PSK_ROUNDS: usize = 6;

/// Echoes the signed body.
#[zero_trust(psk = "deploy-hook")]
async fn deploy(_who: Principal, body: actix_web::web::Bytes) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

/// Follows the secret's stages in Secrets Manager, refreshing every `every`.
async fn psk_follower(config: &aws_config::SdkConfig, every: Duration) -> Secret {
    let policy = SecretPolicy::default()
        .refresh_interval(every)
        .jitter(Duration::from_millis(20))
        .miss_refresh_interval(every)
        .max_stale(Duration::from_secs(60));
    let source = SecretsManagerSource::new(config, PSK_NAME).unwrap();
    let secret = Secret::new(PSK_NAME, source, policy).unwrap();
    secret.refresh_now().await.unwrap();
    secret
}

fn signed_request(signature: &Signature, body: &str) -> actix_http::Request {
    let mut request = test::TestRequest::post().uri("/hooks/deploy");
    for header in signature.headers() {
        request = request.insert_header(header);
    }
    request.set_payload(body.to_owned()).to_request()
}

/// Rotates a pre-shared secret by its four steps, over and over, while a client signs
/// requests to a service that verifies them. The service and the client follow the secret
/// through caches of their own and catch up at different moments; no signed request may be
/// refused.
#[actix_web::test]
async fn psk_rotations_under_load_refuse_no_signed_request() {
    let aws = aws().await;
    aws.rotating_secret(PSK_NAME, Some("psk"), PSK_FIRST).await;
    let config = aws.config.clone();

    // The two sides refresh at different rates, so each rotation reaches one before the other.
    let on_server = psk_follower(&config, Duration::from_millis(110)).await;
    let on_client = psk_follower(&config, Duration::from_millis(170)).await;
    let _server_refresher = on_server.spawn_refresher();
    let _client_refresher = on_client.spawn_refresher();
    let zt = ZeroTrust::builder()
        .psk(PSK_NAME, on_server)
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(zt)
            .route("/hooks/deploy", route::post(deploy)),
    )
    .await;
    let signer = Signer::new(&on_client);

    let done = Rc::new(Cell::new(false));
    let rotations = {
        let (done, rotation) = (done.clone(), SecretsManagerRotation::new(&config));
        actix_web::rt::spawn(async move {
            for _ in 0..PSK_ROUNDS {
                tokio::time::sleep(Duration::from_millis(400)).await;
                rotation.rotate_now(PSK_NAME).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
            done.set(true);
        })
    };

    let (mut sent, mut retried, mut refused) = (0_u64, 0_u64, Vec::new());
    while !done.get() {
        sent += 1;
        let body = format!("request {sent}");
        let signature = signer
            .sign("POST", "/hooks/deploy", "", body.as_bytes())
            .unwrap();
        let mut status = test::call_service(&app, signed_request(&signature, &body))
            .await
            .status();
        if status == StatusCode::UNAUTHORIZED {
            // What zt-client's reqwest and awc senders do: report, sign again, retry once.
            retried += 1;
            signer.rejected(&signature).await;
            let signature = signer
                .sign("POST", "/hooks/deploy", "", body.as_bytes())
                .unwrap();
            status = test::call_service(&app, signed_request(&signature, &body))
                .await
                .status();
        }
        if status != StatusCode::OK {
            refused.push((sent, status));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    rotations.await.unwrap();

    assert!(refused.is_empty(), "refused of {sent}: {refused:?}");
    assert!(sent > 200, "only {sent} requests were sent");
    let last = signer.sign("POST", "/hooks/deploy", "", b"").unwrap();
    assert_eq!(
        Some(last.version_id().to_owned()),
        aws.holder(PSK_NAME, "AWSCURRENT").await,
        "the client never caught up with the last rotation"
    );
    eprintln!("{sent} signed requests, {retried} retried with the previous version");
}

/// Gives calls 30 seconds: moto loads a service's data on its first call, which takes more
/// than the testkit's 5 seconds when several servers start at once on a busy machine.
fn patient(config: &aws_config::SdkConfig) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(2))
        .operation_timeout(std::time::Duration::from_secs(30))
        .build();
    config.to_builder().timeout_config(timeouts).build()
}
