//! API keys: scoped, time-limited, stored as hashes, recognisable by prefix and checksum.
//!
//! Issue keys with [`NewKey::generate`] (or the `zt` command line), hand the key to its
//! holder once, and keep only a [`KeyRecord`] with its hash in the ring.
//!
//! # Examples
//!
//! ```
//! use secrecy::ExposeSecret;
//! use zt_core::verify::api_key::{KeyRecord, KeyRing, NewKey, RingDocument};
//!
//! let key = NewKey::generate();
//! let record = KeyRecord {
//!     id: key.id().to_owned(),
//!     hash: key.hash(),
//!     scopes: vec!["export".into()],
//!     not_before: None,
//!     expires_at: u64::MAX,
//!     disabled: false,
//!     owner: "partner-a".into(),
//!     description: "nightly export".into(),
//!     created_at: None,
//! };
//! let ring = KeyRing::new(&RingDocument { version: 1, keys: vec![record] });
//! let who = ring.verify(key.key().expose_secret()).unwrap();
//! assert_eq!(who.subject(), key.id());
//! assert!(who.scopes().contains("export"));
//! ```

mod format;
mod ring;

pub use self::format::{KeyHash, NewKey, KEY_PATTERN, KEY_PREFIX};
pub use self::ring::{KeyRecord, KeyRing, RingDocument, RingError, RingFollower};
