//! Secrets served from memory and kept fresh: API keys, pre-shared keys and any value a
//! verifier or a client needs.
//!
//! A [`SecretStore`] holds named [`Secret`]s. Each secret keeps one atomic snapshot of its
//! current, previous and (during a rotation) pending versions; reads never lock and never call
//! the source. A background [`Refresher`] asks the [`SecretSource`] for changes on an interval
//! with jitter. When a presented credential matches no cached version, one refresh is made,
//! shared by all concurrent requests and rate-limited, so a fresh rotation is picked up at
//! once while junk credentials cannot drive calls to AWS.
//!
//! Sources: [`SecretsManagerSource`] and [`ParameterStoreSource`] (feature `aws`, on by
//! default), [`FileSource`] for mounted secrets, [`EnvSource`], and [`MemorySource`] for tests.
//!
//! # Examples
//!
//! ```no_run
//! use zt_core::secret::{load_aws_config, SecretStore, SecretsManagerSource};
//! use zt_core::Reason;
//!
//! # async fn run(presented: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let aws = load_aws_config().await;
//! let store = SecretStore::builder()
//!     .secret("deploy-hook", SecretsManagerSource::new(&aws, "prod/deploy-hook")?)
//!     .build()?;
//! let _refresher = store.spawn_refresher();
//!
//! let psk = store.secret("deploy-hook")?;
//! match psk.verify_eq(presented).await {
//!     Ok(matched) => println!("accepted version {}", matched.version_id()),
//!     Err(refusal) => {
//!         let denial = refusal.denial(Reason::BadSignature); // 401, or 503 when unavailable
//!         # let _ = denial;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Security
//!
//! - Values are [`secrecy`] types: redacted in `Debug`, no `Display`, zeroized on drop; they
//!   are never logged and never put in an error.
//! - Verification accepts current and previous, and pending only while a rotation is in
//!   progress (configurable); anything older is refused.
//! - While the source fails, cached versions serve for [`SecretPolicy::max_stale`], with
//!   back-off between attempts and a WARN log (target `zt::secrets`) per failure; then the
//!   secret fails closed: [`Unavailable`], which maps to 503 with `Retry-After`.
//! - An empty value is never served.
//!
//! # Limitations
//!
//! Rotation itself (creating and testing new values, the Secrets Manager rotation function)
//! is not part of this module, which reads whatever the rotation left in the source; the
//! `zt-rotate` crate does the rotating.

#[cfg(feature = "aws")]
mod aws;
mod cell;
mod client;
mod env;
mod file;
mod memory;
mod outcome;
mod policy;
mod source;
mod stats;
mod store;
mod value;
mod verify;

#[cfg(feature = "aws")]
pub use aws::{load_aws_config, ParameterStoreSource, ParameterVersion, SecretsManagerSource};
pub use cell::Secret;
pub use client::SecretClient;
pub use env::EnvSource;
pub use file::FileSource;
pub use memory::MemorySource;
pub use outcome::{Refusal, SecretMatch, Unavailable, UnavailableCause};
pub use policy::SecretPolicy;
pub use source::{SecretSource, SourceError};
pub use stats::SecretStats;
pub use store::{Refresher, SecretStore, SecretStoreBuilder};
pub use value::{SecretValue, SecretVersion, SecretVersions, Stage};
