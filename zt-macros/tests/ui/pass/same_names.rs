// Several handlers share a module, and the same handler name appears in several modules.

use actix_web::{web, App};

mod orders {
    use actix_web::{get, post, HttpResponse};
    use zt_actix::zero_trust;

    #[zero_trust(okta, scopes = "orders:read")]
    #[get("/orders")]
    pub(crate) async fn list() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[post("/orders")]
    #[zero_trust(okta, scopes = "orders:write")]
    pub(crate) async fn create() -> HttpResponse {
        HttpResponse::Created().finish()
    }

    #[zero_trust(okta, scopes = "orders:read")]
    pub(crate) async fn count() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

mod invoices {
    use actix_web::{get, post, HttpResponse};
    use zt_actix::zero_trust;

    #[zero_trust(auth0, scopes = "invoices:read")]
    #[get("/invoices")]
    pub(crate) async fn list() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[post("/invoices")]
    #[zero_trust(auth0, scopes = "invoices:write")]
    pub(crate) async fn create() -> HttpResponse {
        HttpResponse::Created().finish()
    }

    #[zero_trust(auth0, scopes = "invoices:read")]
    pub(crate) async fn count() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {
    let _app = App::new()
        .service(orders::list)
        .service(orders::create)
        .service(invoices::list)
        .service(invoices::create)
        .route("/orders/count", web::get().to(orders::count))
        .route("/invoices/count", web::get().to(invoices::count));
}
