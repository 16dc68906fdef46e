//! An arbitrary string presented as a bearer access token: size limit, compact-JWS shape,
//! header peek (`alg`, `kid`, `typ`, `crit`), key lookup, algorithm pinning, signature and
//! claim validation, against an Auth0-profile verifier holding one Ed25519 key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zt_fuzz::Oidc;

fn setup() -> &'static Oidc {
    static SETUP: OnceLock<Oidc> = OnceLock::new();
    SETUP.get_or_init(Oidc::new)
}

fuzz_target!(|data: &[u8]| {
    let oidc = setup();
    let token = zt_fuzz::text(data);
    let _ = oidc.runtime.block_on(oidc.verifiers[1].verify(&token));
});
