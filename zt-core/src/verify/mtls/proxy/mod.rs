//! Client certificates forwarded in request headers by a TLS-terminating proxy.
//!
//! A service behind a load balancer or a sidecar never sees the client's TLS handshake: the
//! proxy ends it and forwards the client certificate in headers, in one of four formats
//! ([`ProxyFormat`]). [`ForwardedCertificates`] decides, for each request, whether those
//! headers come from a proxy it trusts, reads them, checks the certificate as the handshake
//! verifier would, and returns the caller's [`PeerIdentity`].
//!
//! # Examples
//!
//! ```
//! use std::net::IpAddr;
//!
//! use zt_core::verify::mtls::{ForwardedCertificates, ProxyFormat, TrustBundle};
//! use zt_testkit::{ForwardedHeaders, TestCa, DEFAULT_SPIFFE_ID};
//!
//! let ca = TestCa::new();
//! let bundle = TrustBundle::new()
//!     .root(ca.root_der())
//!     .crl(ca.root_crl().sign().der())
//!     .crl(ca.crl().sign().der());
//! let forwarded = ForwardedCertificates::builder(ProxyFormat::Xfcc)
//!     .trusted_proxy("10.0.0.0/8")
//!     .trust_bundle(bundle)
//!     .build()?;
//!
//! let headers = ForwardedHeaders::xfcc(&ca.client().issue());
//! let proxy: IpAddr = "10.1.2.3".parse()?;
//! let who = forwarded.identify(proxy, &|name| headers.get(name))?;
//! assert_eq!(who.unwrap().spiffe_id(), Some(DEFAULT_SPIFFE_ID));
//!
//! // The same headers sent straight to the service are a forgery.
//! let client: IpAddr = "203.0.113.9".parse()?;
//! assert!(forwarded.identify(client, &|name| headers.get(name)).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - Headers are read only from a TCP peer inside a configured proxy network. From any other
//!   peer, the presence of any header of the format is refused as forged
//!   ([`ProxyRefusal::Forged`]) and logged under the target `zt::proxy` with the peer
//!   address and the header's name, never its value: at WARN (a misrouted proxy or an
//!   attack), at most once every 10 seconds with the count of refusals since the last
//!   WARN, and at DEBUG in between, so clients cannot flood the log. Without a configured
//!   network the builder refuses to build, and a network covering every address is refused
//!   too.
//! - The proxy must remove these headers from what clients send and set its own; otherwise
//!   a client can pass a certificate it does not hold through the trusted proxy. Envoy's
//!   `forward_client_cert_details: SANITIZE_SET` and ALB do this.
//! - Passthrough, XFCC and RFC 9440: the forwarded chain is verified here by rustls-webpki
//!   against the [`TrustBundle`]: chain by signature up to a root, validity dates,
//!   `clientAuth` usage, revocation of every certificate in the chain (unknown status and
//!   expired CRLs refused), exactly as the handshake verifier does. The proxy is trusted
//!   only to report the certificate the client presented and proved it holds the key for.
//! - ALB verify mode: the balancer verified the chain against its own trust store, and is
//!   trusted for that unless [`recheck_chain`](ForwardedCertificatesBuilder::recheck_chain)
//!   is set. The leaf is still parsed for the identity; its dates, its `clientAuth` usage
//!   and the bundle's CRL from its issuer are checked here (a leaf whose issuer has no CRL
//!   in the bundle is refused), and a serial-number header that disagrees with the leaf is
//!   refused as malformed. Without `recheck_chain`, a leaf from a CA that merely copies a
//!   trusted CA's name is accepted if the balancer accepted it: the balancer's trust store
//!   must hold exactly the CAs this service trusts.
//! - XFCC: only the last element is read, the one the trusted proxy appended; earlier
//!   elements came through it from further away. `Cert` or `Chain` must be present; when
//!   both are, `Cert` must be the first of `Chain`, and a `Hash` must be the SHA-256 of the
//!   leaf. An element with only `URI`/`DNS` names is refused
//!   ([`ProxyRefusal::IdentityWithoutCertificate`]) unless the builder's
//!   [`insecure_trust_uri_only`](ForwardedCertificatesBuilder::insecure_trust_uri_only) is
//!   set, which trusts the proxy's word for the names.
//! - Parsing is defensive: each header is limited to 16 KiB by default, a chain to 8
//!   certificates, and no input makes the parsers panic.
//!
//! # Limitations
//!
//! - ALB verify mode without `recheck_chain` checks revocation of the leaf only (the
//!   intermediates are not forwarded), and the bundle's CRLs are matched to the leaf by issuer name without
//!   checking their signatures: they are configuration, not request data.
//! - The XFCC `By` field (the proxy's own identity) is not checked; trust rests on the
//!   proxy's network address.
//! - A header sent several times must be joined by the caller of
//!   [`identify`](ForwardedCertificates::identify) (HTTP joins repeated fields with `,`,
//!   which is what XFCC and RFC 9440 lists expect); one lookup returns one value.
//! - Proxies are recognised by address only; a proxy speaking TLS to the service with its
//!   own client certificate is not checked here.

mod builder;
mod format;
mod forwarded;
mod refusal;
mod trust;
mod xfcc;

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use ipnet::IpNet;
use rustls::pki_types::{CertificateDer, UnixTime};

pub use self::builder::ForwardedCertificatesBuilder;
pub use self::format::{ForwardedHeader, ProxyFormat};
use self::forwarded::Forwarded;
pub use self::refusal::ProxyRefusal;
use self::trust::Trust;
use super::{MtlsError, PeerIdentity, TrustBundle};

/// The default limit on each forwarded header, in bytes.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;

/// The shortest time between two WARN events about forged headers, in seconds.
const WARN_INTERVAL_SECS: u64 = 10;

/// Reads client certificates that a trusted TLS-terminating proxy forwards in headers.
///
/// Built with [`ForwardedCertificates::builder`]; see the [module docs](self) for what is
/// trusted and checked. Cheap to share behind an `Arc`; [`reload`](Self::reload) swaps the
/// trust bundle without a lock on the request path.
pub struct ForwardedCertificates {
    format: ProxyFormat,
    proxies: Vec<IpNet>,
    headers: Vec<(ForwardedHeader, String)>,
    max_header_bytes: usize,
    trust_uri_only: bool,
    recheck_chain: bool,
    intermediates: Vec<CertificateDer<'static>>,
    trust: ArcSwap<Trust>,
    last_warn: AtomicU64,
    suppressed: AtomicU64,
}

impl ForwardedCertificates {
    /// Starts a configuration for proxies that forward certificates in `format`.
    pub fn builder(format: ProxyFormat) -> ForwardedCertificatesBuilder {
        ForwardedCertificatesBuilder::new(format)
    }

    /// Returns the identity forwarded with this request, if any.
    ///
    /// `peer_ip` is the TCP peer of the connection; `header` looks a request header up by
    /// lowercase name and returns its raw bytes, borrowed from the request (`'h`), such as
    /// `&|name| req.headers().get(name).map(|v| v.as_bytes())`.
    ///
    /// Returns `Ok(None)` when none of the format's headers is present, and
    /// `Ok(Some(identity))` when a trusted proxy forwarded a certificate that passes every
    /// check.
    ///
    /// # Errors
    ///
    /// Returns a [`ProxyRefusal`]: [`Forged`](ProxyRefusal::Forged) when the headers come
    /// from a peer outside the proxy networks (also logged, target `zt::proxy`),
    /// [`TooLarge`](ProxyRefusal::TooLarge) or [`Malformed`](ProxyRefusal::Malformed) for
    /// headers that cannot be read, and a certificate reason (untrusted chain, revoked,
    /// expired, no `clientAuth`, ...) for a certificate that fails verification.
    pub fn identify<'h>(
        &self,
        peer_ip: IpAddr,
        header: &dyn Fn(&str) -> Option<&'h [u8]>,
    ) -> Result<Option<PeerIdentity>, ProxyRefusal> {
        self.identify_at(peer_ip, header, UnixTime::now())
    }

    /// Returns the identity forwarded with this request as of `now`; see
    /// [`identify`](Self::identify).
    ///
    /// # Errors
    ///
    /// As [`identify`](Self::identify).
    pub fn identify_at<'h>(
        &self,
        peer_ip: IpAddr,
        header: &dyn Fn(&str) -> Option<&'h [u8]>,
        now: UnixTime,
    ) -> Result<Option<PeerIdentity>, ProxyRefusal> {
        let present = self.headers.iter().find(|(_, name)| header(name).is_some());
        let Some((_, first_name)) = present else {
            return Ok(None);
        };

        if !self.is_trusted_proxy(peer_ip) {
            self.report_forgery(peer_ip, first_name, now);
            return Err(ProxyRefusal::Forged);
        }

        let value = |slot: ForwardedHeader| {
            let (_, name) = self.headers.iter().find(|(s, _)| *s == slot)?;
            header(name)
        };
        if self
            .headers
            .iter()
            .any(|(slot, _)| value(*slot).is_some_and(|v| v.len() > self.max_header_bytes))
        {
            return Err(ProxyRefusal::TooLarge);
        }

        let trust = self.trust.load();
        let leaf = match format::parse(self.format, value)? {
            Forwarded::Chain(chain) => {
                trust.verify_chain(&chain, now)?;
                chain.into_iter().next()
            }
            Forwarded::VerifiedLeaf { leaf, serial } if self.recheck_chain => {
                trust.verify_leaf(&leaf, serial.as_deref(), now)?;
                trust.verify_chain(std::slice::from_ref(&leaf), now)?;
                Some(leaf)
            }
            Forwarded::VerifiedLeaf { leaf, serial } => {
                trust.verify_leaf(&leaf, serial.as_deref(), now)?;
                Some(leaf)
            }
            Forwarded::Names(names) if self.trust_uri_only => {
                return Ok(Some(PeerIdentity::unverified(
                    names.uris,
                    names.dns,
                    names.subject,
                    names.hash.unwrap_or_default(),
                )));
            }
            Forwarded::Names(_) => return Err(ProxyRefusal::IdentityWithoutCertificate),
        };
        let Some(leaf) = leaf else {
            return Err(ProxyRefusal::Malformed("empty certificate chain"));
        };

        PeerIdentity::from_der(&leaf)
            .map(Some)
            .map_err(|_| ProxyRefusal::Malformed("certificate cannot be read"))
    }

    /// Replaces the trust bundle (roots and CRLs) for every request checked afterwards.
    ///
    /// # Errors
    ///
    /// Returns an [`MtlsError`] for a bundle without roots or CRLs or with one that cannot
    /// be parsed; the previous bundle stays in force.
    pub fn reload(&self, bundle: &TrustBundle) -> Result<(), MtlsError> {
        let trust = Trust::new(bundle, self.intermediates.clone())?;
        self.trust.store(Arc::new(trust));
        Ok(())
    }

    /// Returns the format this configuration reads.
    #[must_use]
    pub fn format(&self) -> ProxyFormat {
        self.format
    }

    /// Logs a forged header at WARN at most once per [`WARN_INTERVAL_SECS`], with the count
    /// of forgeries since the last WARN; the others at DEBUG, so clients cannot flood the
    /// log. Never logs a header value.
    fn report_forgery(&self, peer: IpAddr, header: &str, now: UnixTime) {
        let now = now.as_secs().max(1);
        let last = self.last_warn.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= WARN_INTERVAL_SECS;
        if due
            && self
                .last_warn
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
            tracing::warn!(
                target: "zt::proxy",
                peer = %peer,
                header,
                earlier_refusals_not_warned = suppressed,
                "forwarded client-certificate header from a peer outside the trusted proxy \
                 networks; refused as forged",
            );
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                target: "zt::proxy",
                peer = %peer,
                header,
                "forwarded client-certificate header from an untrusted peer; refused as forged",
            );
        }
    }

    fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6 addresses.
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            IpAddr::V4(_) => peer,
        };
        self.proxies.iter().any(|net| net.contains(&peer))
    }
}

impl fmt::Debug for ForwardedCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(_, n)| n.as_str()).collect();
        f.debug_struct("ForwardedCertificates")
            .field("format", &self.format)
            .field("proxies", &self.proxies)
            .field("headers", &headers)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("trust_uri_only", &self.trust_uri_only)
            .field("crls", &self.trust.load().crl_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
