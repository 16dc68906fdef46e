//! The running side of client certificates: the verifier and server certificate in force,
//! the identity rules, and the thread that applies changed material.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use zt_core::verify::mtls::{
    ForwardedCertificates, IdentityPolicy, ReloadableClientVerifier, TrustBundle,
};
use zt_core::{ConfigError, IdentityRule};

use super::settings::{MaterialSource, MtlsSettings};

/// Client-certificate verification as configured, shared by the guard, the TLS acceptor and
/// the reload thread.
pub(crate) struct MtlsState {
    pub(crate) verifier: Arc<ReloadableClientVerifier>,
    /// Certificates forwarded by trusted proxies, checked against the same bundle.
    pub(crate) forwarded: Option<Arc<ForwardedCertificates>>,
    server_cert: Arc<ServerCertificate>,
    provider: Arc<CryptoProvider>,
    source: MaterialSource,
    policies: BTreeMap<String, IdentityPolicy>,
    /// SPIFFE rules of the declared handlers, parsed once at startup.
    spiffe_rules: HashMap<&'static str, IdentityPolicy>,
    /// Digest of the material in force, or of the last material refused, so a broken file is
    /// reported once rather than every tick.
    last_seen: Mutex<u64>,
}

impl MtlsState {
    /// Reads and installs the material, and starts the reload thread.
    pub(crate) fn start(
        settings: MtlsSettings,
        declared_rules: impl IntoIterator<Item = &'static str>,
    ) -> Result<Arc<Self>, ConfigError> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let raw = settings.source.read()?;
        let material = raw.parse(&provider)?;
        let verifier = ReloadableClientVerifier::new(&material.bundle).map_err(bundle_error)?;
        reload_forwarded(settings.forwarded.as_deref(), &material.bundle)?;

        let mut spiffe_rules = HashMap::new();
        for pattern in declared_rules {
            let rule =
                IdentityPolicy::new()
                    .allow_spiffe(pattern)
                    .map_err(|e| ConfigError::Invalid {
                        setting: "#[zero_trust(mtls, identity = ..)]".to_owned(),
                        problem: e.to_string(),
                    })?;
            spiffe_rules.insert(pattern, rule);
        }

        let state = Arc::new(Self {
            verifier: Arc::new(verifier),
            forwarded: settings.forwarded,
            server_cert: Arc::new(ServerCertificate(ArcSwapOption::new(
                material.server.map(Arc::new),
            ))),
            provider,
            source: settings.source,
            policies: settings.policies,
            spiffe_rules,
            last_seen: Mutex::new(raw.digest()),
        });
        spawn_reloader(Arc::downgrade(&state), settings.reload_interval).map_err(|e| {
            ConfigError::Invalid {
                setting: "mtls reload thread".to_owned(),
                problem: format!("cannot be started ({e}); CRL changes would never apply"),
            }
        })?;
        Ok(state)
    }

    /// Tells whether a policy of this name is configured.
    pub(crate) fn has_policy(&self, name: &str) -> bool {
        self.policies.contains_key(name)
    }

    /// Returns whether `peer` satisfies `rule`; an unknown policy or a malformed SPIFFE
    /// pattern (only possible for requirements built by hand) allows nobody.
    pub(crate) fn allows(
        &self,
        rule: IdentityRule,
        peer: &zt_core::verify::mtls::PeerIdentity,
    ) -> bool {
        match rule {
            IdentityRule::Spiffe(pattern) => match self.spiffe_rules.get(pattern) {
                Some(policy) => policy.allows(peer),
                None => IdentityPolicy::new()
                    .allow_spiffe(pattern)
                    .is_ok_and(|policy| policy.allows(peer)),
            },
            IdentityRule::Policy(name) => self
                .policies
                .get(name)
                .is_some_and(|policy| policy.allows(peer)),
            _ => false,
        }
    }

    /// Builds the rustls server configuration: client certificates required and checked
    /// against the current bundle, the server certificate read from the current material.
    pub(crate) fn server_config(&self) -> Result<ServerConfig, ConfigError> {
        if self.server_cert.0.load().is_none() {
            return Err(ConfigError::Missing {
                setting: "mtls server certificate".to_owned(),
                hint: "settings from MtlsSettings::behind_proxy serve no TLS listener; use \
                       MtlsSettings::from_files(..) with a server certificate and key to \
                       terminate TLS in this service",
            });
        }
        let config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ConfigError::Invalid {
                setting: "mtls TLS versions".to_owned(),
                problem: e.to_string(),
            })?
            .with_client_cert_verifier(self.verifier.clone())
            .with_cert_resolver(self.server_cert.clone());
        Ok(config)
    }

    /// Reads the material and installs it when it changed since the last look.
    ///
    /// Returns whether anything was installed.
    pub(crate) fn reload(&self) -> Result<bool, ConfigError> {
        let raw = self.source.read()?;
        let digest = raw.digest();
        {
            let mut last = self
                .last_seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if *last == digest {
                return Ok(false);
            }
            *last = digest;
        }

        let material = raw.parse(&self.provider)?;
        self.verifier
            .reload(&material.bundle)
            .map_err(bundle_error)?;
        reload_forwarded(self.forwarded.as_deref(), &material.bundle)?;
        if let Some(server) = material.server {
            self.server_cert.0.store(Some(Arc::new(server)));
        }
        Ok(true)
    }
}

impl fmt::Debug for MtlsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MtlsState")
            .field("policies", &self.policies.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Looks at the material every `every` while the state is alive.
fn spawn_reloader(state: Weak<MtlsState>, every: Duration) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("zt-mtls-reload".to_owned())
        .spawn(move || loop {
            std::thread::sleep(every);
            let Some(state) = state.upgrade() else {
                return;
            };
            match state.reload() {
                Ok(true) => tracing::info!(target: "zt::mtls", "applied new mTLS material"),
                Ok(false) => {}
                Err(e) => tracing::warn!(
                    target: "zt::mtls",
                    error = %e,
                    "new mTLS material refused; the previous material stays in force"
                ),
            }
        })
        .map(drop)
}

/// Names the CA and CRL settings in an error about the trust bundle they make.
fn bundle_error(error: impl fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        setting: "mtls CA and CRL files".to_owned(),
        problem: error.to_string(),
    }
}

/// Gives the proxies' forwarded-certificate check the same trust bundle as the handshakes.
fn reload_forwarded(
    forwarded: Option<&ForwardedCertificates>,
    bundle: &TrustBundle,
) -> Result<(), ConfigError> {
    forwarded.map_or(Ok(()), |forwarded| {
        forwarded.reload(bundle).map_err(bundle_error)
    })
}

/// Hands rustls the server certificate in force, replaced on reload.
struct ServerCertificate(ArcSwapOption<CertifiedKey>);

impl ResolvesServerCert for ServerCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.load_full()
    }
}

impl fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCertificate").finish_non_exhaustive()
    }
}
