//! Verifiers, one module per mechanism.

pub mod oidc;
