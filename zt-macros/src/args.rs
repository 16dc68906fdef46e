//! Parses the attribute's arguments into a raw list of items, without judging them.
//!
//! The grammar is deliberately wider than what is accepted today, so that later mechanisms fit
//! without a new parser:
//!
//! ```text
//! args  := item ("," item)* ","?
//! item  := ident                  e.g. `okta`
//!        | ident "=" expr         e.g. `scopes = "orders:read"`
//!        | ident "(" tokens ")"   e.g. `any(okta, auth0)`, whose tokens are again `args`
//! ```
//!
//! Keywords are accepted as identifiers here so that `type = "..."` reaches validation and gets
//! an "unknown key" error rather than a bare syntax error.

use proc_macro2::Group;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{token, Expr, Ident, Token};

/// Holds the items written between the attribute's parentheses, in source order.
pub(crate) struct Args {
    pub(crate) items: Vec<Item>,
}

/// Holds one comma-separated item of the attribute.
pub(crate) struct Item {
    pub(crate) key: Ident,
    pub(crate) value: Value,
}

/// Describes what follows an item's key.
pub(crate) enum Value {
    /// Nothing: `key`.
    Flag,
    /// An expression after `=`: `key = value`.
    Assign(Expr),
    /// A parenthesised group: `key(...)`, kept raw until a mechanism that takes one parses
    /// its contents, so that a misplaced group gets a message about its key rather than a
    /// syntax error about its contents.
    List(Group),
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let items = Punctuated::<Item, Token![,]>::parse_terminated(input)?;
        Ok(Self {
            items: items.into_iter().collect(),
        })
    }
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;

        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Value::Assign(input.parse()?)
        } else if input.peek(token::Paren) {
            Value::List(input.parse()?)
        } else {
            Value::Flag
        };

        Ok(Self { key, value })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a panic is how a test reports failure")]
mod tests {
    use quote::quote;

    use super::*;

    fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<Args> {
        syn::parse2(tokens)
    }

    #[test]
    fn empty_input_is_an_empty_list() {
        let args = parse(quote!()).unwrap();
        assert!(args.items.is_empty());
    }

    #[test]
    fn flags_assignments_and_lists_are_told_apart() {
        let args = parse(quote!(okta, scopes = "a b", any(okta, auth0),)).unwrap();
        let keys: Vec<String> = args.items.iter().map(|i| i.key.to_string()).collect();
        assert_eq!(keys, ["okta", "scopes", "any"]);
        assert!(matches!(args.items[0].value, Value::Flag));
        assert!(matches!(args.items[1].value, Value::Assign(_)));
        let Value::List(group) = &args.items[2].value else {
            panic!("expected a nested list");
        };
        let nested: Args = syn::parse2(group.stream()).unwrap();
        assert_eq!(nested.items.len(), 2);
    }

    #[test]
    fn keywords_parse_as_keys() {
        let args = parse(quote!(type = "x")).unwrap();
        assert_eq!(args.items[0].key, "type");
    }

    #[test]
    fn values_are_kept_whatever_their_kind() {
        let args = parse(quote!(scopes = 5, reason = some::path)).unwrap();
        assert!(matches!(&args.items[0].value, Value::Assign(Expr::Lit(_))));
        assert!(matches!(&args.items[1].value, Value::Assign(Expr::Path(_))));
    }

    #[test]
    fn missing_comma_is_a_syntax_error() {
        assert!(parse(quote!(okta auth0)).is_err());
        assert!(parse(quote!(scopes = "a" "b")).is_err());
    }

    #[test]
    fn a_group_is_kept_raw_whatever_it_holds() {
        let args = parse(quote!(reason("probe"), psk(1 + 2))).unwrap();
        assert!(matches!(args.items[0].value, Value::List(_)));
        assert!(matches!(args.items[1].value, Value::List(_)));
    }

    #[test]
    fn a_literal_in_key_position_is_a_syntax_error() {
        assert!(parse(quote!("okta")).is_err());
    }
}
