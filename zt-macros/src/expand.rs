//! Emits the guarded handler beside its requirement marker, or the item untouched beside the
//! errors.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{parse_quote, ItemFn, LitStr};

use crate::args::Args;
use crate::valid::{self, IdentityRule, Provider, Requirement, ScopeRule};

/// Expands `#[zero_trust(args)]` applied to `item`.
///
/// On success the output is the marker type, its `Declared` impl, the handler's
/// declaration and the handler with the guard parameter added. On failure it is one
/// `compile_error!` per problem followed by `item` exactly as written, so editors keep
/// resolving the handler while the build fails.
pub(crate) fn zero_trust(args: TokenStream, item: TokenStream) -> TokenStream {
    let requirement = syn::parse2::<Args>(args).and_then(valid::requirement);
    let handler = valid::handler(item.clone());

    match (requirement, handler) {
        (Ok(requirement), Ok(handler)) => guarded(&requirement, handler),
        (requirement, handler) => {
            let mut output: TokenStream = [requirement.err(), handler.err()]
                .into_iter()
                .flatten()
                .map(syn::Error::into_compile_error)
                .collect();
            output.extend(item);
            output
        }
    }
}

/// Emits the marker type carrying `requirement`, its declaration for the startup check, and
/// the handler taking a guard on it.
///
/// The marker shares the handler's visibility, so a `pub` handler does not expose a private
/// type in its signature. Its name derives from the handler's, which is already unique in the
/// scope the two share.
fn guarded(requirement: &Requirement, mut handler: ItemFn) -> TokenStream {
    let vis = handler.vis.clone();
    let name = handler.sig.ident.unraw();
    let marker = format_ident!("__zt_requirement_{}", name, span = Span::call_site());
    let name = LitStr::new(&name.to_string(), Span::call_site());
    let value = requirement_value(requirement);
    let declarations = declarations(&handler, &marker, &name);

    // Mixed-site hygiene keeps the parameter from clashing with any name the body uses; the
    // leading underscore keeps it from being reported as unused.
    let guard = Ident::new("__zt_guard", Span::mixed_site());
    handler.sig.inputs.insert(
        0,
        parse_quote!(#guard: ::zt_actix::__private::Guard<#marker>),
    );

    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #marker;

        impl ::zt_actix::__private::Declared for #marker {
            const REQUIREMENT: ::zt_actix::__private::Requirement = #value;
        }

        #declarations

        #handler
    }
}

/// Emits the handler's declarations: one per actix route attribute written below
/// `#[zero_trust]` (recording its methods and path, so the gate can recognise the resource
/// actix builds from it), or one without a route when there is none.
fn declarations(handler: &ItemFn, marker: &Ident, name: &LitStr) -> TokenStream {
    let declaration = quote! {
        ::zt_actix::__private::Declaration::new(
            ::core::module_path!(),
            #name,
            <#marker as ::zt_actix::__private::Declared>::REQUIREMENT,
        )
    };
    let routes: Vec<(Vec<String>, LitStr)> = handler.attrs.iter().filter_map(route_of).collect();
    if routes.is_empty() {
        return quote!(::zt_actix::__private::inventory::submit! { #declaration });
    }
    routes
        .into_iter()
        .map(|(methods, path)| {
            quote! {
                ::zt_actix::__private::inventory::submit! {
                    #declaration.with_route(&[#(#methods),*], #path)
                }
            }
        })
        .collect()
}

/// Reads the methods and path of an actix-web route attribute (`#[get("/x")]` and the other
/// methods, `#[route("/x", method = "GET", method = "POST")]`); `None` for other attributes
/// and for route attributes whose path is not a string literal.
fn route_of(attr: &syn::Attribute) -> Option<(Vec<String>, LitStr)> {
    const METHODS: [&str; 9] = [
        "get", "post", "put", "delete", "head", "connect", "options", "trace", "patch",
    ];
    let syn::Meta::List(list) = &attr.meta else {
        return None;
    };
    let kind = list.path.segments.last()?.ident.to_string();
    let args = list
        .parse_args_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut args = args.into_iter();
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(path),
        ..
    }) = args.next()?
    else {
        return None;
    };
    if METHODS.contains(&kind.as_str()) {
        return Some((vec![kind.to_uppercase()], path));
    }
    if kind != "route" {
        return None;
    }
    let methods = args
        .filter_map(|arg| match arg {
            syn::Expr::Assign(assign) => {
                let is_method =
                    matches!(&*assign.left, syn::Expr::Path(p) if p.path.is_ident("method"));
                match &*assign.right {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(method),
                        ..
                    }) if is_method => Some(method.value().to_uppercase()),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect();
    Some((methods, path))
}

/// Writes `requirement` as a constant expression of the runtime `Requirement` type.
fn requirement_value(requirement: &Requirement) -> TokenStream {
    let private = quote!(::zt_actix::__private);

    match requirement {
        Requirement::Anonymous { reason } => {
            quote!(#private::Requirement::Anonymous { reason: #reason })
        }
        Requirement::Token { provider, scopes } => {
            let provider = match provider {
                Provider::Okta => quote!(Okta),
                Provider::Auth0 => quote!(Auth0),
            };
            let scopes = scope_rule(scopes);
            quote! {
                #private::Requirement::Token {
                    provider: #private::Provider::#provider,
                    scopes: #scopes,
                }
            }
        }
        Requirement::ApiKey { scopes } => {
            let scopes = scope_rule(scopes);
            quote!(#private::Requirement::ApiKey { scopes: #scopes })
        }
        Requirement::Mtls { identity } => {
            let identity = match identity {
                IdentityRule::Spiffe(id) => quote!(#private::IdentityRule::Spiffe(#id)),
                IdentityRule::Policy(name) => quote!(#private::IdentityRule::Policy(#name)),
            };
            quote!(#private::Requirement::Mtls { identity: #identity })
        }
        Requirement::Psk { name } => quote!(#private::Requirement::Psk { name: #name }),
        Requirement::Any(parts) | Requirement::All(parts) => {
            let kind = if matches!(requirement, Requirement::Any(_)) {
                quote!(Any)
            } else {
                quote!(All)
            };
            let parts = parts.iter().map(requirement_value);
            quote!(#private::Requirement::#kind(&[#(#parts),*]))
        }
    }
}

fn scope_rule(scopes: &ScopeRule) -> TokenStream {
    let (rule, list) = match scopes {
        ScopeRule::All(list) => (quote!(All), list),
        ScopeRule::Any(list) => (quote!(Any), list),
    };
    quote!(::zt_actix::__private::ScopeRule::#rule(&[#(#list),*]))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// Compares token streams by their printed form, which ignores spans and spacing quirks.
    fn assert_tokens_eq(actual: &TokenStream, expected: &TokenStream) {
        assert_eq!(actual.to_string(), expected.to_string());
    }

    #[test]
    fn a_scoped_handler_gets_a_guard_and_a_marker_with_its_visibility() {
        let output = zero_trust(
            quote!(okta, scopes = "orders:read orders:write"),
            quote! {
                /// Lists orders.
                #[get("/orders")]
                pub async fn list(query: Query<Page>) -> HttpResponse {
                    todo!()
                }
            },
        );

        let expected = quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub struct __zt_requirement_list;

            impl ::zt_actix::__private::Declared for __zt_requirement_list {
                const REQUIREMENT: ::zt_actix::__private::Requirement =
                    ::zt_actix::__private::Requirement::Token {
                        provider: ::zt_actix::__private::Provider::Okta,
                        scopes: ::zt_actix::__private::ScopeRule::All(
                            &["orders:read", "orders:write"]
                        ),
                    };
            }

            ::zt_actix::__private::inventory::submit! {
                ::zt_actix::__private::Declaration::new(
                    ::core::module_path!(),
                    "list",
                    <__zt_requirement_list as ::zt_actix::__private::Declared>::REQUIREMENT,
                ).with_route(&["GET"], "/orders")
            }

            /// Lists orders.
            #[get("/orders")]
            pub async fn list(
                __zt_guard: ::zt_actix::__private::Guard<__zt_requirement_list>,
                query: Query<Page>
            ) -> HttpResponse {
                todo!()
            }
        };
        assert_tokens_eq(&output, &expected);
    }

    #[test]
    fn any_scope_and_no_scope_map_to_their_rules() {
        let handler = quote! { async fn f() {} };

        let any = zero_trust(quote!(auth0, any_scope = "a b"), handler.clone()).to_string();
        assert!(any.contains("Provider :: Auth0 ,"), "{any}");
        assert!(
            any.contains("ScopeRule :: Any (& [\"a\" , \"b\"])"),
            "{any}"
        );

        let none = zero_trust(quote!(okta), handler).to_string();
        assert!(none.contains("ScopeRule :: All (& [])"), "{none}");
    }

    #[test]
    fn combinations_nest_as_constant_slices() {
        let handler = quote! { async fn f() {} };
        let output = zero_trust(
            quote!(any(
                all(mtls(identity = "spiffe://corp/a"), okta),
                psk_free_api_key_free(x)
            )),
            handler.clone(),
        )
        .to_string();
        assert!(output.contains("compile_error"), "{output}");

        let output = zero_trust(
            quote!(any(
                all(mtls(identity = "spiffe://corp/a"), okta),
                api_key(scopes = "x")
            )),
            handler,
        )
        .to_string();
        assert!(
            output.contains(
                "Requirement :: Any (& [:: zt_actix :: __private :: Requirement :: All (& [\
                 :: zt_actix :: __private :: Requirement :: Mtls { identity : \
                 :: zt_actix :: __private :: IdentityRule :: Spiffe (\"spiffe://corp/a\") }"
            ),
            "{output}"
        );
        assert!(
            output.contains("Requirement :: ApiKey { scopes : "),
            "{output}"
        );
    }

    #[test]
    fn psk_and_policies_keep_their_names() {
        let handler = quote! { async fn f() {} };
        let psk = zero_trust(quote!(psk = "deploy-hook"), handler.clone()).to_string();
        assert!(
            psk.contains("Requirement :: Psk { name : \"deploy-hook\" }"),
            "{psk}"
        );
        let mtls = zero_trust(quote!(mtls, policy = "batch"), handler).to_string();
        assert!(
            mtls.contains("IdentityRule :: Policy (\"batch\")"),
            "{mtls}"
        );
    }

    #[test]
    fn route_attributes_below_are_recorded_with_their_methods() {
        let output = zero_trust(
            quote!(okta),
            quote! {
                #[actix_web::route("/items", method = "GET", method = "post")]
                #[doc = "not a route"]
                async fn items() {}
            },
        )
        .to_string();
        assert!(
            output.contains(". with_route (& [\"GET\" , \"POST\"] , \"/items\")"),
            "{output}"
        );

        let output = zero_trust(quote!(okta), quote! { async fn plain() {} }).to_string();
        assert!(!output.contains("with_route"), "{output}");
    }

    #[test]
    fn anonymous_keeps_the_reason_literal() {
        let handler = quote! { async fn health() {} };
        let output = zero_trust(quote!(anonymous, reason = "health probe"), handler).to_string();

        assert!(
            output.contains("Requirement :: Anonymous { reason : \"health probe\" }"),
            "{output}"
        );
    }

    #[test]
    fn raw_identifiers_give_plain_marker_and_declared_names() {
        let handler = quote! { async fn r#type() {} };
        let output = zero_trust(quote!(okta), handler).to_string();

        assert!(
            output.contains("struct __zt_requirement_type ;"),
            "{output}"
        );
        assert!(output.contains("module_path ! () , \"type\" ,"), "{output}");
    }

    #[test]
    fn errors_are_emitted_beside_the_untouched_item() {
        let item = quote! { fn sync_handler() {} };
        let output = zero_trust(quote!(bogus), item.clone()).to_string();

        assert_eq!(output.matches("compile_error").count(), 2, "{output}");
        assert!(output.ends_with(&item.to_string()), "{output}");
        assert!(!output.contains("__zt_guard"));
    }
}
