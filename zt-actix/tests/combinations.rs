//! `any(..)` and `all(..)` end to end: which credential wins, which refusal is answered, that a
//! refused request never reaches the handler, and that no credential reaches the logs.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{get, test, web, App, HttpResponse};
use zt_actix::{zero_trust, Issuer, Principal, ZeroTrust};
use zt_testkit::{key_ring, Flavor, LogCapture, MintedKey, TestIssuer};

#[derive(Default)]
struct Runs(AtomicUsize);

#[zero_trust(any(okta(scopes = "reports:read"), api_key(scopes = "export")))]
#[get("/either")]
async fn either(who: Principal, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(who.mechanism().as_str())
}

#[zero_trust(all(okta(scopes = "reports:read"), api_key(scopes = "export")))]
#[get("/both")]
async fn both(who: Principal, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(who.mechanism().as_str())
}

#[zero_trust(any(auth0, all(okta, api_key(scopes = "export"))))]
#[get("/nested")]
async fn nested(who: Principal, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(who.mechanism().as_str())
}

struct Harness {
    okta: TestIssuer,
    auth0: TestIssuer,
    exporter: MintedKey,
    reader: MintedKey,
    zt: ZeroTrust,
    runs: web::Data<Runs>,
    logs: LogCapture,
}

impl Harness {
    fn new() -> Self {
        let okta = TestIssuer::start(Flavor::Okta).unwrap();
        let auth0 = TestIssuer::start(Flavor::Auth0).unwrap();
        let exporter = MintedKey::new(&["export"]);
        let reader = MintedKey::new(&["read"]);
        let zt = ZeroTrust::builder()
            .okta(Issuer::okta(okta.issuer()).audience(okta.audience()))
            .auth0(Issuer::auth0(auth0.issuer()).audience(auth0.audience()))
            .api_keys(Arc::new(key_ring(&[&exporter, &reader])))
            .build()
            .unwrap();
        Self {
            okta,
            auth0,
            exporter,
            reader,
            zt,
            runs: web::Data::new(Runs::default()),
            logs: LogCapture::install(),
        }
    }

    fn okta_token(&self, scopes: &[&str]) -> String {
        format!("Bearer {}", self.okta.token().scopes(scopes).sign())
    }

    async fn call(&self, uri: &str, headers: &[(&str, String)]) -> (StatusCode, String, String) {
        let app = test::init_service(
            App::new()
                .app_data(self.zt.clone())
                .app_data(self.runs.clone())
                .service(either)
                .service(both)
                .service(nested),
        )
        .await;
        let mut request = test::TestRequest::get().uri(uri);
        for (name, value) in headers {
            request = request.insert_header((*name, value.as_str()));
        }
        let response = test::call_service(&app, request.to_request()).await;
        let status = response.status();
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        (status, challenge, body)
    }

    fn runs(&self) -> usize {
        self.runs.0.load(Ordering::SeqCst)
    }
}

#[actix_web::test]
async fn any_passes_with_the_first_mechanism_that_accepts() {
    let h = Harness::new();

    let token = h.okta_token(&["reports:read"]);
    let (status, _, body) = h.call("/either", &[(AUTHORIZATION.as_str(), token)]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "okta"));

    let key = h.exporter.text().to_owned();
    let (status, _, body) = h.call("/either", &[("x-api-key", key)]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "api_key"));
    assert_eq!(h.runs(), 2);
}

#[actix_web::test]
async fn any_without_any_credential_challenges_for_every_scheme() {
    let h = Harness::new();

    let (status, challenge, _) = h.call("/either", &[]).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer realm="api", ApiKey realm="api""#);
    assert_eq!(h.runs(), 0);
}

#[actix_web::test]
async fn any_answers_the_most_telling_refusal() {
    let h = Harness::new();

    // A valid token lacking the scope says more than a missing API key: 403.
    let token = h.okta_token(&["other"]);
    let (status, challenge, _) = h.call("/either", &[(AUTHORIZATION.as_str(), token)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains(r#"scope="reports:read""#), "{challenge}");

    // A key without the scope beats a bad token.
    let bad = format!("Bearer {}", h.okta.token().tampered());
    let reader = h.reader.text().to_owned();
    let (status, challenge, _) = h
        .call(
            "/either",
            &[(AUTHORIZATION.as_str(), bad.clone()), ("x-api-key", reader)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.starts_with("ApiKey "), "{challenge}");

    // A bad token alone: 401 invalid_token on the Bearer scheme.
    let (status, challenge, _) = h.call("/either", &[(AUTHORIZATION.as_str(), bad)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer realm="api", error="invalid_token""#);
    assert_eq!(h.runs(), 0);
}

#[actix_web::test]
async fn all_needs_every_mechanism_and_stops_at_the_first_refusal() {
    let h = Harness::new();
    let token = h.okta_token(&["reports:read"]);
    let key = h.exporter.text().to_owned();

    let (status, _, body) = h
        .call(
            "/both",
            &[
                (AUTHORIZATION.as_str(), token.clone()),
                ("x-api-key", key.clone()),
            ],
        )
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "okta"));

    let (status, challenge, _) = h.call("/both", &[(AUTHORIZATION.as_str(), token)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"ApiKey realm="api""#);

    let (status, challenge, _) = h.call("/both", &[("x-api-key", key)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer realm="api""#);
    assert_eq!(h.runs(), 1);
}

#[actix_web::test]
async fn nested_combinations_follow_their_structure() {
    let h = Harness::new();
    let auth0 = format!("Bearer {}", h.auth0.token().sign());
    let okta = h.okta_token(&[]);
    let key = h.exporter.text().to_owned();

    let (status, _, body) = h.call("/nested", &[(AUTHORIZATION.as_str(), auth0)]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "auth0"));

    // An Okta token is not an Auth0 token; with the key, the inner all(..) passes.
    let (status, _, body) = h
        .call(
            "/nested",
            &[(AUTHORIZATION.as_str(), okta.clone()), ("x-api-key", key)],
        )
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "okta"));

    let (status, _, _) = h.call("/nested", &[(AUTHORIZATION.as_str(), okta)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.runs(), 2);
}

#[actix_web::test]
async fn no_decision_event_carries_a_credential() {
    let h = Harness::new();
    let token = h.okta.token().scopes(&["reports:read"]).sign();
    let key = h.exporter.text().to_owned();
    let bad_key = h.reader.text().to_owned();

    h.call(
        "/both",
        &[
            (AUTHORIZATION.as_str(), format!("Bearer {token}")),
            ("x-api-key", key.clone()),
        ],
    )
    .await;
    h.call("/either", &[("x-api-key", bad_key.clone())]).await;
    h.call(
        "/either",
        &[(AUTHORIZATION.as_str(), format!("Bearer {token}x"))],
    )
    .await;

    let logs = h.logs.text();
    assert!(logs.contains("zt::decision"), "no decision events: {logs}");
    for secret in [&token, &key, &bad_key] {
        h.logs.assert_free_of(secret);
    }
}
