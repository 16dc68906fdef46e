//! Verifiers, one module per mechanism, and the trait they share.

use async_trait::async_trait;

use crate::{Denial, Principal};

pub mod api_key;
pub mod mtls;
pub mod oidc;
pub mod psk;

/// Turns a presented credential into a verified [`Principal`] or a [`Denial`].
///
/// Implement it to plug a mechanism of your own into the same answers and logs.
#[async_trait]
pub trait Verifier: Send + Sync + std::fmt::Debug {
    /// Verifies `credential` (the part after the scheme, e.g. a bearer token).
    ///
    /// # Errors
    ///
    /// Returns the [`Denial`] that explains the refusal; never panics on any input.
    async fn verify(&self, credential: &str) -> Result<Principal, Denial>;
}
