// Client-certificate, pre-shared-secret and combined requirements expand to the runtime values
// they name, nested combinations included.

use actix_web::HttpResponse;
use zt_actix::__private::Declaration;
use zt_actix::{zero_trust, IdentityRule, Provider, Requirement, ScopeRule};

#[zero_trust(mtls, identity = "spiffe://example.test/service/billing")]
async fn billing() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust(mtls, policy = "batch-jobs")]
async fn batch() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust(psk = "deploy-hook")]
async fn deploy() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[zero_trust(any(okta(scopes = "reports:read"), all(mtls(identity = "spiffe://corp/*"), api_key)))]
async fn reports() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn declared(handler: &str) -> Requirement {
    Declaration::all()
        .find(|d| d.handler == handler)
        .map(|d| d.requirement)
        .unwrap_or_else(|| panic!("{handler} is not declared"))
}

fn main() {
    assert_eq!(
        declared("billing"),
        Requirement::Mtls {
            identity: IdentityRule::Spiffe("spiffe://example.test/service/billing"),
        }
    );
    assert_eq!(
        declared("batch"),
        Requirement::Mtls {
            identity: IdentityRule::Policy("batch-jobs"),
        }
    );
    assert_eq!(declared("deploy"), Requirement::Psk { name: "deploy-hook" });
    assert_eq!(
        declared("reports"),
        Requirement::Any(&[
            Requirement::Token {
                provider: Provider::Okta,
                scopes: ScopeRule::All(&["reports:read"]),
            },
            Requirement::All(&[
                Requirement::Mtls {
                    identity: IdentityRule::Spiffe("spiffe://corp/*"),
                },
                Requirement::ApiKey {
                    scopes: ScopeRule::NONE,
                },
            ]),
        ])
    );
}
