//! Turns the raw attribute items and the annotated item into a validated model.
//!
//! Every check runs even after one has failed, and all errors are returned together, each
//! spanned on the key, value or signature part it is about.

use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Expr, ExprLit, Ident, Lit, LitStr};

use crate::args::{Args, Item, Value};

mod combine;
mod handler;
mod name;
mod scope;

pub(crate) use handler::handler;

/// Lists the mechanisms the attribute accepts, for error messages.
const MECHANISMS: &str = "okta, auth0, api_key, mtls, psk, anonymous, any(..), all(..)";

/// Lists every key of every mechanism, for errors written before a mechanism is known.
const ALL_KEYS: &str = "scopes, any_scope, reason, identity, policy";

/// Describes what a handler requires, once every rule has been checked.
pub(crate) enum Requirement {
    /// No credential; the reason is kept as written.
    Anonymous { reason: LitStr },
    /// A bearer token from `provider` satisfying `scopes`.
    Token {
        provider: Provider,
        scopes: ScopeRule,
    },
    /// An API key from the key ring satisfying `scopes`.
    ApiKey { scopes: ScopeRule },
    /// A client certificate whose identity satisfies the rule.
    Mtls { identity: IdentityRule },
    /// A request signed with the named pre-shared secret.
    Psk { name: LitStr },
    /// Any one of the parts, tried in the written order.
    Any(Vec<Requirement>),
    /// Every one of the parts.
    All(Vec<Requirement>),
}

/// States which certificate identities pass, mirroring the runtime enum of the same name.
pub(crate) enum IdentityRule {
    /// A SPIFFE id, exact or ending in `/*`.
    Spiffe(LitStr),
    /// A policy configured at startup under this name.
    Policy(LitStr),
}

/// Names an identity provider, mirroring the runtime enum of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Okta,
    Auth0,
}

/// States which scopes a token needs; each scope keeps the span of the string it came from.
pub(crate) enum ScopeRule {
    /// Every scope is needed; an empty list needs none.
    All(Vec<LitStr>),
    /// At least one scope is needed; never empty.
    Any(Vec<LitStr>),
}

/// Names what kind of check a handler asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    Token(Provider),
    ApiKey,
    Mtls,
    Psk,
    Anonymous,
}

impl Mechanism {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "okta" => Some(Self::Token(Provider::Okta)),
            "auth0" => Some(Self::Token(Provider::Auth0)),
            "api_key" => Some(Self::ApiKey),
            "mtls" => Some(Self::Mtls),
            "psk" => Some(Self::Psk),
            "anonymous" => Some(Self::Anonymous),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Token(Provider::Okta) => "okta",
            Self::Token(Provider::Auth0) => "auth0",
            Self::ApiKey => "api_key",
            Self::Mtls => "mtls",
            Self::Psk => "psk",
            Self::Anonymous => "anonymous",
        }
    }

    fn keys(self) -> &'static str {
        match self {
            Self::Token(_) | Self::ApiKey => "scopes, any_scope",
            Self::Mtls => "identity, policy",
            Self::Psk => "no keys; only the secret's name, as in `psk = \"deploy-hook\"`",
            Self::Anonymous => "reason",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Self::Token(Provider::Okta) => "`okta, scopes = \"orders:read\"`",
            Self::Token(Provider::Auth0) => "`auth0, scopes = \"orders:read\"`",
            Self::ApiKey => "`api_key, scopes = \"export\"`",
            Self::Mtls => "`mtls, identity = \"spiffe://example.org/service/billing\"`",
            Self::Psk => "`psk = \"deploy-hook\"`",
            Self::Anonymous => "`anonymous, reason = \"health probe\"`",
        }
    }
}

/// Names a `key = "value"` setting the attribute knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Scopes,
    AnyScope,
    Reason,
    Identity,
    Policy,
}

impl Key {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "scopes" => Some(Self::Scopes),
            "any_scope" => Some(Self::AnyScope),
            "reason" => Some(Self::Reason),
            "identity" => Some(Self::Identity),
            "policy" => Some(Self::Policy),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Scopes => "scopes",
            Self::AnyScope => "any_scope",
            Self::Reason => "reason",
            Self::Identity => "identity",
            Self::Policy => "policy",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Self::Scopes => "`scopes = \"orders:read orders:write\"`",
            Self::AnyScope => "`any_scope = \"orders:read orders:admin\"`",
            Self::Reason => "`reason = \"health probe\"`",
            Self::Identity => "`identity = \"spiffe://example.org/service/billing\"`",
            Self::Policy => "`policy = \"billing-clients\"`",
        }
    }

    /// Returns the mechanism a key belongs to, for messages about a misplaced key.
    fn owner(self) -> &'static str {
        match self {
            Self::Scopes | Self::AnyScope => "okta, auth0 and api_key",
            Self::Reason => "anonymous",
            Self::Identity | Self::Policy => "mtls",
        }
    }
}

/// Holds one item whose key is known; `value` is `None` when it was already reported as
/// missing.
struct Setting {
    key: Key,
    ident: Ident,
    value: Option<Expr>,
}

/// Holds the attribute's items sorted by role, before they are checked against each other.
#[derive(Default)]
struct Sorted {
    mechanism: Option<(Mechanism, Ident)>,
    /// The value of `psk = ".."`, once checked.
    psk_name: Option<LitStr>,
    named_unknown_mechanism: bool,
    named_second_mechanism: bool,
    settings: Vec<Setting>,
    unknown_keys: Vec<Ident>,
}

/// Tells whether a key that belongs to another mechanism is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Misplaced {
    Report,
    Ignore,
}

/// Collects errors so that one failed check does not hide the next.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds an error after those already collected.
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds an error spanned on `span`.
    fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Adds an error spanned from the first to the last of `tokens`.
    fn on(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Returns the errors if there are any, else the value.
    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }

    /// Returns the errors if there are any, else the value, which every caller only leaves
    /// out after pushing an error.
    fn conclude<T>(self, value: Option<T>) -> syn::Result<T> {
        match (self.0, value) {
            (Some(error), _) => Err(error),
            (None, Some(value)) => Ok(value),
            (None, None) => Err(syn::Error::new(
                Span::call_site(),
                "invalid #[zero_trust] arguments",
            )),
        }
    }
}

/// Validates the attribute's arguments into a [`Requirement`].
///
/// # Errors
///
/// Returns every problem found, combined: unknown, missing or repeated mechanisms, unknown,
/// repeated, misplaced or conflicting keys, malformed values, and misbuilt combinations.
pub(crate) fn requirement(args: Args) -> syn::Result<Requirement> {
    let mut errors = Errors::default();
    let requirement = if args.items.iter().any(combine::is_combinator) {
        combine::top_level(args.items, &mut errors)
    } else {
        single(args.items, &mut errors)
    };
    errors.conclude(requirement)
}

/// Validates the items of one mechanism: the mechanism itself and its keys.
fn single(items: Vec<Item>, errors: &mut Errors) -> Option<Requirement> {
    let sorted = sort(items, errors);

    let Some((mechanism, keyword)) = sorted.mechanism else {
        if !sorted.named_unknown_mechanism {
            errors.at(
                Span::call_site(),
                format_args!(
                    "missing mechanism; expected one of: {MECHANISMS}, \
                     as in `#[zero_trust(okta, scopes = \"orders:read\")]`"
                ),
            );
        }
        for key in sorted.unknown_keys {
            errors.on(
                &key,
                format_args!("unknown key `{key}`; expected one of: {ALL_KEYS}"),
            );
        }
        return None;
    };

    for key in &sorted.unknown_keys {
        errors.on(
            key,
            format_args!(
                "unknown key `{key}` for `{}`; expected one of: {}",
                mechanism.name(),
                mechanism.keys()
            ),
        );
    }

    // With two mechanisms named, a key that fits only the second is not the mistake to report.
    let misplaced = if sorted.named_second_mechanism {
        Misplaced::Ignore
    } else {
        Misplaced::Report
    };
    match mechanism {
        Mechanism::Token(provider) => scoped(mechanism, sorted.settings, misplaced, errors)
            .map(|scopes| Requirement::Token { provider, scopes }),
        Mechanism::ApiKey => scoped(mechanism, sorted.settings, misplaced, errors)
            .map(|scopes| Requirement::ApiKey { scopes }),
        Mechanism::Mtls => mtls(&keyword, sorted.settings, misplaced, errors),
        Mechanism::Psk => {
            psk(sorted.settings, misplaced, errors);
            sorted.psk_name.map(|name| Requirement::Psk { name })
        }
        Mechanism::Anonymous => anonymous(&keyword, sorted.settings, misplaced, errors),
    }
}

/// Sorts items into the mechanism, known settings and unknown keys, reporting what is wrong
/// with an item on its own.
fn sort(items: Vec<Item>, errors: &mut Errors) -> Sorted {
    let mut sorted = Sorted::default();

    for Item { key, value } in items {
        let name = key.unraw().to_string();
        if let Some(mechanism) = Mechanism::from_name(&name) {
            sorted.mechanism(mechanism, key, value, errors);
        } else if combine::Combinator::from_name(&name).is_some() {
            errors.on(
                &key,
                format_args!(
                    "`{name}(..)` combines whole mechanisms and cannot sit beside a \
                     mechanism's keys; write the mechanisms inside it, as in \
                     `{name}(okta(scopes = \"orders:read\"), mtls(identity = \"spiffe://corp/app\"))`"
                ),
            );
            sorted.named_unknown_mechanism = true;
        } else if let Some(known) = Key::from_name(&name) {
            sorted.setting(known, key, value, errors);
        } else if let Value::Assign(_) = value {
            sorted.unknown_keys.push(key);
        } else {
            errors.on(
                &key,
                format_args!("unknown mechanism `{name}`; expected one of: {MECHANISMS}"),
            );
            sorted.named_unknown_mechanism = true;
        }
    }

    sorted
}

impl Sorted {
    /// Records a mechanism item, which must stand alone and be the only one.
    fn mechanism(&mut self, mechanism: Mechanism, ident: Ident, value: Value, errors: &mut Errors) {
        let name = mechanism.name();
        let example = mechanism.example();
        match value {
            Value::Assign(expr) if mechanism == Mechanism::Psk => match name::psk(&expr) {
                Ok(lit) => self.psk_name = Some(lit),
                Err(error) => errors.push(error),
            },
            Value::Flag | Value::List(_) if mechanism == Mechanism::Psk => errors.on(
                &ident,
                format_args!("`psk` needs the name of a configured secret, as in {example}"),
            ),
            Value::Flag => {}
            Value::Assign(_) => errors.on(
                &ident,
                format_args!(
                    "`{name}` is a mechanism and takes no value; write its keys beside it, \
                     as in {example}"
                ),
            ),
            Value::List(group) => errors.at(
                group.span(),
                format_args!(
                    "`{name}` takes no parenthesised arguments; write its keys beside it, \
                     as in {example}"
                ),
            ),
        }

        if let Some((first, _)) = &self.mechanism {
            errors.on(
                &ident,
                format_args!(
                    "a handler takes one mechanism, and `{}` is already given",
                    first.name()
                ),
            );
            self.named_second_mechanism = true;
            return;
        }
        self.mechanism = Some((mechanism, ident));
    }

    /// Records a known key, which must come once and with a value after `=`.
    ///
    /// A key written without a value is still recorded, so that it is not also reported as
    /// missing.
    fn setting(&mut self, key: Key, ident: Ident, value: Value, errors: &mut Errors) {
        let (name, example) = (key.name(), key.example());
        if self.settings.iter().any(|s| s.key == key) {
            errors.on(&ident, format_args!("duplicate `{name}`; give it once"));
            return;
        }

        let value = match value {
            Value::Assign(expr) => Some(expr),
            Value::Flag => {
                errors.on(
                    &ident,
                    format_args!("`{name}` needs a value, as in {example}"),
                );
                None
            }
            Value::List(_) => {
                errors.on(
                    &ident,
                    format_args!("`{name}` takes a value after `=`, as in {example}"),
                );
                None
            }
        };
        self.settings.push(Setting { key, ident, value });
    }
}

/// Checks the settings of a scoped mechanism (a token or an API key) and builds its rule.
fn scoped(
    mechanism: Mechanism,
    settings: Vec<Setting>,
    misplaced: Misplaced,
    errors: &mut Errors,
) -> Option<ScopeRule> {
    let mut first_scope_key: Option<Key> = None;
    let mut scopes = Some(ScopeRule::All(Vec::new()));

    for Setting { key, ident, value } in settings {
        match key {
            Key::Reason | Key::Identity | Key::Policy if misplaced == Misplaced::Ignore => {}
            Key::Reason | Key::Identity | Key::Policy => errors.on(
                &ident,
                format_args!(
                    "`{}` applies only to `{}`; `{}` accepts: {}",
                    key.name(),
                    key.owner(),
                    mechanism.name(),
                    mechanism.keys()
                ),
            ),
            Key::Scopes | Key::AnyScope => {
                if let Some(first) = first_scope_key {
                    errors.on(
                        &ident,
                        format_args!(
                            "`{}` cannot be combined with `{}`; a handler needs either all of \
                             its scopes (`scopes`) or any one of them (`any_scope`)",
                            key.name(),
                            first.name()
                        ),
                    );
                    continue;
                }
                first_scope_key = Some(key);
                let Some(value) = value else {
                    scopes = None;
                    continue;
                };
                scopes = match scope_list(key, &value) {
                    Ok(list) if key == Key::Scopes => Some(ScopeRule::All(list)),
                    Ok(list) => Some(ScopeRule::Any(list)),
                    Err(error) => {
                        errors.push(error);
                        None
                    }
                };
            }
        }
    }

    scopes
}

/// Checks the settings of `mtls`: one `identity` or one `policy`.
fn mtls(
    keyword: &Ident,
    settings: Vec<Setting>,
    misplaced: Misplaced,
    errors: &mut Errors,
) -> Option<Requirement> {
    let mut given: Option<Key> = None;
    let mut rule = None;

    for Setting { key, ident, value } in settings {
        match key {
            Key::Identity | Key::Policy => {
                if let Some(first) = given {
                    errors.on(
                        &ident,
                        format_args!(
                            "`{}` cannot be combined with `{}`; name one SPIFFE identity, or \
                             one configured policy that lists several",
                            key.name(),
                            first.name()
                        ),
                    );
                    continue;
                }
                given = Some(key);
                let Some(value) = value else { continue };
                let checked = if key == Key::Identity {
                    name::spiffe(&value).map(IdentityRule::Spiffe)
                } else {
                    name::policy(&value).map(IdentityRule::Policy)
                };
                match checked {
                    Ok(checked) => rule = Some(checked),
                    Err(error) => errors.push(error),
                }
            }
            _ if misplaced == Misplaced::Ignore => {}
            _ => errors.on(
                &ident,
                format_args!(
                    "`{}` does not apply to `mtls`, whose caller is named by its certificate; \
                     `mtls` accepts: {}",
                    key.name(),
                    Mechanism::Mtls.keys()
                ),
            ),
        }
    }

    if given.is_none() {
        errors.on(
            keyword,
            format_args!(
                "`mtls` needs the identity it admits, as in {}, or a configured policy, as in \
                 `mtls, policy = \"billing-clients\"`",
                Mechanism::Mtls.example()
            ),
        );
    }
    Some(Requirement::Mtls { identity: rule? })
}

/// Checks that `psk` was given no keys: the secret's name is all it takes.
fn psk(settings: Vec<Setting>, misplaced: Misplaced, errors: &mut Errors) {
    if misplaced == Misplaced::Ignore {
        return;
    }
    for Setting { key, ident, .. } in settings {
        errors.on(
            &ident,
            format_args!(
                "`{}` does not apply to `psk`, which takes only the name of its secret, as in \
                 `psk = \"deploy-hook\"`; the secret's scope is the routes that name it",
                key.name()
            ),
        );
    }
}

/// Checks the settings of `anonymous` and builds its requirement.
fn anonymous(
    keyword: &Ident,
    settings: Vec<Setting>,
    misplaced: Misplaced,
    errors: &mut Errors,
) -> Option<Requirement> {
    let mechanism = Mechanism::Anonymous;
    let mut reason = None;
    let mut reason_given = false;

    for Setting { key, ident, value } in settings {
        match key {
            Key::Scopes | Key::AnyScope | Key::Identity | Key::Policy
                if misplaced == Misplaced::Ignore => {}
            Key::Scopes | Key::AnyScope | Key::Identity | Key::Policy => errors.on(
                &ident,
                format_args!(
                    "`{}` does not apply to `anonymous`, which takes no credential; \
                     `anonymous` accepts: {}",
                    key.name(),
                    mechanism.keys()
                ),
            ),
            Key::Reason => {
                reason_given = true;
                let Some(value) = value else { continue };
                match reason_text(&value) {
                    Ok(text) => reason = Some(text),
                    Err(error) => errors.push(error),
                }
            }
        }
    }

    if !reason_given {
        errors.on(
            keyword,
            format_args!(
                "`anonymous` needs a reason saying why the route is public, as in {}",
                mechanism.example()
            ),
        );
    }
    Some(Requirement::Anonymous { reason: reason? })
}

/// Returns the string literal a key was given, looking through invisible macro groups.
fn string_literal(key: Key, value: &Expr) -> syn::Result<LitStr> {
    literal(value).ok_or_else(|| {
        syn::Error::new_spanned(
            value,
            format_args!(
                "`{}` takes a string literal, as in {}",
                key.name(),
                key.example()
            ),
        )
    })
}

/// Returns the plain string literal `value` is, looking through invisible macro groups.
fn literal(value: &Expr) -> Option<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit),
            attrs,
        }) if attrs.is_empty() && lit.suffix().is_empty() => Some(lit.clone()),
        Expr::Group(group) if group.attrs.is_empty() => literal(&group.expr),
        _ => None,
    }
}

/// Checks a `reason` value: a string literal with some text in it.
fn reason_text(value: &Expr) -> syn::Result<LitStr> {
    let lit = string_literal(Key::Reason, value)?;
    if lit.value().trim().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "`reason` is empty; say why the route needs no credential",
        ));
    }
    Ok(lit)
}

/// Checks a `scopes` or `any_scope` value and splits it into one literal per scope.
fn scope_list(key: Key, value: &Expr) -> syn::Result<Vec<LitStr>> {
    let lit = string_literal(key, value)?;
    let text = lit.value();

    if text.trim_matches(' ').is_empty() {
        let message = match key {
            Key::AnyScope => {
                "`any_scope` is empty, and an empty list can never be satisfied; \
                 list at least one scope"
            }
            _ => "`scopes` is empty; list at least one scope, or remove `scopes` to require none",
        };
        return Err(syn::Error::new(lit.span(), message));
    }

    match scope::split(&text) {
        Ok(scopes) => Ok(scopes
            .into_iter()
            .map(|scope| LitStr::new(scope, lit.span()))
            .collect()),
        Err(problems) => {
            let mut errors = Errors::default();
            for problem in problems {
                errors.at(lit.span(), problem);
            }
            errors.finish(Vec::new())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a panic is how a test reports failure")]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn check(tokens: TokenStream) -> syn::Result<Requirement> {
        requirement(syn::parse2(tokens).unwrap())
    }

    fn messages(tokens: TokenStream) -> Vec<String> {
        match check(tokens) {
            Ok(_) => panic!("expected errors"),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn scope_values(rule: &ScopeRule) -> Vec<String> {
        let (ScopeRule::All(list) | ScopeRule::Any(list)) = rule;
        list.iter().map(LitStr::value).collect()
    }

    #[test]
    fn a_bare_provider_requires_no_scope() {
        let Ok(Requirement::Token { provider, scopes }) = check(quote!(okta)) else {
            panic!("expected a token requirement");
        };
        assert_eq!(provider, Provider::Okta);
        assert!(matches!(&scopes, ScopeRule::All(list) if list.is_empty()));
    }

    #[test]
    fn scopes_are_all_of_and_any_scope_is_any_of() {
        let Ok(Requirement::Token { scopes, .. }) =
            check(quote!(okta, scopes = "orders:read api://x/read"))
        else {
            panic!("expected a token requirement");
        };
        assert!(matches!(scopes, ScopeRule::All(_)));
        assert_eq!(scope_values(&scopes), ["orders:read", "api://x/read"]);

        let Ok(Requirement::Token { provider, scopes }) = check(quote!(auth0, any_scope = "a b"))
        else {
            panic!("expected a token requirement");
        };
        assert_eq!(provider, Provider::Auth0);
        assert!(matches!(scopes, ScopeRule::Any(_)));
        assert_eq!(scope_values(&scopes), ["a", "b"]);
    }

    #[test]
    fn the_mechanism_may_follow_its_keys() {
        assert!(check(quote!(scopes = "a", okta)).is_ok());
    }

    #[test]
    fn anonymous_keeps_its_reason() {
        let Ok(Requirement::Anonymous { reason }) =
            check(quote!(anonymous, reason = "health probe"))
        else {
            panic!("expected an anonymous requirement");
        };
        assert_eq!(reason.value(), "health probe");
    }

    #[test]
    fn an_empty_attribute_misses_its_mechanism() {
        let errors = messages(quote!());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("missing mechanism"));
    }

    #[test]
    fn an_unknown_mechanism_lists_the_known_ones_and_is_not_also_missing() {
        let errors = messages(quote!(saml));
        assert_eq!(
            errors,
            [format!(
                "unknown mechanism `saml`; expected one of: {MECHANISMS}"
            )]
        );
    }

    #[test]
    fn mtls_takes_one_identity_or_one_policy() {
        let Ok(Requirement::Mtls {
            identity: IdentityRule::Spiffe(id),
        }) = check(quote!(mtls, identity = "spiffe://corp/batch/*"))
        else {
            panic!("expected an mtls requirement");
        };
        assert_eq!(id.value(), "spiffe://corp/batch/*");
        assert!(matches!(
            check(quote!(mtls, policy = "billing-clients")),
            Ok(Requirement::Mtls {
                identity: IdentityRule::Policy(_)
            })
        ));

        assert!(messages(quote!(mtls))[0].starts_with("`mtls` needs the identity it admits"));
        let both = messages(quote!(mtls, identity = "spiffe://corp/a", policy = "p"));
        assert!(both[0].starts_with("`policy` cannot be combined with `identity`"));
        let scoped = messages(quote!(mtls, identity = "spiffe://corp/a", scopes = "a"));
        assert!(scoped[0].starts_with("`scopes` does not apply to `mtls`"));
        let common_name = messages(quote!(mtls, identity = "CN=billing"));
        assert!(common_name[0].contains("must start with `spiffe://`"));
        let misplaced = messages(quote!(okta, identity = "spiffe://corp/a"));
        assert!(misplaced[0].starts_with("`identity` applies only to `mtls`"));
    }

    #[test]
    fn psk_takes_a_well_formed_name_and_nothing_else() {
        let Ok(Requirement::Psk { name }) = check(quote!(psk = "deploy-hook")) else {
            panic!("expected a psk requirement");
        };
        assert_eq!(name.value(), "deploy-hook");

        assert!(messages(quote!(psk))[0].starts_with("`psk` needs the name"));
        assert!(messages(quote!(psk = "a b"))[0].starts_with("`psk` names a setting"));
        assert!(messages(quote!(psk = "x", scopes = "a"))[0]
            .starts_with("`scopes` does not apply to `psk`"));
    }

    #[test]
    fn combinations_keep_order_and_nest() {
        let Ok(Requirement::Any(parts)) = check(quote!(any(
            okta(scopes = "a"),
            all(mtls(identity = "spiffe://corp/a"), api_key)
        ))) else {
            panic!("expected any(..)");
        };
        assert!(matches!(parts[0], Requirement::Token { .. }));
        let Requirement::All(inner) = &parts[1] else {
            panic!("expected a nested all(..)");
        };
        assert!(matches!(inner[0], Requirement::Mtls { .. }));
        assert!(matches!(inner[1], Requirement::ApiKey { .. }));
    }

    #[test]
    fn misbuilt_combinations_are_explained() {
        for (tokens, start) in [
            (quote!(any(okta)), "`any(..)` needs at least two mechanisms"),
            (quote!(all()), "`all(..)` needs at least two mechanisms"),
            (quote!(any), "`any(..)` needs at least two mechanisms"),
            (
                quote!(any(okta, anonymous)),
                "`anonymous` cannot be combined",
            ),
            (quote!(any(okta, psk = "x")), "`psk` cannot be combined"),
            (
                quote!(any(okta, any(auth0, api_key))),
                "`any(..)` directly inside",
            ),
            (quote!(any(okta, okta)), "`okta` is listed twice"),
            (
                quote!(any(okta, saml)),
                "unknown mechanism `saml` in `any(..)`",
            ),
            (
                quote!(any(okta, auth0), scopes = "a"),
                "`scopes` cannot stand beside",
            ),
            (quote!(okta, any(okta, auth0)), "`okta` cannot stand beside"),
            (
                quote!(any(okta(auth0), api_key)),
                "the parentheses after `okta`",
            ),
            (
                quote!(any(okta = "x", api_key)),
                "inside a combination, write `okta`",
            ),
        ] {
            let errors = messages(tokens.clone());
            assert!(
                errors.iter().any(|e| e.starts_with(start)),
                "{tokens}: {errors:?}"
            );
        }
    }

    #[test]
    fn errors_inside_a_combination_keep_their_own_message() {
        let errors = messages(quote!(any(okta(scopes = "a a"), mtls)));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("listed twice"));
        assert!(errors[1].starts_with("`mtls` needs the identity"));
    }

    #[test]
    fn unknown_keys_list_the_keys_of_the_mechanism() {
        let errors = messages(quote!(okta, scope = "a"));
        assert_eq!(
            errors,
            ["unknown key `scope` for `okta`; expected one of: scopes, any_scope"]
        );
        let errors = messages(quote!(anonymous, reason = "x", why = "y"));
        assert_eq!(
            errors,
            ["unknown key `why` for `anonymous`; expected one of: reason"]
        );
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let errors = messages(quote!(okta, auth0, scopes = "a a", colour = "red"));
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    #[test]
    fn a_second_mechanism_does_not_also_misplace_its_keys() {
        let errors = messages(quote!(okta, anonymous, reason = "x"));
        assert_eq!(
            errors,
            ["a handler takes one mechanism, and `okta` is already given"]
        );
    }

    #[test]
    fn a_key_without_a_value_is_reported_once() {
        let errors = messages(quote!(anonymous, reason));
        assert_eq!(
            errors,
            ["`reason` needs a value, as in `reason = \"health probe\"`"]
        );
        assert_eq!(messages(quote!(okta, scopes("a"))).len(), 1);
    }

    #[test]
    fn conflicting_and_repeated_keys_are_refused() {
        let errors = messages(quote!(okta, scopes = "a", any_scope = "b"));
        assert!(errors[0].starts_with("`any_scope` cannot be combined with `scopes`"));
        let errors = messages(quote!(okta, scopes = "a", scopes = "b"));
        assert_eq!(errors, ["duplicate `scopes`; give it once"]);
    }

    #[test]
    fn keys_of_the_other_mechanism_are_refused() {
        let errors = messages(quote!(okta, reason = "x"));
        assert!(errors[0].starts_with("`reason` applies only to `anonymous`"));
        let errors = messages(quote!(anonymous, reason = "x", scopes = "a"));
        assert!(errors[0].starts_with("`scopes` does not apply to `anonymous`"));
    }

    #[test]
    fn anonymous_needs_a_non_blank_reason() {
        assert!(messages(quote!(anonymous))[0].starts_with("`anonymous` needs a reason"));
        assert!(messages(quote!(anonymous, reason = "  "))[0].starts_with("`reason` is empty"));
    }

    #[test]
    fn values_must_be_plain_string_literals() {
        for tokens in [
            quote!(okta, scopes = 5),
            quote!(okta, scopes = b"a"),
            quote!(okta, scopes = "a"x),
            quote!(anonymous, reason = why),
        ] {
            assert!(messages(tokens)[0].contains("takes a string literal"));
        }
    }

    #[test]
    fn raw_strings_are_string_literals() {
        assert!(check(quote!(okta, scopes = r"a b")).is_ok());
    }

    #[test]
    fn empty_scope_strings_are_refused() {
        assert!(messages(quote!(okta, scopes = ""))[0].starts_with("`scopes` is empty"));
        assert!(messages(quote!(okta, any_scope = " "))[0].starts_with("`any_scope` is empty"));
    }
}
