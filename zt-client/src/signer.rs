//! Producing the signature headers for one request, with the version the secret store hands
//! out.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use zt_core::secret::{SecretClient, SecretVersion};
use zt_core::verify::psk::{
    body_digest, signature_header, SignedParts, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use zt_core::Secret;

use crate::SignError;

/// Signs requests with one pre-shared secret; cheap to clone, clones share the fallback
/// state.
///
/// It signs with the current version. After the service rejects a request
/// ([`Signer::rejected`]), the secret store is refreshed once (rate-limited), and if the
/// rejected version is still current, the signer switches to the previous version until a
/// newer current appears (or the secret's `client_retry_current_after`, 5 minutes by
/// default, passes).
#[derive(Clone)]
pub struct Signer {
    client: SecretClient,
}

impl Signer {
    /// Creates a signer that reads `secret` from its store.
    #[must_use]
    pub fn new(secret: &Secret) -> Self {
        Self {
            client: secret.client(),
        }
    }

    /// Signs a request with `method`, `path` and `query` as they appear in the request line
    /// (the query without its `?`, empty when there is none), and the exact body bytes sent.
    ///
    /// # Errors
    ///
    /// Returns [`SignError::Unavailable`] when the secret cannot be used.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Result<Signature, SignError> {
        let version = self.client.value()?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let parts = SignedParts {
            method,
            path,
            query,
            timestamp,
            body_sha256: body_digest(body),
        };
        let tag = parts.sign(version.value().expose_bytes());
        Ok(Signature {
            timestamp: timestamp.to_string(),
            value: signature_header(&[tag]),
            version,
        })
    }

    /// Reports that the service answered 401 to a request signed with `signature`, so the
    /// next signature may use another version (see [`Signer`]).
    pub async fn rejected(&self, signature: &Signature) {
        self.client.report_rejected(&signature.version).await;
    }

    /// Tells whether the signer is using the previous version.
    #[must_use]
    pub fn is_falling_back(&self) -> bool {
        self.client.is_falling_back()
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("client", &self.client)
            .finish()
    }
}

/// Holds the headers that sign one request, and the secret version that made them.
///
/// # Security
///
/// `Debug` shows the timestamp and version id, never the signature.
#[derive(Clone)]
pub struct Signature {
    timestamp: String,
    value: String,
    version: SecretVersion,
}

impl Signature {
    /// Returns the two headers to add: `X-ZT-Timestamp` and `X-ZT-Signature`.
    ///
    /// # Security
    ///
    /// Do not log the signature header: it lets anyone replay the request within its window.
    #[must_use]
    pub fn headers(&self) -> [(&'static str, &str); 2] {
        [
            (TIMESTAMP_HEADER, self.timestamp.as_str()),
            (SIGNATURE_HEADER, self.value.as_str()),
        ]
    }

    /// Returns the id of the secret version that signed.
    #[must_use]
    pub fn version_id(&self) -> &str {
        self.version.id()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature")
            .field("timestamp", &self.timestamp)
            .field("version", &self.version.id())
            .finish_non_exhaustive()
    }
}
