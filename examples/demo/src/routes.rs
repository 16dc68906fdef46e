//! The demo's routes, one per kind of caller.

use actix_web::{get, web, HttpResponse};
use serde_json::json;
use zt_actix::__private::{inventory, Declaration, Declared, Guard};
use zt_actix::{zero_trust, IdentityRule, Principal, Requirement};

/// Answers load balancers and uptime checks without a credential.
#[zero_trust(anonymous, reason = "health probe for load balancers")]
#[get("/health")]
pub(crate) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Serves employees holding an Okta token with scope `read`.
#[zero_trust(okta, scopes = "read")]
#[get("/employee")]
pub(crate) async fn employee(who: Principal) -> HttpResponse {
    describe("employee", &who)
}

/// Serves customers holding an Auth0 token with scope `read`.
#[zero_trust(auth0, scopes = "read")]
#[get("/customer")]
pub(crate) async fn customer(who: Principal) -> HttpResponse {
    describe("customer", &who)
}

/// Serves customer administrators holding an Auth0 token with scope `admin`.
#[zero_trust(auth0, scopes = "admin")]
#[get("/customer/admin")]
pub(crate) async fn customer_admin(who: Principal) -> HttpResponse {
    describe("customer admin", &who)
}

/// Serves partners holding an API key with scope `export`.
#[zero_trust(api_key, scopes = "export")]
#[get("/partner/export")]
pub(crate) async fn partner_export(who: Principal) -> HttpResponse {
    describe("partner export", &who)
}

/// Marks the internal billing route's requirement.
// expands like #[zero_trust(mtls, identity = "spiffe://example.test/service/billing")]
pub(crate) struct InternalBilling;

impl Declared for InternalBilling {
    const REQUIREMENT: Requirement = Requirement::Mtls {
        identity: IdentityRule::Spiffe("spiffe://example.test/service/billing"),
    };
}

inventory::submit! {
    Declaration::new(module_path!(), "internal_billing", InternalBilling::REQUIREMENT)
}

/// Serves the billing service, which calls with a client certificate for its SPIFFE id.
#[get("/internal/billing")]
pub(crate) async fn internal_billing(
    _guard: Guard<InternalBilling>,
    who: Principal,
) -> HttpResponse {
    describe("internal billing", &who)
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
    cfg.service(health)
        .service(employee)
        .service(customer)
        .service(customer_admin)
        .service(partner_export)
        .service(internal_billing)
        .route("/hooks/deploy", web::post().to(crate::deploy_hook::deploy));
}
