use actix_web::{get, App, HttpResponse};
use zt_actix::zero_trust;

#[zero_trust(anonymous)]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new().service(health);
}
