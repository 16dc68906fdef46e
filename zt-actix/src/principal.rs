//! The `Principal` extractor handlers take to learn who called.

use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::guard::PendingDecision;
use crate::rejection::Rejection;

/// Gives a handler the verified caller; dereferences to [`zt_core::Principal`].
///
/// Works only on handlers with a `#[zero_trust]` attribute that requires a credential: it
/// reuses the decision the attribute's guard made, so nothing is verified twice. On an
/// anonymous route take `Option<Principal>`, which is `None`.
///
/// # Examples
///
/// ```
/// use actix_web::{get, HttpResponse};
/// use zt_actix::{zero_trust, Principal};
///
/// #[zero_trust(auth0, scopes = "read")]
/// #[get("/me")]
/// async fn me(who: Principal) -> HttpResponse {
///     HttpResponse::Ok().body(who.subject().to_owned())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Principal(Arc<zt_core::Principal>);

impl Deref for Principal {
    type Target = zt_core::Principal;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromRequest for Principal {
    type Error = Rejection;
    type Future = LocalBoxFuture<'static, Result<Self, Rejection>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(PendingDecision(decision)) = req.extensions().get::<PendingDecision>().cloned()
        else {
            tracing::error!(
                target: "zt::decision",
                route = req.path(),
                "a handler takes Principal but has no #[zero_trust] attribute"
            );
            return Box::pin(async { Err(Rejection::misconfigured()) });
        };
        Box::pin(async move {
            match decision.await? {
                Some(principal) => Ok(Principal(principal)),
                None => Err(Rejection::misconfigured()),
            }
        })
    }
}
