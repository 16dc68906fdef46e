//! Helpers shared by the secret store's test binaries.
// Each test binary uses a subset of these helpers.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zt_core::secret::Secret;

/// Polls `condition` every 10 ms until it holds or `limit` passes.
pub(crate) async fn eventually<F, Fut>(limit: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Runs `rounds` rotations while two clients verify as fast as they can with the value they
/// hold, each switching to the newest value at a random moment after it was published.
/// Asserts that no request was refused and returns how many were accepted.
pub(crate) async fn hammer_through_rotations<R, Fut>(
    secret: &Secret,
    first: &str,
    rounds: usize,
    switch_within: Duration,
    mut rotate: R,
) -> u64
where
    R: FnMut(usize) -> Fut,
    Fut: Future<Output = String>,
{
    let (publish, published) = tokio::sync::watch::channel((0_usize, first.to_owned()));
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let switched = Arc::new(AtomicUsize::new(0));
    let refusals = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));

    let clients: Vec<_> = (0..2_u64)
        .map(|n| {
            let (secret, mut published) = (secret.clone(), published.clone());
            let (stop, accepted) = (stop.clone(), accepted.clone());
            let (switched, refusals) = (switched.clone(), refusals.clone());
            tokio::spawn(async move {
                let mut random = Random::new(n);
                let mut using = published.borrow().1.clone();
                let mut upcoming: Option<(Instant, String)> = None;
                while !stop.load(Ordering::Acquire) {
                    if published.has_changed().unwrap_or(false) {
                        let value = published.borrow_and_update().1.clone();
                        upcoming = Some((Instant::now() + random.below(switch_within), value));
                    }
                    if upcoming
                        .as_ref()
                        .is_some_and(|(at, _)| Instant::now() >= *at)
                    {
                        using = upcoming.take().unwrap().1;
                        switched.fetch_add(1, Ordering::AcqRel);
                    }
                    match secret.verify_eq(using.as_bytes()).await {
                        Ok(_) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(refusal) => {
                            let round = published.borrow().0;
                            let held = secret.versions().map(|v| {
                                let ids = v.stages().map(|(s, v)| (s, v.id().to_owned()));
                                ids.collect::<Vec<_>>()
                            });
                            refusals
                                .lock()
                                .unwrap()
                                .push(format!("round {round}: {refusal:?}; store holds {held:?}"));
                        }
                    }
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();

    for round in 1..=rounds {
        let value = rotate(round).await;
        publish.send((round, value)).unwrap();
        let both = eventually(Duration::from_secs(10), || {
            let switched = switched.clone();
            async move { switched.load(Ordering::Acquire) >= 2 * round }
        })
        .await;
        assert!(both, "clients did not switch in round {round}");
    }
    stop.store(true, Ordering::Release);
    for client in clients {
        client.await.unwrap();
    }
    let refusals = refusals.lock().unwrap();
    assert!(
        refusals.is_empty(),
        "{} refused, first: {:?}",
        refusals.len(),
        refusals.first()
    );
    accepted.load(Ordering::Relaxed)
}

/// A small xorshift generator for random switching moments; not for anything secret.
pub(crate) struct Random(u64);

impl Random {
    pub(crate) fn new(stream: u64) -> Self {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let nanos = u64::from(now.unwrap().subsec_nanos());
        Self((nanos ^ (stream + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    pub(crate) fn below(&mut self, limit: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let limit_us = u64::try_from(limit.as_micros()).unwrap().max(1);
        Duration::from_micros(self.0 % limit_us)
    }
}
