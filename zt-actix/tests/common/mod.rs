//! A service taking client certificates on a TLS listener (and the same routes on plain
//! HTTP), started on loopback in its own thread with its own actix system.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Shared by several test files.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use rustls::ClientConfig;
use tempfile::TempDir;
use zt_actix::__private::{Declared, Guard};
use zt_actix::mtls::{capture_peer_certificate, MtlsSettings};
use zt_actix::{IdentityRule, Principal, Requirement, ZeroTrust};
use zt_core::verify::mtls::{IdentityPolicy, PeerIdentity};
use zt_testkit::{HttpsConnection, HttpsResponse, IssuedCert, MtlsFiles, TestCa};

// Each marker expands like `#[zero_trust(mtls, identity = "..")]` or `policy = ".."`.
pub(crate) struct Billing;
impl Declared for Billing {
    const REQUIREMENT: Requirement = Requirement::Mtls {
        identity: IdentityRule::Spiffe("spiffe://example.test/service/billing"),
    };
}

pub(crate) struct Services;
impl Declared for Services {
    const REQUIREMENT: Requirement = Requirement::Mtls {
        identity: IdentityRule::Spiffe("spiffe://example.test/service/*"),
    };
}

pub(crate) struct Batch;
impl Declared for Batch {
    const REQUIREMENT: Requirement = Requirement::Mtls {
        identity: IdentityRule::Spiffe("spiffe://example.test/batch/*"),
    };
}

pub(crate) struct Clients;
impl Declared for Clients {
    const REQUIREMENT: Requirement = Requirement::Mtls {
        identity: IdentityRule::Policy("billing-clients"),
    };
}

#[derive(Default)]
pub(crate) struct Runs(AtomicUsize);

async fn answer<D: Declared>(
    _guard: Guard<D>,
    who: Principal,
    runs: web::Data<Runs>,
) -> HttpResponse {
    runs.0.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body(format!("{} from {}", who.subject(), who.issuer()))
}

/// A running service and the files it reads.
pub(crate) struct Service {
    pub(crate) tls: SocketAddr,
    pub(crate) plain: SocketAddr,
    pub(crate) files: MtlsFiles,
    pub(crate) zt: ZeroTrust,
    pub(crate) ca_root: rustls_pki_types::CertificateDer<'static>,
    runs: web::Data<Runs>,
    _dir: TempDir,
}

impl Service {
    /// Starts a service trusting `ca`, with CRLs that revoke nothing.
    pub(crate) fn start(ca: &TestCa) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let files = ca.write_mtls_files(dir.path()).unwrap();
        let settings = MtlsSettings::from_files(&files.ca, &files.crl, &files.cert, &files.key);
        Self::start_with(settings, files, dir, ca.root_der())
    }

    /// Starts a service with `settings`, which read `files`.
    pub(crate) fn start_with(
        settings: MtlsSettings,
        files: MtlsFiles,
        dir: TempDir,
        ca_root: rustls_pki_types::CertificateDer<'static>,
    ) -> Self {
        let policy = IdentityPolicy::new()
            .allow_spiffe("spiffe://example.test/service/billing")
            .unwrap()
            .allow_dns("reports.example.test");
        let zt = ZeroTrust::builder()
            .mtls(
                settings
                    .policy("billing-clients", policy)
                    .reload_interval(Duration::from_millis(200)),
            )
            .build()
            .unwrap();
        let tls_config = zt.mtls_server_config().unwrap();
        let runs = web::Data::new(Runs::default());

        let tls = TcpListener::bind("127.0.0.1:0").unwrap();
        let plain = TcpListener::bind("127.0.0.1:0").unwrap();
        let (tls_addr, plain_addr) = (tls.local_addr().unwrap(), plain.local_addr().unwrap());
        let (app_zt, app_runs) = (zt.clone(), runs.clone());
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                HttpServer::new(move || {
                    App::new()
                        .app_data(app_zt.clone())
                        .app_data(app_runs.clone())
                        .route("/billing", web::get().to(answer::<Billing>))
                        .route("/services", web::get().to(answer::<Services>))
                        .route("/batch", web::get().to(answer::<Batch>))
                        .route("/policy", web::get().to(answer::<Clients>))
                })
                .workers(1)
                .on_connect(capture_peer_certificate)
                .listen_rustls_0_23(tls, tls_config)
                .unwrap()
                .listen(plain)
                .unwrap()
                .run()
                .await
            })
        });

        Self {
            tls: tls_addr,
            plain: plain_addr,
            files,
            zt,
            ca_root,
            runs,
            _dir: dir,
        }
    }

    /// Returns how many times a handler ran.
    pub(crate) fn runs(&self) -> usize {
        self.runs.0.load(Ordering::SeqCst)
    }

    /// Sends one request on a new connection presenting `cert`.
    pub(crate) fn get(&self, cert: &IssuedCert, path: &str) -> std::io::Result<HttpsResponse> {
        let config =
            zt_testkit::client_config(self.ca_root.clone(), Some((cert.chain(), cert.key_der())));
        HttpsConnection::open(self.tls, config)?.get(path)
    }

    /// Sends one request to the plain HTTP listener.
    pub(crate) fn plain_get(&self, path: &str) -> HttpsResponse {
        use std::io::{Read as _, Write as _};

        let mut tcp = std::net::TcpStream::connect(self.plain).unwrap();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        tcp.write_all(request.as_bytes()).unwrap();
        let mut raw = String::new();
        tcp.read_to_string(&mut raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        HttpsResponse {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    /// Replaces the CRL file so it revokes `certs` (issued by the intermediate), then waits
    /// for nothing: the reload thread picks the change up.
    pub(crate) fn revoke(&self, ca: &TestCa, certs: &[&IssuedCert]) {
        let crl = certs.iter().fold(ca.crl(), |crl, cert| crl.revoke(cert));
        self.files
            .replace_crls(&[ca.root_crl().sign(), crl.sign()])
            .unwrap();
    }
}

/// Tells whether a connection presenting what `config` holds is refused before any
/// response (the handshake fails, or the server's alert ends the first request).
pub(crate) fn refused_in_handshake(addr: SocketAddr, config: ClientConfig) -> bool {
    match HttpsConnection::open(addr, config) {
        Err(_) => true,
        Ok(mut connection) => connection.get("/billing").is_err(),
    }
}

/// Returns the serial number of a DER certificate, as written in it.
pub(crate) fn serial_of(der: &[u8]) -> Vec<u8> {
    let hex = PeerIdentity::from_der(der).unwrap().serial().to_owned();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}
