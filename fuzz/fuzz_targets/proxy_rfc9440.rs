//! Forwarded client certificate headers in RFC 9440: `client-cert` and `client-cert-chain`
//! as structured-field byte sequences, verified against the trust bundle.
//!
//! Input: a flags byte (bit 0: the peer is outside the trusted network), then the format's
//! headers in order, NUL-separated (an empty field is an absent header).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zt_core::verify::mtls::{ForwardedCertificates, ProxyFormat};

fn config() -> &'static ForwardedCertificates {
    static CONFIG: OnceLock<ForwardedCertificates> = OnceLock::new();
    CONFIG.get_or_init(|| zt_fuzz::forwarded(ProxyFormat::Rfc9440, |b| b))
}

fuzz_target!(|data: &[u8]| {
    let _ = zt_fuzz::identify(config(), data);
});
