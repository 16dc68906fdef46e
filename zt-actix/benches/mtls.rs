//! Client certificates: the per-request identity check, and full TLS handshakes of the
//! service's server configuration against a plain rustls mTLS configuration.
//!
//! Run with `cargo bench -p zt-actix --bench mtls`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // Benchmark harness.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use zt_actix::mtls::{MtlsSettings, PeerCertificate};
use zt_actix::ZeroTrust;
use zt_core::verify::mtls::{
    IdentityPolicy, ReloadableClientVerifier, RevocationStatus, TrustBundle,
};
use zt_core::{Mechanism, Principal};
use zt_testkit::TestCa;

/// The per-request work of an mTLS route on an open connection: revocation of the
/// connection's chain against the CRLs in force, the identity rule, the principal.
fn bench_identity(c: &mut Criterion) {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    // A CRL listing 10 000 other certificates.
    let crl = (0..10_000u32).fold(ca.crl(), |crl, n| {
        crl.revoke_serial(&[&[0x40], &n.to_be_bytes()[..]].concat())
    });
    let bundle = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(crl.sign().der());
    let verifier = ReloadableClientVerifier::new(&bundle).unwrap();
    let peer = PeerCertificate::from_chain(&cert.chain());
    let exact = IdentityPolicy::new()
        .allow_spiffe("spiffe://example.test/service/billing")
        .unwrap();
    let prefix = IdentityPolicy::new()
        .allow_spiffe("spiffe://example.test/service/*")
        .unwrap();

    let check = |policy: &IdentityPolicy| {
        let identity = peer.identity().unwrap();
        let now = UnixTime::now();
        assert_eq!(
            verifier.revocation_status(peer.chain_keys(), now),
            RevocationStatus::Good
        );
        assert!(policy.allows(identity));
        Principal::new(
            Mechanism::ClientCertificate,
            identity.issuer(),
            identity.spiffe_id().unwrap_or_default(),
        )
    };

    let mut group = c.benchmark_group("mtls/per_request");
    group.bench_function("exact_spiffe_rule_10k_crl", |b| {
        b.iter(|| check(black_box(&exact)));
    });
    group.bench_function("prefix_spiffe_rule_10k_crl", |b| {
        b.iter(|| check(black_box(&prefix)));
    });
    group.bench_function("capture_per_connection", |b| {
        b.iter(|| PeerCertificate::from_chain(black_box(&cert.chain())));
    });
    group.finish();
}

/// Full in-memory handshakes, client certificate included: the service's configuration
/// (reloadable verifier and server certificate) against rustls' own `WebPkiClientVerifier`
/// with a single certificate, same CA, same CRLs, same provider.
fn bench_handshake(c: &mut Criterion) {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write_mtls_files(dir.path()).unwrap();
    let zt = ZeroTrust::builder()
        .mtls(MtlsSettings::from_files(
            &files.ca,
            &files.crl,
            &files.cert,
            &files.key,
        ))
        .build()
        .unwrap();
    let ours = Arc::new(zt.mtls_server_config().unwrap());
    let plain = Arc::new(plain_config(&ca, &files));

    let cert = ca.client().issue();
    let client = Arc::new(cert.client_config(&ca));

    let mut group = c.benchmark_group("mtls/handshake");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("zt_server_config", |b| {
        b.iter(|| handshake(&client, &ours));
    });
    group.bench_function("plain_webpki_verifier", |b| {
        b.iter(|| handshake(&client, &plain));
    });
    group.finish();

    paired_handshakes(&client, &ours, &plain);
}

/// Alternates short runs of both configurations, so that the machine's slow and fast
/// phases fall on both alike, and prints the median of the per-round throughput ratios.
fn paired_handshakes(
    client: &Arc<ClientConfig>,
    ours: &Arc<ServerConfig>,
    plain: &Arc<ServerConfig>,
) {
    const ROUNDS: usize = 300;
    const PER_ROUND: u32 = 20;
    let time = |server: &Arc<ServerConfig>| {
        let start = std::time::Instant::now();
        for _ in 0..PER_ROUND {
            handshake(client, server);
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            // Alternate which goes first, too.
            let (zt, plain) = if round % 2 == 0 {
                let zt = time(ours);
                (zt, time(plain))
            } else {
                let plain = time(plain);
                (time(ours), plain)
            };
            plain / zt
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "mtls/handshake/paired: zt handshakes per second / plain = {:.3} (median of {ROUNDS} \
         alternating rounds of {PER_ROUND}; quartiles {:.3} to {:.3})",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[ROUNDS * 3 / 4],
    );
}

fn plain_config(ca: &TestCa, files: &zt_testkit::MtlsFiles) -> ServerConfig {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

    let provider = Arc::new(aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(ca.root_der()).unwrap();
    let crls = CertificateRevocationListDer::pem_file_iter(&files.crl)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls)
        .enforce_revocation_expiration()
        .build()
        .unwrap();
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&files.key).unwrap();
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap()
}

fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) {
    let name = ServerName::try_from("localhost").unwrap();
    let mut client = ClientConnection::new(client.clone(), name).unwrap();
    let mut server = ServerConnection::new(server.clone()).unwrap();
    let mut buf = Vec::with_capacity(16 * 1024);
    while client.is_handshaking() || server.is_handshaking() {
        buf.clear();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            server.read_tls(&mut slice).unwrap();
        }
        server.process_new_packets().unwrap();

        buf.clear();
        while server.wants_write() {
            server.write_tls(&mut buf).unwrap();
        }
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            client.read_tls(&mut slice).unwrap();
        }
        client.process_new_packets().unwrap();
    }
    assert!(server.peer_certificates().is_some());
}

criterion_group!(benches, bench_identity, bench_handshake);
criterion_main!(benches);
