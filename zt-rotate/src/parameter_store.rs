//! Rotation of a `SecureString` in SSM Parameter Store: a new version, then a label move.

use aws_sdk_ssm::types::{ParameterHistory, ParameterType, ResourceTypeForTagging};
use aws_sdk_ssm::Client;
use zeroize::{Zeroize, Zeroizing};

use crate::secrets_manager::now;
use crate::{RotateError, SecretKind};

/// Rotates a `SecureString` parameter: writes the next value as a new version encrypted
/// with a customer-managed KMS key, then moves the `current` label to it and the `previous`
/// label to the version it replaces.
///
/// Readers that follow the label (`ParameterStoreSource::current_label("current")` in
/// zt-core) switch at the label move; the replaced version stays readable as N-1 of the new
/// one and under `previous`, so holders of the old value keep working until they switch.
/// The first rotation of a parameter without the label takes its latest version as current.
///
/// The kind of secret comes from the parameter's tag `zt:kind` (`psk` or `api-key-ring`),
/// else from [`ParameterRotation::default_kind`].
///
/// # Security
///
/// The new version is encrypted with [`ParameterRotation::kms_key_id`], else with the key of
/// the version it replaces; a rotation that would fall back to the AWS-managed key
/// `alias/aws/ssm` is refused. The caller needs `ssm:GetParameterHistory`, `GetParameter`,
/// `PutParameter`, `LabelParameterVersion` and `ListTagsForResource` on the parameter, and
/// `kms:Decrypt` and `kms:Encrypt` on the key.
///
/// # Limitations
///
/// Parameter Store has no staged rotation: there is no pending version that verifiers could
/// accept ahead of the switch. A version written by someone else between this rotation's
/// read and its write is kept in the history but not labelled.
#[derive(Debug, Clone)]
pub struct ParameterRotation {
    client: Client,
    kms_key_id: Option<String>,
    current_label: String,
    previous_label: String,
    default_kind: Option<SecretKind>,
}

/// The versions a Parameter Store rotation moved the labels between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotatedParameter {
    /// The version that was current, now labelled previous.
    pub previous: i64,
    /// The new version, now labelled current.
    pub current: i64,
}

impl ParameterRotation {
    /// Rotates with a client built from `config`, moving the labels `current` and `previous`.
    #[must_use]
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self::from_client(Client::new(config))
    }

    /// Rotates with a client the caller built.
    #[must_use]
    pub fn from_client(client: Client) -> Self {
        Self {
            client,
            kms_key_id: None,
            current_label: "current".to_owned(),
            previous_label: "previous".to_owned(),
            default_kind: None,
        }
    }

    /// Encrypts new versions with this KMS key (id, ARN or alias); by default, with the key
    /// of the version being replaced.
    #[must_use]
    pub fn kms_key_id(mut self, key: impl Into<String>) -> Self {
        self.kms_key_id = Some(key.into());
        self
    }

    /// Sets the labels moved to the new version (default `current`) and to the replaced one
    /// (default `previous`).
    ///
    /// # Errors
    ///
    /// Returns [`RotateError::Setting`] for a label Parameter Store would refuse, or two
    /// equal labels.
    pub fn labels(mut self, current: &str, previous: &str) -> Result<Self, RotateError> {
        for (setting, label) in [
            ("parameter_rotation.current_label", current),
            ("parameter_rotation.previous_label", previous),
        ] {
            check_label(setting, label)?;
        }
        if current == previous {
            return Err(RotateError::Setting {
                setting: "parameter_rotation.previous_label",
                problem: "must differ from the current label".to_owned(),
            });
        }
        current.clone_into(&mut self.current_label);
        previous.clone_into(&mut self.previous_label);
        Ok(self)
    }

    /// Sets the kind of parameters that carry no `zt:kind` tag; by default such a parameter
    /// is refused.
    #[must_use]
    pub const fn default_kind(mut self, kind: SecretKind) -> Self {
        self.default_kind = Some(kind);
        self
    }

    /// Rotates the parameter `name`.
    ///
    /// # Errors
    ///
    /// Returns a [`RotateError`] when an AWS call fails, the parameter is not a
    /// `SecureString`, its kind is undeclared, the current value is unusable, or no
    /// customer-managed key is known for it.
    pub async fn rotate(&self, name: &str) -> Result<RotatedParameter, RotateError> {
        let history = self.history(name).await?;
        let current = history
            .iter()
            .find(|v| v.labels().contains(&self.current_label))
            .or_else(|| history.iter().max_by_key(|v| v.version()))
            .ok_or_else(|| RotateError::value(format!("parameter {name}"), "it has no version"))?;
        if current.r#type() != Some(&ParameterType::SecureString) {
            return Err(RotateError::value(
                format!("parameter {name}"),
                "it is not a SecureString; recreate it as one with a customer-managed KMS key",
            ));
        }
        let key = self.key_for(name, current.key_id())?;
        let kind = self.kind(name).await?;

        let target = format!("parameter {name}:{}", current.version());
        let value = self.value(name, current.version()).await?;
        let next = kind.next_value(&target, &value, now())?;
        kind.test_value(&target, next.as_bytes(), Some(&value), now())?;

        let put = self
            .client
            .put_parameter()
            .name(name)
            .value(next.as_str())
            .r#type(ParameterType::SecureString)
            .key_id(key)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| RotateError::aws("PutParameter", name, &e))?;
        let rotated = RotatedParameter {
            previous: current.version(),
            current: put.version(),
        };
        self.label(name, rotated.current, &self.current_label)
            .await?;
        self.label(name, rotated.previous, &self.previous_label)
            .await?;
        tracing::info!(
            target: "zt::rotation",
            parameter = name,
            previous = rotated.previous,
            current = rotated.current,
            kind = kind.tag(),
            "parameter rotated"
        );
        Ok(rotated)
    }

    fn key_for<'a>(
        &'a self,
        name: &str,
        existing: Option<&'a str>,
    ) -> Result<&'a str, RotateError> {
        match self.kms_key_id.as_deref().or(existing) {
            Some(key) if !key.trim().is_empty() && !key.starts_with("alias/aws/") => Ok(key),
            _ => Err(RotateError::Setting {
                setting: "parameter_rotation.kms_key_id",
                problem: format!(
                    "parameter {name} is encrypted with the AWS-managed key; name a \
                     customer-managed KMS key for its new versions (--kms-key-id)"
                ),
            }),
        }
    }

    async fn history(&self, name: &str) -> Result<Vec<ParameterHistory>, RotateError> {
        let mut versions = Vec::new();
        let mut next_token = None;
        loop {
            let output = self
                .client
                .get_parameter_history()
                .name(name)
                .with_decryption(false)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| RotateError::aws("GetParameterHistory", name, &e))?;
            for mut entry in output.parameters.unwrap_or_default() {
                if let Some(value) = entry.value.as_mut() {
                    value.zeroize();
                }
                versions.push(entry);
            }
            next_token = output.next_token;
            if next_token.is_none() {
                return Ok(versions);
            }
        }
    }

    async fn value(&self, name: &str, version: i64) -> Result<Zeroizing<Vec<u8>>, RotateError> {
        let selector = format!("{name}:{version}");
        let output = self
            .client
            .get_parameter()
            .name(&selector)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| RotateError::aws("GetParameter", &selector, &e))?;
        output
            .parameter
            .and_then(|p| p.value)
            .map(|v| Zeroizing::new(v.into_bytes()))
            .ok_or_else(|| RotateError::value(format!("parameter {selector}"), "it holds no value"))
    }

    async fn kind(&self, name: &str) -> Result<SecretKind, RotateError> {
        let tags = self
            .client
            .list_tags_for_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .send()
            .await
            .map_err(|e| RotateError::aws("ListTagsForResource", name, &e))?;
        SecretKind::resolve(
            &format!("parameter {name}"),
            tags.tag_list().iter().map(|t| (t.key(), t.value())),
            self.default_kind,
        )
    }

    async fn label(&self, name: &str, version: i64, label: &str) -> Result<(), RotateError> {
        self.client
            .label_parameter_version()
            .name(name)
            .parameter_version(version)
            .labels(label)
            .send()
            .await
            .map_err(|e| RotateError::aws("LabelParameterVersion", name, &e))?;
        Ok(())
    }
}

fn check_label(setting: &'static str, label: &str) -> Result<(), RotateError> {
    let lower = label.to_ascii_lowercase();
    let valid = !label.is_empty()
        && label.len() <= 100
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        return Ok(());
    }
    Err(RotateError::Setting {
        setting,
        problem: "a label has 1 to 100 letters, digits, `.`, `-` or `_`, does not start with a \
                  digit, and does not start with `aws` or `ssm`"
            .to_owned(),
    })
}
