//! Answers from the demo and the RFC 6750 assertions made on them.

use std::net::TcpStream;

use serde_json::Value;

/// One HTTP answer, with the headers the assertions look at.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) challenge: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

/// A parsed `WWW-Authenticate` challenge: its scheme and its parameters in order.
#[derive(Debug)]
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Parses `Bearer realm="x", error="invalid_token"` (RFC 7235 auth-params, quoted or token).
fn parse_challenge(header: &str) -> Challenge {
    let header = header.trim();
    let (scheme, mut rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = Vec::new();

    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let Some((name, after_name)) = rest.split_once('=') else {
            break;
        };
        let after_name = after_name.trim_start();

        let (value, remainder) = if let Some(quoted) = after_name.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((index, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
                    '"' => {
                        end = index + 1;
                        break;
                    }
                    _ => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after_name.find(',').unwrap_or(after_name.len());
            (after_name[..end].trim().to_owned(), &after_name[end..])
        };

        params.push((name.trim().to_owned(), value));
        rest = remainder;
    }

    Challenge {
        scheme: scheme.to_owned(),
        params,
    }
}

fn bearer_challenge(answer: &Answer, context: &str) -> Challenge {
    let header = answer
        .challenge
        .as_deref()
        .unwrap_or_else(|| panic!("{context}: no WWW-Authenticate header: {answer:?}"));
    let challenge = parse_challenge(header);
    assert!(
        challenge.scheme.eq_ignore_ascii_case("Bearer"),
        "{context}: challenge scheme is not Bearer: {header}"
    );
    assert!(
        challenge
            .param("realm")
            .is_some_and(|realm| !realm.is_empty()),
        "{context}: challenge without realm: {header}"
    );
    challenge
}

/// Asserts a 200 with a JSON principal, and returns the principal.
pub(crate) fn assert_accepted(answer: &Answer) -> Value {
    assert_eq!(answer.status, 200, "expected 200: {answer:?}");
    let principal: Value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|error| panic!("200 body is not JSON ({error}): {}", answer.body));
    assert!(principal["subject"].is_string(), "no subject: {principal}");
    assert!(principal["scopes"].is_array(), "no scopes: {principal}");
    principal
}

pub(crate) fn assert_scopes_contain(principal: &Value, scope: &str) {
    let scopes = principal["scopes"].as_array().unwrap();
    assert!(
        scopes.iter().any(|granted| granted == scope),
        "scope {scope} missing from {principal}"
    );
}

/// Asserts RFC 6750 section 3.1: no credentials, so a challenge without an error code.
pub(crate) fn assert_no_credentials(answer: &Answer) {
    assert_eq!(
        answer.status, 401,
        "expected 401 without credentials: {answer:?}"
    );
    let challenge = bearer_challenge(answer, "no credentials");
    assert!(
        challenge.param("error").is_none(),
        "error code sent although no credentials were: {challenge:?}"
    );
    assert_handler_did_not_run(answer);
}

pub(crate) fn assert_invalid_token(answer: &Answer, context: &str) {
    assert_eq!(answer.status, 401, "{context}: expected 401: {answer:?}");
    let challenge = bearer_challenge(answer, context);
    assert_eq!(
        challenge.param("error"),
        Some("invalid_token"),
        "{context}: {challenge:?}"
    );
    assert_handler_did_not_run(answer);
}

pub(crate) fn assert_insufficient_scope(answer: &Answer, needed: &str) {
    assert_eq!(answer.status, 403, "expected 403: {answer:?}");
    let challenge = bearer_challenge(answer, "insufficient scope");
    assert_eq!(
        challenge.param("error"),
        Some("insufficient_scope"),
        "{challenge:?}"
    );
    let scope = challenge.param("scope");
    let scope = scope.unwrap_or_else(|| panic!("403 challenge without scope: {challenge:?}"));
    assert!(
        scope.split(' ').any(|listed| listed == needed),
        "403 challenge names scope {scope:?}, not {needed:?}"
    );
    assert_handler_did_not_run(answer);
}

/// The demo's handlers answer with the principal; a denial must not carry one.
pub(crate) fn assert_handler_did_not_run(answer: &Answer) {
    assert!(
        !answer.body.contains("\"subject\""),
        "the handler ran on a denied request: {answer:?}"
    );
}

pub(crate) fn assert_nothing_listens(port: u16) {
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something still listens on 127.0.0.1:{port}"
    );
}
