//! Checking a presented credential against the versions a verifier may accept.

use std::sync::Arc;
use std::time::Instant;

use super::cell::Trigger;
use super::stats::Counters;
use super::{Refusal, Secret, SecretMatch, SecretValue, SecretVersions, Stage};

impl Secret {
    /// Checks a presented credential with `check` against current, then previous, then
    /// pending (only while a rotation is in progress and the policy accepts pending), and
    /// names the version that matched.
    ///
    /// `check` receives a candidate value and says whether the credential fits it (an HMAC
    /// comparison, a key comparison). When nothing matches, one refresh is attempted, shared
    /// by every concurrent caller and no more often than `miss_refresh_interval`, so a version
    /// rotated in moments ago is found while junk credentials cannot drive calls to the
    /// source. The candidates are then checked again if the refresh brought anything new.
    ///
    /// # Errors
    ///
    /// Returns [`Refusal::NoMatch`] when no accepted version fits, and
    /// [`Refusal::Unavailable`] when the secret cannot be used (map it with
    /// [`Refusal::denial`]: 401 or 503).
    ///
    /// # Security
    ///
    /// Versions older than previous are never offered to `check`. `check` must compare in
    /// constant time; [`Secret::verify_eq`] does for plain equality. Which stage matched is
    /// observable through timing; the values are not.
    pub async fn verify<F>(&self, check: F) -> Result<SecretMatch, Refusal>
    where
        F: Fn(&SecretValue) -> bool,
    {
        let first = self.snapshot_full();
        if let Some(versions) = first.usable_at(Instant::now()) {
            if let Some(found) = self.matching(versions, &check) {
                return Ok(found);
            }
        }

        self.cell.refresh(Trigger::Demand).await;

        let second = self.snapshot_full();
        let Some(versions) = second.usable_at(Instant::now()) else {
            return Err(self.cell.unavailable().into());
        };
        if Arc::ptr_eq(&first, &second) {
            return Err(Refusal::NoMatch);
        }
        self.matching(versions, &check).ok_or(Refusal::NoMatch)
    }

    /// Checks a presented value for equality, in constant time, as [`Secret::verify`] does.
    ///
    /// # Errors
    ///
    /// As [`Secret::verify`].
    pub async fn verify_eq(&self, presented: &[u8]) -> Result<SecretMatch, Refusal> {
        self.verify(|value| value.ct_eq(presented)).await
    }

    fn matching<F>(&self, versions: &SecretVersions, check: &F) -> Option<SecretMatch>
    where
        F: Fn(&SecretValue) -> bool,
    {
        let accept_pending = self.cell.policy.accept_pending;
        let (stage, version) = versions
            .stages()
            .filter(|(stage, _)| *stage != Stage::Pending || accept_pending)
            .find(|(_, version)| check(version.value()))?;

        if stage != Stage::Current {
            Counters::bump(&self.cell.counters.fallbacks);
            tracing::debug!(
                target: "zt::secrets",
                secret = %self.cell.name,
                stage = stage.as_str(),
                version = version.id(),
                "credential matched a non-current version"
            );
        }
        Some(SecretMatch::new(stage, version.id()))
    }
}
