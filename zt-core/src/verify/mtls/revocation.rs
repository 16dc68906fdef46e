//! Revocation state read from the trust bundle's CRLs, for checking connections that are
//! already open when a CRL changes.

use std::collections::{HashMap, HashSet};
use std::fmt;

use rustls::pki_types::{CertificateRevocationListDer, UnixTime};
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

use super::MtlsError;

/// Names one certificate for revocation: its issuer's DER-encoded name and its serial.
///
/// A serial is unique only under one issuer, so both are kept.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CertificateKey {
    issuer: Vec<u8>,
    serial: Vec<u8>,
}

impl CertificateKey {
    /// Reads the issuer name and serial of a DER certificate.
    ///
    /// # Errors
    ///
    /// Returns [`MtlsError::MalformedCertificate`] for bytes that are not one whole X.509
    /// certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, MtlsError> {
        let Ok((rest, cert)) = X509Certificate::from_der(der) else {
            return Err(MtlsError::MalformedCertificate);
        };
        if !rest.is_empty() {
            return Err(MtlsError::MalformedCertificate);
        }
        Ok(Self::of(&cert))
    }

    /// A key no certificate has: no revocation list covers it.
    pub(super) fn unknown() -> Self {
        Self {
            issuer: Vec::new(),
            serial: Vec::new(),
        }
    }

    pub(super) fn of(cert: &X509Certificate<'_>) -> Self {
        Self {
            issuer: cert.issuer().as_raw().to_vec(),
            serial: cert.raw_serial().to_vec(),
        }
    }
}

impl fmt::Debug for CertificateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateKey")
            .field("serial", &super::identity::hex(&self.serial))
            .finish_non_exhaustive()
    }
}

/// States what the loaded CRLs say about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationStatus {
    /// A current CRL from the certificate's issuer does not list it.
    Good,
    /// A CRL from the certificate's issuer lists it.
    Revoked,
    /// No CRL from the certificate's issuer is loaded, or every one is past its next update.
    Unknown,
}

/// Indexes the revoked serials of a set of CRLs by issuer, for lookups on every request.
///
/// # Security
///
/// The CRLs' signatures are not checked here: the index only ever refuses (a listed serial,
/// or an issuer without a current CRL), and the same CRLs are checked by signature in every
/// handshake, which fails when one is forged.
#[derive(Default)]
pub struct RevocationIndex {
    issuers: HashMap<Vec<u8>, IssuerCrls>,
}

#[derive(Default)]
struct IssuerCrls {
    /// The latest `nextUpdate` among the issuer's CRLs, in seconds since the epoch.
    valid_until: Option<u64>,
    /// Whether one of the issuer's CRLs has no `nextUpdate` at all, and so never expires.
    has_open_ended: bool,
    revoked: HashSet<Vec<u8>>,
}

impl RevocationIndex {
    /// Builds the index from DER CRLs.
    ///
    /// # Errors
    ///
    /// Returns [`MtlsError::MalformedCrl`] when a CRL cannot be parsed.
    pub fn new<'a>(
        crls: impl IntoIterator<Item = &'a CertificateRevocationListDer<'a>>,
    ) -> Result<Self, MtlsError> {
        let mut issuers: HashMap<Vec<u8>, IssuerCrls> = HashMap::new();
        for der in crls {
            let Ok((_, crl)) = CertificateRevocationList::from_der(der.as_ref()) else {
                return Err(MtlsError::MalformedCrl);
            };
            let entry = issuers.entry(crl.issuer().as_raw().to_vec()).or_default();
            match crl.next_update() {
                Some(next) => {
                    let next = u64::try_from(next.timestamp()).unwrap_or(0);
                    entry.valid_until = Some(entry.valid_until.map_or(next, |v| v.max(next)));
                }
                None => entry.has_open_ended = true,
            }
            for revoked in crl.iter_revoked_certificates() {
                entry.revoked.insert(revoked.raw_serial().to_vec());
            }
        }
        Ok(Self { issuers })
    }

    /// Returns what the CRLs say about `cert` at `now`.
    #[must_use]
    pub fn status(&self, cert: &CertificateKey, now: UnixTime) -> RevocationStatus {
        let Some(issuer) = self.issuers.get(&cert.issuer) else {
            return RevocationStatus::Unknown;
        };
        if issuer.revoked.contains(&cert.serial) {
            return RevocationStatus::Revoked;
        }

        let current =
            issuer.has_open_ended || issuer.valid_until.is_some_and(|v| v > now.as_secs());
        if current {
            RevocationStatus::Good
        } else {
            RevocationStatus::Unknown
        }
    }
}

impl fmt::Debug for RevocationIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationIndex")
            .field("issuers", &self.issuers.len())
            .field(
                "revoked",
                &self
                    .issuers
                    .values()
                    .map(|i| i.revoked.len())
                    .sum::<usize>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use zt_testkit::TestCa;

    use super::*;

    #[test]
    fn listed_serial_is_revoked_and_others_are_good() {
        let ca = TestCa::new();
        let revoked = ca.client().issue();
        let good = ca.client().issue();
        let crl = ca.crl().revoke(&revoked).sign().der();

        let index = RevocationIndex::new([&crl]).unwrap();

        let key = |c: &zt_testkit::IssuedCert| CertificateKey::from_der(&c.der()).unwrap();
        let now = UnixTime::now();
        assert_eq!(index.status(&key(&revoked), now), RevocationStatus::Revoked);
        assert_eq!(index.status(&key(&good), now), RevocationStatus::Good);
    }

    #[test]
    fn same_serial_under_another_issuer_is_not_revoked_but_unknown() {
        let ca = TestCa::new();
        let other = TestCa::named("Other Root", "Other Intermediate");
        let cert = other.client().issue();
        let crl = ca.crl().revoke_serial(cert.serial()).sign().der();

        let index = RevocationIndex::new([&crl]).unwrap();

        let key = CertificateKey::from_der(&cert.der()).unwrap();
        assert_eq!(
            index.status(&key, UnixTime::now()),
            RevocationStatus::Unknown
        );
    }

    #[test]
    fn crl_past_its_next_update_gives_unknown() {
        let ca = TestCa::new();
        let cert = ca.client().issue();
        let stale = ca.crl().expired().sign().der();
        let fresh = ca.crl().sign().der();
        let key = CertificateKey::from_der(&cert.der()).unwrap();

        let index = RevocationIndex::new([&stale]).unwrap();
        assert_eq!(
            index.status(&key, UnixTime::now()),
            RevocationStatus::Unknown
        );

        let index = RevocationIndex::new([&fresh]).unwrap();
        let later = UnixTime::since_unix_epoch(Duration::from_secs(u64::from(u32::MAX)));
        assert_eq!(index.status(&key, UnixTime::now()), RevocationStatus::Good);
        assert_eq!(index.status(&key, later), RevocationStatus::Unknown);
    }

    #[test]
    fn garbage_crl_is_refused() {
        let bad = CertificateRevocationListDer::from(b"not a crl".to_vec());
        assert!(matches!(
            RevocationIndex::new([&bad]),
            Err(MtlsError::MalformedCrl)
        ));
    }
}
