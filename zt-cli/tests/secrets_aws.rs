//! `zt secrets rotate` and `zt secrets check` against a local `moto_server`.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::process::{Command, Output};

use aws_sdk_secretsmanager::types::{RotationRulesType, Tag};
use aws_sdk_ssm::types::ParameterType;
use zt_testkit::MotoServer;

fn zt_at(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zt"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn zt(moto: &MotoServer, args: &[&str]) -> Output {
    zt_at(&moto.endpoint(), args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

struct Aws {
    moto: MotoServer,
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
        moto,
    }
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/billing"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;

impl Aws {
    async fn customer_key(&self) -> String {
        let key = self.kms.create_key().send().await.unwrap();
        key.key_metadata().unwrap().key_id().to_owned()
    }

    /// A secret that follows the policy: customer key, resource policy, rotation on.
    async fn compliant_secret(&self, name: &str, kind: &str, value: &str) -> String {
        let key = self.customer_key().await;
        self.secrets
            .create_secret()
            .name(name)
            .kms_key_id(&key)
            .secret_string(value)
            .tags(Tag::builder().key("zt:kind").value(kind).build())
            .send()
            .await
            .unwrap();
        self.secrets
            .put_resource_policy()
            .secret_id(name)
            .resource_policy(POLICY)
            .send()
            .await
            .unwrap();
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
        key
    }

    async fn holder(&self, name: &str, stage: &str) -> Option<String> {
        let meta = self
            .secrets
            .describe_secret()
            .secret_id(name)
            .send()
            .await
            .unwrap();
        meta.version_ids_to_stages
            .unwrap_or_default()
            .into_iter()
            .find(|(_, labels)| labels.iter().any(|l| l == stage))
            .map(|(id, _)| id)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_runs_the_four_steps_or_one_step_at_a_time() {
    let aws = aws().await;
    aws.compliant_secret("hook", "psk", &"a".repeat(43)).await;
    let before = aws.holder("hook", "AWSCURRENT").await.unwrap();

    let out = zt(&aws.moto, &["secrets", "rotate", "secretsmanager:hook"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let now = aws.holder("hook", "AWSCURRENT").await.unwrap();
    assert_ne!(now, before);
    assert!(stderr(&out).contains(&now), "{}", stderr(&out));
    assert_eq!(aws.holder("hook", "AWSPREVIOUS").await.unwrap(), before);

    let token = "7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    for step in ["create", "set", "test", "finish"] {
        let out = zt(
            &aws.moto,
            &[
                "secrets",
                "rotate",
                "secretsmanager:hook",
                "--step",
                step,
                "--token",
                token,
            ],
        );
        assert!(out.status.success(), "{step}: {}", stderr(&out));
    }
    assert_eq!(aws.holder("hook", "AWSCURRENT").await.unwrap(), token);
    assert_eq!(aws.holder("hook", "AWSPREVIOUS").await.unwrap(), now);

    let out = zt(
        &aws.moto,
        &["secrets", "rotate", "secretsmanager:hook", "--step", "test"],
    );
    assert_eq!(out.status.code(), Some(2), "--step needs --token");
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_moves_a_parameters_label() {
    let aws = aws().await;
    let key = aws.customer_key().await;
    aws.parameters
        .put_parameter()
        .name("/zt/hook")
        .value("d".repeat(43))
        .r#type(ParameterType::SecureString)
        .key_id(key)
        .send()
        .await
        .unwrap();

    let out = zt(&aws.moto, &["secrets", "rotate", "ssm:/zt/hook"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("zt:kind"), "{}", stderr(&out));

    let out = zt(
        &aws.moto,
        &["secrets", "rotate", "ssm:/zt/hook", "--kind", "psk"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("version 2 is labelled current"),
        "{}",
        stderr(&out)
    );
    let current = aws
        .parameters
        .get_parameter()
        .name("/zt/hook:current")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(current.parameter().unwrap().version(), 2);
    let out = zt(
        &aws.moto,
        &[
            "secrets",
            "rotate",
            "ssm:/zt/hook",
            "--step",
            "create",
            "--token",
            "t",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_passes_a_compliant_secret_in_text_and_json() {
    let aws = aws().await;
    let key = aws.compliant_secret("good", "psk", &"b".repeat(43)).await;

    let out = zt(&aws.moto, &["secrets", "check", "secretsmanager:good"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("follows the secret policy"), "{text}");
    assert!(text.contains(&key), "{text}");
    assert_eq!(text.matches("ok  ").count(), 4, "{text}");

    let out = zt(
        &aws.moto,
        &["secrets", "check", "secretsmanager:good", "--json"],
    );
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["compliant"], true);
    assert_eq!(report["target"], "secretsmanager:good");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["kms-key", "resource-policy", "rotation", "recent-rotation"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_names_each_violation_and_exits_1() {
    let aws = aws().await;
    aws.secrets
        .create_secret()
        .name("lax")
        .secret_string("e".repeat(43))
        .send()
        .await
        .unwrap();

    let out = zt(&aws.moto, &["secrets", "check", "secretsmanager:lax"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("does NOT follow"), "{text}");
    assert!(text.contains("4 of 4 rules failed"), "{text}");
    for needle in [
        "AWS-managed key aws/secretsmanager",
        "no resource policy",
        "not enabled",
        "never rotated by Secrets Manager",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }

    let out = zt(
        &aws.moto,
        &["secrets", "check", "secretsmanager:lax", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["compliant"], false);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["passed"] == false));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_fails_a_disabled_key_and_a_missing_policy_alone() {
    let aws = aws().await;
    let key = aws.compliant_secret("keyoff", "psk", &"f".repeat(43)).await;
    aws.kms.disable_key().key_id(&key).send().await.unwrap();
    aws.secrets
        .delete_resource_policy()
        .secret_id("keyoff")
        .send()
        .await
        .unwrap();

    let out = zt(
        &aws.moto,
        &["secrets", "check", "secretsmanager:keyoff", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["passed"] == false)
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["kms-key", "resource-policy"]);
    assert!(
        stdout(&out).contains("not enabled (state Disabled)"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_judges_parameters_by_type_and_key() {
    let aws = aws().await;
    let key = aws.customer_key().await;
    let put = |name: &'static str, kind: ParameterType, key: Option<String>| {
        aws.parameters
            .put_parameter()
            .name(name)
            .value("g".repeat(43))
            .r#type(kind)
            .set_key_id(key)
            .send()
    };
    put("/zt/good", ParameterType::SecureString, Some(key))
        .await
        .unwrap();
    put("/zt/default", ParameterType::SecureString, None)
        .await
        .unwrap();
    put("/zt/plain", ParameterType::String, None).await.unwrap();

    let out = zt(&aws.moto, &["secrets", "check", "ssm:/zt/good"]);
    assert!(out.status.success(), "{}", stdout(&out));

    let out = zt(&aws.moto, &["secrets", "check", "ssm:/zt/default"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("FAIL  kms-key"), "{}", stdout(&out));
    assert!(stdout(&out).contains("alias/aws/ssm"), "{}", stdout(&out));

    let out = zt(&aws.moto, &["secrets", "check", "ssm:/zt/plain"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAIL  secure-string"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_that_cannot_be_made_is_an_error_not_a_violation() {
    let aws = aws().await;
    let out = zt(&aws.moto, &["secrets", "check", "secretsmanager:absent"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cannot check secretsmanager:absent"), "{err}");
    assert!(
        err.contains("DescribeSecret") && err.contains("not found"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = zt_at(&endpoint, &["secrets", "check", "secretsmanager:any"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("AWS unreachable"), "{}", stderr(&out));

    let out = zt(&aws.moto, &["secrets", "check", "any-secret"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("secretsmanager:<secret id>"),
        "{}",
        stderr(&out)
    );
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
