//! Client certificates (mutual TLS) terminated in this service: settings, the rustls server
//! configuration, per-connection capture of the peer certificate, and the per-request check
//! behind `#[zero_trust(mtls, ..)]`.
//!
//! # Examples
//!
//! ```no_run
//! use actix_web::{App, HttpServer};
//! use zt_actix::mtls::{capture_peer_certificate, MtlsSettings};
//! use zt_actix::ZeroTrust;
//! use zt_core::verify::mtls::IdentityPolicy;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let zt = ZeroTrust::builder()
//!     .mtls(
//!         MtlsSettings::from_files("ca.pem", "crl.pem", "server.pem", "server.key")
//!             .policy("batch", IdentityPolicy::new().allow_spiffe("spiffe://corp/batch/*")?),
//!     )
//!     .build()?;
//! let tls = zt.mtls_server_config()?;
//! HttpServer::new(move || App::new().app_data(zt.clone()))
//!     .on_connect(capture_peer_certificate)
//!     .bind_rustls_0_23(("0.0.0.0", 8443), tls)?
//!     .run()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Security
//!
//! - The handshake requires a client certificate that chains to the bundle, is within its
//!   dates, carries `clientAuth` and is covered by a current CRL that does not list it
//!   (see [`zt_core::verify::mtls`]).
//! - Each request checks the connection's certificates again against the CRLs loaded now,
//!   so a certificate revoked while its client keeps a connection open is refused (401
//!   `certificate_revoked`) within the reload interval (1 s by default), without a restart.
//!   A certificate no current CRL covers any more is refused too (`revocation_unknown`).
//! - Identity comes from the SAN only (a SPIFFE id, or a DNS name for named policies); the
//!   common name is never an identity. An identity outside the route's rule gets 403.
//! - Behind a TLS-terminating proxy ([`MtlsSettings::behind_proxy`] or
//!   [`MtlsSettings::forwarded`]), forwarded-certificate headers are read only from the
//!   proxy networks configured in [`zt_core::verify::mtls::ForwardedCertificates`]; from any
//!   other peer they are refused (400, `forged_proxy_header`) before the connection's own
//!   certificate is looked at. A forwarded chain is verified against the same CA bundle and
//!   CRLs, reloaded with them.
//! - No `WWW-Authenticate` challenge is sent: no HTTP authentication scheme exists for a
//!   credential presented in the TLS handshake (see [`Rejection`](crate::Rejection)).
//!
//! # Limitations
//!
//! - Every connection to the TLS listener must present a client certificate; routes that
//!   take other credentials belong on another listener.
//! - Removing a CA from the bundle applies to new handshakes only; open connections are
//!   re-checked for revocation, not for trust.
//! - Behind a proxy ([`MtlsSettings::behind_proxy`]) the material comes from files only;
//!   with secrets, use [`MtlsSettings::from_secrets`] with
//!   [`forwarded`](MtlsSettings::forwarded), which also needs a server certificate.

mod check;
mod connection;
mod material;
mod settings;
mod state;

pub(crate) use self::check::verify;
pub use self::connection::{capture_peer_certificate, PeerCertificate};
pub use self::settings::MtlsSettings;
pub(crate) use self::state::MtlsState;
