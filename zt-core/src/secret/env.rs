//! A source that reads environment variables.

use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use super::value::ContentVersions;
use super::{SecretSource, SecretValue, SecretVersion, SecretVersions, SourceError};
use crate::ConfigError;

/// Reads a secret from an environment variable, and optionally its previous version from a
/// second one.
///
/// Version ids are the variable's name with a counter (`API_KEY#1`) that changes when the
/// value does. Rotate by restarting with `API_KEY` set to the new value and
/// `API_KEY_PREVIOUS` to the old one, so callers still using the old value are accepted.
///
/// # Security
///
/// Environment variables are visible to anything that can read the process's environment
/// (`/proc/PID/environ`, crash reporters, child processes); prefer a file or a secret
/// manager in production. Empty values are refused.
///
/// # Limitations
///
/// A pending version is never reported.
#[derive(Debug)]
pub struct EnvSource {
    current: String,
    previous: Option<String>,
    ids: Mutex<(ContentVersions, ContentVersions)>,
}

impl EnvSource {
    /// Reads the current version from the variable `name`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] for `env_source.name` when the name is empty or
    /// contains `=` or NUL.
    pub fn new(name: impl Into<String>) -> Result<Self, ConfigError> {
        let current = checked_name("env_source.name", name.into())?;
        Ok(Self {
            ids: Mutex::new((
                ContentVersions::new(format!("{current}#")),
                ContentVersions::new(""),
            )),
            current,
            previous: None,
        })
    }

    /// Reads the previous version from the variable `name` when it is set.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] for `env_source.previous` when the name is empty,
    /// contains `=` or NUL, or is the current variable's name.
    pub fn with_previous(mut self, name: impl Into<String>) -> Result<Self, ConfigError> {
        let name = checked_name("env_source.previous", name.into())?;
        if name == self.current {
            return Err(ConfigError::Invalid {
                setting: "env_source.previous".to_owned(),
                problem: "must name a different variable than the current version".to_owned(),
            });
        }
        self.ids = Mutex::new((
            ContentVersions::new(format!("{}#", self.current)),
            ContentVersions::new(format!("{name}#")),
        ));
        self.previous = Some(name);
        Ok(self)
    }
}

fn checked_name(setting: &str, name: String) -> Result<String, ConfigError> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(ConfigError::Invalid {
            setting: setting.to_owned(),
            problem: "must be a non-empty variable name without `=` or NUL".to_owned(),
        });
    }
    Ok(name)
}

fn read(name: &str) -> Option<SecretValue> {
    let raw = std::env::var_os(name)?;
    if raw.is_empty() {
        return None;
    }
    Some(match raw.into_string() {
        Ok(text) => SecretValue::from_text(text),
        Err(raw) => SecretValue::from_bytes(raw.into_encoded_bytes()),
    })
}

#[async_trait]
impl SecretSource for EnvSource {
    fn kind(&self) -> &'static str {
        "env"
    }

    async fn fetch(&self, _cached: Option<&SecretVersions>) -> Result<SecretVersions, SourceError> {
        let Some(current) = read(&self.current) else {
            return Err(SourceError::NotFound(format!(
                "environment variable {} is not set or empty",
                self.current
            )));
        };
        let previous = self.previous.as_deref().and_then(read);

        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        let current = ids.0.version(current);
        let previous: Option<SecretVersion> = previous.map(|value| ids.1.version(value));
        Ok(SecretVersions::new(current).with_previous(previous))
    }
}
