//! Forwarded client certificate headers in Envoy's `x-forwarded-client-cert`: elements,
//! quoting and escapes, `Hash`, `Cert`, `Chain`, `URI`, `DNS`; the chain verification, and
//! (flags bit 1) the URI-only mode.
//!
//! Input: a flags byte (bit 0: the peer is outside the trusted network), then the format's
//! headers in order, NUL-separated (an empty field is an absent header).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zt_core::verify::mtls::{ForwardedCertificates, ProxyFormat};

fn configs() -> &'static [ForwardedCertificates; 2] {
    static CONFIGS: OnceLock<[ForwardedCertificates; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        [
            zt_fuzz::forwarded(ProxyFormat::Xfcc, |b| b),
            zt_fuzz::forwarded(ProxyFormat::Xfcc, |b| b.insecure_trust_uri_only(true)),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let variant = data.first().map_or(0, |flags| usize::from(flags >> 1 & 1));
    let _ = zt_fuzz::identify(&configs()[variant], data);
});
