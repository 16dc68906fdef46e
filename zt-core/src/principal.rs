//! The caller a verifier vouches for.

use std::time::SystemTime;

use crate::{Provider, Scopes};

/// Describes a caller whose credential was verified.
///
/// Only verifiers build principals, so holding one proves a check passed. It carries no
/// credential: tokens and keys are never stored here, so printing a principal is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    mechanism: Mechanism,
    subject: String,
    issuer: String,
    client_id: Option<String>,
    scopes: Scopes,
    expires_at: Option<SystemTime>,
}

impl Principal {
    /// Starts a principal for `subject`, vouched for by `issuer` through `mechanism`.
    ///
    /// Custom verifiers call this; handlers receive principals from the extractor.
    #[must_use]
    pub fn new(
        mechanism: Mechanism,
        issuer: impl Into<String>,
        subject: impl Into<String>,
    ) -> Self {
        Self {
            mechanism,
            subject: subject.into(),
            issuer: issuer.into(),
            client_id: None,
            scopes: Scopes::default(),
            expires_at: None,
        }
    }

    /// Sets the scopes granted to the caller.
    #[must_use]
    pub fn with_scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = scopes;
        self
    }

    /// Sets the OAuth client the credential was issued to.
    #[must_use]
    pub fn with_client_id(mut self, client_id: Option<String>) -> Self {
        self.client_id = client_id;
        self
    }

    /// Sets when the credential stops being valid.
    #[must_use]
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Returns how the caller proved who it is.
    #[must_use]
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Returns the caller's identifier at its issuer (the token's `sub`).
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Returns who vouched for the caller (the token's `iss`).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Returns the OAuth client the credential was issued to, when the issuer says.
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Returns the scopes granted to the caller.
    #[must_use]
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// Returns when the credential expires, when it has an expiry.
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

/// Names the way a caller proved its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// An access token from an OpenID Connect provider.
    Token(Provider),
    /// An API key from the key ring.
    ApiKey,
    /// A client certificate, presented in the TLS handshake or forwarded by a trusted proxy.
    ClientCertificate,
    /// A request signed with a pre-shared secret.
    SharedSecret,
}

impl Mechanism {
    /// Returns the lowercase name used in logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Token(p) => p.as_str(),
            Self::ApiKey => "api_key",
            Self::ClientCertificate => "mtls",
            Self::SharedSecret => "psk",
        }
    }
}
