//! The OIDC verifier against the testkit issuer: structure, algorithms, claims, key sets.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::time::Duration;

use serde_json::json;
use zt_core::{Denial, Issuer, OidcVerifier, Provider, Reason};
use zt_testkit::{encode_raw_text, Flavor, KeyAlg, PublicKeyForm, TestIssuer};

fn verifier_for(issuer: &TestIssuer, provider: Provider) -> OidcVerifier {
    let config = match issuer.flavor() {
        Flavor::Okta => Issuer::okta(issuer.issuer()),
        Flavor::Auth0 => Issuer::auth0(issuer.issuer()),
        _ => Issuer::oidc(issuer.issuer()),
    };
    OidcVerifier::new(provider, config.audience(issuer.audience())).unwrap()
}

fn setup(flavor: Flavor) -> (TestIssuer, OidcVerifier) {
    let issuer = TestIssuer::start(flavor).unwrap();
    let verifier = verifier_for(&issuer, Provider::Auth0);
    (issuer, verifier)
}

async fn refused(verifier: &OidcVerifier, token: &str) -> Reason {
    match verifier.verify(token).await {
        Err(Denial::InvalidCredential(reason)) => reason,
        other => panic!("expected an invalid_token denial, got {other:?}"),
    }
}

#[tokio::test]
async fn valid_tokens_of_every_algorithm_are_accepted() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    for alg in [KeyAlg::Rs256, KeyAlg::Es256, KeyAlg::EdDsa] {
        let token = issuer
            .token()
            .algorithm(alg)
            .scopes(&["read", "write"])
            .sign();
        let who = verifier.verify(&token).await.unwrap();
        assert_eq!(who.issuer(), issuer.issuer());
        assert!(who.scopes().contains("read") && who.scopes().contains("write"));
        assert!(who.expires_at().is_some());
    }
}

#[tokio::test]
async fn okta_scopes_come_from_scp_and_client_from_cid() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let verifier = verifier_for(&issuer, Provider::Okta);
    let token = issuer.token().scopes(&["reports:read"]).sign();
    let who = verifier.verify(&token).await.unwrap();
    assert!(who.scopes().contains("reports:read"));
    assert_eq!(who.client_id(), Some(issuer.client_id()));

    let scope_string = issuer.token().claim("scp", json!("reports:read")).sign();
    assert_eq!(refused(&verifier, &scope_string).await, Reason::BadClaims);
}

#[tokio::test]
async fn auth0_permissions_count_only_when_enabled() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let token = issuer
        .token()
        .scopes(&["read"])
        .permissions(&["orders:write"])
        .sign();

    let plain = verifier_for(&issuer, Provider::Auth0);
    let who = plain.verify(&token).await.unwrap();
    assert!(!who.scopes().contains("orders:write"));

    let config = Issuer::auth0(issuer.issuer()).audience(issuer.audience());
    let rbac = OidcVerifier::new(Provider::Auth0, config.include_permissions(true)).unwrap();
    let who = rbac.verify(&token).await.unwrap();
    assert!(who.scopes().contains("orders:write") && who.scopes().contains("read"));
}

#[tokio::test]
async fn structurally_broken_tokens_are_malformed() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let good = issuer.token().sign();
    let cases = [
        "".to_owned(),
        "abc".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        format!("{good}.x"),
        "!!!.???.***".to_owned(),
        "e30.e30.".to_owned(),
        format!("{}=", good),
        encode_raw_text("not json", "{}", b"sig"),
        encode_raw_text(r#"{"alg":"RS256","kid":"x""#, "{}", b"sig"),
    ];
    for token in &cases {
        let reason = refused(&verifier, token).await;
        assert_eq!(reason, Reason::MalformedToken, "token {token:?}");
    }
}

#[tokio::test]
async fn huge_tokens_are_refused_before_parsing() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let padding = "x".repeat(20_000);
    let token = issuer.token().claim("padding", json!(padding)).sign();
    assert_eq!(refused(&verifier, &token).await, Reason::TokenTooLarge);
    assert_eq!(
        issuer.jwks_fetches(),
        0,
        "no key fetch for a token refused on size"
    );
}

#[tokio::test]
async fn alg_none_in_every_spelling_is_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    for spelling in ["none", "None", "NONE", "nOnE"] {
        let token = issuer.token().alg_none_spelled(spelling);
        let reason = refused(&verifier, &token).await;
        assert!(
            matches!(
                reason,
                Reason::MalformedToken | Reason::UnsupportedAlgorithm
            ),
            "{spelling}: {reason:?}"
        );
    }
}

#[tokio::test]
async fn hmac_signed_with_the_public_key_is_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    for form in [
        PublicKeyForm::SpkiPem,
        PublicKeyForm::SpkiPemTrimmed,
        PublicKeyForm::SpkiDer,
        PublicKeyForm::Pkcs1Pem,
        PublicKeyForm::Pkcs1Der,
    ] {
        let token = issuer.token().hmac_with_public_key_as(form);
        assert_eq!(
            refused(&verifier, &token).await,
            Reason::UnsupportedAlgorithm
        );
    }
}

#[tokio::test]
async fn algorithm_other_than_the_pinned_one_is_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let rsa_kid = issuer.current_kid(KeyAlg::Rs256);
    let claims = issuer.token().claims().to_string();
    for alg in [KeyAlg::Es256, KeyAlg::EdDsa] {
        let header = format!(r#"{{"alg":"{}","kid":"{rsa_kid}"}}"#, alg.name());
        let token = issuer.sign_raw_text(alg, &header, &claims);
        assert_eq!(refused(&verifier, &token).await, Reason::AlgorithmMismatch);
    }
    let header = format!(r#"{{"alg":"PS256","kid":"{rsa_kid}"}}"#);
    let token = issuer.sign_raw_text(KeyAlg::Rs256, &header, &claims);
    assert_eq!(refused(&verifier, &token).await, Reason::AlgorithmMismatch);
}

#[tokio::test]
async fn signature_problems_are_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let cases = [
        ("tampered", issuer.token().tampered(), Reason::BadSignature),
        (
            "altered",
            issuer.token().signature_altered(),
            Reason::BadSignature,
        ),
        (
            "stripped",
            issuer.token().signature_stripped(),
            Reason::MalformedToken,
        ),
        (
            "foreign key",
            issuer.token().signed_by_foreign_key(),
            Reason::BadSignature,
        ),
        (
            "embedded jwk",
            issuer.token().embedded_jwk(),
            Reason::BadSignature,
        ),
        (
            "es256 der",
            issuer.token().es256_der_signature(),
            Reason::BadSignature,
        ),
    ];
    for (name, token, expected) in cases {
        assert_eq!(refused(&verifier, &token).await, expected, "{name}");
    }
}

#[tokio::test]
async fn key_ids_must_be_known_and_present() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    assert_eq!(
        refused(&verifier, &issuer.token().unknown_kid()).await,
        Reason::UnknownKey
    );
    let no_kid = issuer.token().without_header("kid").sign();
    assert_eq!(refused(&verifier, &no_kid).await, Reason::MissingKeyId);
}

#[tokio::test]
async fn header_keys_and_key_urls_are_never_fetched_or_trusted() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let token = issuer
        .token()
        .header("jku", json!("http://127.0.0.1:1/keys"))
        .header("x5u", json!("http://127.0.0.1:1/cert"))
        .unknown_kid();
    assert_eq!(refused(&verifier, &token).await, Reason::UnknownKey);
}

#[tokio::test]
async fn unknown_critical_headers_are_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let token = issuer.token().header("crit", json!(["exp-policy"])).sign();
    assert_eq!(
        refused(&verifier, &token).await,
        Reason::UnsupportedCritical
    );
}

#[tokio::test]
async fn issuer_must_match_exactly() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let exact = issuer.issuer().to_owned();
    let variants = [
        exact.trim_end_matches('/').to_owned(),
        exact.to_uppercase(),
        format!("{exact}other/"),
        "https://other-tenant.auth0.com/".to_owned(),
    ];
    for iss in &variants {
        let token = issuer.token().issuer(iss).sign();
        assert_eq!(
            refused(&verifier, &token).await,
            Reason::WrongIssuer,
            "{iss}"
        );
    }
    let array = issuer.token().claim("iss", json!([exact])).sign();
    assert_eq!(refused(&verifier, &array).await, Reason::BadClaims);
    let missing = issuer.token().without_claim("iss").sign();
    assert_eq!(refused(&verifier, &missing).await, Reason::BadClaims);
}

#[tokio::test]
async fn audience_is_required_and_matched() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let ours = issuer.audience().to_owned();
    let array = issuer
        .token()
        .audiences(&[ours.as_str(), "https://x/userinfo"])
        .sign();
    assert!(verifier.verify(&array).await.is_ok());

    let wrong = issuer.token().audience("https://another.api").sign();
    assert_eq!(refused(&verifier, &wrong).await, Reason::WrongAudience);
    let wrong_array = issuer.token().audiences(&["a", "b"]).sign();
    assert_eq!(
        refused(&verifier, &wrong_array).await,
        Reason::WrongAudience
    );
    let missing = issuer.token().without_claim("aud").sign();
    assert_eq!(refused(&verifier, &missing).await, Reason::BadClaims);
    let number = issuer.token().claim("aud", json!(42)).sign();
    assert_eq!(refused(&verifier, &number).await, Reason::BadClaims);
}

#[tokio::test]
async fn time_claims_are_checked_with_a_small_leeway() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let expired = issuer.token().expired().sign();
    assert_eq!(refused(&verifier, &expired).await, Reason::Expired);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let in_leeway = issuer.token().claim("exp", json!(now - 10)).sign();
    assert!(
        verifier.verify(&in_leeway).await.is_ok(),
        "10 s past exp is within the leeway"
    );
    let outside = issuer.token().claim("exp", json!(now - 40)).sign();
    assert_eq!(refused(&verifier, &outside).await, Reason::Expired);

    let future_nbf = issuer.token().not_before(120).sign();
    assert_eq!(refused(&verifier, &future_nbf).await, Reason::NotYetValid);
    let future_iat = issuer.token().issued_at(120).sign();
    assert_eq!(refused(&verifier, &future_iat).await, Reason::NotYetValid);

    let no_exp = issuer.token().without_claim("exp").sign();
    assert_eq!(refused(&verifier, &no_exp).await, Reason::BadClaims);
    let string_exp = issuer
        .token()
        .claim("exp", json!((now + 60).to_string()))
        .sign();
    assert_eq!(refused(&verifier, &string_exp).await, Reason::BadClaims);
    let float_exp = issuer.token().claim("exp", json!(now as f64 + 60.5)).sign();
    assert!(
        verifier.verify(&float_exp).await.is_ok(),
        "NumericDate may be fractional"
    );
}

#[tokio::test]
async fn overly_long_lifetimes_are_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let long = issuer
        .token()
        .lifetime(Duration::from_secs(48 * 3600))
        .sign();
    assert_eq!(refused(&verifier, &long).await, Reason::LifetimeTooLong);
    let huge = issuer.token().claim("exp", json!(u64::MAX / 2)).sign();
    assert_eq!(refused(&verifier, &huge).await, Reason::LifetimeTooLong);
}

#[tokio::test]
async fn id_tokens_and_refresh_tokens_are_not_access_tokens() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let id = issuer.token().id_token().audience(issuer.audience()).sign();
    assert_eq!(refused(&verifier, &id).await, Reason::NotAnAccessToken);
    let refresh = issuer.token().claim("typ", json!("Refresh")).sign();
    assert_eq!(refused(&verifier, &refresh).await, Reason::NotAnAccessToken);
    let header_typ = issuer.token().typ("id_token+jwt").sign();
    assert_eq!(
        refused(&verifier, &header_typ).await,
        Reason::NotAnAccessToken
    );
    let rfc9068 = issuer.token().typ("at+jwt").sign();
    assert!(verifier.verify(&rfc9068).await.is_ok());
}

#[tokio::test]
async fn duplicate_claims_are_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let claims = issuer.token().claims();
    let mut text = claims.to_string();
    text.pop();
    text.push_str(r#","iss":"https://evil.example/"}"#);
    let kid = issuer.current_kid(KeyAlg::Rs256);
    let header = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    let token = issuer.sign_raw_text(KeyAlg::Rs256, &header, &text);
    assert_eq!(refused(&verifier, &token).await, Reason::BadClaims);
}

#[tokio::test]
async fn new_keys_are_picked_up_and_retired_keys_dropped_after_refresh() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let config = Issuer::auth0(issuer.issuer())
        .audience(issuer.audience())
        .refetch_cooldown(Duration::ZERO)
        .refresh_interval(Duration::from_millis(200));
    let verifier = OidcVerifier::new(Provider::Auth0, config).unwrap();
    let old = issuer.token().sign();
    assert!(verifier.verify(&old).await.is_ok());
    let old_kid = issuer.current_kid(KeyAlg::Rs256);

    let new_kid = issuer.rotate();
    let fresh = issuer.token().sign();
    assert!(
        verifier.verify(&fresh).await.is_ok(),
        "a new kid triggers a refetch"
    );
    assert!(
        verifier.verify(&old).await.is_ok(),
        "the old key is still published"
    );
    assert_ne!(old_kid, new_kid);
    assert_eq!(issuer.jwks_fetches(), 2);

    issuer.retire(&old_kid);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = verifier.verify(&fresh).await; // starts the background refresh
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(refused(&verifier, &old).await, Reason::UnknownKey);
    assert!(verifier.verify(&fresh).await.is_ok());
}

#[tokio::test]
async fn a_second_new_key_within_the_cooldown_waits_for_the_next_refresh() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    assert!(verifier.verify(&issuer.token().sign()).await.is_ok());
    issuer.rotate();
    assert!(
        verifier.verify(&issuer.token().sign()).await.is_ok(),
        "first new key: fetched"
    );
    issuer.rotate();
    let second = issuer.token().sign();
    assert_eq!(refused(&verifier, &second).await, Reason::UnknownKey);
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "the default 30 s cooldown bounds fetches"
    );
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_at_most_once_per_cooldown() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    assert!(verifier.verify(&issuer.token().sign()).await.is_ok());
    for _ in 0..200 {
        let token = issuer.token().unknown_kid();
        assert_eq!(refused(&verifier, &token).await, Reason::UnknownKey);
    }
    assert!(
        issuer.jwks_fetches() <= 2,
        "fetched {} times",
        issuer.jwks_fetches()
    );
}

#[tokio::test]
async fn concurrent_first_requests_share_one_fetch() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    issuer.set_delay(Duration::from_millis(200));
    let verifier = std::sync::Arc::new(verifier);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (v, t) = (verifier.clone(), issuer.token().sign());
        tasks.push(tokio::spawn(async move { v.verify(&t).await.is_ok() }));
    }
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(issuer.jwks_fetches(), 1);
}

#[tokio::test]
async fn an_unreachable_issuer_with_nothing_cached_is_unavailable() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    issuer.set_outage(true);
    let token = issuer.token().sign();
    assert!(matches!(
        verifier.verify(&token).await,
        Err(Denial::Unavailable { .. })
    ));
}

#[tokio::test]
async fn cached_keys_keep_working_while_the_issuer_is_down() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    assert!(verifier.verify(&issuer.token().sign()).await.is_ok());
    issuer.set_outage(true);
    assert!(verifier.verify(&issuer.token().sign()).await.is_ok());
    assert_eq!(
        refused(&verifier, &issuer.token().unknown_kid()).await,
        Reason::UnknownKey
    );
}

#[tokio::test]
async fn a_slow_key_endpoint_times_out_into_unavailable() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    issuer.set_delay(Duration::from_secs(3));
    let config = Issuer::auth0(issuer.issuer())
        .audience(issuer.audience())
        .fetch_timeout(Duration::from_millis(300));
    let verifier = OidcVerifier::new(Provider::Auth0, config).unwrap();
    let started = std::time::Instant::now();
    let outcome = verifier.verify(&issuer.token().sign()).await;
    assert!(
        matches!(outcome, Err(Denial::Unavailable { .. })),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_discovery_document_for_another_issuer_is_refused() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    issuer.set_discovery_issuer(Some("https://attacker.example/".to_owned()));
    let outcome = verifier.verify(&issuer.token().sign()).await;
    assert!(
        matches!(outcome, Err(Denial::Unavailable { .. })),
        "{outcome:?}"
    );
    assert_eq!(issuer.jwks_fetches(), 0);
}

#[tokio::test]
async fn odd_keys_in_the_key_set_do_not_hide_good_ones() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    issuer.publish_extra_key(json!({"kty": "oct", "kid": "sym", "k": "c2VjcmV0"}));
    issuer.publish_extra_key(
        json!({"kty": "RSA", "kid": "enc", "use": "enc", "e": "AQAB", "n": "AQAB"}),
    );
    issuer.publish_extra_key(json!({"kty": "unknown", "kid": "odd"}));
    assert!(verifier.verify(&issuer.token().sign()).await.is_ok());
    let sym = issuer.token().kid("sym").hmac_with_public_key();
    assert!(verifier.verify(&sym).await.is_err());
}

#[tokio::test]
async fn debug_output_carries_no_key_material() {
    let (issuer, verifier) = setup(Flavor::Auth0);
    let token = issuer.token().sign();
    let who = verifier.verify(&token).await.unwrap();
    let printed = format!("{verifier:?} {who:?}");
    assert!(!printed.contains(&token));
    assert!(!printed.contains(token.split('.').nth(2).unwrap()));
}

#[tokio::test]
async fn a_remembered_token_is_not_served_past_its_expiry() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let config = Issuer::auth0(issuer.issuer())
        .audience(issuer.audience())
        .leeway(Duration::from_secs(1));
    let verifier = OidcVerifier::new(Provider::Auth0, config).unwrap();
    let token = issuer.token().expires_in(Duration::from_secs(1)).sign();
    assert!(verifier.verify(&token).await.is_ok());
    assert!(
        verifier.verify(&token).await.is_ok(),
        "served again while valid"
    );

    // Past `exp` plus the leeway, in the whole seconds JWT times are counted in.
    tokio::time::sleep(Duration::from_millis(3_500)).await;

    assert_eq!(refused(&verifier, &token).await, Reason::Expired);
}

#[tokio::test]
async fn a_token_remembered_by_one_verifier_is_not_trusted_by_another() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let ours = verifier_for(&issuer, Provider::Auth0);
    let theirs = OidcVerifier::new(
        Provider::Auth0,
        Issuer::auth0(issuer.issuer()).audience("https://another-api.example"),
    )
    .unwrap();
    let token = issuer.token().sign();

    assert!(ours.verify(&token).await.is_ok());

    assert_eq!(refused(&theirs, &token).await, Reason::WrongAudience);
}

#[tokio::test]
async fn the_verified_token_cache_can_be_turned_off() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let config = Issuer::auth0(issuer.issuer())
        .audience(issuer.audience())
        .verified_cache(0);
    let verifier = OidcVerifier::new(Provider::Auth0, config).unwrap();
    let token = issuer.token().sign();

    for _ in 0..3 {
        assert!(verifier.verify(&token).await.is_ok());
    }
    let tampered = issuer.token().tampered();
    assert_eq!(refused(&verifier, &tampered).await, Reason::BadSignature);
}
