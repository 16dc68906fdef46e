use actix_web::{get, HttpResponse};
use zt_actix::zero_trust;

#[zero_trust(okta)]
#[zero_trust(auth0)]
async fn stacked() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust(okta, scopes = "a")]
#[get("/around")]
#[zt_actix::zero_trust(okta, scopes = "b")]
async fn around_the_route() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = stacked;
}
