//! Decision events and metrics: one of each per decision, with the style's fields, and never
//! the credential, on allow and deny paths alike.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{get, test, App, HttpResponse};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use zt_actix::__private::{inventory, Declaration, Declared, Guard};
use zt_actix::{Requirement, ScopeRule, ZeroTrust};
use zt_testkit::{key_ring, LogCapture, MintedKey};

struct Export;
impl Declared for Export {
    const REQUIREMENT: Requirement = Requirement::ApiKey {
        scopes: ScopeRule::All(&["export"]),
    };
}
inventory::submit! {
    Declaration::new(module_path!(), "export", Export::REQUIREMENT).with_route(&["GET"], "/export/{id}")
}
#[get("/export/{id}")]
async fn export(_g: Guard<Export>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn decisions_are_counted_timed_and_logged_without_the_key() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let logs = LogCapture::install();

    let good = MintedKey::new(&["export"]);
    let unscoped = MintedKey::new(&["other"]);
    let expired = MintedKey::new(&["export"]).expired();
    let zt = ZeroTrust::builder()
        .api_keys(Arc::new(key_ring(&[&good, &unscoped, &expired])))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(zt.clone())
            .wrap(zt.gate())
            .service(export),
    )
    .await;

    let mut statuses = Vec::new();
    for key in [&good, &good, &unscoped, &expired] {
        let req = test::TestRequest::get()
            .uri("/export/7")
            .insert_header(("X-API-Key", key.text()))
            .to_request();
        statuses.push(test::call_service(&app, req).await.status());
    }
    let req = test::TestRequest::get().uri("/export/7").to_request();
    statuses.push(test::call_service(&app, req).await.status());
    let req = test::TestRequest::get().uri("/elsewhere").to_request();
    statuses.push(test::call_service(&app, req).await.status());
    assert_eq!(
        statuses,
        [200, 200, 403, 401, 401, 404].map(|s| StatusCode::from_u16(s).unwrap())
    );

    let mut counts = Vec::new();
    let mut timings = 0;
    for (key, .., value) in snapshotter.snapshot().into_vec() {
        let labels: Vec<String> = key
            .key()
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        match value {
            DebugValue::Counter(n) if key.key().name() == "zt_decisions_total" => {
                counts.push((labels.join(","), n));
            }
            DebugValue::Histogram(v) if key.key().name() == "zt_verification_seconds" => {
                assert!(v.iter().all(|s| s.into_inner() >= 0.0));
                timings += v.len();
            }
            _ => {}
        }
    }
    counts.sort();
    assert_eq!(
        counts,
        [
            (
                "mechanism=api_key,outcome=allow,reason=verified".to_owned(),
                2
            ),
            (
                "mechanism=api_key,outcome=deny,reason=expired".to_owned(),
                1
            ),
            (
                "mechanism=api_key,outcome=deny,reason=insufficient_scope".to_owned(),
                1
            ),
            (
                "mechanism=api_key,outcome=deny,reason=no_credential".to_owned(),
                1
            ),
            ("mechanism=gate,outcome=deny,reason=no_route".to_owned(), 1),
        ]
    );
    assert_eq!(timings, 5, "every verification is timed");

    let text = logs.text();
    let events: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("zt::decision"))
        .collect();
    assert_eq!(events.len(), 6, "{text}");
    for event in &events {
        for field in ["outcome=", "reason=", "mechanism=", "method=", "route="] {
            assert!(event.contains(field), "{field} missing from {event}");
        }
    }
    assert!(events[0].contains("route=/export/{id}"), "{}", events[0]);
    let subject = format!("subject=\"{}\"", good.id());
    assert!(events[0].contains(&subject), "{}", events[0]);
    for key in [&good, &unscoped, &expired] {
        logs.assert_free_of(key.text());
    }
}
