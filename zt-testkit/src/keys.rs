//! Signing keys: generation, signing and the public half as a JWK.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};
use zeroize::Zeroizing;

/// Names a signature algorithm the test issuer signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over a 2048-bit RSA key; what Okta and Auth0 use.
    Rs256,
    /// ECDSA over P-256 with SHA-256, signature as the fixed 64-byte `r || s`.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl KeyAlg {
    /// Lists every algorithm, in the order the issuer publishes its first keys.
    pub const ALL: [KeyAlg; 3] = [KeyAlg::Rs256, KeyAlg::Es256, KeyAlg::EdDsa];

    /// Returns the JOSE name written in the `alg` header: `RS256`, `ES256` or `EdDSA`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "RS256",
            KeyAlg::Es256 => "ES256",
            KeyAlg::EdDsa => "EdDSA",
        }
    }

    /// Returns the matching `jsonwebtoken` algorithm, for verifying in tests.
    #[must_use]
    pub fn algorithm(self) -> Algorithm {
        match self {
            KeyAlg::Rs256 => Algorithm::RS256,
            KeyAlg::Es256 => Algorithm::ES256,
            KeyAlg::EdDsa => Algorithm::EdDSA,
        }
    }

    /// Returns the prefix of the key ids the issuer gives keys of this algorithm.
    pub(crate) fn kid_prefix(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "rs256",
            KeyAlg::Es256 => "es256",
            KeyAlg::EdDsa => "ed",
        }
    }
}

/// Chooses how a public key is written out when it is misused as an HMAC secret.
///
/// A verifier that loads "the key" as bytes and lets the token's header pick the algorithm can
/// be fooled into checking an HS256 MAC keyed with the public key. Attackers try each form a
/// server might hold the key in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PublicKeyForm {
    /// `-----BEGIN PUBLIC KEY-----` PEM text with a trailing newline, as `openssl` writes it.
    #[default]
    SpkiPem,
    /// The same PEM text without the trailing newline.
    SpkiPemTrimmed,
    /// DER-encoded `SubjectPublicKeyInfo`.
    SpkiDer,
    /// `-----BEGIN RSA PUBLIC KEY-----` PEM text (PKCS#1); RSA keys only.
    Pkcs1Pem,
    /// DER-encoded PKCS#1 `RSAPublicKey`; RSA keys only.
    Pkcs1Der,
}

/// Holds one private signing key with its key id and its public JWK.
///
/// `Debug` shows the key id and algorithm only; the private key is never printed.
pub struct SigningKey {
    kid: String,
    alg: KeyAlg,
    pair: Pair,
    encoding_key: EncodingKey,
    jwk: Jwk,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec {
        pair: EcdsaKeyPair,
        pkcs8: Zeroizing<Vec<u8>>,
    },
    Ed(Ed25519KeyPair),
}

impl SigningKey {
    /// Generates a fresh key of `alg` named `kid`: RSA 2048-bit, P-256 or Ed25519.
    ///
    /// # Panics
    ///
    /// Panics if the platform's cryptography cannot generate or export the key.
    #[must_use]
    pub fn generate(alg: KeyAlg, kid: impl Into<String>) -> SigningKey {
        let kid = kid.into();
        let (pair, encoding_key) = match alg {
            KeyAlg::Rs256 => generate_rsa(),
            KeyAlg::Es256 => generate_ec(),
            KeyAlg::EdDsa => generate_ed(),
        };

        let mut jwk = Jwk::from_encoding_key(&encoding_key, alg.algorithm())
            .expect("jsonwebtoken exports the public half of a key it was given as DER");
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(key_algorithm(alg));

        SigningKey {
            kid,
            alg,
            pair,
            encoding_key,
            jwk,
        }
    }

    /// Returns the key id published in the JWKS and written in the token header.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the algorithm this key signs with.
    #[must_use]
    pub fn alg(&self) -> KeyAlg {
        self.alg
    }

    /// Returns the private key for `jsonwebtoken::encode`, for tests that sign on their own.
    #[must_use]
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding_key
    }

    /// Returns the public key as a JWK with `kid`, `use: sig` and `alg` set.
    #[must_use]
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// Returns the public key as a JWK in JSON, as it appears in the served key set.
    #[must_use]
    pub fn public_jwk_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.jwk).unwrap_or_default()
    }

    /// Returns the public key in `form`.
    ///
    /// # Panics
    ///
    /// Panics if a PKCS#1 form is asked of a key that is not RSA.
    #[must_use]
    pub fn public_key_bytes(&self, form: PublicKeyForm) -> Vec<u8> {
        match form {
            PublicKeyForm::SpkiDer => self.spki_der(),
            PublicKeyForm::SpkiPem => pem("PUBLIC KEY", &self.spki_der()).into_bytes(),
            PublicKeyForm::SpkiPemTrimmed => pem("PUBLIC KEY", &self.spki_der())
                .trim_end()
                .as_bytes()
                .to_vec(),
            PublicKeyForm::Pkcs1Der => self.pkcs1_der(),
            PublicKeyForm::Pkcs1Pem => pem("RSA PUBLIC KEY", &self.pkcs1_der()).into_bytes(),
        }
    }

    /// Signs `message` as JWS asks for this key's algorithm.
    ///
    /// # Panics
    ///
    /// Panics if the platform's cryptography fails to sign.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .expect("RSA signing with a freshly generated key succeeds");
                signature
            }
            Pair::Ec { pair, .. } => pair
                .sign(&rng, message)
                .expect("ECDSA signing with a freshly generated key succeeds")
                .as_ref()
                .to_vec(),
            Pair::Ed(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }

    /// Signs `message` with ECDSA but writes the signature in ASN.1 DER, which JWS forbids.
    ///
    /// Returns `None` for keys that are not ECDSA.
    pub(crate) fn sign_ecdsa_der(&self, message: &[u8]) -> Option<Vec<u8>> {
        let Pair::Ec { pkcs8, .. } = &self.pair else {
            return None;
        };

        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8).ok()?;
        let signature = pair.sign(&SystemRandom::new(), message).ok()?;
        Some(signature.as_ref().to_vec())
    }

    fn spki_der(&self) -> Vec<u8> {
        let der = match &self.pair {
            Pair::Rsa(pair) => pair.public_key().as_der(),
            Pair::Ec { pair, .. } => pair.public_key().as_der(),
            Pair::Ed(pair) => pair.public_key().as_der(),
        };
        der.expect("a generated public key encodes as SubjectPublicKeyInfo")
            .as_ref()
            .to_vec()
    }

    fn pkcs1_der(&self) -> Vec<u8> {
        match &self.pair {
            Pair::Rsa(pair) => pair.public_key().as_ref().to_vec(),
            _ => panic!(
                "a PKCS#1 public key exists for RSA keys only, not {}",
                self.alg.name()
            ),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn generate_rsa() -> (Pair, EncodingKey) {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA 2048 key generation succeeds");
    let pkcs8: Pkcs8V1Der<'static> = pair.as_der().expect("an RSA key exports as PKCS#8");
    let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());

    // jsonwebtoken reads RSA private keys as PKCS#1, which aws-lc-rs does not export directly;
    // the PKCS#1 structure is the payload of the PKCS#8 wrapper.
    let pkcs1 = pkcs1_from_pkcs8(&pkcs8).expect("aws-lc-rs writes well-formed PKCS#8");
    let encoding_key = EncodingKey::from_rsa_der(pkcs1);

    (Pair::Rsa(pair), encoding_key)
}

fn generate_ec() -> (Pair, EncodingKey) {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .expect("P-256 key generation succeeds");
    let pkcs8 = pair.to_pkcs8v1().expect("a P-256 key exports as PKCS#8");
    let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
    let encoding_key = EncodingKey::from_ec_der(&pkcs8);

    (Pair::Ec { pair, pkcs8 }, encoding_key)
}

fn generate_ed() -> (Pair, EncodingKey) {
    let pair = Ed25519KeyPair::generate().expect("Ed25519 key generation succeeds");
    // PKCS#8 v1 (seed only) is the form jsonwebtoken recognises as Ed25519.
    let pkcs8 = pair.to_pkcs8v1().expect("an Ed25519 key exports as PKCS#8");
    let encoding_key = EncodingKey::from_ed_der(pkcs8.as_ref());

    (Pair::Ed(pair), encoding_key)
}

fn key_algorithm(alg: KeyAlg) -> KeyAlgorithm {
    match alg {
        KeyAlg::Rs256 => KeyAlgorithm::RS256,
        KeyAlg::Es256 => KeyAlgorithm::ES256,
        KeyAlg::EdDsa => KeyAlgorithm::EdDSA,
    }
}

/// Returns the PKCS#1 `RSAPrivateKey` carried in a PKCS#8 `PrivateKeyInfo`.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<&[u8]> {
    let (info, rest) = der_element(pkcs8, 0x30)?;
    if !rest.is_empty() {
        return None;
    }

    let (_version, info) = der_element(info, 0x02)?;
    let (_algorithm, info) = der_element(info, 0x30)?;
    let (private_key, _attributes) = der_element(info, 0x04)?;
    Some(private_key)
}

/// Splits one DER element tagged `tag` off the front of `input`: its contents, then the rest.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, input) = input.split_first()?;
    if found != tag {
        return None;
    }

    let (&first, input) = input.split_first()?;
    let (len, input) = if first < 0x80 {
        (usize::from(first), input)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (len_bytes, input) = input.split_at_checked(count)?;
        let len = len_bytes
            .iter()
            .fold(0usize, |len, &byte| (len << 8) | usize::from(byte));
        (len, input)
    };

    input.split_at_checked(len)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

    use super::*;

    #[test]
    fn rsa_private_key_unwraps_to_pkcs1_that_aws_lc_accepts() {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs8: Pkcs8V1Der<'static> = pair.as_der().unwrap();
        let pkcs1 = pkcs1_from_pkcs8(pkcs8.as_ref()).unwrap();

        let reparsed = RsaKeyPair::from_der(pkcs1).unwrap();
        assert_eq!(reparsed.public_key().as_ref(), pair.public_key().as_ref());
    }

    #[test]
    fn der_reader_refuses_truncated_input() {
        assert!(der_element(&[0x30, 0x05, 0x01], 0x30).is_none());
        assert!(der_element(&[0x30, 0x85, 0, 0, 0, 0, 0], 0x30).is_none());
        assert!(der_element(&[0x02, 0x00], 0x30).is_none());
    }

    #[test]
    fn debug_shows_kid_and_alg_only() {
        let key = SigningKey::generate(KeyAlg::Es256, "es256-9");
        let printed = format!("{key:?}");
        assert_eq!(printed, "SigningKey { kid: \"es256-9\", alg: Es256, .. }");
    }

    #[test]
    fn jwk_carries_kid_use_and_alg() {
        for alg in KeyAlg::ALL {
            let key = SigningKey::generate(alg, "k");
            let jwk = key.public_jwk_json();
            assert_eq!(jwk["kid"], "k");
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["alg"], alg.name());
            assert!(
                jwk.get("d").is_none(),
                "a public JWK never holds the private part"
            );
        }
    }

    #[test]
    fn spki_pem_has_the_openssl_shape() {
        let key = SigningKey::generate(KeyAlg::Rs256, "k");
        let pem = String::from_utf8(key.public_key_bytes(PublicKeyForm::SpkiPem)).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
    }
}
