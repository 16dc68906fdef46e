//! What forwarded certificates are checked against: the chain verifier of a trust bundle, and
//! for leaves whose chain the proxy verified, the bundle's revocation lists read directly.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

use super::format::significant;
use super::ProxyRefusal;
use crate::verify::mtls::{MtlsError, TrustBundle};

/// The checks one trust bundle allows; replaced as a whole on reload.
pub(super) struct Trust {
    verifier: Arc<dyn ClientCertVerifier>,
    intermediates: Vec<CertificateDer<'static>>,
    crls: Vec<CrlEntries>,
}

/// One revocation list, reduced to what a leaf check needs.
struct CrlEntries {
    issuer: Vec<u8>,
    next_update: Option<i64>,
    revoked: Vec<Vec<u8>>,
}

impl Trust {
    /// Builds the checks for `bundle`, with extra `intermediates` the proxy may not forward.
    pub(super) fn new(
        bundle: &TrustBundle,
        intermediates: Vec<CertificateDer<'static>>,
    ) -> Result<Self, MtlsError> {
        let verifier = bundle.verifier()?;
        let crls = bundle
            .crls()
            .iter()
            .map(|der| CrlEntries::read(der))
            .collect::<Option<_>>()
            .ok_or(MtlsError::MalformedCertificate)?;
        Ok(Self {
            verifier,
            intermediates,
            crls,
        })
    }

    /// Verifies `chain` (leaf first) as the TLS handshake verifier would.
    pub(super) fn verify_chain(
        &self,
        chain: &[CertificateDer<'static>],
        now: UnixTime,
    ) -> Result<(), ProxyRefusal> {
        let Some((leaf, forwarded)) = chain.split_first() else {
            return Err(ProxyRefusal::Malformed("empty certificate chain"));
        };
        let mut intermediates = forwarded.to_vec();
        intermediates.extend(self.intermediates.iter().cloned());

        self.verifier
            .verify_client_cert(leaf, &intermediates, now)
            .map(|_| ())
            .map_err(|e| ProxyRefusal::from_rustls(&e))
    }

    /// Checks a leaf whose chain the proxy verified: well-formed, within its dates, allowed
    /// for client authentication, and not revoked by a current CRL from its issuer.
    pub(super) fn verify_leaf(
        &self,
        leaf: &CertificateDer<'static>,
        stated_serial: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<(), ProxyRefusal> {
        let Ok((rest, cert)) = X509Certificate::from_der(leaf) else {
            return Err(ProxyRefusal::Malformed("leaf is not an X.509 certificate"));
        };
        if !rest.is_empty() {
            return Err(ProxyRefusal::Malformed("leaf is not an X.509 certificate"));
        }
        let serial = significant(cert.raw_serial());
        if stated_serial.is_some_and(|stated| stated != serial) {
            return Err(ProxyRefusal::Malformed(
                "serial number header does not match the leaf",
            ));
        }

        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let validity = cert.validity();
        if now < validity.not_before.timestamp() {
            return Err(ProxyRefusal::NotYetValid);
        }
        if now > validity.not_after.timestamp() {
            return Err(ProxyRefusal::Expired);
        }

        match cert.extended_key_usage() {
            Ok(Some(eku)) if eku.value.client_auth => {}
            Ok(_) => return Err(ProxyRefusal::NoClientAuth),
            Err(_) => return Err(ProxyRefusal::Malformed("unreadable extended key usage")),
        }

        let issuer = cert.issuer().as_raw();
        let mut covered = false;
        for crl in self.crls.iter().filter(|crl| crl.issuer == issuer) {
            if crl.next_update.is_none_or(|next| next < now) {
                return Err(ProxyRefusal::RevocationListExpired);
            }
            if crl.revoked.iter().any(|r| r.as_slice() == serial) {
                return Err(ProxyRefusal::Revoked);
            }
            covered = true;
        }
        if covered {
            Ok(())
        } else {
            Err(ProxyRefusal::RevocationUnknown)
        }
    }

    /// Returns how many revocation lists are loaded, for `Debug`.
    pub(super) fn crl_count(&self) -> usize {
        self.crls.len()
    }
}

impl CrlEntries {
    fn read(der: &[u8]) -> Option<Self> {
        let (rest, crl) = CertificateRevocationList::from_der(der).ok()?;
        if !rest.is_empty() {
            return None;
        }
        Some(Self {
            issuer: crl.issuer().as_raw().to_vec(),
            next_update: crl.next_update().map(|t| t.timestamp()),
            revoked: crl
                .iter_revoked_certificates()
                .map(|r| significant(r.raw_serial()).to_vec())
                .collect(),
        })
    }
}
