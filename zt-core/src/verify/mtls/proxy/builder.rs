//! The configuration of [`ForwardedCertificates`], checked once at startup.

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::AtomicU64;

use arc_swap::ArcSwap;
use ipnet::IpNet;
use rustls::pki_types::CertificateDer;

use super::trust::Trust;
use super::{ForwardedCertificates, ForwardedHeader, ProxyFormat, DEFAULT_MAX_HEADER_BYTES};
use crate::verify::mtls::TrustBundle;
use crate::ConfigError;

const SETTING_PROXIES: &str = "mtls.proxy.trusted_proxies";
const SETTING_BUNDLE: &str = "mtls.proxy.trust_bundle";
const SETTING_HEADER: &str = "mtls.proxy.header_name";

/// Configures [`ForwardedCertificates`]; every setting is checked by
/// [`build`](Self::build).
#[must_use = "call `build` to get the configuration"]
pub struct ForwardedCertificatesBuilder {
    format: ProxyFormat,
    proxies: Vec<IpNet>,
    bad_proxies: Vec<String>,
    headers: Vec<(ForwardedHeader, String)>,
    bundle: Option<TrustBundle>,
    intermediates: Vec<CertificateDer<'static>>,
    max_header_bytes: usize,
    trust_uri_only: bool,
    recheck_chain: bool,
}

impl ForwardedCertificatesBuilder {
    pub(super) fn new(format: ProxyFormat) -> Self {
        Self {
            format,
            proxies: Vec::new(),
            bad_proxies: Vec::new(),
            headers: Vec::new(),
            bundle: None,
            intermediates: Vec::new(),
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            trust_uri_only: false,
            recheck_chain: false,
        }
    }

    /// Trusts headers from peers in `network`: a CIDR (`10.0.0.0/8`, `fd00::/8`) or a single
    /// address. Required at least once; no default, since no address is safe to assume.
    pub fn trusted_proxy(mut self, network: &str) -> Self {
        let parsed = network
            .parse::<IpNet>()
            .or_else(|_| network.parse::<IpAddr>().map(IpNet::from));
        match parsed {
            Ok(net) => self.proxies.push(net.trunc()),
            Err(_) => self.bad_proxies.push(network.to_owned()),
        }
        self
    }

    /// Sets the roots and CRLs that forwarded chains are verified against. Required.
    pub fn trust_bundle(mut self, bundle: TrustBundle) -> Self {
        self.bundle = Some(bundle);
        self
    }

    /// Adds an intermediate CA certificate to use when the proxy forwards the leaf alone
    /// (XFCC `Cert` without `Chain`, RFC 9440 without `client-cert-chain`). It is not
    /// trusted by itself: chains must still end at a root of the bundle. Default: none.
    pub fn intermediate(mut self, cert: CertificateDer<'static>) -> Self {
        self.intermediates.push(cert);
        self
    }

    /// Reads `header` under `name` instead of its standard name (the proxy renames it).
    /// Default: [`ForwardedHeader::default_name`].
    pub fn header_name(mut self, header: ForwardedHeader, name: &str) -> Self {
        self.headers.push((header, name.to_ascii_lowercase()));
        self
    }

    /// Sets the largest accepted value of each header. Default: 16 KiB, room for a chain of
    /// three RSA-4096 certificates in URL-encoded PEM; larger values are refused before
    /// parsing.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Accepts an XFCC element that names the client (`URI`, `DNS`) without its certificate,
    /// trusting the proxy's word for those names. Default: off, such elements are refused.
    ///
    /// # Security
    ///
    /// Nothing about the client is verified here in this mode: whoever controls the proxy,
    /// or slips a header past it, chooses the identity. Use it only with a proxy that
    /// verified the client certificate itself and strips incoming XFCC headers.
    pub fn insecure_trust_uri_only(mut self, enabled: bool) -> Self {
        self.trust_uri_only = enabled;
        self
    }

    /// In ALB verify mode, verifies the leaf's chain here as well, against the bundle's roots
    /// and the [`intermediate`](Self::intermediate)s given (the balancer forwards the leaf
    /// only), instead of relying on the balancer's check. Default: off, the balancer's
    /// verification is trusted.
    ///
    /// Turn it on when the bundle and intermediates are at hand: it also refuses a leaf from
    /// a CA the balancer's trust store accepts but this service does not, and checks the
    /// revocation of the intermediates.
    pub fn recheck_chain(mut self, enabled: bool) -> Self {
        self.recheck_chain = enabled;
        self
    }

    /// Checks every setting and builds the configuration.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] naming the setting when no trusted proxy network is given,
    /// one cannot be parsed or covers every address, the trust bundle is missing or unusable,
    /// a header name is renamed for another format, empty or not a valid header name, or
    /// URI-only trust is enabled for a format other than XFCC.
    pub fn build(self) -> Result<ForwardedCertificates, ConfigError> {
        if let Some(bad) = self.bad_proxies.first() {
            return Err(invalid(
                SETTING_PROXIES,
                format!("`{bad}` is not an IP address or a CIDR network such as 10.0.0.0/8"),
            ));
        }
        if self.proxies.is_empty() {
            return Err(ConfigError::Missing {
                setting: SETTING_PROXIES.to_owned(),
                hint: "name the networks of the TLS-terminating proxies, e.g. 10.0.0.0/8; \
                       headers from any other peer are refused as forged",
            });
        }
        if let Some(all) = self.proxies.iter().find(|net| net.prefix_len() == 0) {
            return Err(invalid(
                SETTING_PROXIES,
                format!("`{all}` trusts every address, so any client could forge the headers"),
            ));
        }

        let headers = header_names(self.format, &self.headers)?;
        if self.trust_uri_only && self.format != ProxyFormat::Xfcc {
            return Err(invalid(
                "mtls.proxy.insecure_trust_uri_only",
                "applies to the XFCC format only".to_owned(),
            ));
        }
        if self.recheck_chain && self.format != ProxyFormat::AlbVerify {
            return Err(invalid(
                "mtls.proxy.recheck_chain",
                "applies to the ALB verify format only; the other formats always verify the \
                 chain"
                    .to_owned(),
            ));
        }
        if self.max_header_bytes == 0 {
            return Err(invalid(
                "mtls.proxy.max_header_bytes",
                "must be above zero".to_owned(),
            ));
        }

        let Some(bundle) = self.bundle else {
            return Err(ConfigError::Missing {
                setting: SETTING_BUNDLE.to_owned(),
                hint: "give the root CAs and their CRLs that client certificates chain to",
            });
        };
        let trust = Trust::new(&bundle, self.intermediates.clone())
            .map_err(|e| invalid(SETTING_BUNDLE, e.to_string()))?;

        Ok(ForwardedCertificates {
            format: self.format,
            proxies: self.proxies,
            headers,
            max_header_bytes: self.max_header_bytes,
            trust_uri_only: self.trust_uri_only,
            recheck_chain: self.recheck_chain,
            intermediates: self.intermediates,
            trust: ArcSwap::from_pointee(trust),
            last_warn: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        })
    }
}

impl fmt::Debug for ForwardedCertificatesBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForwardedCertificatesBuilder")
            .field("format", &self.format)
            .field("proxies", &self.proxies)
            .finish_non_exhaustive()
    }
}

/// Resolves the header names of `format`, applying and checking the renames.
fn header_names(
    format: ProxyFormat,
    renames: &[(ForwardedHeader, String)],
) -> Result<Vec<(ForwardedHeader, String)>, ConfigError> {
    let slots = format.headers();
    if let Some((other, _)) = renames.iter().find(|(slot, _)| !slots.contains(slot)) {
        return Err(invalid(
            SETTING_HEADER,
            format!("{other:?} is not a header of the {format:?} format"),
        ));
    }

    let mut names: Vec<(ForwardedHeader, String)> = Vec::with_capacity(slots.len());
    for slot in slots {
        let name = renames
            .iter()
            .rev()
            .find(|(s, _)| s == slot)
            .map_or_else(|| slot.default_name().to_owned(), |(_, n)| n.clone());
        if !is_header_name(&name) {
            return Err(invalid(
                SETTING_HEADER,
                format!("`{name}` is not a valid HTTP header name"),
            ));
        }
        if names.iter().any(|(_, n)| *n == name) {
            return Err(invalid(
                SETTING_HEADER,
                format!("`{name}` is used for two headers"),
            ));
        }
        names.push((*slot, name));
    }
    Ok(names)
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn invalid(setting: &str, problem: String) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_owned(),
        problem,
    }
}
