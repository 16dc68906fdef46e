//! Token verification cost against a bare jsonwebtoken decode with the same key.
//!
//! Run with `cargo bench -p zt-core --bench verify`. Both sides use the aws-lc-rs backend
//! and a key parsed once; ours adds the header peek, key lookup, the stricter claim checks
//! and building the principal. `zt_verify` runs with the verified-token cache off, so every
//! iteration checks the signature; `zt_verify_cached` presents a token verified before.
#![allow(missing_docs, clippy::unwrap_used)] // Benchmark harness.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use zt_core::{Issuer, OidcVerifier, Provider};
use zt_testkit::{Flavor, KeyAlg, TestIssuer};

/// The claims a typical hand-written handler would decode.
#[derive(Deserialize)]
#[allow(dead_code)] // Fields are decoded, not read.
struct TypicalClaims {
    sub: String,
    iss: String,
    exp: u64,
    scope: String,
}

fn bench_verify(c: &mut Criterion) {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let config = Issuer::auth0(issuer.issuer()).audience(issuer.audience());
    let cached = OidcVerifier::new(Provider::Auth0, config.clone()).unwrap();
    let verifier = OidcVerifier::new(Provider::Auth0, config.verified_cache(0)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let jwks = issuer.jwks();
    for alg in [KeyAlg::Rs256, KeyAlg::Es256, KeyAlg::EdDsa] {
        let token = issuer
            .token()
            .algorithm(alg)
            .scopes(&["read", "write"])
            .sign();
        runtime.block_on(verifier.verify(&token)).unwrap();
        runtime.block_on(cached.verify(&token)).unwrap();

        let kid = issuer.current_kid(alg);
        let jwk_value = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .unwrap()
            .clone();
        let jwk: Jwk = serde_json::from_value(jwk_value).unwrap();
        let key = DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = Validation::new(alg.algorithm());
        validation.set_issuer(&[issuer.issuer()]);
        validation.set_audience(&[issuer.audience()]);

        let mut group = c.benchmark_group(format!("verify/{}", alg.name()));
        group.bench_function("jsonwebtoken_decode", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<TypicalClaims>(black_box(&token), &key, &validation).unwrap()
            });
        });
        group.bench_function("zt_verify", |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(&token))
                    .now_or_never()
                    .unwrap()
                    .unwrap()
            });
        });
        group.bench_function("zt_verify_cached", |b| {
            b.iter(|| {
                cached
                    .verify(black_box(&token))
                    .now_or_never()
                    .unwrap()
                    .unwrap()
            });
        });
        group.finish();
    }
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
