// The handler keeps its doc comments, attributes, generics, patterns, return type and body;
// and the attribute's arguments accept every documented spelling.

use actix_web::{web, App, HttpResponse, Responder};

/// Greets whoever is allowed in.
#[zt_actix::zero_trust(okta, scopes = "greet",)]
#[must_use = "a handler's answer should be returned"]
#[allow(clippy::unused_async)]
async fn greet(web::Json((first, last)): web::Json<(String, String)>) -> impl Responder {
    format!("hello {first} {last}")
}

trait Store: 'static {
    const NAME: &'static str;
}

struct Memory;

impl Store for Memory {
    const NAME: &'static str = "memory";
}

#[zt_actix::zero_trust(scopes = r"api://store/read store:*", okta)]
async fn store_name<S: Store>() -> HttpResponse
where
    S: Sized,
{
    HttpResponse::Ok().body(S::NAME)
}

#[zt_actix::zero_trust(anonymous, reason = r#"the "about" page"#)]
async fn r#type() -> &'static str {
    "about"
}

macro_rules! scoped {
    ($name:ident, $scopes:literal) => {
        #[zt_actix::zero_trust(auth0, scopes = $scopes)]
        async fn $name() -> HttpResponse {
            HttpResponse::Ok().finish()
        }
    };
}

scoped!(from_macro, "macro:read");

fn main() {
    let _app = App::new()
        .route("/greet", web::post().to(greet))
        .route("/store", web::get().to(store_name::<Memory>))
        .route("/about", web::get().to(r#type))
        .route("/macro", web::get().to(from_macro));
}
