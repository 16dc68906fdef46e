//! Which certificate identities a service accepts: SPIFFE ids, exact or by prefix, and DNS
//! names.

use super::{MtlsError, PeerIdentity};

/// Decides whether a verified peer's identity is one the service accepts.
///
/// A new policy accepts nobody; each `allow_*` call adds one rule, and a peer passes when any
/// rule matches.
///
/// # Examples
///
/// ```
/// use zt_core::verify::mtls::IdentityPolicy;
///
/// let policy = IdentityPolicy::new()
///     .allow_spiffe("spiffe://corp/billing")?
///     .allow_spiffe("spiffe://corp/batch/*")?
///     .allow_dns("reports.corp.example");
/// assert!(policy.allows_spiffe_id("spiffe://corp/billing"));
/// assert!(policy.allows_spiffe_id("spiffe://corp/batch/nightly"));
/// assert!(!policy.allows_spiffe_id("spiffe://corp/billing/admin"));
/// assert!(!policy.allows_spiffe_id("spiffe://corp/batch"));
/// # Ok::<(), zt_core::verify::mtls::MtlsError>(())
/// ```
///
/// # Security
///
/// - The subject's common name is never an identity: a CA in the bundle can write any name
///   there, and SAN-less certificates are refused by every rule.
/// - SPIFFE ids are compared segment by segment after checking they are well formed (lowercase
///   trust domain; path segments of letters, digits, `.`, `-`, `_`; no empty, `.` or `..`
///   segment), so `spiffe://corp/billing*`-style look-alikes such as `billing-evil` never
///   match a `spiffe://corp/billing/*` rule, and `spiffe://corporate/…` never matches
///   `spiffe://corp/*`.
/// - A certificate carrying several SPIFFE ids matches no SPIFFE rule: an X.509 SVID has
///   exactly one.
/// - DNS names are compared exactly, ignoring ASCII case; wildcard DNS SANs in the
///   certificate are not expanded.
#[derive(Clone, Debug, Default)]
pub struct IdentityPolicy {
    spiffe: Vec<SpiffePattern>,
    dns: Vec<String>,
}

impl IdentityPolicy {
    /// Creates a policy that accepts nobody.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a SPIFFE rule: an exact id (`spiffe://corp/billing`) or every id under a path
    /// (`spiffe://corp/*`, `spiffe://corp/batch/*`, matching one or more further segments).
    ///
    /// # Errors
    ///
    /// Returns [`MtlsError::BadSpiffePattern`] when the pattern is not a well-formed SPIFFE
    /// id, optionally ending in `/*`.
    pub fn allow_spiffe(mut self, pattern: &str) -> Result<Self, MtlsError> {
        self.spiffe.push(SpiffePattern::parse(pattern)?);
        Ok(self)
    }

    /// Adds a DNS rule: a peer whose certificate carries this DNS SAN, ignoring ASCII case.
    #[must_use]
    pub fn allow_dns(mut self, name: &str) -> Self {
        self.dns.push(name.to_ascii_lowercase());
        self
    }

    /// Returns whether the peer matches any rule.
    #[must_use]
    pub fn allows(&self, peer: &PeerIdentity) -> bool {
        let spiffe_ok = peer.spiffe_id().is_some_and(|id| self.allows_spiffe_id(id));
        let dns_ok = peer.dns_names().iter().any(|name| {
            let name = name.to_ascii_lowercase();
            self.dns.contains(&name)
        });

        spiffe_ok || dns_ok
    }

    /// Returns whether one SPIFFE id matches any SPIFFE rule.
    #[must_use]
    pub fn allows_spiffe_id(&self, id: &str) -> bool {
        let Some(id) = SpiffeId::parse(id) else {
            return false;
        };
        self.spiffe.iter().any(|rule| rule.matches(&id))
    }
}

/// What a well-formed SPIFFE id looks like, for error messages.
const SPIFFE_SHAPE: &str = "expected `spiffe://`, a lowercase trust domain, then path segments \
     of letters, digits, `.`, `-` or `_`";

/// A SPIFFE rule: a trust domain, path segments, and whether more segments may follow.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SpiffePattern {
    id: SpiffeId,
    under: bool,
}

impl SpiffePattern {
    fn parse(pattern: &str) -> Result<Self, MtlsError> {
        let bad = |problem| MtlsError::BadSpiffePattern {
            pattern: pattern.to_owned(),
            problem,
        };
        let (text, under) = match pattern.strip_suffix("/*") {
            Some(base) => (base, true),
            None => (pattern, false),
        };
        if text.contains('*') {
            return Err(bad("`*` may only stand alone as the last path segment"));
        }

        let id = SpiffeId::parse(text).ok_or_else(|| bad(SPIFFE_SHAPE))?;
        if !under && id.segments.is_empty() {
            return Err(bad(
                "an exact rule needs a path; use `/*` for a whole trust domain",
            ));
        }
        Ok(Self { id, under })
    }

    fn matches(&self, id: &SpiffeId) -> bool {
        if id.trust_domain != self.id.trust_domain {
            return false;
        }
        if self.under {
            return id.segments.len() > self.id.segments.len()
                && id.segments.starts_with(&self.id.segments);
        }
        id.segments == self.id.segments
    }
}

/// A well-formed SPIFFE id, split into its trust domain and path segments.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SpiffeId {
    trust_domain: String,
    segments: Vec<String>,
}

impl SpiffeId {
    fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("spiffe://")?;
        let (domain, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };

        let domain_ok = !domain.is_empty()
            && domain.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
            });
        if !domain_ok {
            return None;
        }

        let mut segments = Vec::new();
        if !path.is_empty() {
            for segment in path[1..].split('/') {
                let segment_ok = !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
                if !segment_ok {
                    return None;
                }
                segments.push(segment.to_owned());
            }
        }

        Some(Self {
            trust_domain: domain.to_owned(),
            segments,
        })
    }
}

#[cfg(test)]
mod tests {
    use zt_testkit::TestCa;

    use super::*;

    fn policy(rules: &[&str]) -> IdentityPolicy {
        rules
            .iter()
            .try_fold(IdentityPolicy::new(), |p, r| p.allow_spiffe(r))
            .unwrap()
    }

    #[test]
    fn exact_rule_matches_only_that_id() {
        let p = policy(&["spiffe://corp/billing"]);

        assert!(p.allows_spiffe_id("spiffe://corp/billing"));
        for other in [
            "spiffe://corp/billing/",
            "spiffe://corp/billing/x",
            "spiffe://corp/billing-evil",
            "spiffe://corp/Billing",
            "spiffe://CORP/billing",
            "spiffe://corp.evil/billing",
            "spiffe://corp//billing",
            "spiffe://corp/./billing",
            "spiffe://corp/x/../billing",
            "spiffe://corp/billing?x=1",
            "spiffe://corp/billing#x",
            "https://corp/billing",
            "spiffe://corp/billing%2f",
        ] {
            assert!(!p.allows_spiffe_id(other), "{other} matched");
        }
    }

    #[test]
    fn wildcard_rule_matches_ids_under_the_prefix_only() {
        let p = policy(&["spiffe://corp/*"]);

        assert!(p.allows_spiffe_id("spiffe://corp/billing"));
        assert!(p.allows_spiffe_id("spiffe://corp/a/b/c"));
        for other in [
            "spiffe://corp",
            "spiffe://corp/",
            "spiffe://corporate/billing",
            "spiffe://evil.corp/billing",
            "spiffe://corp/../x",
        ] {
            assert!(!p.allows_spiffe_id(other), "{other} matched");
        }
    }

    #[test]
    fn nested_wildcard_needs_a_further_segment() {
        let p = policy(&["spiffe://corp/batch/*"]);

        assert!(p.allows_spiffe_id("spiffe://corp/batch/nightly"));
        assert!(!p.allows_spiffe_id("spiffe://corp/batch"));
        assert!(!p.allows_spiffe_id("spiffe://corp/batch-x/nightly"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "spiffe://corp",
            "spiffe://corp/bill*",
            "spiffe://corp/*/x",
            "spiffe://*/x",
            "spiffe://Corp/x",
            "corp/billing",
            "spiffe://corp/a//b",
            "",
        ] {
            assert!(
                IdentityPolicy::new().allow_spiffe(bad).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn common_name_is_never_an_identity() {
        let ca = TestCa::new();
        let cert = ca.client().without_san().common_name("billing").issue();
        let who = PeerIdentity::from_der(&cert.der()).unwrap();
        let p = policy(&["spiffe://corp/*"]).allow_dns("billing");

        assert!(!p.allows(&who));
    }

    #[test]
    fn certificate_identity_is_matched_by_spiffe_or_dns() {
        let ca = TestCa::new();
        let spiffe = ca.client().issue();
        let dns = ca
            .client()
            .without_san()
            .dns("Reports.Example.Test")
            .issue();
        let two_ids = ca.client().also_uri("spiffe://example.test/x").issue();
        let p = policy(&["spiffe://example.test/service/*"]).allow_dns("reports.example.test");

        let peer = |c: &zt_testkit::IssuedCert| PeerIdentity::from_der(&c.der()).unwrap();
        assert!(p.allows(&peer(&spiffe)));
        assert!(p.allows(&peer(&dns)));
        assert!(!p.allows(&peer(&two_ids)));
        assert!(!IdentityPolicy::new().allows(&peer(&spiffe)));
    }
}
