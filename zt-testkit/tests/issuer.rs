//! The issuer over HTTP: discovery, key set, switches, counters and lifecycle.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;
use zt_testkit::{Flavor, KeyAlg, TestIssuer};

use common::{claims_of, get, header_of, post_form, verify_with};

const FLAVORS: [Flavor; 3] = [Flavor::Okta, Flavor::Auth0, Flavor::Generic];

#[test]
fn urls_follow_each_providers_layout() {
    let okta = TestIssuer::start(Flavor::Okta).unwrap();
    let base = okta.base_url().to_owned();
    assert_eq!(okta.issuer(), format!("{base}/oauth2/default"));
    assert_eq!(
        okta.discovery_url(),
        format!("{base}/oauth2/default/.well-known/openid-configuration")
    );
    assert_eq!(okta.jwks_url(), format!("{base}/oauth2/default/v1/keys"));
    assert_eq!(okta.audience(), "api://default");

    let auth0 = TestIssuer::start(Flavor::Auth0).unwrap();
    let base = auth0.base_url().to_owned();
    assert_eq!(auth0.issuer(), format!("{base}/"));
    assert_eq!(
        auth0.discovery_url(),
        format!("{base}/.well-known/openid-configuration")
    );
    assert_eq!(auth0.jwks_url(), format!("{base}/.well-known/jwks.json"));
    assert_eq!(auth0.audience(), "https://api.example.test");

    let generic = TestIssuer::start(Flavor::Generic).unwrap();
    let base = generic.base_url().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(generic.issuer(), base);
    assert_eq!(generic.jwks_url(), format!("{base}/jwks"));
    assert_eq!(generic.audience(), "zt-test-api");
}

#[test]
fn discovery_advertises_the_issuer_and_its_key_set() {
    for flavor in FLAVORS {
        let issuer = TestIssuer::start(flavor).unwrap();

        let answer = get(&issuer.discovery_url());
        assert_eq!(answer.status, 200, "{flavor:?}");
        let document = answer.json();
        assert_eq!(document["issuer"], issuer.issuer(), "{flavor:?}");
        assert_eq!(document["jwks_uri"], issuer.jwks_url(), "{flavor:?}");
        assert_eq!(document["token_endpoint"], issuer.token_url(), "{flavor:?}");
        assert_eq!(
            document["id_token_signing_alg_values_supported"],
            json!(["RS256", "ES256", "EdDSA"])
        );
    }
}

#[test]
fn okta_also_serves_authorization_server_metadata() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let url = format!("{}/.well-known/oauth-authorization-server", issuer.issuer());

    let answer = get(&url);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["issuer"], issuer.issuer());
}

#[test]
fn key_set_holds_one_key_per_algorithm_and_may_be_cached() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();

    let answer = get(&issuer.jwks_url());
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("cache-control"), Some("max-age=300"));
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));

    let jwks = answer.json();
    let keys = jwks["keys"].as_array().unwrap();
    let summary: Vec<_> = keys
        .iter()
        .map(|key| {
            (
                key["kid"].as_str().unwrap(),
                key["kty"].as_str().unwrap(),
                key["alg"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("rs256-1", "RSA", "RS256"),
            ("es256-1", "EC", "ES256"),
            ("ed-1", "OKP", "EdDSA")
        ]
    );
    for key in keys {
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "the key set leaks {private}");
        }
    }
}

#[test]
fn minted_tokens_verify_against_the_served_key_set_for_every_algorithm() {
    for flavor in FLAVORS {
        let issuer = TestIssuer::start(flavor).unwrap();
        let jwks = get(&issuer.jwks_url()).json();

        for alg in KeyAlg::ALL {
            let token = issuer.token().algorithm(alg).subject("alice").sign();
            assert_eq!(header_of(&token)["alg"], alg.name());

            let claims = verify_with(&jwks, &issuer, &token)
                .unwrap_or_else(|err| panic!("{flavor:?} {alg:?} token refused: {err}"));
            assert_eq!(claims["sub"], "alice");
            assert_eq!(claims["iss"], issuer.issuer());
        }
    }
}

#[test]
fn rotation_publishes_both_keys_until_the_old_one_is_retired() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let before = issuer.token().sign();
    assert_eq!(header_of(&before)["kid"], "rs256-1");

    let new_kid = issuer.rotate();
    assert_eq!(new_kid, "rs256-2");
    assert_eq!(issuer.current_kid(KeyAlg::Rs256), "rs256-2");

    let jwks = get(&issuer.jwks_url()).json();
    let kids: Vec<_> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(
        kids,
        [
            json!("rs256-1"),
            json!("es256-1"),
            json!("ed-1"),
            json!("rs256-2")
        ]
    );

    let after = issuer.token().sign();
    assert_eq!(header_of(&after)["kid"], "rs256-2");
    verify_with(&jwks, &issuer, &before).unwrap();
    verify_with(&jwks, &issuer, &after).unwrap();

    issuer.retire("rs256-1");
    let jwks = get(&issuer.jwks_url()).json();
    assert_eq!(issuer.kids(), ["es256-1", "ed-1", "rs256-2"]);
    assert!(verify_with(&jwks, &issuer, &before).is_err());
    verify_with(&jwks, &issuer, &after).unwrap();
}

#[test]
fn rotating_another_algorithm_numbers_its_keys_separately() {
    let issuer = TestIssuer::builder(Flavor::Generic)
        .default_alg(KeyAlg::Es256)
        .start()
        .unwrap();

    assert_eq!(issuer.rotate(), "es256-2");
    assert_eq!(issuer.rotate_alg(KeyAlg::EdDsa), "ed-2");
    assert_eq!(header_of(&issuer.token().sign())["kid"], "es256-2");
}

#[test]
fn retired_key_still_signs_when_named() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    issuer.rotate();
    issuer.retire("rs256-1");

    let token = issuer.token().kid("rs256-1").sign();
    let old_key = issuer.signing_key("rs256-1").unwrap();
    let decoding = jsonwebtoken::DecodingKey::from_jwk(old_key.public_jwk()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[issuer.audience()]);
    jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
    assert!(common::verify(&issuer, &token).is_err());
}

#[test]
#[should_panic(expected = "publishes no key with kid")]
fn retiring_an_unknown_kid_panics() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    issuer.retire("rs256-7");
}

#[test]
fn outage_answers_503_until_lifted() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();

    issuer.set_outage(true);
    let jwks = get(&issuer.jwks_url());
    assert_eq!(jwks.status, 503);
    assert_eq!(jwks.header("retry-after"), Some("1"));
    assert_eq!(get(&issuer.discovery_url()).status, 503);

    issuer.set_outage(false);
    assert_eq!(get(&issuer.jwks_url()).status, 200);
    assert_eq!(get(&issuer.discovery_url()).status, 200);
}

#[test]
fn counters_count_every_request_including_failed_ones() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    assert_eq!((issuer.jwks_fetches(), issuer.discovery_fetches()), (0, 0));

    get(&issuer.jwks_url());
    get(&issuer.jwks_url());
    get(&issuer.discovery_url());
    issuer.set_outage(true);
    get(&issuer.jwks_url());

    assert_eq!(issuer.jwks_fetches(), 3);
    assert_eq!(issuer.discovery_fetches(), 1);
}

#[test]
fn delay_slows_the_key_set_but_not_discovery() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    issuer.set_delay(Duration::from_millis(1000));

    let started = Instant::now();
    assert_eq!(get(&issuer.jwks_url()).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(1000));

    let started = Instant::now();
    assert_eq!(get(&issuer.discovery_url()).status, 200);
    assert!(started.elapsed() < Duration::from_millis(1000));

    issuer.set_delay(Duration::ZERO);
    let started = Instant::now();
    get(&issuer.jwks_url());
    assert!(started.elapsed() < Duration::from_millis(1000));
}

#[test]
fn discovery_can_advertise_a_different_issuer() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let other = "https://other-tenant.example.test/".to_owned();

    issuer.set_discovery_issuer(Some(other.clone()));
    assert_eq!(
        get(&issuer.discovery_url()).json()["issuer"],
        other.as_str()
    );
    assert_eq!(claims_of(&issuer.token().sign())["iss"], issuer.issuer());

    issuer.set_discovery_issuer(None);
    assert_eq!(
        get(&issuer.discovery_url()).json()["issuer"],
        issuer.issuer()
    );
}

#[test]
fn extra_keys_are_served_after_the_signing_keys() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let encryption =
        json!({ "kty": "RSA", "use": "enc", "kid": "enc-1", "n": "AQAB", "e": "AQAB" });
    let odd = json!({ "kty": "PQC", "kid": "odd-1" });

    issuer.publish_extra_key(encryption.clone());
    issuer.publish_extra_key(odd.clone());
    let keys = get(&issuer.jwks_url()).json()["keys"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(keys.len(), 5);
    assert_eq!(keys[3], encryption);
    assert_eq!(keys[4], odd);

    issuer.clear_extra_keys();
    assert_eq!(
        get(&issuer.jwks_url()).json()["keys"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn token_endpoint_issues_client_credentials_tokens() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();

    let answer = post_form(
        &issuer.token_url(),
        "grant_type=client_credentials&client_id=svc&scope=read%20write",
    );
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let body = answer.json();
    assert_eq!(body["token_type"], "Bearer");

    let token = body["access_token"].as_str().unwrap();
    let claims = common::verify(&issuer, token).unwrap();
    assert_eq!(claims["sub"], "svc@clients");
    assert_eq!(claims["azp"], "svc");
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["aud"], issuer.audience());
    assert_eq!(claims["gty"], "client-credentials");
}

#[test]
fn token_endpoint_refuses_other_grants() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();

    let answer = post_form(
        &issuer.token_url(),
        "grant_type=password&username=a&password=b",
    );
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn serves_from_inside_a_tokio_test() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let url = issuer.jwks_url();

    let answer = tokio::task::spawn_blocking(move || get(&url))
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
}

#[actix_web::test]
async fn serves_from_inside_an_actix_test() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();

    assert_eq!(get(&issuer.discovery_url()).status, 200);
    drop(issuer);
}

#[test]
fn starts_on_a_fixed_loopback_address() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let issuer = TestIssuer::start_on(Flavor::Generic, addr).unwrap();
    assert_eq!(issuer.local_addr(), addr);
    assert_eq!(issuer.issuer(), format!("http://127.0.0.1:{port}"));
    assert_eq!(get(&issuer.jwks_url()).status, 200);
}

#[test]
fn refuses_to_listen_beyond_loopback() {
    let addr = SocketAddr::from(([0, 0, 0, 0], 0));

    let err = TestIssuer::start_on(Flavor::Generic, addr).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn stops_when_the_last_handle_drops() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let addr = issuer.local_addr();
    let clone = issuer.clone();

    drop(issuer);
    assert_eq!(get(&clone.jwks_url()).status, 200);

    drop(clone);
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn shutdown_stops_serving_but_minting_goes_on() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();

    issuer.shutdown();
    assert!(TcpStream::connect(issuer.local_addr()).is_err());
    assert!(common::verify(&issuer, &issuer.token().sign()).is_ok());
    issuer.shutdown();
}

#[test]
fn debug_shows_the_issuer_and_key_ids_only() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();

    let printed = format!("{issuer:?}");
    assert!(printed.contains(issuer.issuer()));
    assert!(printed.contains("rs256-1") && printed.contains("es256-1") && printed.contains("ed-1"));
    assert!(!printed.contains("BEGIN"));
    assert!(
        printed.len() < 300,
        "Debug prints more than the issuer and kids: {printed}"
    );

    let key = issuer.signing_key("rs256-1").unwrap();
    assert_eq!(
        format!("{key:?}"),
        "SigningKey { kid: \"rs256-1\", alg: Rs256, .. }"
    );
}
