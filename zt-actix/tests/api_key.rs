//! API keys end to end through actix: every answer, the handler never reached on refusal,
//! and no key in the logs.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{get, test, web, App, HttpResponse};
use secrecy::ExposeSecret as _;
use zt_actix::{zero_trust, Principal, ZeroTrust};
use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument};
use zt_testkit::LogCapture;

#[derive(Default)]
struct Runs(AtomicUsize);

#[zero_trust(api_key, scopes = "export")]
#[get("/partner/export")]
async fn export(who: Principal, runs: web::Data<Runs>) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(format!(
        "{} {}",
        who.subject(),
        who.client_id().unwrap_or("-")
    ))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn record(key: &NewKey, scopes: &[&str]) -> KeyRecord {
    KeyRecord {
        id: key.id().to_owned(),
        hash: key.hash(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        not_before: None,
        expires_at: now() + 3600,
        disabled: false,
        owner: "acme".to_owned(),
        description: String::new(),
        created_at: Some(now()),
    }
}

struct Harness {
    ring: Arc<KeyRing>,
    zt: ZeroTrust,
    runs: web::Data<Runs>,
    logs: LogCapture,
}

impl Harness {
    fn new(records: Vec<KeyRecord>) -> Self {
        let ring = Arc::new(KeyRing::new(&RingDocument {
            version: 1,
            keys: records,
        }));
        let zt = ZeroTrust::builder().api_keys(ring.clone()).build().unwrap();
        let logs = LogCapture::install();
        Self {
            ring,
            zt,
            runs: web::Data::new(Runs::default()),
            logs,
        }
    }

    async fn get(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Option<String>, String) {
        let app = test::init_service(
            App::new()
                .app_data(self.zt.clone())
                .app_data(self.runs.clone())
                .service(export),
        )
        .await;
        let mut req = test::TestRequest::get().uri(uri);
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
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
}

#[actix_web::test]
async fn a_scoped_key_in_either_header_reaches_the_handler() {
    let key = NewKey::generate();
    let h = Harness::new(vec![record(&key, &["export"])]);
    let text = key.key().expose_secret();
    let (status, _, body) = h.get("/partner/export", &[("X-API-Key", text)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("{} acme", key.id()));
    let auth = format!("ApiKey {text}");
    let (status, _, _) = h.get("/partner/export", &[("Authorization", &auth)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.runs(), 2);
    h.logs.assert_free_of(text);
}

#[actix_web::test]
async fn refused_keys_get_invalid_token_with_the_apikey_scheme() {
    let good = NewKey::generate();
    let expired = NewKey::generate();
    let disabled = NewKey::generate();
    let future = NewKey::generate();
    let stranger = NewKey::generate();
    let mut records = vec![record(&good, &["export"])];
    records.push(KeyRecord {
        expires_at: now() - 1,
        ..record(&expired, &["export"])
    });
    records.push(KeyRecord {
        disabled: true,
        ..record(&disabled, &["export"])
    });
    records.push(KeyRecord {
        not_before: Some(now() + 600),
        ..record(&future, &["export"])
    });
    let h = Harness::new(records);

    let good_text = good.key().expose_secret().to_owned();
    let mut wrong_secret = good_text.clone().into_bytes();
    wrong_secret[20] = if wrong_secret[20] == b'a' { b'b' } else { b'a' };
    let wrong_secret = String::from_utf8(wrong_secret).unwrap();
    let cases = [
        (
            "expired",
            expired.key().expose_secret().to_owned(),
            "expired",
        ),
        (
            "disabled",
            disabled.key().expose_secret().to_owned(),
            "key_disabled",
        ),
        (
            "not yet valid",
            future.key().expose_secret().to_owned(),
            "not_yet_valid",
        ),
        (
            "unknown id",
            stranger.key().expose_secret().to_owned(),
            "unknown_key",
        ),
        ("typo", wrong_secret, "key_checksum"),
        ("not a key", "hunter2".to_owned(), "malformed_key"),
    ];
    for (name, key, reason) in &cases {
        let (status, challenge, body) = h.get("/partner/export", &[("X-API-Key", key)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(
            challenge.as_deref(),
            Some(r#"ApiKey realm="api", error="invalid_token""#),
            "{name}"
        );
        assert_eq!(body, r#"{"error":"invalid_token"}"#);
        assert!(
            h.logs.text().contains(&format!("reason=\"{reason}\"")),
            "{name}"
        );
        h.logs.assert_free_of(key);
    }
    assert_eq!(h.runs(), 0);
}

#[actix_web::test]
async fn a_key_with_the_right_id_but_another_secret_is_refused() {
    let key = NewKey::generate();
    let other = NewKey::generate();
    let forged = KeyRecord {
        hash: other.hash(),
        ..record(&key, &["export"])
    };
    let h = Harness::new(vec![forged]);
    let (status, _, _) = h
        .get(
            "/partner/export",
            &[("X-API-Key", key.key().expose_secret())],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(h.logs.text().contains("reason=\"wrong_key\""));
    assert_eq!(h.runs(), 0);
}

#[actix_web::test]
async fn a_key_without_the_scope_gets_403() {
    let key = NewKey::generate();
    let h = Harness::new(vec![record(&key, &["reports"])]);
    let (status, challenge, _) = h
        .get(
            "/partner/export",
            &[("X-API-Key", key.key().expose_secret())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge.as_deref(),
        Some(r#"ApiKey realm="api", error="insufficient_scope", scope="export""#)
    );
    assert_eq!(h.runs(), 0);
}

#[actix_web::test]
async fn keys_in_the_url_or_twice_are_bad_requests_and_no_key_is_401() {
    let key = NewKey::generate();
    let h = Harness::new(vec![record(&key, &["export"])]);
    let text = key.key().expose_secret();
    let in_url = format!("/partner/export?api_key={text}");
    let (status, _, _) = h.get(&in_url, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let auth = format!("ApiKey {text}");
    let (status, _, _) = h
        .get(
            "/partner/export",
            &[("X-API-Key", text), (AUTHORIZATION.as_str(), &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, challenge, _) = h.get("/partner/export", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some(r#"ApiKey realm="api""#));
    assert_eq!(h.runs(), 0);
    h.logs.assert_free_of(text);
}

#[actix_web::test]
async fn revoking_a_key_in_the_ring_takes_effect_on_the_next_request() {
    let key = NewKey::generate();
    let h = Harness::new(vec![record(&key, &["export"])]);
    let text = key.key().expose_secret();
    assert_eq!(
        h.get("/partner/export", &[("X-API-Key", text)]).await.0,
        StatusCode::OK
    );
    let revoked = KeyRecord {
        disabled: true,
        ..record(&key, &["export"])
    };
    h.ring.replace(&RingDocument {
        version: 1,
        keys: vec![revoked],
    });
    let (status, _, _) = h.get("/partner/export", &[("X-API-Key", text)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn testkit_minted_keys_work_against_a_service() {
    use zt_testkit::{ring_document, MintedKey};

    let partner = MintedKey::new(&["export"]).owner("partner-a");
    let expired = MintedKey::new(&["export"]).expired();
    let disabled = MintedKey::new(&["export"]).disabled();
    let h = Harness::new(ring_document(&[&partner, &expired, &disabled]).keys);

    let (status, _, body) = h
        .get("/partner/export", &[("X-API-Key", partner.text())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("{} partner-a", partner.id()));
    for refused in [&expired, &disabled] {
        let (status, _, _) = h
            .get("/partner/export", &[("X-API-Key", refused.text())])
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert!(!format!("{partner:?}").contains(partner.text()));
}
