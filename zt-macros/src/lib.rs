//! Provides `#[zero_trust]`, the attribute that makes an actix-web handler authenticate its
//! caller before the handler runs.
//!
//! Applications use it as `zt_actix::zero_trust`; the code it generates refers to `zt_actix`
//! by that name, so the crate must be a direct dependency and must not be renamed. The crate
//! is split by stage: `args` parses the attribute into a raw list of items, `valid` checks
//! the items and the annotated function and collects every error, and `expand` writes the
//! guarded handler or, on error, the errors beside the untouched item.
//!
//! # Examples
//!
//! ```
//! use actix_web::{get, web, App, HttpResponse, Responder};
//! use zt_actix::zero_trust;
//!
//! #[zero_trust(okta, scopes = "orders:read")]
//! #[get("/orders/{id}")]
//! async fn order(id: web::Path<String>) -> impl Responder {
//!     HttpResponse::Ok().body(id.into_inner())
//! }
//!
//! #[zero_trust(anonymous, reason = "load balancer health probe")]
//! #[get("/healthz")]
//! async fn health() -> &'static str {
//!     "ok"
//! }
//!
//! let app = App::new().service(order).service(health);
//! # drop(app);
//! ```

#![doc(test(attr(deny(warnings))))]

mod args;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Makes an actix-web handler authenticate its caller before its body runs.
///
/// The attribute names one mechanism, then that mechanism's keys, separated by commas:
///
/// | attribute | the caller must present |
/// |---|---|
/// | `#[zero_trust(okta)]` | an Okta access token, any scopes |
/// | `#[zero_trust(okta, scopes = "a b")]` | an Okta access token carrying both `a` and `b` |
/// | `#[zero_trust(auth0, any_scope = "a b")]` | an Auth0 access token carrying `a`, `b` or both |
/// | `#[zero_trust(api_key, scopes = "export")]` | an API key granting `export` |
/// | `#[zero_trust(mtls, identity = "spiffe://corp/billing")]` | a client certificate with that SPIFFE id |
/// | `#[zero_trust(mtls, identity = "spiffe://corp/batch/*")]` | a client certificate with any SPIFFE id below `batch/` |
/// | `#[zero_trust(mtls, policy = "billing-clients")]` | a client certificate the named policy admits |
/// | `#[zero_trust(psk = "deploy-hook")]` | a request signed with the secret named `deploy-hook` |
/// | `#[zero_trust(anonymous, reason = "probe")]` | nothing; the reason is kept for the logs |
///
/// Mechanisms combine with `any(..)`, tried in the written order until one passes, and
/// `all(..)`, which needs every part; each part carries its keys in its own parentheses, and
/// the two nest: `any(okta(scopes = "a"), all(mtls(policy = "batch"), api_key))`. When every
/// part of `any(..)` refuses, the answer is the most telling refusal (a valid credential
/// lacking scopes before a bad one, a bad one before none). `anonymous` cannot be combined, so
/// a failed credential never passes as anonymous, and neither can `psk`, whose check reads the
/// request body.
///
/// Scope lists are separated by single spaces. Each scope is an RFC 6749 scope token:
/// printable ASCII other than space, `"` and `\`, so `orders:read` and `api://orders/read`
/// are fine. A route is public only when it says so, with a reason.
///
/// The attribute may be written above or below actix-web's route attributes (`#[get]`,
/// `#[post]`, `#[route]`, `#[routes]`), and works on a plain handler registered with
/// `web::get().to(handler)`.
///
/// # Examples
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use zt_actix::zero_trust;
///
/// #[zero_trust(auth0, any_scope = "orders:admin support:read")]
/// async fn refund(id: web::Path<u64>) -> HttpResponse {
///     HttpResponse::Accepted().body(format!("refund of order {id} queued"))
/// }
///
/// let app = App::new().route("/orders/{id}/refund", web::post().to(refund));
/// # drop(app);
/// ```
///
/// # Expansion
///
/// The handler keeps its parameters, return type, attributes and body as written. The
/// attribute adds one hidden first parameter, an extractor of type
/// `zt_actix::__private::Guard<M>`, and emits beside the handler:
///
/// - a hidden unit struct `M`, named `__zt_requirement_` followed by the handler's name and
///   with the handler's visibility, whose `Declared::REQUIREMENT` constant holds the
///   requirement;
/// - a `zt_actix::__private::Declaration` of the handler's module, name and requirement, which
///   `ZeroTrust::builder().build()` reads to refuse a configuration lacking a provider some
///   handler needs.
///
/// Attribute macros expand outermost first. Written above `#[get]`, the attribute emits the
/// marker at module level, where the handler still sees it after actix-web moves the handler
/// into the service it generates; written below, it emits the marker inside that service,
/// next to the handler.
///
/// # Errors
///
/// Misuse fails the build with errors spanned on the offending key, value or signature part,
/// all reported at once: an unknown, missing or repeated mechanism; an unknown, repeated or
/// misplaced key; `scopes` together with `any_scope`; an empty or malformed scope list or a
/// repeated scope; a value that is not a string literal; `anonymous` without a non-empty
/// `reason`; `mtls` without exactly one `identity` or `policy`, or with an identity that is
/// not a SPIFFE id; a malformed `psk` or `policy` name; a combination with fewer than two
/// parts, a repeated part, `anonymous` or `psk` inside it, or `any` directly inside `any`
/// (`all` inside `all`); and an item that is not an `async fn`, takes `self`, carries a second
/// `#[zero_trust]`, or has more than 15 parameters. The handler is emitted unchanged beside
/// the errors, so editors keep working.
///
/// # Security
///
/// The guard is the first extractor, and actix-web completes every extractor before it calls
/// the handler, so the body never runs for a caller the guard refuses. actix-web does create
/// all extractors of a handler together, and while the guard waits (for signing keys, say)
/// the others may already read the request, such as a JSON body.
///
/// # Limitations
///
/// - The guard uses one of the 16 extractor parameters actix-web supports, leaving 15.
/// - Methods in `impl` blocks cannot be annotated, because the marker is a struct item; the
///   same holds for actix-web's own route attributes.
/// - The generated code names the `zt_actix` crate, which must be a direct dependency under
///   that name.
#[proc_macro_attribute]
pub fn zero_trust(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::zero_trust(args.into(), item.into()).into()
}
