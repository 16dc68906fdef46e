//! Using a secret to call another service, and recovering when that service rejects it.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::cell::Trigger;
use super::stats::Counters;
use super::{Secret, SecretVersion, Unavailable};

/// Hands out the secret an application sends to another service, switching to the previous
/// version when the peer has not caught up with a rotation.
///
/// Create it with [`Secret::client`]; clones share the fallback state.
///
/// # Examples
///
/// ```
/// # async fn call(_: &[u8]) -> bool { true }
/// # async fn run(secret: zt_core::Secret) -> Result<(), zt_core::secret::Unavailable> {
/// let client = secret.client();
/// let version = client.value()?;
/// if !call(version.value().expose_bytes()).await {
///     // The peer said 401: maybe it has not picked up the rotation yet.
///     client.report_rejected(&version).await;
/// }
/// # Ok(()) }
/// ```
///
/// # Security
///
/// Switches are logged at WARN (target `zt::secrets`) with version ids, never values.
#[derive(Clone)]
pub struct SecretClient {
    secret: Secret,
    fallback: Arc<Mutex<Option<Fallback>>>,
}

/// The client is on the previous version because the peer rejected `rejected`.
#[derive(Debug)]
struct Fallback {
    rejected: Box<str>,
    since: Instant,
}

impl Secret {
    /// Returns a client-side helper for sending this secret to another service.
    #[must_use]
    pub fn client(&self) -> SecretClient {
        SecretClient {
            secret: self.clone(),
            fallback: Arc::new(Mutex::new(None)),
        }
    }
}

impl SecretClient {
    /// Returns the version to send: current, or previous after the peer rejected current,
    /// until a newer current appears or `client_retry_current_after` has passed.
    ///
    /// # Errors
    ///
    /// Returns [`Unavailable`] when the secret cannot be used.
    pub fn value(&self) -> Result<SecretVersion, Unavailable> {
        let versions = self.secret.versions()?;
        let current = versions.current();
        let mut fallback = self.fallback.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(active) = fallback.as_ref() else {
            return Ok(current.clone());
        };

        let policy = self.secret.policy();
        let newer = *active.rejected != *current.id();
        let retry = active.since.elapsed() >= policy.client_retry_current_after;
        match versions.previous() {
            Some(previous) if !newer && !retry => Ok(previous.clone()),
            _ => {
                tracing::info!(
                    target: "zt::secrets",
                    secret = self.secret.name(),
                    current = current.id(),
                    newer_current = newer,
                    "using the current secret version again"
                );
                *fallback = None;
                Ok(current.clone())
            }
        }
    }

    /// Tells the helper that the peer rejected `rejected`.
    ///
    /// First a refresh is attempted (shared and rate-limited as for verification), since the
    /// peer may already use a newer version. If `rejected` is still current and a previous
    /// version exists, the helper switches to previous when the policy allows it. If the
    /// previous version was rejected while falling back, it returns to current.
    pub async fn report_rejected(&self, rejected: &SecretVersion) {
        self.secret.cell.refresh(Trigger::Demand).await;
        let Ok(versions) = self.secret.versions() else {
            return;
        };
        let current = versions.current();
        let mut fallback = self.fallback.lock().unwrap_or_else(PoisonError::into_inner);

        if rejected.id() == current.id() {
            if fallback.is_some() || !self.secret.policy().client_fallback {
                return;
            }
            let Some(previous) = versions.previous() else {
                tracing::warn!(
                    target: "zt::secrets",
                    secret = self.secret.name(),
                    rejected = rejected.id(),
                    "the peer rejected the current secret version and there is no previous one"
                );
                return;
            };
            Counters::bump(&self.secret.cell.counters.fallbacks);
            metrics::counter!(
                crate::metrics::SECRET_FALLBACKS,
                "secret" => self.secret.name().to_owned(),
            )
            .increment(1);
            tracing::warn!(
                target: "zt::secrets",
                secret = self.secret.name(),
                rejected = rejected.id(),
                using = previous.id(),
                "the peer rejected the current secret version; using the previous one until a \
                 newer current appears"
            );
            *fallback = Some(Fallback {
                rejected: rejected.id().into(),
                since: Instant::now(),
            });
        } else if fallback.is_some() && versions.previous().is_some_and(|p| p.id() == rejected.id())
        {
            tracing::warn!(
                target: "zt::secrets",
                secret = self.secret.name(),
                rejected = rejected.id(),
                using = current.id(),
                "the peer rejected the previous secret version too; using the current one again"
            );
            *fallback = None;
        }
    }

    /// Tells whether the helper is currently handing out the previous version.
    #[must_use]
    pub fn is_falling_back(&self) -> bool {
        self.fallback
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

impl fmt::Debug for SecretClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretClient")
            .field("secret", &self.secret.name())
            .field("falling_back", &self.is_falling_back())
            .finish()
    }
}
