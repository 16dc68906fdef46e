//! Routes built from `#[zero_trust]` handlers, for registration styles the gate cannot trace
//! back to a route attribute (`web::resource`, `App::route`, `default_service`).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use actix_web::guard::{Guard as RouteGuard, GuardContext};
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder, Route};
use zt_core::Requirement;

use crate::guard::{Declared, Guard};

/// The prefix of the names the gate recognises on declared routes.
pub(crate) const MARK_PREFIX: &str = "zt::declared ";

/// Requirements of routes built by this module, by the name of the guard that marks them.
static MARKED: Mutex<BTreeMap<String, Marked>> = Mutex::new(BTreeMap::new());

/// What a route built here serves and requires.
#[derive(Debug, Clone)]
pub(crate) struct Marked {
    pub(crate) requirement: Requirement,
    pub(crate) handler: String,
}

/// Returns what the route marked `name` requires, when this module built it.
pub(crate) fn marked(name: &str) -> Option<(Method, Marked)> {
    let rest = name.strip_prefix(MARK_PREFIX)?;
    let method = rest.split(' ').next()?.parse().ok()?;
    let map = MARKED.lock().unwrap_or_else(PoisonError::into_inner);
    map.get(name).map(|m| (method, m.clone()))
}

/// Names the argument lists of `#[zero_trust]` handlers, whose first parameter is the guard.
///
/// Implemented for every tuple of up to 16 extractors that starts with a guard, so a handler
/// without `#[zero_trust]` does not compile where one is required.
pub trait GuardedArgs {
    /// The marker carrying the handler's requirement.
    type Marker: Declared;
}

macro_rules! guarded_args {
    ($($arg:ident),*) => {
        impl<D: Declared, $($arg),*> GuardedArgs for (Guard<D>, $($arg,)*) {
            type Marker = D;
        }
    };
}

guarded_args!();
guarded_args!(A);
guarded_args!(A, B);
guarded_args!(A, B, C);
guarded_args!(A, B, C, E);
guarded_args!(A, B, C, E, F);
guarded_args!(A, B, C, E, F, G);
guarded_args!(A, B, C, E, F, G, H);
guarded_args!(A, B, C, E, F, G, H, I);
guarded_args!(A, B, C, E, F, G, H, I, J);
guarded_args!(A, B, C, E, F, G, H, I, J, K);
guarded_args!(A, B, C, E, F, G, H, I, J, K, L);
guarded_args!(A, B, C, E, F, G, H, I, J, K, L, M);
guarded_args!(A, B, C, E, F, G, H, I, J, K, L, M, N);
guarded_args!(A, B, C, E, F, G, H, I, J, K, L, M, N, O);
guarded_args!(A, B, C, E, F, G, H, I, J, K, L, M, N, O, P);

/// Builds a route for `method` served by a `#[zero_trust]` handler, marked so that the gate
/// counts it as declared.
///
/// Use it wherever actix-web takes a `Route`:
///
/// ```
/// use actix_web::{http::Method, web, App, HttpResponse};
/// use zt_actix::{route, zero_trust};
///
/// #[zero_trust(auth0, scopes = "orders:admin")]
/// async fn refund(id: web::Path<u64>) -> HttpResponse {
///     HttpResponse::Accepted().finish()
/// }
///
/// let app = App::new()
///     .route("/orders/{id}/refund", route::post(refund))
///     .service(web::resource("/refunds/{id}").route(route::method(Method::PUT, refund)));
/// # drop(app);
/// ```
///
/// A handler without `#[zero_trust]` is a compile error here.
///
/// # Security
///
/// The mark is a routing guard that always passes; the handler's own guard still decides
/// every request. Do not call `Route::to` on the result: that would replace the handler and
/// keep the mark (the gate then answers 500 on the route's first request and refuses it from
/// then on, as it does whenever a route marked declared runs no guard).
pub fn method<F, Args>(method: Method, handler: F) -> Route
where
    F: Handler<Args>,
    Args: FromRequest + GuardedArgs + 'static,
    F::Output: Responder + 'static,
{
    let name = format!(
        "{MARK_PREFIX}{method} {}",
        std::any::type_name::<Args::Marker>()
    );
    let marked = Marked {
        requirement: <Args::Marker as Declared>::REQUIREMENT,
        handler: handler_name::<Args::Marker>(),
    };
    MARKED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name.clone(), marked);

    web::method(method).guard(Mark(name)).to(handler)
}

/// Returns `module::handler` from a marker's type name, which `#[zero_trust]` makes
/// `module::__zt_requirement_<handler>`.
fn handler_name<D: 'static>() -> String {
    std::any::type_name::<D>().replace("::__zt_requirement_", "::")
}

macro_rules! method_fn {
    ($(#[$doc:meta] $name:ident => $method:ident),* $(,)?) => {$(
        #[$doc]
        ///
        /// See [`method`] for the details.
        pub fn $name<F, Args>(handler: F) -> Route
        where
            F: Handler<Args>,
            Args: FromRequest + GuardedArgs + 'static,
            F::Output: Responder + 'static,
        {
            method(Method::$method, handler)
        }
    )*};
}

method_fn! {
    /// Builds a `GET` route served by a `#[zero_trust]` handler.
    get => GET,
    /// Builds a `POST` route served by a `#[zero_trust]` handler.
    post => POST,
    /// Builds a `PUT` route served by a `#[zero_trust]` handler.
    put => PUT,
    /// Builds a `PATCH` route served by a `#[zero_trust]` handler.
    patch => PATCH,
    /// Builds a `DELETE` route served by a `#[zero_trust]` handler.
    delete => DELETE,
}

/// The routing guard that marks a declared route; it never refuses.
struct Mark(String);

impl RouteGuard for Mark {
    fn check(&self, _: &GuardContext<'_>) -> bool {
        true
    }

    fn name(&self) -> String {
        self.0.clone()
    }
}
