// The attribute below actix-web's route attribute runs on the function actix-web re-emits
// inside its generated service, and its marker lands in the same block.

use actix_web::{get, post, web, App, HttpResponse};
use zt_actix::zero_trust;

#[get("/orders")]
#[zero_trust(okta, scopes = "orders:read")]
async fn list_orders() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[post("/orders/{id}")]
#[zero_trust(auth0, any_scope = "orders:write orders:admin")]
async fn update_order(id: web::Path<String>, body: String) -> HttpResponse {
    HttpResponse::Ok().body(format!("{id}: {body}"))
}

#[get("/health")]
#[zero_trust(anonymous, reason = "health probe")]
async fn health() -> &'static str {
    "ok"
}

fn main() {
    let _app = App::new()
        .service(list_orders)
        .service(update_order)
        .service(health);
}
