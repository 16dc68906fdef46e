//! Startup checks of client-certificate settings: an unknown policy name, unreadable or
//! incomplete material.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use zt_actix::__private::{inventory, Declaration};
use zt_actix::mtls::MtlsSettings;
use zt_actix::{IdentityRule, Requirement, ZeroTrust};
use zt_core::ConfigError;
use zt_testkit::TestCa;

// What `#[zero_trust(mtls, policy = "partners")]` on `settle` registers.
inventory::submit! {
    Declaration::new(
        "mtls_config",
        "settle",
        Requirement::Mtls { identity: IdentityRule::Policy("partners") },
    )
}

fn files(ca: &TestCa) -> (tempfile::TempDir, zt_testkit::MtlsFiles) {
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write_mtls_files(dir.path()).unwrap();
    (dir, files)
}

fn settings(files: &zt_testkit::MtlsFiles) -> MtlsSettings {
    MtlsSettings::from_files(&files.ca, &files.crl, &files.cert, &files.key)
}

#[test]
fn unknown_policy_name_stops_the_build_naming_it_and_the_handler() {
    let ca = TestCa::new();
    let (_dir, files) = files(&ca);

    let error = ZeroTrust::builder()
        .mtls(settings(&files))
        .build()
        .unwrap_err();

    let message = error.to_string();
    assert!(
        matches!(error, ConfigError::Unconfigured { .. }),
        "{message}"
    );
    assert!(message.contains("mtls policy `partners`"), "{message}");
    assert!(message.contains("mtls_config::settle"), "{message}");
}

#[test]
fn mtls_route_without_mtls_settings_stops_the_build() {
    let error = ZeroTrust::builder().build().unwrap_err();

    assert!(
        error.to_string().starts_with("mtls is not configured"),
        "{error}"
    );
}

#[test]
fn known_policy_builds() {
    let ca = TestCa::new();
    let (_dir, files) = files(&ca);
    let policy = zt_core::verify::mtls::IdentityPolicy::new().allow_dns("partner.example.test");

    let zt = ZeroTrust::builder()
        .mtls(settings(&files).policy("partners", policy))
        .build();

    assert!(zt.is_ok());
}

#[test]
fn missing_or_incomplete_material_is_refused_naming_the_file() {
    let ca = TestCa::new();
    let (_dir, files) = files(&ca);
    let policy = zt_core::verify::mtls::IdentityPolicy::new();
    let build = |settings: MtlsSettings| {
        ZeroTrust::builder()
            .mtls(settings.policy("partners", policy.clone()))
            .build()
            .unwrap_err()
            .to_string()
    };

    let missing = build(MtlsSettings::from_files(
        files.ca.with_file_name("nope.pem"),
        &files.crl,
        &files.cert,
        &files.key,
    ));
    std::fs::write(files.crl.with_file_name("empty.pem"), "").unwrap();
    let no_crl = build(MtlsSettings::from_files(
        &files.ca,
        files.crl.with_file_name("empty.pem"),
        &files.cert,
        &files.key,
    ));
    let other_key = ca.server();
    std::fs::write(
        files.key.with_file_name("other.key"),
        other_key.key_pem().as_bytes(),
    )
    .unwrap();
    let mismatched = build(MtlsSettings::from_files(
        &files.ca,
        &files.crl,
        &files.cert,
        files.key.with_file_name("other.key"),
    ));

    assert!(
        missing.contains("mtls CA file") && missing.contains("nope.pem"),
        "{missing}"
    );
    assert!(no_crl.contains("empty.pem"), "{no_crl}");
    assert!(mismatched.contains("server certificate"), "{mismatched}");
    assert!(!mismatched.contains("PRIVATE KEY"), "{mismatched}");
}

#[test]
fn unreadable_key_is_refused_without_echoing_it() {
    let ca = TestCa::new();
    let (_dir, files) = files(&ca);
    let leaked = "c2VjcmV0LWtleS1ieXRlcw";
    std::fs::write(
        &files.key,
        format!("-----BEGIN PRIVATE KEY-----\n{leaked}\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let policy = zt_core::verify::mtls::IdentityPolicy::new();

    let error = ZeroTrust::builder()
        .mtls(settings(&files).policy("partners", policy))
        .build()
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("mtls server key file"), "{message}");
    assert!(!message.contains(leaked), "{message}");
    assert!(!format!("{error:?}").contains(leaked));
}
