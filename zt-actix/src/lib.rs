//! Zero Trust authentication for actix-web: one attribute per handler.
//!
//! Annotate each handler with [`zero_trust`], configure the trusted issuers once with
//! [`ZeroTrust::builder`], and put the result in `app_data`. The attribute adds a hidden
//! guard that verifies the caller before the handler runs; take a [`Principal`] to learn
//! who called.
//!
//! ```no_run
//! use actix_web::{get, App, HttpResponse, HttpServer, Responder};
//! use zt_actix::{zero_trust, Issuer, Principal, ZeroTrust};
//!
//! #[zero_trust(auth0, scopes = "orders:read")]
//! #[get("/orders")]
//! async fn orders(who: Principal) -> impl Responder {
//!     HttpResponse::Ok().body(format!("orders of {}", who.subject()))
//! }
//!
//! #[zero_trust(anonymous, reason = "load balancer health probe")]
//! #[get("/health")]
//! async fn health() -> impl Responder {
//!     "ok"
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let zt = ZeroTrust::builder()
//!     .auth0(Issuer::auth0("https://tenant.eu.auth0.com/").audience("https://api.example.com"))
//!     .build()?;
//! let app = {
//!     let zt = zt.clone();
//!     move || App::new().app_data(zt.clone()).wrap(zt.gate()).service(orders).service(health)
//! };
//! zt.check_routes(app()).await?; // refuses to start when a route has no declaration
//! HttpServer::new(app)
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! Routes that automation calls can require requests signed with a pre-shared secret
//! (`#[zero_trust(psk = "deploy-hook")]` with [`ZeroTrustBuilder::psk`]); the guard reads
//! and verifies the body, then hands it to the handler's own extractors.
//!
//! # Security
//!
//! Refusals follow RFC 6750 (see [`Rejection`]); the body is generic and the precise reason
//! is logged once per decision under the `zt::decision` target, never with the credential.
//! Verification that cannot happen (issuer unreachable, nothing cached) answers 503 with
//! `Retry-After`, never 200.
//!
//! # Metrics
//!
//! Recorded through the `metrics` facade (install any recorder; names are stable):
//! `zt_decisions_total{mechanism, outcome, reason}`, a counter with one increment per
//! decision (the gate's own refusals count under mechanism `gate`), and
//! `zt_verification_seconds{mechanism, outcome}`, a histogram of the time spent verifying a
//! credential. zt-core adds key set fetches, secret refreshes, fallbacks and key ring
//! updates (see `zt_core::metrics`).
//!
//! # Limitations
//!
//! Routes without the attribute are refused only behind the [`Gate`]
//! (`App::wrap(zt.gate())`), which covers the registrations listed there. Client
//! certificates are taken on a TLS listener this service terminates ([`mtls`]), which
//! requires a certificate on every connection. When verification has to wait for a key
//! fetch, an extractor of the handler that fails on its own (a malformed path, say) may
//! answer before the guard does; the handler still never runs.

mod config;
mod credential;
mod decision;
mod declaration;
mod gate;
mod guard;
pub mod mtls;
mod principal;
mod psk;
mod rejection;
pub mod route;
mod routes;
pub mod test;

pub use config::{ZeroTrust, ZeroTrustBuilder};
pub use declaration::Declaration;
pub use gate::{Gate, GateService, UndeclaredRoutes};
pub use mtls::MtlsSettings;
pub use principal::Principal;
pub use rejection::Rejection;
pub use routes::{RouteEntry, RouteInventory};
pub use zt_core::verify::psk::PskSettings;
pub use zt_core::{
    ConfigError, IdentityRule, Issuer, Profile, Provider, Requirement, ScopeRule, Scopes,
};
pub use zt_macros::zero_trust;

#[doc(hidden)]
pub mod __private {
    //! Items the `#[zero_trust]` attribute expands to. Not a public API.

    pub use inventory;
    pub use zt_core::{IdentityRule, Provider, Requirement, ScopeRule};

    pub use crate::declaration::Declaration;
    pub use crate::guard::{Declared, Guard};
}
