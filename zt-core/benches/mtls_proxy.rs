//! Reading a forwarded client certificate, per header format, against a direct rustls
//! verification of the same chain as the baseline.
//!
//! Run with `CARGO_TARGET_DIR=/var/tmp/zt-bench cargo bench -p zt-core --bench mtls_proxy`.
#![allow(missing_docs, clippy::unwrap_used)] // Benchmark harness.

use std::hint::black_box;
use std::net::IpAddr;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::pki_types::UnixTime;
use rustls::server::danger::ClientCertVerifier as _;
use zt_core::verify::mtls::{
    ForwardedCertificates, PeerIdentity, ProxyFormat, ReloadableClientVerifier, TrustBundle,
};
use zt_testkit::{ForwardedHeaders, TestCa};

fn bench_identify(c: &mut Criterion) {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let bundle = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().sign().der());
    let proxy: IpAddr = "10.0.0.5".parse().unwrap();
    let client: IpAddr = "203.0.113.5".parse().unwrap();

    // Baseline: what the handshake verifier does with the same chain, plus reading the
    // identity.
    let verifier = Arc::new(ReloadableClientVerifier::new(&bundle).unwrap());
    let chain = cert.chain();
    c.bench_function("baseline_rustls_verify_and_identity", |b| {
        b.iter(|| {
            verifier
                .verify_client_cert(&chain[0], &chain[1..], UnixTime::now())
                .unwrap();
            black_box(PeerIdentity::from_der(&chain[0]).unwrap())
        });
    });

    let formats = [
        (
            "alb_verify",
            ProxyFormat::AlbVerify,
            ForwardedHeaders::alb_verify(&cert),
        ),
        (
            "alb_passthrough",
            ProxyFormat::AlbPassthrough,
            ForwardedHeaders::alb_passthrough(&cert),
        ),
        ("xfcc", ProxyFormat::Xfcc, ForwardedHeaders::xfcc(&cert)),
        (
            "rfc9440",
            ProxyFormat::Rfc9440,
            ForwardedHeaders::rfc9440(&cert),
        ),
    ];
    for (name, format, headers) in &formats {
        let fwd = ForwardedCertificates::builder(*format)
            .trusted_proxy("10.0.0.0/8")
            .trust_bundle(bundle.clone())
            .build()
            .unwrap();
        c.bench_function(&format!("identify_{name}"), |b| {
            b.iter(|| {
                let who = fwd.identify(black_box(proxy), &|n| headers.get(n)).unwrap();
                black_box(who.unwrap())
            });
        });
        if *format == ProxyFormat::Xfcc {
            let none = ForwardedHeaders::new();
            c.bench_function("identify_absent", |b| {
                b.iter(|| black_box(fwd.identify(black_box(proxy), &|n| none.get(n)).unwrap()));
            });
            c.bench_function("identify_forged", |b| {
                b.iter(|| black_box(fwd.identify(black_box(client), &|n| headers.get(n))));
            });
        }
    }
}

criterion_group!(benches, bench_identify);
criterion_main!(benches);
