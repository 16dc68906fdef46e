//! The demo's route inventory, printed at startup: every route with its protection.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

#[path = "interop/process.rs"]
#[allow(dead_code)]
mod process;

use std::process::Command;
use std::time::Duration;

use process::Process;

/// Every route the demo registers, with the protection its handler declares.
const EXPECTED: [(&str, &str, &str); 8] = [
    ("GET", "/admin/routes", r#"okta, scopes = "routes:read""#),
    ("GET", "/customer", r#"auth0, scopes = "read""#),
    ("GET", "/customer/admin", r#"auth0, scopes = "admin""#),
    ("GET", "/employee", r#"okta, scopes = "read""#),
    (
        "GET",
        "/health",
        r#"anonymous, reason = "health probe for load balancers""#,
    ),
    ("POST", "/hooks/deploy", r#"psk = "deploy-hook""#),
    (
        "GET",
        "/internal/billing",
        r#"mtls, identity = "spiffe://example.test/service/billing""#,
    ),
    ("GET", "/partner/export", r#"api_key, scopes = "export""#),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_inventory_lists_every_route_with_its_protection() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zt-demo"));
    command
        .env("ZT_BIND", "127.0.0.1:0")
        .env("ZT_TLS_BIND", "127.0.0.1:0")
        .env_remove("ZT_OKTA_ISSUER")
        .env_remove("ZT_AUTH0_ISSUER");
    let mut demo = Process::spawn("zt-demo", command).unwrap();

    let mut table = Vec::new();
    demo.wait_for_line("the route inventory", Duration::from_secs(120), |line| {
        if line.starts_with("METHOD") || !table.is_empty() {
            table.push(line.to_owned());
        }
        (table.len() > EXPECTED.len()).then_some(())
    })
    .await
    .unwrap();
    demo.stop();

    assert!(table[0].contains("PROTECTION"), "{table:#?}");
    let rows = &table[1..];
    for (method, path, protection) in EXPECTED {
        let row = rows
            .iter()
            .find(|row| row.split_whitespace().nth(1) == Some(path))
            .unwrap_or_else(|| panic!("{path} is missing from the inventory: {table:#?}"));
        assert!(row.starts_with(method), "{row}");
        assert!(row.contains(protection), "{row} lacks {protection}");
    }
    assert_eq!(rows.len(), EXPECTED.len(), "{table:#?}");
}
