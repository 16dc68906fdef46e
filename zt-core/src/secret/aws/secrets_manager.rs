//! AWS Secrets Manager: versions by staging label, with `DescribeSecret` as the freshness
//! probe.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
use aws_sdk_secretsmanager::Client;

use super::source_error;
use crate::secret::{SecretSource, SecretValue, SecretVersion, SecretVersions, SourceError};
use crate::ConfigError;

const CURRENT: &str = "AWSCURRENT";
const PREVIOUS: &str = "AWSPREVIOUS";
const PENDING: &str = "AWSPENDING";

/// Reads a secret from AWS Secrets Manager: `AWSCURRENT`, `AWSPREVIOUS` and, while a rotation
/// is in progress, `AWSPENDING`.
///
/// Each fetch calls `DescribeSecret` and reads its `VersionIdsToStages`; `GetSecretValue` is
/// called only for a version whose id is not cached. A healthy, unchanged secret thus costs
/// one `DescribeSecret` per refresh. String and binary secrets are both served.
///
/// # Security
///
/// Values go straight from the SDK's answer into [`SecretValue`]s; the SDK's `Debug` output
/// redacts them, and errors carry the secret id and AWS's error code, never a value. A secret
/// scheduled for deletion is reported as not found, so cached copies expire after
/// `max_stale` instead of serving forever. The caller needs `secretsmanager:DescribeSecret`
/// and `secretsmanager:GetSecretValue` on the secret (and `kms:Decrypt` for a customer key).
///
/// # Limitations
///
/// Only the three AWS staging labels are read; custom labels are not. A current version that
/// is not cached is asked for by `VersionStage=AWSCURRENT` rather than by the id
/// `DescribeSecret` named, so a stage moved between the two calls still yields the current
/// value (local emulators such as moto also answer correctly only that way).
#[derive(Clone)]
pub struct SecretsManagerSource {
    client: Client,
    secret_id: String,
}

impl SecretsManagerSource {
    /// Reads the secret `secret_id` (a name or an ARN) with a client built from `config`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] for `secrets_manager.secret_id` when the id is empty.
    pub fn new(
        config: &aws_config::SdkConfig,
        secret_id: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        Self::from_client(Client::new(config), secret_id)
    }

    /// Reads the secret `secret_id` with a client the caller built.
    ///
    /// # Errors
    ///
    /// As [`SecretsManagerSource::new`].
    pub fn from_client(client: Client, secret_id: impl Into<String>) -> Result<Self, ConfigError> {
        let secret_id = secret_id.into();
        if secret_id.trim().is_empty() {
            return Err(ConfigError::Invalid {
                setting: "secrets_manager.secret_id".to_owned(),
                problem: "must name a secret (its name or ARN)".to_owned(),
            });
        }
        Ok(Self { client, secret_id })
    }

    /// Returns the secret id.
    #[must_use]
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// Returns the staging labels of every version (`DescribeSecret`'s `VersionIdsToStages`),
    /// without fetching any value.
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when the call fails, or `NotFound` when the secret is
    /// scheduled for deletion.
    pub async fn stages(&self) -> Result<HashMap<String, Vec<String>>, SourceError> {
        let output = self
            .client
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| source_error("DescribeSecret", &self.secret_id, &e))?;
        if output.deleted_date().is_some() {
            return Err(SourceError::NotFound(format!(
                "DescribeSecret {}: the secret is scheduled for deletion",
                self.secret_id
            )));
        }
        Ok(output.version_ids_to_stages.unwrap_or_default())
    }

    /// Fetches the version that carries the staging label `stage` (`AWSCURRENT`, …).
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when the call fails or no version carries the label.
    pub async fn version_by_stage(&self, stage: &str) -> Result<SecretVersion, SourceError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(stage)
            .send()
            .await
            .map_err(|e| source_error("GetSecretValue", &self.secret_id, &e))?;
        self.version(output)
    }

    /// Fetches the version with the id `version_id`.
    ///
    /// # Errors
    ///
    /// Returns a [`SourceError`] when the call fails or the version does not exist.
    pub async fn version_by_id(&self, version_id: &str) -> Result<SecretVersion, SourceError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_id(version_id)
            .send()
            .await
            .map_err(|e| source_error("GetSecretValue", &self.secret_id, &e))?;
        self.version(output)
    }

    fn version(&self, output: GetSecretValueOutput) -> Result<SecretVersion, SourceError> {
        let GetSecretValueOutput {
            version_id,
            secret_string,
            secret_binary,
            ..
        } = output;
        let value = match (secret_string, secret_binary) {
            (Some(text), _) => SecretValue::from_text(text),
            (None, Some(blob)) => SecretValue::from_bytes(blob.into_inner()),
            (None, None) => {
                return Err(SourceError::Invalid(format!(
                    "GetSecretValue {}: the answer holds no value",
                    self.secret_id
                )))
            }
        };
        let Some(version_id) = version_id else {
            return Err(SourceError::Service(format!(
                "GetSecretValue {}: the answer names no version id",
                self.secret_id
            )));
        };
        Ok(SecretVersion::new(version_id, value))
    }

    /// Returns the version staged as `stage` other than current: cached when its id is,
    /// fetched by id otherwise; `None` when absent, ambiguous or deleted meanwhile.
    async fn other_stage(
        &self,
        stages: &HashMap<String, Vec<String>>,
        stage: &str,
        current: &SecretVersion,
        cached: Option<&SecretVersions>,
    ) -> Result<Option<SecretVersion>, SourceError> {
        let ids = holding(stages, stage);
        let [id] = ids.as_slice() else {
            return Ok(None);
        };
        if *id == current.id() {
            return Ok(None);
        }
        if let Some(version) = cached.and_then(|c| c.find(id)) {
            return Ok(Some(version.clone()));
        }
        match self.version_by_id(id).await {
            Ok(version) => Ok(Some(version)),
            Err(SourceError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl std::fmt::Debug for SecretsManagerSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerSource")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

/// Lists the version ids that carry `stage`.
fn holding<'a>(stages: &'a HashMap<String, Vec<String>>, stage: &str) -> Vec<&'a str> {
    stages
        .iter()
        .filter(|(_, labels)| labels.iter().any(|label| label == stage))
        .map(|(id, _)| id.as_str())
        .collect()
}

#[async_trait]
impl SecretSource for SecretsManagerSource {
    fn kind(&self) -> &'static str {
        "secrets_manager"
    }

    async fn fetch(&self, cached: Option<&SecretVersions>) -> Result<SecretVersions, SourceError> {
        let stages = self.stages().await?;

        let current_ids = holding(&stages, CURRENT);
        let reused = match current_ids.as_slice() {
            [id] => cached.and_then(|c| c.find(id)).cloned(),
            _ => None,
        };
        let current = match reused {
            Some(version) => version,
            None => self.version_by_stage(CURRENT).await?,
        };

        let previous = self
            .other_stage(&stages, PREVIOUS, &current, cached)
            .await?;
        let pending = self.other_stage(&stages, PENDING, &current, cached).await?;
        Ok(SecretVersions::new(current)
            .with_previous(previous)
            .with_pending(pending))
    }
}
