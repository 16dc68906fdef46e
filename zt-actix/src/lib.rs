//! Zero Trust authentication for actix-web.

pub use zt_macros::zero_trust;

#[doc(hidden)]
pub mod __private {
    //! Items the `#[zero_trust]` attribute expands to. Not a public API.

    use std::marker::PhantomData;

    pub use zt_core::{Provider, Requirement, ScopeRule};

    /// Carries a handler's requirement in its type.
    pub trait Declared: 'static {
        /// The requirement of the handler this marker belongs to.
        const REQUIREMENT: Requirement;
    }

    /// Checks the caller against `D::REQUIREMENT` before the handler runs.
    #[derive(Debug)]
    pub struct Guard<D: Declared>(PhantomData<D>);
}
