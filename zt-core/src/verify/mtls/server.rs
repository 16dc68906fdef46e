//! The TLS side: a client certificate verifier whose trust bundle can be replaced while the
//! server runs, and the rustls server configuration that uses it.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
};

use super::{CertificateKey, MtlsError, RevocationIndex, RevocationStatus};

/// Holds the CA certificates that client certificates must chain to, and the revocation lists
/// that apply to them.
///
/// # Security
///
/// Every CA in the chain is checked for revocation, the intermediates as well as the client
/// certificate, so the bundle needs a CRL from each issuing CA (the root's CRL covers the
/// intermediates). A certificate whose status no CRL covers is refused, and so is one whose
/// CRL is past its next update.
#[derive(Clone, Default)]
pub struct TrustBundle {
    roots: Vec<CertificateDer<'static>>,
    crls: Vec<CertificateRevocationListDer<'static>>,
}

impl TrustBundle {
    /// Creates an empty bundle.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trusted root CA certificate (DER).
    #[must_use]
    pub fn root(mut self, cert: CertificateDer<'static>) -> Self {
        self.roots.push(cert);
        self
    }

    /// Adds a certificate revocation list (DER).
    #[must_use]
    pub fn crl(mut self, crl: CertificateRevocationListDer<'static>) -> Self {
        self.crls.push(crl);
        self
    }

    /// Returns the revocation lists, in the order they were added.
    pub(super) fn crls(&self) -> &[CertificateRevocationListDer<'static>] {
        &self.crls
    }

    /// Builds the rustls verifier and the revocation index for this bundle.
    fn load(&self) -> Result<Loaded, MtlsError> {
        let revocations = RevocationIndex::new(&self.crls)?;
        Ok(Loaded {
            verifier: self.verifier()?,
            revocations,
        })
    }

    /// Builds the rustls verifier for this bundle.
    pub(super) fn verifier(&self) -> Result<Arc<dyn ClientCertVerifier>, MtlsError> {
        if self.roots.is_empty() {
            return Err(MtlsError::NoRoots);
        }
        if self.crls.is_empty() {
            return Err(MtlsError::NoCrls);
        }

        let mut store = RootCertStore::empty();
        for root in &self.roots {
            store.add(root.clone()).map_err(MtlsError::BadRoot)?;
        }

        WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider())
            .with_crls(self.crls.iter().cloned())
            .enforce_revocation_expiration()
            .build()
            .map_err(MtlsError::Verifier)
    }
}

impl fmt::Debug for TrustBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustBundle")
            .field("roots", &self.roots.len())
            .field("crls", &self.crls.len())
            .finish()
    }
}

/// Verifies client certificates against a [`TrustBundle`] that can be swapped at runtime.
///
/// Each handshake reads the current bundle without a lock; [`reload`](Self::reload) builds
/// the new verifier first and swaps only on success, so a bad bundle leaves the old one in
/// force. [`revocation_status`](Self::revocation_status) answers from the same bundle, so a
/// server can check a connection that was opened before a CRL changed.
///
/// # Security
///
/// A client certificate is required. It must chain to a root in the bundle through the
/// intermediates the client sends, be within its validity dates, carry the `clientAuth`
/// extended key usage, and not be revoked by a current CRL (see [`TrustBundle`]).
///
/// # Limitations
///
/// No CA names are hinted to clients in the certificate request, since the bundle may change
/// between handshakes; a client with several certificates picks one without a hint. A new
/// bundle applies to new handshakes only: connections that are already open are not checked
/// again by the verifier; the server checks them with
/// [`revocation_status`](Self::revocation_status) on each request.
pub struct ReloadableClientVerifier {
    current: ArcSwap<Loaded>,
}

/// One trust bundle, ready for handshakes and revocation lookups.
struct Loaded {
    verifier: Arc<dyn ClientCertVerifier>,
    revocations: RevocationIndex,
}

impl ReloadableClientVerifier {
    /// Creates a verifier for `bundle`.
    ///
    /// # Errors
    ///
    /// Returns [`MtlsError::NoRoots`] or [`MtlsError::NoCrls`] for an incomplete bundle,
    /// [`MtlsError::BadRoot`] for a root that cannot be parsed, and [`MtlsError::MalformedCrl`]
    /// or [`MtlsError::Verifier`] for a CRL that cannot be parsed.
    pub fn new(bundle: &TrustBundle) -> Result<Self, MtlsError> {
        Ok(Self {
            current: ArcSwap::from_pointee(bundle.load()?),
        })
    }

    /// Replaces the trust bundle for every handshake that starts after it returns.
    ///
    /// # Errors
    ///
    /// Returns the same errors as [`ReloadableClientVerifier::new`]; the previous bundle stays
    /// in force.
    pub fn reload(&self, bundle: &TrustBundle) -> Result<(), MtlsError> {
        let loaded = bundle.load()?;
        self.current.store(Arc::new(loaded));
        Ok(())
    }

    /// Returns what the current bundle's CRLs say about a certificate chain: `Revoked` when
    /// any certificate is listed, else `Unknown` when any is not covered by a current CRL,
    /// else `Good`.
    ///
    /// This is the per-request check for connections opened before the last reload; the
    /// chain's signatures and dates were checked in the handshake.
    #[must_use]
    pub fn revocation_status<'a>(
        &self,
        chain: impl IntoIterator<Item = &'a CertificateKey>,
        now: UnixTime,
    ) -> RevocationStatus {
        let loaded = self.current.load();
        let mut worst = RevocationStatus::Good;
        for cert in chain {
            match loaded.revocations.status(cert, now) {
                RevocationStatus::Revoked => return RevocationStatus::Revoked,
                RevocationStatus::Unknown => worst = RevocationStatus::Unknown,
                _ => {}
            }
        }
        worst
    }
}

impl fmt::Debug for ReloadableClientVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadableClientVerifier")
            .finish_non_exhaustive()
    }
}

impl ClientCertVerifier for ReloadableClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.current
            .load()
            .verifier
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current
            .load()
            .verifier
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current
            .load()
            .verifier
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.current.load().verifier.supported_verify_schemes()
    }
}

/// Builds a rustls server configuration that requires client certificates checked by
/// `verifier`, using the aws-lc-rs provider and its default protocol versions.
///
/// `cert_chain` is the server's own certificate followed by its intermediates; `key` its
/// private key. Keep the `Arc` to the verifier to [`reload`](ReloadableClientVerifier::reload)
/// the trust bundle later.
///
/// # Errors
///
/// Returns [`MtlsError::ServerConfig`] when rustls refuses the certificate or key.
pub fn server_config(
    verifier: Arc<ReloadableClientVerifier>,
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, MtlsError> {
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(MtlsError::ServerConfig)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(cert_chain, key)
        .map_err(MtlsError::ServerConfig)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

#[cfg(test)]
mod tests {
    use zt_testkit::TestCa;

    use super::*;

    fn bundle(ca: &TestCa) -> TrustBundle {
        TrustBundle::new()
            .root(ca.root_der())
            .crl(ca.root_crl().sign().der())
            .crl(ca.crl().sign().der())
    }

    #[test]
    fn bundle_without_roots_or_crls_is_refused() {
        let ca = TestCa::new();

        let no_roots = TrustBundle::new().crl(ca.crl().sign().der());
        let no_crls = TrustBundle::new().root(ca.root_der());

        assert!(matches!(
            ReloadableClientVerifier::new(&no_roots),
            Err(MtlsError::NoRoots)
        ));
        assert!(matches!(
            ReloadableClientVerifier::new(&no_crls),
            Err(MtlsError::NoCrls)
        ));
    }

    #[test]
    fn garbage_root_is_refused() {
        let ca = TestCa::new();
        let bad = bundle(&ca).root(CertificateDer::from(b"not a cert".to_vec()));

        assert!(matches!(
            ReloadableClientVerifier::new(&bad),
            Err(MtlsError::BadRoot(_))
        ));
    }

    #[test]
    fn failed_reload_keeps_the_previous_bundle() {
        let ca = TestCa::new();
        let cert = ca.client().issue();
        let chain = cert.chain();
        let verifier = ReloadableClientVerifier::new(&bundle(&ca)).unwrap();

        assert!(verifier.reload(&TrustBundle::new()).is_err());

        let ok = verifier.verify_client_cert(&chain[0], &chain[1..], UnixTime::now());
        assert!(ok.is_ok());
    }

    #[test]
    fn client_auth_is_mandatory_and_debug_is_opaque() {
        let ca = TestCa::new();
        let verifier = ReloadableClientVerifier::new(&bundle(&ca)).unwrap();

        assert!(verifier.offer_client_auth() && verifier.client_auth_mandatory());
        assert_eq!(
            format!("{:?}", bundle(&ca)),
            "TrustBundle { roots: 1, crls: 2 }"
        );
    }

    #[test]
    fn server_config_accepts_the_test_server_certificate() {
        let ca = TestCa::new();
        let server = ca.server();
        let verifier = Arc::new(ReloadableClientVerifier::new(&bundle(&ca)).unwrap());

        assert!(server_config(verifier, server.chain(), server.key_der()).is_ok());
    }
}
