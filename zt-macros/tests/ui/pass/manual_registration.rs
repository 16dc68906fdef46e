// A plain annotated function registers through `web::resource().route()`, `App::route` and
// `ServiceConfig`, like any actix-web handler.

use actix_web::{web, App, HttpResponse, Responder};
use zt_actix::zero_trust;

#[zero_trust(okta, scopes = "reports:read")]
async fn report(id: web::Path<u32>) -> impl Responder {
    format!("report {id}")
}

#[zero_trust(auth0, any_scope = "reports:write reports:admin")]
async fn delete_report(_id: web::Path<u32>) -> HttpResponse {
    HttpResponse::NoContent().finish()
}

#[zero_trust(anonymous, reason = "liveness probe")]
async fn live() -> &'static str {
    "ok"
}

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/live", web::get().to(live));
}

fn main() {
    let _app = App::new()
        .service(
            web::resource("/reports/{id}")
                .route(web::get().to(report))
                .route(web::delete().to(delete_report)),
        )
        .route("/reports/{id}/again", web::get().to(report))
        .configure(configure);
}
