//! Verifying a signed request with a 1 KiB body against a bare HMAC-SHA256 check of the body.
//!
//! Run with `cargo bench -p zt-core --no-default-features --bench psk`. The baseline is what
//! a hand-written handler would do at the least: `aws_lc_rs::hmac::verify` of the body under
//! a key prepared once. `zt_verify_signed` is `PskVerifier::verify_signed_at`: timestamp
//! check, SHA-256 of the body, the canonical string, an HMAC key set up from the current
//! version, the constant-time comparison, and the replay cache insert. Each iteration gets a
//! request signed beforehand (outside the timing) with a distinct query, so none is a replay.
#![allow(missing_docs, clippy::unwrap_used)] // Benchmark harness.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use futures_util::FutureExt as _;
use zt_core::secret::{MemorySource, Secret, SecretPolicy};
use zt_core::verify::psk::{
    body_digest, signature_header, PskSettings, PskVerifier, RequestParts, SignedHeaders,
    SignedParts,
};

const KEY: &[u8] = b"bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";

fn bench_psk(c: &mut Criterion) {
    let source = MemorySource::new();
    source.set_current(KEY);
    let secret = Secret::new("bench", source, SecretPolicy::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(secret.refresh_now()).unwrap();
    // A short window keeps the replay cache small: entries expire after three seconds.
    let settings = PskSettings::default()
        .window(Duration::from_secs(1))
        .replay_capacity(50_000_000);
    let verifier = PskVerifier::new("bench", secret, settings).unwrap();

    let body = vec![b'x'; 1024];
    let body_sha256 = body_digest(&body);
    let now = SystemTime::now();
    let timestamp = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let mut counter = 0_u64;
    let mut signed = || {
        counter += 1;
        let query = format!("n={counter}");
        let parts = SignedParts {
            method: "POST",
            path: "/hooks/deploy",
            query: &query,
            timestamp,
            body_sha256,
        };
        let header = signature_header(&[parts.sign(KEY)]);
        let headers = SignedHeaders::parse(&timestamp.to_string(), &header).unwrap();
        (headers, query)
    };

    let key = hmac::Key::new(hmac::HMAC_SHA256, KEY);
    let tag = hmac::sign(&key, &body);

    let mut group = c.benchmark_group("psk_verify_1kib");
    group.bench_function("bare_hmac_sha256", |b| {
        b.iter(|| hmac::verify(&key, black_box(&body), tag.as_ref()).unwrap());
    });
    group.bench_function("zt_verify_signed", |b| {
        b.iter_batched(
            &mut signed,
            |(headers, query)| {
                let request = RequestParts {
                    method: "POST",
                    path: "/hooks/deploy",
                    query: &query,
                    body: black_box(&body),
                };
                let verified = verifier.verify_signed_at(&headers, request, now);
                black_box(verified.now_or_never().unwrap().unwrap())
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench_psk);
criterion_main!(benches);
