//! Verifiers, principals, requirements and denials for Zero Trust request authentication.
//!
//! This crate knows nothing of any web framework. A handler declares a [`Requirement`]; a
//! verifier turns the caller's credential into a [`Principal`] or a [`Denial`]. The actix-web
//! integration lives in `zt-actix`, which most applications use directly.
//!
//! # Security
//!
//! Verifiers fail closed: a credential that cannot be checked (keys unreachable, nothing
//! cached) is a [`Denial::Unavailable`], never an acceptance. No type in this crate stores or
//! prints a credential.

mod denial;
mod error;
pub mod metrics;
mod principal;
mod requirement;
mod scope;
pub mod secret;
pub mod verify;

pub use denial::{Denial, Reason};
pub use error::ConfigError;
pub use principal::{Mechanism, Principal};
pub use requirement::{IdentityRule, Provider, Requirement, ScopeRule};
pub use scope::Scopes;
pub use secret::{Secret, SecretStore};
pub use verify::oidc::{Issuer, OidcVerifier, Profile};
pub use verify::Verifier;
