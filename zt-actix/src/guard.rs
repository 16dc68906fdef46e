//! The hidden extractor `#[zero_trust]` adds to each handler: it decides before the handler runs.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use futures_util::future::{FutureExt as _, LocalBoxFuture, Shared};
use zt_core::{Denial, Provider, Requirement, ScopeRule};

use crate::credential::{api_key, bearer_token};
use crate::decision;
use crate::rejection::Rejection;
use crate::ZeroTrust;

/// Carries a handler's requirement in its type; implemented by code `#[zero_trust]` emits.
pub trait Declared: 'static {
    /// The requirement of the handler this marker belongs to.
    const REQUIREMENT: Requirement;
}

/// Checks the caller against `D::REQUIREMENT`; the handler runs only if it succeeds.
///
/// The attribute inserts it as the handler's first parameter, so it is extracted before
/// any of the user's extractors.
pub struct Guard<D: Declared>(PhantomData<D>);

impl<D: Declared> std::fmt::Debug for Guard<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Guard").field(&D::REQUIREMENT).finish()
    }
}

/// The outcome shared by the guard and the principal extractor of one request.
pub(crate) type Outcome = Result<Option<Arc<zt_core::Principal>>, Rejection>;

/// A decision in progress, stored in the request so `Principal` can await the same one.
#[derive(Clone)]
pub(crate) struct PendingDecision(pub(crate) Shared<LocalBoxFuture<'static, Outcome>>);

impl<D: Declared> FromRequest for Guard<D> {
    type Error = Rejection;
    type Future = LocalBoxFuture<'static, Result<Self, Rejection>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = req.clone();
        let decision = async move { decide(&request, &D::REQUIREMENT).await }
            .boxed_local()
            .shared();
        req.extensions_mut()
            .insert(PendingDecision(decision.clone()));
        Box::pin(async move { decision.await.map(|_| Guard(PhantomData)) })
    }
}

async fn decide(req: &HttpRequest, requirement: &'static Requirement) -> Outcome {
    let Some(zt) = req.app_data::<ZeroTrust>() else {
        decision::misconfigured(req, "no ZeroTrust configuration in app_data");
        return Err(Rejection::misconfigured());
    };

    match *requirement {
        Requirement::Anonymous { reason } => {
            decision::anonymous(req, reason);
            Ok(None)
        }
        Requirement::Token { provider, scopes } => {
            let started = Instant::now();
            let result = verify_token(zt, req, provider, scopes).await;
            decision::verified(req, provider.as_str(), &result, started.elapsed());
            respond(result, "Bearer", zt)
        }
        Requirement::ApiKey { scopes } => {
            let started = Instant::now();
            let result = verify_api_key(zt, req, scopes);
            decision::verified(req, "api_key", &result, started.elapsed());
            respond(result, "ApiKey", zt)
        }
        _ => {
            decision::misconfigured(req, "requirement kind not supported by this version");
            Err(Rejection::misconfigured())
        }
    }
}

fn respond(
    result: Result<Arc<zt_core::Principal>, Option<Denial>>,
    scheme: &'static str,
    zt: &ZeroTrust,
) -> Outcome {
    match result {
        Ok(principal) => Ok(Some(principal)),
        Err(None) => Err(Rejection::misconfigured()),
        Err(Some(denial)) => Err(Rejection::with_scheme(denial, scheme, zt.realm())),
    }
}

/// Verifies the request's API key; `Err(None)` means no key ring is configured.
fn verify_api_key(
    zt: &ZeroTrust,
    req: &HttpRequest,
    scopes: ScopeRule,
) -> Result<Arc<zt_core::Principal>, Option<Denial>> {
    let ring = zt.api_keys().ok_or(None)?;
    let key = api_key(req)?;

    let principal = ring.verify(key)?;

    authorize(principal, scopes)
}

fn authorize(
    principal: zt_core::Principal,
    scopes: ScopeRule,
) -> Result<Arc<zt_core::Principal>, Option<Denial>> {
    if !scopes.is_satisfied_by(principal.scopes()) {
        return Err(Some(Denial::InsufficientScope(scopes)));
    }
    Ok(Arc::new(principal))
}

/// Verifies the request's bearer token; `Err(None)` means the provider is not configured.
async fn verify_token(
    zt: &ZeroTrust,
    req: &HttpRequest,
    provider: Provider,
    scopes: ScopeRule,
) -> Result<Arc<zt_core::Principal>, Option<Denial>> {
    let verifier = zt.verifier(provider).ok_or(None)?;
    let token = bearer_token(req)?;

    let principal = verifier.verify(token).await?;

    authorize(principal, scopes)
}
