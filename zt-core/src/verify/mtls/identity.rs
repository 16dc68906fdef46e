//! The identity a verified client certificate carries, read once after the handshake.

use std::fmt;

use aws_lc_rs::digest::{digest, SHA256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{CertificateKey, MtlsError};

/// Holds what a verified client certificate says about its holder.
///
/// Built with [`PeerIdentity::from_der`] from the end-entity certificate that the TLS
/// verifier already accepted; nothing here checks a signature or a date.
///
/// # Security
///
/// The subject (and its common name) is kept for logs only: an [`IdentityPolicy`] never
/// grants access on it, because any CA in the bundle may put any name there. SPIFFE ids and
/// DNS names come from the subject alternative name extension.
///
/// [`IdentityPolicy`]: super::IdentityPolicy
#[derive(Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    spiffe_ids: Vec<String>,
    other_uris: Vec<String>,
    dns_names: Vec<String>,
    subject: String,
    issuer: String,
    serial: String,
    fingerprint: [u8; 32],
    key: CertificateKey,
}

impl PeerIdentity {
    /// Reads the identity from a DER-encoded certificate.
    ///
    /// # Errors
    ///
    /// Returns [`MtlsError::MalformedCertificate`] for bytes that are not one whole X.509
    /// certificate, and [`MtlsError::MalformedSubjectAltName`] when the SAN extension is
    /// repeated or cannot be read.
    pub fn from_der(der: &[u8]) -> Result<Self, MtlsError> {
        let Ok((rest, cert)) = X509Certificate::from_der(der) else {
            return Err(MtlsError::MalformedCertificate);
        };
        if !rest.is_empty() {
            return Err(MtlsError::MalformedCertificate);
        }

        let san = cert
            .subject_alternative_name()
            .map_err(|_| MtlsError::MalformedSubjectAltName)?;
        let mut spiffe_ids = Vec::new();
        let mut other_uris = Vec::new();
        let mut dns_names = Vec::new();
        for name in san.iter().flat_map(|ext| ext.value.general_names.iter()) {
            match name {
                GeneralName::URI(uri) if uri.starts_with("spiffe://") => {
                    spiffe_ids.push((*uri).to_owned());
                }
                GeneralName::URI(uri) => other_uris.push((*uri).to_owned()),
                GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                _ => {}
            }
        }

        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(digest(&SHA256, der).as_ref());

        Ok(Self {
            spiffe_ids,
            other_uris,
            dns_names,
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: hex(cert.raw_serial()),
            fingerprint,
            key: CertificateKey::of(&cert),
        })
    }

    /// Builds an identity from names a proxy reported without the certificate behind them.
    ///
    /// Only the explicitly insecure URI-only mode of forwarded certificates uses this: nothing
    /// here was verified, the issuer and serial are empty (so no revocation list covers it) and the fingerprint is the one the proxy stated
    /// (zero when it stated none).
    pub(super) fn unverified(
        uris: Vec<String>,
        dns_names: Vec<String>,
        subject: String,
        fingerprint: [u8; 32],
    ) -> Self {
        let (spiffe_ids, other_uris) = uris.into_iter().partition(|u| u.starts_with("spiffe://"));
        Self {
            spiffe_ids,
            other_uris,
            dns_names,
            subject,
            issuer: String::new(),
            serial: String::new(),
            fingerprint,
            key: CertificateKey::unknown(),
        }
    }

    /// Returns the SPIFFE id when the certificate carries exactly one, as an X.509 SVID must.
    #[must_use]
    pub fn spiffe_id(&self) -> Option<&str> {
        match self.spiffe_ids.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Returns every URI SAN that starts with `spiffe://`, in certificate order.
    #[must_use]
    pub fn spiffe_ids(&self) -> &[String] {
        &self.spiffe_ids
    }

    /// Returns the URI SANs that are not SPIFFE ids.
    #[must_use]
    pub fn other_uris(&self) -> &[String] {
        &self.other_uris
    }

    /// Returns the DNS SANs, in certificate order.
    #[must_use]
    pub fn dns_names(&self) -> &[String] {
        &self.dns_names
    }

    /// Returns the subject distinguished name, RFC 4514 style; for logs, never for access.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Returns the issuer's distinguished name, RFC 4514 style.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Returns the issuer and serial that revocation lists name this certificate by.
    #[must_use]
    pub fn certificate_key(&self) -> &CertificateKey {
        &self.key
    }

    /// Returns the serial number as lowercase hex, as written in the certificate.
    #[must_use]
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Returns the SHA-256 digest of the whole DER certificate.
    #[must_use]
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Returns the SHA-256 fingerprint as lowercase hex.
    #[must_use]
    pub fn fingerprint_hex(&self) -> String {
        hex(&self.fingerprint)
    }
}

impl fmt::Debug for PeerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerIdentity")
            .field("spiffe_ids", &self.spiffe_ids)
            .field("dns_names", &self.dns_names)
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial)
            .field("fingerprint", &self.fingerprint_hex())
            .finish_non_exhaustive()
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;

    bytes.iter().fold(String::new(), |mut out, b| {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use zt_testkit::{TestCa, DEFAULT_SPIFFE_ID};

    use super::*;

    #[test]
    fn spiffe_id_dns_names_and_serial_are_read() {
        let ca = TestCa::new();
        let cert = ca.client().dns("billing.example.test").issue();

        let who = PeerIdentity::from_der(&cert.der()).unwrap();

        assert_eq!(who.spiffe_id(), Some(DEFAULT_SPIFFE_ID));
        assert_eq!(who.dns_names(), ["billing.example.test"]);
        assert_eq!(who.serial(), hex(cert.serial()));
        assert!(who.subject().contains("CN=billing"));
    }

    #[test]
    fn fingerprint_is_sha256_of_the_der() {
        let cert = TestCa::new().client().issue();

        let who = PeerIdentity::from_der(&cert.der()).unwrap();

        assert_eq!(who.fingerprint(), digest(&SHA256, &cert.der()).as_ref());
        assert_eq!(who.fingerprint_hex().len(), 64);
    }

    #[test]
    fn certificate_without_san_has_no_identity_but_its_subject() {
        let cert = TestCa::new().client().without_san().issue();

        let who = PeerIdentity::from_der(&cert.der()).unwrap();

        assert_eq!(who.spiffe_id(), None);
        assert!(who.dns_names().is_empty());
        assert!(who.subject().contains("CN=billing"));
    }

    #[test]
    fn two_spiffe_ids_give_no_single_id() {
        let cert = TestCa::new()
            .client()
            .also_uri("spiffe://example.test/service/payroll")
            .also_uri("https://example.test/other")
            .issue();

        let who = PeerIdentity::from_der(&cert.der()).unwrap();

        assert_eq!(who.spiffe_id(), None);
        assert_eq!(who.spiffe_ids().len(), 2);
        assert_eq!(who.other_uris(), ["https://example.test/other"]);
    }

    #[test]
    fn garbage_and_trailing_bytes_are_refused() {
        let mut der = TestCa::new().client().issue().der().to_vec();
        assert!(matches!(
            PeerIdentity::from_der(b"not a certificate"),
            Err(MtlsError::MalformedCertificate)
        ));

        der.push(0);
        assert!(matches!(
            PeerIdentity::from_der(&der),
            Err(MtlsError::MalformedCertificate)
        ));
    }
}
