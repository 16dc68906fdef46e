//! Tokens: a builder for valid access tokens, finishers for broken ones, raw encoders.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::flavor::Flavor;
use crate::issuer::Shared;
use crate::keys::{KeyAlg, PublicKeyForm, SigningKey};

/// Seconds a default token lives: the five minutes the issuer's tokens last.
const DEFAULT_LIFETIME: i64 = 300;

/// Builds a token for a [`TestIssuer`](crate::TestIssuer), valid unless told otherwise.
///
/// The default is an access token in the shape of the issuer's [`Flavor`]: its `iss`, `sub`,
/// `aud`, client claim and scopes, `iat` now, `exp` five minutes later and a random `jti`,
/// signed by the current key of the issuer's default algorithm (RS256 unless configured) with
/// its `kid` in the header. Setters change one
/// thing each; [`sign`](TokenBuilder::sign) finishes a valid token and the other finishers
/// break it in one named way.
///
/// Claims and header members set with [`claim`](TokenBuilder::claim) and
/// [`header`](TokenBuilder::header) are written as given, so odd values (a float `exp`, a
/// string `nbf`, an `iss` array, `crit`, `jku`, `x5u`, `x5c`) need no special method.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use zt_testkit::{Flavor, TestIssuer};
///
/// let issuer = TestIssuer::start(Flavor::Auth0)?;
///
/// let valid = issuer.token().subject("auth0|alice").permissions(&["read:orders"]).sign();
/// let expired = issuer.token().expired().sign();
/// let too_long = issuer.token().lifetime(Duration::from_secs(86_400)).sign();
/// let unsigned = issuer.token().alg_none();
/// assert!(unsigned.ends_with('.'));
/// # let _ = (valid, expired, too_long);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TokenBuilder {
    shared: Arc<Shared>,
    now: i64,
    alg: KeyAlg,
    kid: Option<String>,
    header: Map<String, Value>,
    header_removed: Vec<String>,
    claims: Map<String, Value>,
    lifetime: Option<i64>,
}

impl TokenBuilder {
    pub(crate) fn new(shared: Arc<Shared>) -> TokenBuilder {
        let flavor = shared.flavor;
        let now = unix_now();

        let mut claims = flavor.access_claims(&shared.issuer, &shared.audience, &shared.client_id);
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + DEFAULT_LIFETIME));
        claims.insert(
            "jti".into(),
            json!(format!("{}{}", flavor.jti_prefix(false), random_id())),
        );

        let mut header = Map::new();
        if let Some(typ) = flavor.access_token_typ() {
            header.insert("typ".into(), json!(typ));
        }

        TokenBuilder {
            alg: shared.default_alg,
            shared,
            now,
            kid: None,
            header,
            header_removed: Vec::new(),
            claims,
            lifetime: None,
        }
    }

    /// Sets `sub`. Okta's `uid` is left as it is.
    #[must_use]
    pub fn subject(self, subject: &str) -> TokenBuilder {
        self.claim("sub", json!(subject))
    }

    /// Replaces the scopes: an `scp` array for Okta, a space-separated `scope` for the others.
    ///
    /// An empty list removes `scope`, and leaves Okta's `scp` an empty array.
    #[must_use]
    pub fn scopes<S: AsRef<str>>(mut self, scopes: &[S]) -> TokenBuilder {
        match self.shared.flavor.scope_claim(scopes) {
            (name, Some(value)) => self.claims.insert(name.into(), value),
            (name, None) => self.claims.remove(name),
        };
        self
    }

    /// Sets Auth0's `permissions` array, which RBAC-enabled APIs receive beside `scope`.
    #[must_use]
    pub fn permissions<S: AsRef<str>>(self, permissions: &[S]) -> TokenBuilder {
        self.claim("permissions", string_array(permissions))
    }

    /// Sets `aud` to one string.
    #[must_use]
    pub fn audience(self, audience: &str) -> TokenBuilder {
        self.claim("aud", json!(audience))
    }

    /// Sets `aud` to an array, which may be empty.
    #[must_use]
    pub fn audiences<S: AsRef<str>>(self, audiences: &[S]) -> TokenBuilder {
        self.claim("aud", string_array(audiences))
    }

    /// Sets `iss`.
    #[must_use]
    pub fn issuer(self, issuer: &str) -> TokenBuilder {
        self.claim("iss", json!(issuer))
    }

    /// Sets `exp` to `lifetime` from now.
    #[must_use]
    pub fn expires_in(mut self, lifetime: Duration) -> TokenBuilder {
        self.lifetime = None;
        let exp = self.now.saturating_add(seconds(lifetime));
        self.claim("exp", json!(exp))
    }

    /// Makes the token expired ten minutes ago: `exp` is now − 600 and `iat` now − 900.
    #[must_use]
    pub fn expired(mut self) -> TokenBuilder {
        self.lifetime = None;
        let now = self.now;
        self.claim("iat", json!(now - 900))
            .claim("exp", json!(now - 600))
    }

    /// Sets `nbf` to now plus `offset` seconds; a positive offset makes the token not yet valid.
    #[must_use]
    pub fn not_before(self, offset: i64) -> TokenBuilder {
        let nbf = self.now.saturating_add(offset);
        self.claim("nbf", json!(nbf))
    }

    /// Sets `iat` to now plus `offset` seconds; `exp` stays where it was unless
    /// [`lifetime`](TokenBuilder::lifetime) ties it to `iat`.
    #[must_use]
    pub fn issued_at(self, offset: i64) -> TokenBuilder {
        let iat = self.now.saturating_add(offset);
        self.claim("iat", json!(iat))
    }

    /// Sets `exp` to `iat` plus `lifetime`, whatever order the setters are called in.
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> TokenBuilder {
        self.lifetime = Some(seconds(lifetime));
        self
    }

    /// Sets the claim `name` to `value`, replacing any value it had.
    #[must_use]
    pub fn claim(mut self, name: &str, value: Value) -> TokenBuilder {
        self.claims.insert(name.into(), value);
        self
    }

    /// Removes the claim `name`, including `iss`, `aud`, `exp` or `sub`.
    #[must_use]
    pub fn without_claim(mut self, name: &str) -> TokenBuilder {
        self.claims.remove(name);
        if name == "exp" {
            self.lifetime = None;
        }
        self
    }

    /// Sets the header member `name` to `value`, over what the key would write.
    ///
    /// Setting `alg` changes the header only: the signature is still made by the key's own
    /// algorithm, which is how an algorithm that does not match the key is tested.
    #[must_use]
    pub fn header(mut self, name: &str, value: Value) -> TokenBuilder {
        self.header_removed.retain(|removed| removed != name);
        self.header.insert(name.into(), value);
        self
    }

    /// Removes the header member `name`, such as `kid` or `typ`.
    #[must_use]
    pub fn without_header(mut self, name: &str) -> TokenBuilder {
        self.header.remove(name);
        self.header_removed.push(name.into());
        self
    }

    /// Sets the header `typ`, such as `at+jwt`, `JWT`, `application/at+jwt` or `id_token+jwt`.
    #[must_use]
    pub fn typ(self, typ: &str) -> TokenBuilder {
        self.header("typ", json!(typ))
    }

    /// Sets the header `kid`.
    ///
    /// When `kid` names a key of this issuer, published or retired, that key signs. Otherwise
    /// the current key of the chosen algorithm signs under the given `kid`.
    #[must_use]
    pub fn kid(mut self, kid: &str) -> TokenBuilder {
        self.kid = Some(kid.into());
        self
    }

    /// Signs with the issuer's current key of `alg`; the default is the issuer's default
    /// algorithm, RS256 unless configured.
    #[must_use]
    pub fn algorithm(mut self, alg: KeyAlg) -> TokenBuilder {
        self.alg = alg;
        self
    }

    /// Reshapes the token as an ID token, which an API must not accept as an access token.
    ///
    /// `aud` becomes the client id; the scope, permission and client claims go; `nonce`,
    /// `auth_time` and `at_hash` are added; the Generic flavor's `typ` becomes `JWT`.
    #[must_use]
    pub fn id_token(mut self) -> TokenBuilder {
        let flavor = self.shared.flavor;
        let client_id = self.shared.client_id.clone();
        for name in [
            "scp",
            "scope",
            "permissions",
            "uid",
            "cid",
            "client_id",
            "azp",
        ] {
            self.claims.remove(name);
        }

        if flavor.access_token_typ() == Some("at+jwt") {
            self = self.typ("JWT");
        }

        let now = self.now;
        let jti = format!("{}{}", flavor.jti_prefix(true), random_id());
        self.claim("aud", json!(client_id))
            .claim("jti", json!(jti))
            .claim("nonce", json!(random_id()))
            .claim("auth_time", json!(now - 60))
            .claim("at_hash", json!(random_id()))
    }

    /// Reshapes the token as one issued to `client_id` by the client-credentials grant.
    ///
    /// `sub` becomes the client (Auth0 writes `CLIENT@clients`), the client claim names it,
    /// user claims go, scopes are emptied; Auth0 adds `gty` and a single-string `aud`.
    #[must_use]
    pub fn client_credentials(mut self, client_id: &str) -> TokenBuilder {
        let flavor = self.shared.flavor;
        let audience = self.shared.audience.clone();
        self.claims.remove("uid");
        self = self
            .subject(&flavor.client_subject(client_id))
            .claim(flavor.client_claim(), json!(client_id))
            .scopes::<&str>(&[]);

        if flavor == Flavor::Auth0 {
            self = self
                .audience(&audience)
                .claim("gty", json!("client-credentials"));
        }
        self
    }

    /// Returns the claims as they would be signed.
    #[must_use]
    pub fn claims(&self) -> Value {
        Value::Object(self.resolved_claims())
    }

    /// Finishes a token signed by the issuer's key.
    #[must_use]
    pub fn sign(self) -> String {
        let key = self.signing_key();
        let header = self.resolved_header(&key);
        sign_with(&key, &header, &self.resolved_claims())
    }

    /// Finishes an unsigned token: header `alg: none` and an empty signature (`h.p.`).
    #[must_use]
    pub fn alg_none(self) -> String {
        self.alg_none_spelled("none")
    }

    /// Finishes an unsigned token whose `alg` is `spelling`: `None`, `NONE`, `nOnE`, …
    #[must_use]
    pub fn alg_none_spelled(self, spelling: &str) -> String {
        let key = self.signing_key();
        let mut header = self.resolved_header(&key);
        header.insert("alg".into(), json!(spelling));
        encode_parts(&header, &self.resolved_claims(), &[])
    }

    /// Finishes an HS256 token keyed with the issuer's public key as PEM text: the
    /// algorithm-confusion attack. The header keeps the real `kid`.
    #[must_use]
    pub fn hmac_with_public_key(self) -> String {
        self.hmac_with_public_key_as(PublicKeyForm::SpkiPem)
    }

    /// Finishes an HS256 token keyed with the issuer's public key written in `form`.
    ///
    /// # Panics
    ///
    /// Panics if a PKCS#1 form is asked of a key that is not RSA.
    #[must_use]
    pub fn hmac_with_public_key_as(self, form: PublicKeyForm) -> String {
        let key = self.signing_key();
        let mut header = self.resolved_header(&key);
        header.insert("alg".into(), json!("HS256"));

        let secret = hmac::Key::new(hmac::HMAC_SHA256, &key.public_key_bytes(form));
        let signing_input = signing_input(&header, &self.resolved_claims());
        let tag = hmac::sign(&secret, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Finishes a token signed by the issuer's key under a `kid` the issuer never published.
    #[must_use]
    pub fn unknown_kid(self) -> String {
        let key = self.signing_key();
        let mut header = self.resolved_header(&key);
        header.insert("kid".into(), json!(format!("unknown-{}", random_id())));
        sign_with(&key, &header, &self.resolved_claims())
    }

    /// Finishes a signed token whose `sub` is then changed to `admin`, signature kept.
    #[must_use]
    pub fn tampered(self) -> String {
        self.tampered_with("sub", json!("admin"))
    }

    /// Finishes a signed token whose claim `name` is then set to `value`, signature kept.
    #[must_use]
    pub fn tampered_with(self, name: &str, value: Value) -> String {
        let key = self.signing_key();
        let header = self.resolved_header(&key);
        let mut claims = self.resolved_claims();
        let signature = key.sign(signing_input(&header, &claims).as_bytes());

        claims.insert(name.into(), value);
        encode_parts(&header, &claims, &signature)
    }

    /// Finishes a token with its signature removed (`h.p.`) and its header untouched.
    #[must_use]
    pub fn signature_stripped(self) -> String {
        let key = self.signing_key();
        encode_parts(&self.resolved_header(&key), &self.resolved_claims(), &[])
    }

    /// Finishes a signed token with one bit of its signature flipped.
    #[must_use]
    pub fn signature_altered(self) -> String {
        let key = self.signing_key();
        let header = self.resolved_header(&key);
        let claims = self.resolved_claims();
        let mut signature = key.sign(signing_input(&header, &claims).as_bytes());
        if let Some(first) = signature.first_mut() {
            *first ^= 0x01;
        }
        encode_parts(&header, &claims, &signature)
    }

    /// Finishes a token with `signature` as its signature, over the usual header and claims.
    ///
    /// `algorithm(KeyAlg::Es256).with_signature(&[0; 64])` is the ECDSA signature with
    /// `r = s = 0` that some verifiers once accepted.
    #[must_use]
    pub fn with_signature(self, signature: &[u8]) -> String {
        let key = self.signing_key();
        encode_parts(
            &self.resolved_header(&key),
            &self.resolved_claims(),
            signature,
        )
    }

    /// Finishes an ES256 token whose valid signature is written in ASN.1 DER rather than the
    /// fixed `r || s` JWS requires.
    ///
    /// # Panics
    ///
    /// Panics if [`kid`](TokenBuilder::kid) chose a key that is not ES256.
    #[must_use]
    pub fn es256_der_signature(mut self) -> String {
        self.alg = KeyAlg::Es256;
        let key = self.signing_key();
        let header = self.resolved_header(&key);
        let claims = self.resolved_claims();

        let Some(signature) = key.sign_ecdsa_der(signing_input(&header, &claims).as_bytes()) else {
            panic!(
                "es256_der_signature needs an ES256 key, but kid chose {}",
                key.alg().name()
            );
        };
        encode_parts(&header, &claims, &signature)
    }

    /// Finishes a token of the right shape, under the `kid` of a real key, but signed by a
    /// key of the same algorithm that the issuer does not publish.
    #[must_use]
    pub fn signed_by_foreign_key(self) -> String {
        let key = self.signing_key();
        let header = self.resolved_header(&key);
        let foreign = self.shared.foreign_key(key.alg());
        sign_with(&foreign, &header, &self.resolved_claims())
    }

    /// Finishes a token signed by an attacker's key whose public half rides in the header
    /// `jwk`; the header keeps the real `kid`.
    #[must_use]
    pub fn embedded_jwk(self) -> String {
        let key = self.signing_key();
        let mut header = self.resolved_header(&key);
        let attacker = self.shared.foreign_key(key.alg());
        header.insert("jwk".into(), attacker.public_jwk_json());
        sign_with(&attacker, &header, &self.resolved_claims())
    }

    fn signing_key(&self) -> Arc<SigningKey> {
        self.kid
            .as_deref()
            .and_then(|kid| self.shared.key_by_kid(kid))
            .unwrap_or_else(|| self.shared.current_key(self.alg))
    }

    fn resolved_header(&self, key: &SigningKey) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("alg".into(), json!(key.alg().name()));
        header.insert(
            "kid".into(),
            json!(self.kid.as_deref().unwrap_or(key.kid())),
        );
        header.extend(self.header.clone());
        for name in &self.header_removed {
            header.remove(name);
        }
        header
    }

    fn resolved_claims(&self) -> Map<String, Value> {
        let mut claims = self.claims.clone();
        if let Some(lifetime) = self.lifetime {
            let iat = claims
                .get("iat")
                .and_then(Value::as_i64)
                .unwrap_or(self.now);
            claims.insert("exp".into(), json!(iat.saturating_add(lifetime)));
        }
        claims
    }
}

impl fmt::Debug for TokenBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("issuer", &self.shared.issuer)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("header", &self.header)
            .field("claims", &self.resolved_claims())
            .finish_non_exhaustive()
    }
}

/// Encodes a compact JWS from JSON values and signature bytes, checking nothing.
///
/// # Examples
///
/// ```
/// use serde_json::json;
///
/// let token = zt_testkit::encode_raw(&json!({ "alg": "RS256" }), &json!({ "sub": 1 }), b"x");
/// assert_eq!(token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOjF9.eA");
/// ```
#[must_use]
pub fn encode_raw(header: &Value, claims: &Value, signature: &[u8]) -> String {
    encode_raw_text(&header.to_string(), &claims.to_string(), signature)
}

/// Encodes a compact JWS from JSON text used byte for byte, so duplicate members, invalid JSON
/// and odd encodings survive.
///
/// To carry a valid signature over such text, use
/// [`TestIssuer::sign_raw_text`](crate::TestIssuer::sign_raw_text).
///
/// # Examples
///
/// ```
/// let token = zt_testkit::encode_raw_text(
///     r#"{"alg":"none"}"#,
///     r#"{"sub":"alice","sub":"admin"}"#,
///     &[],
/// );
/// assert!(token.ends_with('.'));
/// ```
#[must_use]
pub fn encode_raw_text(header_json: &str, claims_json: &str, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header_json),
        URL_SAFE_NO_PAD.encode(claims_json),
        URL_SAFE_NO_PAD.encode(signature),
    )
}

fn signing_input(header: &Map<String, Value>, claims: &Map<String, Value>) -> String {
    let header = serde_json::to_string(header).unwrap_or_default();
    let claims = serde_json::to_string(claims).unwrap_or_default();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    )
}

fn encode_parts(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    signature: &[u8],
) -> String {
    format!(
        "{}.{}",
        signing_input(header, claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

fn sign_with(key: &SigningKey, header: &Map<String, Value>, claims: &Map<String, Value>) -> String {
    let signing_input = signing_input(header, claims);
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn string_array<S: AsRef<str>>(items: &[S]) -> Value {
    Value::Array(items.iter().map(|item| json!(item.as_ref())).collect())
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, seconds)
}

/// Returns 16 random bytes in base64url, for `jti`, `nonce` and unknown key ids.
///
/// # Panics
///
/// Panics if the system's random source fails.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}
