// Every annotated handler is declared to zt-actix with its module, name and requirement, in
// both attribute orders, so the configuration can check them all at startup.

use actix_web::{get, HttpResponse};
use zt_actix::__private::Declaration;
use zt_actix::{zero_trust, Provider, Requirement, ScopeRule};

mod routes {
    use super::*;

    #[zero_trust(okta, scopes = "orders:read orders:write")]
    #[get("/a")]
    pub(crate) async fn above() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[get("/b")]
    #[zero_trust(auth0, any_scope = "a b")]
    pub(crate) async fn below() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[zero_trust(anonymous, reason = "health probe")]
    pub(crate) async fn plain() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[zero_trust(okta)]
    pub(crate) async fn unscoped() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn declared(handler: &str) -> Requirement {
    let found: Vec<&Declaration> = Declaration::all().filter(|d| d.handler == handler).collect();
    assert_eq!(found.len(), 1, "{handler} declared {} times", found.len());
    assert_eq!(found[0].module, concat!(module_path!(), "::routes"));
    found[0].requirement
}

fn main() {
    assert_eq!(
        declared("above"),
        Requirement::Token {
            provider: Provider::Okta,
            scopes: ScopeRule::All(&["orders:read", "orders:write"]),
        }
    );
    assert_eq!(
        declared("below"),
        Requirement::Token {
            provider: Provider::Auth0,
            scopes: ScopeRule::Any(&["a", "b"]),
        }
    );
    assert_eq!(
        declared("plain"),
        Requirement::Anonymous {
            reason: "health probe"
        }
    );
    assert_eq!(
        declared("unscoped"),
        Requirement::Token {
            provider: Provider::Okta,
            scopes: ScopeRule::NONE,
        }
    );
    assert_eq!(Declaration::all().count(), 4);

    let _ = (routes::above, routes::below, routes::plain, routes::unscoped);
}
