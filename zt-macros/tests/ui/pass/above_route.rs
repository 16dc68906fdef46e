// The attribute above actix-web's route attributes sees them unexpanded and keeps them.

use actix_web::{get, post, routes, web, App, HttpResponse};
use zt_actix::zero_trust;

#[zero_trust(okta, scopes = "orders:read")]
#[get("/orders")]
async fn list_orders() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust(auth0, any_scope = "orders:write orders:admin")]
#[post("/orders/{id}")]
async fn update_order(id: web::Path<String>, body: String) -> HttpResponse {
    HttpResponse::Ok().body(format!("{id}: {body}"))
}

#[zero_trust(anonymous, reason = "health probe")]
#[routes]
#[get("/health")]
#[get("/healthz")]
async fn health() -> &'static str {
    "ok"
}

fn main() {
    let _app = App::new()
        .service(list_orders)
        .service(update_order)
        .service(health);
}
