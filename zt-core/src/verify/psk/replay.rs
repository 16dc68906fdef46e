//! The replay window: every accepted signature, remembered for as long as its timestamp
//! could still be accepted, so that the same signed request is accepted once.
//!
//! Not a cache: nothing is forgotten early. A cache's eviction would let a captured request
//! through again once enough other traffic pushed its signature out; here a full window
//! refuses new requests instead, and the count it checks is exact.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use foldhash::quality::RandomState;

use super::canonical::Tag;

/// Independent locks, so that concurrent requests rarely wait for each other.
const SHARDS: usize = 16;

/// What [`ReplayWindow::admit`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Every tag was new; all are remembered now.
    Fresh,
    /// At least one tag was accepted before (the new ones are remembered too).
    Replayed,
    /// The window holds its capacity; nothing was remembered.
    Full,
}

/// Accepted signature tags with the second each may be forgotten.
///
/// Tags are MAC outputs; foldhash with a random seed per window keeps the few a secret
/// holder could choose (extra tags sent beside a valid one) from being aimed at collisions.
pub(crate) struct ReplayWindow {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    /// Tags remembered across all shards.
    len: AtomicU64,
    capacity: u64,
    /// How long a tag is kept after it was accepted, in seconds.
    keep: u64,
}

#[derive(Default)]
struct Shard {
    /// Each tag's expiry, in seconds since the Unix epoch.
    expiries: HashMap<[u8; 32], u64, RandomState>,
    /// Tags in the order they were accepted, to forget them in that order.
    order: VecDeque<(u64, [u8; 32])>,
}

impl ReplayWindow {
    /// Remembers up to `capacity` tags, each for `keep` seconds after it was accepted.
    pub(crate) fn new(capacity: u64, keep: u64) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::default(),
            len: AtomicU64::new(0),
            capacity,
            keep,
        }
    }

    /// Remembers `tags`, accepted at `now` (seconds since the Unix epoch), and tells whether
    /// any was accepted before.
    pub(crate) fn admit(&self, tags: &[Tag], now: u64) -> Admission {
        let room = u64::try_from(tags.len()).unwrap_or(u64::MAX);
        if self.len.load(Ordering::Relaxed).saturating_add(room) > self.capacity {
            // Expired tags may still be counted in shards no request has touched lately.
            for shard in &self.shards {
                self.forget_expired(&mut lock(shard), now);
            }
            if self.len.load(Ordering::Relaxed).saturating_add(room) > self.capacity {
                return Admission::Full;
            }
        }

        let expiry = now.saturating_add(self.keep);
        let mut replayed = false;
        for tag in tags {
            let index = self.shard_of(&tag.0);
            let mut shard = lock(&self.shards[index]);
            self.forget_expired(&mut shard, now);
            match shard.expiries.entry(tag.0) {
                // Still remembered: forget_expired has just removed every expired tag
                // accepted before a later one; one accepted at a later clock reading than
                // `now` is still within its time.
                Entry::Occupied(_) => replayed = true,
                Entry::Vacant(vacant) => {
                    vacant.insert(expiry);
                    shard.order.push_back((expiry, tag.0));
                    self.len.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if replayed {
            Admission::Replayed
        } else {
            Admission::Fresh
        }
    }

    /// Returns how many tags are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.len.load(Ordering::Relaxed)
    }

    fn shard_of(&self, tag: &[u8; 32]) -> usize {
        // Truncation is intended: any bits of a good hash pick a shard evenly.
        #[allow(clippy::cast_possible_truncation)]
        let hash = self.hasher.hash_one(tag) as usize;
        hash % SHARDS
    }

    /// Forgets the shard's tags whose time is up, oldest first.
    fn forget_expired(&self, shard: &mut Shard, now: u64) {
        while let Some(&(expiry, tag)) = shard.order.front() {
            if expiry > now {
                break;
            }
            shard.order.pop_front();
            if shard.expiries.get(&tag) == Some(&expiry) {
                shard.expiries.remove(&tag);
                self.len.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

/// Locks a shard; a panic elsewhere while it was held leaves its maps consistent (each
/// change is a single insert or remove), so the data is still good.
fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(n: u8) -> Tag {
        Tag([n; 32])
    }

    #[test]
    fn a_tag_is_admitted_once_until_its_time_is_up() {
        let window = ReplayWindow::new(10, 601);
        assert_eq!(window.admit(&[tag(1)], 1_000), Admission::Fresh);
        assert_eq!(window.admit(&[tag(1)], 1_000), Admission::Replayed);
        assert_eq!(window.admit(&[tag(1)], 1_600), Admission::Replayed);
        assert_eq!(window.len(), 1);

        assert_eq!(window.admit(&[tag(1)], 1_601), Admission::Fresh);
        assert_eq!(window.len(), 1);
    }

    #[test]
    fn one_known_tag_among_new_ones_is_a_replay() {
        let window = ReplayWindow::new(10, 601);
        assert_eq!(window.admit(&[tag(1)], 1_000), Admission::Fresh);
        assert_eq!(window.admit(&[tag(2), tag(1)], 1_000), Admission::Replayed);
        assert_eq!(window.admit(&[tag(2)], 1_000), Admission::Replayed);
        assert_eq!(window.admit(&[tag(3), tag(4)], 1_000), Admission::Fresh);
        assert_eq!(window.len(), 4);
    }

    #[test]
    fn a_full_window_refuses_until_tags_expire_and_forgets_nothing_early() {
        let window = ReplayWindow::new(3, 10);
        for n in 1..=3 {
            assert_eq!(window.admit(&[tag(n)], 100), Admission::Fresh);
        }
        assert_eq!(window.admit(&[tag(4)], 105), Admission::Full);
        // Refusing made no room by forgetting tags still within their time.
        assert_eq!(window.len(), 3);
        assert_eq!(window.admit(&[tag(1)], 105), Admission::Full);

        // Expired tags in every shard are counted out before refusing.
        assert_eq!(window.admit(&[tag(4)], 110), Admission::Fresh);
        assert_eq!(window.len(), 1);
    }

    #[test]
    fn tags_spread_over_shards_and_all_are_counted() {
        let window = ReplayWindow::new(1_000, 60);
        let tags: Vec<Tag> = (0..=255).map(tag).collect();
        assert_eq!(window.admit(&tags, 0), Admission::Fresh);
        assert_eq!(window.len(), 256);
        let used = window
            .shards
            .iter()
            .filter(|shard| !lock(shard).expiries.is_empty())
            .count();
        assert!(used > SHARDS / 2, "only {used} shards used");
        assert_eq!(window.admit(&tags[17..18], 59), Admission::Replayed);
        assert_eq!(window.admit(&tags[17..18], 60), Admission::Fresh);
    }
}
