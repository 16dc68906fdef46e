//! OpenID Connect access-token verification for Okta, Auth0 and generic issuers.

/// Configures one trusted token issuer.
#[derive(Debug, Clone)]
pub struct Issuer {}

/// Verifies access tokens from one issuer.
#[derive(Debug)]
pub struct OidcVerifier {}

/// Selects where an issuer puts scopes and which of its tokens are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Okta custom authorization servers.
    Okta,
    /// Auth0 tenants.
    Auth0,
    /// Any other OpenID Connect provider.
    Generic,
}
