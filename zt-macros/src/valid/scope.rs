//! Reads a space-separated scope list with the scope-token grammar of RFC 6749, section 3.3.

use std::collections::HashSet;

/// Splits a space-separated scope list as RFC 6749 section 3.3 defines it, reporting
/// misplaced spaces, characters outside the scope-token set, and repeated scopes.
pub(super) fn split(text: &str) -> Result<Vec<&str>, Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut scopes = Vec::new();
    let mut stray_space = false;

    for scope in text.split(' ') {
        if scope.is_empty() {
            stray_space = true;
            continue;
        }
        if let Some(bad) = scope.chars().find(|&c| !is_scope_char(c)) {
            problems.push(format!(
                "invalid character {bad:?} in scope {scope:?}; a scope is printable ASCII \
                 without spaces, '\"' or '\\' (RFC 6749, section 3.3)"
            ));
            continue;
        }
        if !seen.insert(scope) {
            problems.push(format!("scope `{scope}` is listed twice"));
            continue;
        }
        scopes.push(scope);
    }

    if stray_space {
        problems.insert(
            0,
            "scopes are separated by single spaces, with none before the first or after the last"
                .to_owned(),
        );
    }
    if problems.is_empty() {
        Ok(scopes)
    } else {
        Err(problems)
    }
}

/// Tells whether `c` may appear in an RFC 6749 scope token (`%x21 / %x23-5B / %x5D-7E`).
fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a panic is how a test reports failure")]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens_follow_rfc_6749() {
        assert_eq!(
            split("orders:read api://x/read a.b!#[]~").unwrap(),
            ["orders:read", "api://x/read", "a.b!#[]~"]
        );
        for bad in ["a\"b", "a\\b", "a\tb", "é", "a\u{7f}"] {
            let problems = split(bad).unwrap_err();
            assert!(problems[0].starts_with("invalid character"), "{bad:?}");
        }
    }

    #[test]
    fn stray_spaces_and_duplicates_are_refused() {
        for bad in [" a", "a ", "a  b"] {
            let problems = split(bad).unwrap_err();
            assert!(problems[0].starts_with("scopes are separated"), "{bad:?}");
        }
        assert_eq!(split("a b a").unwrap_err(), ["scope `a` is listed twice"]);
    }
}
