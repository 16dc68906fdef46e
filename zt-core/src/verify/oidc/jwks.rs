//! The issuer's signing keys: discovery, fetching, and a lock-free cache with bounded refetch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use url::Url;

use super::config::{checked_url, Endpoints, Issuer};

/// Caps the size of discovery documents and key sets.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

/// One verification key with its pinned algorithm and ready-made claim validation.
pub(crate) struct VerificationKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
    pub(crate) validation: Validation,
}

/// A snapshot of the issuer's published signing keys.
pub(crate) struct KeySet {
    keys: HashMap<String, VerificationKey>,
    fetched: Instant,
}

impl KeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<&VerificationKey> {
        self.keys.get(kid)
    }
}

/// Why keys could not be fetched; logged, never sent to clients.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("request to {url} failed: {source}")]
    Http { url: Url, source: reqwest::Error },
    #[error("{url} answered HTTP {status}")]
    Status {
        url: Url,
        status: reqwest::StatusCode,
    },
    #[error("{url} sent more than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge { url: Url },
    #[error("{url} sent a document that is not valid JSON of the expected shape: {source}")]
    Json { url: Url, source: serde_json::Error },
    #[error("discovery document names issuer `{found}`, but `{expected}` is configured")]
    IssuerMismatch { expected: String, found: String },
    #[error("discovery document's jwks_uri is refused: {0}")]
    BadJwksUri(crate::ConfigError),
    #[error("{url} holds no usable signing key")]
    NoKeys { url: Url },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// Caches an issuer's keys; reads never lock, fetches are shared and rate-limited.
pub(crate) struct KeyCache {
    issuer: Issuer,
    endpoints: Endpoints,
    client: reqwest::Client,
    keys: ArcSwapOption<KeySet>,
    jwks_uri: ArcSwapOption<Url>,
    fetch_lock: tokio::sync::Mutex<()>,
    attempts: AtomicU64,
    last_attempt: Mutex<Attempts>,
    refreshing: AtomicBool,
}

/// Why a fetch is wanted; each cause has its own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// Nothing usable is cached: at most one attempt per cooldown, so a down issuer is not
    /// hammered.
    Empty,
    /// The snapshot is older than the refresh interval (background refresh).
    Stale,
    /// A token names a key id the snapshot lacks: at most one per cooldown, so forged key
    /// ids cannot drive fetches, while a genuinely new key is picked up at once.
    UnknownKey,
}

#[derive(Debug, Default)]
struct Attempts {
    any: Option<Instant>,
    unknown_key: Option<Instant>,
}

impl KeyCache {
    pub(crate) fn new(issuer: Issuer, endpoints: Endpoints, client: reqwest::Client) -> Self {
        Self {
            issuer,
            endpoints,
            client,
            keys: ArcSwapOption::empty(),
            jwks_uri: ArcSwapOption::empty(),
            fetch_lock: tokio::sync::Mutex::new(()),
            attempts: AtomicU64::new(0),
            last_attempt: Mutex::new(Attempts::default()),
            refreshing: AtomicBool::new(false),
        }
    }

    /// Returns usable keys, fetching them first when none are cached.
    ///
    /// Starts a background refresh when the snapshot is older than the refresh interval;
    /// a snapshot older than `max_stale` is not used.
    pub(crate) async fn keys(self: &Arc<Self>) -> Option<Arc<KeySet>> {
        if let Some(set) = self.fresh_enough() {
            return Some(set);
        }
        self.refresh(Trigger::Empty).await;
        self.fresh_enough()
    }

    fn fresh_enough(self: &Arc<Self>) -> Option<Arc<KeySet>> {
        let set = self.keys.load_full()?;
        let age = set.fetched.elapsed();
        if age > self.issuer.refresh_interval {
            self.refresh_in_background();
        }
        (age <= self.issuer.max_stale).then_some(set)
    }

    fn refresh_in_background(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        runtime.spawn(async move {
            this.refresh(Trigger::Stale).await;
            this.refreshing.store(false, Ordering::Release);
        });
    }

    /// Fetches the key set unless a fetch just happened or the cooldown forbids it.
    ///
    /// Concurrent callers share one fetch: whoever waited on the lock while another fetched
    /// returns without fetching again.
    pub(crate) async fn refresh(&self, trigger: Trigger) {
        let seen = self.attempts.load(Ordering::Acquire);
        let _guard = self.fetch_lock.lock().await;
        if self.attempts.load(Ordering::Acquire) != seen || !self.may_fetch(trigger) {
            return;
        }

        let timeout = self.issuer.fetch_timeout;
        let outcome = match tokio::time::timeout(timeout, self.fetch()).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(timeout)),
        };
        self.attempts.fetch_add(1, Ordering::AcqRel);

        match outcome {
            Ok(set) => {
                metrics::counter!(
                    crate::metrics::KEY_SET_FETCHES,
                    "issuer" => self.issuer.url.to_string(),
                    "outcome" => "ok",
                )
                .increment(1);
                tracing::debug!(
                    target: "zt::keys",
                    issuer = %self.issuer.url,
                    keys = set.keys.len(),
                    "signing keys fetched"
                );
                self.keys.store(Some(Arc::new(set)));
            }
            Err(error) => {
                self.jwks_uri.store(None);
                metrics::counter!(
                    crate::metrics::KEY_SET_FETCHES,
                    "issuer" => self.issuer.url.to_string(),
                    "outcome" => "error",
                )
                .increment(1);
                tracing::warn!(
                    target: "zt::keys",
                    issuer = %self.issuer.url,
                    cached = self.keys.load().is_some(),
                    %error,
                    "could not fetch signing keys"
                );
            }
        }
    }

    /// Tells how many fetches were attempted, for tests and metrics.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Acquire)
    }

    /// Applies the trigger's rate limit and, when the fetch may go ahead, records it.
    fn may_fetch(&self, trigger: Trigger) -> bool {
        let Ok(mut last) = self.last_attempt.lock() else {
            return false;
        };
        let cooldown = self.issuer.refetch_cooldown;
        let recent = |at: Option<Instant>| at.is_some_and(|at| at.elapsed() < cooldown);
        let allowed = match trigger {
            Trigger::Empty => !recent(last.any),
            Trigger::Stale => true,
            Trigger::UnknownKey => !recent(last.unknown_key),
        };
        if allowed {
            let now = Some(Instant::now());
            last.any = now;
            if trigger == Trigger::UnknownKey {
                last.unknown_key = now;
            }
        }
        allowed
    }

    async fn fetch(&self) -> Result<KeySet, FetchError> {
        let jwks_uri = match (&self.endpoints.jwks, self.jwks_uri.load_full()) {
            (Some(configured), _) => configured.clone(),
            (None, Some(discovered)) => (*discovered).clone(),
            (None, None) => {
                let uri = self.discover().await?;
                self.jwks_uri.store(Some(Arc::new(uri.clone())));
                uri
            }
        };
        let body = self.get(&jwks_uri).await?;
        let set = parse_key_set(&body, &self.issuer).map_err(|source| FetchError::Json {
            url: jwks_uri.clone(),
            source,
        })?;
        if set.keys.is_empty() {
            return Err(FetchError::NoKeys { url: jwks_uri });
        }
        Ok(set)
    }

    async fn discover(&self) -> Result<Url, FetchError> {
        #[derive(Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }

        let url = &self.endpoints.discovery;
        let body = self.get(url).await?;
        let doc: Discovery = serde_json::from_slice(&body).map_err(|source| FetchError::Json {
            url: url.clone(),
            source,
        })?;
        if doc.issuer != self.issuer.url {
            return Err(FetchError::IssuerMismatch {
                expected: self.issuer.url.clone(),
                found: doc.issuer,
            });
        }
        checked_url("jwks_uri", &doc.jwks_uri).map_err(FetchError::BadJwksUri)
    }

    async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        let http = |source| FetchError::Http {
            url: url.clone(),
            source,
        };
        let mut response = self.client.get(url.clone()).send().await.map_err(http)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.clone(),
                status,
            });
        }

        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(FetchError::TooLarge { url: url.clone() });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Parses a JWK set, keeping only keys usable for signature verification.
///
/// Keys for encryption, symmetric keys, keys without `kid` and keys of unknown types are
/// skipped one by one, so one odd key does not hide the others.
fn parse_key_set(body: &[u8], issuer: &Issuer) -> Result<KeySet, serde_json::Error> {
    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }

    let raw: RawSet = serde_json::from_slice(body)?;
    let mut keys = HashMap::new();
    for value in raw.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        let Some((kid, key)) = verification_key(&jwk, issuer) else {
            continue;
        };
        keys.insert(kid, key);
    }
    Ok(KeySet {
        keys,
        fetched: Instant::now(),
    })
}

fn verification_key(jwk: &Jwk, issuer: &Issuer) -> Option<(String, VerificationKey)> {
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let kid = jwk.common.key_id.clone()?;
    let algorithm = pinned_algorithm(jwk)?;
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((
        kid,
        VerificationKey {
            algorithm,
            key,
            validation: validation(issuer, algorithm),
        },
    ))
}

/// Chooses the one algorithm a key may verify, from its `alg` or else its type and curve.
fn pinned_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let from_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    let Some(declared) = jwk.common.key_algorithm else {
        return Some(from_type);
    };
    let declared: Algorithm = declared.to_string().parse().ok()?;
    let same_family = match declared {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => from_type == Algorithm::RS256,
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::EdDSA => declared == from_type,
        _ => false,
    };
    same_family.then_some(declared)
}

fn validation(issuer: &Issuer, algorithm: Algorithm) -> Validation {
    let mut v = Validation::new(algorithm);
    v.algorithms = vec![algorithm];
    v.leeway = issuer.leeway.as_secs();
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    v.set_issuer(&[issuer.url.as_str()]);
    if let Some(aud) = &issuer.audience {
        v.set_audience(&[aud.as_str()]);
    }
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> Issuer {
        Issuer::oidc("https://id.example.com").audience("api")
    }

    #[test]
    fn odd_keys_are_skipped_and_good_ones_kept() {
        let body = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "h", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "weird", "kid": "w"},
            {"kty": "OKP", "kid": "x", "crv": "X25519", "x": "AAAA"},
            {"kty": "EC", "kid": "ec", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}
        ]});
        let set = parse_key_set(body.to_string().as_bytes(), &issuer()).unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.get("ec").unwrap().algorithm, Algorithm::ES256);
    }

    #[test]
    fn declared_algorithm_must_fit_the_key_type() {
        let body = serde_json::json!({"keys": [
            {"kty": "EC", "kid": "ec", "alg": "RS256", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "hs", "alg": "HS256", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]});
        let set = parse_key_set(body.to_string().as_bytes(), &issuer()).unwrap();
        assert!(set.keys.is_empty());
    }
}
