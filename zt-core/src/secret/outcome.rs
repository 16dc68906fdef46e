//! What reading or checking a secret can answer besides a value.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{Denial, Reason};

use super::Stage;

/// Reports that a secret cannot be used: nothing was ever loaded, or the cached versions are
/// older than `max_stale` because the source keeps failing.
///
/// # Security
///
/// This is the fail-closed answer: map it to [`Denial::Unavailable`] (503 with `Retry-After`)
/// with [`Unavailable::denial`], never to an acceptance.
#[derive(Debug, Clone, thiserror::Error)]
#[error("secret `{secret}` is unavailable: {cause}")]
pub struct Unavailable {
    secret: Arc<str>,
    cause: UnavailableCause,
    retry_after: Duration,
}

impl Unavailable {
    pub(crate) const fn new(secret: Arc<str>, cause: UnavailableCause, retry: Duration) -> Self {
        Self {
            secret,
            cause,
            retry_after: retry,
        }
    }

    /// Returns the name of the secret.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Returns why the secret cannot be used.
    #[must_use]
    pub const fn cause(&self) -> UnavailableCause {
        self.cause
    }

    /// Returns how long a client should wait before trying again (at least one second).
    #[must_use]
    pub const fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// Returns the denial to answer with: 503 with `Retry-After`.
    #[must_use]
    pub const fn denial(&self) -> Denial {
        Denial::Unavailable {
            reason: Reason::SecretUnavailable,
            retry_after: self.retry_after,
        }
    }
}

/// Tells why a secret is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnavailableCause {
    /// No fetch has succeeded yet.
    NeverLoaded,
    /// The source has failed for longer than `max_stale`; the cached versions are no longer
    /// used.
    Expired,
}

impl fmt::Display for UnavailableCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NeverLoaded => "no version could be loaded yet",
            Self::Expired => "the source has failed for longer than max_stale",
        })
    }
}

/// Names the version a presented credential matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMatch {
    stage: Stage,
    version_id: Arc<str>,
}

impl SecretMatch {
    pub(crate) fn new(stage: Stage, version_id: &str) -> Self {
        Self {
            stage,
            version_id: Arc::from(version_id),
        }
    }

    /// Returns the stage of the matching version.
    #[must_use]
    pub const fn stage(&self) -> Stage {
        self.stage
    }

    /// Returns the id of the matching version, for the decision log.
    #[must_use]
    pub fn version_id(&self) -> &str {
        &self.version_id
    }
}

/// Explains why a presented credential was not accepted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The credential matches none of the versions that may be accepted, even after the
    /// refresh it was allowed to cause.
    #[error("the credential matches no accepted version of the secret")]
    NoMatch,
    /// The secret cannot be used right now.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl Refusal {
    /// Returns the denial to answer with: `mismatch` (for example
    /// [`Reason::BadSignature`]) as 401 `invalid_token`, or 503 when the secret is
    /// unavailable.
    #[must_use]
    pub fn denial(&self, mismatch: Reason) -> Denial {
        match self {
            Self::NoMatch => Denial::InvalidCredential(mismatch),
            Self::Unavailable(unavailable) => unavailable.denial(),
        }
    }
}
