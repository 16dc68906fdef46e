//! Checks the names written in the attribute: SPIFFE ids, policy names and secret names.

use syn::{Expr, LitStr};

use super::literal;

/// Checks an `identity` value: a SPIFFE id, optionally ending in `/*` to admit every id below
/// that path.
///
/// The rules match what the runtime policy accepts: a lowercase trust domain of letters,
/// digits, `.`, `-` and `_`, and path segments of letters, digits, `.`, `-` and `_`, none empty,
/// `.` or `..`.
pub(super) fn spiffe(value: &Expr) -> syn::Result<LitStr> {
    const EXAMPLE: &str = "`identity = \"spiffe://example.org/service/billing\"`, or \
                           `identity = \"spiffe://example.org/batch/*\"` for every id below a path";
    let lit = literal(value).ok_or_else(|| {
        syn::Error::new_spanned(
            value,
            format_args!("`identity` takes a string literal, as in {EXAMPLE}"),
        )
    })?;

    match spiffe_problem(&lit.value()) {
        None => Ok(lit),
        Some(problem) => Err(syn::Error::new(
            lit.span(),
            format_args!("`identity` {problem}; write a SPIFFE id, as in {EXAMPLE}"),
        )),
    }
}

fn spiffe_problem(text: &str) -> Option<String> {
    let Some(rest) = text.strip_prefix("spiffe://") else {
        return Some("must start with `spiffe://`".to_owned());
    };
    let rest = rest.strip_suffix("/*").unwrap_or(rest);
    let (domain, path) = rest.split_once('/').unwrap_or((rest, ""));

    if domain.is_empty() {
        return Some("has no trust domain".to_owned());
    }
    if let Some(bad) = domain
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)))
    {
        return Some(format!(
            "has {bad:?} in its trust domain, which takes lowercase letters, digits, `.`, `-` \
             and `_`"
        ));
    }
    if path.is_empty() {
        return (rest.len() != domain.len()).then(|| "ends with `/`".to_owned());
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Some(format!(
                "has an empty, `.` or `..` path segment in {text:?}"
            ));
        }
        if let Some(bad) = segment
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        {
            return Some(format!(
                "has {bad:?} in a path segment, which takes letters, digits, `.`, `-` and `_` \
                 (a `*` may only end the id, as `/*`)"
            ));
        }
    }
    None
}

/// Checks a `policy` value: the name of an identity policy configured at startup.
pub(super) fn policy(value: &Expr) -> syn::Result<LitStr> {
    setting_name(value, "policy", "`policy = \"billing-clients\"`")
}

/// Checks the value of `psk = ".."`: the name of a secret configured at startup.
pub(super) fn psk(value: &Expr) -> syn::Result<LitStr> {
    setting_name(value, "psk", "`psk = \"deploy-hook\"`")
}

/// Checks a name configured at startup: letters, digits, `.`, `-` and `_`, not empty.
fn setting_name(value: &Expr, key: &str, example: &str) -> syn::Result<LitStr> {
    let lit = literal(value).ok_or_else(|| {
        syn::Error::new_spanned(
            value,
            format_args!("`{key}` takes a string literal, as in {example}"),
        )
    })?;

    let text = lit.value();
    let well_formed = !text.is_empty()
        && text.len() <= 128
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !well_formed {
        return Err(syn::Error::new(
            lit.span(),
            format_args!(
                "`{key}` names a setting configured at startup: 1 to 128 letters, digits, `.`, \
                 `-` or `_`, as in {example}"
            ),
        ));
    }
    Ok(lit)
}

#[cfg(test)]
mod tests {
    use super::spiffe_problem;

    #[test]
    fn well_formed_ids_and_prefixes_pass() {
        for id in [
            "spiffe://example.org/service/billing",
            "spiffe://example.org/batch/*",
            "spiffe://example.org/*",
            "spiffe://example.org",
            "spiffe://corp-1.example_x/A.b-c_d",
        ] {
            assert_eq!(spiffe_problem(id), None, "{id}");
        }
    }

    #[test]
    fn malformed_ids_are_explained() {
        for (id, problem) in [
            ("https://example.org/x", "must start"),
            ("spiffe:///x", "no trust domain"),
            ("spiffe://Example.org/x", "'E' in its trust domain"),
            ("spiffe://example.org/", "ends with `/`"),
            ("spiffe://example.org/a//b", "empty"),
            ("spiffe://example.org/a/../b", "`..`"),
            ("spiffe://example.org/a*", "'*' in a path segment"),
            ("spiffe://example.org/a/*/b", "'*' in a path segment"),
        ] {
            let found = spiffe_problem(id).unwrap_or_default();
            assert!(found.contains(problem), "{id}: {found}");
        }
    }
}
