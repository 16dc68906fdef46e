//! Test doubles for services protected by Zero Trust: a local OpenID issuer that serves
//! discovery and a key set on loopback, and builders for the tokens it would issue, valid or
//! broken in one named way; and a test certificate authority ([`TestCa`]) for client
//! certificates and revocation lists, with the headers a TLS-terminating proxy would forward
//! for them ([`ForwardedHeaders`]); and requests signed with a pre-shared secret
//! ([`SignedRequest`]).
//!
//! Put this crate in `[dev-dependencies]`. A [`TestIssuer`] imitates Okta, Auth0 or a plain
//! RFC 9068 server ([`Flavor`]); it runs its own HTTP server on a background thread, so it
//! works from any kind of test, and stops when its last handle drops.
//!
//! # Examples
//!
//! ```
//! use zt_testkit::{Flavor, KeyAlg, TestIssuer};
//!
//! let issuer = TestIssuer::start(Flavor::Okta)?;
//!
//! // Point the service under test at the issuer and its audience.
//! let (iss, aud) = (issuer.issuer(), issuer.audience());
//! assert_eq!(aud, "api://default");
//!
//! // Valid tokens, in the shape Okta issues them.
//! let reader = issuer.token().subject("alice").scopes(&["orders:read"]).sign();
//! let eddsa = issuer.token().algorithm(KeyAlg::EdDsa).sign();
//!
//! // Tokens a verifier must refuse.
//! let expired = issuer.token().expired().sign();
//! let confused = issuer.token().hmac_with_public_key();
//! let forged = issuer.token().signed_by_foreign_key();
//!
//! // Key-set behaviour: rotation, an outage, a slow endpoint.
//! let new_kid = issuer.rotate();
//! issuer.retire("rs256-1");
//! issuer.set_outage(true);
//! # let _ = (iss, reader, eddsa, expired, confused, forged, new_kid);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Security
//!
//! Everything here is for tests and local development. The issuer's private keys live in
//! memory unprotected, its token endpoint hands a token to any caller, and it listens on
//! loopback only. `Debug` output shows issuer URLs and key ids, never key material.

#![doc(test(attr(deny(warnings))))]

mod api_keys;
mod ca;
mod flavor;
mod issuer;
mod keys;
mod logs;
mod moto;
mod proxy;
mod psk;
mod tls;
mod token;

pub use api_keys::{key_ring, ring_document, MintedKey};
pub use ca::{ClientCertBuilder, CrlBuilder, IssuedCert, TestCa, TestCrl, DEFAULT_SPIFFE_ID};
pub use flavor::Flavor;
pub use issuer::{IssuerBuilder, TestIssuer};
pub use keys::{KeyAlg, PublicKeyForm, SigningKey};
pub use logs::LogCapture;
pub use moto::{sdk_config, Fault, FaultProxy, MotoServer};
pub use proxy::{url_encode, ForwardedHeaders, PROXY_SPIFFE_ID};
pub use psk::SignedRequest;
pub use tls::{client_config, HttpsConnection, HttpsResponse, MtlsFiles};
pub use token::{encode_raw, encode_raw_text, TokenBuilder};
