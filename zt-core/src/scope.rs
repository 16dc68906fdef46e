//! The set of scopes a verified credential carries.

use std::fmt;

/// Holds the scopes granted to a caller, deduplicated and sorted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scopes(Box<[String]>);

impl Scopes {
    /// Parses a space-separated scope string, as in OAuth 2.0's `scope` parameter.
    #[must_use]
    pub fn from_space_separated(text: &str) -> Self {
        text.split(' ').filter(|s| !s.is_empty()).collect()
    }

    /// Tells whether `scope` was granted.
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.0.binary_search_by(|s| s.as_str().cmp(scope)).is_ok()
    }

    /// Iterates over the granted scopes in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Returns how many scopes were granted.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Tells whether no scope was granted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: Into<String>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut all: Vec<String> = iter.into_iter().map(Into::into).collect();
        all.sort_unstable();
        all.dedup();
        Self(all.into_boxed_slice())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_separated_scopes_are_split_sorted_and_deduplicated() {
        let s = Scopes::from_space_separated("write  read write");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["read", "write"]);
        assert!(s.contains("read"));
        assert!(!s.contains("rea"));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn empty_text_has_no_scopes() {
        assert!(Scopes::from_space_separated("  ").is_empty());
    }
}
