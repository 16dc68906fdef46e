//! Arbitrary claims in a correctly signed token, so that claim parsing and the checks after
//! the signature (issuer, audience, times, lifetime, token kind, scopes, client) are reached.
//!
//! Input: a flags byte, then the payload. Bits 0-1 of the flags pick the profile (Okta,
//! Auth0, Auth0 with RBAC permissions, generic). When the payload is a JSON object, its
//! numeric `exp`, `iat` and `nbf` below 10^9 are read as offsets from now, so valid tokens
//! stay reachable; any other payload is signed exactly as given.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zt_fuzz::Oidc;

fn setup() -> &'static (Oidc, Vec<u8>) {
    static SETUP: OnceLock<(Oidc, Vec<u8>)> = OnceLock::new();
    SETUP.get_or_init(|| (Oidc::new(), zt_fuzz::token_header()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, payload)) = data.split_first() else {
        return;
    };
    let (oidc, header) = setup();
    let verifier = &oidc.verifiers[usize::from(flags & 3)];
    let token = zt_fuzz::sign_token(header, &zt_fuzz::claims_payload(payload));
    if let Ok(who) = oidc.runtime.block_on(verifier.verify(&token)) {
        let _ = (
            who.subject(),
            who.scopes(),
            who.client_id(),
            who.expires_at(),
        );
    }
});
