//! Checks that the committed fixtures and seeds still reach the accepting paths: a seed
//! corpus that only ever fails early would leave the fuzzers far from the interesting code.
//! Run from `fuzz/` with `cargo test`.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use zt_core::verify::mtls::{PeerIdentity, ProxyFormat, ProxyRefusal};

const SPIFFE_ID: &str = "spiffe://example.test/service/billing";

fn seed(target: &str, n: usize) -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target)
        .join(format!("seed-{n:02}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn proxy_seeds_identify_the_client_from_a_trusted_proxy_only() {
    for (format, target) in [
        (ProxyFormat::AlbVerify, "proxy_alb_verify"),
        (ProxyFormat::AlbPassthrough, "proxy_alb_passthrough"),
        (ProxyFormat::Xfcc, "proxy_xfcc"),
        (ProxyFormat::Rfc9440, "proxy_rfc9440"),
    ] {
        let config = zt_fuzz::forwarded(format, |b| b);
        let who = zt_fuzz::identify(&config, &seed(target, 0))
            .expect("a non-empty seed")
            .unwrap_or_else(|e| panic!("{target}: {e:?}"))
            .expect("an identity");
        assert_eq!(who.spiffe_id(), Some(SPIFFE_ID), "{target}");

        let mut forged = seed(target, 0);
        forged[0] |= 1;
        let refused = zt_fuzz::identify(&config, &forged).expect("a non-empty seed");
        assert!(matches!(refused, Err(ProxyRefusal::Forged)), "{target}");
    }

    let config = zt_fuzz::forwarded(ProxyFormat::AlbPassthrough, |b| b);
    let revoked = zt_fuzz::identify(&config, &seed("proxy_alb_passthrough", 3));
    assert!(
        matches!(revoked, Some(Err(_))),
        "the revoked leaf is refused"
    );
}

#[test]
fn certificate_seeds_parse() {
    let who = PeerIdentity::from_der(&seed("mtls_identity", 0)).expect("the leaf parses");
    assert_eq!(who.spiffe_id(), Some(SPIFFE_ID));
    let who = PeerIdentity::from_der(&seed("mtls_identity", 1)).expect("the DNS leaf parses");
    assert_eq!(who.dns_names(), ["billing.example.test"]);
}

#[test]
fn api_key_seed_is_a_well_formed_key() {
    let (id, secret) = zt_fuzz::API_KEYS[0];
    let key = zt_fuzz::api_key(id, secret);
    assert_eq!(seed("api_key", 0), key.as_bytes());
    assert_eq!(key.len(), 4 + 12 + 1 + 32 + 6);
}

#[test]
fn psk_seed_verifies_once_then_is_a_replay() {
    use zt_core::secret::{MemorySource, Secret, SecretPolicy};
    use zt_core::verify::psk::{PskSettings, PskVerifier, RequestParts, SignedHeaders};

    let runtime = zt_fuzz::runtime();
    let source = MemorySource::new();
    source.set_current(zt_fuzz::PSK_PREVIOUS);
    source.rotate(zt_fuzz::PSK_CURRENT);
    let secret = Secret::new("fuzz-hook", source, SecretPolicy::default()).unwrap();
    runtime.block_on(secret.refresh_now()).unwrap();
    let verifier = PskVerifier::new("fuzz-hook", secret, PskSettings::default()).unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(zt_fuzz::PSK_NOW);

    for n in [0, 1] {
        let input = seed("psk_signed", n);
        let f = zt_fuzz::fields(&input, 7);
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        let headers = SignedHeaders::parse(&text(f[1]), &text(f[2])).unwrap();
        let (method, path, query) = (text(f[3]), text(f[4]), text(f[5]));
        let request = RequestParts {
            method: &method,
            path: &path,
            query: &query,
            body: f[6],
        };
        let first = runtime.block_on(verifier.verify_signed_at(&headers, request, now));
        assert!(first.is_ok(), "seed {n}: {first:?}");
        let again = runtime.block_on(verifier.verify_signed_at(&headers, request, now));
        assert!(again.is_err(), "seed {n} replayed");
    }
}

#[test]
fn claims_seeds_are_accepted_by_their_profile() {
    let oidc = zt_fuzz::Oidc::new();
    let header = zt_fuzz::token_header();
    for n in 0..4 {
        let input = seed("oidc_claims", n);
        let verifier = &oidc.verifiers[usize::from(input[0] & 3)];
        let token = zt_fuzz::sign_token(&header, &zt_fuzz::claims_payload(&input[1..]));
        let who = oidc.runtime.block_on(verifier.verify(&token));
        assert!(who.is_ok(), "seed {n}: {who:?}");
    }
}

#[test]
fn token_seed_reaches_the_claim_checks() {
    let oidc = zt_fuzz::Oidc::new();
    let token = String::from_utf8(seed("oidc_token", 0)).unwrap();
    // Signed by the right key; refused only for its (fixed, far-future) times.
    let refused = oidc.runtime.block_on(oidc.verifiers[1].verify(&token));
    assert!(
        matches!(
            refused,
            Err(zt_core::Denial::InvalidCredential(
                zt_core::Reason::NotYetValid | zt_core::Reason::LifetimeTooLong
            ))
        ),
        "{refused:?}"
    );
}
