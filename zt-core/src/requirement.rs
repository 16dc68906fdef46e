//! What a handler demands of its caller, declared once and checked on every request.

use std::fmt;

/// Declares what a handler requires before it may run.
///
/// Values are built at compile time by the `#[zero_trust]` attribute and live in statics, so
/// every field borrows `'static` data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// No credential is needed; the reason is kept for the route inventory and the logs.
    Anonymous {
        /// Why this route is public, as written in the attribute.
        reason: &'static str,
    },
    /// A bearer access token from the given provider carrying the given scopes.
    Token {
        /// Which configured issuer must have minted the token.
        provider: Provider,
        /// Which scopes the token must carry.
        scopes: ScopeRule,
    },
    /// An API key from the key ring carrying the given scopes.
    ApiKey {
        /// Which scopes the key must grant.
        scopes: ScopeRule,
    },
}

impl Requirement {
    /// Returns the provider a token must come from, or `None` for anonymous routes.
    #[must_use]
    pub const fn provider(&self) -> Option<Provider> {
        match self {
            Self::Token { provider, .. } => Some(*provider),
            Self::Anonymous { .. } | Self::ApiKey { .. } => None,
        }
    }

    /// Returns the name of the setting this requirement needs configured, if any.
    #[must_use]
    pub const fn setting(&self) -> Option<&'static str> {
        match self {
            Self::Anonymous { .. } => None,
            Self::Token { provider, .. } => Some(provider.as_str()),
            Self::ApiKey { .. } => Some("api_keys"),
        }
    }
}

/// Names an identity provider whose access tokens a handler accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// Okta, for employees and internal tools.
    Okta,
    /// Auth0, for customers and customer-facing APIs.
    Auth0,
}

impl Provider {
    /// Returns the lowercase name used in attributes, settings and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Okta => "okta",
            Self::Auth0 => "auth0",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// States which scopes a credential must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule {
    /// Every listed scope is required; an empty list requires none.
    All(&'static [&'static str]),
    /// At least one listed scope is required.
    Any(&'static [&'static str]),
}

impl ScopeRule {
    /// Requires no scope at all.
    pub const NONE: Self = Self::All(&[]);

    /// Tells whether a credential holding `held` satisfies this rule.
    #[must_use]
    pub fn is_satisfied_by(&self, held: &crate::Scopes) -> bool {
        match self {
            Self::All(needed) => needed.iter().all(|s| held.contains(s)),
            Self::Any(needed) => needed.iter().any(|s| held.contains(s)),
        }
    }

    /// Returns the listed scopes, whichever the rule.
    #[must_use]
    pub const fn scopes(&self) -> &'static [&'static str] {
        match self {
            Self::All(s) | Self::Any(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scopes;

    #[test]
    fn all_of_needs_every_scope() {
        let held = Scopes::from_iter(["read", "write"]);
        assert!(ScopeRule::All(&["read", "write"]).is_satisfied_by(&held));
        assert!(!ScopeRule::All(&["read", "admin"]).is_satisfied_by(&held));
        assert!(ScopeRule::NONE.is_satisfied_by(&Scopes::default()));
    }

    #[test]
    fn any_of_needs_one_scope() {
        let held = Scopes::from_iter(["read"]);
        assert!(ScopeRule::Any(&["admin", "read"]).is_satisfied_by(&held));
        assert!(!ScopeRule::Any(&["admin"]).is_satisfied_by(&held));
        assert!(!ScopeRule::Any(&[]).is_satisfied_by(&held));
    }
}
