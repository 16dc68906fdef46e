//! Remembers tokens that verified, so that a token presented again skips the signature check.
//!
//! An entry is keyed by the SHA-256 of the whole token and holds the principal the token
//! vouched for and the id of the key that signed it. It expires at the token's `exp` and is
//! served only while that key is still in the issuer's key set.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_lc_rs::digest;
use moka::sync::Cache;
use moka::Expiry;

use crate::Principal;

/// Names a verified token by its SHA-256, so the cache never holds the token itself.
pub(super) type TokenDigest = [u8; 32];

/// Caches the principals of verified tokens, bounded in entries and by each token's expiry.
pub(super) struct VerifiedTokens {
    cache: Option<Cache<TokenDigest, Arc<Verified>>>,
}

/// Holds what a verified token proved.
pub(super) struct Verified {
    pub(super) principal: Arc<Principal>,
    pub(super) kid: Box<str>,
    lifetime: Duration,
}

/// Expires each entry when its token does.
struct UntilTokenExpiry;

impl Expiry<TokenDigest, Arc<Verified>> for UntilTokenExpiry {
    fn expire_after_create(
        &self,
        _: &TokenDigest,
        value: &Arc<Verified>,
        _: Instant,
    ) -> Option<Duration> {
        Some(value.lifetime)
    }
}

impl VerifiedTokens {
    /// Creates a cache of at most `capacity` entries; `0` creates none.
    pub(super) fn new(capacity: u64) -> Self {
        let cache = (capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilTokenExpiry)
                .build()
        });
        Self { cache }
    }

    /// Returns the digest to look a token up by, or `None` when the cache is off.
    pub(super) fn digest(&self, token: &str) -> Option<TokenDigest> {
        self.cache.as_ref()?;
        let hash = digest::digest(&digest::SHA256, token.as_bytes());
        let mut out = [0; 32];
        out.copy_from_slice(hash.as_ref());
        Some(out)
    }

    /// Returns what the token proved, if it verified before and has not expired since.
    pub(super) fn get(&self, digest: &TokenDigest) -> Option<Arc<Verified>> {
        let verified = self.cache.as_ref()?.get(digest)?;
        // The cache's own expiry is checked lazily on a timer wheel; the token's `exp` is the
        // authority.
        let live = verified
            .principal
            .expires_at()
            .is_some_and(|exp| exp > SystemTime::now());
        live.then_some(verified)
    }

    /// Forgets a token, when the key that signed it is gone.
    pub(super) fn remove(&self, digest: &TokenDigest) {
        if let Some(cache) = &self.cache {
            cache.invalidate(digest);
        }
    }

    /// Remembers a token that just verified, until its expiry.
    pub(super) fn insert(&self, digest: TokenDigest, principal: &Arc<Principal>, kid: &str) {
        let Some(cache) = &self.cache else { return };
        let Some(lifetime) = principal
            .expires_at()
            .and_then(|exp| exp.duration_since(SystemTime::now()).ok())
        else {
            return;
        };
        let verified = Verified {
            principal: Arc::clone(principal),
            kid: kid.into(),
            lifetime,
        };
        cache.insert(digest, Arc::new(verified));
    }

    /// Returns how many entries are held, for tests and metrics; approximate while inserts
    /// are pending.
    #[cfg(test)]
    pub(super) fn len(&self) -> u64 {
        self.cache.as_ref().map_or(0, |c| {
            c.run_pending_tasks();
            c.entry_count()
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a panic is how a test reports failure")]
mod tests {
    use super::*;
    use crate::{Mechanism, Provider};

    fn principal(expires_in: Duration) -> Arc<Principal> {
        Arc::new(
            Principal::new(Mechanism::Token(Provider::Okta), "iss", "sub")
                .with_expiry(SystemTime::now() + expires_in),
        )
    }

    #[test]
    fn a_verified_token_is_found_by_its_digest_only() {
        let cache = VerifiedTokens::new(10);
        let digest = cache.digest("a.b.c").unwrap();
        cache.insert(digest, &principal(Duration::from_secs(60)), "k1");

        let found = cache.get(&digest).unwrap();
        assert_eq!(found.principal.subject(), "sub");
        assert_eq!(&*found.kid, "k1");
        assert!(cache.get(&cache.digest("a.b.d").unwrap()).is_none());
    }

    #[test]
    fn an_expired_token_is_never_served() {
        let cache = VerifiedTokens::new(10);
        let digest = cache.digest("a.b.c").unwrap();
        cache.insert(digest, &principal(Duration::from_millis(50)), "k1");
        std::thread::sleep(Duration::from_millis(80));

        assert!(cache.get(&digest).is_none());
    }

    #[test]
    fn the_cache_is_bounded_and_can_be_off() {
        let cache = VerifiedTokens::new(100);
        for i in 0..1_000 {
            let digest = cache.digest(&format!("token-{i}")).unwrap();
            cache.insert(digest, &principal(Duration::from_secs(60)), "k1");
        }
        assert!(cache.len() <= 100, "{} entries", cache.len());

        let off = VerifiedTokens::new(0);
        assert!(off.digest("a.b.c").is_none());
    }
}
