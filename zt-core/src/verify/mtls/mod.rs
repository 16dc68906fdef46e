//! Client certificates (mutual TLS): who the peer is, which peers a service accepts, and the
//! rustls server configuration that checks their certificates.
//!
//! The TLS handshake does the cryptographic work: [`ReloadableClientVerifier`] checks the
//! chain, dates, `clientAuth` usage and revocation against a [`TrustBundle`] that can be
//! replaced while the server runs. After the handshake, [`PeerIdentity::from_der`] reads the
//! peer's certificate once, and an [`IdentityPolicy`] decides whether that identity may call.
//! On each request, [`ReloadableClientVerifier::revocation_status`] checks the connection's
//! certificates against the CRLs in force now, so a revocation reaches connections that
//! were open before it ([`RevocationIndex`] does the lookup).
//!
//! Behind a TLS-terminating proxy (an AWS load balancer, Envoy, any RFC 9440 proxy),
//! [`ForwardedCertificates`] reads the certificate the proxy forwards in request headers,
//! from trusted proxy addresses only, and checks it against the same [`TrustBundle`].
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//!
//! use zt_core::verify::mtls::{
//!     server_config, IdentityPolicy, PeerIdentity, ReloadableClientVerifier, TrustBundle,
//! };
//! use zt_testkit::TestCa;
//!
//! let ca = TestCa::new();
//! let bundle = TrustBundle::new()
//!     .root(ca.root_der())
//!     .crl(ca.root_crl().sign().der())
//!     .crl(ca.crl().sign().der());
//! let verifier = Arc::new(ReloadableClientVerifier::new(&bundle)?);
//! let server = ca.server();
//! let tls = server_config(verifier.clone(), server.chain(), server.key_der())?;
//!
//! // Later: a new CRL applies to every handshake that starts afterwards.
//! let revoked = ca.client().issue();
//! verifier.reload(&bundle.clone().crl(ca.crl().revoke(&revoked).sign().der()))?;
//!
//! // After a handshake, with the peer's end-entity certificate:
//! let peer = PeerIdentity::from_der(&ca.client().issue().der())?;
//! let policy = IdentityPolicy::new().allow_spiffe("spiffe://example.test/service/*")?;
//! assert!(policy.allows(&peer));
//! # let _ = tls;
//! # Ok::<(), zt_core::verify::mtls::MtlsError>(())
//! ```
//!
//! # Security
//!
//! - A client certificate is required and must chain to a root of the bundle; a CA that only
//!   copies a trusted CA's name is refused, since chains are checked by signature.
//! - Expired and not-yet-valid certificates, and certificates without the `clientAuth`
//!   extended key usage, are refused.
//! - Revocation is checked for every certificate in the chain; a certificate whose status no
//!   CRL in the bundle covers is refused, and so is one whose CRL is past its next update. A
//!   bundle without any CRL is refused at startup.
//! - Identity comes from the subject alternative names only, never from the common name.
//!
//! # Limitations
//!
//! - The actix-web side (settings, reloading from files or secrets, capture of the peer
//!   certificate per connection, the per-request revocation check) lives in
//!   `zt_actix::mtls`; this module does not watch files or schedule anything by itself.
//! - A reloaded bundle applies to new handshakes; for connections that are already open,
//!   [`ReloadableClientVerifier::revocation_status`] answers from the same bundle, but only
//!   for revocation: a CA removed from the bundle keeps its open connections until they
//!   close.
//! - A CRL that reaches its next update without being replaced makes every handshake fail,
//!   and every request on open connections too; nothing fetches CRLs from distribution
//!   points.
//! - No OCSP, and no CA name hints in the certificate request.

mod error;
mod identity;
mod policy;
pub mod proxy;
mod revocation;
mod server;

pub use self::error::MtlsError;
pub use self::identity::PeerIdentity;
pub use self::policy::IdentityPolicy;
pub use self::proxy::{
    ForwardedCertificates, ForwardedCertificatesBuilder, ForwardedHeader, ProxyFormat,
    ProxyRefusal, DEFAULT_MAX_HEADER_BYTES,
};
pub use self::revocation::{CertificateKey, RevocationIndex, RevocationStatus};
pub use self::server::{server_config, ReloadableClientVerifier, TrustBundle};
