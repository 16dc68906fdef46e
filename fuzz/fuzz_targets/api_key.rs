//! An arbitrary string presented as an API key: shape, checksum, id lookup, constant-time
//! hash comparison and the record's dates and state, against a ring of four keys (valid,
//! expired, disabled, not yet valid).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zt_core::verify::api_key::{KeyHash, KeyRecord, KeyRing, RingDocument};

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let now = zt_fuzz::unix_now();
        let keys = zt_fuzz::API_KEYS
            .iter()
            .enumerate()
            .map(|(n, (id, secret))| KeyRecord {
                id: (*id).to_owned(),
                hash: KeyHash::of(&zt_fuzz::api_key(id, secret)),
                scopes: vec!["read".to_owned(), format!("scope:{n}")],
                not_before: (n == 3).then_some(now + 365 * 24 * 3600),
                expires_at: if n == 1 { now - 60 } else { u64::MAX },
                disabled: n == 2,
                owner: format!("owner-{n}"),
                description: String::new(),
                created_at: Some(now),
            })
            .collect();
        let ring = KeyRing::new(&RingDocument { version: 1, keys });
        let (id, secret) = zt_fuzz::API_KEYS[0];
        assert!(ring.verify(&zt_fuzz::api_key(id, secret)).is_ok());
        ring
    })
}

fuzz_target!(|data: &[u8]| {
    let presented = zt_fuzz::text(data);
    if let Ok(who) = ring().verify(&presented) {
        let _ = (
            who.subject(),
            who.scopes(),
            who.client_id(),
            who.expires_at(),
        );
    }
});
