//! Helpers for users' tests.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error};

use crate::routes::RouteInventory;

/// Fails the test, naming each route of `app` that no `#[zero_trust]` declaration covers.
///
/// ```
/// use actix_web::{App, HttpResponse};
/// use zt_actix::{route, zero_trust};
///
/// #[zero_trust(anonymous, reason = "load balancer health probe")]
/// async fn health() -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let app = App::new().route("/health", route::get(health));
/// zt_actix::test::assert_all_routes_declared(app).await;
/// # });
/// ```
///
/// # Panics
///
/// Panics when a route is undeclared, or when the app cannot be built.
pub async fn assert_all_routes_declared<T, B>(app: App<T>)
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let inventory = match RouteInventory::of(app).await {
        Ok(inventory) => inventory,
        Err(error) => panic!("could not list the app's routes: {error}"),
    };
    let undeclared: Vec<String> = inventory
        .undeclared()
        .map(|r| {
            format!(
                "  {} {}: {}",
                r.method,
                r.path,
                r.problem.as_deref().unwrap_or("undeclared")
            )
        })
        .collect();
    assert!(
        undeclared.is_empty(),
        "routes without a #[zero_trust] declaration:\n{}",
        undeclared.join("\n")
    );
}
