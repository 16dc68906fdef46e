//! Signing with reqwest against a real server on loopback: accepted requests, recovery from
//! a server that has not caught up with a rotation, and rotation under load.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use zt_client::reqwest::{send, sign};
use zt_client::Signer;
use zt_core::secret::{MemorySource, SecretPolicy, SecretStore};

use common::{quick_policy, Server};

const CURRENT: &str = "current-secret-0123456789abcdefghijklmnopq";
const NEXT: &str = "next-secret-0123456789abcdefghijklmnopqrstu";

async fn signer_for(source: MemorySource, policy: SecretPolicy) -> (Signer, SecretStore) {
    let store = SecretStore::builder()
        .policy(policy)
        .secret("deploy-hook", source)
        .build()
        .unwrap();
    store.refresh_all().await.unwrap();
    (Signer::new(&store.secret("deploy-hook").unwrap()), store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_reqwest_request_is_accepted_and_a_replay_is_not() {
    let source = MemorySource::new();
    source.set_current(CURRENT);
    let server = Server::start(source.clone(), SecretPolicy::default());
    let (signer, _store) = signer_for(source, SecretPolicy::default()).await;
    let client = reqwest::Client::new();

    let url = format!("{}/hooks/deploy?env=prod", server.url);
    let request = client.post(&url).body("payload").build().unwrap();
    let response = send(&signer, &client, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "payload");

    let mut request = client.post(&url).body("again").build().unwrap();
    sign(&signer, &mut request).unwrap();
    let replay = request.try_clone().unwrap();
    assert_eq!(
        client.execute(request).await.unwrap().status(),
        StatusCode::OK
    );
    let refused = client.execute(replay).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.runs(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signer_falls_back_to_previous_while_the_server_lags_behind() {
    // The server still knows only CURRENT; the client's store already rotated to NEXT.
    let server_source = MemorySource::new();
    server_source.set_current(CURRENT);
    let server = Server::start(server_source.clone(), quick_policy());
    let client_source = MemorySource::new();
    client_source.set_current(CURRENT);
    client_source.rotate(NEXT);
    let (signer, store) = signer_for(client_source.clone(), SecretPolicy::default()).await;
    let client = reqwest::Client::new();
    let url = format!("{}/hooks/deploy", server.url);

    let request = client.post(&url).body("one").build().unwrap();
    let response = send(&signer, &client, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(signer.is_falling_back());

    // It keeps to the previous version: the next request passes at the first try.
    let mut request = client.post(&url).body("two").build().unwrap();
    let signature = sign(&signer, &mut request).unwrap();
    assert_eq!(
        client.execute(request).await.unwrap().status(),
        StatusCode::OK
    );
    assert!(format!("{signature:?}").contains("mem-1"), "{signature:?}");

    // Once the client's store sees a newer current, it uses it again.
    let third = "third-secret-0123456789abcdefghijklmnopqrs";
    client_source.rotate(third);
    server_source.rotate(NEXT);
    server_source.rotate(third);
    store.refresh_all().await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await; // the server's refresher catches up
    let request = client.post(&url).body("three").build().unwrap();
    assert_eq!(
        send(&signer, &client, request).await.unwrap().status(),
        StatusCode::OK
    );
    assert!(!signer.is_falling_back());
    assert_eq!(server.runs(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotations_under_load_fail_no_request() {
    let source = MemorySource::new();
    source.set_current("round-0-secret-0123456789abcdefghijklmnop");
    let server = Server::start(source.clone(), quick_policy());
    let (signer, store) = signer_for(source.clone(), quick_policy()).await;
    let _refresher = store.spawn_refresher();
    let client = reqwest::Client::new();
    let url = format!("{}/hooks/deploy", server.url);

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let tasks: Vec<_> = (0..4)
        .map(|task| {
            let (signer, client, url) = (signer.clone(), client.clone(), url.clone());
            let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
            tokio::spawn(async move {
                let mut n = 0_u64;
                while !stop.load(Ordering::Acquire) {
                    n += 1;
                    // Each body differs, so no two requests carry the same signature.
                    let body = format!("task {task} request {n}");
                    let request = client.post(&url).body(body).build().unwrap();
                    let status = send(&signer, &client, request).await.unwrap().status();
                    sent.fetch_add(1, Ordering::Relaxed);
                    if status != StatusCode::OK {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    for round in 1..=6 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        source.rotate(format!("round-{round}-secret-0123456789abcdefghijklmnop"));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    stop.store(true, Ordering::Release);
    for task in tasks {
        task.await.unwrap();
    }
    let (sent, failed) = (sent.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(sent > 100, "only {sent} requests were sent");
    assert_eq!(failed, 0, "{failed} of {sent} requests failed");
    assert_eq!(server.runs(), sent);
}
