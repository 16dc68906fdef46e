//! Signing and sending `awc` requests, actix-web's client (feature `awc`).

use std::future::Future;

use awc::http::StatusCode;
use awc::{ClientRequest, SendClientRequest};

use crate::{SignError, Signature, Signer};

/// What sending an `awc` request yields: the response, or awc's own error.
pub type Sent = <SendClientRequest as Future>::Output;

/// Signs `request` for `body`, the exact bytes that will be sent with it.
///
/// # Errors
///
/// Returns [`SignError::Unavailable`] when the secret cannot be used.
pub fn sign(
    signer: &Signer,
    request: ClientRequest,
    body: &[u8],
) -> Result<(ClientRequest, Signature), SignError> {
    let uri = request.get_uri();
    let signature = signer.sign(
        request.get_method().as_str(),
        uri.path(),
        uri.query().unwrap_or(""),
        body,
    )?;
    let mut request = request;
    for (name, value) in signature.headers() {
        request = request.insert_header((name, value.to_owned()));
    }
    Ok((request, signature))
}

/// Builds a request with `make`, signs it, sends it with `body`; on a 401, reports the
/// rejection and sends a freshly built request once more, signed anew.
///
/// `make` is called once or twice, since an awc request cannot be cloned.
///
/// # Errors
///
/// Returns [`SignError`] when the request cannot be signed; the inner result is awc's.
pub async fn send<F>(signer: &Signer, make: F, body: Vec<u8>) -> Result<Sent, SignError>
where
    F: Fn() -> ClientRequest,
{
    let (request, signature) = sign(signer, make(), &body)?;
    let sent = request.send_body(body.clone()).await;
    if !matches!(&sent, Ok(response) if response.status() == StatusCode::UNAUTHORIZED) {
        return Ok(sent);
    }

    signer.rejected(&signature).await;
    let (request, _) = sign(signer, make(), &body)?;
    Ok(request.send_body(body).await)
}
