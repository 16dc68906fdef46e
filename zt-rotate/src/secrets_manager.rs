//! The Secrets Manager rotation function: createSecret, setSecret, testSecret, finishSecret.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use aws_sdk_secretsmanager::Client;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::{RotateError, SecretKind};

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";

/// One of the four steps Secrets Manager asks a rotation function to take, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// `createSecret`: stores a new value as `AWSPENDING` under the event's token.
    Create,
    /// `setSecret`: makes the service that uses the secret accept the pending value.
    Set,
    /// `testSecret`: checks the pending value.
    Test,
    /// `finishSecret`: moves `AWSCURRENT` to the pending version.
    Finish,
}

impl Step {
    /// The four steps in the order a rotation takes them.
    pub const ALL: [Self; 4] = [Self::Create, Self::Set, Self::Test, Self::Finish];

    /// Reads a step as Secrets Manager names it (`createSecret`) or as the CLI does
    /// (`create`).
    ///
    /// # Errors
    ///
    /// Returns [`RotateError::UnknownStep`] for any other text.
    pub fn parse(text: &str) -> Result<Self, RotateError> {
        match text {
            "createSecret" | "create" => Ok(Self::Create),
            "setSecret" | "set" => Ok(Self::Set),
            "testSecret" | "test" => Ok(Self::Test),
            "finishSecret" | "finish" => Ok(Self::Finish),
            other => Err(RotateError::UnknownStep(other.chars().take(40).collect())),
        }
    }

    /// Returns the name Secrets Manager uses, e.g. `createSecret`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Create => "createSecret",
            Self::Set => "setSecret",
            Self::Test => "testSecret",
            Self::Finish => "finishSecret",
        }
    }
}

/// The event Secrets Manager sends a rotation function.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationEvent {
    /// `createSecret`, `setSecret`, `testSecret` or `finishSecret`.
    pub step: String,
    /// The secret's ARN or name.
    pub secret_id: String,
    /// The version id of the value being rotated in.
    pub client_request_token: String,
}

/// Rotates secrets kept in Secrets Manager, following the rotation function contract.
///
/// Each step first reads the secret's metadata (`DescribeSecret`) and refuses to act unless
/// rotation is enabled and the token names a version staged `AWSPENDING`; a token already
/// staged `AWSCURRENT` means the rotation finished, and the step does nothing. createSecret
/// also accepts a token that no version has yet: Secrets Manager always stages the token
/// first, but a rotation driven without it ([`SecretsManagerRotation::rotate_now`], the
/// CLI) starts that way. Then:
///
/// - **createSecret** does nothing when the token's version already holds a value;
///   otherwise it makes the next value from `AWSCURRENT` (see [`SecretKind`]) and stores it
///   under the token with `AWSPENDING`.
/// - **setSecret** does nothing: PSKs and key rings live only in Secrets Manager, and every
///   verifier reads them from there (current and previous are both accepted, so peers switch
///   at their own pace).
/// - **testSecret** checks the pending value ([`SecretKind::test_value`]).
/// - **finishSecret** tests a key ring again (a key issued meanwhile must not be lost), then
///   moves `AWSCURRENT` to the token's version; Secrets Manager labels the old one
///   `AWSPREVIOUS`.
///
/// The kind of each secret comes from its tag `zt:kind` (`psk` or `api-key-ring`), else from
/// [`SecretsManagerRotation::default_kind`].
///
/// # Security
///
/// Values are held in zeroizing buffers and never logged; log events (target
/// `zt::rotation`) carry the secret id, the step and version ids. The function needs
/// `secretsmanager:DescribeSecret`, `GetSecretValue`, `PutSecretValue` and
/// `UpdateSecretVersionStage` on the secret, and `kms:Decrypt` and `kms:GenerateDataKey` on
/// its key.
///
/// # Limitations
///
/// A key issued with `zt keys create` between finishSecret's test and its stage move is lost
/// from the ring; issue it again. The window is one AWS call long.
#[derive(Debug, Clone)]
pub struct SecretsManagerRotation {
    client: Client,
    default_kind: Option<SecretKind>,
}

impl SecretsManagerRotation {
    /// Rotates with a client built from `config`.
    #[must_use]
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self::from_client(Client::new(config))
    }

    /// Rotates with a client the caller built.
    #[must_use]
    pub const fn from_client(client: Client) -> Self {
        Self {
            client,
            default_kind: None,
        }
    }

    /// Sets the kind of secrets that carry no `zt:kind` tag; by default such a secret is
    /// refused, since rotating a key ring as a PSK would destroy it.
    #[must_use]
    pub const fn default_kind(mut self, kind: SecretKind) -> Self {
        self.default_kind = Some(kind);
        self
    }

    /// Handles one event from Secrets Manager.
    ///
    /// # Errors
    ///
    /// Returns a [`RotateError`] when the step is unknown, the contract is not met (rotation
    /// disabled, token not staged), a value is refused, or an AWS call fails. Secrets Manager
    /// then retries the step.
    pub async fn handle(&self, event: &RotationEvent) -> Result<(), RotateError> {
        let step = Step::parse(&event.step)?;
        self.step(step, &event.secret_id, &event.client_request_token)
            .await
    }

    /// Runs `step` of the rotation that `token` identifies.
    ///
    /// # Errors
    ///
    /// As [`SecretsManagerRotation::handle`].
    pub async fn step(&self, step: Step, secret_id: &str, token: &str) -> Result<(), RotateError> {
        let meta = self.describe(secret_id).await?;
        if meta.rotation_enabled() != Some(true) {
            return Err(RotateError::NotEnabled(secret_id.to_owned()));
        }
        let stages = meta.version_ids_to_stages().cloned().unwrap_or_default();
        let fresh = [PENDING.to_owned()];
        let labels = match stages.get(token) {
            Some(labels) => labels.as_slice(),
            // Secrets Manager stages the token before createSecret; a caller without the
            // service (the CLI, a test) starts with a token no version has yet.
            None if step == Step::Create => &fresh[..],
            None => {
                return Err(RotateError::NotStaged {
                    secret: secret_id.to_owned(),
                    token: token.to_owned(),
                    problem: "has no stage for rotation",
                })
            }
        };
        if labels.iter().any(|l| l == CURRENT) {
            tracing::info!(
                target: "zt::rotation",
                secret = secret_id,
                step = step.name(),
                version = token,
                "the version is already current; nothing to do"
            );
            return Ok(());
        }
        if !labels.iter().any(|l| l == PENDING) {
            return Err(RotateError::NotStaged {
                secret: secret_id.to_owned(),
                token: token.to_owned(),
                problem: "is not staged AWSPENDING for rotation",
            });
        }

        let kind = SecretKind::resolve(
            secret_id,
            meta.tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value()?))),
            self.default_kind,
        )?;
        match step {
            Step::Create => self.create(secret_id, token, kind).await,
            Step::Set => Ok(()),
            Step::Test => self.test(secret_id, token, kind).await,
            Step::Finish => self.finish(secret_id, token, kind, &stages).await,
        }?;
        tracing::info!(
            target: "zt::rotation",
            secret = secret_id,
            step = step.name(),
            version = token,
            kind = kind.tag(),
            "rotation step done"
        );
        Ok(())
    }

    /// Rotates `secret_id` now, as Secrets Manager would: stages a new version under a fresh
    /// token, then runs setSecret, testSecret and finishSecret, and finally removes
    /// `AWSPENDING` from the new current version. Returns the new version id.
    ///
    /// Use it from the command line, or where no rotation function is deployed. The secret
    /// must have rotation enabled, as for the function.
    ///
    /// # Errors
    ///
    /// As [`SecretsManagerRotation::handle`]. A failure after the first step leaves the new
    /// value staged `AWSPENDING`; the next rotation replaces it.
    pub async fn rotate_now(&self, secret_id: &str) -> Result<String, RotateError> {
        let token = new_token(secret_id)?;
        for step in Step::ALL {
            self.step(step, secret_id, &token).await?;
        }
        self.client
            .update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(PENDING)
            .remove_from_version_id(&token)
            .send()
            .await
            .map_err(|e| RotateError::aws("UpdateSecretVersionStage", secret_id, &e))?;
        Ok(token)
    }

    /// Asks Secrets Manager to rotate `secret_id` now with the rotation function configured
    /// on it (`RotateSecret`), and returns the new version id. The service runs the four
    /// steps and records the rotation date that the policy check reads, which a rotation
    /// driven by [`SecretsManagerRotation::rotate_now`] does not.
    ///
    /// # Errors
    ///
    /// Returns [`RotateError::Setting`] when no rotation function is configured on the
    /// secret, or an AWS error when the call fails. The outcome of the steps themselves is
    /// in the function's logs, not here: the service runs them after answering.
    pub async fn start_service_rotation(&self, secret_id: &str) -> Result<String, RotateError> {
        let meta = self.describe(secret_id).await?;
        if meta.rotation_lambda_arn().is_none_or(str::is_empty) {
            return Err(RotateError::Setting {
                setting: "RotationLambdaARN",
                problem: format!(
                    "secret {secret_id} has no rotation function; deploy one (the \
                     rotation-lambda example) and enable rotation with it"
                ),
            });
        }
        let output = self
            .client
            .rotate_secret()
            .secret_id(secret_id)
            .rotate_immediately(true)
            .send()
            .await
            .map_err(|e| RotateError::aws("RotateSecret", secret_id, &e))?;
        Ok(output.version_id.unwrap_or_default())
    }

    async fn describe(&self, secret_id: &str) -> Result<DescribeSecretOutput, RotateError> {
        self.client
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| RotateError::aws("DescribeSecret", secret_id, &e))
    }

    async fn value(
        &self,
        secret_id: &str,
        stage: &str,
        version: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, RotateError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .version_stage(stage)
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .map_err(|e| RotateError::aws("GetSecretValue", secret_id, &e))?;
        match (output.secret_string, output.secret_binary) {
            (Some(text), _) => Ok(Zeroizing::new(text.into_bytes())),
            (None, Some(blob)) => Ok(Zeroizing::new(blob.into_inner())),
            (None, None) => Err(RotateError::value(
                format!("secret {secret_id} ({stage})"),
                "the version holds no value",
            )),
        }
    }

    async fn create(
        &self,
        secret_id: &str,
        token: &str,
        kind: SecretKind,
    ) -> Result<(), RotateError> {
        match self.value(secret_id, PENDING, Some(token)).await {
            Ok(_) => {
                tracing::info!(
                    target: "zt::rotation",
                    secret = secret_id,
                    version = token,
                    "the pending version already holds a value; createSecret does nothing"
                );
                return Ok(());
            }
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error),
        }

        let current = self.value(secret_id, CURRENT, None).await?;
        let next = kind.next_value(&format!("secret {secret_id} (AWSCURRENT)"), &current, now())?;
        self.client
            .put_secret_value()
            .secret_id(secret_id)
            .client_request_token(token)
            .secret_string(next.as_str())
            .version_stages(PENDING)
            .send()
            .await
            .map_err(|e| RotateError::aws("PutSecretValue", secret_id, &e))?;
        Ok(())
    }

    async fn test(
        &self,
        secret_id: &str,
        token: &str,
        kind: SecretKind,
    ) -> Result<(), RotateError> {
        let pending = self.value(secret_id, PENDING, Some(token)).await?;
        let current = self.value(secret_id, CURRENT, None).await?;
        kind.test_value(
            &format!("secret {secret_id} (AWSPENDING {token})"),
            &pending,
            Some(&current),
            now(),
        )
    }

    async fn finish(
        &self,
        secret_id: &str,
        token: &str,
        kind: SecretKind,
        stages: &HashMap<String, Vec<String>>,
    ) -> Result<(), RotateError> {
        if matches!(kind, SecretKind::KeyRing { .. }) {
            self.test(secret_id, token, kind).await?;
        }
        let current = stages
            .iter()
            .find(|(_, labels)| labels.iter().any(|l| l == CURRENT))
            .map(|(id, _)| id.clone());
        self.client
            .update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(CURRENT)
            .move_to_version_id(token)
            .set_remove_from_version_id(current)
            .send()
            .await
            .map_err(|e| RotateError::aws("UpdateSecretVersionStage", secret_id, &e))?;
        Ok(())
    }
}

/// Returns the current time in Unix seconds.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Makes a version id as Secrets Manager does: a random (version 4) UUID.
fn new_token(secret_id: &str) -> Result<String, RotateError> {
    let mut b = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| {
        RotateError::value(secret_id, "the operating system's random generator failed")
    })?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

    use super::*;

    #[test]
    fn steps_parse_in_both_spellings() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.name()).unwrap(), step);
        }
        assert_eq!(Step::parse("finish").unwrap(), Step::Finish);
        assert!(matches!(
            Step::parse("deleteSecret"),
            Err(RotateError::UnknownStep(_))
        ));
    }

    #[test]
    fn tokens_are_version_4_uuids() {
        let token = new_token("s").unwrap();
        assert_eq!(token.len(), 36);
        assert_eq!(&token[14..15], "4");
        assert_ne!(token, new_token("s").unwrap());
    }
}
