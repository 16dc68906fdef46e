//! Names of the metrics this crate records through the `metrics` facade.
//!
//! Install any `metrics` recorder (Prometheus exporter, StatsD, ...) to collect them; with
//! none installed they cost a few atomic loads. Names and labels are stable. No label ever
//! holds a credential or a secret value: only issuer URLs, secret names and outcomes.

/// Counter of signing key set fetches, labelled `issuer` and `outcome` (`ok` or `error`).
pub const KEY_SET_FETCHES: &str = "zt_key_set_fetches_total";

/// Counter of secret refreshes from their source, labelled `secret` and `outcome` (`ok` or
/// `error`).
pub const SECRET_REFRESHES: &str = "zt_secret_refreshes_total";

/// Counter of clients switching to a secret's previous version after a peer rejected the
/// current one, labelled `secret`.
pub const SECRET_FALLBACKS: &str = "zt_secret_fallbacks_total";

/// Counter of key ring updates from the secret that holds it, labelled `secret` and
/// `outcome` (`ok`, or `refused` when the new version does not parse and the old ring stays).
pub const KEY_RING_UPDATES: &str = "zt_key_ring_updates_total";
