//! The deny-by-default gate: undeclared routes stop startup, or get 403 without running.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{get, test, web, App, HttpResponse};
use zt_actix::__private::{inventory, Declaration, Declared, Guard};
use zt_actix::{route, zero_trust, Requirement, UndeclaredRoutes, ZeroTrust};
use zt_testkit::{key_ring, LogCapture, MintedKey};

/// Counts handler runs, to prove that refused handlers never ran.
#[derive(Default)]
struct Runs(AtomicUsize);

impl Runs {
    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

// Declared handlers: the attribute above an actix route attribute records the route.

#[zero_trust(anonymous, reason = "load balancer probe")]
#[get("/health")]
async fn health(runs: web::Data<Runs>) -> HttpResponse {
    runs.hit();
    HttpResponse::Ok().body("ok")
}

#[zero_trust(api_key, scopes = "export")]
#[get("/export")]
async fn export(runs: web::Data<Runs>) -> HttpResponse {
    runs.hit();
    HttpResponse::Ok().body("exported")
}

/// A declared handler registered without a route attribute.
struct Status;
impl Declared for Status {
    const REQUIREMENT: Requirement = Requirement::Anonymous {
        reason: "status page",
    };
}
async fn status(_g: Guard<Status>, runs: web::Data<Runs>) -> HttpResponse {
    runs.hit();
    HttpResponse::Ok().body("status")
}

/// Handlers without a declaration: each must never run behind the gate.
#[get("/leak")]
async fn leak(runs: web::Data<Runs>) -> HttpResponse {
    runs.hit();
    HttpResponse::Ok().body("leaked")
}

async fn unguarded(runs: web::Data<Runs>) -> HttpResponse {
    runs.hit();
    HttpResponse::Ok().body("leaked")
}

fn config(choice: UndeclaredRoutes) -> (ZeroTrust, MintedKey) {
    let key = MintedKey::new(&["export"]);
    let zt = ZeroTrust::builder()
        .api_keys(Arc::new(key_ring(&[&key])))
        .undeclared_routes(choice)
        .build()
        .unwrap();
    (zt, key)
}

#[actix_web::test]
async fn an_undeclared_handler_stops_startup_and_the_error_names_its_route() {
    let (zt, _) = config(UndeclaredRoutes::RefuseToStart);
    let runs = web::Data::new(Runs::default());
    let app = App::new()
        .app_data(zt.clone())
        .app_data(runs.clone())
        .wrap(zt.gate())
        .service(health)
        .service(leak);

    let error = zt.check_routes(app).await.unwrap_err().to_string();

    assert!(error.starts_with("undeclared_routes:"), "{error}");
    assert!(error.contains("GET /leak"), "{error}");
    assert!(!error.contains("/health"), "{error}");
    assert_eq!(runs.count(), 0, "checking the routes ran a handler");
}

#[actix_web::test]
async fn an_app_with_every_route_declared_passes_the_check() {
    let (zt, _) = config(UndeclaredRoutes::RefuseToStart);
    let app = App::new()
        .app_data(zt.clone())
        .wrap(zt.gate())
        .service(health)
        .service(web::scope("/api").service(export))
        .route("/status", route::get(status));

    let inventory = zt.check_routes(app).await.unwrap();

    let rows: Vec<_> = inventory
        .routes()
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.declared))
        .collect();
    assert_eq!(
        rows,
        [
            ("GET", "/api/export", true),
            ("GET", "/health", true),
            ("GET", "/status", true)
        ]
    );
}

#[actix_web::test]
async fn unchecked_apps_with_undeclared_routes_serve_nothing_by_default() {
    let (zt, _) = config(UndeclaredRoutes::RefuseToStart);
    let runs = web::Data::new(Runs::default());
    let logs = LogCapture::install();
    let app = test::init_service(
        App::new()
            .app_data(zt.clone())
            .app_data(runs.clone())
            .wrap(zt.gate())
            .service(health)
            .service(leak),
    )
    .await;

    for uri in ["/health", "/leak"] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{uri}"
        );
    }
    assert_eq!(runs.count(), 0);
    let text = logs.text();
    assert!(
        text.contains("ERROR") && text.contains("GET /leak"),
        "{text}"
    );
}

/// Sends `method uri` to `app`, returning the status.
macro_rules! status_of {
    ($app:expr, $method:expr, $uri:expr) => {{
        let req = test::TestRequest::default()
            .method($method.parse().unwrap())
            .uri($uri)
            .to_request();
        test::call_service($app, req).await.status()
    }};
}

fn every_style(
    zt: &ZeroTrust,
    runs: &web::Data<Runs>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<
            actix_web::body::EitherBody<actix_web::body::BoxBody>,
        >,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(zt.clone())
        .app_data(runs.clone())
        .wrap(zt.gate())
        // Route attributes, at the root, in a scope and through configure.
        .service(health)
        .service(web::scope("/api").service(export).service(leak))
        .configure(|cfg| {
            cfg.service(web::scope("/cfg").service(leak));
        })
        // Resources and App::route, declared and not.
        .service(web::resource("/status").route(route::get(status)))
        .service(web::resource("/plain").route(web::get().to(unguarded)))
        .route("/mixed", route::get(status))
        .route("/mixed", web::post().to(unguarded))
        .service(web::resource("/any").to(unguarded))
        // A default service without a declaration.
        .default_service(web::to(unguarded))
}

#[actix_web::test]
async fn in_forbid_mode_undeclared_handlers_of_every_style_get_403_and_never_run() {
    let (zt, key) = config(UndeclaredRoutes::Forbid);
    let runs = web::Data::new(Runs::default());
    let logs = LogCapture::install();
    let app = test::init_service(every_style(&zt, &runs)).await;

    for (method, uri) in [
        ("GET", "/api/leak"),
        ("GET", "/cfg/leak"),
        ("GET", "/plain"),
        ("POST", "/mixed"),
        ("GET", "/any"),
        ("DELETE", "/any"),
    ] {
        assert_eq!(
            status_of!(&app, method, uri),
            StatusCode::FORBIDDEN,
            "{method} {uri}"
        );
    }
    assert_eq!(status_of!(&app, "GET", "/nowhere"), StatusCode::NOT_FOUND);
    assert_eq!(
        status_of!(&app, "PUT", "/health"),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(runs.count(), 0, "an undeclared handler ran");

    let text = logs.text();
    for route in ["/api/leak", "/cfg/leak", "/plain", "/mixed", "/any"] {
        assert!(
            text.contains(&format!("route=\"{route}\""))
                || text.contains(&format!("route={route}")),
            "no event names {route}: {text}"
        );
    }
    assert!(
        text.contains("ERROR") && text.contains("undeclared_route"),
        "{text}"
    );

    // Declared routes of every style still work, and their guards still decide.
    assert_eq!(status_of!(&app, "GET", "/health"), StatusCode::OK);
    assert_eq!(status_of!(&app, "GET", "/status"), StatusCode::OK);
    assert_eq!(status_of!(&app, "GET", "/mixed"), StatusCode::OK);
    assert_eq!(
        status_of!(&app, "GET", "/api/export"),
        StatusCode::UNAUTHORIZED
    );
    let req = test::TestRequest::get()
        .uri("/api/export")
        .insert_header(("X-API-Key", key.text()))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
    assert_eq!(runs.count(), 4);
}

#[actix_web::test]
async fn the_check_lists_every_undeclared_route_of_every_style() {
    let (zt, _) = config(UndeclaredRoutes::RefuseToStart);
    let runs = web::Data::new(Runs::default());

    let error = zt
        .check_routes(every_style(&zt, &runs))
        .await
        .unwrap_err()
        .to_string();

    for route in [
        "GET /api/leak",
        "GET /cfg/leak",
        "GET /plain",
        "POST /mixed",
        "* /any",
    ] {
        assert!(error.contains(route), "{route} missing from: {error}");
    }
    for declared in ["/health", "GET /status", "GET /mixed", "/api/export"] {
        assert!(
            !error.contains(&format!("{declared} (")),
            "{declared} in: {error}"
        );
    }
    assert_eq!(runs.count(), 0);
}

#[actix_web::test]
async fn the_test_helper_names_each_undeclared_route() {
    let (zt, _) = config(UndeclaredRoutes::RefuseToStart);
    let runs = web::Data::new(Runs::default());
    zt_actix::test::assert_all_routes_declared(App::new().service(health).service(export)).await;

    let app = every_style(&zt, &runs);
    let panic = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        zt_actix::test::assert_all_routes_declared(app),
    ))
    .await
    .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("GET /api/leak"), "{message}");
    assert!(message.contains("POST /mixed"), "{message}");
}

/// A route attribute whose handler shares a declared handler's name, path and method but
/// takes no guard: the gate can only tell after it answered.
struct Impostor;
impl Declared for Impostor {
    const REQUIREMENT: Requirement = Requirement::Anonymous { reason: "decoy" };
}
inventory::submit! {
    Declaration::new("elsewhere", "impostor", Impostor::REQUIREMENT).with_route(&["GET"], "/impostor")
}
#[get("/impostor")]
async fn impostor(runs: web::Data<Runs>) -> HttpResponse {
    runs.hit();
    HttpResponse::Ok().body("secret data")
}

#[actix_web::test]
async fn a_route_that_runs_without_its_guard_is_withheld_and_then_refused() {
    let (zt, _) = config(UndeclaredRoutes::Forbid);
    let runs = web::Data::new(Runs::default());
    let logs = LogCapture::install();
    let app = test::init_service(
        App::new()
            .app_data(zt.clone())
            .app_data(runs.clone())
            .wrap(zt.gate())
            .service(impostor),
    )
    .await;

    let req = test::TestRequest::get().uri("/impostor").to_request();
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = test::read_body(response).await;
    assert!(!String::from_utf8_lossy(&body).contains("secret"));
    assert!(logs.text().contains("guard_skipped"));

    assert_eq!(status_of!(&app, "GET", "/impostor"), StatusCode::FORBIDDEN);
    assert_eq!(
        runs.count(),
        1,
        "the first request ran; later ones must not"
    );
}

/// Declared: any file by name. Undeclared: one specific file, registered first.
struct File;
impl Declared for File {
    const REQUIREMENT: Requirement = Requirement::Anonymous {
        reason: "public files",
    };
}
inventory::submit! {
    Declaration::new(module_path!(), "file", File::REQUIREMENT).with_route(&["GET"], "/files/{name}")
}
#[get("/files/{name}")]
async fn file(_g: Guard<File>, runs: web::Data<Runs>) -> HttpResponse {
    runs.hit();
    HttpResponse::Ok().body("file")
}

#[actix_web::test]
async fn percent_encoding_does_not_steer_a_request_past_the_gate() {
    let (zt, _) = config(UndeclaredRoutes::Forbid);
    let runs = web::Data::new(Runs::default());
    let app = test::init_service(
        App::new()
            .app_data(zt.clone())
            .app_data(runs.clone())
            .wrap(zt.gate())
            .service(web::scope("/files").route("/admin", web::get().to(unguarded)))
            .service(file),
    )
    .await;

    for uri in ["/files/admin", "/files/%61dmin", "/files/%61%64%6d%69%6e"] {
        assert_eq!(status_of!(&app, "GET", uri), StatusCode::FORBIDDEN, "{uri}");
    }
    // The scope registered first takes every /files/.. path, so the declared route is
    // never reached and the default service would answer: the gate answers 404 itself.
    assert_eq!(
        status_of!(&app, "GET", "/files/report"),
        StatusCode::NOT_FOUND
    );
    assert_eq!(runs.count(), 0, "a handler ran");
}
