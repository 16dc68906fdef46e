//! The per-request check of `Requirement::Mtls`: the connection's certificate against the
//! revocation state in force now, then the route's identity rule.

use std::sync::Arc;

use actix_web::HttpRequest;
use rustls_pki_types::UnixTime;
use zt_core::verify::mtls::{PeerIdentity, RevocationStatus};
use zt_core::{Denial, IdentityRule, Mechanism, Principal, Reason};

use super::connection::PeerCertificate;
use super::state::MtlsState;

/// Verifies the caller's client certificate for `rule`; `Err(None)` when mTLS is not
/// configured.
pub(crate) fn verify(
    state: Option<&MtlsState>,
    req: &HttpRequest,
    rule: IdentityRule,
) -> Result<Arc<Principal>, Option<Denial>> {
    let state = state.ok_or(None)?;

    // Where the identity comes from. Today: the TLS connection this service terminated.
    // Proxy mode plugs in here: when forwarded-certificate settings are configured, take the
    // identity from `ForwardedCertificates::identify(peer_ip, &|name| header bytes)` instead
    // (refusing with `InvalidCredential` on a `ProxyRefusal`), and check the revocation of
    // `identity.certificate_key()` below in the same way.
    let Some(peer) = req.conn_data::<PeerCertificate>() else {
        return Err(Some(Denial::Missing));
    };
    let Ok(identity) = peer.identity() else {
        return Err(Some(Denial::InvalidCredential(
            Reason::MalformedCertificate,
        )));
    };

    authorize(state, identity, peer.chain_keys(), rule)
}

/// Checks revocation now, then the identity rule, and builds the principal.
pub(crate) fn authorize<'a>(
    state: &MtlsState,
    identity: &PeerIdentity,
    chain: impl IntoIterator<Item = &'a zt_core::verify::mtls::CertificateKey>,
    rule: IdentityRule,
) -> Result<Arc<Principal>, Option<Denial>> {
    match state.verifier.revocation_status(chain, UnixTime::now()) {
        RevocationStatus::Good => {}
        RevocationStatus::Revoked => {
            return Err(Some(Denial::InvalidCredential(Reason::CertificateRevoked)));
        }
        _ => return Err(Some(Denial::InvalidCredential(Reason::RevocationUnknown))),
    }

    if !state.allows(rule, identity) {
        return Err(Some(Denial::Forbidden(Reason::IdentityNotAllowed)));
    }

    let subject = identity
        .spiffe_id()
        .or_else(|| identity.dns_names().first().map(String::as_str))
        .unwrap_or_default();
    Ok(Arc::new(Principal::new(
        Mechanism::ClientCertificate,
        identity.issuer(),
        subject,
    )))
}
