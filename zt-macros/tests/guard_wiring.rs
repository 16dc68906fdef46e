//! Runs annotated handlers inside an actix-web service to show the guard is wired in front of
//! the body, whichever side of the route attribute `#[zero_trust]` is written on.

use actix_web::http::{header, StatusCode};
use actix_web::{get, test, web, App, HttpResponse};
use zt_actix::{zero_trust, Issuer, ZeroTrust};

#[zero_trust(okta, scopes = "orders:read")]
#[get("/above")]
async fn above() -> HttpResponse {
    HttpResponse::Ok().body("handler ran")
}

#[get("/below")]
#[zero_trust(okta, scopes = "orders:read")]
async fn below() -> HttpResponse {
    HttpResponse::Ok().body("handler ran")
}

#[zero_trust(okta)]
async fn plain(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(format!("handler ran for {id}"))
}

#[zero_trust(anonymous, reason = "health probe")]
#[get("/health/above")]
async fn health_above() -> &'static str {
    "ok"
}

#[get("/health/below")]
#[zero_trust(anonymous, reason = "health probe")]
async fn health_below() -> &'static str {
    "ok"
}

/// Trusts an Okta issuer on a loopback port nothing listens on: requests without a token are
/// refused before any key would be fetched.
fn zero_trust_config() -> ZeroTrust {
    ZeroTrust::builder()
        .okta(Issuer::okta("http://127.0.0.1:9/oauth2/default").audience("api://orders"))
        .build()
        .expect("the loopback issuer is a valid setting")
}

#[actix_web::test]
async fn token_routes_refuse_a_caller_without_a_token_before_the_handler_runs() {
    let app = test::init_service(
        App::new()
            .app_data(zero_trust_config())
            .service(above)
            .service(below)
            .route("/plain/{id}", web::get().to(plain)),
    )
    .await;

    for path in ["/above", "/below", "/plain/7"] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            response.headers().contains_key(header::WWW_AUTHENTICATE),
            "{path}"
        );
        let body = test::read_body(response).await;
        assert!(!body.starts_with(b"handler ran"), "{path}");
    }
}

#[actix_web::test]
async fn anonymous_routes_run_without_a_token() {
    let app = test::init_service(
        App::new()
            .app_data(zero_trust_config())
            .service(health_above)
            .service(health_below),
    )
    .await;

    for path in ["/health/above", "/health/below"] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;

        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(test::read_body(response).await, "ok", "{path}");
    }
}
