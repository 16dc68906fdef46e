// Handlers of every visibility, in both attribute orders, build without a warning: the
// marker takes the handler's visibility, so no private type appears in a public signature.
// (`unreachable_pub` is left out: actix-web's route attributes move a `pub` handler into a
// function body, which that lint reports with or without `#[zero_trust]`.)

#![deny(warnings, private_interfaces, private_bounds)]
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]
//! Handlers of every visibility.

use actix_web::App;

/// Routes exported from the crate.
pub mod api {
    use actix_web::{get, HttpResponse};
    use zt_actix::zero_trust;

    /// Answers above the route attribute.
    #[zero_trust(okta)]
    #[get("/a")]
    pub async fn public_above() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    /// Answers below the route attribute.
    #[get("/b")]
    #[zero_trust(okta)]
    pub async fn public_below() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    /// Answers with no route attribute at all.
    #[zero_trust(okta)]
    pub async fn public_plain() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    pub(crate) mod inner {
        use actix_web::{get, HttpResponse};
        use zt_actix::zero_trust;

        #[zero_trust(auth0)]
        #[get("/c")]
        pub(crate) async fn crate_visible() -> HttpResponse {
            HttpResponse::Ok().finish()
        }

        #[zero_trust(auth0)]
        #[get("/d")]
        pub(super) async fn parent_visible() -> HttpResponse {
            HttpResponse::Ok().finish()
        }

        #[zero_trust(auth0)]
        pub(in crate::api) async fn path_visible() -> HttpResponse {
            HttpResponse::Ok().finish()
        }

        #[zero_trust(auth0)]
        async fn private() -> HttpResponse {
            HttpResponse::Ok().finish()
        }

        pub(crate) fn register(cfg: &mut actix_web::web::ServiceConfig) {
            cfg.route("/e", actix_web::web::get().to(private));
            cfg.route("/f", actix_web::web::get().to(path_visible));
        }
    }

    pub(crate) fn register(cfg: &mut actix_web::web::ServiceConfig) {
        cfg.service(inner::parent_visible);
        cfg.route("/g", actix_web::web::get().to(public_plain));
        inner::register(cfg);
    }
}

fn main() {
    let _app = App::new()
        .service(api::public_above)
        .service(api::public_below)
        .service(api::inner::crate_visible)
        .configure(api::register);
}
