//! Requests signed with a pre-shared secret: the guard reads the body to verify it, and the
//! handler's own extractors receive that body only once the signature holds.

use std::sync::Arc;
use std::time::SystemTime;

use actix_http::h1::Payload as H1Payload;
use actix_web::dev::Payload;
use actix_web::http::header::{HeaderName, CONTENT_LENGTH};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage as _, HttpRequest};
use futures_util::StreamExt as _;
use zt_core::verify::psk::{
    PskVerifier, RequestParts, SignedHeaders, CHALLENGE_SCHEME, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use zt_core::{Denial, Principal, Reason};

use crate::credential::bearer_token;
use crate::ZeroTrust;

const TIMESTAMP: HeaderName = HeaderName::from_static(TIMESTAMP_HEADER);
const SIGNATURE: HeaderName = HeaderName::from_static(SIGNATURE_HEADER);

/// The request body, taken from the handler's extractors until the signature verified.
pub(crate) struct DivertedBody {
    original: Payload,
    release: Release,
}

/// Feeds the verified body to the handler's payload and ends it; dropped unused, it ends that
/// payload with an error. (actix-http does not name its payload sender type.)
type Release = Box<dyn FnOnce(Bytes)>;

/// Takes the request's payload for the guard and leaves the handler a replacement that
/// receives the bytes only when [`verify`] releases them.
///
/// If the request is refused, the replacement ends with an error instead, and the handler
/// does not run anyway.
pub(crate) fn divert_body(req: &HttpRequest, payload: &mut Payload) {
    let (mut sender, replacement) = H1Payload::create(false);
    let original = std::mem::replace(payload, Payload::from(replacement));
    let release: Release = Box::new(move |bytes: Bytes| {
        if !bytes.is_empty() {
            sender.feed_data(bytes);
        }
        sender.feed_eof();
    });
    req.extensions_mut()
        .insert(DivertedBody { original, release });
}

/// Returns the challenge schemes of the secret `name`: the signature scheme, and `Bearer`
/// when the plain mode is on.
pub(crate) fn schemes(zt: &ZeroTrust, name: &str) -> Vec<&'static str> {
    match zt.psk(name) {
        Some(verifier) if verifier.settings().accepts_bearer() => {
            vec![CHALLENGE_SCHEME, "Bearer"]
        }
        _ => vec![CHALLENGE_SCHEME],
    }
}

/// Verifies the request against the secret `name`; `Err(None)` means it is not configured.
pub(crate) async fn verify(
    zt: &ZeroTrust,
    req: &HttpRequest,
    name: &str,
) -> Result<Arc<Principal>, Option<Denial>> {
    let verifier = zt.psk(name).ok_or(None)?;
    let body = req.extensions_mut().remove::<DivertedBody>().ok_or(None)?;
    let presented = presented(req, verifier)?;

    let principal = match presented {
        Presented::Signed(headers) => {
            verifier.check_timestamp(&headers, SystemTime::now())?;
            let (bytes, release) = body.read(req, verifier.settings().body_limit()).await?;
            let parts = RequestParts {
                method: req.method().as_str(),
                path: req.uri().path(),
                query: req.uri().query().unwrap_or(""),
                body: &bytes,
            };
            let principal = verifier.verify_signed(&headers, parts).await?;
            release(bytes);
            principal
        }
        Presented::Bearer(secret) => {
            let principal = verifier.verify_bearer(secret).await?;
            let (bytes, release) = body.read(req, verifier.settings().body_limit()).await?;
            release(bytes);
            principal
        }
    };

    Ok(Arc::new(principal))
}

enum Presented<'a> {
    Signed(SignedHeaders),
    Bearer(&'a str),
}

/// Finds the credential: both signature headers, or (when enabled) a bearer secret.
fn presented<'a>(req: &'a HttpRequest, verifier: &PskVerifier) -> Result<Presented<'a>, Denial> {
    let timestamp = single_header(req, &TIMESTAMP)?;
    let signature = single_header(req, &SIGNATURE)?;
    let bearer = verifier.settings().accepts_bearer();

    match (timestamp, signature) {
        (Some(timestamp), Some(signature)) => {
            if bearer && !matches!(bearer_token(req), Err(Denial::Missing)) {
                return Err(Denial::BadRequest(Reason::SeveralCredentials));
            }
            SignedHeaders::parse(timestamp, signature).map(Presented::Signed)
        }
        (Some(_), None) | (None, Some(_)) => Err(Denial::BadRequest(Reason::MalformedSignature)),
        (None, None) if bearer => bearer_token(req).map(Presented::Bearer),
        (None, None) => Err(Denial::Missing),
    }
}

fn single_header<'a>(req: &'a HttpRequest, name: &HeaderName) -> Result<Option<&'a str>, Denial> {
    let mut values = req.headers().get_all(name);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Denial::BadRequest(Reason::SeveralCredentials));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| Denial::BadRequest(Reason::MalformedSignature))
}

impl DivertedBody {
    /// Reads the whole body, refusing it past `limit` bytes (by `Content-Length` before any
    /// byte is read, else while reading).
    async fn read(self, req: &HttpRequest, limit: usize) -> Result<(Bytes, Release), Denial> {
        let too_large = Denial::BadRequest(Reason::BodyTooLarge);
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > u64::try_from(limit).unwrap_or(u64::MAX)) {
            return Err(too_large);
        }

        let Self {
            mut original,
            release,
        } = self;
        let mut bytes = BytesMut::new();
        while let Some(chunk) = original.next().await {
            let chunk = chunk.map_err(|_| Denial::BadRequest(Reason::UnreadableBody))?;
            if bytes.len().saturating_add(chunk.len()) > limit {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((bytes.freeze(), release))
    }
}
