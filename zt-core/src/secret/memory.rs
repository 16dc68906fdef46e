//! A source held in memory, for tests and local development.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::{SecretSource, SecretValue, SecretVersion, SecretVersions, SourceError};

/// Keeps a secret's versions in memory and rotates them on demand, for tests.
///
/// Clones share the same versions: give one clone to the store and drive rotations and
/// failures through another. Version ids are `mem-1`, `mem-2`, … in the order values were
/// set.
///
/// # Examples
///
/// ```
/// use zt_core::secret::MemorySource;
///
/// let source = MemorySource::new();
/// source.set_current("first");
/// source.stage_pending("second"); // a rotation starts
/// source.promote(); // second is current, first is previous
/// source.rotate("third"); // stage and promote at once; first is now refused
/// source.fail(true); // every fetch fails until fail(false)
/// ```
///
/// # Security
///
/// For tests and local development: values are zeroized on drop like every
/// [`SecretValue`], but are set from plain strings in code. `Debug` shows ids only.
#[derive(Clone, Default)]
pub struct MemorySource {
    state: Arc<Mutex<MemoryState>>,
}

#[derive(Default)]
struct MemoryState {
    counter: u64,
    current: Option<SecretVersion>,
    previous: Option<SecretVersion>,
    pending: Option<SecretVersion>,
    failing: bool,
    delay: Duration,
    fetches: u64,
}

impl MemoryState {
    fn next(&mut self, value: SecretValue) -> SecretVersion {
        self.counter += 1;
        SecretVersion::new(format!("mem-{}", self.counter), value)
    }
}

impl MemorySource {
    /// Creates a source with no version; fetches fail with [`SourceError::NotFound`] until
    /// a current version is set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the current version without keeping the old one as previous, and returns the
    /// new version id.
    pub fn set_current(&self, value: impl Into<SecretValue>) -> String {
        let mut state = self.state();
        let version = state.next(value.into());
        let id = version.id().to_owned();
        state.current = Some(version);
        id
    }

    /// Stages a pending version, as a rotation's first step does, and returns its id.
    pub fn stage_pending(&self, value: impl Into<SecretValue>) -> String {
        let mut state = self.state();
        let version = state.next(value.into());
        let id = version.id().to_owned();
        state.pending = Some(version);
        id
    }

    /// Finishes a rotation: pending becomes current and current becomes previous.
    ///
    /// Returns `false`, changing nothing, when no version is pending.
    pub fn promote(&self) -> bool {
        let mut state = self.state();
        let Some(pending) = state.pending.take() else {
            return false;
        };
        state.previous = state.current.replace(pending);
        true
    }

    /// Stages `value` and promotes it at once; returns the new current id.
    pub fn rotate(&self, value: impl Into<SecretValue>) -> String {
        let id = self.stage_pending(value);
        self.promote();
        id
    }

    /// Drops the pending version, as an abandoned rotation does.
    pub fn cancel_pending(&self) {
        self.state().pending = None;
    }

    /// Makes every fetch fail (as an unreachable service) until called with `false`.
    pub fn fail(&self, failing: bool) {
        self.state().failing = failing;
    }

    /// Makes every fetch take `delay` before answering.
    pub fn set_delay(&self, delay: Duration) {
        self.state().delay = delay;
    }

    /// Returns how many fetches were made, failed ones included.
    #[must_use]
    pub fn fetches(&self) -> u64 {
        self.state().fetches
    }
}

#[async_trait]
impl SecretSource for MemorySource {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn fetch(&self, _cached: Option<&SecretVersions>) -> Result<SecretVersions, SourceError> {
        let delay = {
            let mut state = self.state();
            state.fetches += 1;
            state.delay
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }

        let state = self.state();
        if state.failing {
            return Err(SourceError::Unreachable(
                "the memory source is set to fail".to_owned(),
            ));
        }
        let Some(current) = state.current.clone() else {
            return Err(SourceError::NotFound(
                "the memory source has no current version".to_owned(),
            ));
        };
        Ok(SecretVersions::new(current)
            .with_previous(state.previous.clone())
            .with_pending(state.pending.clone()))
    }
}

impl fmt::Debug for MemorySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        let id = |v: &Option<SecretVersion>| v.as_ref().map(|v| v.id().to_owned());
        f.debug_struct("MemorySource")
            .field("current", &id(&state.current))
            .field("previous", &id(&state.previous))
            .field("pending", &id(&state.pending))
            .field("failing", &state.failing)
            .finish()
    }
}
