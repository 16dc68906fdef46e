//! Client certificates checked in real TLS handshakes over loopback.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::crypto::aws_lc_rs;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore, ServerConfig};
use rustls::{ServerConnection, Stream};
use zt_core::verify::mtls::{
    server_config, IdentityPolicy, PeerIdentity, ReloadableClientVerifier, TrustBundle,
};
use zt_testkit::{IssuedCert, TestCa, DEFAULT_SPIFFE_ID};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A trust bundle for `ca` with current, empty CRLs from its root and intermediate.
fn bundle(ca: &TestCa) -> TrustBundle {
    TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().sign().der())
}

/// A server trusting `bundle`, with the verifier kept for reloads.
fn server(ca: &TestCa, bundle: &TrustBundle) -> (Arc<ServerConfig>, Arc<ReloadableClientVerifier>) {
    let verifier = Arc::new(ReloadableClientVerifier::new(bundle).unwrap());
    let cert = ca.server();
    let config = server_config(verifier.clone(), cert.chain(), cert.key_der()).unwrap();
    (Arc::new(config), verifier)
}

/// Runs one handshake on loopback and returns the server's verdict: the peer's identity, or
/// the rustls error that ended the handshake.
fn handshake(
    config: &Arc<ServerConfig>,
    ca: &TestCa,
    client: Option<&IssuedCert>,
) -> Result<PeerIdentity, rustls::Error> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = config.clone();
    let server = thread::spawn(move || serve_one(&listener, config));

    connect(addr, ca, client);

    server.join().unwrap()
}

fn serve_one(
    listener: &TcpListener,
    config: Arc<ServerConfig>,
) -> Result<PeerIdentity, rustls::Error> {
    let (mut sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut conn = ServerConnection::new(config).unwrap();

    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            return Err(rustls_error(e));
        }
    }

    let certs = conn
        .peer_certificates()
        .expect("a finished handshake has a client cert");
    let identity = PeerIdentity::from_der(&certs[0]).unwrap();
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    Ok(identity)
}

/// Connects as a client that trusts `ca` for the server and presents `client`, then waits
/// for the server to close; the client's own view of the handshake is not asserted.
fn connect(addr: std::net::SocketAddr, ca: &TestCa, client: Option<&IssuedCert>) {
    let mut roots = RootCertStore::empty();
    roots.add(ca.root_der()).unwrap();
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match client {
        Some(cert) => builder
            .with_client_auth_cert(cert.chain(), cert.key_der())
            .unwrap(),
        None => builder.with_no_client_auth(),
    };

    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = ClientConnection::new(Arc::new(config), name).unwrap();
    let mut sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();

    let mut sink = Vec::new();
    let _ = Stream::new(&mut conn, &mut sock).read_to_end(&mut sink);
}

fn rustls_error(e: io::Error) -> rustls::Error {
    let shown = e.to_string();
    let Some(inner) = e.into_inner() else {
        panic!("handshake failed outside TLS: {shown}");
    };
    match inner.downcast::<rustls::Error>() {
        Ok(tls) => *tls,
        Err(_) => panic!("handshake failed outside TLS: {shown}"),
    }
}

fn certificate_error(result: Result<PeerIdentity, rustls::Error>) -> CertificateError {
    match result {
        Err(rustls::Error::InvalidCertificate(e)) => e,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn valid_certificate_is_accepted_and_its_identity_read() {
    let ca = TestCa::new();
    let (config, _) = server(&ca, &bundle(&ca));
    let cert = ca.client().dns("billing.example.test").issue();

    let who = handshake(&config, &ca, Some(&cert)).unwrap();

    assert_eq!(who.spiffe_id(), Some(DEFAULT_SPIFFE_ID));
    assert_eq!(who.dns_names(), ["billing.example.test"]);
    assert_eq!(who, PeerIdentity::from_der(&cert.der()).unwrap());
    let policy = IdentityPolicy::new()
        .allow_spiffe("spiffe://example.test/service/*")
        .unwrap();
    assert!(policy.allows(&who));
}

#[test]
fn certificate_without_san_connects_but_no_policy_accepts_it() {
    let ca = TestCa::new();
    let (config, _) = server(&ca, &bundle(&ca));
    let cert = ca.client().without_san().common_name("billing").issue();

    let who = handshake(&config, &ca, Some(&cert)).unwrap();

    let policy = IdentityPolicy::new()
        .allow_spiffe("spiffe://example.test/*")
        .unwrap()
        .allow_dns("billing");
    assert!(!policy.allows(&who));
}

#[test]
fn expired_certificate_is_refused() {
    let ca = TestCa::new();
    let (config, _) = server(&ca, &bundle(&ca));

    let err = certificate_error(handshake(
        &config,
        &ca,
        Some(&ca.client().expired().issue()),
    ));

    assert!(
        matches!(
            err,
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn not_yet_valid_certificate_is_refused() {
    let ca = TestCa::new();
    let (config, _) = server(&ca, &bundle(&ca));

    let cert = ca.client().not_yet_valid().issue();
    let err = certificate_error(handshake(&config, &ca, Some(&cert)));

    assert!(
        matches!(
            err,
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn certificate_from_another_ca_is_refused() {
    let ca = TestCa::new();
    let other = TestCa::named("Other Root", "Other Intermediate");
    let (config, _) = server(&ca, &bundle(&ca));

    let err = certificate_error(handshake(&config, &ca, Some(&other.client().issue())));

    assert_eq!(err, CertificateError::UnknownIssuer);
}

#[test]
fn rogue_ca_copying_the_trusted_names_is_refused() {
    let ca = TestCa::new();
    let rogue = ca.impostor();
    let (config, _) = server(&ca, &bundle(&ca));

    let err = certificate_error(handshake(&config, &ca, Some(&rogue.client().issue())));

    // The chain is built by name, then the rogue intermediate's signature fails.
    assert!(
        matches!(
            err,
            CertificateError::BadSignature | CertificateError::UnknownIssuer
        ),
        "{err:?}"
    );
}

#[test]
fn revoked_certificate_is_refused() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let bundle = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().revoke(&cert).sign().der());
    let (config, _) = server(&ca, &bundle);

    let err = certificate_error(handshake(&config, &ca, Some(&cert)));

    assert_eq!(err, CertificateError::Revoked);
}

#[test]
fn certificate_without_client_auth_usage_is_refused() {
    let ca = TestCa::new();
    let (config, _) = server(&ca, &bundle(&ca));

    let cert = ca.client().without_client_auth().issue();
    let err = certificate_error(handshake(&config, &ca, Some(&cert)));

    assert!(
        matches!(
            err,
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn missing_client_certificate_is_refused() {
    let ca = TestCa::new();
    let (config, _) = server(&ca, &bundle(&ca));

    let result = handshake(&config, &ca, None);

    assert_eq!(result, Err(rustls::Error::NoCertificatesPresented));
}

#[test]
fn expired_crl_is_refused() {
    let ca = TestCa::new();
    let bundle = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().expired().sign().der());
    let (config, _) = server(&ca, &bundle);

    let err = certificate_error(handshake(&config, &ca, Some(&ca.client().issue())));

    assert!(
        matches!(
            err,
            CertificateError::ExpiredRevocationList
                | CertificateError::ExpiredRevocationListContext { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn unknown_revocation_status_is_refused() {
    let ca = TestCa::new();
    let bundle = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.crl().sign().der());
    let (config, _) = server(&ca, &bundle);

    let err = certificate_error(handshake(&config, &ca, Some(&ca.client().issue())));

    assert_eq!(err, CertificateError::UnknownRevocationStatus);
}

#[test]
fn new_handshakes_fail_after_a_crl_revoking_the_certificate_is_swapped_in() {
    let ca = TestCa::new();
    let (config, verifier) = server(&ca, &bundle(&ca));
    let cert = ca.client().issue();
    assert!(handshake(&config, &ca, Some(&cert)).is_ok());

    let revoking = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().revoke(&cert).sign().der());
    verifier.reload(&revoking).unwrap();

    let err = certificate_error(handshake(&config, &ca, Some(&cert)));
    assert_eq!(err, CertificateError::Revoked);
    assert!(handshake(&config, &ca, Some(&ca.client().issue())).is_ok());
}

#[test]
fn swapping_in_a_new_root_trusts_its_certificates() {
    let ca = TestCa::new();
    let next = TestCa::named("Next Root", "Next Intermediate");
    let (config, verifier) = server(&ca, &bundle(&ca));
    let cert = next.client().issue();
    assert!(handshake(&config, &ca, Some(&cert)).is_err());

    verifier.reload(&bundle(&next)).unwrap();

    assert!(handshake(&config, &ca, Some(&cert)).is_ok());
    assert!(handshake(&config, &ca, Some(&ca.client().issue())).is_err());
}

#[test]
fn identity_outside_the_policy_connects_but_is_not_allowed() {
    let ca = TestCa::new();
    let (config, _) = server(&ca, &bundle(&ca));
    let cert = ca
        .client()
        .spiffe("spiffe://example.test/service/billing-evil")
        .issue();

    let who = handshake(&config, &ca, Some(&cert)).unwrap();

    let policy = IdentityPolicy::new()
        .allow_spiffe("spiffe://example.test/service/billing")
        .unwrap()
        .allow_spiffe("spiffe://other.test/*")
        .unwrap();
    assert!(!policy.allows(&who));
}
