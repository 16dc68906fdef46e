//! `zt keys` against Secrets Manager and Parameter Store, served by a local `moto_server`.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::process::{Command, Output};

use zt_core::verify::api_key::KeyRing;
use zt_testkit::MotoServer;

fn zt(moto: &MotoServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zt"))
        .args(args)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn ok(moto: &MotoServer, args: &[&str]) -> String {
    let out = zt(moto, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "zt {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_written_to_secrets_manager_as_new_versions() {
    let moto = MotoServer::start().unwrap();
    let config = moto.sdk_config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    sm.create_secret()
        .name("api-keys")
        .secret_string(r#"{"version":1,"keys":[]}"#)
        .send()
        .await
        .unwrap();

    let ring = "secretsmanager:api-keys";
    let first = ok(
        &moto,
        &[
            "keys", "create", "--ring", ring, "--scopes", "export", "--owner", "a",
        ],
    );
    let second = ok(
        &moto,
        &[
            "keys", "create", "--ring", ring, "--scopes", "export", "--owner", "b",
        ],
    );

    let current = sm
        .get_secret_value()
        .secret_id("api-keys")
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    let text = current.secret_string().unwrap();
    assert!(!text.contains(first.trim()) && !text.contains(second.trim()));
    let keys = KeyRing::from_json(text.as_bytes()).unwrap();
    assert!(keys.verify(first.trim()).is_ok());
    assert!(keys.verify(second.trim()).is_ok());

    let previous = sm
        .get_secret_value()
        .secret_id("api-keys")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    let older = KeyRing::from_json(previous.secret_string().unwrap().as_bytes()).unwrap();
    assert!(
        older.verify(second.trim()).is_err(),
        "AWSPREVIOUS holds the ring before"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_written_to_a_parameter() {
    let moto = MotoServer::start().unwrap();
    let config = moto.sdk_config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    ssm.put_parameter()
        .name("/zt/api-keys")
        .value(" ")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();

    let ring = "ssm:/zt/api-keys";
    let key = ok(
        &moto,
        &[
            "keys", "create", "--ring", ring, "--scopes", "export", "--owner", "a",
        ],
    );
    let listed = ok(&moto, &["keys", "list", "--ring", ring, "--json"]);
    assert!(listed.contains("\"active\""));

    let value = ssm
        .get_parameter()
        .name("/zt/api-keys")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    let text = value.parameter().unwrap().value().unwrap();
    assert!(KeyRing::from_json(text.as_bytes())
        .unwrap()
        .verify(key.trim())
        .is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_secret_is_refused_with_a_hint() {
    let moto = MotoServer::start().unwrap();
    let out = zt(&moto, &["keys", "list", "--ring", "secretsmanager:nope"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--ring secretsmanager:nope"), "{err}");
    assert!(err.contains("create it first"), "{err}");
    assert!(err.lines().count() == 1 && err.len() < 400, "{err}");
}
