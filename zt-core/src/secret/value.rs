//! Secret values, the versions that carry them, and the set of versions a source reports.

use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretSlice};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// Holds the bytes of one secret value.
///
/// # Security
///
/// The bytes live in a [`secrecy`] box: `Debug` prints `[REDACTED]`, there is no `Display`,
/// and the memory is zeroized when the value drops. Constructors copy their input into an
/// exactly sized box and zeroize the input, so no spare copy is left behind by a reallocation.
/// Comparisons through [`SecretValue::ct_eq`] take the same time wherever the first difference
/// is.
///
/// # Limitations
///
/// Copies made before the value reached this type (an HTTP response buffer, a string an SDK
/// returned) are outside its control.
pub struct SecretValue {
    bytes: SecretSlice<u8>,
    text: bool,
}

impl SecretValue {
    /// Wraps a text value, zeroizing the given string.
    #[must_use]
    pub fn from_text(mut text: String) -> Self {
        let value = Self::copied(text.as_bytes(), true);
        text.zeroize();
        value
    }

    /// Wraps a binary value, zeroizing the given vector.
    #[must_use]
    pub fn from_bytes(mut bytes: Vec<u8>) -> Self {
        let value = Self::copied(&bytes, false);
        bytes.zeroize();
        value
    }

    fn copied(bytes: &[u8], text: bool) -> Self {
        Self {
            bytes: SecretSlice::from(Box::<[u8]>::from(bytes)),
            text,
        }
    }

    /// Returns the raw bytes, for code that must use the value (an HMAC key, a comparison).
    ///
    /// # Security
    ///
    /// Do not log, format or store what this returns.
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8] {
        self.bytes.expose_secret()
    }

    /// Returns the value as text when it was stored as text and is valid UTF-8.
    ///
    /// # Security
    ///
    /// Do not log, format or store what this returns.
    #[must_use]
    pub fn expose_text(&self) -> Option<&str> {
        if !self.text {
            return None;
        }
        std::str::from_utf8(self.expose_bytes()).ok()
    }

    /// Tells whether the source stored the value as text rather than binary.
    #[must_use]
    pub const fn is_text(&self) -> bool {
        self.text
    }

    /// Tells whether the value has no bytes; the store never serves such a value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.expose_bytes().is_empty()
    }

    /// Compares the value with `candidate` in constant time.
    ///
    /// # Security
    ///
    /// The time taken depends on the lengths only, never on where the bytes differ.
    #[must_use]
    pub fn ct_eq(&self, candidate: &[u8]) -> bool {
        bool::from(self.expose_bytes().ct_eq(candidate))
    }
}

impl ExposeSecret<[u8]> for SecretValue {
    fn expose_secret(&self) -> &[u8] {
        self.expose_bytes()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue([REDACTED])")
    }
}

impl From<String> for SecretValue {
    fn from(text: String) -> Self {
        Self::from_text(text)
    }
}

impl From<&str> for SecretValue {
    fn from(text: &str) -> Self {
        Self::copied(text.as_bytes(), true)
    }
}

impl From<Vec<u8>> for SecretValue {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from_bytes(bytes)
    }
}

impl From<&[u8]> for SecretValue {
    fn from(bytes: &[u8]) -> Self {
        Self::copied(bytes, false)
    }
}

/// Names one version of a secret together with its value; cheap to clone.
///
/// The id is the source's own: a Secrets Manager version id, an SSM version number, or a
/// counter for files, environment variables and memory.
#[derive(Clone)]
pub struct SecretVersion(Arc<VersionInner>);

struct VersionInner {
    id: Box<str>,
    value: SecretValue,
}

impl SecretVersion {
    /// Pairs a version id with its value.
    #[must_use]
    pub fn new(id: impl Into<String>, value: impl Into<SecretValue>) -> Self {
        Self(Arc::new(VersionInner {
            id: id.into().into_boxed_str(),
            value: value.into(),
        }))
    }

    /// Returns the version id, which is not secret.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// Returns the value.
    #[must_use]
    pub fn value(&self) -> &SecretValue {
        &self.0.value
    }
}

impl fmt::Debug for SecretVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretVersion")
            .field("id", &self.id())
            .field("value", &self.0.value)
            .finish()
    }
}

/// Names the role a version plays in a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The version in use (`AWSCURRENT`, the latest parameter version).
    Current,
    /// The version in use before the last rotation (`AWSPREVIOUS`, parameter version N-1).
    Previous,
    /// A version staged by a rotation in progress and not yet current (`AWSPENDING`).
    Pending,
}

impl Stage {
    /// Returns a stable lowercase name for logs and metrics.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Previous => "previous",
            Self::Pending => "pending",
        }
    }
}

/// Lists the versions of one secret that a source reports: current, and previous and pending
/// when they exist.
///
/// Sources build it; the store normalizes it (a previous or pending version with the current
/// id is dropped, an empty previous or pending value is dropped, an empty current value is
/// refused) and serves it.
#[derive(Clone, Debug)]
pub struct SecretVersions {
    current: SecretVersion,
    previous: Option<SecretVersion>,
    pending: Option<SecretVersion>,
}

impl SecretVersions {
    /// Starts a set with its current version.
    #[must_use]
    pub const fn new(current: SecretVersion) -> Self {
        Self {
            current,
            previous: None,
            pending: None,
        }
    }

    /// Adds or clears the previous version.
    #[must_use]
    pub fn with_previous(mut self, previous: Option<SecretVersion>) -> Self {
        self.previous = previous;
        self
    }

    /// Adds or clears the pending version.
    #[must_use]
    pub fn with_pending(mut self, pending: Option<SecretVersion>) -> Self {
        self.pending = pending;
        self
    }

    /// Returns the current version.
    #[must_use]
    pub const fn current(&self) -> &SecretVersion {
        &self.current
    }

    /// Returns the previous version, if the source has one.
    #[must_use]
    pub const fn previous(&self) -> Option<&SecretVersion> {
        self.previous.as_ref()
    }

    /// Returns the pending version while a rotation is in progress.
    #[must_use]
    pub const fn pending(&self) -> Option<&SecretVersion> {
        self.pending.as_ref()
    }

    /// Finds a version by id among current, previous and pending.
    ///
    /// Sources use it to reuse a value whose version did not change instead of fetching it.
    #[must_use]
    pub fn find(&self, id: &str) -> Option<&SecretVersion> {
        self.stages()
            .find(|(_, version)| version.id() == id)
            .map(|(_, version)| version)
    }

    /// Iterates over the versions with their stage: current, previous, pending.
    pub fn stages(&self) -> impl Iterator<Item = (Stage, &SecretVersion)> {
        let previous = self.previous.iter().map(|v| (Stage::Previous, v));
        let pending = self.pending.iter().map(|v| (Stage::Pending, v));
        std::iter::once((Stage::Current, &self.current))
            .chain(previous)
            .chain(pending)
    }

    /// Drops what must never be served, or returns `None` when the current value is empty.
    pub(crate) fn normalized(self) -> Option<Self> {
        if self.current.value().is_empty() {
            return None;
        }
        let current_id = self.current.id().to_owned();
        let keep = |v: &SecretVersion| v.id() != current_id && !v.value().is_empty();
        Some(Self {
            previous: self.previous.filter(keep),
            pending: self.pending.filter(keep),
            current: self.current,
        })
    }

    /// Tells whether both sets name the same versions in the same stages.
    pub(crate) fn same_ids(&self, other: &Self) -> bool {
        fn id(version: Option<&SecretVersion>) -> Option<&str> {
            version.map(SecretVersion::id)
        }
        self.current.id() == other.current.id()
            && id(self.previous()) == id(other.previous())
            && id(self.pending()) == id(other.pending())
    }
}

/// Assigns version ids to sources that have none (files, environment variables): the id
/// changes exactly when the content does.
#[derive(Debug)]
pub(crate) struct ContentVersions {
    prefix: String,
    counter: u64,
    last: Option<SecretVersion>,
}

impl ContentVersions {
    pub(crate) fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            counter: 0,
            last: None,
        }
    }

    /// Returns the version for `value`: the last one when the content is unchanged, else a
    /// new one with the next id.
    pub(crate) fn version(&mut self, value: SecretValue) -> SecretVersion {
        if let Some(last) = &self.last {
            if last.value().ct_eq(value.expose_bytes()) {
                return last.clone();
            }
        }
        self.counter += 1;
        let version = SecretVersion::new(format!("{}{}", self.prefix, self.counter), value);
        self.last = Some(version.clone());
        version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let version = SecretVersion::new("v1", "hunter2-correct-horse");
        let text = format!("{version:?} {:?}", version.value());
        assert!(!text.contains("hunter2"));
        assert!(text.contains("REDACTED"));
        assert!(text.contains("v1"));
    }

    #[test]
    fn text_and_binary_values_expose_what_they_hold() {
        let text = SecretValue::from_text("abc".to_owned());
        assert_eq!(text.expose_text(), Some("abc"));
        let binary = SecretValue::from_bytes(vec![0, 159, 146]);
        assert_eq!(binary.expose_text(), None);
        assert_eq!(binary.expose_bytes(), &[0, 159, 146]);
        assert!(binary.ct_eq(&[0, 159, 146]));
        assert!(!binary.ct_eq(&[0, 159]));
    }

    #[test]
    fn normalizing_drops_duplicates_and_empty_values() {
        let set = SecretVersions::new(SecretVersion::new("a", "x"))
            .with_previous(Some(SecretVersion::new("a", "y")))
            .with_pending(Some(SecretVersion::new("b", "")));
        let set = set.normalized().unwrap();
        assert!(set.previous().is_none());
        assert!(set.pending().is_none());

        let empty = SecretVersions::new(SecretVersion::new("a", ""));
        assert!(empty.normalized().is_none());
    }

    #[test]
    fn content_versions_change_only_with_content() {
        let mut ids = ContentVersions::new("file#");
        let a = ids.version("one".into());
        let same = ids.version("one".into());
        let b = ids.version("two".into());
        assert_eq!(a.id(), "file#1");
        assert_eq!(same.id(), "file#1");
        assert_eq!(b.id(), "file#2");
    }
}
