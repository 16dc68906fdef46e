//! Why a request was refused, in terms a response mapper and a log line can both use.

use std::time::Duration;

use crate::ScopeRule;

/// Explains why a caller was refused.
///
/// Each variant maps to one HTTP answer (RFC 6750); the [`Reason`] beneath it is for logs
/// and metrics and never leaves the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// No credential was sent: 401 with a bare challenge.
    Missing,
    /// The request itself is malformed: 400 `invalid_request`.
    BadRequest(Reason),
    /// A credential was sent and refused: 401 `invalid_token`.
    InvalidCredential(Reason),
    /// The credential is valid but lacks scopes: 403 `insufficient_scope`.
    InsufficientScope(ScopeRule),
    /// The caller is who it claims to be but may not call this route, for a reason other
    /// than scopes (a client certificate identity outside the route's rule): 403.
    Forbidden(Reason),
    /// The credential cannot be checked right now: 503 with `Retry-After`.
    Unavailable {
        /// Why verification could not happen.
        reason: Reason,
        /// How long the client should wait before trying again.
        retry_after: Duration,
    },
}

impl Denial {
    /// Returns the reason code for logs and metrics.
    #[must_use]
    pub const fn reason(&self) -> Reason {
        match self {
            Self::Missing => Reason::NoCredential,
            Self::BadRequest(r) | Self::InvalidCredential(r) | Self::Forbidden(r) => *r,
            Self::InsufficientScope(_) => Reason::InsufficientScope,
            Self::Unavailable { reason, .. } => *reason,
        }
    }
}

/// Gives the precise cause of a denial, for logs and metrics only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// No credential was presented.
    NoCredential,
    /// More than one credential was presented in one request.
    SeveralCredentials,
    /// A token was sent in the URL, where it would be logged by proxies.
    CredentialInUrl,
    /// The `Authorization` header is not valid ASCII or lacks a token.
    MalformedHeader,
    /// The token is not a well-formed compact JWS.
    MalformedToken,
    /// The token is larger than the configured limit.
    TokenTooLarge,
    /// The token's algorithm is not one this service accepts.
    UnsupportedAlgorithm,
    /// The token's algorithm differs from the one pinned for its key.
    AlgorithmMismatch,
    /// The token names no key id.
    MissingKeyId,
    /// The token names a key the issuer does not publish, or the API key's id is unknown.
    UnknownKey,
    /// The presented API key does not have the key format.
    MalformedKey,
    /// The presented API key's checksum does not match: a typo or a made-up key.
    KeyChecksum,
    /// The API key's id is known but the rest of the key is wrong.
    WrongKey,
    /// The API key was disabled before its expiry.
    KeyDisabled,
    /// The signature does not verify.
    BadSignature,
    /// The token or key has expired.
    Expired,
    /// The token is not valid yet (`nbf` or `iat` in the future).
    NotYetValid,
    /// The token lives longer than the configured maximum.
    LifetimeTooLong,
    /// The issuer differs from the configured one.
    WrongIssuer,
    /// The audience does not include this service.
    WrongAudience,
    /// A required claim is missing or has the wrong type.
    BadClaims,
    /// An ID token or refresh token was presented as an access token.
    NotAnAccessToken,
    /// The token carries a critical header this service does not understand.
    UnsupportedCritical,
    /// The credential lacks the scopes the route needs.
    InsufficientScope,
    /// The issuer's signing keys could not be fetched and none are cached.
    KeysUnavailable,
    /// A secret could not be fetched and no cached version may still be used.
    SecretUnavailable,
    /// Forwarded client-certificate headers came from a peer that is not a trusted proxy.
    ForgedProxyHeader,
    /// A forwarded client-certificate header is malformed, too large or inconsistent.
    MalformedProxyHeader,
    /// A proxy forwarded an identity without the certificate that would prove it.
    ProxyIdentityUnverified,
    /// The client certificate does not chain to a trusted root.
    UntrustedCertificate,
    /// The client certificate, or a CA above it, is revoked.
    CertificateRevoked,
    /// No current revocation list covers the client certificate or a CA above it.
    RevocationUnknown,
    /// The revocation list covering the client certificate is past its next update.
    RevocationListExpired,
    /// The client certificate lacks the `clientAuth` extended key usage.
    NoClientAuth,
    /// The client certificate was refused for another reason (an unsupported algorithm, an
    /// unhandled critical extension, an encoding the verifier cannot read).
    CertificateRefused,
    /// The request did not come over a TLS connection with a verified client certificate.
    NoClientCertificate,
    /// The client certificate could not be read after the handshake.
    MalformedCertificate,
    /// The client certificate's identity is outside the route's rule or policy.
    IdentityNotAllowed,
    /// The signed request's timestamp is older than the accepted window.
    StaleTimestamp,
    /// The signed request's timestamp lies further in the future than the accepted window.
    FutureTimestamp,
    /// A signature of this request was already accepted once within its window.
    ReplayedRequest,
    /// The signature or timestamp header is not in the documented form.
    MalformedSignature,
    /// The request body is larger than the configured limit for signed requests.
    BodyTooLarge,
    /// The request body could not be read to the end (the client stopped sending it).
    UnreadableBody,
    /// The configured secret is shorter than the minimum length, so it is not used.
    WeakSecret,
    /// The replay cache is full, so a new signature cannot be remembered.
    ReplayCacheFull,
}

impl Reason {
    /// Returns a stable snake_case code for logs and metrics.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::NoCredential => "no_credential",
            Self::SeveralCredentials => "several_credentials",
            Self::CredentialInUrl => "credential_in_url",
            Self::MalformedHeader => "malformed_header",
            Self::MalformedToken => "malformed_token",
            Self::TokenTooLarge => "token_too_large",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::AlgorithmMismatch => "algorithm_mismatch",
            Self::MissingKeyId => "missing_key_id",
            Self::UnknownKey => "unknown_key",
            Self::MalformedKey => "malformed_key",
            Self::KeyChecksum => "key_checksum",
            Self::WrongKey => "wrong_key",
            Self::KeyDisabled => "key_disabled",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::BadClaims => "bad_claims",
            Self::NotAnAccessToken => "not_an_access_token",
            Self::UnsupportedCritical => "unsupported_critical",
            Self::InsufficientScope => "insufficient_scope",
            Self::KeysUnavailable => "keys_unavailable",
            Self::SecretUnavailable => "secret_unavailable",
            Self::ForgedProxyHeader => "forged_proxy_header",
            Self::MalformedProxyHeader => "malformed_proxy_header",
            Self::ProxyIdentityUnverified => "proxy_identity_unverified",
            Self::UntrustedCertificate => "untrusted_certificate",
            Self::CertificateRevoked => "certificate_revoked",
            Self::RevocationUnknown => "revocation_unknown",
            Self::RevocationListExpired => "revocation_list_expired",
            Self::NoClientAuth => "no_client_auth",
            Self::CertificateRefused => "certificate_refused",
            Self::NoClientCertificate => "no_client_certificate",
            Self::MalformedCertificate => "malformed_certificate",
            Self::IdentityNotAllowed => "identity_not_allowed",
            Self::StaleTimestamp => "stale_timestamp",
            Self::FutureTimestamp => "future_timestamp",
            Self::ReplayedRequest => "replayed_request",
            Self::MalformedSignature => "malformed_signature",
            Self::BodyTooLarge => "body_too_large",
            Self::UnreadableBody => "unreadable_body",
            Self::WeakSecret => "weak_secret",
            Self::ReplayCacheFull => "replay_cache_full",
        }
    }
}
