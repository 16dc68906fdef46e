//! The demo's routes, one per kind of caller.
//!
//! Handlers are registered with `zt_actix::route`, which reads each handler's declaration
//! from its type, so the deny-by-default gate can prove every route declared.

use actix_web::{web, HttpResponse};
use serde_json::json;
use zt_actix::{route, zero_trust, Principal, RouteInventory};

/// Answers load balancers and uptime checks without a credential.
#[zero_trust(anonymous, reason = "health probe for load balancers")]
pub(crate) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Serves employees holding an Okta token with scope `read`.
#[zero_trust(okta, scopes = "read")]
pub(crate) async fn employee(who: Principal) -> HttpResponse {
    describe("employee", &who)
}

/// Serves customers holding an Auth0 token with scope `read`.
#[zero_trust(auth0, scopes = "read")]
pub(crate) async fn customer(who: Principal) -> HttpResponse {
    describe("customer", &who)
}

/// Serves customer administrators holding an Auth0 token with scope `admin`.
#[zero_trust(auth0, scopes = "admin")]
pub(crate) async fn customer_admin(who: Principal) -> HttpResponse {
    describe("customer admin", &who)
}

/// Serves partners holding an API key with scope `export`.
#[zero_trust(api_key, scopes = "export")]
pub(crate) async fn partner_export(who: Principal) -> HttpResponse {
    describe("partner export", &who)
}

/// Serves the billing service, which calls with a client certificate for its SPIFFE id.
#[zero_trust(mtls, identity = "spiffe://example.test/service/billing")]
pub(crate) async fn internal_billing(who: Principal) -> HttpResponse {
    describe("internal billing", &who)
}

/// Lists every route with its protection, for operators holding an Okta token with scope
/// `routes:read`.
#[zero_trust(okta, scopes = "routes:read")]
pub(crate) async fn route_inventory(inventory: RouteInventory) -> HttpResponse {
    HttpResponse::Ok().json(inventory)
}

fn describe(route: &str, who: &Principal) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "route": route,
        "subject": who.subject(),
        "issuer": who.issuer(),
        "client_id": who.client_id(),
        "scopes": who.scopes().iter().collect::<Vec<_>>(),
    }))
}

/// Registers every route of the demo.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", route::get(health))
        .route("/employee", route::get(employee))
        .route("/customer", route::get(customer))
        .route("/customer/admin", route::get(customer_admin))
        .route("/partner/export", route::get(partner_export))
        .route("/admin/routes", route::get(route_inventory))
        .route("/internal/billing", route::get(internal_billing))
        .route("/hooks/deploy", route::post(crate::deploy_hook::deploy));
}
