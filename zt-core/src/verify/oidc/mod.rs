//! OpenID Connect access-token verification for Okta, Auth0 and generic issuers.
//!
//! # Security
//!
//! A token is accepted only when all of these hold:
//! - it is a compact JWS no larger than the configured limit, with base64url parts;
//! - its header names a key id the issuer publishes, and the algorithm pinned for that key
//!   (never the token's own choice); `none` and HMAC algorithms are refused, as are unknown
//!   `crit` entries; keys or key URLs in the header (`jwk`, `jku`, `x5u`, `x5c`) are ignored;
//! - the signature verifies;
//! - `iss` equals the configured issuer exactly, `aud` names the configured audience (string
//!   or array), `exp` is present and not past, `nbf` and `iat` are not in the future, all
//!   within the leeway, and the lifetime does not exceed the maximum;
//! - it is not an ID token or refresh token (`nonce`, `at_hash`, `token_use`, `typ`).
//!
//! A token that passed is remembered by its SHA-256 until its `exp`, and served from memory
//! again only while the key that signed it is still published (see
//! [`Issuer::verified_cache`]).
//!
//! # Limitations
//!
//! Only signed (JWS) access tokens are understood. Opaque tokens and encrypted (JWE) tokens
//! are refused as malformed; introspection is not available yet.

mod claims;
mod config;
mod jwks;
mod verified;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, TokenData};
use serde::Deserialize;

use self::claims::AccessClaims;
pub use self::config::{Issuer, Profile};
use self::jwks::{KeyCache, Trigger};
use self::verified::VerifiedTokens;
use crate::{ConfigError, Denial, Mechanism, Principal, Provider, Reason};

/// Verifies access tokens from one issuer.
///
/// Cheap to share: clone the `Arc` it usually lives in. Keys are fetched lazily on the first
/// token, so a service starts even while its issuer is unreachable (and answers 503 until
/// keys arrive).
pub struct OidcVerifier {
    provider: Provider,
    issuer: Issuer,
    keys: Arc<KeyCache>,
    verified: VerifiedTokens,
}

impl std::fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifier")
            .field("provider", &self.provider)
            .field("issuer", &self.issuer.url)
            .field("profile", &self.issuer.profile)
            .finish_non_exhaustive()
    }
}

/// Holds the header fields we read before verifying.
#[derive(Deserialize)]
struct PeekedHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

impl OidcVerifier {
    /// Checks the issuer's settings and prepares a verifier for `provider`'s routes.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError`] naming the setting (prefixed with the provider's name, such
    /// as `auth0.audience`) when the issuer URL is malformed or not https (loopback
    /// excepted), the audience is missing, or a duration is zero.
    pub fn new(provider: Provider, issuer: Issuer) -> Result<Self, ConfigError> {
        let endpoints = issuer.validate(provider.as_str())?;
        let client = reqwest::Client::builder()
            .timeout(issuer.fetch_timeout)
            .connect_timeout(issuer.fetch_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| ConfigError::HttpClient {
                setting: format!("{}.issuer", provider.as_str()),
                source,
            })?;
        let keys = Arc::new(KeyCache::new(issuer.clone(), endpoints, client));
        let verified = VerifiedTokens::new(issuer.verified_cache);
        Ok(Self {
            provider,
            issuer,
            keys,
            verified,
        })
    }

    /// Returns the issuer settings.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// Returns how many key-set fetches were attempted so far.
    #[must_use]
    pub fn key_fetches(&self) -> u64 {
        self.keys.attempts()
    }

    /// Verifies a bearer access token and returns the caller it vouches for.
    ///
    /// Scopes are not checked here; compare [`Principal::scopes`] with the route's rule.
    ///
    /// # Errors
    ///
    /// Returns [`Denial::InvalidCredential`] with the precise [`Reason`] when the token is
    /// refused, and [`Denial::Unavailable`] when no usable keys can be had.
    pub async fn verify(&self, token: &str) -> Result<Principal, Denial> {
        self.verify_shared(token).await.map(Arc::unwrap_or_clone)
    }

    /// Verifies a bearer access token like [`OidcVerifier::verify`], sharing the principal
    /// with the verified-token cache instead of copying it.
    ///
    /// # Errors
    ///
    /// As [`OidcVerifier::verify`].
    pub async fn verify_shared(&self, token: &str) -> Result<Arc<Principal>, Denial> {
        let invalid = Denial::InvalidCredential;
        let unavailable = Denial::Unavailable {
            reason: Reason::KeysUnavailable,
            retry_after: self.issuer.retry_after,
        };
        if token.len() > self.issuer.max_token_bytes {
            return Err(invalid(Reason::TokenTooLarge));
        }

        let digest = self.verified.digest(token);
        if let Some(digest) = &digest {
            if let Some(seen) = self.verified.get(digest) {
                let keys = self.keys.keys().await.ok_or(unavailable)?;
                if keys.get(&seen.kid).is_some() {
                    return Ok(Arc::clone(&seen.principal));
                }
                self.verified.remove(digest);
            }
        }

        let header = self.peek_header(token).map_err(invalid)?;
        let Some(kid) = header.kid.as_deref() else {
            return Err(invalid(Reason::MissingKeyId));
        };

        let mut keys = self.keys.keys().await.ok_or(unavailable)?;
        if keys.get(kid).is_none() {
            self.keys.refresh(Trigger::UnknownKey).await;
            keys = self.keys.keys().await.ok_or(unavailable)?;
        }
        let Some(key) = keys.get(kid) else {
            return Err(invalid(Reason::UnknownKey));
        };
        if header.algorithm()? != key.algorithm {
            return Err(invalid(Reason::AlgorithmMismatch));
        }

        let data: TokenData<AccessClaims> = jsonwebtoken::decode(token, &key.key, &key.validation)
            .map_err(|e| invalid(reason_of(&e)))?;
        let principal = data
            .claims
            .into_principal(&self.issuer, Mechanism::Token(self.provider))
            .map(Arc::new)
            .map_err(invalid)?;

        if let Some(digest) = digest {
            self.verified.insert(digest, &principal, kid);
        }
        Ok(principal)
    }

    /// Checks the token's shape and reads its header without trusting it.
    fn peek_header(&self, token: &str) -> Result<PeekedHeader, Reason> {
        if token.len() > self.issuer.max_token_bytes {
            return Err(Reason::TokenTooLarge);
        }
        let mut parts = token.split('.');
        let (Some(head), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Reason::MalformedToken);
        };
        // Each part's alphabet is checked by its base64url decoder (unpadded, strict): the
        // header's here, the payload's and signature's by jsonwebtoken.
        if head.is_empty() || payload.is_empty() || signature.is_empty() {
            return Err(Reason::MalformedToken);
        }

        let bytes = URL_SAFE_NO_PAD
            .decode(head)
            .map_err(|_| Reason::MalformedToken)?;
        let header: PeekedHeader =
            serde_json::from_slice(&bytes).map_err(|_| Reason::MalformedToken)?;
        if header.crit.is_some() {
            return Err(Reason::UnsupportedCritical);
        }
        if let Some(typ) = header.typ.as_deref() {
            let access = ["jwt", "at+jwt", "application/at+jwt"];
            if !access.iter().any(|t| typ.eq_ignore_ascii_case(t)) {
                return Err(Reason::NotAnAccessToken);
            }
        }
        Ok(header)
    }
}

impl PeekedHeader {
    fn algorithm(&self) -> Result<Algorithm, Denial> {
        let refused = Denial::InvalidCredential(Reason::UnsupportedAlgorithm);
        let alg: Algorithm = self.alg.parse().map_err(|_| refused)?;
        match alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Err(refused),
            other => Ok(other),
        }
    }
}

#[async_trait::async_trait]
impl super::Verifier for OidcVerifier {
    async fn verify(&self, credential: &str) -> Result<Principal, Denial> {
        OidcVerifier::verify(self, credential).await
    }
}

fn reason_of(error: &jsonwebtoken::errors::Error) -> Reason {
    use jsonwebtoken::errors::ErrorKind as K;
    match error.kind() {
        K::InvalidSignature
        | K::InvalidEcdsaKey
        | K::InvalidEddsaKey
        | K::InvalidRsaKey(_)
        | K::InvalidKeyFormat => Reason::BadSignature,
        K::ExpiredSignature => Reason::Expired,
        K::ImmatureSignature => Reason::NotYetValid,
        K::InvalidIssuer => Reason::WrongIssuer,
        K::InvalidAudience => Reason::WrongAudience,
        K::InvalidAlgorithm | K::InvalidAlgorithmName => Reason::AlgorithmMismatch,
        K::MissingRequiredClaim(_) | K::InvalidClaimFormat(_) | K::Json(_) | K::Utf8(_) => {
            Reason::BadClaims
        }
        _ => Reason::MalformedToken,
    }
}
