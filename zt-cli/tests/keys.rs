//! The `zt keys` commands against a ring file, checked by verifying the printed keys.
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::process::{Command, Output};

use zt_core::verify::api_key::{KeyRing, RingDocument, KEY_PREFIX};
use zt_core::{Denial, Reason};

fn zt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zt"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = zt(args);
    assert!(
        out.status.success(),
        "zt {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ring(path: &std::path::Path) -> KeyRing {
    KeyRing::from_json(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn created_keys_verify_and_the_file_holds_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring.json");
    let file = path.to_str().unwrap();
    let key = ok(&[
        "keys", "create", "--ring", file, "--scopes", "export", "--owner", "acme",
    ]);
    let key = key.trim();
    assert!(key.starts_with(KEY_PREFIX));

    let who = ring(&path).verify(key).unwrap();
    assert!(who.scopes().contains("export"));
    assert_eq!(who.client_id(), Some("acme"));
    let stored = std::fs::read_to_string(&path).unwrap();
    assert!(
        !stored.contains(&key[17..]),
        "the ring must hold only hashes"
    );

    let listed = ok(&["keys", "list", "--ring", file, "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(rows[0]["state"], "active");
    assert!(!listed.contains(key));
}

#[test]
fn disabled_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring.json");
    let file = path.to_str().unwrap();
    let key = ok(&[
        "keys", "create", "--ring", file, "--scopes", "export", "--owner", "acme",
    ]);
    let id = &key.trim()[4..16];
    ok(&["keys", "disable", "--ring", file, id]);
    let refused = ring(&path).verify(key.trim());
    assert_eq!(
        refused.unwrap_err(),
        Denial::InvalidCredential(Reason::KeyDisabled)
    );
}

#[test]
fn rotation_keeps_the_old_key_for_the_overlap_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring.json");
    let file = path.to_str().unwrap();
    let old = ok(&[
        "keys", "create", "--ring", file, "--scopes", "export a", "--owner", "acme",
    ]);
    let id = &old.trim()[4..16];
    let new = ok(&["keys", "rotate", "--ring", file, id, "--overlap", "1h"]);

    let ring_now = ring(&path);
    assert!(
        ring_now.verify(old.trim()).is_ok(),
        "old key works during the overlap"
    );
    let who = ring_now.verify(new.trim()).unwrap();
    assert!(who.scopes().contains("a") && who.scopes().contains("export"));

    let doc = RingDocument::from_json(&std::fs::read(&path).unwrap()).unwrap();
    let old_record = doc.keys.iter().find(|r| r.id == id).unwrap();
    let created = old_record.created_at.unwrap();
    assert!(old_record.expires_at <= created + 3600 + 5);
}

#[test]
fn bad_input_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring.json");
    let file = path.to_str().unwrap();
    std::fs::write(&path, r#"{"version":1,"keys":[]}"#).unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "keys", "create", "--ring", file, "--scopes", " ", "--owner", "a",
            ],
            "--scopes",
        ),
        (
            &[
                "keys",
                "create",
                "--ring",
                file,
                "--scopes",
                "x",
                "--owner",
                "a",
                "--expires-in",
                "9999d",
            ],
            "--expires-in",
        ),
        (
            &["keys", "disable", "--ring", file, "nosuchkey123"],
            "no key with id",
        ),
        (
            &[
                "keys", "create", "--ring", file, "--scopes", "x", "--owner", " ",
            ],
            "--owner",
        ),
    ];
    for (args, expected) in cases {
        let out = zt(args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let missing = dir.path().join("missing.json");
    let out = zt(&["keys", "list", "--ring", missing.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "listing a missing ring file is an error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such ring file"));
    std::fs::write(&path, "{not json").unwrap();
    let out = zt(&["keys", "list", "--ring", file]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ring"));
}
