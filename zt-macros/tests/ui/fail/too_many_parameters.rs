use actix_web::{web, HttpRequest, HttpResponse};
use zt_actix::zero_trust;

#[zero_trust(okta)]
async fn sixteen(
    _a: HttpRequest,
    _b: HttpRequest,
    _c: HttpRequest,
    _d: HttpRequest,
    _e: HttpRequest,
    _f: HttpRequest,
    _g: HttpRequest,
    _h: HttpRequest,
    _i: HttpRequest,
    _j: HttpRequest,
    _k: HttpRequest,
    _l: HttpRequest,
    _m: HttpRequest,
    _n: HttpRequest,
    _o: HttpRequest,
    _p: web::Bytes,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = sixteen;
}
