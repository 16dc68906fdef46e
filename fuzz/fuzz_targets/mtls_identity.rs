//! Arbitrary bytes as a client certificate: X.509 parsing, the subject alternative names
//! (SPIFFE ids, other URIs, DNS names), subject, issuer, serial, fingerprint and revocation
//! key, and an identity policy's decision on the result.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zt_core::verify::mtls::{CertificateKey, IdentityPolicy, PeerIdentity};

fn policy() -> &'static IdentityPolicy {
    static POLICY: OnceLock<IdentityPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        IdentityPolicy::new()
            .allow_spiffe("spiffe://example.test/service/*")
            .expect("a valid SPIFFE pattern")
            .allow_dns("billing.example.test")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = CertificateKey::from_der(data);
    if let Ok(identity) = PeerIdentity::from_der(data) {
        let _ = (
            identity.spiffe_id(),
            identity.other_uris(),
            identity.dns_names(),
            identity.subject(),
            identity.issuer(),
            identity.serial(),
            identity.fingerprint_hex(),
            identity.certificate_key(),
        );
        let _ = policy().allows(&identity);
    }
});
