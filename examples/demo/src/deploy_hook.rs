//! The deploy hook: a route for automation that signs its requests with a pre-shared secret.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;
use zt_actix::{zero_trust, Principal};
use zt_core::secret::{FileSource, Refresher, SecretPolicy, SecretStore};
use zt_core::Secret;

/// Starts a deployment of the `ref` named in the signed JSON body.
#[zero_trust(psk = "deploy-hook")]
pub(crate) async fn deploy(who: Principal, body: web::Json<serde_json::Value>) -> HttpResponse {
    let git_ref = body.get("ref").and_then(|r| r.as_str()).unwrap_or("main");
    HttpResponse::Ok().json(json!({
        "route": "deploy hook",
        "deploying": git_ref,
        "subject": who.subject(),
        "issuer": who.issuer(),
    }))
}

/// The deploy hook's secret, with what keeps it fresh.
pub(crate) struct DeploySecret {
    pub(crate) secret: Secret,
    /// The file holding the secret, for the printed signing command.
    pub(crate) file: PathBuf,
    _refresh: (SecretStore, Refresher),
    /// The development secret's file, removed when the demo exits normally.
    _development: Option<tempfile::NamedTempFile>,
}

impl DeploySecret {
    /// Follows the secret file at `path`, or writes a fresh development secret (32 random
    /// bytes, hex encoded) to a private file in the temporary directory when `path` is `None`.
    pub(crate) async fn load(path: Option<PathBuf>) -> Result<Self, String> {
        let setting = |e: &dyn std::fmt::Display| format!("ZT_DEPLOY_HOOK_FILE: {e}");
        let (file, development) = match path {
            Some(path) => (path, None),
            None => {
                let written = write_development_secret().map_err(|e| setting(&e))?;
                (written.path().to_owned(), Some(written))
            }
        };
        let source = FileSource::new(&file).map_err(|e| setting(&e))?;
        let policy = SecretPolicy::default()
            .refresh_interval(Duration::from_secs(2))
            .jitter(Duration::from_millis(200));
        let store = SecretStore::builder()
            .secret_with_policy("deploy-hook", source, policy)
            .build()
            .map_err(|e| setting(&e))?;
        store.refresh_all().await.map_err(|e| setting(&e))?;
        let secret = store.secret("deploy-hook").map_err(|e| setting(&e))?;
        let refresher = store.spawn_refresher();
        Ok(Self {
            secret,
            file,
            _refresh: (store, refresher),
            _development: development,
        })
    }
}

/// Writes 32 random bytes, hex encoded, to a new file of a random name that only its owner
/// can read.
fn write_development_secret() -> Result<tempfile::NamedTempFile, String> {
    let mut bytes = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no random bytes available".to_owned())?;
    let mut file = tempfile::Builder::new()
        .prefix("zt-demo-deploy-hook-")
        .tempfile()
        .map_err(|e| format!("cannot make a file for the development secret: {e}"))?;
    file.write_all(hex::encode(bytes).as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| {
            format!(
                "cannot write the development secret {}: {e}",
                file.path().display()
            )
        })?;
    Ok(file)
}

/// Returns the path of the signing script shipped with the demo.
pub(crate) fn signing_script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/sign.sh")
}
