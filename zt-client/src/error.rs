//! Why a request could not be signed.

use zt_core::secret::Unavailable;

/// Reports why a request could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The secret cannot be used right now (never loaded, or its source has failed for
    /// longer than `max_stale`); try again after [`Unavailable::retry_after`].
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The request's body is a stream, which cannot be hashed before it is sent; buffer it
    /// (for example into `Vec<u8>` or `Bytes`) first.
    #[error("the request body is a stream; only buffered bodies can be signed")]
    StreamingBody,
}
