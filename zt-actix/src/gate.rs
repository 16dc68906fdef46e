//! The deny-by-default gate: a middleware that refuses every route not proven declared.

use std::cell::OnceCell;
use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::introspection::IntrospectionTree;
use actix_web::{web, Error, HttpMessage as _, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::decision;
use crate::guard::PendingDecision;
use crate::routes::{RouteInventory, RouteTable, Routing};
use crate::ZeroTrust;

/// Chooses what happens to an app with routes that carry no `#[zero_trust]` declaration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UndeclaredRoutes {
    /// [`ZeroTrust::check_routes`] fails, naming each undeclared route; an app served
    /// without that check answers every request with 500 (and an ERROR naming the routes)
    /// instead of serving some of them. The default: a policy gap stops the service.
    #[default]
    RefuseToStart,
    /// The app starts; requests to undeclared routes get 403 and an ERROR event naming the
    /// route, and never reach their handler.
    Forbid,
}

/// Refuses, before any handler code runs, every request whose route is not proven declared.
///
/// Wrap the whole app with it, before any other `wrap`:
/// `App::new().app_data(zt.clone()).wrap(zt.gate()).wrap(Logger::default())`. It then sits
/// innermost and sees the path and method the router will see, after any middleware that
/// rewrites them (such as `NormalizePath`).
///
/// For each request the gate finds every route that may serve its method and path, from
/// actix-web's route introspection and the `#[zero_trust]` declarations of the program:
///
/// - all of them declared: the request goes on, and the handler's own guard decides;
/// - one of them undeclared: 403 `{"error":"forbidden"}` and an ERROR event (target
///   `zt::decision`, reason `undeclared_route`) naming the route;
/// - the path exists with other methods only: 405; no route at all, or only routes that
///   an earlier scope with the same prefix shadows: 404. The gate answers these itself, so
///   a default service never runs.
///
/// A route counts as declared when its handler carries `#[zero_trust]` and is registered
/// by a route attribute (`#[get("/x")]` and the others, in `App::service`, `web::scope`,
/// or `App::configure`), or through [`route`](crate::route) (`route::get(handler)` in
/// `web::resource(..).route(..)`, `App::route`, and anywhere a `Route` goes).
///
/// # Security
///
/// After a declared route answers, the gate checks that the handler's guard did run; if
/// not (a handler registered in place of the declared one under the same name, path and
/// method), the answer is replaced by 500, an ERROR event is logged, and the route is
/// refused with 403 from then on.
///
/// # Limitations
///
/// - actix-web's introspection merges registrations that share a full path. A second
///   registration serving the same method on the same path as a declared route (a
///   `web::resource` added before a route attribute, say) is not seen; the check after the
///   answer catches it on its first request, but that request's side effects happen.
/// - A route with routing guards other than methods (`guard::Header`, `guard = ".."`), or
///   inside a scope with guards, counts as undeclared: a request its guards turn away falls
///   through to other services, which the gate cannot predict. Check such conditions in
///   the handler instead.
/// - Services that are not handlers (actix-files, `web::service`, custom
///   `HttpServiceFactory`) cannot be declared; an undeclared path also shadows the paths
///   below it. Serve them from another `App`.
/// - Default services never run behind the gate; unmatched requests get its 404.
#[derive(Debug, Clone)]
pub struct Gate {
    zt: ZeroTrust,
}

impl ZeroTrust {
    /// Returns the deny-by-default gate for this configuration; see [`Gate`].
    #[must_use]
    pub fn gate(&self) -> Gate {
        Gate { zt: self.clone() }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Gate
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = GateService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(GateService {
            service: Rc::new(service),
            zt: self.zt.clone(),
            table: Rc::new(OnceCell::new()),
        }))
    }
}

/// The service [`Gate`] wraps around an app; one per worker.
pub struct GateService<S> {
    service: Rc<S>,
    zt: ZeroTrust,
    table: Rc<OnceCell<Option<Rc<RouteTable>>>>,
}

impl<S> std::fmt::Debug for GateService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GateService").finish_non_exhaustive()
    }
}

impl<S> GateService<S> {
    /// Reads the app's routes once per worker; `None` when actix-web reported none.
    fn table(&self, req: &ServiceRequest) -> Option<Rc<RouteTable>> {
        self.table
            .get_or_init(|| {
                let table = req
                    .app_data::<web::Data<IntrospectionTree>>()
                    .map(|tree| RouteTable::build(tree))?;
                if table.has_undeclared()
                    && self.zt.undeclared_routes() == UndeclaredRoutes::RefuseToStart
                {
                    refusing_to_serve(&table);
                }
                Some(table)
            })
            .clone()
    }
}

impl<S, B> Service<ServiceRequest> for GateService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let Some(table) = self.table(&req) else {
            decision::misconfigured(req.request(), "actix-web reported no routes to the gate");
            return answer(req, StatusCode::INTERNAL_SERVER_ERROR, "server_error");
        };
        if table.has_undeclared() && self.zt.undeclared_routes() == UndeclaredRoutes::RefuseToStart
        {
            decision::misconfigured(req.request(), "the app has undeclared routes");
            return answer(req, StatusCode::INTERNAL_SERVER_ERROR, "server_error");
        }

        // Match the path exactly as actix-web's router will: percent-decoded where it
        // decodes, so an encoded character cannot steer the request past the gate.
        let method = req.method().clone();
        let path = req.match_info().as_str();
        // actix-web's resource map follows its routing order: a scope whose prefix matches
        // takes the request even when none of its routes does. Nothing found there means the
        // router would end in a default service, whatever the table says.
        let reachable = req.request().resource_map().match_pattern(path).is_some();
        let route = match table.route(&method, path) {
            Routing::Declared(entry) if reachable => entry.path.clone(),
            Routing::Declared(_) => {
                decision::no_route(req.request(), "no_route");
                return answer(req, StatusCode::NOT_FOUND, "not_found");
            }
            Routing::Undeclared(entry) => {
                decision::undeclared(req.request(), &entry.path);
                return answer(req, StatusCode::FORBIDDEN, "forbidden");
            }
            Routing::MethodNotAllowed => {
                decision::no_route(req.request(), "method_not_allowed");
                return answer(req, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
            }
            Routing::NoRoute => {
                decision::no_route(req.request(), "no_route");
                return answer(req, StatusCode::NOT_FOUND, "not_found");
            }
        };
        if self.zt.is_tripped(method.as_str(), &route) {
            decision::undeclared(req.request(), &route);
            return answer(req, StatusCode::FORBIDDEN, "forbidden");
        }

        let zt = self.zt.clone();
        let response = self.service.call(req);
        Box::pin(async move {
            let response = response.await?;
            if response
                .request()
                .extensions()
                .get::<PendingDecision>()
                .is_some()
            {
                return Ok(response.map_into_left_body());
            }
            // A route proven declared ran without its guard: never let its answer out.
            zt.trip(method.as_str(), &route);
            decision::guard_skipped(response.request(), &route);
            let (request, _) = response.into_parts();
            let body = HttpResponse::InternalServerError()
                .json(serde_json::json!({ "error": "server_error" }));
            Ok(ServiceResponse::new(request, body).map_into_right_body())
        })
    }
}

fn answer<B: 'static>(
    req: ServiceRequest,
    status: StatusCode,
    error: &'static str,
) -> LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, Error>> {
    let response = HttpResponse::build(status).json(serde_json::json!({ "error": error }));
    Box::pin(ready(Ok(req.into_response(response).map_into_right_body())))
}

/// Logs, once per worker, that the app serves nothing because some routes are undeclared.
pub(crate) fn refusing_to_serve(table: &RouteTable) {
    let inventory = RouteInventory::from_table(table);
    let routes: Vec<String> = inventory
        .undeclared()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    tracing::error!(
        target: "zt::decision",
        outcome = "deny",
        reason = "undeclared_routes",
        mechanism = "gate",
        routes = %routes.join(", "),
        "the app has routes without a #[zero_trust] declaration and the gate refuses to \
         serve it; declare them, or set undeclared_routes(UndeclaredRoutes::Forbid)",
    );
}
