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
    /// A client certificate from the trusted CA whose identity satisfies the rule.
    Mtls {
        /// Which certificate identities may call.
        identity: IdentityRule,
    },
    /// A request signed with the named pre-shared secret.
    Psk {
        /// The configured name of the secret, as written in `#[zero_trust(psk = "..")]`.
        name: &'static str,
    },
    /// Any one of the requirements, tried in the written order; the first that passes wins.
    Any(&'static [Requirement]),
    /// Every one of the requirements, checked in the written order.
    All(&'static [Requirement]),
}

impl Requirement {
    /// Returns the provider a token must come from, or `None` when this is not a single
    /// token requirement.
    #[must_use]
    pub const fn provider(&self) -> Option<Provider> {
        match self {
            Self::Token { provider, .. } => Some(*provider),
            _ => None,
        }
    }

    /// Returns the name of the setting this requirement needs configured, if any.
    ///
    /// `Any` and `All` have no setting of their own; see [`Requirement::leaves`].
    #[must_use]
    pub const fn setting(&self) -> Option<&'static str> {
        match self {
            Self::Anonymous { .. } | Self::Any(_) | Self::All(_) => None,
            Self::Token { provider, .. } => Some(provider.as_str()),
            Self::ApiKey { .. } => Some("api_keys"),
            Self::Mtls { .. } => Some("mtls"),
            Self::Psk { .. } => Some("psk"),
        }
    }

    /// Returns the single mechanisms this requirement is made of, in the written order,
    /// looking through `Any` and `All` at every depth.
    #[must_use]
    pub fn leaves(&self) -> Vec<&Self> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a Self>) {
        match self {
            Self::Any(parts) | Self::All(parts) => {
                for part in *parts {
                    part.collect_leaves(out);
                }
            }
            leaf => out.push(leaf),
        }
    }
}

/// States which client-certificate identities a handler accepts.
///
/// Identities come from the certificate's subject alternative names, never from its common
/// name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityRule {
    /// A SPIFFE id, exact (`spiffe://corp/billing`) or every id below a path
    /// (`spiffe://corp/batch/*`).
    Spiffe(&'static str),
    /// A policy configured at startup under this name.
    Policy(&'static str),
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
    fn leaves_look_through_nested_combinations() {
        const NESTED: Requirement = Requirement::Any(&[
            Requirement::Token {
                provider: Provider::Okta,
                scopes: ScopeRule::NONE,
            },
            Requirement::All(&[
                Requirement::Mtls {
                    identity: IdentityRule::Spiffe("spiffe://corp/a"),
                },
                Requirement::ApiKey {
                    scopes: ScopeRule::NONE,
                },
            ]),
        ]);
        let settings: Vec<_> = NESTED.leaves().iter().filter_map(|r| r.setting()).collect();
        assert_eq!(settings, ["okta", "mtls", "api_keys"]);
        assert_eq!(NESTED.setting(), None);
    }

    #[test]
    fn any_of_needs_one_scope() {
        let held = Scopes::from_iter(["read"]);
        assert!(ScopeRule::Any(&["admin", "read"]).is_satisfied_by(&held));
        assert!(!ScopeRule::Any(&["admin"]).is_satisfied_by(&held));
        assert!(!ScopeRule::Any(&[]).is_satisfied_by(&held));
    }
}
