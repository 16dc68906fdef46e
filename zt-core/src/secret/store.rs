//! The named collection of secrets an application uses, and its background refresher.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::{Secret, SecretPolicy, SecretSource, Unavailable};
use crate::ConfigError;

/// Holds the secrets an application uses, by name, each with its source and policy.
///
/// Build it once at startup, start its refresher, and hand [`Secret`]s to the verifiers
/// that need them. Cheap to clone.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use zt_core::secret::{MemorySource, SecretPolicy, SecretStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let source = MemorySource::new();
/// source.set_current("s3cr3t-value");
///
/// let store = SecretStore::builder()
///     .policy(SecretPolicy::default().refresh_interval(Duration::from_secs(60)))
///     .secret("deploy-hook-psk", source.clone())
///     .build()?;
/// let _refresher = store.spawn_refresher(); // stops when dropped
/// store.refresh_all().await?; // optional: wait for the first values
///
/// let psk = store.secret("deploy-hook-psk")?;
/// let matched = psk.verify_eq(b"s3cr3t-value").await?;
/// assert_eq!(matched.stage(), zt_core::secret::Stage::Current);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SecretStore {
    secrets: Arc<BTreeMap<String, Secret>>,
}

impl SecretStore {
    /// Starts building a store with the default [`SecretPolicy`].
    #[must_use]
    pub fn builder() -> SecretStoreBuilder {
        SecretStoreBuilder {
            policy: SecretPolicy::default(),
            entries: Vec::new(),
        }
    }

    /// Returns the secret registered as `name`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Missing`] naming the secret when none was registered under that
    /// name, so a verifier built from it refuses to start.
    pub fn secret(&self, name: &str) -> Result<Secret, ConfigError> {
        self.secrets
            .get(name)
            .cloned()
            .ok_or_else(|| ConfigError::Missing {
                setting: format!("secret_store.secret(\"{name}\")"),
                hint: "register the secret with SecretStore::builder().secret(name, source)",
            })
    }

    /// Iterates over the registered secrets, ordered by name.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.secrets.values()
    }

    /// Fetches every secret now, as [`Secret::refresh_now`] does.
    ///
    /// # Errors
    ///
    /// Returns the first [`Unavailable`] after trying every secret.
    pub async fn refresh_all(&self) -> Result<(), Unavailable> {
        let mut first_error = None;
        for secret in self.secrets.values() {
            if let Err(error) = secret.refresh_now().await {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Starts one background refresh task per secret, on the current Tokio runtime.
    ///
    /// Secrets with nothing cached are fetched at once; then each is refreshed on its
    /// interval with jitter, or after the back-off while its source fails.
    ///
    /// # Panics
    ///
    /// Panics when called outside a Tokio runtime, as `tokio::spawn` does.
    pub fn spawn_refresher(&self) -> Refresher {
        let tasks = self
            .secrets
            .values()
            .map(|secret| tokio::spawn(Arc::clone(&secret.cell).run_refresher()))
            .collect();
        Refresher { tasks }
    }
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.secrets.values()).finish()
    }
}

impl Secret {
    /// Starts a background refresh task for this secret alone, as
    /// [`SecretStore::spawn_refresher`] does.
    ///
    /// # Panics
    ///
    /// Panics when called outside a Tokio runtime, as `tokio::spawn` does.
    pub fn spawn_refresher(&self) -> Refresher {
        let task = tokio::spawn(Arc::clone(&self.cell).run_refresher());
        Refresher { tasks: vec![task] }
    }
}

/// Builds a [`SecretStore`], checking every setting.
pub struct SecretStoreBuilder {
    policy: SecretPolicy,
    entries: Vec<Entry>,
}

struct Entry {
    name: String,
    source: Box<dyn SecretSource>,
    policy: Option<SecretPolicy>,
}

impl SecretStoreBuilder {
    /// Sets the policy of every secret registered without its own.
    #[must_use]
    pub fn policy(mut self, policy: SecretPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Registers a secret under `name`, served from `source` with the store's policy.
    #[must_use]
    pub fn secret(mut self, name: impl Into<String>, source: impl SecretSource) -> Self {
        self.entries.push(Entry {
            name: name.into(),
            source: Box::new(source),
            policy: None,
        });
        self
    }

    /// Registers a secret with a policy of its own.
    #[must_use]
    pub fn secret_with_policy(
        mut self,
        name: impl Into<String>,
        source: impl SecretSource,
        policy: SecretPolicy,
    ) -> Self {
        self.entries.push(Entry {
            name: name.into(),
            source: Box::new(source),
            policy: Some(policy),
        });
        self
    }

    /// Checks the settings and builds the store; nothing is fetched yet.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] naming the setting: an invalid policy, an empty or repeated
    /// secret name.
    pub fn build(self) -> Result<SecretStore, ConfigError> {
        self.policy.validate("secret_store")?;
        let mut secrets = BTreeMap::new();
        for entry in self.entries {
            if entry.name.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    setting: "secret_store.secret".to_owned(),
                    problem: "a secret name must not be empty".to_owned(),
                });
            }
            let setting = format!("secret_store.secret(\"{}\")", entry.name);
            if secrets.contains_key(&entry.name) {
                return Err(ConfigError::Invalid {
                    setting,
                    problem: "registered twice; give each secret one name".to_owned(),
                });
            }
            let policy = match entry.policy {
                Some(policy) => {
                    policy.validate(&setting)?;
                    policy
                }
                None => self.policy.clone(),
            };
            let secret = Secret::from_parts(entry.name.clone(), entry.source, policy);
            secrets.insert(entry.name, secret);
        }
        Ok(SecretStore {
            secrets: Arc::new(secrets),
        })
    }
}

impl fmt::Debug for SecretStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.entries.iter().map(|e| e.name.as_str()).collect();
        f.debug_struct("SecretStoreBuilder")
            .field("policy", &self.policy)
            .field("secrets", &names)
            .finish()
    }
}

/// Keeps background refresh tasks running; dropping it stops them.
#[must_use = "dropping the refresher stops the background refresh at once"]
#[derive(Debug)]
pub struct Refresher {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Refresher {
    /// Stops the background refresh; the same as dropping the handle.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
