//! A local OpenID issuer: discovery, a key set and a token endpoint on loopback, with switches
//! for rotation, outages and slow answers.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::flavor::Flavor;
use crate::keys::{KeyAlg, SigningKey};
use crate::token::TokenBuilder;

/// Runs a local OpenID issuer on loopback and mints tokens it would have signed.
///
/// The issuer serves its discovery document, its key set (JWKS) and a client-credentials
/// token endpoint over plain HTTP on `127.0.0.1`, from an actix-web server on a background
/// thread with its own runtime, so it works the same from `#[test]`, `#[tokio::test]` and
/// `#[actix_web::test]`. Handles are cheap to clone; the server stops when the last one is
/// dropped or on [`TestIssuer::shutdown`].
///
/// From the start it publishes one key of each [`KeyAlg`], with key ids `rs256-1`, `es256-1`
/// and `ed-1`; tokens are signed with RS256 unless asked otherwise.
///
/// # Examples
///
/// ```
/// use zt_testkit::{Flavor, KeyAlg, TestIssuer};
///
/// let issuer = TestIssuer::start(Flavor::Okta)?;
/// assert!(issuer.issuer().ends_with("/oauth2/default"));
///
/// let token = issuer.token().scopes(&["orders:read"]).algorithm(KeyAlg::Es256).sign();
/// assert_eq!(token.split('.').count(), 3);
///
/// // Rotate: the new key signs, the old one stays published until it is retired.
/// let new_kid = issuer.rotate();
/// assert_eq!(issuer.kids(), ["rs256-1", "es256-1", "ed-1", new_kid.as_str()]);
/// issuer.retire("rs256-1");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Security
///
/// The token endpoint hands a signed token to any caller without authenticating it, and the
/// private keys live in memory unprotected. The issuer therefore binds loopback addresses
/// only; it is meant for tests and local development, never for a shared host.
///
/// # Limitations
///
/// Each issuer generates its own keys, so a token from one never verifies at another. The
/// RSA key makes starting take a few hundred milliseconds in unoptimised builds; tests that
/// flip no switches can share one issuer through a `static` [`std::sync::OnceLock`].
///
/// Only the client-credentials grant is served, with no client authentication; there is no
/// authorization endpoint, user info or introspection.
#[derive(Clone)]
pub struct TestIssuer {
    inner: Arc<Inner>,
}

/// Configures a [`TestIssuer`] before it starts.
///
/// # Examples
///
/// ```
/// use zt_testkit::{Flavor, TestIssuer};
///
/// let issuer = TestIssuer::builder(Flavor::Generic).audience("orders-api").start()?;
/// assert_eq!(issuer.audience(), "orders-api");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IssuerBuilder {
    flavor: Flavor,
    audience: Option<String>,
    client_id: Option<String>,
    default_alg: KeyAlg,
    addr: SocketAddr,
}

/// Owns the running server; dropping it stops the server.
struct Inner {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    server: ServerHandle,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Holds what the HTTP handlers and the token builders both read.
pub(crate) struct Shared {
    pub(crate) flavor: Flavor,
    pub(crate) base_url: String,
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) client_id: String,
    pub(crate) default_alg: KeyAlg,
    keys: RwLock<KeyRing>,
    foreign: Mutex<HashMap<KeyAlg, Arc<SigningKey>>>,
    outage: AtomicBool,
    jwks_delay: Mutex<Duration>,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    discovery_issuer: Mutex<Option<String>>,
    extra_keys: Mutex<Vec<Value>>,
}

/// Holds the published keys, newest last, and the retired ones, which still sign on request.
struct KeyRing {
    published: Vec<Arc<SigningKey>>,
    retired: Vec<Arc<SigningKey>>,
    serials: HashMap<KeyAlg, u32>,
}

impl TestIssuer {
    /// Starts an issuer of `flavor` on `127.0.0.1` with a port the system picks.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the socket or of starting the server thread.
    ///
    /// # Panics
    ///
    /// Panics if key generation fails.
    pub fn start(flavor: Flavor) -> io::Result<TestIssuer> {
        TestIssuer::builder(flavor).start()
    }

    /// Starts an issuer of `flavor` on `addr`, which must be a loopback address.
    ///
    /// A fixed port suits a development setup whose configuration names the issuer URL.
    ///
    /// # Errors
    ///
    /// Returns [`io::ErrorKind::InvalidInput`] for an address that is not loopback, and the
    /// error of binding the socket or of starting the server thread.
    ///
    /// # Panics
    ///
    /// Panics if key generation fails.
    pub fn start_on(flavor: Flavor, addr: SocketAddr) -> io::Result<TestIssuer> {
        TestIssuer::builder(flavor).bind(addr).start()
    }

    /// Returns a builder for an issuer of `flavor`, to change its audience, client id,
    /// default algorithm or address.
    #[must_use]
    pub fn builder(flavor: Flavor) -> IssuerBuilder {
        IssuerBuilder {
            flavor,
            audience: None,
            client_id: None,
            default_alg: KeyAlg::Rs256,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }

    /// Returns the issuer identifier, exactly as tokens carry it in `iss`.
    ///
    /// Okta: `http://127.0.0.1:PORT/oauth2/default`; Auth0: `http://127.0.0.1:PORT/`, with
    /// the trailing slash; Generic: `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.inner.shared.issuer
    }

    /// Returns `http://HOST:PORT` without a path or trailing slash.
    ///
    /// Okta's org authorization server uses this as its issuer: a token shaped like one is
    /// `issuer.token().issuer(issuer.base_url()).audience(issuer.base_url())`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.shared.base_url
    }

    /// Returns the audience default tokens are issued for.
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.inner.shared.audience
    }

    /// Returns the client id default tokens name in `cid`, `azp` or `client_id`.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.inner.shared.client_id
    }

    /// Returns the provider this issuer imitates.
    #[must_use]
    pub fn flavor(&self) -> Flavor {
        self.inner.shared.flavor
    }

    /// Returns the socket address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Returns the URL of the discovery document (`.well-known/openid-configuration`).
    #[must_use]
    pub fn discovery_url(&self) -> String {
        format!("{}{}", self.base_url(), self.flavor().discovery_path())
    }

    /// Returns the URL of the key set, as the discovery document advertises it.
    #[must_use]
    pub fn jwks_url(&self) -> String {
        format!("{}{}", self.base_url(), self.flavor().jwks_path())
    }

    /// Returns the URL of the token endpoint.
    #[must_use]
    pub fn token_url(&self) -> String {
        format!("{}{}", self.base_url(), self.flavor().token_path())
    }

    /// Starts a token that verifies against this issuer as it stands; see [`TokenBuilder`].
    #[must_use]
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(Arc::clone(&self.inner.shared))
    }

    /// Returns the key ids in the served key set, oldest first, extra keys excluded.
    #[must_use]
    pub fn kids(&self) -> Vec<String> {
        let ring = self.inner.shared.ring();
        ring.published
            .iter()
            .map(|key| key.kid().to_owned())
            .collect()
    }

    /// Returns the key id that signs tokens of `alg` by default: the newest published one.
    #[must_use]
    pub fn current_kid(&self, alg: KeyAlg) -> String {
        self.inner.shared.current_key(alg).kid().to_owned()
    }

    /// Returns the key named `kid`, published or retired, to sign with it directly.
    #[must_use]
    pub fn signing_key(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.inner.shared.key_by_kid(kid)
    }

    /// Publishes a new key of the default algorithm and makes it sign from now on; returns
    /// its key id (`rs256-2`, then `rs256-3`, …).
    ///
    /// The previous key stays published, so tokens it signed still verify, until
    /// [`retire`](TestIssuer::retire) removes it.
    ///
    /// # Panics
    ///
    /// Panics if key generation fails.
    pub fn rotate(&self) -> String {
        self.rotate_alg(self.inner.shared.default_alg)
    }

    /// Publishes a new key of `alg` and makes it sign tokens of `alg`; returns its key id.
    ///
    /// # Panics
    ///
    /// Panics if key generation fails.
    pub fn rotate_alg(&self, alg: KeyAlg) -> String {
        let shared = &self.inner.shared;
        let serial = {
            let mut ring = shared.ring_mut();
            let serial = ring.serials.entry(alg).or_insert(0);
            *serial += 1;
            *serial
        };

        let key = Arc::new(SigningKey::generate(
            alg,
            format!("{}-{serial}", alg.kid_prefix()),
        ));
        let kid = key.kid().to_owned();
        shared.ring_mut().published.push(key);
        kid
    }

    /// Removes the key `kid` from the served key set.
    ///
    /// Tokens it signed stop verifying. `token().kid(kid)` can still sign with it, to test
    /// that such tokens are refused. When the last published key of an algorithm is retired,
    /// tokens of that algorithm are signed by the retired key.
    ///
    /// # Panics
    ///
    /// Panics if no published key has the id `kid`.
    pub fn retire(&self, kid: &str) {
        let mut ring = self.inner.shared.ring_mut();
        let Some(position) = ring.published.iter().position(|key| key.kid() == kid) else {
            panic!("the test issuer publishes no key with kid {kid:?}");
        };
        let key = ring.published.remove(position);
        ring.retired.push(key);
    }

    /// Makes discovery and the key set answer `503 Service Unavailable` while `down` is true.
    ///
    /// The token endpoint keeps working, and so does minting with [`TestIssuer::token`].
    pub fn set_outage(&self, down: bool) {
        self.inner.shared.outage.store(down, Ordering::SeqCst);
    }

    /// Makes the key set answer only after `delay`, to imitate a slow endpoint.
    ///
    /// Discovery is not delayed. `Duration::ZERO` restores prompt answers.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.inner.shared.jwks_delay) = delay;
    }

    /// Returns how many requests reached the key set, including those answered with 503.
    #[must_use]
    pub fn jwks_fetches(&self) -> usize {
        self.inner.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Returns how many requests reached discovery, including those answered with 503.
    #[must_use]
    pub fn discovery_fetches(&self) -> usize {
        self.inner.shared.discovery_fetches.load(Ordering::SeqCst)
    }

    /// Makes discovery advertise `issuer` instead of the real one; `None` restores it.
    ///
    /// Tokens keep the real issuer, so a client that checks discovery against its
    /// configuration should refuse to start.
    pub fn set_discovery_issuer(&self, issuer: Option<String>) {
        *lock(&self.inner.shared.discovery_issuer) = issuer;
    }

    /// Appends `jwk` to the served key set as it is, after the signing keys.
    ///
    /// Use it for keys a verifier must skip: `use: enc`, `kty: oct`, an unknown `kty`, a key
    /// with no `kid`, a duplicate `kid`, or a malformed entry.
    pub fn publish_extra_key(&self, jwk: Value) {
        lock(&self.inner.shared.extra_keys).push(jwk);
    }

    /// Removes every key added with [`publish_extra_key`](TestIssuer::publish_extra_key).
    pub fn clear_extra_keys(&self) {
        lock(&self.inner.shared.extra_keys).clear();
    }

    /// Returns the key set as it would be served now.
    #[must_use]
    pub fn jwks(&self) -> Value {
        self.inner.shared.jwks_document()
    }

    /// Signs a token whose header and claims are written as JSON text by the caller.
    ///
    /// The text is used byte for byte, so duplicate members, odd spacing and invalid JSON
    /// survive, under a valid signature by the current key of `alg`. The header text should
    /// name `alg` and `kid` itself; see [`TestIssuer::current_kid`].
    #[must_use]
    pub fn sign_raw_text(&self, alg: KeyAlg, header_json: &str, claims_json: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(header_json);
        let claims = URL_SAFE_NO_PAD.encode(claims_json);
        self.sign_segments(alg, &header, &claims)
    }

    /// Signs `header_segment.claims_segment` as given and appends the signature.
    ///
    /// The segments are not checked, so a token with bad base64url or padding can still carry
    /// a valid signature by the current key of `alg`.
    #[must_use]
    pub fn sign_segments(&self, alg: KeyAlg, header_segment: &str, claims_segment: &str) -> String {
        let signing_input = format!("{header_segment}.{claims_segment}");
        let signature = self
            .inner
            .shared
            .current_key(alg)
            .sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// Stops the server now instead of when the last handle drops.
    ///
    /// Later requests are refused at the socket; minting tokens keeps working.
    pub fn shutdown(&self) {
        self.inner.stop();
    }
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("flavor", &self.flavor())
            .field("issuer", &self.issuer())
            .field("kids", &self.kids())
            .finish_non_exhaustive()
    }
}

impl IssuerBuilder {
    /// Sets the audience default tokens are issued for; the default depends on the flavor.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> IssuerBuilder {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the client id default tokens name; the default depends on the flavor.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> IssuerBuilder {
        self.client_id = Some(client_id.into());
        self
    }

    /// Sets the algorithm tokens are signed with and [`TestIssuer::rotate`] rotates; the
    /// default is RS256.
    #[must_use]
    pub fn default_alg(mut self, alg: KeyAlg) -> IssuerBuilder {
        self.default_alg = alg;
        self
    }

    /// Sets the address to listen on; it must be loopback. The default is `127.0.0.1:0`.
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> IssuerBuilder {
        self.addr = addr;
        self
    }

    /// Generates the keys, binds the socket and starts serving.
    ///
    /// # Errors
    ///
    /// Returns [`io::ErrorKind::InvalidInput`] for an address that is not loopback, and the
    /// error of binding the socket or of starting the server thread.
    ///
    /// # Panics
    ///
    /// Panics if key generation fails.
    pub fn start(self) -> io::Result<TestIssuer> {
        if !self.addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the test issuer listens on loopback addresses only",
            ));
        }

        let listener = TcpListener::bind(self.addr)?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(&self, local_addr));

        let (server, thread) = spawn_server(listener, Arc::clone(&shared))?;
        let inner = Inner {
            shared,
            local_addr,
            server,
            thread: Mutex::new(Some(thread)),
        };
        Ok(TestIssuer {
            inner: Arc::new(inner),
        })
    }
}

impl Inner {
    fn stop(&self) {
        let Some(thread) = lock(&self.thread).take() else {
            return;
        };

        // The stop command is sent when `stop` is called; the returned future only waits.
        drop(self.server.stop(false));
        // A panic on the server thread has already been reported there.
        let _ = thread.join();
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn new(config: &IssuerBuilder, local_addr: SocketAddr) -> Shared {
        let flavor = config.flavor;
        let base_url = format!("http://{local_addr}");
        let issuer = format!("{base_url}{}", flavor.issuer_path());

        let mut serials = HashMap::new();
        let published = KeyAlg::ALL
            .iter()
            .map(|&alg| {
                serials.insert(alg, 1);
                Arc::new(SigningKey::generate(alg, format!("{}-1", alg.kid_prefix())))
            })
            .collect();

        Shared {
            flavor,
            base_url,
            issuer,
            audience: config
                .audience
                .clone()
                .unwrap_or_else(|| flavor.default_audience().into()),
            client_id: config
                .client_id
                .clone()
                .unwrap_or_else(|| flavor.default_client_id().into()),
            default_alg: config.default_alg,
            keys: RwLock::new(KeyRing {
                published,
                retired: Vec::new(),
                serials,
            }),
            foreign: Mutex::new(HashMap::new()),
            outage: AtomicBool::new(false),
            jwks_delay: Mutex::new(Duration::ZERO),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
            discovery_issuer: Mutex::new(None),
            extra_keys: Mutex::new(Vec::new()),
        }
    }

    fn ring(&self) -> RwLockReadGuard<'_, KeyRing> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn ring_mut(&self) -> RwLockWriteGuard<'_, KeyRing> {
        self.keys.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns the newest published key of `alg`, or the newest retired one if none is left.
    pub(crate) fn current_key(&self, alg: KeyAlg) -> Arc<SigningKey> {
        let ring = self.ring();
        let newest = |keys: &[Arc<SigningKey>]| keys.iter().rev().find(|k| k.alg() == alg).cloned();
        newest(&ring.published)
            .or_else(|| newest(&ring.retired))
            .expect("the issuer creates a key of every algorithm at start and never deletes one")
    }

    /// Returns the key named `kid`, published or retired.
    pub(crate) fn key_by_kid(&self, kid: &str) -> Option<Arc<SigningKey>> {
        let ring = self.ring();
        ring.published
            .iter()
            .chain(&ring.retired)
            .find(|key| key.kid() == kid)
            .cloned()
    }

    /// Returns a key of `alg` this issuer never publishes, the same one on every call.
    pub(crate) fn foreign_key(&self, alg: KeyAlg) -> Arc<SigningKey> {
        let mut foreign = lock(&self.foreign);
        let key = foreign.entry(alg).or_insert_with(|| {
            Arc::new(SigningKey::generate(
                alg,
                format!("{}-foreign", alg.kid_prefix()),
            ))
        });
        Arc::clone(key)
    }

    fn jwks_document(&self) -> Value {
        let mut keys: Vec<Value> = self
            .ring()
            .published
            .iter()
            .map(|key| key.public_jwk_json())
            .collect();
        keys.extend(lock(&self.extra_keys).iter().cloned());
        json!({ "keys": keys })
    }

    fn discovery_document(&self) -> Value {
        let flavor = self.flavor;
        let advertised = lock(&self.discovery_issuer)
            .clone()
            .unwrap_or_else(|| self.issuer.clone());
        let algs: Vec<&str> = KeyAlg::ALL.iter().map(|alg| alg.name()).collect();

        json!({
            "issuer": advertised,
            "authorization_endpoint": format!("{}{}", self.base_url, flavor.authorize_path()),
            "token_endpoint": format!("{}{}", self.base_url, flavor.token_path()),
            "jwks_uri": format!("{}{}", self.base_url, flavor.jwks_path()),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
                "none",
            ],
            "id_token_signing_alg_values_supported": algs,
        })
    }
}

fn spawn_server(
    listener: TcpListener,
    shared: Arc<Shared>,
) -> io::Result<(ServerHandle, JoinHandle<()>)> {
    let (started_tx, started_rx) = std::sync::mpsc::channel();

    let thread = std::thread::Builder::new()
        .name("zt-test-issuer".into())
        .spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let data = web::Data::from(shared);
                let server = HttpServer::new(move || app(data.clone()))
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener);

                let server = match server {
                    Ok(server) => server.run(),
                    Err(err) => {
                        let _ = started_tx.send(Err(err));
                        return;
                    }
                };

                let _ = started_tx.send(Ok(server.handle()));
                // The server ends on a stop command; its error, if any, has nowhere to go.
                let _ = server.await;
            });
        })?;

    match started_rx.recv() {
        Ok(Ok(handle)) => Ok((handle, thread)),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(io::Error::other(
            "the test issuer thread ended before serving",
        )),
    }
}

fn app(
    data: web::Data<Shared>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let flavor = data.flavor;
    let mut app = App::new()
        .app_data(data)
        .route(&flavor.discovery_path(), web::get().to(discovery))
        .route(flavor.jwks_path(), web::get().to(jwks))
        .route(flavor.token_path(), web::post().to(token));
    if let Some(path) = flavor.metadata_path() {
        app = app.route(path, web::get().to(discovery));
    }
    app
}

async fn discovery(shared: web::Data<Shared>) -> HttpResponse {
    shared.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    if shared.outage.load(Ordering::SeqCst) {
        return unavailable();
    }

    HttpResponse::Ok().json(shared.discovery_document())
}

async fn jwks(shared: web::Data<Shared>) -> HttpResponse {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);

    let delay = *lock(&shared.jwks_delay);
    if !delay.is_zero() {
        actix_web::rt::time::sleep(delay).await;
    }

    if shared.outage.load(Ordering::SeqCst) {
        return unavailable();
    }

    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "max-age=300"))
        .json(shared.jwks_document())
}

/// Holds the form fields of a token request this issuer reads.
#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
}

async fn token(shared: web::Data<Shared>, form: web::Form<TokenRequest>) -> HttpResponse {
    let form = form.into_inner();
    if form.grant_type.as_deref() != Some("client_credentials") {
        return HttpResponse::BadRequest().json(json!({ "error": "unsupported_grant_type" }));
    }

    let client_id = form.client_id.unwrap_or_else(|| shared.client_id.clone());
    let scope = form.scope.unwrap_or_default();
    let scopes: Vec<&str> = scope.split_whitespace().collect();

    let access_token = TokenBuilder::new(shared.into_inner())
        .client_credentials(&client_id)
        .scopes(&scopes)
        .sign();

    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": scope,
        }))
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "1"))
        .json(json!({ "error": "temporarily_unavailable" }))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
