//! Settings read from the environment, each named in any error it causes.

use std::net::SocketAddr;
use std::path::PathBuf;

use zt_actix::Issuer;

/// Where the demo listens and which issuers it trusts.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) bind: SocketAddr,
    pub(crate) okta: Option<Issuer>,
    pub(crate) auth0: Option<Issuer>,
    pub(crate) api_keys_file: Option<PathBuf>,
    pub(crate) deploy_hook_file: Option<PathBuf>,
}

impl Settings {
    /// Reads `ZT_BIND`, `ZT_OKTA_ISSUER`, `ZT_OKTA_AUDIENCE`, `ZT_AUTH0_ISSUER`,
    /// `ZT_AUTH0_AUDIENCE`, `ZT_API_KEYS_FILE` and `ZT_DEPLOY_HOOK_FILE`; an unset issuer
    /// means the embedded development issuer, an unset key file one development key, an unset
    /// deploy hook file a fresh development secret.
    pub(crate) fn from_env() -> Result<Self, String> {
        let bind = match var("ZT_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(text) => std::net::ToSocketAddrs::to_socket_addrs(text.as_str())
                .ok()
                .and_then(|mut addrs| addrs.next())
                .ok_or_else(|| {
                    format!("ZT_BIND: `{text}` is not an address such as 127.0.0.1:8080")
                })?,
        };
        let okta = issuer("ZT_OKTA_ISSUER", "ZT_OKTA_AUDIENCE", Issuer::okta)?;
        let auth0 = issuer("ZT_AUTH0_ISSUER", "ZT_AUTH0_AUDIENCE", Issuer::auth0)?;
        let api_keys_file = var("ZT_API_KEYS_FILE").map(PathBuf::from);
        let deploy_hook_file = var("ZT_DEPLOY_HOOK_FILE").map(PathBuf::from);
        Ok(Self {
            bind,
            okta,
            auth0,
            api_keys_file,
            deploy_hook_file,
        })
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn issuer(
    issuer_var: &str,
    audience_var: &str,
    make: fn(String) -> Issuer,
) -> Result<Option<Issuer>, String> {
    match (var(issuer_var), var(audience_var)) {
        (None, None) => Ok(None),
        (Some(url), Some(audience)) => Ok(Some(make(url).audience(audience))),
        (Some(_), None) => Err(format!(
            "{audience_var} is required when {issuer_var} is set: the API identifier tokens \
             for this service carry in `aud`"
        )),
        (None, Some(_)) => Err(format!("{audience_var} is set but {issuer_var} is not")),
    }
}
