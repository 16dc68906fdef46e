//! Serves one trivial handler four ways on loopback, for `scripts/load.sh` to compare:
//!
//! - `/plain`: unprotected;
//! - `/httpauth`: protected the usual way, with actix-web-httpauth's bearer extractor and a
//!   `jsonwebtoken::decode` per request against a key parsed once;
//! - `/zt/uncached`: `#[zero_trust(auth0, scopes = "read")]`, verified-token cache off;
//! - `/zt/cached`: the same handler with the cache on (the default).
//!
//! Tokens come from a testkit issuer started in this process. The server writes, into the
//! directory given as its only argument: `token` (a valid token with scope `read`),
//! `storm-tokens` (10 000 tokens signed with unknown key ids, one per line) and `ready` (the
//! address, written last). `GET /stats` answers how many key-set fetches each verifier made.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A load-test harness: fail loudly.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use actix_web_httpauth::extractors::bearer::BearerAuth;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use zt_actix::{zero_trust, Issuer, Provider, ZeroTrust};
use zt_testkit::{Flavor, KeyAlg, TestIssuer};

/// The claims a hand-written handler decodes.
#[derive(Deserialize)]
#[allow(dead_code)] // Decoded to check them, not read.
struct Claims {
    sub: String,
    scope: String,
}

/// What the usual handler needs: a key parsed once and a validation naming issuer and audience.
struct Usual {
    key: DecodingKey,
    validation: Validation,
}

async fn plain() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn httpauth(auth: BearerAuth, usual: web::Data<Usual>) -> HttpResponse {
    match jsonwebtoken::decode::<Claims>(auth.token(), &usual.key, &usual.validation) {
        Ok(data) if data.claims.scope.split(' ').any(|s| s == "read") => {
            HttpResponse::Ok().body("ok")
        }
        Ok(_) => HttpResponse::Forbidden().finish(),
        Err(_) => HttpResponse::Unauthorized().finish(),
    }
}

#[zero_trust(auth0, scopes = "read")]
async fn protected() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

#[zero_trust(anonymous, reason = "load-test statistics")]
async fn stats(cached: web::Data<Cached>, uncached: web::Data<Uncached>) -> HttpResponse {
    let fetches = |zt: &ZeroTrust| {
        zt.verifier(Provider::Auth0)
            .map_or(0, zt_core::OidcVerifier::key_fetches)
    };
    HttpResponse::Ok().json(serde_json::json!({
        "cached_key_fetches": fetches(&cached.0),
        "uncached_key_fetches": fetches(&uncached.0),
    }))
}

struct Cached(ZeroTrust);
struct Uncached(ZeroTrust);

fn usual(issuer: &TestIssuer) -> Usual {
    let kid = issuer.current_kid(KeyAlg::Rs256);
    let jwks = issuer.jwks();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone();
    let jwk: Jwk = serde_json::from_value(jwk).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[issuer.issuer()]);
    validation.set_audience(&[issuer.audience()]);
    Usual {
        key: DecodingKey::from_jwk(&jwk).unwrap(),
        validation,
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: zt-load-server DIR"));
    fs::create_dir_all(&dir)?;
    let issuer = TestIssuer::start(Flavor::Auth0)?;

    let config = Issuer::auth0(issuer.issuer()).audience(issuer.audience());
    let build = |config: Issuer| ZeroTrust::builder().auth0(config).build().unwrap();
    let cached = build(config.clone());
    let uncached = build(config.verified_cache(0));

    let token = issuer
        .token()
        .scopes(&["read"])
        .lifetime(Duration::from_secs(6 * 3600))
        .sign();
    let storm: Vec<String> = (0..10_000)
        .map(|i| {
            issuer
                .token()
                .scopes(&["read"])
                .kid(&format!("storm-{i}"))
                .sign()
        })
        .collect();
    fs::write(dir.join("token"), &token)?;
    fs::write(dir.join("storm-tokens"), storm.join("\n"))?;

    let usual = web::Data::new(usual(&issuer));
    let stats_data = (
        web::Data::new(Cached(cached.clone())),
        web::Data::new(Uncached(uncached.clone())),
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(usual.clone())
            .app_data(stats_data.0.clone())
            .app_data(stats_data.1.clone())
            .app_data(cached.clone())
            .route("/plain", web::get().to(plain))
            .route("/httpauth", web::get().to(httpauth))
            .route("/stats", web::get().to(stats))
            .service(
                web::scope("/zt/uncached")
                    .app_data(uncached.clone())
                    .route("", web::get().to(protected)),
            )
            .route("/zt/cached", web::get().to(protected))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))?;
    let addr = server.addrs()[0];
    fs::write(dir.join("ready"), addr.to_string())?;
    eprintln!("zt-load-server listening on http://{addr}");
    server.run().await
}
