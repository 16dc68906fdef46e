//! Verifying a signed request (or a bare secret) against a secret's accepted versions.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use subtle::Choice;

use super::replay::{Admission, ReplayWindow};
use super::{body_digest, PskSettings, SignedHeaders, SignedParts, Tag};
use crate::secret::{Secret, SecretValue};
use crate::{ConfigError, Denial, Mechanism, Principal, Reason};

/// Names the parts of a request, besides its signature headers, that a signature covers.
#[derive(Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request method, as sent.
    pub method: &'a str,
    /// The path, as sent (percent-encoding untouched).
    pub path: &'a str,
    /// The query without its `?`, as sent; empty when there is none.
    pub query: &'a str,
    /// The raw body bytes.
    pub body: &'a [u8],
}

impl fmt::Debug for RequestParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestParts")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Verifies requests signed with one named pre-shared secret.
///
/// A request passes when its timestamp lies within [`PskSettings::window`] of the server's
/// clock, one of its `v1` signatures is the HMAC-SHA256 of its canonical string
/// ([`SignedParts`]) under the current or previous version of the secret (or the pending
/// one while a rotation is in progress), and none of its signatures was accepted before.
///
/// # Examples
///
/// ```
/// use std::time::SystemTime;
///
/// use zt_core::secret::{MemorySource, SecretPolicy, Secret};
/// use zt_core::verify::psk::{body_digest, PskSettings, PskVerifier, RequestParts};
/// use zt_core::verify::psk::{signature_header, SignedHeaders, SignedParts};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let source = MemorySource::new();
/// source.set_current("0123456789abcdef0123456789abcdef");
/// let secret = Secret::new("deploy-hook", source, SecretPolicy::default())?;
/// secret.refresh_now().await?;
/// let verifier = PskVerifier::new("deploy-hook", secret, PskSettings::default())?;
///
/// // What a client does:
/// let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH)?.as_secs();
/// let body = br#"{"ref":"main"}"#;
/// let parts = SignedParts { method: "POST", path: "/hooks/deploy", query: "", timestamp: now,
///                           body_sha256: body_digest(body) };
/// let header = signature_header(&[parts.sign(b"0123456789abcdef0123456789abcdef")]);
///
/// // What the server does:
/// let headers = SignedHeaders::parse(&now.to_string(), &header).map_err(|d| d.reason().code())?;
/// let request = RequestParts { method: "POST", path: "/hooks/deploy", query: "", body };
/// let caller = verifier.verify_signed(&headers, request).await.map_err(|d| d.reason().code())?;
/// assert_eq!(caller.subject(), "deploy-hook");
/// assert!(verifier.verify_signed(&headers, request).await.is_err()); // a replay
/// # Ok(()) }
/// ```
///
/// # Security
///
/// Tags are compared in constant time (`subtle`); versions shorter than
/// [`PskSettings::min_secret_len`] are never used; `Debug` shows the name and settings
/// only.
///
/// # Limitations
///
/// The replay cache is per process: behind a load balancer, a captured request can be
/// replayed once to each instance within its window. The `Host` header is not signed, so a request can
/// be replayed to another service that shares the secret; give each service its own.
pub struct PskVerifier {
    name: Arc<str>,
    secret: Secret,
    settings: PskSettings,
    /// Every accepted request's tags, kept for twice the window and a second.
    replay: ReplayWindow,
}

impl PskVerifier {
    /// Creates a verifier for the secret configured as `name`.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] naming `psk("<name>")` when a setting is out of range or the
    /// secret's current version, if already loaded, is shorter than
    /// [`PskSettings::min_secret_len`].
    pub fn new(
        name: impl Into<String>,
        secret: Secret,
        settings: PskSettings,
    ) -> Result<Self, ConfigError> {
        let name: Arc<str> = Arc::from(name.into());
        let setting = format!("psk(\"{name}\")");
        settings.validate(&setting)?;

        if let Ok(versions) = secret.versions() {
            let current = versions.current();
            let len = current.value().expose_bytes().len();
            if len < settings.min_secret_len {
                return Err(ConfigError::Invalid {
                    setting,
                    problem: format!(
                        "the current version `{}` of secret `{}` is {len} bytes long; at least \
                         {} random bytes are required (for example `openssl rand -hex 32`)",
                        current.id(),
                        secret.name(),
                        settings.min_secret_len
                    ),
                });
            }
        }

        let keep = settings.window.saturating_mul(2) + Duration::from_secs(1);
        let replay = ReplayWindow::new(settings.replay_capacity, keep.as_secs());
        Ok(Self {
            name,
            secret,
            settings,
            replay,
        })
    }

    /// Returns the name routes use for this secret.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the settings.
    #[must_use]
    pub const fn settings(&self) -> &PskSettings {
        &self.settings
    }

    /// Checks the signed timestamp against the clock at `now`, before the body is read.
    ///
    /// # Errors
    ///
    /// Returns 401 denials with [`Reason::StaleTimestamp`] or [`Reason::FutureTimestamp`].
    pub fn check_timestamp(&self, headers: &SignedHeaders, now: SystemTime) -> Result<(), Denial> {
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let window = self.settings.window.as_secs();
        let signed = headers.timestamp();
        if signed.saturating_add(window) < now {
            return Err(Denial::InvalidCredential(Reason::StaleTimestamp));
        }
        if signed > now.saturating_add(window) {
            return Err(Denial::InvalidCredential(Reason::FutureTimestamp));
        }
        Ok(())
    }

    /// Verifies a signed request against the clock now.
    ///
    /// # Errors
    ///
    /// As [`PskVerifier::verify_signed_at`].
    pub async fn verify_signed(
        &self,
        headers: &SignedHeaders,
        request: RequestParts<'_>,
    ) -> Result<Principal, Denial> {
        self.verify_signed_at(headers, request, SystemTime::now())
            .await
    }

    /// Verifies a signed request as of `now`: timestamp, signatures, then replay.
    ///
    /// # Errors
    ///
    /// Returns 401 denials with [`Reason::StaleTimestamp`], [`Reason::FutureTimestamp`],
    /// [`Reason::BadSignature`] (no signature fits an accepted version: another body, method,
    /// path, query or secret) or [`Reason::ReplayedRequest`]; 503 denials when the secret is
    /// unavailable, too weak ([`Reason::WeakSecret`]) or the replay cache is full.
    pub async fn verify_signed_at(
        &self,
        headers: &SignedHeaders,
        request: RequestParts<'_>,
        now: SystemTime,
    ) -> Result<Principal, Denial> {
        self.check_timestamp(headers, now)?;
        self.refuse_weak_current()?;

        let parts = SignedParts {
            method: request.method,
            path: request.path,
            query: request.query,
            timestamp: headers.timestamp(),
            body_sha256: body_digest(request.body),
        };
        let canonical = parts.canonical_string();
        let min = self.settings.min_secret_len;
        let fits = |value: &SecretValue| {
            let key = value.expose_bytes();
            if key.len() < min {
                return false;
            }
            let expected = parts.sign_canonical(key, &canonical);
            let any = headers
                .tags()
                .iter()
                .fold(Choice::from(0), |found, tag| found | tag.ct_eq(&expected));
            bool::from(any)
        };
        self.secret
            .verify(fits)
            .await
            .map_err(|refusal| refusal.denial(Reason::BadSignature))?;

        self.remember(headers.tags(), now)?;
        Ok(self.principal())
    }

    /// Verifies a bare secret sent as `Authorization: Bearer <secret>`.
    ///
    /// Callers must check [`PskSettings::accepts_bearer`] first; this method refuses every
    /// value when the mode is off.
    ///
    /// # Errors
    ///
    /// Returns a 401 denial with [`Reason::WrongKey`] when the value matches no accepted
    /// version, and 503 denials as [`PskVerifier::verify_signed_at`] does.
    ///
    /// # Security
    ///
    /// See [`PskSettings::insecure_accept_bearer`]: no timestamp, no replay protection, the
    /// body is not covered.
    pub async fn verify_bearer(&self, presented: &str) -> Result<Principal, Denial> {
        if !self.settings.bearer {
            return Err(Denial::Missing);
        }
        self.refuse_weak_current()?;

        let min = self.settings.min_secret_len;
        let presented = presented.as_bytes();
        let fits =
            |value: &SecretValue| value.expose_bytes().len() >= min && value.ct_eq(presented);
        self.secret
            .verify(fits)
            .await
            .map_err(|refusal| refusal.denial(Reason::WrongKey))?;
        Ok(self.principal())
    }

    fn principal(&self) -> Principal {
        Principal::new(Mechanism::SharedSecret, "psk", self.name.as_ref())
    }

    /// Refuses to verify with a current version that is too short: the server is at fault.
    fn refuse_weak_current(&self) -> Result<(), Denial> {
        let Ok(versions) = self.secret.versions() else {
            return Ok(()); // `Secret::verify` answers for an unavailable secret.
        };
        let current = versions.current();
        if current.value().expose_bytes().len() >= self.settings.min_secret_len {
            return Ok(());
        }
        tracing::error!(
            target: "zt::secrets",
            secret = self.secret.name(),
            version = current.id(),
            min_len = self.settings.min_secret_len,
            "the current version of a pre-shared secret is too short and is not used; \
             rotate it to a value of at least min_len random bytes"
        );
        Err(Denial::Unavailable {
            reason: Reason::WeakSecret,
            retry_after: Duration::from_secs(60),
        })
    }

    /// Records the accepted request's signatures; refuses if any was seen before.
    fn remember(&self, tags: &[Tag], now: SystemTime) -> Result<(), Denial> {
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        match self.replay.admit(tags, now) {
            Admission::Fresh => Ok(()),
            Admission::Replayed => Err(Denial::InvalidCredential(Reason::ReplayedRequest)),
            Admission::Full => {
                tracing::warn!(
                    target: "zt::secrets",
                    secret = self.secret.name(),
                    capacity = self.settings.replay_capacity,
                    "the replay cache of a pre-shared secret is full; signed requests are \
                     refused until entries expire (raise PskSettings::replay_capacity)"
                );
                Err(Denial::Unavailable {
                    reason: Reason::ReplayCacheFull,
                    retry_after: Duration::from_secs(1),
                })
            }
        }
    }
}

impl fmt::Debug for PskVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PskVerifier")
            .field("name", &self.name)
            .field("secret", &self.secret)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
