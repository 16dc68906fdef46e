//! Interoperability tests: the demo verifies access tokens issued by a real OpenID provider.
//!
//! Each test starts its own `interop/oidc-provider/server.mjs` (npm `oidc-provider`, configured
//! for the client credentials grant with JWT access tokens) and its own `zt-demo` process, both on
//! 127.0.0.1, and points the demo's Auth0 routes at the provider's issuer. Both processes are
//! killed when the test ends, whether it passes or fails.
//!
//! Needs Node.js 20 or later on `PATH` (or its path in `ZT_INTEROP_NODE`). When
//! `interop/oidc-provider/node_modules` is missing, the suite runs `npm ci` there once. A missing
//! `node`, a failed install or a provider that does not start fails the tests with the reason:
//! nothing is skipped.
//!
//! Run with `cargo test -p zt-demo --test oidc_provider`.

// Tests fail by panicking; an unwrap here is an assertion with the panic message as its report.
#![allow(clippy::unwrap_used)]

mod interop;

use std::time::Duration;

use tokio::time::{sleep, Instant};

use interop::{
    assert_accepted, assert_handler_did_not_run, assert_insufficient_scope, assert_invalid_token,
    assert_no_credentials, assert_nothing_listens, assert_scopes_contain, flip_char_in_part,
    jwt_part, strip_signature, unix_now, with_claim, Demo, Provider, CLIENT_ID,
};

/// Resource indicators served by `server.mjs` (see the table at the top of that file).
const API: &str = "https://api.interop.test";
const API_ES: &str = "https://api-es.interop.test";
const API_VIA_ES256: &str = "https://api.interop.test/es256";
const API_SHORT_LIVED: &str = "https://api.interop.test/short-lived";
const API_EXPIRED: &str = "https://api.interop.test/expired";
const OTHER_API: &str = "https://other.interop.test";

/// How long a token that lived one second may still be accepted: its lifetime plus any clock
/// leeway the verifier allows. Generous so that a slow machine does not fail the test.
const SHORT_LIVED_BOUND: Duration = Duration::from_secs(150);

#[tokio::test]
async fn rs256_access_token_from_the_provider_is_accepted() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let health = demo.get("/health", None).await;
    assert_eq!(health.status, 200, "GET /health: {}", health.body);

    let token = provider.token("read", API).await;
    let header = jwt_part(&token, 0);
    assert_eq!(header["alg"], "RS256", "provider header: {header}");
    assert!(
        header["kid"].is_string(),
        "provider header without kid: {header}"
    );
    assert_eq!(jwt_part(&token, 1)["sub"], CLIENT_ID);

    let principal = assert_accepted(&demo.get("/customer", Some(&token)).await);
    assert_eq!(principal["subject"], CLIENT_ID, "principal: {principal}");
    assert_scopes_contain(&principal, "read");

    demo.assert_logs_hide(&[&token]);
    provider.assert_logs_hide(&[&token]);
}

#[tokio::test]
async fn es256_access_token_from_the_provider_is_accepted() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API_ES).await;

    let token = provider.token("read", API_ES).await;
    let header = jwt_part(&token, 0);
    assert_eq!(header["alg"], "ES256", "provider header: {header}");
    assert_eq!(jwt_part(&token, 1)["aud"], API_ES);

    let principal = assert_accepted(&demo.get("/customer", Some(&token)).await);
    assert_eq!(principal["subject"], CLIENT_ID, "principal: {principal}");
    assert_scopes_contain(&principal, "read");

    demo.assert_logs_hide(&[&token]);
}

#[tokio::test]
async fn rs256_and_es256_tokens_for_one_audience_are_both_accepted() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let rs256 = provider.token("read", API).await;
    let es256 = provider.token("read", API_VIA_ES256).await;
    assert_eq!(jwt_part(&es256, 0)["alg"], "ES256");
    assert_eq!(jwt_part(&es256, 1)["aud"], API);

    assert_accepted(&demo.get("/customer", Some(&rs256)).await);
    assert_accepted(&demo.get("/customer", Some(&es256)).await);

    demo.assert_logs_hide(&[&rs256, &es256]);
}

#[tokio::test]
async fn token_without_admin_scope_is_refused_on_the_admin_route_with_insufficient_scope() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let read_only = provider.token("read", API).await;
    assert_eq!(jwt_part(&read_only, 1)["scope"], "read");

    assert_accepted(&demo.get("/customer", Some(&read_only)).await);
    assert_insufficient_scope(
        &demo.get("/customer/admin", Some(&read_only)).await,
        "admin",
    );

    demo.assert_logs_hide(&[&read_only]);
}

#[tokio::test]
async fn token_with_admin_scope_is_accepted_on_the_admin_route() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let admin = provider.token("read admin", API).await;

    let principal = assert_accepted(&demo.get("/customer/admin", Some(&admin)).await);
    assert_eq!(principal["subject"], CLIENT_ID, "principal: {principal}");
    assert_scopes_contain(&principal, "read");
    assert_scopes_contain(&principal, "admin");

    demo.assert_logs_hide(&[&admin]);
}

#[tokio::test]
async fn request_without_token_gets_a_challenge_without_error_code() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    assert_no_credentials(&demo.get("/customer", None).await);
    assert_no_credentials(&demo.get("/customer/admin", None).await);
}

#[tokio::test]
async fn tampered_token_is_refused_with_invalid_token() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let token = provider.token("read", API).await;
    assert_accepted(&demo.get("/customer", Some(&token)).await);

    let variants = [
        (
            "one character of the payload flipped",
            flip_char_in_part(&token, 1),
        ),
        (
            "scope raised to admin in the payload",
            with_claim(&token, "scope", "read admin"),
        ),
        (
            "subject changed in the payload",
            with_claim(&token, "sub", "someone-else"),
        ),
        (
            "one character of the signature flipped",
            flip_char_in_part(&token, 2),
        ),
        ("signature stripped", strip_signature(&token)),
    ];
    for (variant, tampered) in &variants {
        assert_ne!(tampered, &token, "{variant}: the token did not change");
        for path in ["/customer", "/customer/admin"] {
            let answer = demo.get(path, Some(tampered)).await;
            assert_invalid_token(&answer, &format!("{variant}, {path}"));
        }
    }

    let mut secrets: Vec<&str> = vec![&token];
    secrets.extend(variants.iter().map(|(_, tampered)| tampered.as_str()));
    demo.assert_logs_hide(&secrets);
}

#[tokio::test]
async fn expired_token_is_refused_with_invalid_token() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let expired = provider.token("read", API_EXPIRED).await;
    let claims = jwt_part(&expired, 1);
    let now = unix_now();
    assert!(
        claims["exp"].as_u64().unwrap() + 3000 < now,
        "not expired: {claims}"
    );
    assert_eq!(claims["aud"], API);

    assert_invalid_token(
        &demo.get("/customer", Some(&expired)).await,
        "expired an hour ago",
    );

    demo.assert_logs_hide(&[&expired]);
}

#[tokio::test]
async fn token_is_refused_once_its_one_second_lifetime_and_the_leeway_have_passed() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    // Fetches the key set first, so that the short-lived token is checked within its lifetime.
    let warm_up = provider.token("read", API).await;
    assert_accepted(&demo.get("/customer", Some(&warm_up)).await);

    let short_lived = provider.token("read", API_SHORT_LIVED).await;
    let claims = jwt_part(&short_lived, 1);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        1
    );

    let started = Instant::now();
    let mut accepted = 0_u32;
    loop {
        let answer = demo.get("/customer", Some(&short_lived)).await;
        if answer.status == 200 {
            accepted += 1;
            assert!(
                started.elapsed() < SHORT_LIVED_BOUND,
                "a token that expired at {} is still accepted after {:?}",
                claims["exp"],
                started.elapsed()
            );
            sleep(Duration::from_millis(500)).await;
            continue;
        }
        assert_invalid_token(&answer, "lifetime over");
        break;
    }
    eprintln!(
        "short-lived token accepted {accepted} times, refused after {:?}",
        started.elapsed()
    );

    // Once refused, it stays refused.
    for _ in 0..2 {
        let answer = demo.get("/customer", Some(&short_lived)).await;
        assert_invalid_token(&answer, "lifetime over, asked again");
    }

    demo.assert_logs_hide(&[&warm_up, &short_lived]);
}

#[tokio::test]
async fn token_for_another_audience_is_refused_with_invalid_token() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let other = provider.token("read", OTHER_API).await;
    assert_eq!(jwt_part(&other, 1)["aud"], OTHER_API);
    assert_invalid_token(
        &demo.get("/customer", Some(&other)).await,
        "aud of another API",
    );

    let es = provider.token("read", API_ES).await;
    assert_invalid_token(
        &demo.get("/customer", Some(&es)).await,
        "aud of the ES256 API",
    );

    demo.assert_logs_hide(&[&other, &es]);
}

#[tokio::test]
async fn token_from_the_auth0_issuer_is_refused_on_the_okta_route() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let token = provider.token("read", API).await;
    assert_accepted(&demo.get("/customer", Some(&token)).await);
    assert_invalid_token(
        &demo.get("/employee", Some(&token)).await,
        "Auth0 token on Okta",
    );

    demo.assert_logs_hide(&[&token]);
}

#[tokio::test]
async fn token_signed_with_a_rotated_key_is_accepted() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let before = provider.token("read", API).await;
    assert_accepted(&demo.get("/customer", Some(&before)).await);

    let rotation = provider.rotate(false).await;
    let after = provider.token("read", API).await;
    let after_es = provider.token("read", API_VIA_ES256).await;
    assert_eq!(jwt_part(&after, 0)["kid"], rotation.rs256_kid.as_str());
    assert_eq!(jwt_part(&after_es, 0)["kid"], rotation.es256_kid.as_str());
    assert_ne!(jwt_part(&after, 0)["kid"], jwt_part(&before, 0)["kid"]);

    let principal = assert_accepted(&demo.get("/customer", Some(&after)).await);
    assert_eq!(principal["subject"], CLIENT_ID);
    assert_accepted(&demo.get("/customer", Some(&after_es)).await);

    // The previous key is still published during the overlap, so its tokens still verify.
    assert_accepted(&demo.get("/customer", Some(&before)).await);

    demo.assert_logs_hide(&[&before, &after, &after_es]);
}

#[tokio::test]
async fn retired_key_is_refused_once_the_new_key_set_is_fetched() {
    let provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let before = provider.token("read", API).await;
    assert_accepted(&demo.get("/customer", Some(&before)).await);

    let rotation = provider.rotate(true).await;
    let before_kid = jwt_part(&before, 0)["kid"].as_str().unwrap().to_owned();
    assert!(
        !rotation.published.contains(&before_kid),
        "{:?}",
        rotation.published
    );

    // The unknown kid makes the demo fetch the key set, which no longer has the old key.
    let after = provider.token("read", API).await;
    assert_accepted(&demo.get("/customer", Some(&after)).await);
    assert_invalid_token(&demo.get("/customer", Some(&before)).await, "retired key");

    demo.assert_logs_hide(&[&before, &after]);
}

#[tokio::test]
async fn cached_keys_keep_working_while_the_provider_is_down() {
    let mut provider = Provider::start().await;
    let demo = Demo::start(&provider.issuer(), API).await;

    let seen = provider.token("read", API).await;
    let unseen = provider.token("read admin", API).await;
    assert_accepted(&demo.get("/customer", Some(&seen)).await);

    provider.stop();
    assert_nothing_listens(provider.port);

    assert_accepted(&demo.get("/customer", Some(&seen)).await);
    assert_accepted(&demo.get("/customer/admin", Some(&unseen)).await);
    assert_invalid_token(
        &demo
            .get("/customer", Some(&flip_char_in_part(&seen, 2)))
            .await,
        "bad signature while the provider is down",
    );

    demo.assert_logs_hide(&[&seen, &unseen]);
}

#[tokio::test]
async fn unreachable_issuer_with_no_keys_fetched_answers_503_with_retry_after() {
    // Mints a well-formed token whose issuer and audience match the demo's settings, then stops
    // the provider, so that only the missing keys can decide the answer.
    let mut provider = Provider::start().await;
    let issuer = provider.issuer();
    let token = provider.token("read", API).await;
    provider.stop();
    assert_nothing_listens(provider.port);

    let demo = Demo::start(&issuer, API).await;

    for attempt in 1..=2 {
        let answer = demo.get("/customer", Some(&token)).await;
        assert_eq!(answer.status, 503, "attempt {attempt}: {answer:?}");
        let retry_after = answer.retry_after.as_deref();
        let retry_after =
            retry_after.unwrap_or_else(|| panic!("503 without Retry-After: {answer:?}"));
        if let Ok(seconds) = retry_after.trim().parse::<u64>() {
            assert!(seconds > 0, "Retry-After: {retry_after}");
        } else {
            assert!(
                !retry_after.trim().is_empty(),
                "empty Retry-After: {answer:?}"
            );
        }
        assert_handler_did_not_run(&answer);
    }

    // A request without credentials needs no keys: it is challenged as usual.
    assert_no_credentials(&demo.get("/customer", None).await);

    demo.assert_logs_hide(&[&token]);
}
