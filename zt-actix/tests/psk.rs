//! Requests signed with a pre-shared secret, end to end through actix: every answer, the
//! handler never reached on refusal, its extractors given the verified body, and no secret
//! or signature in the logs.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::http::header::WWW_AUTHENTICATE;
use actix_web::http::StatusCode;
use actix_web::{test, web, App, HttpResponse};
use zt_actix::__private::{Declaration, Declared, Guard};
use zt_actix::{PskSettings, Requirement, ZeroTrust};
use zt_core::secret::{MemorySource, Secret, SecretPolicy};
use zt_testkit::{LogCapture, SignedRequest};

const OLD: &str = "old-secret-0123456789abcdefghijklmnopqrstuv";
const CURRENT: &str = "current-secret-0123456789abcdefghijklmnopq";
const NEXT: &str = "next-secret-0123456789abcdefghijklmnopqrstu";

/// Expands like `#[zero_trust(psk = "deploy-hook")]`.
struct DeployHook;
impl Declared for DeployHook {
    const REQUIREMENT: Requirement = Requirement::Psk {
        name: "deploy-hook",
    };
}
zt_actix::__private::inventory::submit! {
    Declaration::new(module_path!(), "deploy", DeployHook::REQUIREMENT)
}

#[derive(Default)]
struct Runs(AtomicUsize);

#[derive(serde::Deserialize)]
struct Deploy {
    #[serde(rename = "ref")]
    git_ref: String,
}

async fn deploy(
    _guard: Guard<DeployHook>,
    runs: web::Data<Runs>,
    body: web::Json<Deploy>,
) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(format!("deploying {}", body.git_ref))
}

async fn raw(_guard: Guard<DeployHook>, runs: web::Data<Runs>, body: web::Bytes) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(body)
}

const BODY: &str = r#"{"ref":"main"}"#;

struct Harness {
    source: MemorySource,
    secret: Secret,
    zt: ZeroTrust,
    runs: web::Data<Runs>,
    logs: LogCapture,
}

impl Harness {
    async fn new() -> Self {
        Self::with(PskSettings::default()).await
    }

    async fn with(settings: PskSettings) -> Self {
        let source = MemorySource::new();
        source.set_current(CURRENT);
        let secret = Secret::new("deploy-hook", source.clone(), SecretPolicy::default()).unwrap();
        secret.refresh_now().await.unwrap();
        let zt = ZeroTrust::builder()
            .psk_with("deploy-hook", secret.clone(), settings)
            .build()
            .unwrap();
        Self {
            source,
            secret,
            zt,
            runs: web::Data::new(Runs::default()),
            logs: LogCapture::install(),
        }
    }

    async fn send(&self, request: &SignedRequest) -> (StatusCode, Option<String>, String) {
        let app = test::init_service(
            App::new()
                .app_data(self.zt.clone())
                .app_data(self.runs.clone())
                .route("/hooks/deploy", web::post().to(deploy))
                .route("/hooks/deploy", web::put().to(deploy))
                .route("/hooks/raw", web::post().to(raw)),
        )
        .await;
        let req = request
            .to_test_request()
            .insert_header(("content-type", "application/json"));
        let response = test::call_service(&app, req.to_request()).await;
        let status = response.status();
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
        (status, challenge, body)
    }

    fn runs(&self) -> usize {
        self.runs.0.load(Ordering::SeqCst)
    }

    /// Asserts a 401 `invalid_token` with the signature scheme, `reason` in the log, the
    /// handler not run, and nothing secret logged.
    async fn assert_refused(&self, request: &SignedRequest, reason: &str) {
        let before = self.runs();
        let (status, challenge, body) = self.send(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}: {body}");
        assert_eq!(
            challenge.as_deref(),
            Some(r#"ZT-HMAC-SHA256 realm="api", error="invalid_token""#)
        );
        assert_eq!(body, r#"{"error":"invalid_token"}"#);
        assert_eq!(self.runs(), before, "the handler ran for {reason}");
        let logs = self.logs.text();
        assert!(
            logs.contains(&format!("reason=\"{reason}\"")),
            "no {reason} in:\n{logs}"
        );
        self.assert_nothing_secret_logged(request);
    }

    fn assert_nothing_secret_logged(&self, request: &SignedRequest) {
        for secret in [OLD, CURRENT, NEXT] {
            self.logs.assert_free_of(secret);
        }
        for (_, value) in request.headers() {
            for item in value.split(", ") {
                if let Some(hex) = item.strip_prefix("v1=") {
                    self.logs.assert_free_of(hex);
                }
            }
        }
    }
}

fn signed() -> SignedRequest {
    SignedRequest::post("/hooks/deploy").body(BODY)
}

#[actix_web::test]
async fn a_signed_request_reaches_the_handler_with_its_body() {
    let h = Harness::new().await;
    let request = signed().secret(CURRENT);
    let (status, _, body) = h.send(&request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "deploying main");

    let bytes = SignedRequest::post("/hooks/raw?x=1&y=%20z")
        .body("raw bytes \0 and more")
        .secret(CURRENT);
    let (status, _, body) = h.send(&bytes).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "raw bytes \0 and more");

    let empty = SignedRequest::post("/hooks/raw").secret(CURRENT);
    let (status, _, body) = h.send(&empty).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert_eq!(h.runs(), 3);
    h.assert_nothing_secret_logged(&request);
    assert!(h.logs.text().contains("outcome=\"allow\""));
}

#[actix_web::test]
async fn each_altered_request_is_refused_with_its_reason() {
    let h = Harness::new().await;
    let cases = [
        (
            signed().secret(CURRENT).tampered_body(r#"{"ref":"evil"}"#),
            "bad_signature",
        ),
        (
            signed().secret(CURRENT).signed_for_uri("/hooks/other"),
            "bad_signature",
        ),
        (
            signed()
                .secret(CURRENT)
                .signed_for_uri("/hooks/deploy?env=prod"),
            "bad_signature",
        ),
        (
            SignedRequest::new("PUT", "/hooks/deploy")
                .body(BODY)
                .secret(CURRENT)
                .signed_for_method("POST"),
            "bad_signature",
        ),
        (signed().secret(NEXT), "bad_signature"),
        (signed().secret(CURRENT).stale(), "stale_timestamp"),
        (signed().secret(CURRENT).future(), "future_timestamp"),
    ];
    for (request, reason) in &cases {
        h.assert_refused(request, reason).await;
    }
}

#[actix_web::test]
async fn a_replayed_request_is_refused_and_the_handler_runs_once() {
    let h = Harness::new().await;
    let request = signed().secret(CURRENT);
    let (status, _, _) = h.send(&request).await;
    assert_eq!(status, StatusCode::OK);
    h.assert_refused(&request, "replayed_request").await;

    // Replaying one of two signatures that were accepted together is a replay too.
    let both = signed().secret(OLD).secret(CURRENT).skewed(-1);
    assert_eq!(h.send(&both).await.0, StatusCode::OK);
    let current_only = signed().secret(CURRENT).skewed(-1);
    h.assert_refused(&current_only, "replayed_request").await;
    assert_eq!(h.runs(), 2);
}

#[actix_web::test]
async fn timestamps_at_the_edge_of_the_window_are_accepted() {
    let h = Harness::with(PskSettings::default().window(Duration::from_secs(60))).await;
    assert_eq!(
        h.send(&signed().secret(CURRENT).skewed(-55)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.send(&signed().secret(CURRENT).skewed(55)).await.0,
        StatusCode::OK
    );
    h.assert_refused(&signed().secret(CURRENT).skewed(-65), "stale_timestamp")
        .await;
    h.assert_refused(&signed().secret(CURRENT).skewed(65), "future_timestamp")
        .await;
}

#[actix_web::test]
async fn missing_or_malformed_headers_are_refused_before_the_handler() {
    let h = Harness::new().await;

    let app = test::init_service(
        App::new()
            .app_data(h.zt.clone())
            .app_data(h.runs.clone())
            .route("/hooks/deploy", web::post().to(deploy)),
    )
    .await;
    let unsigned = test::TestRequest::post()
        .uri("/hooks/deploy")
        .set_payload(BODY)
        .to_request();
    let response = test::call_service(&app, unsigned).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers().get(WWW_AUTHENTICATE).unwrap();
    assert_eq!(challenge.to_str().unwrap(), r#"ZT-HMAC-SHA256 realm="api""#);

    let good = signed().secret(CURRENT).headers();
    let bad_requests: Vec<Vec<(&str, String)>> = vec![
        vec![good[0].clone()],
        vec![good[1].clone()],
        vec![good[0].clone(), ("x-zt-signature", "v1=zz".to_owned())],
        vec![("x-zt-timestamp", "12x".to_owned()), good[1].clone()],
        vec![good[0].clone(), good[1].clone(), good[1].clone()],
        vec![good[0].clone(), good[0].clone(), good[1].clone()],
    ];
    for headers in bad_requests {
        let mut req = test::TestRequest::post()
            .uri("/hooks/deploy")
            .set_payload(BODY);
        for header in &headers {
            req = req.append_header(header.clone());
        }
        let response = test::call_service(&app, req.to_request()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{headers:?}");
        let challenge = response.headers().get(WWW_AUTHENTICATE).unwrap();
        assert_eq!(
            challenge.to_str().unwrap(),
            r#"ZT-HMAC-SHA256 realm="api", error="invalid_request""#
        );
    }
    let logs = h.logs.text();
    assert!(logs.contains("reason=\"malformed_signature\""), "{logs}");
    assert!(logs.contains("reason=\"several_credentials\""), "{logs}");
    assert_eq!(h.runs(), 0);
}

#[actix_web::test]
async fn a_body_over_the_limit_is_refused_without_running_the_handler() {
    let h = Harness::with(PskSettings::default().max_body(16)).await;
    let big = SignedRequest::post("/hooks/raw")
        .body(vec![b'a'; 17])
        .secret(CURRENT);
    let (status, challenge, _) = h.send(&big).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(challenge.unwrap().contains("invalid_request"));
    assert!(h.logs.text().contains("reason=\"body_too_large\""));

    let fits = SignedRequest::post("/hooks/raw")
        .body(vec![b'a'; 16])
        .secret(CURRENT);
    assert_eq!(h.send(&fits).await.0, StatusCode::OK);
    assert_eq!(h.runs(), 1);
}

#[actix_web::test]
async fn previous_is_accepted_and_older_versions_are_refused() {
    let h = Harness::new().await;
    h.source.rotate(NEXT);
    h.secret.refresh_now().await.unwrap();
    assert_eq!(h.send(&signed().secret(NEXT)).await.0, StatusCode::OK);
    assert_eq!(h.send(&signed().secret(CURRENT)).await.0, StatusCode::OK);

    h.source.rotate("a-third-secret-0123456789abcdefghijklmno");
    h.secret.refresh_now().await.unwrap();
    h.assert_refused(&signed().secret(CURRENT), "bad_signature")
        .await;
    assert_eq!(h.runs(), 2);
}

#[actix_web::test]
async fn pending_is_accepted_only_while_a_rotation_is_in_progress() {
    let h = Harness::new().await;
    h.source.stage_pending(NEXT);
    h.secret.refresh_now().await.unwrap();
    assert_eq!(h.send(&signed().secret(NEXT)).await.0, StatusCode::OK);

    h.source.cancel_pending();
    h.secret.refresh_now().await.unwrap();
    h.assert_refused(&signed().secret(NEXT).skewed(-1), "bad_signature")
        .await;
    assert_eq!(h.runs(), 1);
}

#[actix_web::test]
async fn a_request_signed_with_old_and_new_passes_on_either_side_of_a_rotation() {
    let h = Harness::new().await;
    let both = || signed().secret(CURRENT).secret(NEXT);
    assert_eq!(h.send(&both()).await.0, StatusCode::OK);

    h.source.rotate(NEXT);
    h.secret.refresh_now().await.unwrap();
    assert_eq!(h.send(&both().skewed(-1)).await.0, StatusCode::OK);
    let unknown_then_next = signed().secret(OLD).secret(NEXT).skewed(-2);
    assert_eq!(h.send(&unknown_then_next).await.0, StatusCode::OK);
    assert_eq!(h.runs(), 3);
    h.assert_nothing_secret_logged(&both());
}

#[actix_web::test]
async fn the_plain_bearer_mode_works_only_where_enabled() {
    let strict = Harness::new().await;
    let app = test::init_service(
        App::new()
            .app_data(strict.zt.clone())
            .app_data(strict.runs.clone())
            .route("/hooks/raw", web::post().to(raw)),
    )
    .await;
    let bearer = format!("Bearer {CURRENT}");
    let req = test::TestRequest::post()
        .uri("/hooks/raw")
        .insert_header(("authorization", bearer.as_str()))
        .to_request();
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(strict.runs(), 0);

    let lax = Harness::with(PskSettings::default().insecure_accept_bearer(true)).await;
    let app = test::init_service(
        App::new()
            .app_data(lax.zt.clone())
            .app_data(lax.runs.clone())
            .route("/hooks/raw", web::post().to(raw)),
    )
    .await;
    let call = |value: String| {
        test::TestRequest::post()
            .uri("/hooks/raw")
            .insert_header(("authorization", value))
            .set_payload("payload")
            .to_request()
    };
    let response = test::call_service(&app, call(bearer.clone())).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(test::read_body(response).await, "payload");

    let response = test::call_service(&app, call(format!("Bearer {NEXT}"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers().get(WWW_AUTHENTICATE).unwrap();
    assert_eq!(
        challenge.to_str().unwrap(),
        r#"ZT-HMAC-SHA256 realm="api", error="invalid_token", Bearer realm="api", error="invalid_token""#
    );
    assert_eq!(lax.runs(), 1);
    lax.logs.assert_free_of(CURRENT);
    lax.logs.assert_free_of(NEXT);
}

#[actix_web::test]
async fn startup_refuses_an_unconfigured_or_weak_secret() {
    let error = ZeroTrust::builder().build().unwrap_err().to_string();
    assert!(
        error.starts_with("psk(\"deploy-hook\") is not configured"),
        "{error}"
    );
    assert!(error.contains("deploy"), "{error}");

    let source = MemorySource::new();
    source.set_current("short-secret");
    let weak = Secret::new("deploy-hook", source, SecretPolicy::default()).unwrap();
    weak.refresh_now().await.unwrap();
    let error = ZeroTrust::builder()
        .psk("deploy-hook", weak)
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("psk(\"deploy-hook\"):"), "{error}");
    assert!(error.contains("12 bytes"), "{error}");
    assert!(!error.contains("short-secret"), "{error}");
}

#[actix_web::test]
async fn debug_output_shows_no_secret() {
    let h = Harness::new().await;
    let text = format!("{:?} {:?} {:?}", h.zt, h.secret, signed().secret(CURRENT));
    assert!(text.contains("deploy-hook"), "{text}");
    assert!(!text.contains(CURRENT), "{text}");
    let headers = signed().secret(CURRENT).headers();
    let headers = zt_core::verify::psk::SignedHeaders::parse(&headers[0].1, &headers[1].1);
    let text = format!("{headers:?}");
    assert!(
        !text.contains(&signed().secret(CURRENT).headers()[1].1[3..]),
        "{text}"
    );
}
