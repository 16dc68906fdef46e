//! Signing and sending `reqwest` requests (feature `reqwest`).

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Client, Request, Response, StatusCode};

use crate::{SignError, Signature, Signer};

/// Signs `request` in place, replacing any signature headers it had.
///
/// # Errors
///
/// Returns [`SignError::StreamingBody`] for a streaming body and
/// [`SignError::Unavailable`] when the secret cannot be used.
pub fn sign(signer: &Signer, request: &mut Request) -> Result<Signature, SignError> {
    let body = match request.body() {
        None => &[][..],
        Some(body) => body.as_bytes().ok_or(SignError::StreamingBody)?,
    };
    let url = request.url();
    let signature = signer.sign(
        request.method().as_str(),
        url.path(),
        url.query().unwrap_or(""),
        body,
    )?;
    for (name, value) in signature.headers() {
        // Both are ASCII by construction: a fixed name, digits, and `v1=` with hex digits.
        if let Ok(value) = HeaderValue::from_str(value) {
            let headers = request.headers_mut();
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    Ok(signature)
}

/// Signs and sends `request`; on a 401, reports the rejection and sends it once more,
/// signed anew (with the previous version when the current one was refused).
///
/// # Errors
///
/// Returns [`SendError::Sign`] when the request cannot be signed and [`SendError::Http`]
/// when sending fails. A refusal by the server is a response, not an error.
pub async fn send(
    signer: &Signer,
    client: &Client,
    request: Request,
) -> Result<Response, SendError> {
    let retry = request.try_clone().ok_or(SignError::StreamingBody)?;
    let mut first = request;
    let signature = sign(signer, &mut first)?;
    let response = client.execute(first).await?;
    if response.status() != StatusCode::UNAUTHORIZED {
        return Ok(response);
    }

    signer.rejected(&signature).await;
    let mut second = retry;
    sign(signer, &mut second)?;
    Ok(client.execute(second).await?)
}

/// Reports why a signed request could not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The request could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// `reqwest` could not send the request or read the response head.
    #[error("sending the signed request failed: {0}")]
    Http(#[from] reqwest::Error),
}
