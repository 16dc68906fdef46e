//! End to end through actix: each answer's status and challenge, that refused requests never
//! reach the handler, and that no token reaches the logs.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{get, test, web, App, HttpResponse};
use serde_json::{json, Value};
use zt_actix::{zero_trust, Issuer, Principal, ZeroTrust};
use zt_testkit::{Flavor, LogCapture, TestIssuer};

/// Counts handler runs, so tests can prove a refused request never reached one.
#[derive(Default)]
struct Runs(AtomicUsize);

#[zero_trust(okta, scopes = "read")]
#[get("/employee")]
async fn employee(who: Principal, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().json(json!({
        "subject": who.subject(),
        "scopes": who.scopes().iter().collect::<Vec<_>>(),
    }))
}

#[get("/customer/admin")]
#[zero_trust(auth0, scopes = "admin write")]
async fn admin(runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().finish()
}

#[zero_trust(auth0, any_scope = "read admin")]
#[get("/customer")]
async fn customer(who: Option<Principal>, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(who.map(|w| w.subject().to_owned()).unwrap_or_default())
}

#[zero_trust(anonymous, reason = "health probe")]
#[get("/health")]
async fn health(who: Option<Principal>, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(if who.is_some() {
        "principal"
    } else {
        "anonymous"
    })
}

struct Harness {
    okta: TestIssuer,
    auth0: TestIssuer,
    zt: ZeroTrust,
    runs: web::Data<Runs>,
    logs: LogCapture,
}

impl Harness {
    fn new() -> Self {
        let okta = TestIssuer::start(Flavor::Okta).unwrap();
        let auth0 = TestIssuer::start(Flavor::Auth0).unwrap();
        Self::with(okta, auth0)
    }

    fn with(okta: TestIssuer, auth0: TestIssuer) -> Self {
        let zt = ZeroTrust::builder()
            .okta(Issuer::okta(okta.issuer()).audience(okta.audience()))
            .auth0(Issuer::auth0(auth0.issuer()).audience(auth0.audience()))
            .build()
            .unwrap();
        let logs = LogCapture::install();
        Self {
            okta,
            auth0,
            zt,
            runs: web::Data::new(Runs::default()),
            logs,
        }
    }

    fn runs(&self) -> usize {
        self.runs.0.load(Ordering::SeqCst)
    }

    /// Sends `GET path` with the given `Authorization` values and returns the answer.
    async fn get(&self, path: &str, authorization: &[&str]) -> Answer {
        let app = test::init_service(
            App::new()
                .app_data(self.zt.clone())
                .app_data(self.runs.clone())
                .service(employee)
                .service(admin)
                .service(customer)
                .service(health),
        )
        .await;
        let mut req = test::TestRequest::get().uri(path);
        for value in authorization {
            req = req.append_header((AUTHORIZATION, *value));
        }
        let response = test::call_service(&app, req.to_request()).await;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &actix_web::http::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let challenge = header(WWW_AUTHENTICATE);
        let retry_after = header(RETRY_AFTER);
        let body = test::read_body(response).await;
        Answer {
            status,
            challenge,
            retry_after,
            body: String::from_utf8_lossy(&body).into(),
        }
    }

    async fn bearer(&self, path: &str, token: &str) -> Answer {
        self.get(path, &[&format!("Bearer {token}")]).await
    }

    /// Asserts that no token, nor any of its parts, appears in the logs.
    fn assert_logs_hold_no(&self, token: &str) {
        let logs = self.logs.text();
        for part in token.split('.').filter(|p| p.len() > 8) {
            assert!(
                !logs.contains(part),
                "a token part reached the logs:\n{logs}"
            );
        }
    }
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    fn assert_invalid_token(&self) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{self:?}");
        let challenge = self.challenge.as_deref().unwrap();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
        assert_eq!(self.body, r#"{"error":"invalid_token"}"#);
    }
}

#[actix_web::test]
async fn valid_okta_token_with_scope_reaches_the_handler() {
    let h = Harness::new();
    let token = h
        .okta
        .token()
        .subject("00u-alice")
        .scopes(&["read", "extra"])
        .sign();
    let answer = h.bearer("/employee", &token).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["subject"], "00u-alice");
    assert_eq!(body["scopes"], json!(["extra", "read"]));
    assert_eq!(h.runs(), 1);
    assert!(
        h.logs.text().contains("outcome=\"allow\""),
        "{}",
        h.logs.text()
    );
    h.assert_logs_hold_no(&token);
}

#[actix_web::test]
async fn no_token_gets_a_bare_challenge() {
    let h = Harness::new();
    let answer = h.get("/employee", &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some(r#"Bearer realm="api""#));
    assert_eq!(answer.body, r#"{"error":"unauthorized"}"#);
    let basic = h.get("/employee", &["Basic dXNlcjpwYXNz"]).await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert_eq!(basic.challenge.as_deref(), Some(r#"Bearer realm="api""#));
    assert_eq!(h.runs(), 0);
    h.assert_logs_hold_no("Basic dXNlcjpwYXNz");
}

#[actix_web::test]
async fn refused_tokens_get_invalid_token_and_never_reach_the_handler() {
    let h = Harness::new();
    let t = || h.okta.token().scopes(&["read"]);
    let cases = [
        ("expired", t().expired().sign()),
        ("wrong audience", t().audience("api://other").sign()),
        (
            "wrong issuer",
            t().issuer("https://corp.okta.com/oauth2/other").sign(),
        ),
        ("tampered", t().tampered()),
        ("alg none", t().alg_none()),
        ("hmac with public key", t().hmac_with_public_key()),
        ("unknown kid", t().unknown_kid()),
        ("stripped signature", t().signature_stripped()),
        ("id token", t().id_token().sign()),
        ("foreign key", t().signed_by_foreign_key()),
        ("embedded jwk", t().embedded_jwk()),
        (
            "auth0 token on an okta route",
            h.auth0.token().scopes(&["read"]).sign(),
        ),
        ("not a jwt", "opaque-token-value".to_owned()),
    ];
    for (name, token) in &cases {
        let answer = h.bearer("/employee", token).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {answer:?}"
        );
        answer.assert_invalid_token();
        h.assert_logs_hold_no(token);
    }
    assert_eq!(h.runs(), 0);
}

#[actix_web::test]
async fn missing_scopes_get_insufficient_scope_naming_them() {
    let h = Harness::new();
    let token = h.auth0.token().scopes(&["admin"]).sign();
    let answer = h.bearer("/customer/admin", &token).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let challenge = answer.challenge.unwrap();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.contains(r#"scope="admin write""#), "{challenge}");
    assert_eq!(h.runs(), 0);

    let both = h.auth0.token().scopes(&["write", "admin"]).sign();
    assert_eq!(
        h.bearer("/customer/admin", &both).await.status,
        StatusCode::OK
    );
    assert_eq!(h.runs(), 1);
    h.assert_logs_hold_no(&token);
}

#[actix_web::test]
async fn any_scope_needs_one_of_them() {
    let h = Harness::new();
    let reader = h.auth0.token().subject("cust-1").scopes(&["read"]).sign();
    let answer = h.bearer("/customer", &reader).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "cust-1");
    let neither = h.auth0.token().scopes(&["write"]).sign();
    let answer = h.bearer("/customer", &neither).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.challenge.unwrap().contains(r#"scope="read admin""#));
    assert_eq!(h.runs(), 1);
}

#[actix_web::test]
async fn malformed_requests_get_invalid_request() {
    let h = Harness::new();
    let token = h.okta.token().scopes(&["read"]).sign();
    let bearer = format!("Bearer {token}");
    let cases: [(&str, Vec<&str>); 4] = [
        ("/employee", vec![bearer.as_str(), bearer.as_str()]),
        ("/employee?access_token=abc", vec![bearer.as_str()]),
        ("/employee?access_token=abc", vec![]),
        ("/employee", vec!["Bearer "]),
    ];
    for (path, headers) in &cases {
        let answer = h.get(path, headers).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path} {answer:?}");
        let challenge = answer.challenge.unwrap();
        assert!(
            challenge.contains(r#"error="invalid_request""#),
            "{challenge}"
        );
    }
    assert_eq!(h.runs(), 0);
    h.assert_logs_hold_no(&token);
}

#[actix_web::test]
async fn odd_bearer_spellings_are_accepted() {
    let h = Harness::new();
    let token = h.okta.token().scopes(&["read"]).sign();
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let answer = h.get("/employee", &[&format!("{scheme} {token}")]).await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}");
    }
}

#[actix_web::test]
async fn issuer_down_with_nothing_cached_answers_503_with_retry_after() {
    let h = Harness::new();
    h.okta.set_outage(true);
    let token = h.okta.token().scopes(&["read"]).sign();
    let answer = h.bearer("/employee", &token).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.retry_after.as_deref(), Some("10"));
    assert_eq!(h.runs(), 0);
    h.assert_logs_hold_no(&token);

    h.okta.set_outage(false);
    let later = h.bearer("/employee", &token).await;
    assert_eq!(
        later.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "cooldown not over yet"
    );
}

#[actix_web::test]
async fn anonymous_routes_run_without_a_principal() {
    let h = Harness::new();
    let answer = h.get("/health", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "anonymous");
    let token = h.okta.token().sign();
    let with_token = h.bearer("/health", &token).await;
    assert_eq!(
        with_token.body, "anonymous",
        "a token on an anonymous route is not read"
    );
}

#[actix_web::test]
async fn a_handler_requiring_an_unconfigured_mechanism_stops_startup() {
    let okta = TestIssuer::start(Flavor::Okta).unwrap();
    let err = ZeroTrust::builder()
        .okta(Issuer::okta(okta.issuer()).audience(okta.audience()))
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("auth0 is not configured"), "{err}");
    assert!(
        err.contains("bearer::admin") || err.contains("bearer::customer"),
        "{err}"
    );
}

#[actix_web::test]
async fn bad_settings_stop_startup_naming_the_setting() {
    let cases = [
        (
            Issuer::okta("https://corp.okta.com/oauth2/default"),
            "okta.audience",
        ),
        (
            Issuer::okta("http://corp.okta.com/oauth2/default").audience("a"),
            "okta.issuer",
        ),
        (Issuer::okta("corp.okta.com").audience("a"), "okta.issuer"),
        (
            Issuer::okta("https://corp.okta.com").audience("a"),
            "okta.issuer",
        ),
    ];
    for (issuer, setting) in cases {
        let err = ZeroTrust::builder()
            .okta(issuer)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(setting), "{err}");
    }
    let err = ZeroTrust::builder()
        .realm("a\nb")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("realm:"), "{err}");
}

#[actix_web::test]
async fn missing_configuration_fails_closed() {
    let runs = web::Data::new(Runs::default());
    let app = test::init_service(App::new().app_data(runs.clone()).service(employee)).await;
    let req = test::TestRequest::get().uri("/employee").to_request();
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(runs.0.load(Ordering::SeqCst), 0);
}

#[get("/unannotated")]
async fn unannotated(_who: Principal, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn a_principal_without_an_attribute_fails_closed() {
    let h = Harness::new();
    let app = test::init_service(
        App::new()
            .app_data(h.zt.clone())
            .app_data(h.runs.clone())
            .service(unannotated),
    )
    .await;
    let token = h.okta.token().scopes(&["read"]).sign();
    let req = test::TestRequest::get()
        .uri("/unannotated")
        .insert_header((AUTHORIZATION, format!("Bearer {token}")))
        .to_request();
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(h.runs(), 0);
    assert!(h.logs.text().contains("has no #[zero_trust] attribute"));
}
