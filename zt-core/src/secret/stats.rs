//! Counters kept per secret, for metrics and tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts what the store did for one secret since it was created.
///
/// Counters only grow; read them with [`Secret::stats`](super::Secret::stats) and export them
/// to your metrics system. Reads of cached values are not counted, so the read path touches
/// no shared counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SecretStats {
    /// Fetches from the source, successful or not.
    pub refreshes: u64,
    /// Fetches that failed.
    pub refresh_failures: u64,
    /// Successful fetches that found a different set of versions.
    pub version_changes: u64,
    /// Fetches caused by a credential that matched no cached version, or by a read that
    /// found nothing usable.
    pub demand_refreshes: u64,
    /// Demand refreshes refused by `miss_refresh_interval` or back-off.
    pub demand_refreshes_limited: u64,
    /// Callers that shared another caller's refresh instead of starting one.
    pub shared_refreshes: u64,
    /// Verifications that matched the previous or pending version, and client switches to
    /// the previous version.
    pub fallbacks: u64,
    /// Answers of "unavailable": nothing loaded, or cached versions past `max_stale`.
    pub unavailable: u64,
    /// Consecutive failed fetches, zero while the source is healthy.
    pub consecutive_failures: u64,
    /// Time since the last successful fetch, if any.
    pub age: Option<Duration>,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) refreshes: AtomicU64,
    pub(crate) refresh_failures: AtomicU64,
    pub(crate) version_changes: AtomicU64,
    pub(crate) demand_refreshes: AtomicU64,
    pub(crate) demand_refreshes_limited: AtomicU64,
    pub(crate) shared_refreshes: AtomicU64,
    pub(crate) fallbacks: AtomicU64,
    pub(crate) unavailable: AtomicU64,
    pub(crate) consecutive_failures: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn read(&self, age: Option<Duration>) -> SecretStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SecretStats {
            refreshes: get(&self.refreshes),
            refresh_failures: get(&self.refresh_failures),
            version_changes: get(&self.version_changes),
            demand_refreshes: get(&self.demand_refreshes),
            demand_refreshes_limited: get(&self.demand_refreshes_limited),
            shared_refreshes: get(&self.shared_refreshes),
            fallbacks: get(&self.fallbacks),
            unavailable: get(&self.unavailable),
            consecutive_failures: get(&self.consecutive_failures),
            age,
        }
    }
}
