//! Why a certificate, a trust bundle or a TLS setting was refused.

/// Reports a client certificate or an mTLS setting that cannot be used.
///
/// Messages name what is wrong, never key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MtlsError {
    /// A certificate is not well-formed DER X.509.
    #[error("certificate is not valid X.509 DER")]
    MalformedCertificate,
    /// A certificate carries a subject alternative name extension that cannot be read, or
    /// more than one.
    #[error("certificate has an unreadable subject alternative name extension")]
    MalformedSubjectAltName,
    /// A certificate revocation list is not well-formed DER.
    #[error("a certificate revocation list is not valid DER")]
    MalformedCrl,
    /// The trust bundle holds no root certificate.
    #[error("the mTLS trust bundle holds no root certificate")]
    NoRoots,
    /// A root certificate could not be added to the trust store.
    #[error("an mTLS trust root was refused ({0})")]
    BadRoot(rustls::Error),
    /// The trust bundle holds no certificate revocation list.
    #[error("the mTLS trust bundle holds no CRL; revocation cannot be checked without one")]
    NoCrls,
    /// The client certificate verifier could not be built from the trust bundle.
    #[error("the mTLS client verifier could not be built ({0})")]
    Verifier(rustls::server::VerifierBuilderError),
    /// A SPIFFE pattern in an identity policy is not well-formed.
    #[error("`{pattern}` is not a SPIFFE id or a `spiffe://domain/path/*` pattern: {problem}")]
    BadSpiffePattern {
        /// The pattern given.
        pattern: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The server's own certificate or key was refused by rustls.
    #[error("the TLS server configuration was refused ({0})")]
    ServerConfig(rustls::Error),
}
