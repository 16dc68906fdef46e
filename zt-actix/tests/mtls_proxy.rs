//! Client certificates forwarded by a TLS-terminating proxy, through `#[zero_trust(mtls, ..)]`:
//! accepted from the trusted proxy, refused as forged from anyone else, and checked against
//! the CRL files as they are reloaded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on unexpected errors.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{test, web, App, HttpResponse};
use zt_actix::mtls::MtlsSettings;
use zt_actix::{route, zero_trust, ConfigError, Principal, ZeroTrust};
use zt_core::verify::mtls::{ForwardedCertificates, ProxyFormat, TrustBundle};
use zt_testkit::{ForwardedHeaders, IssuedCert, MtlsFiles, TestCa, DEFAULT_SPIFFE_ID};

/// Serves callers whose forwarded certificate names a service below `/service/`.
#[zero_trust(mtls, identity = "spiffe://example.test/service/*")]
async fn billing(who: Principal, runs: web::Data<AtomicUsize>) -> HttpResponse {
    runs.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(who.subject().to_owned())
}

/// Builds one proxy format's headers for a certificate.
type HeadersFor = fn(&IssuedCert) -> ForwardedHeaders;

const PROXY: &str = "10.0.0.7:40000";
const STRANGER: &str = "203.0.113.9:40000";

fn forwarded(ca: &TestCa, format: ProxyFormat) -> ForwardedCertificates {
    // The builder's bundle is replaced by the settings' CA and CRL files at startup.
    let bundle = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().sign().der());
    ForwardedCertificates::builder(format)
        .trusted_proxy("10.0.0.0/24")
        .trust_bundle(bundle)
        .build()
        .unwrap()
}

fn configure(ca: &TestCa, dir: &std::path::Path, format: ProxyFormat) -> (ZeroTrust, MtlsFiles) {
    let files = ca.write_mtls_files(dir).unwrap();
    let zt = ZeroTrust::builder()
        .mtls(MtlsSettings::behind_proxy(
            &files.ca,
            &files.crl,
            forwarded(ca, format),
        ))
        .build()
        .unwrap();
    (zt, files)
}

/// Sends one request from `peer`; returns the status, the body and whether the handler ran.
async fn call(zt: &ZeroTrust, peer: &str, headers: &ForwardedHeaders) -> (u16, String, bool) {
    let runs = web::Data::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new()
            .app_data(zt.clone())
            .app_data(runs.clone())
            .route("/billing", route::get(billing)),
    )
    .await;
    let mut request = test::TestRequest::get()
        .uri("/billing")
        .peer_addr(peer.parse::<SocketAddr>().unwrap());
    for (name, value) in headers.iter() {
        request = request.insert_header((name, value));
    }
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    let ran = runs.load(Ordering::SeqCst) > 0;
    (status, String::from_utf8_lossy(&body).into_owned(), ran)
}

#[actix_web::test]
async fn every_format_from_the_trusted_proxy_reaches_the_handler() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let cases: [(ProxyFormat, HeadersFor); 4] = [
        (ProxyFormat::AlbVerify, ForwardedHeaders::alb_verify),
        (
            ProxyFormat::AlbPassthrough,
            ForwardedHeaders::alb_passthrough,
        ),
        (ProxyFormat::Xfcc, ForwardedHeaders::xfcc),
        (ProxyFormat::Rfc9440, ForwardedHeaders::rfc9440),
    ];
    for (format, headers) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (zt, _files) = configure(&ca, dir.path(), format);

        let (status, body, _) = call(&zt, PROXY, &headers(&cert)).await;

        assert_eq!(status, 200, "{format:?}: {body}");
        assert_eq!(body, DEFAULT_SPIFFE_ID, "{format:?}");
    }
}

#[actix_web::test]
async fn forged_headers_from_another_peer_never_authenticate() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let (zt, _files) = configure(&ca, dir.path(), ProxyFormat::Xfcc);

    let (status, body, ran) =
        call(&zt, STRANGER, &ForwardedHeaders::xfcc(&ca.client().issue())).await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(body, r#"{"error":"invalid_request"}"#);
    assert!(!ran, "the handler ran for forged headers");
}

#[actix_web::test]
async fn without_headers_or_a_tls_certificate_the_caller_is_unauthenticated() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let (zt, _files) = configure(&ca, dir.path(), ProxyFormat::Rfc9440);

    let (status, body, _) = call(&zt, PROXY, &ForwardedHeaders::new()).await;

    assert_eq!(status, 401, "{body}");
}

#[actix_web::test]
async fn an_identity_outside_the_rule_is_forbidden_and_a_rogue_ca_is_untrusted() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let (zt, _files) = configure(&ca, dir.path(), ProxyFormat::AlbPassthrough);

    let batch = ca
        .client()
        .spiffe("spiffe://example.test/batch/nightly")
        .issue();
    let (status, _, _) = call(&zt, PROXY, &ForwardedHeaders::alb_passthrough(&batch)).await;
    assert_eq!(status, 403);

    let rogue = ca.impostor().client().issue();
    let (status, _, _) = call(&zt, PROXY, &ForwardedHeaders::alb_passthrough(&rogue)).await;
    assert_eq!(status, 401);
}

#[actix_web::test]
async fn a_revocation_in_the_crl_file_applies_to_forwarded_certificates() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let dir = tempfile::tempdir().unwrap();
    let (zt, files) = configure(&ca, dir.path(), ProxyFormat::Xfcc);
    let (status, _, _) = call(&zt, PROXY, &ForwardedHeaders::xfcc(&cert)).await;
    assert_eq!(status, 200);

    files
        .replace_crls(&[ca.root_crl().sign(), ca.crl().revoke(&cert).sign()])
        .unwrap();
    assert!(zt.reload_mtls().unwrap(), "the new CRL was not applied");

    let (status, body, _) = call(&zt, PROXY, &ForwardedHeaders::xfcc(&cert)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body, r#"{"error":"invalid_token"}"#);
}

#[actix_web::test]
async fn settings_behind_a_proxy_serve_no_tls_listener() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let (zt, _files) = configure(&ca, dir.path(), ProxyFormat::Xfcc);

    let error = zt.mtls_server_config().unwrap_err();

    assert!(
        matches!(&error, ConfigError::Missing { setting, .. } if setting == "mtls server certificate"),
        "{error}"
    );
}
