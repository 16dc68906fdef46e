//! Signs requests with a pre-shared secret, for services whose routes carry
//! `#[zero_trust(psk = "..")]`, and recovers when the service has not caught up with a
//! rotation.
//!
//! A [`Signer`] takes the secret from a [`SecretStore`](zt_core::SecretStore) (so it follows
//! rotations the same way a server does) and produces the `X-ZT-Timestamp` and
//! `X-ZT-Signature` headers described in [`zt_core::verify::psk`]. The HTTP client
//! integrations sign, send, and on a 401 retry once with the previous version, keeping to it
//! until the store sees a newer current version:
//!
//! - feature `reqwest`: [`reqwest::sign`](crate::reqwest::sign) and
//!   [`reqwest::send`](crate::reqwest::send);
//! - feature `awc` (actix-web's client): [`awc::sign`](crate::awc::sign) and
//!   [`awc::send`](crate::awc::send).
//!
//! # Examples
//!
//! ```
//! use zt_client::Signer;
//! use zt_core::secret::{MemorySource, SecretStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let source = MemorySource::new();
//! source.set_current("0123456789abcdef0123456789abcdef");
//! let store = SecretStore::builder().secret("deploy-hook", source).build()?;
//! store.refresh_all().await?;
//!
//! let signer = Signer::new(&store.secret("deploy-hook")?);
//! let signature = signer.sign("POST", "/hooks/deploy", "", br#"{"ref":"main"}"#)?;
//! for (name, value) in signature.headers() {
//!     // add each header to the request
//!     # let _ = (name, value);
//! }
//! # Ok(()) }
//! ```
//!
//! # Security
//!
//! Signatures and secrets are never logged; `Debug` shows the secret's name and version ids
//! only. Switching to the previous version is logged at WARN by the secret store (target
//! `zt::secrets`), with version ids.
//!
//! # Limitations
//!
//! Only buffered bodies can be signed: a streaming `reqwest` body is refused with
//! [`SignError::StreamingBody`].

#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "awc")]
pub mod awc;
mod error;
#[cfg(feature = "reqwest")]
pub mod reqwest;
mod signer;

pub use error::SignError;
pub use signer::{Signature, Signer};
