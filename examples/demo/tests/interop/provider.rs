//! The OpenID provider of `interop/oidc-provider`: installed, started and driven.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::http_client;
use super::process::Process;
use super::token::jwt_part;

/// The client registered in `server.mjs`.
pub(crate) const CLIENT_ID: &str = "zt-interop";
const CLIENT_SECRET: &str = "zt-interop-test-secret";

/// Generous: the provider starts in about a second, but test processes share a small machine.
const PROVIDER_START_TIMEOUT: Duration = Duration::from_secs(120);
const NPM_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

/// A running `server.mjs`, killed on drop.
pub(crate) struct Provider {
    process: Process,
    /// The loopback port the provider listens on.
    pub(crate) port: u16,
    http: reqwest::Client,
}

/// The answer of `POST /__rotate`, checked against the published JWKS.
pub(crate) struct Rotation {
    /// The key id that signs RS256 tokens from now on.
    pub(crate) rs256_kid: String,
    /// The key id that signs ES256 tokens from now on.
    pub(crate) es256_kid: String,
    /// The key ids the JWKS publishes after the rotation.
    pub(crate) published: Vec<String>,
}

impl Provider {
    /// Starts the provider on a free loopback port; panics with the reason when it cannot.
    pub(crate) async fn start() -> Self {
        let dir = provider_dir();
        ensure_provider_installed(&dir);

        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let mut command = Command::new(node_program());
            command
                .arg("server.mjs")
                .current_dir(&dir)
                .env("PORT", port.to_string())
                .env("EXIT_WITH_STDIN", "1");
            let mut process = Process::spawn("oidc-provider", command).unwrap_or_else(|error| {
                panic!("{error}; the interoperability tests need Node.js 20 or later on PATH")
            });

            let ready = process
                .wait_for_line("`ready`", PROVIDER_START_TIMEOUT, |line| {
                    (line.trim() == "ready").then_some(())
                })
                .await;
            match ready {
                Ok(()) => {
                    return Self {
                        process,
                        port,
                        http: http_client(),
                    }
                }
                // Another process took the port between the probe and the provider's bind.
                Err(error) if error.contains("EADDRINUSE") => last_error = error,
                Err(error) => panic!("oidc-provider did not start: {error}"),
            }
        }
        panic!("oidc-provider found no free port in 3 attempts: {last_error}");
    }

    /// The issuer exactly as the provider writes it in `iss`: no trailing slash.
    pub(crate) fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Obtains an access token with the client credentials grant.
    pub(crate) async fn token(&self, scope: &str, resource: &str) -> String {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", scope),
            ("resource", resource),
        ];
        let response = self
            .http
            .post(format!("{}/token", self.issuer()))
            .form(&form)
            .send()
            .await
            .unwrap_or_else(|error| panic!("token request to oidc-provider failed: {error}"));

        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            status,
            200,
            "oidc-provider refused a token for {resource} with scope {scope:?}: {body}\n{}",
            self.process.output()
        );
        assert_eq!(body["token_type"], "Bearer", "token response: {body}");

        let token = body["access_token"].as_str().unwrap().to_owned();
        assert_eq!(token.split('.').count(), 3, "not a JWS: {token}");
        assert_eq!(jwt_part(&token, 1)["iss"], self.issuer().as_str());
        token
    }

    /// Swaps in fresh signing keys; `retire_previous` also drops the old keys from the JWKS.
    pub(crate) async fn rotate(&self, retire_previous: bool) -> Rotation {
        let query = if retire_previous {
            "?retire=previous"
        } else {
            ""
        };
        let response = self
            .http
            .post(format!("{}/__rotate{query}", self.issuer()))
            .send()
            .await
            .unwrap_or_else(|error| panic!("key rotation request failed: {error}"));

        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "key rotation failed: {body}");

        let kid = |alg: &str| body["signing"][alg].as_str().unwrap().to_owned();
        let rotation = Rotation {
            rs256_kid: kid("RS256"),
            es256_kid: kid("ES256"),
            published: kids(&body["published"]),
        };

        // Reads the key set as a verifier would; this also lets the new keys settle in before
        // a verifier asks for them within its fetch timeout.
        let jwks: Value = self
            .http
            .get(format!("{}/jwks", self.issuer()))
            .send()
            .await
            .unwrap_or_else(|error| panic!("JWKS request failed after rotation: {error}"))
            .json()
            .await
            .unwrap();
        let published: Vec<String> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["kid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(published, rotation.published, "JWKS after rotation: {jwks}");
        assert!(published.contains(&rotation.rs256_kid), "JWKS: {jwks}");
        assert!(published.contains(&rotation.es256_kid), "JWKS: {jwks}");
        rotation
    }

    /// Kills the provider; its port is free once this returns.
    pub(crate) fn stop(&mut self) {
        self.process.stop();
    }

    /// Asserts that neither the tokens nor the client secret appear in the provider's logs.
    pub(crate) fn assert_logs_hide(&self, tokens: &[&str]) {
        let mut secrets = tokens.to_vec();
        secrets.push(CLIENT_SECRET);
        self.process.assert_output_hides(&secrets);
    }
}

fn kids(list: &Value) -> Vec<String> {
    let list = list.as_array().unwrap();
    list.iter()
        .map(|kid| kid.as_str().unwrap().to_owned())
        .collect()
}

/// Asks the system for a free loopback port; the provider binds it right after.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn provider_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/oidc-provider");
    dir.canonicalize().unwrap_or(dir)
}

fn node_program() -> std::ffi::OsString {
    std::env::var_os("ZT_INTEROP_NODE").unwrap_or_else(|| "node".into())
}

fn is_installed(dir: &Path) -> bool {
    dir.join("node_modules/oidc-provider/package.json")
        .is_file()
}

/// Runs `npm ci` once when `node_modules` is missing; panics with npm's output when it fails.
fn ensure_provider_installed(dir: &Path) {
    static INSTALL: OnceLock<Result<(), String>> = OnceLock::new();

    let result = INSTALL.get_or_init(|| {
        if !dir.join("server.mjs").is_file() {
            return Err(format!("{} has no server.mjs", dir.display()));
        }
        if is_installed(dir) {
            return Ok(());
        }

        // Test binaries may run in several processes at once: one install at a time.
        let _lock = InstallLock::acquire(dir)?;
        if is_installed(dir) {
            return Ok(());
        }

        let output = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|error| {
                format!(
                    "cannot run `npm ci` in {} ({error}); Node.js and npm must be on PATH",
                    dir.display()
                )
            })?;
        let report = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !output.status.success() {
            return Err(format!(
                "`npm ci` failed in {} ({}):\n{report}",
                dir.display(),
                output.status
            ));
        }
        if !is_installed(dir) {
            return Err(format!(
                "`npm ci` in {} did not install oidc-provider:\n{report}",
                dir.display()
            ));
        }
        Ok(())
    });

    if let Err(error) = result {
        panic!("cannot install the OpenID provider: {error}");
    }
}

/// A lock directory beside the system's temporary files, removed on drop.
struct InstallLock(PathBuf);

impl InstallLock {
    fn acquire(dir: &Path) -> Result<Self, String> {
        let mut hasher = DefaultHasher::new();
        dir.hash(&mut hasher);
        let path = std::env::temp_dir().join(format!("zt-interop-npm-{:x}.lock", hasher.finish()));

        let deadline = std::time::Instant::now() + NPM_LOCK_TIMEOUT;
        loop {
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&path)
                        .and_then(|metadata| metadata.modified())
                        .ok()
                        .and_then(|modified| modified.elapsed().ok())
                        .is_some_and(|age| age > NPM_LOCK_TIMEOUT);
                    if stale {
                        let _ = std::fs::remove_dir(&path);
                        continue;
                    }
                    if std::time::Instant::now() > deadline {
                        return Err(format!("timed out waiting for {}", path.display()));
                    }
                    thread::sleep(Duration::from_millis(200));
                }
                Err(error) => {
                    return Err(format!("cannot create {}: {error}", path.display()));
                }
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}
