//! Signing with awc, actix-web's client, against a real server on loopback.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod common;

use awc::http::StatusCode;
use zt_client::awc::send;
use zt_client::Signer;
use zt_core::secret::{MemorySource, SecretPolicy, SecretStore};

use common::Server;

const CURRENT: &str = "current-secret-0123456789abcdefghijklmnopq";
const NEXT: &str = "next-secret-0123456789abcdefghijklmnopqrstu";

#[actix_web::test]
async fn awc_requests_are_signed_and_retried_with_the_previous_version() {
    let server_source = MemorySource::new();
    server_source.set_current(CURRENT);
    let server = Server::start(server_source, SecretPolicy::default());

    let client_source = MemorySource::new();
    client_source.set_current(CURRENT);
    let store = SecretStore::builder()
        .secret("deploy-hook", client_source.clone())
        .build()
        .unwrap();
    store.refresh_all().await.unwrap();
    let signer = Signer::new(&store.secret("deploy-hook").unwrap());
    let client = awc::Client::default();
    let url = format!("{}/hooks/deploy?x=1", server.url);

    let make = || client.post(&url);
    let mut response = send(&signer, make, b"first".to_vec())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().await.unwrap(), "first");

    client_source.rotate(NEXT);
    store.refresh_all().await.unwrap();
    let response = send(&signer, make, b"second".to_vec())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(signer.is_falling_back());
    assert_eq!(server.runs(), 2);
}
