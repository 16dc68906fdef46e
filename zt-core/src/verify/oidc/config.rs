//! Settings for one trusted token issuer, validated before the service starts.

use std::time::Duration;

use url::{Host, Url};

use crate::ConfigError;

/// Configures one trusted OpenID Connect issuer.
///
/// Start from [`Issuer::okta`], [`Issuer::auth0`] or [`Issuer::oidc`], then set at least the
/// audience. Every other setting has a safe default, stated on its setter.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use zt_core::Issuer;
///
/// let okta = Issuer::okta("https://corp.okta.com/oauth2/default")
///     .audience("api://reports")
///     .leeway(Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
pub struct Issuer {
    pub(crate) url: String,
    pub(crate) profile: Profile,
    pub(crate) audience: Option<String>,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) leeway: Duration,
    pub(crate) max_lifetime: Duration,
    pub(crate) max_token_bytes: usize,
    pub(crate) fetch_timeout: Duration,
    pub(crate) refresh_interval: Duration,
    pub(crate) refetch_cooldown: Duration,
    pub(crate) max_stale: Duration,
    pub(crate) retry_after: Duration,
    pub(crate) permissions: bool,
    pub(crate) verified_cache: u64,
}

/// Selects where an issuer puts scopes and which of its tokens are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// Okta custom authorization servers: scopes in `scp`, client in `cid`.
    ///
    /// Tokens of the Okta org authorization server (an issuer without `/oauth2/`) are meant
    /// for Okta's own APIs, so such an issuer is refused at startup.
    Okta,
    /// Auth0 tenants: scopes in `scope`, optionally RBAC `permissions`, client in `azp`.
    Auth0,
    /// Any other OpenID Connect provider: scopes in `scope` (or `scp`), client in
    /// `client_id` or `azp` (RFC 9068).
    Generic,
}

impl Profile {
    /// Returns the lowercase name used in settings and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Okta => "okta",
            Self::Auth0 => "auth0",
            Self::Generic => "oidc",
        }
    }
}

impl Issuer {
    /// Trusts an Okta custom authorization server, e.g.
    /// `https://corp.okta.com/oauth2/default`.
    #[must_use]
    pub fn okta(issuer: impl Into<String>) -> Self {
        Self::with_profile(issuer, Profile::Okta)
    }

    /// Trusts an Auth0 tenant, e.g. `https://tenant.eu.auth0.com/` (note Auth0's trailing
    /// slash: the issuer is compared exactly).
    #[must_use]
    pub fn auth0(issuer: impl Into<String>) -> Self {
        Self::with_profile(issuer, Profile::Auth0)
    }

    /// Trusts any OpenID Connect provider that issues JWT access tokens (RFC 9068).
    #[must_use]
    pub fn oidc(issuer: impl Into<String>) -> Self {
        Self::with_profile(issuer, Profile::Generic)
    }

    fn with_profile(issuer: impl Into<String>, profile: Profile) -> Self {
        Self {
            url: issuer.into(),
            profile,
            audience: None,
            jwks_uri: None,
            leeway: Duration::from_secs(30),
            max_lifetime: Duration::from_secs(24 * 3600),
            max_token_bytes: 8 * 1024,
            fetch_timeout: Duration::from_secs(5),
            refresh_interval: Duration::from_secs(10 * 60),
            refetch_cooldown: Duration::from_secs(30),
            max_stale: Duration::from_secs(24 * 3600),
            retry_after: Duration::from_secs(10),
            permissions: false,
            verified_cache: 10_000,
        }
    }

    /// Sets the audience this service answers to; tokens must name it in `aud`.
    ///
    /// Required: there is no default, because a token minted for another API must never be
    /// accepted here.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the key-set URL instead of reading it from the discovery document.
    ///
    /// Default: discovered from `{issuer}/.well-known/openid-configuration`, whose `issuer`
    /// must equal the configured one.
    #[must_use]
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Sets the clock skew tolerated on `exp`, `nbf` and `iat`.
    ///
    /// Default 30 seconds: enough for servers kept in time by NTP, short enough that an
    /// expired token is not usable for long.
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Sets the longest lifetime (`exp` − `iat`) a token may have.
    ///
    /// Default 24 hours: access tokens from Okta and Auth0 live one hour by default, so a
    /// longer-lived token points at a misconfigured or compromised issuer.
    #[must_use]
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Sets the largest token, in bytes, that is parsed at all.
    ///
    /// Default 8 KiB, which fits tokens with many scopes and keeps parsing cost bounded.
    #[must_use]
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Sets the timeout of each discovery or key-set fetch.
    ///
    /// Default 5 seconds, so a slow issuer delays few requests.
    #[must_use]
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Sets how old the cached key set may grow before it is refreshed in the background.
    ///
    /// Default 10 minutes. Retired keys therefore stop working within this interval.
    #[must_use]
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// Sets the least time between two fetches caused by tokens with unknown key ids.
    ///
    /// Default 30 seconds: a new signing key is picked up at once, while a flood of forged
    /// key ids causes at most one fetch per cooldown.
    #[must_use]
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.refetch_cooldown = cooldown;
        self
    }

    /// Sets how long the last good key set keeps serving while the issuer is unreachable.
    ///
    /// Default 24 hours; after that tokens are answered with 503 until a fetch succeeds.
    #[must_use]
    pub fn max_stale(mut self, max: Duration) -> Self {
        self.max_stale = max;
        self
    }

    /// Sets the `Retry-After` advice sent when keys cannot be had.
    ///
    /// Default 10 seconds.
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = after;
        self
    }

    /// Adds Auth0's RBAC `permissions` claim to the granted scopes.
    ///
    /// Default off: only `scope` counts, so enabling RBAC in the Auth0 dashboard changes
    /// nothing here until this is set too.
    #[must_use]
    pub fn include_permissions(mut self, include: bool) -> Self {
        self.permissions = include;
        self
    }

    /// Sets how many verified tokens are remembered, so that a token presented again skips the
    /// signature check; `0` turns the cache off.
    ///
    /// Default 10 000 entries, about 3 MiB. Entries are keyed by the SHA-256 of the whole token
    /// (the token itself is not kept), never outlive the token's `exp`, and are used only while
    /// the key that signed the token is still in the issuer's key set, so retiring a key ends
    /// its tokens' cache entries with it. Each verifier has its own cache, so an entry is never
    /// consulted for another issuer or audience. Scopes are still checked on every request.
    #[must_use]
    pub fn verified_cache(mut self, entries: u64) -> Self {
        self.verified_cache = entries;
        self
    }

    /// Returns the issuer exactly as configured.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the claim profile.
    #[must_use]
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Checks every setting; `name` prefixes setting names in errors (e.g. `auth0`).
    pub(crate) fn validate(&self, name: &str) -> Result<Endpoints, ConfigError> {
        let issuer = checked_url(&format!("{name}.issuer"), &self.url)?;
        if self.profile == Profile::Okta && !issuer.path().starts_with("/oauth2/") {
            return Err(ConfigError::Invalid {
                setting: format!("{name}.issuer"),
                problem: format!(
                    "`{}` is an Okta org authorization server, whose tokens are for Okta's own \
                     APIs; use a custom authorization server such as \
                     https://corp.okta.com/oauth2/default",
                    self.url
                ),
            });
        }

        match self.audience.as_deref() {
            None => {
                return Err(ConfigError::Missing {
                    setting: format!("{name}.audience"),
                    hint: "set the API identifier that tokens for this service carry in `aud`",
                })
            }
            Some(a) if a.trim().is_empty() => {
                return Err(ConfigError::Invalid {
                    setting: format!("{name}.audience"),
                    problem: "the audience is empty; set the API identifier".into(),
                })
            }
            Some(_) => {}
        }

        for (setting, value) in [
            ("fetch_timeout", self.fetch_timeout),
            ("refresh_interval", self.refresh_interval),
            ("max_lifetime", self.max_lifetime),
        ] {
            if value.is_zero() {
                return Err(ConfigError::Invalid {
                    setting: format!("{name}.{setting}"),
                    problem: "must be greater than zero".into(),
                });
            }
        }

        let jwks = match &self.jwks_uri {
            Some(uri) => Some(checked_url(&format!("{name}.jwks_uri"), uri)?),
            None => None,
        };
        let base = self.url.trim_end_matches('/');
        let discovery = checked_url(
            &format!("{name}.issuer"),
            &format!("{base}/.well-known/openid-configuration"),
        )?;
        Ok(Endpoints { discovery, jwks })
    }
}

/// Where keys come from, once the settings are checked.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub(crate) discovery: Url,
    pub(crate) jwks: Option<Url>,
}

/// Parses `value` and requires https, or plain http on a loopback host, with no user
/// name, password, query or fragment.
///
/// A value that carries a credential is never echoed in the error.
pub(crate) fn checked_url(setting: &str, value: &str) -> Result<Url, ConfigError> {
    let parsed = Url::parse(value);
    if parsed
        .as_ref()
        .is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
        || value.contains('@')
    {
        return Err(ConfigError::Invalid {
            setting: setting.to_owned(),
            problem: "must not carry a user name or password (the value is not shown)".to_owned(),
        });
    }
    let url = parsed.map_err(|source| ConfigError::InvalidUrl {
        setting: setting.to_owned(),
        value: value.to_owned(),
        source,
    })?;

    let secure = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&url),
        _ => false,
    };
    if !secure || url.host().is_none() {
        return Err(ConfigError::InsecureUrl {
            setting: setting.to_owned(),
            value: value.to_owned(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::Invalid {
            setting: setting.to_owned(),
            problem: format!("`{value}` must not carry a query or fragment"),
        });
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        assert!(checked_url("s", "https://login.example.com/").is_ok());
        assert!(checked_url("s", "http://127.0.0.1:8080").is_ok());
        assert!(checked_url("s", "http://[::1]:8080/").is_ok());
        assert!(checked_url("s", "http://localhost/").is_ok());
    }

    #[test]
    fn plain_http_elsewhere_is_refused_naming_the_setting() {
        let err = checked_url("auth0.issuer", "http://login.example.com/").unwrap_err();
        assert!(err.to_string().starts_with("auth0.issuer:"), "{err}");
        assert!(checked_url("s", "ftp://127.0.0.1/").is_err());
        assert!(checked_url("s", "not a url").is_err());
    }

    #[test]
    fn credentials_query_and_fragment_in_urls_are_refused_without_echoing_them() {
        let err = checked_url("auth0.issuer", "https://user:s3cret@t.auth0.com/").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(err.to_string().starts_with("auth0.issuer:"), "{err}");
        assert!(checked_url("s", "https://t.auth0.com/?x=1").is_err());
        assert!(checked_url("s", "https://t.auth0.com/#x").is_err());
    }

    #[test]
    fn missing_audience_is_refused() {
        let err = Issuer::auth0("https://t.auth0.com/")
            .validate("auth0")
            .unwrap_err();
        assert!(err.to_string().contains("auth0.audience"), "{err}");
    }

    #[test]
    fn okta_org_server_is_refused() {
        let err = Issuer::okta("https://corp.okta.com")
            .audience("a")
            .validate("okta");
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("org authorization server"));
        assert!(Issuer::okta("https://corp.okta.com/oauth2/default")
            .audience("a")
            .validate("okta")
            .is_ok());
    }

    #[test]
    fn discovery_url_follows_the_issuer() {
        let e = Issuer::auth0("https://t.auth0.com/")
            .audience("a")
            .validate("auth0")
            .unwrap();
        assert_eq!(
            e.discovery.as_str(),
            "https://t.auth0.com/.well-known/openid-configuration"
        );
    }
}
