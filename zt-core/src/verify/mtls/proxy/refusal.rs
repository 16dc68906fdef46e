//! Why a forwarded client certificate was refused.

use rustls::CertificateError;

use crate::{Denial, Reason};

/// Explains why forwarded client-certificate headers were refused.
///
/// Messages and `Debug` output name what is wrong, never a header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyRefusal {
    /// Forwarded-certificate headers came from a peer outside the trusted proxy networks:
    /// a client trying to pass itself off as the proxy.
    #[error("forwarded client-certificate headers from a peer that is not a trusted proxy")]
    Forged,
    /// A header is larger than the configured limit.
    #[error("a forwarded client-certificate header exceeds the size limit")]
    TooLarge,
    /// A header cannot be parsed, or headers contradict each other.
    #[error("malformed forwarded client-certificate header: {0}")]
    Malformed(&'static str),
    /// An XFCC element names the client (`URI`, `DNS`) without its certificate, and
    /// URI-only trust is not enabled.
    #[error("the proxy forwarded an identity without the client certificate")]
    IdentityWithoutCertificate,
    /// The chain does not lead to a root of the trust bundle, or a signature is wrong.
    #[error("the forwarded client certificate does not chain to a trusted root")]
    UntrustedChain,
    /// The certificate, or a CA above it, is listed in a revocation list.
    #[error("the forwarded client certificate is revoked")]
    Revoked,
    /// No revocation list in the bundle covers the certificate or a CA above it.
    #[error("no revocation list covers the forwarded client certificate")]
    RevocationUnknown,
    /// The revocation list that covers the certificate is past its next update.
    #[error("the revocation list for the forwarded client certificate has expired")]
    RevocationListExpired,
    /// The certificate's validity ended.
    #[error("the forwarded client certificate has expired")]
    Expired,
    /// The certificate's validity has not started.
    #[error("the forwarded client certificate is not valid yet")]
    NotYetValid,
    /// The certificate is not allowed for client authentication (extended key usage).
    #[error("the forwarded client certificate lacks the clientAuth usage")]
    NoClientAuth,
    /// The verifier refused the certificate for another reason.
    #[error("the forwarded client certificate was refused by the verifier")]
    Refused,
}

impl ProxyRefusal {
    /// Returns the reason code for logs and metrics.
    #[must_use]
    pub const fn reason(&self) -> Reason {
        match self {
            Self::Forged => Reason::ForgedProxyHeader,
            Self::TooLarge | Self::Malformed(_) => Reason::MalformedProxyHeader,
            Self::IdentityWithoutCertificate => Reason::ProxyIdentityUnverified,
            Self::UntrustedChain => Reason::UntrustedCertificate,
            Self::Revoked => Reason::CertificateRevoked,
            Self::RevocationUnknown => Reason::RevocationUnknown,
            Self::RevocationListExpired => Reason::RevocationListExpired,
            Self::Expired => Reason::Expired,
            Self::NotYetValid => Reason::NotYetValid,
            Self::NoClientAuth => Reason::NoClientAuth,
            Self::Refused => Reason::CertificateRefused,
        }
    }

    /// Returns the denial to answer with: 400 `invalid_request` for forged or malformed
    /// headers, 401 `invalid_token` for a certificate that was read and refused.
    #[must_use]
    pub const fn denial(&self) -> Denial {
        match self {
            Self::Forged | Self::TooLarge | Self::Malformed(_) => Denial::BadRequest(self.reason()),
            _ => Denial::InvalidCredential(self.reason()),
        }
    }

    /// Translates a refusal by the rustls/webpki chain verifier.
    pub(super) fn from_rustls(error: &rustls::Error) -> Self {
        let rustls::Error::InvalidCertificate(error) = error else {
            return Self::Refused;
        };
        match error {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                Self::UntrustedChain
            }
            CertificateError::Revoked => Self::Revoked,
            CertificateError::UnknownRevocationStatus => Self::RevocationUnknown,
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => Self::RevocationListExpired,
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => Self::Expired,
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                Self::NotYetValid
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                Self::NoClientAuth
            }
            CertificateError::BadEncoding => Self::Malformed("certificate is not valid DER"),
            _ => Self::Refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_errors_map_to_typed_reasons() {
        let cases = [
            (
                CertificateError::UnknownIssuer,
                Reason::UntrustedCertificate,
            ),
            (CertificateError::Revoked, Reason::CertificateRevoked),
            (
                CertificateError::UnknownRevocationStatus,
                Reason::RevocationUnknown,
            ),
            (
                CertificateError::ExpiredRevocationList,
                Reason::RevocationListExpired,
            ),
            (CertificateError::Expired, Reason::Expired),
            (CertificateError::NotValidYet, Reason::NotYetValid),
            (CertificateError::InvalidPurpose, Reason::NoClientAuth),
            (
                CertificateError::UnhandledCriticalExtension,
                Reason::CertificateRefused,
            ),
        ];
        for (error, reason) in cases {
            let refusal = ProxyRefusal::from_rustls(&rustls::Error::InvalidCertificate(error));
            assert_eq!(refusal.reason(), reason);
        }
        let other = ProxyRefusal::from_rustls(&rustls::Error::DecryptError);
        assert_eq!(other, ProxyRefusal::Refused);
    }

    #[test]
    fn forged_and_malformed_are_bad_requests_and_the_rest_invalid_credentials() {
        assert_eq!(
            ProxyRefusal::Forged.denial(),
            Denial::BadRequest(Reason::ForgedProxyHeader)
        );
        assert_eq!(
            ProxyRefusal::TooLarge.denial(),
            Denial::BadRequest(Reason::MalformedProxyHeader)
        );
        assert_eq!(
            ProxyRefusal::Revoked.denial(),
            Denial::InvalidCredential(Reason::CertificateRevoked)
        );
    }
}
