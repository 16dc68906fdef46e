use actix_web::{get, App, HttpResponse};
use zt_actix::zero_trust;

#[zero_trust]
#[get("/a")]
async fn bare() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust()]
#[get("/b")]
async fn empty_parens() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust(scopes = "orders:read")]
async fn keys_only() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    // The handlers are emitted unchanged beside the errors, so this still resolves.
    let _app = App::new().service(bare).service(empty_parens);
    let _ = keys_only;
}
