//! Helpers shared by the integration tests: a minimal HTTP/1.1 client and token checks.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde_json::Value;
use zt_testkit::TestIssuer;

/// Holds what a test reads from an HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(found, _)| found.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }
}

pub(crate) fn get(url: &str) -> Answer {
    request("GET", url, None)
}

pub(crate) fn post_form(url: &str, form: &str) -> Answer {
    request("POST", url, Some(form))
}

/// Sends one request with `Connection: close` and reads the whole answer.
pub(crate) fn try_request(method: &str, url: &str, form: Option<&str>) -> std::io::Result<Answer> {
    let rest = url.strip_prefix("http://").expect("the URL is plain http");
    let (authority, path) = rest.find('/').map_or((rest, "/"), |at| rest.split_at(at));

    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;

    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    if let Some(form) = form {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", form.len()));
    }
    request.push_str("\r\n");
    request.push_str(form.unwrap_or_default());
    stream.write_all(request.as_bytes())?;

    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;

    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("the answer has a header block");
    let mut lines = head.lines();
    let status_line = lines.next().expect("the answer has a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();

    Ok(Answer {
        status,
        headers,
        body: body.to_owned(),
    })
}

pub(crate) fn request(method: &str, url: &str, form: Option<&str>) -> Answer {
    try_request(method, url, form).expect("the issuer answers")
}

/// Returns the decoded JSON of the token's header.
pub(crate) fn header_of(token: &str) -> Value {
    segment(token, 0)
}

/// Returns the decoded JSON of the token's claims.
pub(crate) fn claims_of(token: &str) -> Value {
    segment(token, 1)
}

fn segment(token: &str, index: usize) -> Value {
    let part = token
        .split('.')
        .nth(index)
        .expect("the token has the segment");
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .expect("the segment is base64url");
    serde_json::from_slice(&bytes).expect("the segment is JSON")
}

/// Returns the raw signature bytes of the token.
pub(crate) fn signature_of(token: &str) -> Vec<u8> {
    let part = token
        .split('.')
        .nth(2)
        .expect("the token has a signature segment");
    URL_SAFE_NO_PAD
        .decode(part)
        .expect("the signature is base64url")
}

/// Verifies `token` the way a resource server would, against the key set in `jwks`.
pub(crate) fn verify_with(
    jwks: &Value,
    issuer: &TestIssuer,
    token: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let header = decode_header(token)?;
    let set: JwkSet = serde_json::from_value(jwks.clone()).expect("the key set parses");
    let kid = header.kid.as_deref().expect("the token names a kid");
    let jwk = set
        .find(kid)
        .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;

    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[issuer.audience()]);
    validation.set_issuer(&[issuer.issuer()]);
    Ok(decode::<Value>(token, &key, &validation)?.claims)
}

/// Verifies `token` against the issuer's key set as it stands, without HTTP.
pub(crate) fn verify(
    issuer: &TestIssuer,
    token: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    verify_with(&issuer.jwks(), issuer, token)
}
