//! A signed request with arbitrary `X-ZT-Timestamp` and `X-ZT-Signature` values, method,
//! path, query and body: header parsing, the timestamp window, the canonical string, the
//! HMAC comparison under each accepted secret version, and the replay cache; the signature
//! value is also tried as a bare `Bearer` secret.
//!
//! Input: flags, timestamp, signature, method, path, query and body, NUL-separated (the body
//! takes the rest). Flags bit 0 makes the harness append the correct `v1` signature under the
//! current secret, so accepted requests and replays are reached too.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;
use zt_core::secret::{MemorySource, Secret, SecretPolicy};
use zt_core::verify::psk::{
    body_digest, PskSettings, PskVerifier, RequestParts, SignedHeaders, SignedParts,
};

struct Setup {
    runtime: Runtime,
    signed: PskVerifier,
    bearer: PskVerifier,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = zt_fuzz::runtime();
        let source = MemorySource::new();
        source.set_current(zt_fuzz::PSK_PREVIOUS);
        source.rotate(zt_fuzz::PSK_CURRENT);
        let secret = Secret::new("fuzz-hook", source, SecretPolicy::default()).expect("secret");
        runtime
            .block_on(secret.refresh_now())
            .expect("the memory source answers");
        let signed = PskVerifier::new("fuzz-hook", secret.clone(), PskSettings::default())
            .expect("default settings");
        let bearer = PskVerifier::new(
            "fuzz-hook",
            secret,
            PskSettings::default().insecure_accept_bearer(true),
        )
        .expect("bearer settings");
        Setup {
            runtime,
            signed,
            bearer,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let setup = setup();
    let f = zt_fuzz::fields(data, 7);
    let flags = f[0].first().copied().unwrap_or(0);
    let (timestamp, mut signature) = (zt_fuzz::text(f[1]), zt_fuzz::text(f[2]).into_owned());
    let (method, path, query) = (
        zt_fuzz::text(f[3]),
        zt_fuzz::text(f[4]),
        zt_fuzz::text(f[5]),
    );
    let body = f[6];

    let _ = setup
        .runtime
        .block_on(setup.bearer.verify_bearer(&signature));

    let now = UNIX_EPOCH + Duration::from_secs(zt_fuzz::PSK_NOW);
    if flags & 1 == 1 {
        if let Ok(timestamp) = timestamp.parse::<u64>() {
            let parts = SignedParts {
                method: &method,
                path: &path,
                query: &query,
                timestamp,
                body_sha256: body_digest(body),
            };
            signature.push_str(", ");
            signature.push_str(&parts.sign(zt_fuzz::PSK_CURRENT).header_item());
        }
    }
    let Ok(headers) = SignedHeaders::parse(&timestamp, &signature) else {
        return;
    };
    let _ = format!("{headers:?}");
    let request = RequestParts {
        method: &method,
        path: &path,
        query: &query,
        body,
    };
    let _ = setup
        .runtime
        .block_on(setup.signed.verify_signed_at(&headers, request, now));
});
