//! The identity providers the test issuer imitates: their URLs and their token shapes.

use serde_json::{json, Map, Value};

/// Names the identity provider whose URLs and token shapes the test issuer copies.
///
/// | | Okta (custom authorization server) | Auth0 | Generic (RFC 9068) |
/// |---|---|---|---|
/// | issuer | `http://127.0.0.1:PORT/oauth2/default` | `http://127.0.0.1:PORT/` | `http://127.0.0.1:PORT` |
/// | JWKS | `{issuer}/v1/keys` | `/.well-known/jwks.json` | `/jwks` |
/// | token endpoint | `{issuer}/v1/token` | `/oauth/token` | `/token` |
/// | audience | `api://default` | `https://api.example.test` | `zt-test-api` |
/// | header `typ` | none | `JWT` | `at+jwt` |
/// | scopes | `scp` array | `scope` string, `permissions` array | `scope` string |
/// | client | `cid` | `azp` | `client_id` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flavor {
    /// Okta's custom authorization server named `default`.
    ///
    /// Access tokens carry `ver: 1`, a `jti` starting with `AT.`, `cid`, `uid` and an `scp`
    /// array; the header has `kid` and `alg` and no `typ`. Okta puts the user's login in `sub`
    /// unless told otherwise; the default subject here is a user id, `00u1example`.
    Okta,
    /// Auth0, whose issuer ends with a slash.
    ///
    /// Access tokens carry `azp`, a space-separated `scope` and, when the API enables RBAC, a
    /// `permissions` array. A token asked for with the `openid` scope has an `aud` array: the
    /// API and the tenant's `/userinfo`; the default token has that shape.
    Auth0,
    /// A plain OAuth 2.0 server following RFC 9068: header `typ: at+jwt`, `client_id`, `scope`.
    Generic,
}

impl Flavor {
    /// Returns the path appended to `http://HOST:PORT` to form the issuer.
    pub(crate) fn issuer_path(self) -> &'static str {
        match self {
            Flavor::Okta => "/oauth2/default",
            Flavor::Auth0 => "/",
            Flavor::Generic => "",
        }
    }

    /// Returns the path of the discovery document.
    pub(crate) fn discovery_path(self) -> String {
        let prefix = self.issuer_path().trim_end_matches('/');
        format!("{prefix}/.well-known/openid-configuration")
    }

    /// Returns the path of OAuth 2.0 authorization server metadata (RFC 8414), if served.
    pub(crate) fn metadata_path(self) -> Option<&'static str> {
        match self {
            Flavor::Okta => Some("/oauth2/default/.well-known/oauth-authorization-server"),
            Flavor::Auth0 | Flavor::Generic => None,
        }
    }

    /// Returns the path of the key set.
    pub(crate) fn jwks_path(self) -> &'static str {
        match self {
            Flavor::Okta => "/oauth2/default/v1/keys",
            Flavor::Auth0 => "/.well-known/jwks.json",
            Flavor::Generic => "/jwks",
        }
    }

    /// Returns the path of the token endpoint.
    pub(crate) fn token_path(self) -> &'static str {
        match self {
            Flavor::Okta => "/oauth2/default/v1/token",
            Flavor::Auth0 => "/oauth/token",
            Flavor::Generic => "/token",
        }
    }

    /// Returns the path of the authorization endpoint, advertised but not served.
    pub(crate) fn authorize_path(self) -> &'static str {
        match self {
            Flavor::Okta => "/oauth2/default/v1/authorize",
            Flavor::Auth0 => "/authorize",
            Flavor::Generic => "/authorize",
        }
    }

    pub(crate) fn default_audience(self) -> &'static str {
        match self {
            Flavor::Okta => "api://default",
            Flavor::Auth0 => "https://api.example.test",
            Flavor::Generic => "zt-test-api",
        }
    }

    pub(crate) fn default_client_id(self) -> &'static str {
        match self {
            Flavor::Okta => "0oa1example",
            Flavor::Auth0 | Flavor::Generic => "zt-test-client",
        }
    }

    pub(crate) fn default_subject(self) -> &'static str {
        match self {
            Flavor::Okta => "00u1example",
            Flavor::Auth0 | Flavor::Generic => "user-1",
        }
    }

    /// Returns the `typ` header of an access token, if the provider writes one.
    pub(crate) fn access_token_typ(self) -> Option<&'static str> {
        match self {
            Flavor::Okta => None,
            Flavor::Auth0 => Some("JWT"),
            Flavor::Generic => Some("at+jwt"),
        }
    }

    /// Returns the claims of a default access token, without `iat`, `exp` and `jti`.
    pub(crate) fn access_claims(
        self,
        issuer: &str,
        audience: &str,
        client_id: &str,
    ) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(issuer));
        claims.insert("sub".into(), json!(self.default_subject()));

        match self {
            Flavor::Okta => {
                claims.insert("ver".into(), json!(1));
                claims.insert("aud".into(), json!(audience));
                claims.insert("cid".into(), json!(client_id));
                claims.insert("uid".into(), json!(self.default_subject()));
            }
            Flavor::Auth0 => {
                claims.insert("aud".into(), json!([audience, format!("{issuer}userinfo")]));
                claims.insert("azp".into(), json!(client_id));
            }
            Flavor::Generic => {
                claims.insert("aud".into(), json!(audience));
                claims.insert("client_id".into(), json!(client_id));
            }
        }

        let (name, value) = self.scope_claim(self.default_scopes());
        if let Some(value) = value {
            claims.insert(name.into(), value);
        }
        claims
    }

    fn default_scopes(self) -> &'static [&'static str] {
        match self {
            Flavor::Okta => &["openid"],
            Flavor::Auth0 => &["openid", "profile"],
            Flavor::Generic => &[],
        }
    }

    /// Returns the claim that carries scopes and its value, or `None` for an empty default.
    pub(crate) fn scope_claim<S: AsRef<str>>(self, scopes: &[S]) -> (&'static str, Option<Value>) {
        let list: Vec<&str> = scopes.iter().map(AsRef::as_ref).collect();
        match self {
            Flavor::Okta => ("scp", Some(json!(list))),
            Flavor::Auth0 | Flavor::Generic if list.is_empty() => ("scope", None),
            Flavor::Auth0 | Flavor::Generic => ("scope", Some(json!(list.join(" ")))),
        }
    }

    /// Returns the claim naming the client the token was issued to.
    pub(crate) fn client_claim(self) -> &'static str {
        match self {
            Flavor::Okta => "cid",
            Flavor::Auth0 => "azp",
            Flavor::Generic => "client_id",
        }
    }

    /// Returns the prefix of `jti` for access and ID tokens.
    pub(crate) fn jti_prefix(self, id_token: bool) -> &'static str {
        match (self, id_token) {
            (Flavor::Okta, false) => "AT.",
            (Flavor::Okta, true) => "ID.",
            _ => "",
        }
    }

    /// Returns the subject of a client-credentials token issued to `client_id`.
    pub(crate) fn client_subject(self, client_id: &str) -> String {
        match self {
            Flavor::Auth0 => format!("{client_id}@clients"),
            Flavor::Okta | Flavor::Generic => client_id.to_owned(),
        }
    }
}
