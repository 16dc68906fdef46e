//! How strictly signed requests are checked: window, body limit, replay cache, bearer mode.

use std::time::Duration;

use crate::ConfigError;

/// Sets how requests signed with one pre-shared secret are checked.
///
/// # Security
///
/// The defaults are the strict ones: a 5-minute window each way, a 1 MiB body limit, a replay
/// cache of 100 000 signatures, secrets of at least 32 bytes, and the plain bearer mode off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskSettings {
    pub(crate) window: Duration,
    pub(crate) max_body: usize,
    pub(crate) replay_capacity: u64,
    pub(crate) min_secret_len: usize,
    pub(crate) bearer: bool,
}

impl Default for PskSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(300),
            max_body: 1024 * 1024,
            replay_capacity: 100_000,
            min_secret_len: 32,
            bearer: false,
        }
    }
}

impl PskSettings {
    /// Sets how far the signed timestamp may lie from the server's clock, either way.
    ///
    /// Default: 5 minutes, which tolerates ordinary clock drift. A signature is remembered
    /// by the replay cache for as long as it could be accepted (twice the window), so a
    /// longer window costs memory. Must be between 1 second and 1 hour.
    #[must_use]
    pub const fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Sets the largest body a signed request may carry, in bytes.
    ///
    /// Default: 1 MiB. The body is buffered in memory until its signature is verified, so
    /// the limit bounds what an unauthenticated caller can make the server hold. Larger
    /// bodies are refused with 400 (`body_too_large`). Must not be zero.
    #[must_use]
    pub const fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sets how many accepted signatures the replay cache remembers.
    ///
    /// Default: 100 000 (about 10 MB at most). Only signatures that verified are stored, so
    /// only holders of the secret can fill it; when it is full, new signed requests are
    /// answered 503 (`replay_cache_full`) rather than risk accepting a replay.
    #[must_use]
    pub const fn replay_capacity(mut self, signatures: u64) -> Self {
        self.replay_capacity = signatures;
        self
    }

    /// Sets the shortest secret accepted, in bytes.
    ///
    /// Default: 32 (256 bits, the HMAC-SHA256 output size). Shorter versions are refused at
    /// startup when already loaded, and never used afterwards. Values below 32 are refused.
    #[must_use]
    pub const fn min_secret_len(mut self, bytes: usize) -> Self {
        self.min_secret_len = bytes;
        self
    }

    /// Also accepts the secret itself as `Authorization: Bearer <secret>`.
    ///
    /// Default: off.
    ///
    /// # Security
    ///
    /// This mode is weaker than signing: the secret travels with every request, so anything
    /// that sees one request (a TLS-terminating proxy, a debug log) can call any route with
    /// any body for as long as the secret is valid, and requests can be replayed. Use it only
    /// for the simplest scripts, over TLS, on secrets that rotate. The comparison runs in
    /// constant time.
    #[must_use]
    pub const fn insecure_accept_bearer(mut self, accept: bool) -> Self {
        self.bearer = accept;
        self
    }

    /// Returns the accepted clock difference.
    #[must_use]
    pub const fn window_length(&self) -> Duration {
        self.window
    }

    /// Returns the body limit in bytes.
    #[must_use]
    pub const fn body_limit(&self) -> usize {
        self.max_body
    }

    /// Tells whether the plain bearer mode is on.
    #[must_use]
    pub const fn accepts_bearer(&self) -> bool {
        self.bearer
    }

    /// Checks the settings, naming the one at fault under `prefix`.
    pub(crate) fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let invalid = |name: &str, problem: &str| ConfigError::Invalid {
            setting: format!("{prefix}.{name}"),
            problem: problem.to_owned(),
        };
        if self.window < Duration::from_secs(1) || self.window > Duration::from_secs(3600) {
            return Err(invalid("window", "must be between 1 second and 1 hour"));
        }
        if self.max_body == 0 {
            return Err(invalid("max_body", "must be at least one byte"));
        }
        if self.replay_capacity == 0 {
            return Err(invalid("replay_capacity", "must be at least one signature"));
        }
        if self.min_secret_len < 32 {
            return Err(invalid(
                "min_secret_len",
                "must be at least 32 bytes; generate secrets with 32 random bytes or more",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_errors_name_the_setting() {
        PskSettings::default().validate("psk").unwrap();
        let error = PskSettings::default()
            .window(Duration::ZERO)
            .validate("psk(\"a\")")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("psk(\"a\").window:"), "{error}");
        let error = PskSettings::default()
            .min_secret_len(16)
            .validate("p")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("p.min_secret_len:"), "{error}");
    }
}
