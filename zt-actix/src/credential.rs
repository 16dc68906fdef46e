//! Finding the bearer token in a request, and refusing the places it must not be.

use actix_web::http::header::{HeaderName, AUTHORIZATION};
use actix_web::HttpRequest;
use zt_core::{Denial, Reason};

/// Returns the bearer token of `req`, or the denial for a missing or misplaced one.
///
/// Only one `Authorization: Bearer` header is accepted (the scheme is case-insensitive, as
/// RFC 7235 says). A token in the query string is refused with 400, never read: URLs end
/// up in proxy and access logs. Another scheme (say `Basic`) counts as no credential.
pub(crate) fn bearer_token(req: &HttpRequest) -> Result<&str, Denial> {
    if token_in_query(req.query_string()) {
        return Err(Denial::BadRequest(Reason::CredentialInUrl));
    }

    let mut headers = req.headers().get_all(AUTHORIZATION);
    let Some(value) = headers.next() else {
        return Err(Denial::Missing);
    };
    if headers.next().is_some() {
        return Err(Denial::BadRequest(Reason::SeveralCredentials));
    }

    let value =
        visible_ascii(value.as_bytes()).ok_or(Denial::BadRequest(Reason::MalformedHeader))?;
    let Some((scheme, token)) = value.split_once(' ') else {
        return if value.eq_ignore_ascii_case("bearer") {
            Err(Denial::BadRequest(Reason::MalformedHeader))
        } else {
            Err(Denial::Missing)
        };
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Denial::Missing);
    }

    let token = token.trim_matches(' ');
    // A byte search: tokens run to kilobytes, and this runs on every request.
    if token.is_empty() || memchr::memchr2(b' ', b',', token.as_bytes()).is_some() {
        return Err(Denial::BadRequest(Reason::MalformedHeader));
    }
    Ok(token)
}

/// Reads a header value as `HeaderValue::to_str` does (visible ASCII, spaces and tabs), but
/// without stopping at the first byte outside that set, so the check runs many bytes at a
/// time: bearer tokens run to kilobytes and are read on every request.
fn visible_ascii(bytes: &[u8]) -> Option<&str> {
    let visible = bytes.iter().fold(true, |ok, &b| {
        ok & ((b' '..=b'~').contains(&b) | (b == b'\t'))
    });
    visible.then(|| std::str::from_utf8(bytes).ok()).flatten()
}

/// The header AWS API Gateway clients send API keys in.
pub(crate) const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// Returns the API key of `req`, from `X-API-Key` or `Authorization: ApiKey <key>`.
///
/// A key in the query string (under any parameter name, recognised by its prefix) is
/// refused with 400 and never read further; so are two keys in one request.
pub(crate) fn api_key(req: &HttpRequest) -> Result<&str, Denial> {
    if key_in_query(req.query_string()) {
        return Err(Denial::BadRequest(Reason::CredentialInUrl));
    }

    let malformed = Denial::BadRequest(Reason::MalformedHeader);
    let mut keys = Vec::with_capacity(1);
    for value in req.headers().get_all(X_API_KEY) {
        keys.push(value.to_str().map_err(|_| malformed)?.trim_matches(' '));
    }
    for value in req.headers().get_all(AUTHORIZATION) {
        let text = value.to_str().map_err(|_| malformed)?;
        let (scheme, key) = text.split_once(' ').unwrap_or((text, ""));
        if scheme.eq_ignore_ascii_case("apikey") {
            keys.push(key.trim_matches(' '));
        }
    }

    match keys.as_slice() {
        [] => Err(Denial::Missing),
        [""] => Err(malformed),
        [key] if key.contains(',') => Err(Denial::BadRequest(Reason::SeveralCredentials)),
        // A key has no blanks: words after it are as malformed as after a bearer token.
        [key] if key.contains([' ', '\t']) => Err(malformed),
        [key] => Ok(key),
        _ => Err(Denial::BadRequest(Reason::SeveralCredentials)),
    }
}

/// Tells whether the query string carries an API key: under a key-like parameter name, or
/// anywhere (percent-decoded, in a name or a value) recognised by the key prefix.
fn key_in_query(query: &str) -> bool {
    const NAMES: [&str; 4] = ["api_key", "apikey", "api-key", "x-api-key"];
    let prefix = zt_core::verify::api_key::KEY_PREFIX;
    !query.is_empty()
        && (query.contains(prefix)
            || url::form_urlencoded::parse(query.as_bytes()).any(|(name, value)| {
                NAMES.iter().any(|n| name.eq_ignore_ascii_case(n))
                    || name.contains(prefix)
                    || value.contains(prefix)
            }))
}

fn token_in_query(query: &str) -> bool {
    !query.is_empty()
        && url::form_urlencoded::parse(query.as_bytes())
            .any(|(name, _)| name.eq_ignore_ascii_case("access_token"))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn extract(req: TestRequest) -> Result<String, Denial> {
        let req = req.to_http_request();
        bearer_token(&req).map(str::to_owned)
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let req = TestRequest::get().insert_header((AUTHORIZATION, format!("{scheme} abc")));
            assert_eq!(extract(req).unwrap(), "abc");
        }
    }

    #[test]
    fn no_header_or_another_scheme_is_missing() {
        assert_eq!(extract(TestRequest::get()), Err(Denial::Missing));
        let basic = TestRequest::get().insert_header((AUTHORIZATION, "Basic dXNlcjpwYXNz"));
        assert_eq!(extract(basic), Err(Denial::Missing));
    }

    #[test]
    fn two_headers_are_a_bad_request() {
        let req = TestRequest::get()
            .append_header((AUTHORIZATION, "Bearer a"))
            .append_header((AUTHORIZATION, "Bearer b"));
        assert_eq!(
            extract(req),
            Err(Denial::BadRequest(Reason::SeveralCredentials))
        );
    }

    #[test]
    fn token_in_query_is_refused_even_with_a_header() {
        let req = TestRequest::get()
            .uri("/x?a=1&access_token=abc")
            .insert_header((AUTHORIZATION, "Bearer a"));
        assert_eq!(
            extract(req),
            Err(Denial::BadRequest(Reason::CredentialInUrl))
        );
        let alone = TestRequest::get().uri("/x?Access_Token=abc");
        assert_eq!(
            extract(alone),
            Err(Denial::BadRequest(Reason::CredentialInUrl))
        );
    }

    fn extract_key(req: TestRequest) -> Result<String, Denial> {
        let req = req.to_http_request();
        api_key(&req).map(str::to_owned)
    }

    #[test]
    fn api_keys_come_from_x_api_key_or_authorization() {
        let header = TestRequest::get().insert_header((X_API_KEY, "ztk_abc"));
        assert_eq!(extract_key(header).unwrap(), "ztk_abc");
        let auth = TestRequest::get().insert_header((AUTHORIZATION, "apikey ztk_abc"));
        assert_eq!(extract_key(auth).unwrap(), "ztk_abc");
        let bearer = TestRequest::get().insert_header((AUTHORIZATION, "Bearer ztk_abc"));
        assert_eq!(extract_key(bearer), Err(Denial::Missing));
    }

    #[test]
    fn api_keys_in_the_url_or_twice_are_bad_requests() {
        for uri in ["/x?api_key=1", "/x?q=ztk_abc", "/x?X-API-Key=1"] {
            let req = TestRequest::get()
                .uri(uri)
                .insert_header((X_API_KEY, "ztk_abc"));
            assert_eq!(
                extract_key(req),
                Err(Denial::BadRequest(Reason::CredentialInUrl))
            );
        }
        let twice = TestRequest::get()
            .insert_header((X_API_KEY, "ztk_a"))
            .insert_header((AUTHORIZATION, "ApiKey ztk_b"));
        assert_eq!(
            extract_key(twice),
            Err(Denial::BadRequest(Reason::SeveralCredentials))
        );
        let empty = TestRequest::get().insert_header((X_API_KEY, ""));
        assert_eq!(
            extract_key(empty),
            Err(Denial::BadRequest(Reason::MalformedHeader))
        );
    }

    #[test]
    fn keys_with_words_after_them_are_malformed() {
        let auth = TestRequest::get().insert_header((AUTHORIZATION, "ApiKey ztk_a ztk_b"));
        assert_eq!(
            extract_key(auth),
            Err(Denial::BadRequest(Reason::MalformedHeader))
        );
        let header = TestRequest::get().insert_header((X_API_KEY, "ztk_a\tmore"));
        assert_eq!(
            extract_key(header),
            Err(Denial::BadRequest(Reason::MalformedHeader))
        );
    }

    #[test]
    fn header_values_outside_visible_ascii_are_malformed() {
        assert_eq!(
            visible_ascii(b"Bearer a.b-c_d~\t"),
            Some("Bearer a.b-c_d~\t")
        );
        for bytes in [
            &b"Bearer a\x7f"[..],
            b"Bearer \xc3\xa9",
            b"Bearer a\x00b",
            b"\x1f",
        ] {
            assert_eq!(visible_ascii(bytes), None, "{bytes:?}");
        }
        let req = TestRequest::get().insert_header((
            AUTHORIZATION,
            actix_web::http::header::HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
        ));
        assert_eq!(
            extract(req),
            Err(Denial::BadRequest(Reason::MalformedHeader))
        );
    }

    #[test]
    fn empty_or_split_tokens_are_malformed() {
        for value in ["Bearer", "Bearer ", "Bearer a b", "Bearer a,Bearer b"] {
            let req = TestRequest::get().insert_header((AUTHORIZATION, value));
            assert_eq!(
                extract(req),
                Err(Denial::BadRequest(Reason::MalformedHeader)),
                "{value}"
            );
        }
    }
}
