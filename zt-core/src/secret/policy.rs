//! How often a secret is refreshed, how long a cached copy may serve, and which versions count.

use std::time::Duration;

use crate::ConfigError;

/// Sets the refresh, staleness and acceptance rules of one secret.
///
/// Every setting has a default chosen to keep AWS calls rare and rotations seamless; change
/// them with the builder methods and let [`SecretStore::builder`](super::SecretStore::builder)
/// or [`Secret::new`](super::Secret::new) validate the result.
///
/// # Security
///
/// The defaults fail closed: a secret whose source has been failing for `max_stale` is no
/// longer used, and verification answers "unavailable". Only current, previous and (while a
/// rotation is in progress, if `accept_pending`) pending versions are ever accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPolicy {
    pub(crate) refresh_interval: Duration,
    pub(crate) jitter: Duration,
    pub(crate) miss_refresh_interval: Duration,
    pub(crate) max_stale: Duration,
    pub(crate) retry_min: Duration,
    pub(crate) retry_max: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) accept_pending: bool,
    pub(crate) client_fallback: bool,
    pub(crate) client_retry_current_after: Duration,
}

impl Default for SecretPolicy {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(300),
            jitter: Duration::from_secs(30),
            miss_refresh_interval: Duration::from_secs(10),
            max_stale: Duration::from_secs(3600),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            fetch_timeout: Duration::from_secs(10),
            accept_pending: true,
            client_fallback: true,
            client_retry_current_after: Duration::from_secs(300),
        }
    }
}

impl SecretPolicy {
    /// Sets how often the background refresher asks the source for changes.
    ///
    /// Default: 5 minutes. With Secrets Manager that is one `DescribeSecret` call per secret
    /// per interval, far below any quota; a value fetch happens only when a version changed.
    #[must_use]
    pub const fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// Sets the largest random amount added to or taken from each refresh interval.
    ///
    /// Default: 30 seconds, so that many instances started together do not call the source in
    /// step. Must be shorter than the refresh interval.
    #[must_use]
    pub const fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the shortest time between two refreshes caused by a credential that matched no
    /// cached version.
    ///
    /// Default: 10 seconds. A new version is then picked up within seconds of a caller using
    /// it, while a flood of junk credentials causes at most one source call per interval.
    /// Zero is refused, since it would let any caller drive calls to the source.
    #[must_use]
    pub const fn miss_refresh_interval(mut self, interval: Duration) -> Self {
        self.miss_refresh_interval = interval;
        self
    }

    /// Sets how long after the last successful refresh cached versions may still be used.
    ///
    /// Default: 1 hour. Past it, verification answers "unavailable" (503) rather than trust a
    /// value that may have been revoked. Must be longer than the refresh interval plus jitter.
    #[must_use]
    pub const fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Sets the back-off between attempts while the source fails: it starts at `min` and
    /// doubles up to `max`.
    ///
    /// Default: 1 second to 1 minute. Refreshes caused by unmatched credentials obey the
    /// back-off too, so a failing source is not hammered.
    #[must_use]
    pub const fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.retry_min = min;
        self.retry_max = max;
        self
    }

    /// Sets how long one fetch from the source may take before it counts as failed.
    ///
    /// Default: 10 seconds.
    #[must_use]
    pub const fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Sets whether verification accepts the pending version while a rotation is in progress.
    ///
    /// Default: `true`, so the rotation's own test step and callers that switch early are
    /// accepted. The pending version is one an operator staged; versions older than previous
    /// are refused either way.
    #[must_use]
    pub const fn accept_pending(mut self, accept: bool) -> Self {
        self.accept_pending = accept;
        self
    }

    /// Sets whether a [`SecretClient`](super::SecretClient) switches to the previous version
    /// when the peer rejects the current one.
    ///
    /// Default: `true`; the peer may not have picked up a rotation yet.
    #[must_use]
    pub const fn client_fallback(mut self, fallback: bool) -> Self {
        self.client_fallback = fallback;
        self
    }

    /// Sets how long a [`SecretClient`](super::SecretClient) keeps using the previous version
    /// before it tries the current one again, when no newer current appears meanwhile.
    ///
    /// Default: 5 minutes.
    #[must_use]
    pub const fn client_retry_current_after(mut self, after: Duration) -> Self {
        self.client_retry_current_after = after;
        self
    }

    /// Checks the settings, naming the one at fault under `prefix`.
    pub(crate) fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let invalid = |name: &str, problem: &str| ConfigError::Invalid {
            setting: format!("{prefix}.{name}"),
            problem: problem.to_owned(),
        };
        let nonzero = [
            ("refresh_interval", self.refresh_interval),
            ("miss_refresh_interval", self.miss_refresh_interval),
            ("max_stale", self.max_stale),
            ("retry_backoff", self.retry_min),
            ("fetch_timeout", self.fetch_timeout),
            (
                "client_retry_current_after",
                self.client_retry_current_after,
            ),
        ];
        for (name, value) in nonzero {
            if value.is_zero() {
                return Err(invalid(name, "must be longer than zero"));
            }
        }

        if self.jitter >= self.refresh_interval {
            return Err(invalid("jitter", "must be shorter than refresh_interval"));
        }
        if self.max_stale <= self.refresh_interval + self.jitter {
            return Err(invalid(
                "max_stale",
                "must be longer than refresh_interval plus jitter, or healthy secrets expire \
                 between two refreshes",
            ));
        }
        if self.retry_max < self.retry_min {
            return Err(invalid(
                "retry_backoff",
                "the maximum must not be shorter than the minimum",
            ));
        }
        Ok(())
    }

    /// Returns the back-off after `failures` consecutive failures.
    pub(crate) fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.retry_min
            .saturating_mul(1 << doublings)
            .min(self.retry_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        SecretPolicy::default().validate("secret").unwrap();
    }

    #[test]
    fn errors_name_the_setting() {
        let zero = SecretPolicy::default().miss_refresh_interval(Duration::ZERO);
        let error = zero.validate("secret_store").unwrap_err().to_string();
        assert!(
            error.starts_with("secret_store.miss_refresh_interval:"),
            "{error}"
        );

        let short = SecretPolicy::default().max_stale(Duration::from_secs(60));
        let error = short.validate("s").unwrap_err().to_string();
        assert!(error.starts_with("s.max_stale:"), "{error}");
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let policy =
            SecretPolicy::default().retry_backoff(Duration::from_secs(1), Duration::from_secs(5));
        let waits: Vec<_> = (1..=5).map(|f| policy.backoff(f).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
    }
}
