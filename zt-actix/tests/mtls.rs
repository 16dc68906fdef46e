//! Client certificates end to end: real rustls handshakes over loopback against actix-web
//! with the mTLS settings, every kind of certificate, identity rules, and revocation applied
//! to a connection that is already open.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on unexpected errors.

mod common;

use std::time::{Duration, Instant};

use zt_testkit::{HttpsConnection, TestCa, DEFAULT_SPIFFE_ID};

use common::{refused_in_handshake, Service};

#[test]
fn valid_certificate_reaches_the_handler_with_its_spiffe_id() {
    let ca = TestCa::new();
    let service = Service::start(&ca);

    let answer = service.get(&ca.client().issue(), "/billing").unwrap();

    assert_eq!(answer.status, 200);
    assert!(answer.body.contains(DEFAULT_SPIFFE_ID), "{}", answer.body);
    assert!(
        answer.body.contains("zt-testkit Intermediate CA"),
        "{}",
        answer.body
    );
    assert_eq!(service.runs(), 1);
}

#[test]
fn broken_certificates_are_refused_in_the_handshake() {
    let ca = TestCa::new();
    let impostor = ca.impostor();
    let service = Service::start(&ca);

    let cases = [
        ("expired", ca.client().expired().issue(), &ca),
        ("not yet valid", ca.client().not_yet_valid().issue(), &ca),
        (
            "without clientAuth",
            ca.client().without_client_auth().issue(),
            &ca,
        ),
        ("rogue CA copying the name", impostor.client().issue(), &ca),
    ];
    for (what, cert, server_ca) in cases {
        let config = cert.client_config(server_ca);
        assert!(
            refused_in_handshake(service.tls, config),
            "{what} certificate was accepted"
        );
    }
    assert_eq!(service.runs(), 0);
}

#[test]
fn no_certificate_is_refused_in_the_handshake_and_401_without_tls() {
    let ca = TestCa::new();
    let service = Service::start(&ca);

    let refused = refused_in_handshake(service.tls, ca.client_config_without_certificate());
    let plain = service.plain_get("/billing");

    assert!(refused, "a connection without a certificate was accepted");
    assert_eq!(plain.status, 401);
    assert_eq!(plain.header("www-authenticate"), None);
    assert_eq!(plain.body, r#"{"error":"unauthorized"}"#);
    assert_eq!(service.runs(), 0);
}

#[test]
fn certificate_revoked_before_connecting_is_refused() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let cert = ca.client().issue();
    service.revoke(&ca, &[&cert]);
    service.zt.reload_mtls().unwrap(); // or the reload thread already did

    assert!(refused_in_handshake(service.tls, cert.client_config(&ca)));
    assert_eq!(service.runs(), 0);
}

#[test]
fn certificate_without_san_or_with_another_identity_is_forbidden() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let no_san = ca
        .client()
        .without_san()
        .common_name("reports.example.test");
    let payroll = ca.client().spiffe("spiffe://example.test/service/payroll");
    let look_alike = ca
        .client()
        .spiffe("spiffe://example.test/service/billing-evil");

    for (what, cert, route) in [
        ("no SAN, DNS-like CN", no_san.issue(), "/policy"),
        ("another service", payroll.issue(), "/billing"),
        ("look-alike id", look_alike.issue(), "/billing"),
    ] {
        let answer = service.get(&cert, route).unwrap();
        assert_eq!(answer.status, 403, "{what}");
        assert_eq!(answer.header("www-authenticate"), None, "{what}");
        assert_eq!(answer.body, r#"{"error":"forbidden"}"#, "{what}");
    }
    assert_eq!(service.runs(), 0);
}

#[test]
fn prefix_rule_takes_every_id_below_the_path_only() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let payroll = ca
        .client()
        .spiffe("spiffe://example.test/service/payroll")
        .issue();
    let nightly = ca
        .client()
        .spiffe("spiffe://example.test/batch/nightly")
        .issue();
    let batch_itself = ca.client().spiffe("spiffe://example.test/batch").issue();
    let other_domain = ca
        .client()
        .spiffe("spiffe://example.testing/service/x")
        .issue();

    assert_eq!(service.get(&payroll, "/services").unwrap().status, 200);
    assert_eq!(service.get(&nightly, "/batch").unwrap().status, 200);
    assert_eq!(service.get(&batch_itself, "/batch").unwrap().status, 403);
    assert_eq!(service.get(&other_domain, "/services").unwrap().status, 403);
    assert_eq!(service.get(&nightly, "/services").unwrap().status, 403);
    assert_eq!(service.runs(), 2);
}

#[test]
fn named_policy_takes_its_spiffe_ids_and_dns_names() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let billing = ca.client().issue();
    let reports = ca
        .client()
        .without_san()
        .dns("reports.example.test")
        .issue();
    let payroll = ca
        .client()
        .spiffe("spiffe://example.test/service/payroll")
        .issue();

    let by_id = service.get(&billing, "/policy").unwrap();
    let by_dns = service.get(&reports, "/policy").unwrap();
    let outside = service.get(&payroll, "/policy").unwrap();

    assert_eq!(by_id.status, 200);
    assert_eq!(by_dns.status, 200);
    assert!(
        by_dns.body.contains("reports.example.test"),
        "{}",
        by_dns.body
    );
    assert_eq!(outside.status, 403);
    assert_eq!(service.runs(), 2);
}

#[test]
fn revocation_reaches_an_open_connection_within_five_seconds() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let cert = ca.client().issue();
    let mut connection = HttpsConnection::open(service.tls, cert.client_config(&ca)).unwrap();
    assert_eq!(connection.get("/billing").unwrap().status, 200);

    service.revoke(&ca, &[&cert]);
    let revoked_at = Instant::now();
    let refused = loop {
        let answer = connection.get("/billing").unwrap();
        if answer.status != 200 || revoked_at.elapsed() > Duration::from_secs(10) {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(100));
    };

    assert_eq!(refused.status, 401);
    assert_eq!(refused.body, r#"{"error":"invalid_token"}"#);
    assert_eq!(refused.header("www-authenticate"), None);
    assert!(
        revoked_at.elapsed() < Duration::from_secs(5),
        "{:?}",
        revoked_at.elapsed()
    );
    assert!(refused_in_handshake(service.tls, cert.client_config(&ca)));
}

#[test]
fn revocation_of_one_certificate_leaves_others_on_open_connections() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let revoked = ca.client().issue();
    let kept = ca.client().issue();
    let mut kept_connection = HttpsConnection::open(service.tls, kept.client_config(&ca)).unwrap();

    service.revoke(&ca, &[&revoked]);
    std::thread::sleep(Duration::from_millis(1500));

    assert_eq!(kept_connection.get("/billing").unwrap().status, 200);
}

#[test]
fn crl_past_its_next_update_refuses_open_connections() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let cert = ca.client().issue();
    let mut connection = HttpsConnection::open(service.tls, cert.client_config(&ca)).unwrap();
    assert_eq!(connection.get("/billing").unwrap().status, 200);

    service
        .files
        .replace_crls(&[ca.root_crl().sign(), ca.crl().expired().sign()])
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut status = 200;
    while status == 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        status = connection.get("/billing").unwrap().status;
    }

    assert_eq!(status, 401);
}

#[test]
fn intermediate_revoked_by_the_root_refuses_open_connections() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let cert = ca.client().issue();
    let mut connection = HttpsConnection::open(service.tls, cert.client_config(&ca)).unwrap();
    assert_eq!(connection.get("/billing").unwrap().status, 200);

    let root_crl = ca
        .root_crl()
        .revoke_serial(&common::serial_of(&ca.intermediate_der()));
    service
        .files
        .replace_crls(&[root_crl.sign(), ca.crl().sign()])
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut status = 200;
    while status == 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        status = connection.get("/billing").unwrap().status;
    }

    assert_eq!(status, 401);
}

#[test]
fn broken_crl_file_keeps_the_previous_material() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let cert = ca.client().issue();

    std::fs::write(&service.files.crl, "-----BEGIN X509 CRL-----\nbroken\n").unwrap();
    let reload = service.zt.reload_mtls();

    let message = reload.unwrap_err().to_string();
    assert!(message.contains("crl.pem"), "{message}");
    assert_eq!(service.get(&cert, "/billing").unwrap().status, 200);
}

#[test]
fn server_certificate_is_replaced_while_running() {
    let ca = TestCa::new();
    let service = Service::start(&ca);
    let other = TestCa::named("Other Root", "Other Intermediate");
    let cert = ca.client().issue();
    let server = other.server();

    std::fs::write(&service.files.cert, server.chain_pem()).unwrap();
    std::fs::write(&service.files.key, server.key_pem().as_bytes()).unwrap();
    assert!(service.zt.reload_mtls().unwrap());

    let trusting_other =
        zt_testkit::client_config(other.root_der(), Some((cert.chain(), cert.key_der())));
    let mut connection = HttpsConnection::open(service.tls, trusting_other).unwrap();
    assert_eq!(connection.get("/billing").unwrap().status, 200);
    assert!(refused_in_handshake(service.tls, cert.client_config(&ca)));
}
