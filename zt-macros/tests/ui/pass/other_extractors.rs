// The guard sits in front of whatever extractors the handler already takes, with or without
// a `Principal`.

use actix_web::{get, post, web, App, HttpRequest, HttpResponse};
use zt_actix::{zero_trust, Principal};

#[zero_trust(okta, scopes = "orders:read")]
#[get("/orders/{id}")]
async fn with_path(id: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().body(id.into_inner())
}

#[zero_trust(okta, scopes = "orders:read")]
#[get("/orders/{id}/owner")]
async fn with_principal(who: Principal, id: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} owns {id}", who.subject()))
}

#[get("/search")]
#[zero_trust(auth0)]
async fn with_request_and_query(
    req: HttpRequest,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} {}", req.path(), query.len()))
}

#[zero_trust(anonymous, reason = "public echo for uptime checks")]
#[post("/echo")]
async fn with_optional_principal(who: Option<Principal>, body: web::Bytes) -> HttpResponse {
    assert!(who.is_none());
    HttpResponse::Ok().body(body)
}

#[zero_trust(okta)]
#[get("/fifteen")]
#[allow(clippy::too_many_arguments)]
async fn fifteen_extractors(
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
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(with_path)
        .service(with_principal)
        .service(with_request_and_query)
        .service(with_optional_principal)
        .service(fifteen_extractors);
}
