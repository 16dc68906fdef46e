//! The demo's client-certificate listener on its embedded default: the `curl --cert`
//! command it prints works as printed, and curl without a certificate is refused.
//!
//! Needs `curl` on `PATH`; a missing curl fails the test with the reason.
// Tests fail by panicking; an unwrap here is an assertion with the panic message as its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The demo process, killed on drop.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demo on free ports and returns the printed mTLS curl command and the plain
/// listener's base URL.
fn start_demo() -> (Demo, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zt-demo"))
        .env("ZT_BIND", "127.0.0.1:0")
        .env("ZT_TLS_BIND", "127.0.0.1:0")
        .env_remove("ZT_OKTA_ISSUER")
        .env_remove("ZT_AUTH0_ISSUER")
        .env_remove("ZT_MTLS_CA")
        .env_remove("ZT_MTLS_CRL")
        .env_remove("ZT_TLS_CERT")
        .env_remove("ZT_TLS_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let demo = Demo(child);

    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let mut command = None;
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(120))
            .expect("zt-demo did not print its listening line within 120 s");
        if line.contains("--cert") {
            command = Some(line.trim().to_owned());
        } else if let Some(base) = line.strip_prefix("zt-demo listening on http://") {
            let command = command.expect("zt-demo printed no curl --cert command");
            return (demo, command, format!("http://{base}"));
        }
    }
}

fn run(command: &str) -> (bool, String) {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} --silent --show-error --max-time 20"))
        .output()
        .expect("curl must be installed for this test (sh -c could not run)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn printed_curl_command_reaches_the_billing_route() {
    let (_demo, command, base) = start_demo();
    assert!(
        Command::new("curl").arg("--version").output().is_ok(),
        "curl is not installed"
    );

    let (ok, answer) = run(&command);
    let mut stripped = Vec::new();
    let mut skip = false;
    for word in command.split_whitespace() {
        if skip {
            skip = false;
        } else if word == "--cert" || word == "--key" {
            skip = true;
        } else {
            stripped.push(word);
        }
    }
    let (no_cert_ok, _) = run(&stripped.join(" "));
    let (_, plain) = run(&format!("curl -i {base}/internal/billing"));

    assert!(ok, "{command}\n{answer}");
    assert!(answer.starts_with("HTTP/"), "{answer}");
    assert!(answer.contains(" 200"), "{answer}");
    assert!(
        answer.contains("spiffe://example.test/service/billing"),
        "{answer}"
    );
    assert!(
        !no_cert_ok,
        "curl without a client certificate was answered"
    );
    assert!(plain.contains(" 401"), "{plain}");
}
