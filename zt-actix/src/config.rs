//! The application-wide configuration, built and checked once at startup.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error};

use zt_core::verify::api_key::KeyRing;
use zt_core::verify::psk::{PskSettings, PskVerifier};
use zt_core::{ConfigError, IdentityRule, Issuer, OidcVerifier, Provider, Requirement, Secret};

use crate::declaration::Declaration;
use crate::gate::UndeclaredRoutes;
use crate::mtls::{MtlsSettings, MtlsState};
use crate::routes::RouteInventory;

/// Holds the verifiers an application trusts; put a clone in `App::app_data`.
///
/// Cloning is cheap (one `Arc`).
///
/// # Examples
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use zt_actix::{Issuer, ZeroTrust};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let zt = ZeroTrust::builder()
///     .auth0(Issuer::auth0("https://tenant.eu.auth0.com/").audience("https://api.example.com"))
///     .build()?;
/// HttpServer::new(move || App::new().app_data(zt.clone()))
///     .bind(("127.0.0.1", 8080))?
///     .run()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ZeroTrust {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    okta: Option<OidcVerifier>,
    auth0: Option<OidcVerifier>,
    api_keys: Option<Arc<KeyRing>>,
    mtls: Option<Arc<MtlsState>>,
    psk: BTreeMap<String, PskVerifier>,
    realm: String,
    undeclared_routes: UndeclaredRoutes,
    /// Routes (method, path) the gate caught running without their guard.
    tripped: Mutex<BTreeSet<(String, String)>>,
}

impl ZeroTrust {
    /// Starts a configuration with nothing trusted.
    #[must_use]
    pub fn builder() -> ZeroTrustBuilder {
        ZeroTrustBuilder {
            okta: None,
            auth0: None,
            api_keys: None,
            mtls: None,
            psk: Vec::new(),
            realm: "api".to_owned(),
            undeclared_routes: UndeclaredRoutes::default(),
        }
    }

    /// Returns the verifier for `provider`, when configured.
    #[must_use]
    pub fn verifier(&self, provider: Provider) -> Option<&OidcVerifier> {
        match provider {
            Provider::Okta => self.inner.okta.as_ref(),
            Provider::Auth0 => self.inner.auth0.as_ref(),
            _ => None,
        }
    }

    /// Returns the API key ring, when configured.
    #[must_use]
    pub fn api_keys(&self) -> Option<&KeyRing> {
        self.inner.api_keys.as_deref()
    }

    /// Builds the rustls server configuration for a listener that takes client certificates:
    /// a certificate is required on every connection and checked against the current trust
    /// bundle and CRLs, and the server presents its current certificate.
    ///
    /// Serve it with `HttpServer::bind_rustls_0_23`, together with
    /// [`capture_peer_certificate`](crate::mtls::capture_peer_certificate) in
    /// `HttpServer::on_connect`. Changes to the material apply to it while it runs.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Missing`] when [`ZeroTrustBuilder::mtls`] was not set.
    pub fn mtls_server_config(&self) -> Result<rustls::ServerConfig, ConfigError> {
        let Some(mtls) = &self.inner.mtls else {
            return Err(ConfigError::Missing {
                setting: "mtls".to_owned(),
                hint: "set ZeroTrustBuilder::mtls(MtlsSettings::from_files(..)) first",
            });
        };
        mtls.server_config()
    }

    /// Reads the mTLS material now and installs it if it changed, without waiting for the
    /// reload interval; returns whether anything was installed.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError`] naming the file or secret that cannot be read or parsed (the
    /// previous material stays in force), or [`ConfigError::Missing`] when mTLS is not
    /// configured.
    pub fn reload_mtls(&self) -> Result<bool, ConfigError> {
        let Some(mtls) = &self.inner.mtls else {
            return Err(ConfigError::Missing {
                setting: "mtls".to_owned(),
                hint: "set ZeroTrustBuilder::mtls(MtlsSettings::from_files(..)) first",
            });
        };
        mtls.reload()
    }

    pub(crate) fn mtls(&self) -> Option<&MtlsState> {
        self.inner.mtls.as_deref()
    }

    /// Returns the verifier of the pre-shared secret routes name `name`, when configured.
    #[must_use]
    pub fn psk(&self, name: &str) -> Option<&PskVerifier> {
        self.inner.psk.get(name)
    }

    /// Tells whether everything `requirement` needs is configured, looking through `any(..)`
    /// and `all(..)`.
    #[must_use]
    pub fn supports(&self, requirement: &Requirement) -> bool {
        self.missing_setting(requirement).is_none()
    }

    /// Returns the setting of the first mechanism in `requirement` that is not configured.
    fn missing_setting(&self, requirement: &Requirement) -> Option<String> {
        requirement.leaves().into_iter().find_map(|leaf| {
            let configured = match leaf {
                Requirement::Anonymous { .. } => true,
                Requirement::Token { provider, .. } => self.verifier(*provider).is_some(),
                Requirement::ApiKey { .. } => self.inner.api_keys.is_some(),
                Requirement::Mtls { identity } => match (&self.inner.mtls, identity) {
                    (None, _) => false,
                    (Some(mtls), IdentityRule::Policy(name)) if !mtls.has_policy(name) => {
                        return Some(format!("mtls policy `{name}`"));
                    }
                    (Some(_), _) => true,
                },
                Requirement::Psk { name } => {
                    if self.psk(name).is_none() {
                        return Some(format!("psk(\"{name}\")"));
                    }
                    true
                }
                _ => false,
            };
            if configured {
                None
            } else {
                Some(leaf.setting().unwrap_or("unknown").to_owned())
            }
        })
    }

    /// Returns the realm named in `WWW-Authenticate` challenges.
    #[must_use]
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// Returns what the gate does with undeclared routes.
    #[must_use]
    pub fn undeclared_routes(&self) -> UndeclaredRoutes {
        self.inner.undeclared_routes
    }

    /// Lists the routes of `app` and, by default, refuses an app with undeclared ones.
    ///
    /// Call it at startup on the app the server will serve, before `HttpServer::new`:
    ///
    /// ```no_run
    /// use actix_web::{App, HttpServer};
    /// use zt_actix::ZeroTrust;
    ///
    /// # async fn run(zt: ZeroTrust) -> Result<(), Box<dyn std::error::Error>> {
    /// let app = {
    ///     let zt = zt.clone();
    ///     move || App::new().app_data(zt.clone()).wrap(zt.gate())
    /// };
    /// let routes = zt.check_routes(app()).await?; // names every undeclared route
    /// println!("{routes}");
    /// HttpServer::new(app).bind(("127.0.0.1", 8080))?.run().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] with setting `undeclared_routes` naming each route
    /// no `#[zero_trust]` declaration covers, unless the setting is
    /// [`UndeclaredRoutes::Forbid`]; and with setting `routes` when the app cannot be built.
    pub async fn check_routes<T, B>(&self, app: App<T>) -> Result<RouteInventory, ConfigError>
    where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let inventory = RouteInventory::of(app).await?;
        let undeclared: Vec<String> = inventory
            .undeclared()
            .map(|r| {
                format!(
                    "{} {} ({})",
                    r.method,
                    r.path,
                    r.problem.as_deref().unwrap_or("")
                )
            })
            .collect();
        if undeclared.is_empty() || self.undeclared_routes() == UndeclaredRoutes::Forbid {
            return Ok(inventory);
        }
        Err(ConfigError::Invalid {
            setting: "undeclared_routes".to_owned(),
            problem: format!(
                "every route needs a #[zero_trust] declaration (anonymous ones too, with a \
                 reason); these have none: {}; declare them, or set \
                 undeclared_routes(UndeclaredRoutes::Forbid) to start and answer them with 403",
                undeclared.join("; ")
            ),
        })
    }

    /// Tells whether the gate caught `method` on `route` running without its guard.
    pub(crate) fn is_tripped(&self, method: &str, route: &str) -> bool {
        let tripped = self
            .inner
            .tripped
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tripped.contains(&(method.to_owned(), route.to_owned()))
    }

    /// Refuses `method` on `route` from now on.
    pub(crate) fn trip(&self, method: &str, route: &str) {
        let mut tripped = self
            .inner
            .tripped
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tripped.insert((method.to_owned(), route.to_owned()));
    }
}

/// Collects settings for [`ZeroTrust`]; [`ZeroTrustBuilder::build`] checks them all.
#[derive(Debug)]
pub struct ZeroTrustBuilder {
    okta: Option<Issuer>,
    auth0: Option<Issuer>,
    api_keys: Option<Arc<KeyRing>>,
    mtls: Option<MtlsSettings>,
    psk: Vec<(String, Secret, PskSettings)>,
    realm: String,
    undeclared_routes: UndeclaredRoutes,
}

impl ZeroTrustBuilder {
    /// Trusts Okta access tokens from `issuer` on `#[zero_trust(okta, ..)]` routes.
    #[must_use]
    pub fn okta(mut self, issuer: Issuer) -> Self {
        self.okta = Some(issuer);
        self
    }

    /// Trusts Auth0 access tokens from `issuer` on `#[zero_trust(auth0, ..)]` routes.
    #[must_use]
    pub fn auth0(mut self, issuer: Issuer) -> Self {
        self.auth0 = Some(issuer);
        self
    }

    /// Accepts API keys from `ring` on `#[zero_trust(api_key, ..)]` routes.
    ///
    /// Keep the `Arc` to update the ring while running ([`KeyRing::replace`]); revoking or
    /// disabling a key there takes effect on the next request.
    #[must_use]
    pub fn api_keys(mut self, ring: Arc<KeyRing>) -> Self {
        self.api_keys = Some(ring);
        self
    }

    /// Accepts client certificates on `#[zero_trust(mtls, ..)]` routes, checked as
    /// `settings` say; see [`MtlsSettings`].
    ///
    /// [`ZeroTrustBuilder::build`] reads the material at once and starts a thread that
    /// applies changes every [`MtlsSettings::reload_interval`] while the configuration lives.
    #[must_use]
    pub fn mtls(mut self, settings: MtlsSettings) -> Self {
        self.mtls = Some(settings);
        self
    }

    /// Accepts requests signed with `secret` on `#[zero_trust(psk = "<name>")]` routes, with
    /// the default [`PskSettings`].
    ///
    /// Refusals challenge with the `ZT-HMAC-SHA256` scheme; see
    /// [`zt_core::verify::psk`] for the headers a client sends.
    #[must_use]
    pub fn psk(self, name: impl Into<String>, secret: Secret) -> Self {
        self.psk_with(name, secret, PskSettings::default())
    }

    /// Accepts requests signed with `secret` on `#[zero_trust(psk = "<name>")]` routes, with
    /// the given window, body limit, replay capacity and bearer mode.
    #[must_use]
    pub fn psk_with(
        mut self,
        name: impl Into<String>,
        secret: Secret,
        settings: PskSettings,
    ) -> Self {
        self.psk.push((name.into(), secret, settings));
        self
    }

    /// Sets the realm named in `WWW-Authenticate` challenges.
    ///
    /// Default `"api"`. Must be printable ASCII; [`ZeroTrustBuilder::build`] refuses others.
    #[must_use]
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Chooses what the gate and [`ZeroTrust::check_routes`] do with routes that carry no
    /// `#[zero_trust]` declaration.
    ///
    /// Default [`UndeclaredRoutes::RefuseToStart`]: a route nobody declared is a gap in the
    /// policy, so the check fails and names it. [`UndeclaredRoutes::Forbid`] starts anyway
    /// and answers those routes with 403; both never run an undeclared handler.
    #[must_use]
    pub fn undeclared_routes(mut self, choice: UndeclaredRoutes) -> Self {
        self.undeclared_routes = choice;
        self
    }

    /// Checks every setting and every handler declaration in the program.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError`] naming the setting when an issuer is malformed or lacks an
    /// audience, when the mTLS material cannot be read or used (naming the file or secret),
    /// when a pre-shared secret is configured twice, has settings out of range or a loaded
    /// current version shorter than 32 bytes, or when a handler anywhere in the binary
    /// declares a mechanism that is not configured here (so a missing setting stops the
    /// service at startup, not on the first request).
    ///
    /// # Limitations
    ///
    /// A pre-shared secret's length can be checked here only when the secret was loaded
    /// before (`SecretStore::refresh_all().await`); otherwise a too-short version is found on
    /// the first request, answered 503 (`weak_secret`) and logged at ERROR.
    pub fn build(self) -> Result<ZeroTrust, ConfigError> {
        if self.realm.is_empty() || !self.realm.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(ConfigError::Invalid {
                setting: "realm".to_owned(),
                problem: "must be non-empty printable ASCII, as it is sent in WWW-Authenticate"
                    .to_owned(),
            });
        }
        let okta = self
            .okta
            .map(|i| OidcVerifier::new(Provider::Okta, i))
            .transpose()?;
        let auth0 = self
            .auth0
            .map(|i| OidcVerifier::new(Provider::Auth0, i))
            .transpose()?;
        let mtls = self
            .mtls
            .map(|settings| MtlsState::start(settings, declared_spiffe_rules()))
            .transpose()?;
        let mut psk = BTreeMap::new();
        for (name, secret, settings) in self.psk {
            if psk.contains_key(&name) {
                return Err(ConfigError::Invalid {
                    setting: format!("psk(\"{name}\")"),
                    problem: "configured twice; give each secret one name".to_owned(),
                });
            }
            let verifier = PskVerifier::new(name.clone(), secret, settings)?;
            psk.insert(name, verifier);
        }
        let inner = Inner {
            okta,
            auth0,
            api_keys: self.api_keys,
            mtls,
            psk,
            realm: self.realm,
            undeclared_routes: self.undeclared_routes,
            tripped: Mutex::new(BTreeSet::new()),
        };
        let zt = ZeroTrust {
            inner: Arc::new(inner),
        };

        for declared in inventory::iter::<Declaration> {
            if let Some(setting) = zt.missing_setting(&declared.requirement) {
                return Err(ConfigError::Unconfigured {
                    setting,
                    handler: format!("{}::{}", declared.module, declared.handler),
                });
            }
        }
        Ok(zt)
    }
}

/// Returns the SPIFFE rules written in every `#[zero_trust(mtls, identity = ..)]`.
fn declared_spiffe_rules() -> impl Iterator<Item = &'static str> {
    inventory::iter::<Declaration>
        .into_iter()
        .flat_map(|declared| declared.requirement.leaves())
        .filter_map(|leaf| match leaf {
            Requirement::Mtls {
                identity: IdentityRule::Spiffe(pattern),
            } => Some(*pattern),
            _ => None,
        })
}
