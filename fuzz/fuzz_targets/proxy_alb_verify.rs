//! Forwarded client certificate headers in ALB verify mode: the URL-encoded PEM leaf, the
//! hex serial number and the other `x-amzn-mtls-clientcert-*` headers; the leaf's dates,
//! usage and revocation checks, and (flags bit 1) the full chain recheck.
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
            zt_fuzz::forwarded(ProxyFormat::AlbVerify, |b| b),
            zt_fuzz::forwarded(ProxyFormat::AlbVerify, |b| b.recheck_chain(true)),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let variant = data.first().map_or(0, |flags| usize::from(flags >> 1 & 1));
    let _ = zt_fuzz::identify(&configs()[variant], data);
});
