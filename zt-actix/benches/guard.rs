//! What the guard adds to a request in-process, without a network: the same trivial handler
//! unprotected and behind `#[zero_trust]`, called through an actix test service.
//!
//! Run with `cargo bench -p zt-actix --bench guard`.
#![allow(missing_docs, clippy::unwrap_used)] // Benchmark harness.

use actix_web::{test, web, App, HttpResponse};
use criterion::{criterion_group, criterion_main, Criterion};
use zt_actix::{zero_trust, Issuer, ZeroTrust};
use zt_testkit::{Flavor, TestIssuer};

async fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust(auth0, scopes = "read")]
async fn protected() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn bench_guard(c: &mut Criterion) {
    let runtime = actix_web::rt::System::new();
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let config = Issuer::auth0(issuer.issuer()).audience(issuer.audience());
    let cached = ZeroTrust::builder().auth0(config.clone()).build().unwrap();
    let uncached = ZeroTrust::builder()
        .auth0(config.verified_cache(0))
        .build()
        .unwrap();
    let token = format!("Bearer {}", issuer.token().scopes(&["read"]).sign());

    let app = runtime.block_on(test::init_service(
        App::new()
            .app_data(cached)
            .route("/plain", web::get().to(plain))
            .route("/cached", web::get().to(protected))
            .service(
                web::scope("/uncached")
                    .app_data(uncached)
                    .route("", web::get().to(protected)),
            ),
    ));

    let mut group = c.benchmark_group("request");
    for path in ["/plain", "/cached", "/uncached"] {
        group.bench_function(path.trim_start_matches('/'), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let request = test::TestRequest::get()
                        .uri(path)
                        .insert_header(("authorization", token.as_str()))
                        .to_request();
                    let response = test::call_service(&app, request).await;
                    assert!(response.status().is_success());
                });
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_guard);
criterion_main!(benches);
