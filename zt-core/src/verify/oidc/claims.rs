//! The access-token claims we read, and the checks beyond signature and standard claims.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::config::{Issuer, Profile};
use crate::{Mechanism, Principal, Reason, Scopes};

/// Holds the claims an access token may carry that matter to us.
///
/// `iss` must be a single string (an array is refused), and duplicate claim names make the
/// payload invalid.
#[derive(Deserialize)]
pub(crate) struct AccessClaims {
    iss: String,
    #[serde(default)]
    sub: Option<String>,
    exp: f64,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(default)]
    scp: Option<ScopeList>,
    #[serde(default)]
    scope: Option<ScopeList>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default)]
    cid: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    nonce: Option<IgnoredAny>,
    #[serde(default)]
    at_hash: Option<IgnoredAny>,
    #[serde(default)]
    c_hash: Option<IgnoredAny>,
    #[serde(default)]
    token_use: Option<String>,
    #[serde(default)]
    typ: Option<String>,
}

/// Accepts scopes as a space-separated string or as an array of strings.
enum ScopeList {
    Text(String),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for ScopeList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A hand-written visitor: serde's untagged enums buffer the value first, which
        // costs more than the rest of the claims on every request.
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ScopeList;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a space-separated string or an array of strings")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ScopeList, E> {
                Ok(ScopeList::Text(text.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ScopeList, A::Error> {
                let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(item) = seq.next_element::<String>()? {
                    list.push(item);
                }
                Ok(ScopeList::List(list))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

impl ScopeList {
    fn into_scopes(self) -> Vec<String> {
        match self {
            Self::Text(text) => text
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Self::List(list) => list,
        }
    }
}

impl AccessClaims {
    /// Applies the checks jsonwebtoken does not, then builds the principal.
    pub(crate) fn into_principal(
        self,
        issuer: &Issuer,
        mechanism: Mechanism,
    ) -> Result<Principal, Reason> {
        self.refuse_other_token_kinds()?;
        self.check_lifetime(issuer)?;

        let expires_at = Duration::try_from_secs_f64(self.exp.max(0.0))
            .ok()
            .and_then(|d| UNIX_EPOCH.checked_add(d));
        let (scopes, client_id) = self.scopes_and_client(issuer)?;
        let subject = match (self.sub, &client_id) {
            (Some(sub), _) if !sub.is_empty() => sub,
            (_, Some(client)) => client.clone(),
            _ => return Err(Reason::BadClaims),
        };

        let mut principal = Principal::new(mechanism, self.iss, subject)
            .with_scopes(scopes)
            .with_client_id(client_id);
        if let Some(at) = expires_at {
            principal = principal.with_expiry(at);
        }
        Ok(principal)
    }

    /// Refuses ID tokens and refresh tokens presented as access tokens.
    fn refuse_other_token_kinds(&self) -> Result<(), Reason> {
        let id_token_marks =
            self.nonce.is_some() || self.at_hash.is_some() || self.c_hash.is_some();
        let other_use = self.token_use.as_deref().is_some_and(|u| u != "access");
        let other_typ = self
            .typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"));
        if id_token_marks || other_use || other_typ {
            return Err(Reason::NotAnAccessToken);
        }
        Ok(())
    }

    fn check_lifetime(&self, issuer: &Issuer) -> Result<(), Reason> {
        if !self.exp.is_finite() || self.iat.is_some_and(|iat| !iat.is_finite()) {
            return Err(Reason::BadClaims);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let leeway = issuer.leeway.as_secs_f64();
        let max = issuer.max_lifetime.as_secs_f64();
        match self.iat {
            Some(iat) if iat > now + leeway => Err(Reason::NotYetValid),
            Some(iat) if self.exp - iat > max => Err(Reason::LifetimeTooLong),
            None if self.exp - now > max => Err(Reason::LifetimeTooLong),
            _ => Ok(()),
        }
    }

    fn scopes_and_client(&self, issuer: &Issuer) -> Result<(Scopes, Option<String>), Reason> {
        let take = |list: &Option<ScopeList>| -> Vec<String> {
            match list {
                Some(ScopeList::Text(t)) => ScopeList::Text(t.clone()).into_scopes(),
                Some(ScopeList::List(l)) => l.clone(),
                None => Vec::new(),
            }
        };
        match issuer.profile {
            Profile::Okta => {
                if matches!(self.scp, Some(ScopeList::Text(_))) {
                    return Err(Reason::BadClaims);
                }
                Ok((take(&self.scp).into_iter().collect(), self.cid.clone()))
            }
            Profile::Auth0 => {
                let mut scopes = take(&self.scope);
                if issuer.permissions {
                    scopes.extend(self.permissions.iter().flatten().cloned());
                }
                let client = self.azp.clone().or_else(|| self.client_id.clone());
                Ok((scopes.into_iter().collect(), client))
            }
            Profile::Generic => {
                let scopes = if self.scope.is_some() {
                    take(&self.scope)
                } else {
                    take(&self.scp)
                };
                let client = self.client_id.clone().or_else(|| self.azp.clone());
                Ok((scopes.into_iter().collect(), client))
            }
        }
    }
}
