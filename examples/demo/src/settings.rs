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
    pub(crate) tls_bind: SocketAddr,
    pub(crate) mtls: Option<MtlsFiles>,
    pub(crate) deploy_hook_file: Option<PathBuf>,
}

/// The PEM files of `ZT_MTLS_CA`, `ZT_MTLS_CRL`, `ZT_TLS_CERT` and `ZT_TLS_KEY`.
#[derive(Debug)]
pub(crate) struct MtlsFiles {
    pub(crate) ca: PathBuf,
    pub(crate) crl: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

impl Settings {
    /// Reads `ZT_BIND`, `ZT_OKTA_ISSUER`, `ZT_OKTA_AUDIENCE`, `ZT_AUTH0_ISSUER`,
    /// `ZT_AUTH0_AUDIENCE`, `ZT_API_KEYS_FILE`, `ZT_DEPLOY_HOOK_FILE`, `ZT_TLS_BIND` and the
    /// four mTLS files; an unset issuer means the embedded development issuer, an unset key
    /// file one development key, an unset deploy hook file a fresh development secret, unset
    /// mTLS files a development CA.
    pub(crate) fn from_env() -> Result<Self, String> {
        let bind = address("ZT_BIND", ([127, 0, 0, 1], 8080))?;
        let tls_bind = address("ZT_TLS_BIND", ([127, 0, 0, 1], 8443))?;
        let okta = issuer("ZT_OKTA_ISSUER", "ZT_OKTA_AUDIENCE", Issuer::okta)?;
        let auth0 = issuer("ZT_AUTH0_ISSUER", "ZT_AUTH0_AUDIENCE", Issuer::auth0)?;
        let api_keys_file = var("ZT_API_KEYS_FILE").map(PathBuf::from);
        let deploy_hook_file = var("ZT_DEPLOY_HOOK_FILE").map(PathBuf::from);
        Ok(Self {
            bind,
            okta,
            auth0,
            api_keys_file,
            tls_bind,
            mtls: mtls_files()?,
            deploy_hook_file,
        })
    }
}

fn address(name: &str, default: ([u8; 4], u16)) -> Result<SocketAddr, String> {
    let Some(text) = var(name) else {
        return Ok(SocketAddr::from(default));
    };
    std::net::ToSocketAddrs::to_socket_addrs(text.as_str())
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| format!("{name}: `{text}` is not an address such as 127.0.0.1:8080"))
}

/// Reads the four mTLS file settings: all of them, or none for the development CA.
fn mtls_files() -> Result<Option<MtlsFiles>, String> {
    const NAMES: [&str; 4] = ["ZT_MTLS_CA", "ZT_MTLS_CRL", "ZT_TLS_CERT", "ZT_TLS_KEY"];
    let values = NAMES.map(var);
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let missing: Vec<&str> = NAMES
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    let [Some(ca), Some(crl), Some(cert), Some(key)] = values else {
        return Err(format!(
            "{} must be set too: the mTLS files go together (CA bundle, CRLs, server \
             certificate and key, all PEM); set none of them for a development CA",
            missing.join(", ")
        ));
    };
    Ok(Some(MtlsFiles {
        ca: ca.into(),
        crl: crl.into(),
        cert: cert.into(),
        key: key.into(),
    }))
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
