//! The policy check's judgement of rotation age, against a real `moto_server`; the
//! command-line tests in zt-cli cover keys, policies and output forms.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::time::{Duration, SystemTime};

use aws_sdk_secretsmanager::types::RotationRulesType;
use zt_rotate::{PolicyCheck, Target};
use zt_testkit::MotoServer;

const DAY: Duration = Duration::from_secs(24 * 3600);

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_older_than_the_schedule_and_grace_is_a_violation() {
    let moto = MotoServer::start().expect("moto_server is needed for these tests");
    let config = patient(&moto.sdk_config().await);
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    secrets
        .create_secret()
        .name("aging")
        .secret_string("h".repeat(43))
        .send()
        .await
        .unwrap();
    secrets
        .rotate_secret()
        .secret_id("aging")
        .rotation_rules(
            RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        )
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    let target = Target::parse("secretsmanager:aging").unwrap();
    let recent = |report: &zt_rotate::Report| {
        report
            .findings
            .iter()
            .find(|f| f.rule == "recent-rotation")
            .unwrap()
            .clone()
    };

    let check = PolicyCheck::new(&config).grace(DAY);
    let today = recent(&check.check(&target).await.unwrap());
    assert!(today.passed, "{}", today.detail);
    let rotation = check.check(&target).await.unwrap().findings[2].clone();
    assert!(
        rotation.passed && rotation.detail.contains("every 30 days"),
        "{rotation:?}"
    );

    let in_grace = check.clone().at(SystemTime::now() + 30 * DAY + DAY / 2);
    let finding = recent(&in_grace.check(&target).await.unwrap());
    assert!(finding.passed, "{}", finding.detail);

    let late = check.at(SystemTime::now() + 32 * DAY);
    let report = late.check(&target).await.unwrap();
    let finding = recent(&report);
    assert!(!finding.passed);
    assert!(
        finding.detail.contains("beyond the schedule (30 days)"),
        "{}",
        finding.detail
    );
    assert!(!report.compliant);
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
