//! Requests signed with a pre-shared secret, valid or broken in one named way.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::test::TestRequest;
use zt_core::verify::psk::{
    body_digest, signature_header, SignedParts, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};

/// Builds a request signed the way a `#[zero_trust(psk = "..")]` route expects, or broken
/// in one named way.
///
/// The timestamp is taken when the builder is made, so every request built from one value
/// carries the same signature: sending [`SignedRequest::to_test_request`] twice is a replay.
///
/// # Examples
///
/// ```
/// use zt_testkit::SignedRequest;
///
/// let secret = "0123456789abcdef0123456789abcdef";
/// let good = SignedRequest::post("/hooks/deploy").body(r#"{"ref":"main"}"#).secret(secret);
/// let tampered = good.clone().tampered_body(r#"{"ref":"evil"}"#);
/// let stale = good.clone().stale();
/// let rotating = good.clone().secret("another-secret-of-at-least-32-bytes");
/// let request = good.to_test_request(); // an actix_web::test::TestRequest
/// let replay = good.to_test_request(); // the same signature again
/// # let _ = (tampered, stale, rotating, request, replay);
/// ```
///
/// # Security
///
/// For tests only: secrets are held as plain strings. `Debug` shows the method, URI and
/// timestamp, never a secret or signature.
#[derive(Clone)]
pub struct SignedRequest {
    method: String,
    uri: String,
    body: Vec<u8>,
    secrets: Vec<Vec<u8>>,
    timestamp: u64,
    signed_method: Option<String>,
    signed_uri: Option<String>,
    signed_body: Option<Vec<u8>>,
}

impl SignedRequest {
    /// Starts a request with `method` to `uri` (a path with an optional query), timestamped
    /// now, with an empty body and no secret yet.
    #[must_use]
    pub fn new(method: &str, uri: &str) -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH);
        Self {
            method: method.to_owned(),
            uri: uri.to_owned(),
            body: Vec::new(),
            secrets: Vec::new(),
            timestamp: now.map_or(0, |d| d.as_secs()),
            signed_method: None,
            signed_uri: None,
            signed_body: None,
        }
    }

    /// Starts a `POST` request to `uri`.
    #[must_use]
    pub fn post(uri: &str) -> Self {
        Self::new("POST", uri)
    }

    /// Sets the body that is signed and sent.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds a secret to sign with; each adds one `v1=` signature, in order.
    #[must_use]
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secrets.push(secret.as_ref().to_vec());
        self
    }

    /// Sets the signed timestamp, in unix seconds.
    #[must_use]
    pub const fn at(mut self, timestamp: u64) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Moves the timestamp by `seconds` (negative: into the past).
    #[must_use]
    pub const fn skewed(mut self, seconds: i64) -> Self {
        self.timestamp = self.timestamp.saturating_add_signed(seconds);
        self
    }

    /// Dates the request ten minutes ago, outside the default five-minute window.
    #[must_use]
    pub const fn stale(self) -> Self {
        self.skewed(-600)
    }

    /// Dates the request ten minutes ahead, outside the default five-minute window.
    #[must_use]
    pub const fn future(self) -> Self {
        self.skewed(600)
    }

    /// Sends `body` while the signature covers the body set with [`SignedRequest::body`].
    #[must_use]
    pub fn tampered_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.signed_body = Some(std::mem::replace(&mut self.body, body.into()));
        self
    }

    /// Signs for `uri` while the request goes to the one it was made with.
    #[must_use]
    pub fn signed_for_uri(mut self, uri: &str) -> Self {
        self.signed_uri = Some(uri.to_owned());
        self
    }

    /// Signs for `method` while the request is sent with the one it was made with.
    #[must_use]
    pub fn signed_for_method(mut self, method: &str) -> Self {
        self.signed_method = Some(method.to_owned());
        self
    }

    /// Returns the method the request is sent with.
    #[must_use]
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Returns the URI (path and query) the request is sent to.
    #[must_use]
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Returns the body the request is sent with.
    #[must_use]
    pub fn sent_body(&self) -> &[u8] {
        &self.body
    }

    /// Returns the `X-ZT-Timestamp` and `X-ZT-Signature` headers, for any HTTP client.
    ///
    /// Without a secret, the signature header is left out.
    #[must_use]
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![(TIMESTAMP_HEADER, self.timestamp.to_string())];
        if self.secrets.is_empty() {
            return headers;
        }
        let uri = self.signed_uri.as_deref().unwrap_or(&self.uri);
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let parts = SignedParts {
            method: self.signed_method.as_deref().unwrap_or(&self.method),
            path,
            query,
            timestamp: self.timestamp,
            body_sha256: body_digest(self.signed_body.as_deref().unwrap_or(&self.body)),
        };
        let tags: Vec<_> = self.secrets.iter().map(|s| parts.sign(s)).collect();
        headers.push((SIGNATURE_HEADER, signature_header(&tags)));
        headers
    }

    /// Builds the actix-web test request.
    ///
    /// # Panics
    ///
    /// Panics when the method is not a valid HTTP method.
    #[must_use]
    pub fn to_test_request(&self) -> TestRequest {
        let method = actix_web::http::Method::from_bytes(self.method.as_bytes())
            .unwrap_or_else(|_| panic!("`{}` is not an HTTP method", self.method));
        let mut request = TestRequest::default()
            .method(method)
            .uri(&self.uri)
            .set_payload(self.body.clone());
        for header in self.headers() {
            request = request.insert_header(header);
        }
        request
    }
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("timestamp", &self.timestamp)
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}
