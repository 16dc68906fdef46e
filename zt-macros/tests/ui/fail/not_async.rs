use actix_web::{get, HttpResponse};
use zt_actix::zero_trust;

#[zero_trust(okta)]
fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/below")]
#[zero_trust(okta)]
fn below_route() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn returns_future() -> impl std::future::Future<Output = HttpResponse> {
    async { HttpResponse::Ok().finish() }
}

#[zero_trust(okta)]
fn forwards() -> impl std::future::Future<Output = HttpResponse> {
    returns_future()
}

fn main() {
    let _ = (plain, forwards);
}
