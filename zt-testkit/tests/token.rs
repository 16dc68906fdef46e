//! Token shapes per flavor, the setters, and the broken finishers.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use zt_testkit::{
    encode_raw, encode_raw_text, Flavor, KeyAlg, PublicKeyForm, SigningKey, TestIssuer,
};

use common::{claims_of, header_of, signature_of, verify};

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[test]
fn okta_access_token_has_okta_shape() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let token = issuer
        .token()
        .scopes(&["orders:read", "orders:write"])
        .sign();

    let header = header_of(&token);
    assert_eq!(header, json!({ "alg": "RS256", "kid": "rs256-1" }));

    let claims = claims_of(&token);
    assert_eq!(claims["ver"], 1);
    assert_eq!(claims["iss"], issuer.issuer());
    assert_eq!(claims["aud"], "api://default");
    assert_eq!(claims["sub"], "00u1example");
    assert_eq!(claims["uid"], "00u1example");
    assert_eq!(claims["cid"], "0oa1example");
    assert_eq!(claims["scp"], json!(["orders:read", "orders:write"]));
    assert!(claims["jti"].as_str().unwrap().starts_with("AT."));
    assert!(claims.get("scope").is_none());
    verify(&issuer, &token).unwrap();
}

#[test]
fn auth0_access_token_has_auth0_shape() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();
    let token = issuer.token().permissions(&["read:orders"]).sign();

    assert_eq!(header_of(&token)["typ"], "JWT");
    let claims = claims_of(&token);
    assert_eq!(claims["iss"], issuer.issuer());
    assert!(issuer.issuer().ends_with('/'));
    assert_eq!(
        claims["aud"],
        json!([issuer.audience(), format!("{}userinfo", issuer.issuer())])
    );
    assert_eq!(claims["azp"], "zt-test-client");
    assert_eq!(claims["scope"], "openid profile");
    assert_eq!(claims["permissions"], json!(["read:orders"]));
    verify(&issuer, &token).unwrap();
}

#[test]
fn generic_access_token_follows_rfc_9068() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let token = issuer.token().scopes(&["read"]).sign();

    assert_eq!(header_of(&token)["typ"], "at+jwt");
    let claims = claims_of(&token);
    for name in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        assert!(claims.get(name).is_some(), "missing {name}");
    }
    assert_eq!(claims["scope"], "read");
    assert!(
        issuer.token().claims().get("scope").is_none(),
        "no scope by default"
    );
}

#[test]
fn default_times_are_now_and_five_minutes_on() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let claims = issuer.token().claims();

    let iat = claims["iat"].as_i64().unwrap();
    assert!((iat - now()).abs() <= 2);
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 300);
    assert!(claims.get("nbf").is_none());
}

#[test]
fn time_setters_move_the_claims() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let base = issuer.token().claims()["iat"].as_i64().unwrap();

    let expired = claims_of(&issuer.token().expired().sign());
    assert!((expired["exp"].as_i64().unwrap() - (base - 600)).abs() <= 2);
    assert!(expired["iat"].as_i64().unwrap() < expired["exp"].as_i64().unwrap());
    let err = verify(&issuer, &issuer.token().expired().sign()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::ExpiredSignature);

    let later = issuer
        .token()
        .expires_in(Duration::from_secs(3600))
        .claims();
    assert!((later["exp"].as_i64().unwrap() - (base + 3600)).abs() <= 2);

    let early = issuer.token().not_before(120).claims();
    assert!((early["nbf"].as_i64().unwrap() - (base + 120)).abs() <= 2);

    let long = issuer
        .token()
        .lifetime(Duration::from_secs(86_400))
        .issued_at(-30)
        .claims();
    assert_eq!(
        long["exp"].as_i64().unwrap(),
        long["iat"].as_i64().unwrap() + 86_400
    );
}

#[test]
fn claim_and_header_setters_write_values_as_given() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let token = issuer
        .token()
        .claim("exp", json!(1.5e9))
        .claim("iss", json!([issuer.issuer()]))
        .without_claim("sub")
        .header("crit", json!(["zt-unknown"]))
        .header("jku", json!("https://attacker.example.test/keys"))
        .typ("application/at+jwt")
        .without_header("kid")
        .sign();

    let claims = claims_of(&token);
    assert_eq!(claims["exp"], json!(1.5e9));
    assert!(claims["iss"].is_array());
    assert!(claims.get("sub").is_none());

    let header = header_of(&token);
    assert_eq!(header["crit"], json!(["zt-unknown"]));
    assert_eq!(header["jku"], "https://attacker.example.test/keys");
    assert_eq!(header["typ"], "application/at+jwt");
    assert!(header.get("kid").is_none());
}

#[test]
fn audience_and_subject_setters() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();

    assert_eq!(issuer.token().audience("x").claims()["aud"], "x");
    assert_eq!(
        issuer.token().audiences(&["a", "b"]).claims()["aud"],
        json!(["a", "b"])
    );
    assert_eq!(
        issuer.token().audiences::<&str>(&[]).claims()["aud"],
        json!([])
    );
    assert_eq!(
        issuer.token().issuer("https://other/").claims()["iss"],
        "https://other/"
    );
    assert_eq!(
        issuer.token().subject("auth0|alice").claims()["sub"],
        "auth0|alice"
    );
    assert!(issuer
        .token()
        .scopes::<&str>(&[])
        .claims()
        .get("scope")
        .is_none());
}

#[test]
fn header_alg_can_disagree_with_the_signing_key() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let token = issuer.token().header("alg", json!("PS256")).sign();

    assert_eq!(header_of(&token)["alg"], "PS256");
    assert!(verify(&issuer, &token).is_err());
}

#[test]
fn alg_none_comes_in_every_spelling() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();

    let token = issuer.token().alg_none();
    assert_eq!(header_of(&token)["alg"], "none");
    assert!(token.ends_with('.'));
    assert_eq!(token.split('.').count(), 3);

    for spelling in ["None", "NONE", "nOnE"] {
        let token = issuer.token().alg_none_spelled(spelling);
        assert_eq!(header_of(&token)["alg"], spelling);
        assert!(signature_of(&token).is_empty());
    }
}

#[test]
fn hmac_with_public_key_is_a_valid_mac_over_the_public_key() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let key = issuer.signing_key("rs256-1").unwrap();

    for form in [
        PublicKeyForm::SpkiPem,
        PublicKeyForm::SpkiPemTrimmed,
        PublicKeyForm::SpkiDer,
        PublicKeyForm::Pkcs1Pem,
        PublicKeyForm::Pkcs1Der,
    ] {
        let token = issuer.token().hmac_with_public_key_as(form);
        assert_eq!(header_of(&token)["alg"], "HS256");
        assert_eq!(header_of(&token)["kid"], "rs256-1");

        let secret = DecodingKey::from_secret(&key.public_key_bytes(form)).unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[issuer.audience()]);
        decode::<Value>(&token, &secret, &validation).unwrap();
        assert!(verify(&issuer, &token).is_err());
    }

    let pem = String::from_utf8(key.public_key_bytes(PublicKeyForm::SpkiPem)).unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let default = issuer.token().hmac_with_public_key();
    let secret = DecodingKey::from_secret(pem.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[issuer.audience()]);
    decode::<Value>(&default, &secret, &validation).unwrap();
}

#[test]
fn unknown_kid_is_signed_by_the_real_key() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let token = issuer.token().unknown_kid();

    let kid = header_of(&token)["kid"].as_str().unwrap().to_owned();
    assert!(!issuer.kids().contains(&kid));
    assert!(verify(&issuer, &token).is_err());

    let real = issuer.signing_key("rs256-1").unwrap();
    let decoding = DecodingKey::from_jwk(real.public_jwk()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[issuer.audience()]);
    decode::<Value>(&token, &decoding, &validation).unwrap();
}

#[test]
fn kid_setter_names_any_kid() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();

    let token = issuer.token().kid("made-up").sign();
    assert_eq!(header_of(&token)["kid"], "made-up");
    assert_eq!(header_of(&token)["alg"], "RS256");

    let token = issuer.token().kid("ed-1").sign();
    assert_eq!(header_of(&token)["alg"], "EdDSA");
    verify(&issuer, &token).unwrap();
}

#[test]
fn tampered_payload_keeps_the_old_signature() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();

    let token = issuer.token().subject("alice").tampered();
    assert_eq!(claims_of(&token)["sub"], "admin");
    assert_eq!(
        verify(&issuer, &token).unwrap_err().kind(),
        &ErrorKind::InvalidSignature
    );

    let token = issuer.token().tampered_with("scope", json!("admin"));
    assert_eq!(claims_of(&token)["scope"], "admin");
    assert!(verify(&issuer, &token).is_err());
}

#[test]
fn stripped_and_altered_signatures_fail() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();

    let stripped = issuer.token().signature_stripped();
    assert!(stripped.ends_with('.'));
    assert_eq!(header_of(&stripped)["alg"], "RS256");
    assert!(verify(&issuer, &stripped).is_err());

    for alg in KeyAlg::ALL {
        let altered = issuer.token().algorithm(alg).signature_altered();
        assert_eq!(
            verify(&issuer, &altered).unwrap_err().kind(),
            &ErrorKind::InvalidSignature
        );
    }
}

#[test]
fn ecdsa_edge_cases() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();

    let der = issuer.token().es256_der_signature();
    assert_eq!(header_of(&der)["alg"], "ES256");
    let signature = signature_of(&der);
    assert_eq!(signature[0], 0x30, "an ASN.1 SEQUENCE");
    assert_ne!(signature.len(), 64);
    assert!(verify(&issuer, &der).is_err());

    let zero = issuer
        .token()
        .algorithm(KeyAlg::Es256)
        .with_signature(&[0; 64]);
    assert_eq!(signature_of(&zero), vec![0; 64]);
    assert!(verify(&issuer, &zero).is_err());
}

#[test]
fn foreign_key_token_uses_a_real_kid_and_fails() {
    let issuer = TestIssuer::start(Flavor::Auth0).unwrap();

    for alg in KeyAlg::ALL {
        let token = issuer.token().algorithm(alg).signed_by_foreign_key();
        assert_eq!(header_of(&token)["kid"], issuer.current_kid(alg));
        assert_eq!(header_of(&token)["alg"], alg.name());
        assert_eq!(
            verify(&issuer, &token).unwrap_err().kind(),
            &ErrorKind::InvalidSignature
        );
    }
}

#[test]
fn embedded_jwk_verifies_only_with_the_attackers_key() {
    let issuer = TestIssuer::start(Flavor::Okta).unwrap();
    let token = issuer.token().embedded_jwk();

    let header = header_of(&token);
    assert_eq!(header["kid"], "rs256-1");
    let embedded: jsonwebtoken::jwk::Jwk = serde_json::from_value(header["jwk"].clone()).unwrap();
    assert!(header["jwk"].get("d").is_none());

    let attacker = DecodingKey::from_jwk(&embedded).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[issuer.audience()]);
    decode::<Value>(&token, &attacker, &validation).unwrap();
    assert!(verify(&issuer, &token).is_err());
}

#[test]
fn id_token_is_shaped_for_the_client() {
    for flavor in [Flavor::Okta, Flavor::Auth0, Flavor::Generic] {
        let issuer = TestIssuer::start(flavor).unwrap();
        let token = issuer.token().id_token().sign();

        let claims = claims_of(&token);
        assert_eq!(claims["aud"], issuer.client_id(), "{flavor:?}");
        for name in ["nonce", "at_hash", "auth_time"] {
            assert!(claims.get(name).is_some(), "{flavor:?} misses {name}");
        }
        for name in ["scp", "scope", "cid", "client_id"] {
            assert!(claims.get(name).is_none(), "{flavor:?} keeps {name}");
        }
        assert_ne!(header_of(&token)["typ"], "at+jwt");
    }

    let okta = TestIssuer::start(Flavor::Okta).unwrap();
    assert!(claims_of(&okta.token().id_token().sign())["jti"]
        .as_str()
        .unwrap()
        .starts_with("ID."));
}

#[test]
fn client_credentials_shape_per_flavor() {
    let okta = TestIssuer::start(Flavor::Okta).unwrap();
    let claims = okta
        .token()
        .client_credentials("0oaservice")
        .scopes(&["svc"])
        .claims();
    assert_eq!(claims["sub"], "0oaservice");
    assert_eq!(claims["cid"], "0oaservice");
    assert!(claims.get("uid").is_none());
    assert_eq!(claims["scp"], json!(["svc"]));

    let generic = TestIssuer::start(Flavor::Generic).unwrap();
    let claims = generic.token().client_credentials("svc").claims();
    assert_eq!(
        (claims["sub"].as_str(), claims["client_id"].as_str()),
        (Some("svc"), Some("svc"))
    );
}

#[test]
fn raw_text_keeps_duplicate_claims_under_a_valid_signature() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let header = format!(
        r#"{{"alg":"ES256","kid":"{}"}}"#,
        issuer.current_kid(KeyAlg::Es256)
    );
    let claims = r#"{"sub":"alice","sub":"admin"}"#;

    let token = issuer.sign_raw_text(KeyAlg::Es256, &header, claims);
    let payload = token.split('.').nth(1).unwrap();
    let text =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap();
    assert_eq!(text, claims.as_bytes());

    let key = issuer.signing_key("es256-1").unwrap();
    let decoding = DecodingKey::from_jwk(key.public_jwk()).unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    assert!(jsonwebtoken::crypto::verify(
        signature,
        message.as_bytes(),
        &decoding,
        Algorithm::ES256
    )
    .unwrap());
}

#[test]
fn segments_are_signed_as_given() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();

    let token = issuer.sign_segments(KeyAlg::Rs256, "e30=", "!!notbase64");
    assert!(token.starts_with("e30=.!!notbase64."));
}

#[test]
fn raw_encoders_check_nothing() {
    let token = encode_raw(&json!({ "alg": "none" }), &json!({ "sub": "a" }), &[]);
    assert_eq!(header_of(&token), json!({ "alg": "none" }));

    let token = encode_raw_text("{not json", "[]", b"sig");
    assert_eq!(token.split('.').count(), 3);
    assert!(!token.contains('='));
}

#[test]
fn generated_keys_sign_what_jsonwebtoken_verifies() {
    for alg in KeyAlg::ALL {
        let key = SigningKey::generate(alg, "own");
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(alg.algorithm()),
            &json!({ "sub": "x", "exp": now() + 60 }),
            key.encoding_key(),
        )
        .unwrap();

        let decoding = DecodingKey::from_jwk(key.public_jwk()).unwrap();
        let mut validation = Validation::new(alg.algorithm());
        validation.validate_aud = false;
        decode::<Value>(&token, &decoding, &validation).unwrap();
    }
}

#[test]
fn builder_debug_shows_claims_but_no_key_material() {
    let issuer = TestIssuer::start(Flavor::Generic).unwrap();
    let printed = format!("{:?}", issuer.token().subject("alice"));

    assert!(printed.contains("alice"));
    assert!(!printed.contains("BEGIN"));
}
