//! A demo service protected by `#[zero_trust]`, runnable with no settings.
//!
//! With no settings it starts embedded development issuers (Okta-shaped and Auth0-shaped)
//! on loopback and prints a ready `curl` command with a fresh token for every route. Set
//! `ZT_OKTA_ISSUER`/`ZT_OKTA_AUDIENCE` or `ZT_AUTH0_ISSUER`/`ZT_AUTH0_AUDIENCE` to trust a
//! real provider instead, `ZT_BIND` to change the address (default 127.0.0.1:8080), and
//! `ZT_DEPLOY_HOOK_FILE` to sign deploy hooks with a secret of your own.
//!
//! A second listener, `ZT_TLS_BIND` (default 127.0.0.1:8443), takes client certificates:
//! `ZT_MTLS_CA`, `ZT_MTLS_CRL`, `ZT_TLS_CERT` and `ZT_TLS_KEY` name its PEM files; unset, a
//! development CA and a client certificate are written to a temporary directory and a ready
//! `curl --cert` command is printed.

mod deploy_hook;
mod keys;
mod mtls;
mod routes;
mod settings;

use std::process::ExitCode;
use std::time::Duration;

use secrecy::ExposeSecret as _;

use actix_web::{App, HttpServer};
use tracing_subscriber::EnvFilter;
use zt_actix::mtls::capture_peer_certificate;
use zt_actix::{Issuer, ZeroTrust};
use zt_testkit::{Flavor, TestIssuer};

use crate::settings::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("zt-demo: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let settings = Settings::from_env()?;

    let dev_okta = dev_issuer(settings.okta.is_none(), Flavor::Okta)?;
    let dev_auth0 = dev_issuer(settings.auth0.is_none(), Flavor::Auth0)?;
    let okta = settings
        .okta
        .or_else(|| dev_okta.as_ref().map(|d| d.trust(Issuer::okta)));
    let auth0 = settings
        .auth0
        .or_else(|| dev_auth0.as_ref().map(|d| d.trust(Issuer::auth0)));

    let api_keys = keys::ApiKeys::load(settings.api_keys_file).await?;

    let (mtls, dev_ca) = mtls::settings(settings.mtls)?;
    let deploy = deploy_hook::DeploySecret::load(settings.deploy_hook_file).await?;

    let mut builder = ZeroTrust::builder()
        .realm("zt-demo")
        .api_keys(api_keys.ring.clone())
        .mtls(mtls)
        .psk("deploy-hook", deploy.secret.clone());
    if let Some(okta) = okta {
        builder = builder.okta(okta);
    }
    if let Some(auth0) = auth0 {
        builder = builder.auth0(auth0);
    }
    let zt = builder.build().map_err(|e| with_variable(&e.to_string()))?;
    let tls = zt
        .mtls_server_config()
        .map_err(|e| with_variable(&e.to_string()))?;
    let tls_listener = std::net::TcpListener::bind(settings.tls_bind)
        .map_err(|e| format!("ZT_TLS_BIND: cannot listen on {}: {e}", settings.tls_bind))?;
    let tls_addr = tls_listener.local_addr().map_err(|e| e.to_string())?;

    let zt_check = zt.clone();

    let app = move || {
        App::new()
            .app_data(zt.clone())
            .wrap(zt.gate())
            .configure(routes::configure)
    };
    // Refuses to start when a route has no #[zero_trust] declaration.
    let inventory = zt_check
        .check_routes(app())
        .await
        .map_err(|e| e.to_string())?;
    println!("{inventory}");

    let server = HttpServer::new(app)
        .workers(2)
        .on_connect(capture_peer_certificate)
        .bind(settings.bind)
        .map_err(|e| format!("ZT_BIND: cannot listen on {}: {e}", settings.bind))?;
    let addr = server.addrs().first().copied().unwrap_or(settings.bind);
    let server = server
        .listen_rustls_0_23(tls_listener, tls)
        .map_err(|e| format!("ZT_TLS_BIND: cannot listen on {tls_addr}: {e}"))?;

    print_examples(addr, dev_okta.as_ref(), dev_auth0.as_ref(), &api_keys);
    println!(
        "  ZT_SECRET_FILE={} bash {} POST {}/hooks/deploy '{{\"ref\":\"main\"}}'",
        deploy.file.display(),
        deploy_hook::signing_script(),
        format_args!("http://{addr}")
    );
    print_mtls_example(tls_addr, dev_ca.as_ref());
    println!("zt-demo listening on https://{tls_addr} (client certificates)");
    println!("zt-demo listening on http://{addr}");
    server.run().await.map_err(|e| e.to_string())
}

/// Prefixes a configuration error with the environment variable behind its setting.
fn with_variable(message: &str) -> String {
    let variable = if message.starts_with("okta.audience") {
        "ZT_OKTA_AUDIENCE"
    } else if message.starts_with("okta.") {
        "ZT_OKTA_ISSUER"
    } else if message.starts_with("auth0.audience") {
        "ZT_AUTH0_AUDIENCE"
    } else if message.starts_with("auth0.") {
        "ZT_AUTH0_ISSUER"
    } else if message.starts_with("mtls CA file") {
        "ZT_MTLS_CA"
    } else if message.starts_with("mtls CRL file") || message.starts_with("mtls CA and CRL") {
        "ZT_MTLS_CRL"
    } else if message.starts_with("mtls server certificate file") {
        "ZT_TLS_CERT"
    } else if message.starts_with("mtls server key file") {
        "ZT_TLS_KEY"
    } else if message.starts_with("psk(") {
        "ZT_DEPLOY_HOOK_FILE"
    } else {
        return message.to_owned();
    };
    format!("{variable}: {message}")
}

/// An embedded issuer for the development default.
struct DevIssuer(TestIssuer);

impl DevIssuer {
    fn trust(&self, make: fn(String) -> Issuer) -> Issuer {
        make(self.0.issuer().to_owned()).audience(self.0.audience())
    }
}

fn dev_issuer(wanted: bool, flavor: Flavor) -> Result<Option<DevIssuer>, String> {
    if !wanted {
        return Ok(None);
    }
    TestIssuer::start(flavor)
        .map(|i| Some(DevIssuer(i)))
        .map_err(|e| format!("cannot start the development issuer: {e}"))
}

fn print_examples(
    addr: std::net::SocketAddr,
    okta: Option<&DevIssuer>,
    auth0: Option<&DevIssuer>,
    api_keys: &keys::ApiKeys,
) {
    let base = format!("http://{addr}");
    println!(
        "Routes (tokens below come from the embedded development issuers and expire in 1 hour):"
    );
    println!("  curl -i {base}/health");
    if let Some(DevIssuer(okta)) = okta {
        let token = okta
            .token()
            .scopes(&["read"])
            .expires_in(Duration::from_secs(3600))
            .sign();
        println!("  curl -i -H 'Authorization: Bearer {token}' {base}/employee");
        let operator = okta
            .token()
            .scopes(&["routes:read"])
            .expires_in(Duration::from_secs(3600))
            .sign();
        println!("  curl -i -H 'Authorization: Bearer {operator}' {base}/admin/routes");
    }
    if let Some(DevIssuer(auth0)) = auth0 {
        let reader = auth0
            .token()
            .scopes(&["read"])
            .expires_in(Duration::from_secs(3600))
            .sign();
        let admin = auth0
            .token()
            .scopes(&["read", "admin"])
            .expires_in(Duration::from_secs(3600))
            .sign();
        println!("  curl -i -H 'Authorization: Bearer {reader}' {base}/customer");
        println!("  curl -i -H 'Authorization: Bearer {reader}' {base}/customer/admin   # 403");
        println!("  curl -i -H 'Authorization: Bearer {admin}' {base}/customer/admin");
    }
    match &api_keys.dev_key {
        Some(key) => {
            let key = key.key().expose_secret();
            println!("  curl -i -H 'X-API-Key: {key}' {base}/partner/export");
        }
        None => println!(
            "  curl -i -H \"X-API-Key: $KEY\" {base}/partner/export   # KEY from: zt keys create"
        ),
    }
    println!("  curl -i {base}/customer   # 401, no token");
}

fn print_mtls_example(addr: std::net::SocketAddr, dev: Option<&mtls::DevCa>) {
    let url = format!("https://{addr}/internal/billing");
    match dev {
        Some(dev) => println!(
            "  curl -i --cert {} --key {} --cacert {} {url}",
            dev.client_cert.display(),
            dev.client_key.display(),
            dev.ca.display()
        ),
        None => println!(
            "  curl -i --cert client.pem --key client.key --cacert server-ca.pem {url}   \
             # a certificate for spiffe://example.test/service/billing"
        ),
    }
}
