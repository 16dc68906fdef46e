//! Refusals as RFC 6750 responses: status, `WWW-Authenticate` challenge and a generic body.

use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use zt_core::Denial;

/// Answers a refused request; returned by the guard extractor as its error.
///
/// The status and challenge follow RFC 6750:
///
/// | denial | status | challenge |
/// |---|---|---|
/// | no credential | 401 | `Bearer realm=".."` (no error code) |
/// | malformed request | 400 | `error="invalid_request"` |
/// | refused credential | 401 | `error="invalid_token"` |
/// | missing scopes | 403 | `error="insufficient_scope", scope=".."` |
/// | identity not allowed (client certificate) | 403 | none |
/// | cannot verify now | 503 | none; `Retry-After` instead |
///
/// The body names only the error code; the precise reason goes to the decision log. API
/// key routes answer the same way with the `ApiKey` scheme in the challenge, and pre-shared
/// secret routes with `ZT-HMAC-SHA256` (plus `Bearer` when that secret's plain mode is on).
///
/// Client-certificate routes send no `WWW-Authenticate` header: the credential is presented
/// in the TLS handshake, not in an HTTP header, and no HTTP authentication scheme exists for
/// it (RFC 8705 defines none), so a challenge could not tell the client anything it can act
/// on. This departs from RFC 9110, which asks for a challenge on every 401; the status and
/// the body (`{"error":"invalid_token"}`, `{"error":"unauthorized"}` or
/// `{"error":"forbidden"}`) carry the answer instead.
///
/// A route whose protection is misconfigured (no [`ZeroTrust`](crate::ZeroTrust) in
/// `app_data`, or a `Principal` taken without `#[zero_trust]`) is refused with 500: the
/// server is at fault, and the handler still does not run.
#[derive(Debug, Clone)]
pub struct Rejection {
    denial: Denial,
    schemes: Vec<&'static str>,
    realm: String,
    misconfigured: bool,
}

impl Rejection {
    /// Refuses with a `Bearer` challenge.
    #[cfg(test)]
    pub(crate) fn new(denial: Denial, realm: &str) -> Self {
        Self::with_scheme(denial, "Bearer", realm)
    }

    /// Refuses with a challenge of the given scheme (`Bearer`, `ApiKey`).
    #[cfg(test)]
    pub(crate) fn with_scheme(denial: Denial, scheme: &'static str, realm: &str) -> Self {
        Self::with_schemes(denial, vec![scheme], realm)
    }

    /// Refuses with one challenge per scheme, in order; with no scheme, no challenge.
    pub(crate) fn with_schemes(denial: Denial, schemes: Vec<&'static str>, realm: &str) -> Self {
        Self {
            denial,
            schemes,
            realm: realm.to_owned(),
            misconfigured: false,
        }
    }

    pub(crate) fn misconfigured() -> Self {
        Self {
            denial: Denial::Missing,
            schemes: Vec::new(),
            realm: String::new(),
            misconfigured: true,
        }
    }

    /// Returns why the request was refused, or `None` when the server is misconfigured.
    #[must_use]
    pub fn denial(&self) -> Option<&Denial> {
        (!self.misconfigured).then_some(&self.denial)
    }

    /// Returns the RFC 6750 error code, or `None` when no credential was sent.
    fn error_code(&self) -> Option<&'static str> {
        match self.denial {
            Denial::BadRequest(_) => Some("invalid_request"),
            Denial::InvalidCredential(_) => Some("invalid_token"),
            Denial::InsufficientScope(_) => Some("insufficient_scope"),
            _ => None,
        }
    }

    /// Builds the `WWW-Authenticate` value: one challenge per scheme, auth-params separated by
    /// commas (RFC 7235); `None` when the mechanism has no challenge scheme.
    fn challenge(&self) -> Option<String> {
        let challenges: Vec<String> = self.schemes.iter().map(|s| self.challenge_for(s)).collect();
        (!challenges.is_empty()).then(|| challenges.join(", "))
    }

    fn challenge_for(&self, scheme: &str) -> String {
        let mut challenge = format!("{scheme} ");
        push_param(&mut challenge, "realm", &self.realm);
        if let Some(code) = self.error_code() {
            challenge.push_str(", ");
            push_param(&mut challenge, "error", code);
        }
        if let Denial::InsufficientScope(rule) = self.denial {
            challenge.push_str(", ");
            push_param(&mut challenge, "scope", &rule.scopes().join(" "));
        }
        challenge
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.misconfigured {
            return f.write_str("request refused: route protection is misconfigured");
        }
        write!(f, "request refused: {}", self.denial.reason().code())
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        if self.misconfigured {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        match self.denial {
            Denial::BadRequest(_) => StatusCode::BAD_REQUEST,
            Denial::InsufficientScope(_) | Denial::Forbidden(_) => StatusCode::FORBIDDEN,
            Denial::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if self.misconfigured {
            return response.json(Body {
                error: "server_error",
            });
        }

        if let Denial::Unavailable { retry_after, .. } = self.denial {
            response.insert_header((header::RETRY_AFTER, retry_after.as_secs().max(1)));
            return response.json(Body {
                error: "temporarily_unavailable",
            });
        }

        if let Some(Ok(value)) = self.challenge().map(|c| HeaderValue::from_str(&c)) {
            response.insert_header((header::WWW_AUTHENTICATE, value));
        }
        let error = match self.denial {
            Denial::Forbidden(_) => "forbidden",
            _ => self.error_code().unwrap_or("unauthorized"),
        };
        response.json(Body { error })
    }
}

/// Appends `name="value"` as an RFC 7230 quoted-string, escaping `"` and `\\`.
fn push_param(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[derive(serde::Serialize)]
struct Body {
    error: &'static str,
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use zt_core::{Reason, ScopeRule};

    use super::*;

    fn challenge_of(denial: Denial) -> (StatusCode, Option<String>) {
        let response = Rejection::new(denial, "api").error_response();
        let header = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        (response.status(), header)
    }

    #[test]
    fn missing_credential_gets_a_bare_challenge() {
        let (status, header) = challenge_of(Denial::Missing);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(header.as_deref(), Some("Bearer realm=\"api\""));
    }

    #[test]
    fn refused_token_gets_invalid_token() {
        let (status, header) = challenge_of(Denial::InvalidCredential(Reason::Expired));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            header.unwrap(),
            r#"Bearer realm="api", error="invalid_token""#
        );
    }

    #[test]
    fn missing_scope_names_the_scopes() {
        let (status, header) = challenge_of(Denial::InsufficientScope(ScopeRule::All(&["a", "b"])));
        assert_eq!(status, StatusCode::FORBIDDEN);
        let header = header.unwrap();
        assert_eq!(
            header,
            r#"Bearer realm="api", error="insufficient_scope", scope="a b""#
        );
    }

    #[test]
    fn several_schemes_give_one_challenge_each() {
        let response = Rejection::with_schemes(Denial::Missing, vec!["Bearer", "ApiKey"], "api")
            .error_response();
        let header = response.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert_eq!(
            header.to_str().unwrap(),
            r#"Bearer realm="api", ApiKey realm="api""#
        );
    }

    #[test]
    fn quotes_in_the_realm_are_escaped() {
        let response = Rejection::new(Denial::Missing, r#"a"b\c"#).error_response();
        let header = response.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert_eq!(header.to_str().unwrap(), r#"Bearer realm="a\"b\\c""#);
    }

    #[actix_web::test]
    async fn forbidden_identity_is_403_without_a_challenge() {
        let denial = Denial::Forbidden(Reason::IdentityNotAllowed);
        let response = Rejection::with_schemes(denial, Vec::new(), "api").error_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
        let body = to_bytes(response.into_body()).await.unwrap();
        assert_eq!(&body[..], br#"{"error":"forbidden"}"#);
    }

    #[actix_web::test]
    async fn unavailable_sets_retry_after_and_a_generic_body() {
        let denial = Denial::Unavailable {
            reason: Reason::KeysUnavailable,
            retry_after: std::time::Duration::from_secs(7),
        };
        let response = Rejection::new(denial, "api").error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "7");
        let body = to_bytes(response.into_body()).await.unwrap();
        assert_eq!(&body[..], br#"{"error":"temporarily_unavailable"}"#);
    }
}
