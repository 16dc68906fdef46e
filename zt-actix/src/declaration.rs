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
        }
    }

    /// Iterates over every handler declared in the program.
    pub fn all() -> impl Iterator<Item = &'static Declaration> {
        inventory::iter::<Declaration>.into_iter()
    }
}

inventory::collect!(Declaration);
