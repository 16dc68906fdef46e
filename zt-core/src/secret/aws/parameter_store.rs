//! AWS Systems Manager Parameter Store: the latest version and N-1, or versions by label.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_sdk_ssm::types::Parameter;
use aws_sdk_ssm::Client;
use zeroize::Zeroize;

use super::source_error;
use crate::secret::{SecretSource, SecretValue, SecretVersion, SecretVersions, SourceError};
use crate::ConfigError;

/// Reads a parameter from AWS Systems Manager Parameter Store, decrypting `SecureString`s.
///
/// By default, current is the latest version and previous is version N-1 (read with the
/// `name:N-1` selector): one `GetParameter` call per fetch, plus one for N-1 when it is not
/// cached. Version ids are the version numbers.
///
/// With [`ParameterStoreSource::current_label`], an operator rotates by putting a new version
/// and then moving the label. Each fetch then reads `GetParameterHistory` to see which
/// version carries which label, and fetches values (`name:version`) only for versions not
/// cached. Current is the version carrying the label; previous the one carrying
/// [`ParameterStoreSource::previous_label`], or else N-1 of current; pending the one carrying
/// [`ParameterStoreSource::pending_label`], while one does.
///
/// # Security
///
/// Errors carry the parameter name and AWS's error code, never a value. The caller needs
/// `ssm:GetParameter` on the parameter (and `ssm:GetParameterHistory` with labels or for
/// [`ParameterStoreSource::history`]), and `kms:Decrypt` on its key.
///
/// # Limitations
///
/// Without labels, every fetch decrypts the latest version, since Parameter Store has no
/// cheaper probe for it. Parameter Store keeps the last 100 versions; a previous version that
/// has aged out is simply absent.
#[derive(Clone)]
pub struct ParameterStoreSource {
    client: Client,
    name: String,
    current_label: Option<String>,
    previous_label: Option<String>,
    pending_label: Option<String>,
}

/// Describes one version of a parameter, without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterVersion {
    version: i64,
    labels: Vec<String>,
    last_modified: Option<SystemTime>,
}

impl ParameterVersion {
    /// Returns the version number.
    #[must_use]
    pub const fn version(&self) -> i64 {
        self.version
    }

    /// Returns the labels attached to the version.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Returns when the version was written.
    #[must_use]
    pub const fn last_modified(&self) -> Option<SystemTime> {
        self.last_modified
    }
}

impl ParameterStoreSource {
    /// Reads the parameter `name` (a name or an ARN) with a client built from `config`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] for `parameter_store.name` when the name is empty or
    /// holds whitespace.
    pub fn new(
        config: &aws_config::SdkConfig,
        name: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        Self::from_client(Client::new(config), name)
    }

    /// Reads the parameter `name` with a client the caller built.
    ///
    /// # Errors
    ///
    /// As [`ParameterStoreSource::new`].
    pub fn from_client(client: Client, name: impl Into<String>) -> Result<Self, ConfigError> {
        let name = name.into();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(ConfigError::Invalid {
                setting: "parameter_store.name".to_owned(),
                problem: "must be a parameter name or ARN without whitespace".to_owned(),
            });
        }
        Ok(Self {
            client,
            name,
            current_label: None,
            previous_label: None,
            pending_label: None,
        })
    }

    /// Takes current from the version carrying `label` instead of the latest version.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] for `parameter_store.current_label` when the label is
    /// not a valid Parameter Store label.
    pub fn current_label(mut self, label: impl Into<String>) -> Result<Self, ConfigError> {
        self.current_label = Some(checked_label(
            "parameter_store.current_label",
            label.into(),
        )?);
        Ok(self)
    }

    /// Takes previous from the version carrying `label` instead of version N-1.
    ///
    /// # Errors
    ///
    /// As [`ParameterStoreSource::current_label`], for `parameter_store.previous_label`.
    pub fn previous_label(mut self, label: impl Into<String>) -> Result<Self, ConfigError> {
        self.previous_label = Some(checked_label(
            "parameter_store.previous_label",
            label.into(),
        )?);
        Ok(self)
    }

    /// Takes pending from the version carrying `label`, while one does.
    ///
    /// # Errors
    ///
    /// As [`ParameterStoreSource::current_label`], for `parameter_store.pending_label`.
    pub fn pending_label(mut self, label: impl Into<String>) -> Result<Self, ConfigError> {
        self.pending_label = Some(checked_label(
            "parameter_store.pending_label",
            label.into(),
        )?);
        Ok(self)
    }

    /// Returns the parameter name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Fetches the latest version.
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when the call fails or the parameter does not exist.
    pub async fn latest(&self) -> Result<SecretVersion, SourceError> {
        self.parameter(&self.name).await
    }

    /// Fetches version `version` (the `name:version` selector).
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when the call fails or the version does not exist.
    pub async fn version(&self, version: i64) -> Result<SecretVersion, SourceError> {
        self.parameter(&format!("{}:{version}", self.name)).await
    }

    /// Fetches the version carrying `label` (the `name:label` selector).
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when the call fails or no version carries the label.
    pub async fn labeled(&self, label: &str) -> Result<SecretVersion, SourceError> {
        self.parameter(&format!("{}:{label}", self.name)).await
    }

    /// Lists every version with its labels (`GetParameterHistory`), without values.
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when a call fails.
    pub async fn history(&self) -> Result<Vec<ParameterVersion>, SourceError> {
        let mut versions = Vec::new();
        let mut next_token = None;
        loop {
            let output = self
                .client
                .get_parameter_history()
                .name(&self.name)
                .with_decryption(false)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| source_error("GetParameterHistory", &self.name, &e))?;
            for mut entry in output.parameters.unwrap_or_default() {
                if let Some(value) = entry.value.as_mut() {
                    value.zeroize();
                }
                versions.push(ParameterVersion {
                    version: entry.version,
                    labels: entry.labels.take().unwrap_or_default(),
                    last_modified: entry
                        .last_modified_date
                        .and_then(|at| SystemTime::try_from(at).ok()),
                });
            }
            next_token = output.next_token;
            if next_token.is_none() {
                return Ok(versions);
            }
        }
    }

    async fn parameter(&self, selector: &str) -> Result<SecretVersion, SourceError> {
        let output = self
            .client
            .get_parameter()
            .name(selector)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| source_error("GetParameter", selector, &e))?;
        let Some(Parameter { value, version, .. }) = output.parameter else {
            return Err(SourceError::Service(format!(
                "GetParameter {selector}: the answer holds no parameter"
            )));
        };
        let Some(value) = value else {
            return Err(SourceError::Invalid(format!(
                "GetParameter {selector}: the answer holds no value"
            )));
        };
        Ok(SecretVersion::new(
            version.to_string(),
            SecretValue::from_text(value),
        ))
    }

    /// Returns the version number `version` from the cache, or fetches it; `None` when it no
    /// longer exists.
    async fn numbered(
        &self,
        version: i64,
        cached: Option<&SecretVersions>,
    ) -> Result<Option<SecretVersion>, SourceError> {
        if let Some(found) = cached.and_then(|c| c.find(&version.to_string())) {
            return Ok(Some(found.clone()));
        }
        absent_as_none(self.version(version).await)
    }
}

impl std::fmt::Debug for ParameterStoreSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParameterStoreSource")
            .field("name", &self.name)
            .field("current_label", &self.current_label)
            .field("previous_label", &self.previous_label)
            .field("pending_label", &self.pending_label)
            .finish_non_exhaustive()
    }
}

fn checked_label(setting: &str, label: String) -> Result<String, ConfigError> {
    let valid = !label.is_empty()
        && label.len() <= 100
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !label.to_ascii_lowercase().starts_with("aws")
        && !label.to_ascii_lowercase().starts_with("ssm")
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        return Err(ConfigError::Invalid {
            setting: setting.to_owned(),
            problem: "a label has 1 to 100 letters, digits, `.`, `-` or `_`, does not start \
                      with a digit, and does not start with `aws` or `ssm`"
                .to_owned(),
        });
    }
    Ok(label)
}

fn absent_as_none(
    result: Result<SecretVersion, SourceError>,
) -> Result<Option<SecretVersion>, SourceError> {
    match result {
        Ok(version) => Ok(Some(version)),
        Err(SourceError::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

#[async_trait]
impl SecretSource for ParameterStoreSource {
    fn kind(&self) -> &'static str {
        "parameter_store"
    }

    async fn fetch(&self, cached: Option<&SecretVersions>) -> Result<SecretVersions, SourceError> {
        let Some(label) = &self.current_label else {
            return self.fetch_latest(cached).await;
        };

        let history = self.history().await?;
        let labeled = |label: &str| {
            history
                .iter()
                .find(|v| v.labels.iter().any(|l| l == label))
                .map(|v| v.version)
        };
        let Some(number) = labeled(label) else {
            return Err(SourceError::NotFound(format!(
                "GetParameterHistory {}: no version carries the label {label}",
                self.name
            )));
        };
        let Some(current) = self.numbered(number, cached).await? else {
            return Err(SourceError::NotFound(format!(
                "GetParameter {}:{number}: the labelled version is gone",
                self.name
            )));
        };

        let previous = match self.previous_label.as_deref() {
            Some(label) => labeled(label),
            None => (number > 1).then(|| number - 1),
        };
        let previous = match previous {
            Some(n) => self.numbered(n, cached).await?,
            None => None,
        };
        let pending = match self.pending_label.as_deref().and_then(labeled) {
            Some(n) => self.numbered(n, cached).await?,
            None => None,
        };
        Ok(SecretVersions::new(current)
            .with_previous(previous)
            .with_pending(pending))
    }
}

impl ParameterStoreSource {
    /// Fetches the latest version (one call) and version N-1 unless it is cached.
    async fn fetch_latest(
        &self,
        cached: Option<&SecretVersions>,
    ) -> Result<SecretVersions, SourceError> {
        let fetched = self.latest().await?;
        let current = match cached.and_then(|c| c.find(fetched.id())) {
            Some(known) => known.clone(),
            None => fetched,
        };
        let number: i64 = current.id().parse().map_err(|_| {
            SourceError::Service(format!(
                "GetParameter {}: the version is not a number",
                self.name
            ))
        })?;
        let previous = if number > 1 {
            self.numbered(number - 1, cached).await?
        } else {
            None
        };
        Ok(SecretVersions::new(current).with_previous(previous))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_parameter_store_rules() {
        for good in ["live", "next-1", "v_2.b"] {
            checked_label("l", good.to_owned()).unwrap();
        }
        for bad in ["", "1live", "aws-x", "SSMlabel", "a:b", "a/b", "a b"] {
            assert!(checked_label("l", bad.to_owned()).is_err(), "{bad}");
        }
    }
}
