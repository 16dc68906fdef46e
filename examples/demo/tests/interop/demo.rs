//! The `zt-demo` binary, started with its Auth0 routes pointed at a given issuer.

use std::process::Command;
use std::time::Duration;

use super::answer::Answer;
use super::http_client;
use super::process::Process;

const DEMO_START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running `zt-demo` whose Auth0 routes trust the given issuer, killed on drop.
pub(crate) struct Demo {
    process: Process,
    base: String,
    http: reqwest::Client,
}

impl Demo {
    /// Starts the demo on a free loopback port; panics with its output when it does not start.
    ///
    /// The Okta routes keep the demo's embedded development issuer.
    pub(crate) async fn start(auth0_issuer: &str, auth0_audience: &str) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zt-demo"));
        command
            .env("ZT_BIND", "127.0.0.1:0")
            .env("ZT_TLS_BIND", "127.0.0.1:0")
            .env("ZT_AUTH0_ISSUER", auth0_issuer)
            .env("ZT_AUTH0_AUDIENCE", auth0_audience)
            .env_remove("ZT_OKTA_ISSUER")
            .env_remove("ZT_OKTA_AUDIENCE")
            .env("RUST_LOG", "debug");
        let mut process =
            Process::spawn("zt-demo", command).unwrap_or_else(|error| panic!("{error}"));

        let base = process
            .wait_for_line(
                "`zt-demo listening on http://127.0.0.1:PORT`",
                DEMO_START_TIMEOUT,
                |line| {
                    let address = line.trim().strip_prefix("zt-demo listening on ")?;
                    let port = address.strip_prefix("http://127.0.0.1:")?;
                    port.parse::<u16>().ok()?;
                    Some(address.to_owned())
                },
            )
            .await
            .unwrap_or_else(|error| panic!("zt-demo did not start: {error}"));

        Self {
            process,
            base,
            http: http_client(),
        }
    }

    /// Sends `GET path`, with `Authorization: Bearer token` when given. No answer may be a
    /// server error other than 503.
    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path} failed: {error}"));

        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        };
        let status = response.status().as_u16();
        let challenge = header("www-authenticate");
        let retry_after = header("retry-after");
        let body = response.text().await.unwrap();

        let answer = Answer {
            status,
            challenge,
            retry_after,
            body,
        };
        assert!(
            !(500..600).contains(&answer.status) || answer.status == 503,
            "GET {path} answered a server error: {answer:?}\n{}",
            self.process.output()
        );
        answer
    }

    /// Asserts that none of the tokens appear in what the demo printed.
    pub(crate) fn assert_logs_hide(&self, tokens: &[&str]) {
        self.process.assert_output_hides(tokens);
    }
}
