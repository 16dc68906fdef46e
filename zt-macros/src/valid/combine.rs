//! Checks `any(..)` and `all(..)`: combinations of whole mechanisms, nested where that means
//! something.
//!
//! Inside a combination each mechanism carries its keys in its own parentheses, so nothing is
//! left to guess about which key belongs to which mechanism:
//!
//! ```text
//! any(okta(scopes = "reports:read"), mtls(identity = "spiffe://corp/reports"))
//! all(mtls(policy = "batch"), api_key(scopes = "export"))
//! any(all(mtls(identity = "spiffe://corp/a"), okta), auth0(scopes = "read"))
//! ```

use proc_macro2::Group;
use syn::ext::IdentExt;
use syn::Ident;

use super::{single, Errors, Mechanism, Requirement};
use crate::args::{Args, Item, Value};

/// Names how a combination joins its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Combinator {
    /// One part must pass; they are tried in the written order.
    Any,
    /// Every part must pass.
    All,
}

impl Combinator {
    pub(super) fn from_name(name: &str) -> Option<Self> {
        match name {
            "any" => Some(Self::Any),
            "all" => Some(Self::All),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::All => "all",
        }
    }
}

/// Tells whether an item names a combinator, whatever follows it.
pub(super) fn is_combinator(item: &Item) -> bool {
    Combinator::from_name(&item.key.unraw().to_string()).is_some()
}

/// Validates an attribute whose items include a combinator: it must be the only item.
pub(super) fn top_level(items: Vec<Item>, errors: &mut Errors) -> Option<Requirement> {
    let mut combination = None;

    for Item { key, value } in items {
        let name = key.unraw().to_string();
        match (Combinator::from_name(&name), value) {
            (Some(kind), Value::List(group)) if combination.is_none() => {
                combination = Some((kind, group));
            }
            (Some(_), Value::List(_)) => errors.on(
                &key,
                format_args!(
                    "a handler takes one combination; nest them instead, as in \
                     `any(all(mtls(policy = \"batch\"), okta), auth0)`"
                ),
            ),
            (Some(kind), _) => errors.on(&key, needs_parts(kind)),
            (None, _) => errors.on(
                &key,
                format_args!(
                    "`{name}` cannot stand beside a combination; put each mechanism and its keys \
                     inside it, as in `any(okta(scopes = \"reports:read\"), mtls(identity = \
                     \"spiffe://corp/reports\"))`"
                ),
            ),
        }
    }

    let (kind, group) = combination?;
    combination_of(kind, &group, errors)
}

/// Validates the parts of one combination, recursing into nested ones.
fn combination_of(kind: Combinator, group: &Group, errors: &mut Errors) -> Option<Requirement> {
    let args = match syn::parse2::<Args>(group.stream()) {
        Ok(args) => args,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };

    let count = args.items.len();
    let mut parts = Vec::with_capacity(count);
    let mut complete = true;
    let mut seen: Vec<String> = Vec::new();
    for item in args.items {
        let described = describe(&item);
        let key = item.key.clone();
        match part(kind, item, errors) {
            Some(requirement) => parts.push(requirement),
            None => complete = false,
        }
        if seen.contains(&described) {
            errors.on(
                &key,
                format_args!("`{described}` is listed twice in `{}(..)`", kind.name()),
            );
        }
        seen.push(described);
    }

    if count < 2 {
        errors.at(group.span(), needs_parts(kind));
        return None;
    }
    if !complete {
        return None;
    }
    Some(match kind {
        Combinator::Any => Requirement::Any(parts),
        Combinator::All => Requirement::All(parts),
    })
}

/// Validates one part of a combination: a mechanism, with its keys in parentheses, or a
/// nested combination of the other kind.
fn part(parent: Combinator, item: Item, errors: &mut Errors) -> Option<Requirement> {
    let Item { key, value } = item;
    let name = key.unraw().to_string();

    if let Some(kind) = Combinator::from_name(&name) {
        if kind == parent {
            errors.on(
                &key,
                format_args!(
                    "`{0}(..)` directly inside `{0}(..)` adds nothing; list its parts in the \
                     outer `{0}(..)`",
                    kind.name()
                ),
            );
            return None;
        }
        let Value::List(group) = value else {
            errors.on(&key, needs_parts(kind));
            return None;
        };
        return combination_of(kind, &group, errors);
    }

    match Mechanism::from_name(&name) {
        Some(Mechanism::Anonymous) => {
            errors.on(
                &key,
                "`anonymous` cannot be combined: a caller whose credential fails must never pass \
                 as anonymous; give public routes their own handler",
            );
            None
        }
        Some(Mechanism::Psk) => {
            errors.on(
                &key,
                "`psk` cannot be combined, since its check reads the whole request body; give \
                 signed requests their own handler",
            );
            None
        }
        Some(mechanism) => mechanism_part(mechanism, &key, value, errors),
        None => {
            errors.on(
                &key,
                format_args!(
                    "unknown mechanism `{name}` in `{}(..)`; expected one of: okta, auth0, \
                     api_key, mtls, or a nested any(..)/all(..)",
                    parent.name()
                ),
            );
            None
        }
    }
}

/// Validates a mechanism inside a combination, whose keys, if any, are in its parentheses.
fn mechanism_part(
    mechanism: Mechanism,
    key: &Ident,
    value: Value,
    errors: &mut Errors,
) -> Option<Requirement> {
    let mut items = vec![Item {
        key: key.clone(),
        value: Value::Flag,
    }];
    match value {
        Value::Flag => {}
        Value::List(group) => match syn::parse2::<Args>(group.stream()) {
            Ok(args) => {
                if let Some(inner) = args.items.iter().find(|i| {
                    let name = i.key.unraw().to_string();
                    Mechanism::from_name(&name).is_some() || Combinator::from_name(&name).is_some()
                }) {
                    errors.on(
                        &inner.key,
                        format_args!(
                            "the parentheses after `{}` hold its keys only; list other \
                             mechanisms beside it in the combination",
                            mechanism.name()
                        ),
                    );
                    return None;
                }
                items.extend(args.items);
            }
            Err(error) => {
                errors.push(error);
                return None;
            }
        },
        Value::Assign(_) => {
            errors.on(
                key,
                format_args!(
                    "inside a combination, write `{0}` or `{0}(key = \"..\")`",
                    mechanism.name()
                ),
            );
            return None;
        }
    }
    single(items, errors)
}

/// Writes a part the way the user wrote it, without spacing, to spot repeats.
fn describe(item: &Item) -> String {
    let value = match &item.value {
        Value::Flag => String::new(),
        Value::Assign(expr) => format!("={}", quote::quote!(#expr)),
        Value::List(group) => group.to_string(),
    };
    format!("{}{value}", item.key.unraw()).replace(' ', "")
}

fn needs_parts(kind: Combinator) -> String {
    format!(
        "`{0}(..)` needs at least two mechanisms, as in `{0}(okta, mtls(identity = \
         \"spiffe://corp/app\"))`; with one, write it alone",
        kind.name()
    )
}
