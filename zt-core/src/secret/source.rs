//! Where secret values come from.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use super::SecretVersions;

/// Fetches the versions of one secret from where it is kept.
///
/// The store calls [`SecretSource::fetch`] from its refresher and, rate-limited, when a
/// credential matches no cached version; never once per request. Implement it to keep secrets
/// somewhere this crate does not support.
///
/// # Security
///
/// Implementations must not log values, put them in errors, or print them in `Debug`.
#[async_trait]
pub trait SecretSource: Send + Sync + fmt::Debug + 'static {
    /// Returns a short name of the kind of source, for logs (`"secrets_manager"`).
    fn kind(&self) -> &'static str;

    /// Fetches the current version and, where the source has them, the previous and pending
    /// versions.
    ///
    /// `cached` is what the store holds; a source that can tell cheaply which versions exist
    /// reuses the cached value of any version whose id did not change instead of fetching it.
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when the secret cannot be read; the store keeps serving what
    /// it has cached, for a bounded time.
    async fn fetch(&self, cached: Option<&SecretVersions>) -> Result<SecretVersions, SourceError>;
}

/// Explains why a source could not deliver a secret.
///
/// Messages name the secret or file at fault and what the service said, never a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The secret, or the version asked for, does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller's identity may not read the secret.
    #[error("access denied: {0}")]
    Denied(String),
    /// The service asked the caller to slow down.
    #[error("throttled by the service: {0}")]
    Throttled(String),
    /// The service could not be reached.
    #[error("service unreachable: {0}")]
    Unreachable(String),
    /// The service answered with an error.
    #[error("service error: {0}")]
    Service(String),
    /// No answer came within the store's fetch timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// A file could not be read.
    #[error("could not read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The value is refused (empty, too large, of no supported type).
    #[error("value refused: {0}")]
    Invalid(String),
    /// Any other failure of a custom source.
    #[error("{0}")]
    Other(String),
}
