//! What the fuzz targets share: fixed keys and secrets, a local key-set server, the trust
//! bundle of the proxy targets, and the framing of fuzz inputs.
//!
//! Everything here is built once per fuzzing process (the targets keep it in a `OnceLock`),
//! so each execution costs only the call under test.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The issuer every token target trusts (never contacted: keys come from `jwks_uri`).
pub const ISSUER: &str = "https://issuer.fuzz.test/oauth2/default";
/// The audience every token target requires.
pub const AUDIENCE: &str = "api://fuzz";
/// The key id of the fixed signing key.
pub const KID: &str = "fuzz-ed25519";
/// The fixed Ed25519 seed of the token signing key (test material, not a secret).
pub const SIGNING_SEED: [u8; 32] = *b"zt-fuzz fixed ed25519 key seed!!";

/// The pre-shared secret the PSK target verifies against (its current version).
pub const PSK_CURRENT: &[u8] = b"zt-fuzz current pre-shared secret, 48 bytes long";
/// The previous version of the pre-shared secret, still accepted.
pub const PSK_PREVIOUS: &[u8] = b"zt-fuzz previous pre-shared secret, 49 bytes long";
/// The clock the PSK target verifies at (unix seconds).
pub const PSK_NOW: u64 = 1_780_000_000;

/// The ids and secrets of the API keys in the fuzzed ring; full keys via [`api_key`].
pub const API_KEYS: [(&str, &str); 4] = [
    ("Valid0000001", "abcdefghijABCDEFGHIJ0123456789ab"),
    ("Expired00002", "bcdefghijABCDEFGHIJ0123456789abc"),
    ("Disabled0003", "cdefghijABCDEFGHIJ0123456789abcd"),
    ("NotYet000004", "defghijABCDEFGHIJ0123456789abcde"),
];

/// The network the proxy targets trust, and the peer they call from.
pub const PROXY_NETWORK: &str = "10.0.0.0/8";

/// Splits a fuzz input into `n` fields separated by NUL bytes; the last field takes the rest
/// (NULs included), missing fields are empty.
#[must_use]
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0).collect();
    out.resize(n, &[]);
    out
}

/// Joins fields as [`fields`] splits them; the seed writer's inverse.
#[must_use]
pub fn join(fields: &[&[u8]]) -> Vec<u8> {
    fields.join(&0u8)
}

/// Reads bytes as text the way an HTTP header value reaches the verifiers: invalid UTF-8
/// is replaced, never refused here.
#[must_use]
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Returns the current unix time in seconds.
#[must_use]
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Builds a full API key from an id and a secret, with its checksum (see zt-core's format).
#[must_use]
pub fn api_key(id: &str, secret: &str) -> String {
    const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut key = format!("ztk_{id}_{secret}");
    let mut value = crc32fast::hash(key.as_bytes());
    let mut sum = [b'0'; 6];
    for slot in sum.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    key.extend(sum.iter().map(|&b| char::from(b)));
    key
}

/// Returns the fixed signing key.
///
/// # Panics
///
/// Never: the seed is a valid Ed25519 seed.
#[must_use]
pub fn signing_key() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&SIGNING_SEED).expect("a 32-byte seed is a valid key")
}

/// Returns the key set document publishing the signing key's public half.
#[must_use]
pub fn jwks() -> String {
    let x = URL_SAFE_NO_PAD.encode(signing_key().public_key().as_ref());
    serde_json::json!({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": KID, "x": x}
    ]})
    .to_string()
}

/// Signs `payload` (raw bytes, used as given) under `header` (JSON) with the fixed key.
#[must_use]
pub fn sign_token(header: &[u8], payload: &[u8]) -> String {
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let signature = signing_key().sign(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature.as_ref()));
    token
}

/// The header of tokens the harness signs itself.
#[must_use]
pub fn token_header() -> Vec<u8> {
    format!(r#"{{"alg":"EdDSA","kid":"{KID}","typ":"at+jwt"}}"#).into_bytes()
}

/// Serves the key set over plain HTTP on a loopback port, for the life of the process;
/// returns the URL to configure as `jwks_uri`.
///
/// # Panics
///
/// Panics if no loopback port can be bound, which leaves nothing to fuzz.
#[must_use]
pub fn serve_jwks() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("bound address");
    let body = jwks();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{addr}/keys")
}

/// Returns a current-thread runtime able to fetch keys and run timers.
///
/// # Panics
///
/// Panics if the runtime cannot be built.
#[must_use]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// The token verifiers the OIDC targets use, by profile: Okta, Auth0, Auth0 with RBAC
/// permissions, generic; all trust [`ISSUER`] and fetch keys from a local server.
pub struct Oidc {
    /// Runs the verifiers (one key fetch each, at setup).
    pub runtime: tokio::runtime::Runtime,
    /// One verifier per profile, in the order above.
    pub verifiers: Vec<zt_core::OidcVerifier>,
}

impl Oidc {
    /// Starts the key server, builds the verifiers and checks that each accepts a fresh
    /// token (which also fetches the keys).
    ///
    /// # Panics
    ///
    /// Panics if a verifier refuses the fresh token: the setup would be broken.
    #[must_use]
    pub fn new() -> Self {
        use zt_core::{Issuer, OidcVerifier, Provider};

        let jwks_uri = serve_jwks();
        let month = Duration::from_secs(30 * 24 * 3600);
        let tune = |issuer: Issuer| {
            issuer
                .audience(AUDIENCE)
                .jwks_uri(jwks_uri.clone())
                .refresh_interval(month)
                .max_stale(month * 2)
                .refetch_cooldown(month)
        };
        let configs = [
            (Provider::Okta, tune(Issuer::okta(ISSUER))),
            (Provider::Auth0, tune(Issuer::auth0(ISSUER))),
            (
                Provider::Auth0,
                tune(Issuer::auth0(ISSUER)).include_permissions(true),
            ),
            (Provider::Auth0, tune(Issuer::oidc(ISSUER))),
        ];
        let verifiers: Vec<OidcVerifier> = configs
            .into_iter()
            .map(|(provider, issuer)| OidcVerifier::new(provider, issuer).expect("valid issuer"))
            .collect();
        let runtime = runtime();
        let token = sign_token(&token_header(), &claims_payload(&fresh_claims()));
        for verifier in &verifiers {
            let who = runtime.block_on(verifier.verify(&token));
            assert!(who.is_ok(), "a fresh token must verify: {who:?}");
        }
        Self { runtime, verifiers }
    }
}

impl Default for Oidc {
    fn default() -> Self {
        Self::new()
    }
}

/// Claims every profile accepts, with times relative to now (see [`claims_payload`]).
#[must_use]
pub fn fresh_claims() -> Vec<u8> {
    format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"warmup","iat":0,"exp":600}}"#)
        .into_bytes()
}

/// Prepares a fuzzed payload for signing: when it is a JSON object, its numeric `exp`,
/// `iat` and `nbf` below 10^9 are read as offsets from now (so valid tokens stay within
/// reach); any other payload is returned as given.
#[must_use]
pub fn claims_payload(payload: &[u8]) -> Vec<u8> {
    relative_times(payload).unwrap_or_else(|| payload.to_vec())
}

fn relative_times(payload: &[u8]) -> Option<Vec<u8>> {
    let serde_json::Value::Object(mut claims) = serde_json::from_slice(payload).ok()? else {
        return None;
    };
    #[allow(clippy::cast_precision_loss)] // Unix seconds fit an f64 exactly.
    let now = unix_now() as f64;
    let mut changed = false;
    for name in ["exp", "iat", "nbf"] {
        let Some(value) = claims.get_mut(name) else {
            continue;
        };
        if let Some(offset) = value.as_f64().filter(|v| v.abs() < 1e9) {
            let at = now + offset;
            #[allow(clippy::cast_possible_truncation)] // Within ±10^9 of now.
            let replacement = if value.is_f64() {
                serde_json::json!(at)
            } else {
                serde_json::json!(at as i64)
            };
            *value = replacement;
            changed = true;
        }
    }
    changed.then(|| serde_json::Value::Object(claims).to_string().into_bytes())
}

/// Fixtures of the proxy and certificate targets, written by `examples/write_seeds.rs`.
pub mod fixtures {
    /// The root CA certificate (DER) the proxy targets trust.
    pub const ROOT: &[u8] = include_bytes!("../fixtures/root.der");
    /// The intermediate CA certificate (DER), configured for leaves forwarded alone.
    pub const INTERMEDIATE: &[u8] = include_bytes!("../fixtures/intermediate.der");
    /// The root's CRL (DER), covering the intermediate.
    pub const ROOT_CRL: &[u8] = include_bytes!("../fixtures/root-crl.der");
    /// The intermediate's CRL (DER), covering the leaves; lists one revoked leaf.
    pub const INTERMEDIATE_CRL: &[u8] = include_bytes!("../fixtures/intermediate-crl.der");
}

/// Builds the proxy configuration of `format` the proxy targets fuzz.
///
/// # Panics
///
/// Panics if the fixtures do not make a valid configuration.
#[must_use]
pub fn forwarded(
    format: zt_core::verify::mtls::ProxyFormat,
    tweak: impl FnOnce(
        zt_core::verify::mtls::ForwardedCertificatesBuilder,
    ) -> zt_core::verify::mtls::ForwardedCertificatesBuilder,
) -> zt_core::verify::mtls::ForwardedCertificates {
    use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
    use zt_core::verify::mtls::{ForwardedCertificates, TrustBundle};

    let bundle = TrustBundle::new()
        .root(CertificateDer::from(fixtures::ROOT.to_vec()))
        .crl(CertificateRevocationListDer::from(
            fixtures::ROOT_CRL.to_vec(),
        ))
        .crl(CertificateRevocationListDer::from(
            fixtures::INTERMEDIATE_CRL.to_vec(),
        ));
    let builder = ForwardedCertificates::builder(format)
        .trusted_proxy(PROXY_NETWORK)
        .trust_bundle(bundle)
        .intermediate(CertificateDer::from(fixtures::INTERMEDIATE.to_vec()));
    tweak(builder)
        .build()
        .expect("the fixtures make a valid proxy configuration")
}

/// Runs one proxy-header input: the first byte picks the peer (bit 0: outside the trusted
/// network) and the rest holds each of the format's headers in order, NUL-separated; an
/// empty field is an absent header. `None` for an empty input.
pub fn identify(
    config: &zt_core::verify::mtls::ForwardedCertificates,
    data: &[u8],
) -> Option<Result<Option<zt_core::verify::mtls::PeerIdentity>, zt_core::verify::mtls::ProxyRefusal>>
{
    use std::net::{IpAddr, Ipv4Addr};

    let (&flags, rest) = data.split_first()?;
    let peer = if flags & 1 == 0 {
        IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))
    } else {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))
    };
    let slots = config.format().headers();
    let values = fields(rest, slots.len());
    let lookup = |name: &str| -> Option<&[u8]> {
        let index = slots.iter().position(|s| s.default_name() == name)?;
        Some(values[index]).filter(|v| !v.is_empty())
    };
    let outcome = config.identify(peer, &lookup);
    if let Ok(Some(identity)) = &outcome {
        let _ = (
            identity.spiffe_id(),
            identity.fingerprint_hex(),
            identity.subject(),
        );
    }
    Some(outcome)
}
