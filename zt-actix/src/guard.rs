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

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if let Requirement::Psk { .. } = D::REQUIREMENT {
            crate::psk::divert_body(req, payload);
        }
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

    if let Requirement::Anonymous { reason } = *requirement {
        decision::anonymous(req, reason);
        return Ok(None);
    }

    let started = Instant::now();
    let verdict = evaluate(zt, req, requirement).await;
    decision::verified(req, verdict.mechanism, &verdict.result, started.elapsed());
    match verdict.result {
        Ok(principal) => Ok(Some(principal)),
        Err(None) => Err(Rejection::misconfigured()),
        Err(Some(denial)) => Err(Rejection::with_schemes(denial, verdict.schemes, zt.realm())),
    }
}

/// What checking one requirement, single or combined, concluded.
struct Verdict {
    /// The caller, or the denial; `Err(None)` when a mechanism is not configured.
    result: Result<Arc<zt_core::Principal>, Option<Denial>>,
    /// The mechanism that decided, for the decision event.
    mechanism: &'static str,
    /// The challenge schemes a refusal names (several when no credential was sent at all).
    schemes: Vec<&'static str>,
}

impl Verdict {
    fn unconfigured(mechanism: &'static str) -> Self {
        Self {
            result: Err(None),
            mechanism,
            schemes: Vec::new(),
        }
    }

    /// Orders refusals from the least to the most telling, for `any(..)`.
    ///
    /// A credential that was checked and found lacking says more than one that could not be
    /// checked, which says more than none at all; a missing setting outranks everything so
    /// that a misconfiguration is never hidden behind a 401.
    fn specificity(&self) -> u8 {
        match &self.result {
            Ok(_) => 0,
            Err(None) => 6,
            Err(Some(denial)) => match denial {
                Denial::Missing => 1,
                Denial::Unavailable { .. } => 2,
                Denial::InvalidCredential(_) => 3,
                Denial::BadRequest(_) => 4,
                _ => 5,
            },
        }
    }

    /// Keeps the more telling of two refusals; when neither found a credential, the answer
    /// challenges for every scheme that was tried.
    fn or_more_specific(mut self, other: Self) -> Self {
        let both_missing = matches!(
            (&self.result, &other.result),
            (Err(Some(Denial::Missing)), Err(Some(Denial::Missing)))
        );
        if both_missing {
            for scheme in other.schemes {
                if !self.schemes.contains(&scheme) {
                    self.schemes.push(scheme);
                }
            }
            return self;
        }
        if other.specificity() > self.specificity() {
            other
        } else {
            self
        }
    }
}

/// Checks `requirement` against the request: single mechanisms directly, `any(..)` in order
/// until one passes, `all(..)` in order until one fails.
fn evaluate<'a>(
    zt: &'a ZeroTrust,
    req: &'a HttpRequest,
    requirement: &'static Requirement,
) -> LocalBoxFuture<'a, Verdict> {
    Box::pin(async move {
        match *requirement {
            Requirement::Any(parts) => {
                let mut best: Option<Verdict> = None;
                for part in parts {
                    let verdict = evaluate(zt, req, part).await;
                    if verdict.result.is_ok() {
                        return verdict;
                    }
                    best = Some(match best {
                        None => verdict,
                        Some(best) => best.or_more_specific(verdict),
                    });
                }
                best.unwrap_or_else(|| Verdict::unconfigured("any"))
            }
            Requirement::All(parts) => {
                let mut first = None;
                for part in parts {
                    let verdict = evaluate(zt, req, part).await;
                    if verdict.result.is_err() {
                        return verdict;
                    }
                    first.get_or_insert(verdict);
                }
                first.unwrap_or_else(|| Verdict::unconfigured("all"))
            }
            Requirement::Token { provider, scopes } => Verdict {
                result: verify_token(zt, req, provider, scopes).await,
                mechanism: provider.as_str(),
                schemes: vec!["Bearer"],
            },
            Requirement::ApiKey { scopes } => Verdict {
                result: verify_api_key(zt, req, scopes),
                mechanism: "api_key",
                schemes: vec!["ApiKey"],
            },
            // No challenge scheme: the certificate travels in the TLS handshake, and no HTTP
            // authentication scheme exists for it.
            Requirement::Mtls { identity } => Verdict {
                result: crate::mtls::verify(zt.mtls(), req, identity),
                mechanism: "mtls",
                schemes: Vec::new(),
            },
            Requirement::Psk { name } => Verdict {
                result: crate::psk::verify(zt, req, name).await,
                mechanism: "psk",
                schemes: crate::psk::schemes(zt, name),
            },
            // Anonymous is answered before evaluation, and the attribute refuses it inside
            // combinations.
            _ => Verdict::unconfigured("anonymous"),
        }
    })
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
    principal: impl Into<Arc<zt_core::Principal>>,
    scopes: ScopeRule,
) -> Result<Arc<zt_core::Principal>, Option<Denial>> {
    let principal = principal.into();
    if !scopes.is_satisfied_by(principal.scopes()) {
        return Err(Some(Denial::InsufficientScope(scopes)));
    }
    Ok(principal)
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

    let principal = verifier.verify_shared(token).await?;

    authorize(principal, scopes)
}
