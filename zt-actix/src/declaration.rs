//! Handler declarations, collected from every `#[zero_trust]` in the program at link time.

use zt_core::Requirement;

/// Records one handler's requirement so startup checks can see every declaration.
///
/// The `#[zero_trust]` attribute submits one per handler; user code never builds these.
#[derive(Debug)]
pub struct Declaration {
    /// The module the handler is defined in.
    pub module: &'static str,
    /// The handler's function name.
    pub handler: &'static str,
    /// What the handler requires.
    pub requirement: Requirement,
    /// The methods of the actix route attribute beside `#[zero_trust]`, empty without one.
    pub methods: &'static [&'static str],
    /// The path of the actix route attribute beside `#[zero_trust]`, relative to any scope.
    pub path: Option<&'static str>,
}

impl Declaration {
    /// Records `handler` in `module` with its requirement.
    #[must_use]
    pub const fn new(
        module: &'static str,
        handler: &'static str,
        requirement: Requirement,
    ) -> Self {
        Self {
            module,
            handler,
            requirement,
            methods: &[],
            path: None,
        }
    }

    /// Records the route of the actix route attribute (`#[get("/x")]`, `#[route(..)]`) the
    /// handler also carries, so the gate can recognise the resource actix builds from it.
    #[must_use]
    pub const fn with_route(self, methods: &'static [&'static str], path: &'static str) -> Self {
        Self {
            methods,
            path: Some(path),
            ..self
        }
    }

    /// Iterates over every handler declared in the program.
    pub fn all() -> impl Iterator<Item = &'static Declaration> {
        inventory::iter::<Declaration>.into_iter()
    }

    /// Returns the declarations carrying a route attribute that could have built a resource
    /// named `handler` serving `full_path`.
    ///
    /// actix-web names the resource of a route attribute after the function, and a scope
    /// only prefixes the path, so a declaration matches when its handler name is `handler`
    /// and `full_path` ends with its path.
    pub(crate) fn matching_route<'a>(
        handler: &'a str,
        full_path: &'a str,
    ) -> impl Iterator<Item = &'static Declaration> + 'a {
        Self::all().filter(move |d| {
            d.handler == handler && d.path.is_some_and(|path| path_suffix(full_path, path))
        })
    }
}

/// Tells whether a resource registered at `relative` inside some scope can have `full` as its
/// full path; actix-web adds a leading slash to a root-level resource path without one.
fn path_suffix(full: &str, relative: &str) -> bool {
    let Some(prefix) = full.strip_suffix(relative) else {
        return relative.is_empty() && full == "/";
    };
    if relative.starts_with('/') || relative.is_empty() {
        return true;
    }
    prefix.is_empty() || prefix.ends_with('/')
}

inventory::collect!(Declaration);

#[cfg(test)]
mod tests {
    use super::path_suffix;

    #[test]
    fn scoped_paths_end_with_the_attribute_path() {
        assert!(path_suffix("/api/orders", "/orders"));
        assert!(path_suffix("/orders", "/orders"));
        assert!(path_suffix("/orders", "orders"));
        assert!(path_suffix("/api/orders", "orders"));
        assert!(!path_suffix("/api/xorders", "orders"));
        assert!(!path_suffix("/orders/x", "/orders"));
        assert!(path_suffix("/api", ""));
    }
}
