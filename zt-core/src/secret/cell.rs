//! One secret: a lock-free snapshot of its versions and the shared, rate-limited refresh.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::sync::Notify;

use super::stats::Counters;
use super::{
    SecretPolicy, SecretSource, SecretStats, SecretVersion, SecretVersions, SourceError,
    Unavailable, UnavailableCause,
};
use crate::ConfigError;

/// Serves one secret from memory and keeps it fresh; cheap to clone and share.
///
/// Reads ([`Secret::current`], [`Secret::versions`]) load an atomic snapshot: they never lock,
/// never read the clock and never call the source. The snapshot is replaced by the background
/// refresher ([`Secret::spawn_refresher`] or
/// [`SecretStore::spawn_refresher`](super::SecretStore::spawn_refresher)) and, rate-limited and
/// shared by all concurrent callers, when a credential matches no cached version
/// ([`Secret::verify`]).
///
/// # Security
///
/// While the source fails, cached versions keep serving for [`SecretPolicy::max_stale`] after
/// the last successful fetch, with back-off between attempts and a WARN log per failed
/// attempt (target `zt::secrets`, never the value); then every read answers [`Unavailable`].
/// `Debug` shows the name and version ids, never a value.
///
/// # Limitations
///
/// Fetching and expiry need a Tokio runtime with timers enabled (actix-web's and
/// `#[tokio::main]`'s have them). [`Secret::verify`] checks the age of the cached versions
/// against the clock itself; [`Secret::current`] and [`Secret::versions`] rely on a timer task
/// that runs on the runtime which fetched the secret, so they notice expiry only while that
/// runtime is driven. If that runtime shuts down, the cached versions are treated as expired
/// until a fetch on another runtime succeeds.
#[derive(Clone)]
pub struct Secret {
    pub(super) cell: Arc<Cell>,
}

pub(super) struct Cell {
    this: Weak<Cell>,
    pub(super) name: Arc<str>,
    source: Box<dyn SecretSource>,
    pub(super) policy: SecretPolicy,
    snapshot: ArcSwap<Snapshot>,
    refresh: tokio::sync::Mutex<RefreshState>,
    /// Completed fetches; a caller that waited for the refresh lock and sees this changed
    /// shares the result instead of fetching again.
    attempts: AtomicU64,
    /// The current back-off in milliseconds, zero while healthy.
    backoff_ms: AtomicU64,
    background: AtomicBool,
    /// Set once the fail-closed transition was logged, cleared by a successful fetch.
    expiry_logged: AtomicBool,
    /// Set while an expiry watcher task runs for this secret.
    watcher: AtomicBool,
    /// Wakes the expiry watcher when a snapshot is installed or the secret is dropped.
    wake: Arc<Notify>,
    pub(super) counters: Counters,
}

/// What readers see: the versions and until when they may be used.
pub(super) struct Snapshot {
    pub(super) versions: Option<SecretVersions>,
    loaded_at: Option<Instant>,
    expires_at: Option<Instant>,
    /// Set by the expiry watcher once `expires_at` has passed, so that reads need no clock.
    expired: AtomicBool,
}

impl Snapshot {
    fn new(
        versions: Option<SecretVersions>,
        loaded_at: Option<Instant>,
        max_stale: Duration,
    ) -> Self {
        Self {
            versions,
            loaded_at,
            expires_at: loaded_at.and_then(|at| at.checked_add(max_stale)),
            expired: AtomicBool::new(false),
        }
    }

    /// Returns the versions unless the expiry watcher has marked them expired.
    pub(super) fn usable(&self) -> Option<&SecretVersions> {
        if self.expired.load(Ordering::Acquire) {
            return None;
        }
        self.versions.as_ref()
    }

    /// Returns the versions while they are younger than `max_stale` at `now`.
    pub(super) fn usable_at(&self, now: Instant) -> Option<&SecretVersions> {
        match self.expires_at {
            Some(expires_at) if now < expires_at => self.usable(),
            _ => None,
        }
    }
}

/// Why a refresh is wanted; each cause has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trigger {
    /// The refresher's timer: obeys the back-off while the source fails.
    Scheduled,
    /// A credential matched nothing, or nothing usable is cached: obeys the back-off and
    /// `miss_refresh_interval`, so callers cannot drive calls to the source.
    Demand,
    /// An explicit request by the application: shared, not rate-limited.
    Forced,
}

/// What a refresh call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refreshed {
    Fetched,
    Failed,
    /// Another caller's refresh completed while this one waited.
    Shared,
    /// Refused by the rate limit or back-off.
    Limited,
}

#[derive(Debug, Default)]
struct RefreshState {
    last_attempt: Option<Instant>,
    failures: u32,
    next_allowed: Option<Instant>,
}

impl RefreshState {
    /// Returns `true` when a refresh for `trigger` may go ahead now.
    fn allows(&self, trigger: Trigger, now: Instant, policy: &SecretPolicy) -> bool {
        let backing_off = self.next_allowed.is_some_and(|at| now < at);
        match trigger {
            Trigger::Forced => true,
            Trigger::Scheduled => !backing_off,
            Trigger::Demand => {
                let recent = self
                    .last_attempt
                    .is_some_and(|at| now.duration_since(at) < policy.miss_refresh_interval);
                !backing_off && !recent
            }
        }
    }
}

impl Secret {
    /// Creates a secret named `name` (for logs and errors) served from `source`.
    ///
    /// Nothing is fetched yet: start a refresher, or call [`Secret::refresh_now`], or let the
    /// first verification fetch it.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] naming the setting when the name is empty or the policy is
    /// invalid (zero intervals, `max_stale` not longer than the refresh interval, …).
    pub fn new(
        name: impl Into<String>,
        source: impl SecretSource,
        policy: SecretPolicy,
    ) -> Result<Self, ConfigError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(ConfigError::Invalid {
                setting: "secret.name".to_owned(),
                problem: "must not be empty".to_owned(),
            });
        }
        policy.validate(&format!("secret `{name}`"))?;
        Ok(Self::from_parts(name, Box::new(source), policy))
    }

    pub(super) fn from_parts(
        name: String,
        source: Box<dyn SecretSource>,
        policy: SecretPolicy,
    ) -> Self {
        let empty = Snapshot::new(None, None, policy.max_stale);
        Self {
            cell: Arc::new_cyclic(|this| Cell {
                this: this.clone(),
                name: Arc::from(name),
                source,
                policy,
                snapshot: ArcSwap::from_pointee(empty),
                refresh: tokio::sync::Mutex::new(RefreshState::default()),
                attempts: AtomicU64::new(0),
                backoff_ms: AtomicU64::new(0),
                background: AtomicBool::new(false),
                expiry_logged: AtomicBool::new(false),
                watcher: AtomicBool::new(false),
                wake: Arc::new(Notify::new()),
                counters: Counters::default(),
            }),
        }
    }

    /// Returns the secret's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.cell.name
    }

    /// Returns the policy the secret was created with.
    #[must_use]
    pub fn policy(&self) -> &SecretPolicy {
        &self.cell.policy
    }

    /// Returns the current version from memory.
    ///
    /// This is the read path: an atomic snapshot load and a reference-count increment; no
    /// lock, no clock read, no source call.
    ///
    /// # Errors
    ///
    /// Returns [`Unavailable`] when nothing was loaded yet or the cached versions are older
    /// than `max_stale`; a background refresh is then started (rate-limited) if a Tokio
    /// runtime is running.
    pub fn current(&self) -> Result<SecretVersion, Unavailable> {
        let snapshot = self.cell.snapshot.load();
        if let Some(versions) = snapshot.usable() {
            return Ok(versions.current().clone());
        }
        drop(snapshot);
        Err(self.cell.unavailable_and_refresh())
    }

    /// Returns every version that may be accepted: current, previous and pending.
    ///
    /// # Errors
    ///
    /// Returns [`Unavailable`] as [`Secret::current`] does.
    pub fn versions(&self) -> Result<SecretVersions, Unavailable> {
        let snapshot = self.cell.snapshot.load();
        if let Some(versions) = snapshot.usable() {
            return Ok(versions.clone());
        }
        drop(snapshot);
        Err(self.cell.unavailable_and_refresh())
    }

    /// Fetches from the source now, sharing a fetch already under way, ignoring the rate
    /// limits meant for request-driven refreshes.
    ///
    /// Use it at startup to wait for the first value, or from an admin hook after a manual
    /// rotation.
    ///
    /// # Errors
    ///
    /// Returns [`Unavailable`] when no usable version is cached afterwards.
    pub async fn refresh_now(&self) -> Result<(), Unavailable> {
        self.cell.refresh(Trigger::Forced).await;
        self.versions().map(drop)
    }

    /// Returns the counters and the age of the cached versions.
    #[must_use]
    pub fn stats(&self) -> SecretStats {
        let age = self.cell.snapshot.load().loaded_at.map(|at| at.elapsed());
        self.cell.counters.read(age)
    }

    pub(super) fn snapshot_full(&self) -> Arc<Snapshot> {
        self.cell.snapshot.load_full()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snapshot = self.cell.snapshot.load();
        let ids = snapshot.versions.as_ref().map(|v| {
            let id = |v: Option<&SecretVersion>| v.map(|v| v.id().to_owned());
            (
                v.current().id().to_owned(),
                id(v.previous()),
                id(v.pending()),
            )
        });
        f.debug_struct("Secret")
            .field("name", &self.cell.name)
            .field("source", &self.cell.source)
            .field("versions", &ids)
            .finish_non_exhaustive()
    }
}

impl Cell {
    /// Builds the fail-closed answer and starts a rate-limited refresh in the background.
    pub(super) fn unavailable_and_refresh(self: &Arc<Self>) -> Unavailable {
        self.refresh_in_background();
        self.unavailable()
    }

    pub(super) fn unavailable(&self) -> Unavailable {
        Counters::bump(&self.counters.unavailable);
        let snapshot = self.snapshot.load();
        if let (Some(_), Some(expires_at)) = (&snapshot.versions, snapshot.expires_at) {
            if Instant::now() >= expires_at {
                snapshot.expired.store(true, Ordering::Release);
            }
        }
        let cause = if snapshot.versions.is_some() {
            self.log_expiry();
            UnavailableCause::Expired
        } else {
            UnavailableCause::NeverLoaded
        };
        let backoff = Duration::from_millis(self.backoff_ms.load(Ordering::Relaxed));
        let whole_seconds = backoff.as_secs() + u64::from(backoff.subsec_nanos() > 0);
        let retry_after = Duration::from_secs(whole_seconds.max(1));
        Unavailable::new(Arc::clone(&self.name), cause, retry_after)
    }

    fn refresh_in_background(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        runtime.spawn(async move {
            this.refresh(Trigger::Demand).await;
            this.background.store(false, Ordering::Release);
        });
    }

    /// Fetches from the source unless the trigger's limit forbids it; concurrent callers
    /// share one fetch.
    pub(super) async fn refresh(&self, trigger: Trigger) -> Refreshed {
        let seen = self.attempts.load(Ordering::Acquire);
        let mut state = self.refresh.lock().await;
        if self.attempts.load(Ordering::Acquire) != seen {
            Counters::bump(&self.counters.shared_refreshes);
            return Refreshed::Shared;
        }
        let now = Instant::now();
        if !state.allows(trigger, now, &self.policy) {
            if trigger == Trigger::Demand {
                Counters::bump(&self.counters.demand_refreshes_limited);
            }
            return Refreshed::Limited;
        }
        state.last_attempt = Some(now);
        if trigger == Trigger::Demand {
            Counters::bump(&self.counters.demand_refreshes);
        }

        let cached = self.snapshot.load_full();
        let result = self.fetch(cached.versions.as_ref()).await;
        Counters::bump(&self.counters.refreshes);

        let outcome = match result {
            Ok(versions) => {
                self.install(&cached, versions, &mut state);
                Refreshed::Fetched
            }
            Err(error) => {
                self.record_failure(&cached, &error, &mut state);
                Refreshed::Failed
            }
        };
        self.attempts.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    async fn fetch(&self, cached: Option<&SecretVersions>) -> Result<SecretVersions, SourceError> {
        let timeout = self.policy.fetch_timeout;
        let fetched = tokio::time::timeout(timeout, self.source.fetch(cached))
            .await
            .map_err(|_| SourceError::Timeout(timeout))??;
        fetched
            .normalized()
            .ok_or_else(|| SourceError::Invalid("the current value is empty".to_owned()))
    }

    fn install(&self, cached: &Snapshot, versions: SecretVersions, state: &mut RefreshState) {
        let changed = cached
            .versions
            .as_ref()
            .is_none_or(|old| !old.same_ids(&versions));
        let id = |v: Option<&SecretVersion>| v.map(|v| v.id().to_owned());
        metrics::counter!(
            crate::metrics::SECRET_REFRESHES,
            "secret" => self.name.to_string(),
            "outcome" => "ok",
        )
        .increment(1);
        if changed {
            Counters::bump(&self.counters.version_changes);
            tracing::info!(
                target: "zt::secrets",
                secret = %self.name,
                source = self.source.kind(),
                current = versions.current().id(),
                previous = ?id(versions.previous()),
                pending = ?id(versions.pending()),
                "secret versions changed"
            );
        } else {
            tracing::trace!(
                target: "zt::secrets",
                secret = %self.name,
                current = versions.current().id(),
                "secret unchanged"
            );
        }
        if state.failures > 0 {
            tracing::info!(
                target: "zt::secrets",
                secret = %self.name,
                source = self.source.kind(),
                failed_attempts = state.failures,
                "secret source recovered"
            );
        }

        *state = RefreshState {
            last_attempt: state.last_attempt,
            ..RefreshState::default()
        };
        self.backoff_ms.store(0, Ordering::Relaxed);
        self.expiry_logged.store(false, Ordering::Release);
        self.counters
            .consecutive_failures
            .store(0, Ordering::Relaxed);
        let now = Some(Instant::now());
        let snapshot = Snapshot::new(Some(versions), now, self.policy.max_stale);
        self.snapshot.store(Arc::new(snapshot));
        self.wake.notify_one();
        self.ensure_watcher();
    }

    /// Starts the expiry watcher on the current runtime unless one runs.
    fn ensure_watcher(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.watcher.swap(true, Ordering::AcqRel) {
            return;
        }
        // The guard is created here, not in the task, so that it also runs when the runtime
        // drops the task before ever polling it.
        let guard = WatcherGuard(self.this.clone());
        runtime.spawn(watch_expiry(guard, Arc::clone(&self.wake)));
    }

    fn record_failure(&self, cached: &Snapshot, error: &SourceError, state: &mut RefreshState) {
        state.failures = state.failures.saturating_add(1);
        let backoff = self.policy.backoff(state.failures);
        let now = Instant::now();
        state.next_allowed = now.checked_add(backoff);
        let backoff_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX);
        self.backoff_ms.store(backoff_ms, Ordering::Relaxed);
        Counters::bump(&self.counters.refresh_failures);
        metrics::counter!(
            crate::metrics::SECRET_REFRESHES,
            "secret" => self.name.to_string(),
            "outcome" => "error",
        )
        .increment(1);
        self.counters
            .consecutive_failures
            .store(u64::from(state.failures), Ordering::Relaxed);

        let serving = cached.usable_at(now).is_some();
        tracing::warn!(
            target: "zt::secrets",
            secret = %self.name,
            source = self.source.kind(),
            %error,
            serving_cached = serving,
            stale_for = ?cached.loaded_at.map(|at| now.duration_since(at)),
            failed_attempts = state.failures,
            retry_in = ?backoff,
            "could not refresh secret"
        );
        if cached.versions.is_some() && !serving {
            self.log_expiry();
        }
    }

    /// Logs, once per outage, that the cached versions have expired.
    fn log_expiry(&self) {
        if !self.expiry_logged.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                target: "zt::secrets",
                secret = %self.name,
                source = self.source.kind(),
                max_stale = ?self.policy.max_stale,
                "cached secret versions are too old to use; failing closed"
            );
        }
    }

    /// Refreshes on the policy's interval until the task is aborted: at once when nothing is
    /// loaded, after the back-off while the source fails.
    pub(super) async fn run_refresher(self: Arc<Self>) {
        let mut delay = if self.snapshot.load().versions.is_some() {
            self.next_delay().await
        } else {
            Duration::ZERO
        };
        loop {
            tokio::time::sleep(delay).await;
            self.refresh(Trigger::Scheduled).await;
            delay = self.next_delay().await.max(Duration::from_millis(1));
        }
    }

    /// Returns how long the refresher sleeps before its next attempt.
    pub(super) async fn next_delay(&self) -> Duration {
        let state = self.refresh.lock().await;
        if let Some(at) = state.next_allowed {
            return at.saturating_duration_since(Instant::now());
        }
        if self.snapshot.load().versions.is_none() {
            return self.policy.retry_min;
        }
        jittered(self.policy.refresh_interval, self.policy.jitter)
    }
}

impl Drop for Cell {
    fn drop(&mut self) {
        // Lets the expiry watcher see that the secret is gone and end.
        self.wake.notify_one();
    }
}

/// Marks each snapshot expired when its `max_stale` has passed, so that reads need no clock.
///
/// Holds only a weak reference between wake-ups; ends when the secret is dropped.
async fn watch_expiry(guard: WatcherGuard, wake: Arc<Notify>) {
    let cell = &guard.0;
    loop {
        let Some(snapshot) = cell.upgrade().map(|c| c.snapshot.load_full()) else {
            return;
        };
        match snapshot.expires_at {
            Some(deadline) if !snapshot.expired.load(Ordering::Acquire) => {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline.into()) => {}
                    () = wake.notified() => continue,
                }
            }
            _ => {
                wake.notified().await;
                continue;
            }
        }

        let Some(live) = cell.upgrade() else {
            return;
        };
        if Arc::ptr_eq(&live.snapshot.load(), &snapshot) {
            snapshot.expired.store(true, Ordering::Release);
            live.log_expiry();
        }
    }
}

/// Fails closed when the watcher stops while the secret lives (its runtime shut down): the
/// current versions count as expired until a fetch starts a new watcher.
struct WatcherGuard(Weak<Cell>);

impl Drop for WatcherGuard {
    fn drop(&mut self) {
        if let Some(cell) = self.0.upgrade() {
            cell.snapshot.load().expired.store(true, Ordering::Release);
            cell.watcher.store(false, Ordering::Release);
        }
    }
}

/// Spreads `interval` uniformly over `interval ± jitter`.
fn jittered(interval: Duration, jitter: Duration) -> Duration {
    let jitter_ms = u64::try_from(jitter.as_millis()).unwrap_or(u64::MAX / 4);
    if jitter_ms == 0 {
        return interval;
    }
    let offset = Duration::from_millis(spread_seed() % (2 * jitter_ms + 1));
    interval.saturating_sub(jitter) + offset
}

/// Returns a number that differs between calls and processes; for spreading timers only,
/// never for anything secret.
fn spread_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};

    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_bounds() {
        let interval = Duration::from_secs(10);
        let jitter = Duration::from_secs(2);
        for _ in 0..1000 {
            let wait = jittered(interval, jitter);
            assert!(wait >= Duration::from_secs(8) && wait <= Duration::from_secs(12));
        }
        assert_eq!(jittered(interval, Duration::ZERO), interval);
    }

    #[test]
    fn demand_refresh_obeys_interval_and_backoff() {
        let policy = SecretPolicy::default();
        let now = Instant::now();
        let mut state = RefreshState::default();
        assert!(state.allows(Trigger::Demand, now, &policy));

        state.last_attempt = Some(now);
        assert!(!state.allows(Trigger::Demand, now, &policy));
        assert!(state.allows(Trigger::Scheduled, now, &policy));
        let later = now + policy.miss_refresh_interval;
        assert!(state.allows(Trigger::Demand, later, &policy));

        state.next_allowed = Some(later + Duration::from_secs(5));
        assert!(!state.allows(Trigger::Demand, later, &policy));
        assert!(!state.allows(Trigger::Scheduled, later, &policy));
        assert!(state.allows(Trigger::Forced, later, &policy));
    }
}
