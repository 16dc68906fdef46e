//! The route inventory: each route with its protection, as a table and as JSON.
//!
//! This binary declares mechanisms no configuration here provides (client certificates,
//! pre-shared secrets), so it never builds a `ZeroTrust`: the inventory needs none.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use actix_web::{get, post, web, App, HttpResponse};
use zt_actix::__private::{inventory, Declaration, Declared, Guard};
use zt_actix::{route, Provider, Requirement, RouteInventory, ScopeRule};
use zt_core::IdentityRule;

struct Health;
impl Declared for Health {
    const REQUIREMENT: Requirement = Requirement::Anonymous {
        reason: "load balancer probe",
    };
}
inventory::submit! {
    Declaration::new(module_path!(), "health", Health::REQUIREMENT).with_route(&["GET"], "/health")
}
#[get("/health")]
async fn health(_g: Guard<Health>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

struct Reports;
impl Declared for Reports {
    const REQUIREMENT: Requirement = Requirement::Any(&[
        Requirement::Token {
            provider: Provider::Okta,
            scopes: ScopeRule::All(&["reports:read", "reports:list"]),
        },
        Requirement::Mtls {
            identity: IdentityRule::Spiffe("spiffe://corp.test/service/*"),
        },
    ]);
}
inventory::submit! {
    Declaration::new(module_path!(), "reports", Reports::REQUIREMENT).with_route(&["GET"], "/reports")
}
#[get("/reports")]
async fn reports(_g: Guard<Reports>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

struct Deploy;
impl Declared for Deploy {
    const REQUIREMENT: Requirement = Requirement::All(&[
        Requirement::Psk {
            name: "deploy-hook",
        },
        Requirement::ApiKey {
            scopes: ScopeRule::Any(&["deploy", "admin"]),
        },
    ]);
}
inventory::submit! {
    Declaration::new(module_path!(), "deploy", Deploy::REQUIREMENT).with_route(&["POST"], "/deploy")
}
#[post("/deploy")]
async fn deploy(_g: Guard<Deploy>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Named the way `#[zero_trust]` names a handler's marker.
#[allow(non_camel_case_types)]
struct __zt_requirement_billing;
impl Declared for __zt_requirement_billing {
    const REQUIREMENT: Requirement = Requirement::Mtls {
        identity: IdentityRule::Policy("billing"),
    };
}
async fn billing(_g: Guard<__zt_requirement_billing>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn forgotten() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn inventory_of_the_sample_app() -> RouteInventory {
    let app = App::new()
        .service(health)
        .service(web::scope("/v1").service(reports).service(deploy))
        .route("/billing", route::put(billing))
        .route("/forgotten", web::get().to(forgotten));
    RouteInventory::of(app).await.unwrap()
}

#[actix_web::test]
async fn json_lists_each_route_with_mechanisms_scopes_identities_and_reasons() {
    let inventory = inventory_of_the_sample_app().await;

    let json: serde_json::Value = serde_json::from_str(&inventory.to_json()).unwrap();
    let expected = serde_json::json!({ "routes": [
        {
            "method": "PUT", "path": "/billing", "declared": true, "handler": "inventory::billing",
            "requirement": "mtls, policy = \"billing\"",
            "mechanisms": ["mtls"], "scopes": [], "identities": ["policy:billing"]
        },
        {
            "method": "GET", "path": "/forgotten", "declared": false,
            "mechanisms": [], "scopes": [], "identities": [],
            "problem": "no #[zero_trust] declaration covers it (register a #[zero_trust] handler with a route attribute or zt_actix::route)"
        },
        {
            "method": "GET", "path": "/health", "declared": true,
            "handler": "inventory::health",
            "requirement": "anonymous, reason = \"load balancer probe\"",
            "mechanisms": ["anonymous"], "scopes": [], "identities": [],
            "anonymous_reason": "load balancer probe"
        },
        {
            "method": "POST", "path": "/v1/deploy", "declared": true,
            "handler": "inventory::deploy",
            "requirement": "all(psk = \"deploy-hook\", api_key, any_scope = \"deploy admin\")",
            "mechanisms": ["psk", "api_key"], "scopes": ["deploy", "admin"],
            "identities": ["psk:deploy-hook"]
        },
        {
            "method": "GET", "path": "/v1/reports", "declared": true,
            "handler": "inventory::reports",
            "requirement": "any(okta, scopes = \"reports:read reports:list\", mtls, identity = \"spiffe://corp.test/service/*\")",
            "mechanisms": ["okta", "mtls"], "scopes": ["reports:read", "reports:list"],
            "identities": ["spiffe://corp.test/service/*"]
        }
    ]});
    assert_eq!(json, expected, "{}", inventory.to_json());
}

#[actix_web::test]
async fn the_table_shows_one_line_per_route_with_its_protection() {
    let table = inventory_of_the_sample_app().await.to_string();
    let lines: Vec<&str> = table.lines().collect();

    assert_eq!(lines.len(), 6, "{table}");
    assert!(lines[0].starts_with("METHOD  PATH"), "{table}");
    let row = |path: &str| {
        *lines
            .iter()
            .find(|l| l.contains(&format!(" {path} ")))
            .unwrap()
    };
    assert!(row("/health").starts_with("GET "), "{table}");
    assert!(row("/health").contains("anonymous, reason = \"load balancer probe\""));
    assert!(row("/v1/reports").contains("any(okta, scopes = \"reports:read reports:list\", mtls"));
    assert!(
        row("/billing").ends_with("mtls, policy = \"billing\"  [inventory::billing]"),
        "{table}"
    );
    assert!(row("/forgotten").contains("UNDECLARED: "), "{table}");
}
