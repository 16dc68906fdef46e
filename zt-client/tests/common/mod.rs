//! A real actix server on loopback with one psk route, for the client tests.
#![allow(dead_code)] // Each test binary uses a subset of these helpers.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use zt_actix::__private::{Declared, Guard};
use zt_actix::{Requirement, ZeroTrust};
use zt_core::secret::{MemorySource, SecretPolicy, SecretStore};

/// Expands like `#[zero_trust(psk = "deploy-hook")]`.
pub(crate) struct DeployHook;
impl Declared for DeployHook {
    const REQUIREMENT: Requirement = Requirement::Psk {
        name: "deploy-hook",
    };
}

async fn deploy(
    _guard: Guard<DeployHook>,
    runs: web::Data<Arc<AtomicUsize>>,
    body: web::Bytes,
) -> HttpResponse {
    runs.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(body)
}

/// A policy that refreshes often, so rotations reach both sides within a fraction of a
/// second.
pub(crate) fn quick_policy() -> SecretPolicy {
    SecretPolicy::default()
        .refresh_interval(Duration::from_millis(200))
        .jitter(Duration::from_millis(50))
        .miss_refresh_interval(Duration::from_millis(500))
        .max_stale(Duration::from_secs(60))
}

/// A server on 127.0.0.1 that verifies `/hooks/deploy` against its own store of `source`.
pub(crate) struct Server {
    pub(crate) url: String,
    pub(crate) runs: Arc<AtomicUsize>,
    handle: actix_web::dev::ServerHandle,
}

impl Server {
    pub(crate) fn start(source: MemorySource, policy: SecretPolicy) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let runs = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let counter = runs.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let store = SecretStore::builder()
                    .policy(policy)
                    .secret("deploy-hook", source)
                    .build()
                    .unwrap();
                store.refresh_all().await.unwrap();
                let _refresher = store.spawn_refresher();
                let zt = ZeroTrust::builder()
                    .psk("deploy-hook", store.secret("deploy-hook").unwrap())
                    .build()
                    .unwrap();
                let runs = web::Data::new(counter);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(zt.clone())
                        .app_data(runs.clone())
                        .route("/hooks/deploy", web::post().to(deploy))
                })
                .workers(2)
                .listen(listener)
                .unwrap()
                .run();
                tx.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        let handle = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Self { url, runs, handle }
    }

    pub(crate) fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
