//! The application-wide configuration, built and checked once at startup.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error};

use zt_core::verify::api_key::KeyRing;
use zt_core::{ConfigError, Issuer, OidcVerifier, Provider, Requirement};

use crate::declaration::Declaration;
use crate::gate::UndeclaredRoutes;
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

    /// Tells whether everything `requirement` needs is configured, looking through `any(..)`
    /// and `all(..)`.
    #[must_use]
    pub fn supports(&self, requirement: &Requirement) -> bool {
        self.missing_setting(requirement).is_none()
    }

    /// Returns the setting of the first mechanism in `requirement` that is not configured.
    fn missing_setting(&self, requirement: &Requirement) -> Option<&'static str> {
        requirement.leaves().into_iter().find_map(|leaf| {
            let configured = match leaf {
                Requirement::Anonymous { .. } => true,
                Requirement::Token { provider, .. } => self.verifier(*provider).is_some(),
                Requirement::ApiKey { .. } => self.inner.api_keys.is_some(),
                _ => false,
            };
            if configured {
                None
            } else {
                Some(leaf.setting().unwrap_or("unknown"))
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
    /// audience, or when a handler anywhere in the binary declares a mechanism that is not
    /// configured here (so a missing setting stops the service at startup, not on the first
    /// request).
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
        let inner = Inner {
            okta,
            auth0,
            api_keys: self.api_keys,
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
                    setting: setting.to_owned(),
                    handler: format!("{}::{}", declared.module, declared.handler),
                });
            }
        }
        Ok(zt)
    }
}
