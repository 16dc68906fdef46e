//! Writes the proxy targets' trust fixtures (`fixtures/`) and every target's seed corpus
//! (`seeds/<target>/`): valid tokens, keys, signed requests, certificates and headers.
//!
//! Run from `fuzz/` with `cargo run --example write_seeds`. The CA keys are fresh on every
//! run, so the fixtures and the certificate seeds are rewritten together; commit both.

use std::fs;
use std::path::Path;

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rcgen::string::Ia5String;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use time::macros::datetime;
use zt_fuzz::{api_key, join, sign_token, token_header, API_KEYS, AUDIENCE, ISSUER, KID};

const SPIFFE_ID: &str = "spiffe://example.test/service/billing";

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pki = Pki::new();
    pki.write(&root.join("fixtures"));

    let seeds = root.join("seeds");
    write(&seeds, "oidc_token", &token_seeds());
    write(&seeds, "oidc_claims", &claims_seeds());
    write(&seeds, "api_key", &api_key_seeds());
    write(&seeds, "psk_signed", &psk_seeds());
    write(&seeds, "mtls_identity", &identity_seeds(&pki));
    proxy_seeds(&pki, &seeds);
}

fn write(seeds: &Path, target: &str, inputs: &[Vec<u8>]) {
    let dir = seeds.join(target);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the seed directory");
    for (n, input) in inputs.iter().enumerate() {
        fs::write(dir.join(format!("seed-{n:02}")), input).expect("write a seed");
    }
}

fn token_seeds() -> Vec<Vec<u8>> {
    let claims = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"alice","exp":4102444800,"iat":4102441200,"scope":"read write"}}"#
    );
    let header = token_header();
    vec![
        sign_token(&header, claims.as_bytes()).into_bytes(),
        sign_token(br#"{"alg":"EdDSA","kid":"other"}"#, claims.as_bytes()).into_bytes(),
        sign_token(
            format!(r#"{{"alg":"RS256","kid":"{KID}","typ":"JWT"}}"#).as_bytes(),
            claims.as_bytes(),
        )
        .into_bytes(),
        sign_token(
            format!(r#"{{"alg":"EdDSA","kid":"{KID}","crit":["exp"]}}"#).as_bytes(),
            b"{}",
        )
        .into_bytes(),
        b"eyJhbGciOiJub25lIn0.e30.".to_vec(),
    ]
}

/// Claims seeds: a flags byte (profile) then the payload; small times are offsets from now.
fn claims_seeds() -> Vec<Vec<u8>> {
    let okta = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"alice","exp":3600,"iat":0,"scp":["reports:read"],"cid":"client-1"}}"#
    );
    let auth0 = format!(
        r#"{{"iss":"{ISSUER}","aud":["{AUDIENCE}","other"],"exp":3600,"iat":-5,"scope":"read write","permissions":["orders:write"],"azp":"client-2"}}"#
    );
    let generic = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"svc","exp":60.5,"nbf":-10,"scope":"a b  c","client_id":"client-3"}}"#
    );
    let id_token = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"bob","exp":600,"iat":0,"nonce":"n","at_hash":"x","typ":"ID"}}"#
    );
    [
        (0u8, okta),
        (1, auth0.clone()),
        (2, auth0),
        (3, generic),
        (3, id_token),
    ]
    .into_iter()
    .map(|(flags, payload)| {
        let mut input = vec![flags];
        input.extend_from_slice(payload.as_bytes());
        input
    })
    .collect()
}

fn api_key_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = API_KEYS
        .iter()
        .map(|(id, secret)| api_key(id, secret).into_bytes())
        .collect();
    let mut wrong = api_key(API_KEYS[0].0, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    seeds.push(wrong.clone().into_bytes());
    wrong.pop();
    wrong.push('0');
    seeds.push(wrong.into_bytes());
    seeds
}

/// PSK seeds: flags (`0`, or `1`: the harness adds the correct signature), timestamp, signature,
/// method, path, query and body, NUL-separated.
fn psk_seeds() -> Vec<Vec<u8>> {
    use zt_core::verify::psk::{body_digest, signature_header, SignedParts};

    let sign = |key: &[u8], timestamp: u64, body: &[u8]| {
        let parts = SignedParts {
            method: "POST",
            path: "/hooks/deploy",
            query: "ref=main",
            timestamp,
            body_sha256: body_digest(body),
        };
        parts.sign(key)
    };
    let body = br#"{"ref":"main"}"#;
    let now = zt_fuzz::PSK_NOW;
    let current = sign(zt_fuzz::PSK_CURRENT, now, body);
    let previous = sign(zt_fuzz::PSK_PREVIOUS, now - 100, body);
    let both = signature_header(&[previous, current]);
    let one = signature_header(&[current]);
    let now_text = now.to_string();
    let earlier = (now - 100).to_string();
    vec![
        join(&[
            b"0",
            now_text.as_bytes(),
            one.as_bytes(),
            b"POST",
            b"/hooks/deploy",
            b"ref=main",
            body,
        ]),
        join(&[
            b"0",
            earlier.as_bytes(),
            signature_header(&[previous]).as_bytes(),
            b"POST",
            b"/hooks/deploy",
            b"ref=main",
            body,
        ]),
        join(&[
            b"0",
            now_text.as_bytes(),
            format!("{both}, v2=abc").as_bytes(),
            b"POST",
            b"/hooks/deploy",
            b"ref=main",
            body,
        ]),
        join(&[b"1", now_text.as_bytes(), b"v2=zz", b"GET", b"/", b"", b""]),
        join(&[b"0", b"0", b"v1=00", b"PUT", b"", b"a=%20", b"\x00\x01"]),
    ]
}

fn identity_seeds(pki: &Pki) -> Vec<Vec<u8>> {
    vec![
        pki.leaf.clone(),
        pki.dns_leaf.clone(),
        pki.revoked_leaf.clone(),
        pki.intermediate.clone(),
        pki.root.clone(),
    ]
}

/// Proxy seeds: a flags byte (bit 0: the peer is outside the trusted network), then each
/// header of the format in order, NUL-separated (empty: absent).
fn proxy_seeds(pki: &Pki, seeds: &Path) {
    let trusted = 0u8;
    let leaf_pem = url_encode(&pem(&pki.leaf));
    let chain_pem = url_encode(&format!("{}{}", pem(&pki.leaf), pem(&pki.intermediate)));
    let revoked_pem = url_encode(&pem(&pki.revoked_leaf));
    let dns_chain_pem = url_encode(&format!("{}{}", pem(&pki.dns_leaf), pem(&pki.intermediate)));

    // AlbLeaf, AlbSubject, AlbIssuer, AlbSerialNumber, AlbValidity.
    let subject = b"CN=billing,O=zt-fuzz".as_slice();
    let issuer = b"CN=zt-fuzz Intermediate CA,O=zt-fuzz".as_slice();
    let validity = b"NotBefore=2025-01-01T00:00:00Z;NotAfter=2099-01-01T00:00:00Z".as_slice();
    write(
        seeds,
        "proxy_alb_verify",
        &[
            framed(
                trusted,
                &[
                    leaf_pem.as_bytes(),
                    subject,
                    issuer,
                    hex(&pki.leaf_serial).as_bytes(),
                    validity,
                ],
            ),
            framed(trusted, &[leaf_pem.as_bytes(), b"", b"", b"", b""]),
            framed(
                2u8,
                &[leaf_pem.as_bytes(), subject, issuer, b"00:01:02", validity],
            ),
            framed(
                trusted,
                &[
                    revoked_pem.as_bytes(),
                    subject,
                    issuer,
                    hex(&pki.revoked_serial).as_bytes(),
                    validity,
                ],
            ),
            framed(1u8, &[leaf_pem.as_bytes(), subject]),
        ],
    );
    write(
        seeds,
        "proxy_alb_passthrough",
        &[
            framed(trusted, &[chain_pem.as_bytes()]),
            framed(trusted, &[dns_chain_pem.as_bytes()]),
            framed(trusted, &[leaf_pem.as_bytes()]),
            framed(trusted, &[revoked_pem.as_bytes()]),
            framed(1u8, &[chain_pem.as_bytes()]),
        ],
    );

    let hash = hex(digest(&SHA256, &pki.leaf).as_ref());
    let element = format!(
        "By=spiffe://example.test/proxy;Hash={hash};Cert=\"{leaf_pem}\";Chain=\"{chain_pem}\";\
         Subject=\"CN=billing,O=zt-fuzz\";URI={SPIFFE_ID}"
    );
    let cert_only = format!("Hash={hash};Cert=\"{leaf_pem}\";DNS=billing.example.test");
    let uri_only = format!("By=spiffe://example.test/proxy;Subject=\"CN=billing\";URI={SPIFFE_ID}");
    write(
        seeds,
        "proxy_xfcc",
        &[
            framed(trusted, &[element.as_bytes()]),
            framed(
                trusted,
                &[format!("By=x;URI=spiffe://a/b,{element}").as_bytes()],
            ),
            framed(trusted, &[cert_only.as_bytes()]),
            framed(trusted, &[uri_only.as_bytes()]),
            framed(2u8, &[uri_only.as_bytes()]),
            framed(1u8, &[element.as_bytes()]),
        ],
    );

    let sf = |der: &[u8]| format!(":{}:", STANDARD.encode(der));
    write(
        seeds,
        "proxy_rfc9440",
        &[
            framed(
                trusted,
                &[sf(&pki.leaf).as_bytes(), sf(&pki.intermediate).as_bytes()],
            ),
            framed(trusted, &[sf(&pki.leaf).as_bytes(), b""]),
            framed(
                trusted,
                &[
                    sf(&pki.dns_leaf).as_bytes(),
                    format!("{}, {}", sf(&pki.intermediate), sf(&pki.root)).as_bytes(),
                ],
            ),
            framed(
                trusted,
                &[
                    sf(&pki.revoked_leaf).as_bytes(),
                    sf(&pki.intermediate).as_bytes(),
                ],
            ),
            framed(1u8, &[sf(&pki.leaf).as_bytes()]),
        ],
    );
}

/// A root, an intermediate, leaves and CRLs valid from 2025 until 2099.
struct Pki {
    root: Vec<u8>,
    intermediate: Vec<u8>,
    root_crl: Vec<u8>,
    intermediate_crl: Vec<u8>,
    leaf: Vec<u8>,
    leaf_serial: Vec<u8>,
    dns_leaf: Vec<u8>,
    revoked_leaf: Vec<u8>,
    revoked_serial: Vec<u8>,
}

impl Pki {
    fn new() -> Self {
        let mut root_params = ca_params("zt-fuzz Root CA", 1);
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let root = CertifiedIssuer::self_signed(root_params, key()).expect("root");
        let mut inter_params = ca_params("zt-fuzz Intermediate CA", 2);
        inter_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let intermediate = CertifiedIssuer::signed_by(inter_params, key(), &root).expect("inter");

        let leaf_with = |serial: u8, sans: Vec<SanType>| {
            let mut params = CertificateParams::default();
            params.distinguished_name = name("billing");
            params.not_before = datetime!(2025-01-01 0:00 UTC);
            params.not_after = datetime!(2099-01-01 0:00 UTC);
            params.serial_number = Some(SerialNumber::from_slice(&[0x10, serial]));
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            params.use_authority_key_identifier_extension = true;
            params.subject_alt_names = sans;
            let cert = params.signed_by(&key(), &intermediate).expect("leaf");
            (cert.der().to_vec(), vec![0x10, serial])
        };
        let uri = |u: &str| SanType::URI(Ia5String::try_from(u).expect("ascii"));
        let dns = |d: &str| SanType::DnsName(Ia5String::try_from(d).expect("ascii"));
        let (leaf, leaf_serial) = leaf_with(1, vec![uri(SPIFFE_ID)]);
        let (dns_leaf, _) = leaf_with(
            2,
            vec![
                dns("billing.example.test"),
                uri("https://billing.example.test/"),
            ],
        );
        let (revoked_leaf, revoked_serial) = leaf_with(3, vec![uri(SPIFFE_ID)]);

        let crl = |issuer: &CertifiedIssuer<'_, KeyPair>, revoked: &[Vec<u8>]| {
            let params = CertificateRevocationListParams {
                this_update: datetime!(2025-01-01 0:00 UTC),
                next_update: datetime!(2099-01-01 0:00 UTC),
                crl_number: SerialNumber::from_slice(&[1]),
                issuing_distribution_point: None,
                revoked_certs: revoked
                    .iter()
                    .map(|serial| RevokedCertParams {
                        serial_number: SerialNumber::from_slice(serial),
                        revocation_time: datetime!(2025-06-01 0:00 UTC),
                        reason_code: Some(RevocationReason::KeyCompromise),
                        invalidity_date: None,
                    })
                    .collect(),
                key_identifier_method: KeyIdMethod::Sha256,
            };
            params.signed_by(issuer).expect("crl").der().to_vec()
        };
        Self {
            root_crl: crl(&root, &[]),
            intermediate_crl: crl(&intermediate, std::slice::from_ref(&revoked_serial)),
            root: root.der().to_vec(),
            intermediate: intermediate.der().to_vec(),
            leaf,
            leaf_serial,
            dns_leaf,
            revoked_leaf,
            revoked_serial,
        }
    }

    fn write(&self, dir: &Path) {
        fs::create_dir_all(dir).expect("create the fixture directory");
        for (file, der) in [
            ("root.der", &self.root),
            ("intermediate.der", &self.intermediate),
            ("root-crl.der", &self.root_crl),
            ("intermediate-crl.der", &self.intermediate_crl),
        ] {
            fs::write(dir.join(file), der).expect("write a fixture");
        }
    }
}

fn ca_params(common_name: &str, serial: u8) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.not_before = datetime!(2025-01-01 0:00 UTC);
    params.not_after = datetime!(2099-01-01 0:00 UTC);
    params.serial_number = Some(SerialNumber::from_slice(&[serial]));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "zt-fuzz");
    name.push(DnType::CommonName, common_name);
    name
}

fn key() -> KeyPair {
    KeyPair::generate().expect("the system random generator works")
}

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// URL-encodes PEM as ALB and Envoy do: `+`, `=` and `/` stay literal.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"+=/-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A proxy input: the flags byte, then the headers joined as the harness splits them.
fn framed(flags: u8, headers: &[&[u8]]) -> Vec<u8> {
    let mut input = vec![flags];
    input.extend(join(headers));
    input
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
