//! The deploy hook of the real demo binary, signed by the shell script the README shows
//! (bash, openssl and curl) against the demo on loopback.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

#[path = "interop/process.rs"]
#[allow(dead_code)]
mod process;

use std::process::Command;
use std::time::Duration;

use process::Process;

const SECRET: &str = "deploy-hook-test-secret-0123456789abcdefghij";

fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        found,
        "this test runs the README's signing script, which needs `{tool}`; install it (apt-get \
         install {tool})"
    );
}

/// Runs `command` with bash and returns what it printed (curl's `-i` answer).
fn run(command: &str) -> String {
    let out = Command::new("bash").args(["-c", command]).output().unwrap();
    assert!(
        out.status.success(),
        "`{command}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_shell_command_signs_a_request_the_demo_accepts() {
    for tool in ["bash", "openssl", "curl"] {
        require(tool);
    }
    let dir = std::env::temp_dir().join(format!("zt-deploy-hook-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret_file = dir.join("deploy-hook.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let wrong_file = dir.join("wrong.secret");
    std::fs::write(&wrong_file, "another-secret-0123456789abcdefghijklmnop").unwrap();

    let mut command = Command::new(env!("CARGO_BIN_EXE_zt-demo"));
    command
        .env("ZT_BIND", "127.0.0.1:0")
        .env("ZT_TLS_BIND", "127.0.0.1:0")
        .env("ZT_DEPLOY_HOOK_FILE", &secret_file)
        .env("RUST_LOG", "debug");
    let mut demo = Process::spawn("zt-demo", command).unwrap();
    let printed = demo
        .wait_for_line("the signing command", Duration::from_secs(120), |line| {
            line.contains("sign.sh").then(|| line.trim().to_owned())
        })
        .await
        .unwrap();
    assert!(printed.contains(secret_file.to_str().unwrap()), "{printed}");

    let answer = run(&printed);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""deploying":"main""#), "{answer}");

    let other = printed
        .replace(secret_file.to_str().unwrap(), wrong_file.to_str().unwrap())
        .replace(r#"{"ref":"main"}"#, r#"{"ref":"release"}"#);
    let answer = run(&other);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answer
            .contains(r#"www-authenticate: ZT-HMAC-SHA256 realm="zt-demo", error="invalid_token""#),
        "{answer}"
    );

    let unsigned = printed
        .split(" POST ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let answer = run(&format!(
        "curl -sS -i -X POST --data-binary '{{}}' {unsigned}"
    ));
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    demo.assert_output_hides(&[SECRET]);
    let output = demo.output();
    assert!(output.contains("\"bad_signature\""), "{output}");
    demo.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
