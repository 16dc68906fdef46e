//! What a service configures for client certificates: where the trust bundle, CRLs and its
//! own certificate come from, named identity policies, and how often to look for changes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use zt_core::verify::mtls::{ForwardedCertificates, IdentityPolicy};
use zt_core::Secret;

/// Configures client certificates (mutual TLS) terminated in this service.
///
/// Pass it to [`ZeroTrustBuilder::mtls`](crate::ZeroTrustBuilder::mtls); then serve with
/// [`ZeroTrust::mtls_server_config`](crate::ZeroTrust::mtls_server_config) and
/// [`capture_peer_certificate`](super::capture_peer_certificate).
///
/// Four pieces of material are needed, all PEM: the CA certificates client certificates must
/// chain to, the CRLs of those CAs (one PEM may hold several; a DER CRL file is accepted
/// too), and the server's own certificate chain and private key. They come either from
/// files or from the secret store, and are looked at again every
/// [`reload_interval`](Self::reload_interval); a change is applied as a whole, while running,
/// to new handshakes and to every request on open connections (revocation).
///
/// # Examples
///
/// ```no_run
/// use zt_actix::mtls::MtlsSettings;
/// use zt_actix::ZeroTrust;
/// use zt_core::verify::mtls::IdentityPolicy;
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let policy = IdentityPolicy::new().allow_spiffe("spiffe://corp/billing/*")?;
/// let zt = ZeroTrust::builder()
///     .mtls(
///         MtlsSettings::from_files("ca.pem", "crl.pem", "server.pem", "server.key")
///             .policy("billing-clients", policy),
///     )
///     .build()?;
/// # Ok(())
/// # }
/// ```
///
/// # Security
///
/// - A bundle without a CRL is refused at startup: revocation cannot be checked without one.
/// - A reload that cannot be parsed, or whose key does not match its certificate, is refused
///   as a whole and logged at WARN (target `zt::mtls`); the previous material stays in force.
/// - Private key bytes are never logged and are wiped from memory after parsing.
#[derive(Clone)]
pub struct MtlsSettings {
    pub(crate) source: MaterialSource,
    pub(crate) policies: BTreeMap<String, IdentityPolicy>,
    pub(crate) reload_interval: Duration,
    pub(crate) forwarded: Option<Arc<ForwardedCertificates>>,
}

/// Where the PEM material is read from.
#[derive(Clone)]
pub(crate) enum MaterialSource {
    Files {
        ca: PathBuf,
        crls: Vec<PathBuf>,
        /// The server's certificate chain and key; `None` behind a proxy, with no listener.
        server: Option<(PathBuf, PathBuf)>,
    },
    Secrets {
        ca: Secret,
        crls: Secret,
        cert: Secret,
        key: Secret,
    },
}

impl MtlsSettings {
    /// Reads the material from files: the CA bundle, a CRL file, the server's certificate
    /// chain and its private key.
    ///
    /// Add more CRL files with [`crl_file`](Self::crl_file).
    #[must_use]
    pub fn from_files(
        ca: impl Into<PathBuf>,
        crl: impl Into<PathBuf>,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        Self::with_source(MaterialSource::Files {
            ca: ca.into(),
            crls: vec![crl.into()],
            server: Some((cert.into(), key.into())),
        })
    }

    /// Takes client certificates that a TLS-terminating proxy forwards in request headers
    /// (AWS ALB, Envoy, an RFC 9440 proxy), for a service that terminates no TLS itself.
    ///
    /// The CA bundle and CRL files are read and reloaded as with
    /// [`from_files`](Self::from_files), and replace the trust bundle `forwarded` was built
    /// with; [`ZeroTrust::mtls_server_config`](crate::ZeroTrust::mtls_server_config) is not
    /// available. To take both forwarded certificates and handshakes of your own, use
    /// [`forwarded`](Self::forwarded) instead.
    #[must_use]
    pub fn behind_proxy(
        ca: impl Into<PathBuf>,
        crl: impl Into<PathBuf>,
        forwarded: ForwardedCertificates,
    ) -> Self {
        Self::with_source(MaterialSource::Files {
            ca: ca.into(),
            crls: vec![crl.into()],
            server: None,
        })
        .forwarded(forwarded)
    }

    /// Reads the material from the secret store: each secret's current version holds PEM
    /// text.
    ///
    /// The secrets must have been loaded before [`build`](crate::ZeroTrustBuilder::build)
    /// (`SecretStore::refresh_all`), and their refresher keeps them fresh.
    #[must_use]
    pub fn from_secrets(ca: Secret, crls: Secret, cert: Secret, key: Secret) -> Self {
        Self::with_source(MaterialSource::Secrets {
            ca,
            crls,
            cert,
            key,
        })
    }

    fn with_source(source: MaterialSource) -> Self {
        Self {
            source,
            policies: BTreeMap::new(),
            reload_interval: Duration::from_secs(1),
            forwarded: None,
        }
    }

    /// Also takes client certificates forwarded in request headers by the proxies
    /// `forwarded` trusts.
    ///
    /// On each request to an `mtls` route, forwarded-certificate headers come first: from a
    /// trusted proxy they are verified against the CA bundle and CRLs of these settings
    /// (which replace the bundle `forwarded` was built with, and reload with them), and
    /// from any other peer they are refused as forged (400, reason `forged_proxy_header`,
    /// and a WARN under `zt::proxy`), even when the connection itself carries a valid client
    /// certificate. Without those headers, the connection's own certificate decides.
    #[must_use]
    pub fn forwarded(mut self, forwarded: ForwardedCertificates) -> Self {
        self.forwarded = Some(Arc::new(forwarded));
        self
    }

    /// Adds a CRL file; every file given must exist and parse.
    ///
    /// Has no effect on settings read from secrets, whose CRL secret may hold several CRLs.
    #[must_use]
    pub fn crl_file(mut self, path: impl Into<PathBuf>) -> Self {
        if let MaterialSource::Files { crls, .. } = &mut self.source {
            crls.push(path.into());
        }
        self
    }

    /// Names an identity policy for `#[zero_trust(mtls, policy = "name")]` routes.
    ///
    /// Naming the same policy twice keeps the last one. A route naming a policy that is not
    /// configured stops [`build`](crate::ZeroTrustBuilder::build).
    #[must_use]
    pub fn policy(mut self, name: impl Into<String>, policy: IdentityPolicy) -> Self {
        self.policies.insert(name.into(), policy);
        self
    }

    /// Sets how often the material is looked at for changes.
    ///
    /// Default 1 s: a replaced CRL applies to open connections within about that time.
    /// Reading four small files or four in-memory secrets each second costs next to nothing.
    /// Values under 100 ms are raised to 100 ms.
    #[must_use]
    pub fn reload_interval(mut self, every: Duration) -> Self {
        self.reload_interval = every.max(Duration::from_millis(100));
        self
    }
}

impl fmt::Debug for MtlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            MaterialSource::Files { .. } => "files",
            MaterialSource::Secrets { .. } => "secrets",
        };
        f.debug_struct("MtlsSettings")
            .field("source", &source)
            .field("policies", &self.policies.keys().collect::<Vec<_>>())
            .field("reload_interval", &self.reload_interval)
            .field("forwarded", &self.forwarded.as_ref().map(|f| f.format()))
            .finish()
    }
}
