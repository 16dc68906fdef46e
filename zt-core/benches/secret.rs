//! Reading a secret from the store against an `RwLock<Arc<..>>` holding the same versions.
//!
//! Run with `cargo bench -p zt-core --bench secret`. Both sides hand out a clone of the
//! current version (one reference-count increment); the store also checks that the snapshot
//! has not expired (an atomic flag set by its expiry timer, no clock read). The `contended`
//! variants measure reads while another thread reads the same value in a loop, as request
//! handlers on other cores would. `secret_verify` is the verifier's path: a constant-time
//! comparison against current, or current then previous, with a clock check of the age.
#![allow(missing_docs, clippy::unwrap_used)] // Benchmark harness.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Bencher, Criterion};
use futures_util::FutureExt as _;
use zt_core::secret::{MemorySource, Secret, SecretPolicy};

fn bench_read(c: &mut Criterion) {
    let source = MemorySource::new();
    source.set_current("bench-previous-value");
    source.rotate("bench-current-value");
    let secret = Secret::new("bench", source, SecretPolicy::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(secret.refresh_now()).unwrap();
    let baseline = RwLock::new(Arc::new(secret.versions().unwrap()));

    let mut group = c.benchmark_group("secret_read");
    group.bench_function("store_current", |b| {
        b.iter(|| black_box(secret.current().unwrap()));
    });
    group.bench_function("rwlock_arc_current", |b| {
        b.iter(|| {
            let versions = baseline.read().unwrap();
            black_box(versions.current().clone())
        });
    });
    group.bench_function("store_current_contended", |b| {
        contended(b, || drop(black_box(secret.current().unwrap())));
    });
    group.bench_function("rwlock_arc_current_contended", |b| {
        contended(b, || {
            let versions = baseline.read().unwrap();
            drop(black_box(versions.current().clone()));
        });
    });
    group.finish();

    // The verifier's fast path: the presented value matches a cached version, so no await
    // suspends and no source call happens.
    let mut group = c.benchmark_group("secret_verify");
    for (name, presented) in [
        ("current", &b"bench-current-value"[..]),
        ("previous", b"bench-previous-value"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let matched = secret.verify_eq(black_box(presented)).now_or_never();
                black_box(matched.unwrap().unwrap())
            });
        });
    }
    group.finish();
}

/// Times `read` on this thread while a second thread runs it in a loop.
fn contended<F: Fn() + Sync>(b: &mut Bencher<'_>, read: F) {
    b.iter_custom(|iters| {
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    read();
                }
            });
            let started = Instant::now();
            for _ in 0..iters {
                read();
            }
            let elapsed: Duration = started.elapsed();
            stop.store(true, Ordering::Relaxed);
            elapsed
        })
    });
}

criterion_group!(benches, bench_read);
criterion_main!(benches);
