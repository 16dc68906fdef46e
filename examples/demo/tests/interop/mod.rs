//! A harness for running the demo against the OpenID provider of `interop/oidc-provider`.

use std::time::Duration;

mod answer;
mod demo;
mod process;
mod provider;
mod token;

pub(crate) use answer::{
    assert_accepted, assert_handler_did_not_run, assert_insufficient_scope, assert_invalid_token,
    assert_no_credentials, assert_nothing_listens, assert_scopes_contain,
};
pub(crate) use demo::Demo;
pub(crate) use provider::{Provider, CLIENT_ID};
pub(crate) use token::{flip_char_in_part, jwt_part, strip_signature, unix_now, with_claim};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for loopback calls only: no proxy, bounded time.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap()
}
