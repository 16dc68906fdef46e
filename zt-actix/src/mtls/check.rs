//! The per-request check of `Requirement::Mtls`: the connection's certificate against the
//! revocation state in force now, then the route's identity rule.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use actix_web::http::header::HeaderValue;
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

    // Forwarded headers first: present from a peer that is not a trusted proxy, they are a
    // forgery and refused even when the connection carries a certificate of its own.
    if let Some(forwarded) = &state.forwarded {
        let peer_ip = req
            .peer_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |addr| addr.ip());
        let headers = req.headers();
        let header = |name: &str| headers.get(name).map(HeaderValue::as_bytes);
        match forwarded.identify(peer_ip, &header) {
            // `identify` has just checked the chain against the CRLs in force.
            Ok(Some(identity)) => return admit(state, &identity, rule),
            Ok(None) => {}
            Err(refusal) => return Err(Some(refusal.denial())),
        }
    }

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

    admit(state, identity, rule)
}

/// Checks the identity rule and builds the principal.
fn admit(
    state: &MtlsState,
    identity: &PeerIdentity,
    rule: IdentityRule,
) -> Result<Arc<Principal>, Option<Denial>> {
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
