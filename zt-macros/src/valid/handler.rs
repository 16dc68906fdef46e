//! Checks that the annotated item is a function actix-web can call with a guard in front.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Attribute, ItemFn};

use super::Errors;

/// Counts the extractor parameters actix-web's `Handler` trait is implemented for.
const ACTIX_MAX_PARAMS: usize = 16;

/// Checks that the annotated item is a function a guard parameter can be added to.
///
/// # Errors
///
/// Returns every problem found, combined: not a function, not `async`, a `self` receiver,
/// a second `#[zero_trust]`, or more parameters than actix-web can extract.
pub(crate) fn handler(item: TokenStream) -> syn::Result<ItemFn> {
    let item: syn::Item = syn::parse2(item)?;
    let syn::Item::Fn(function) = item else {
        return Err(syn::Error::new_spanned(
            item_head(&item),
            "#[zero_trust] applies only to `async fn` handlers",
        ));
    };

    let mut errors = Errors::default();
    let sig = &function.sig;

    if sig.asyncness.is_none() {
        let (fn_token, ident) = (&sig.fn_token, &sig.ident);
        errors.on(
            quote!(#fn_token #ident),
            "#[zero_trust] handlers must be `async fn`",
        );
    }
    if let Some(receiver) = sig.receiver() {
        errors.on(
            receiver,
            "#[zero_trust] handlers cannot take `self`; actix-web calls a handler as a free \
             function",
        );
    }
    for attr in function.attrs.iter().filter(|a| is_zero_trust(a)) {
        errors.on(
            attr,
            "#[zero_trust] is given twice; a handler has exactly one requirement",
        );
    }
    if let Some(extra) = sig.inputs.iter().nth(ACTIX_MAX_PARAMS - 1) {
        errors.on(
            extra,
            format_args!(
                "a #[zero_trust] handler takes at most {} parameters; actix-web extracts {} \
                 and the guard is one of them",
                ACTIX_MAX_PARAMS - 1,
                ACTIX_MAX_PARAMS
            ),
        );
    }

    errors.finish(function)
}

/// Tells whether an attribute is another `#[zero_trust]`, by its last path segment.
fn is_zero_trust(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "zero_trust")
}

/// Returns the keyword and name of an item, so an error points at its head, not its body.
fn item_head(item: &syn::Item) -> TokenStream {
    fn head(keyword: &impl ToTokens, name: &impl ToTokens) -> TokenStream {
        quote!(#keyword #name)
    }

    match item {
        syn::Item::Struct(s) => head(&s.struct_token, &s.ident),
        syn::Item::Enum(e) => head(&e.enum_token, &e.ident),
        syn::Item::Union(u) => head(&u.union_token, &u.ident),
        syn::Item::Trait(t) => head(&t.trait_token, &t.ident),
        syn::Item::Mod(m) => head(&m.mod_token, &m.ident),
        syn::Item::Const(c) => head(&c.const_token, &c.ident),
        syn::Item::Static(s) => head(&s.static_token, &s.ident),
        syn::Item::Type(t) => head(&t.type_token, &t.ident),
        syn::Item::Impl(i) => head(&i.impl_token, &i.self_ty),
        other => other.into_token_stream(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a panic is how a test reports failure")]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn a_plain_async_fn_is_a_handler() {
        let function = handler(quote!(
            #[get("/")]
            async fn index() -> &'static str {
                "hi"
            }
        ));
        assert!(function.is_ok());
    }

    #[test]
    fn items_that_cannot_be_handlers_are_refused() {
        let cases = [
            (quote! { struct S; }, "applies only to"),
            (quote! { fn f() {} }, "must be `async fn`"),
            (quote! { async fn f(&self) {} }, "cannot take `self`"),
            (
                quote! { #[zero_trust(okta)] async fn f() {} },
                "is given twice",
            ),
        ];
        for (tokens, expected) in cases {
            let error = handler(tokens).err().unwrap();
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn handlers_with_too_many_parameters_are_refused() {
        let params = (0..16).map(|i| quote::format_ident!("p{i}"));
        let function = handler(quote!(async fn f(#(#params: u8),*) {}));
        assert!(function.err().unwrap().to_string().contains("at most 15"));

        let params = (0..15).map(|i| quote::format_ident!("p{i}"));
        assert!(handler(quote!(async fn f(#(#params: u8),*) {})).is_ok());
    }
}
