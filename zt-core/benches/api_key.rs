//! API key verification against a ring of 100 000 records.
//!
//! Run with `cargo bench -p zt-core --bench api_key`.
#![allow(missing_docs, clippy::unwrap_used)] // Benchmark harness.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use secrecy::ExposeSecret as _;
use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument};

fn bench_api_key(c: &mut Criterion) {
    let keys: Vec<NewKey> = (0..100_000).map(|_| NewKey::generate()).collect();
    let records = keys
        .iter()
        .map(|k| KeyRecord {
            id: k.id().to_owned(),
            hash: k.hash(),
            scopes: vec!["export".to_owned()],
            not_before: None,
            expires_at: u64::MAX,
            disabled: false,
            owner: "partner".to_owned(),
            description: String::new(),
            created_at: None,
        })
        .collect();
    let ring = KeyRing::new(&RingDocument {
        version: 1,
        keys: records,
    });
    let presented = keys[54_321].key().expose_secret().to_owned();
    let mut wrong = presented.clone().into_bytes();
    wrong[30] = if wrong[30] == b'a' { b'b' } else { b'a' };
    let wrong = String::from_utf8(wrong).unwrap();

    // Same id, valid checksum, secret differing in its first or its last character: the
    // time must not depend on how much of the secret matched.
    let early = forge(&presented, 17);
    let late = forge(&presented, 48);

    let mut group = c.benchmark_group("api_key/100k_ring");
    group.bench_function("refuse_secret_differing_early", |b| {
        b.iter(|| ring.verify(black_box(&early)).unwrap_err());
    });
    group.bench_function("refuse_secret_differing_late", |b| {
        b.iter(|| ring.verify(black_box(&late)).unwrap_err());
    });
    group.bench_function("verify_valid", |b| {
        b.iter(|| ring.verify(black_box(&presented)).unwrap());
    });
    group.bench_function("refuse_typo", |b| {
        b.iter(|| ring.verify(black_box(&wrong)).unwrap_err());
    });
    group.finish();
}

/// Changes one character of the secret and recomputes the checksum (CRC-32 in base62), so
/// the key passes the format check and reaches the hash comparison.
fn forge(key: &str, at: usize) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut body = key.as_bytes()[..key.len() - 6].to_vec();
    body[at] = if body[at] == b'a' { b'b' } else { b'a' };
    let mut sum = crc32fast::hash(&body);
    let mut checksum = [b'0'; 6];
    for slot in checksum.iter_mut().rev() {
        *slot = BASE62[(sum % 62) as usize];
        sum /= 62;
    }
    body.extend_from_slice(&checksum);
    String::from_utf8(body).unwrap()
}

criterion_group!(benches, bench_api_key);
criterion_main!(benches);
