//! Where a key ring is kept: a file, a Secrets Manager secret or an SSM parameter.
//!
//! `--ring` takes `secretsmanager:<secret id>`, `ssm:<parameter name>` or a file path.
//! AWS locations use the standard configuration chain (region, credentials, profiles,
//! `AWS_ENDPOINT_URL`). The secret or parameter must exist: creating it is where its KMS key
//! and access policy are chosen, which this tool leaves to infrastructure code.

use std::path::PathBuf;

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use zt_core::verify::api_key::RingDocument;

use crate::ring_file;

/// Names where a ring is read from and written to.
#[derive(Debug, Clone)]
pub(crate) enum RingLocation {
    File(PathBuf),
    SecretsManager(String),
    Parameter(String),
}

impl RingLocation {
    /// Parses a `--ring` value.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let location = if let Some(id) = text.strip_prefix("secretsmanager:") {
            Self::SecretsManager(id.to_owned())
        } else if let Some(name) = text.strip_prefix("ssm:") {
            Self::Parameter(name.to_owned())
        } else {
            Self::File(PathBuf::from(text))
        };
        match &location {
            Self::SecretsManager(s) | Self::Parameter(s) if s.is_empty() => Err(format!(
                "--ring {text}: name the secret or parameter after the colon"
            )),
            Self::File(p) if p.as_os_str().is_empty() => Err("--ring: give a location".into()),
            _ => Ok(location),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::SecretsManager(id) => format!("secretsmanager:{id}"),
            Self::Parameter(name) => format!("ssm:{name}"),
        }
    }

    /// Reads the ring; a missing file is an empty ring when `creating`, a missing secret is
    /// always an error.
    pub(crate) fn load(&self, creating: bool) -> Result<RingDocument, String> {
        let text = match self {
            Self::File(path) => return ring_file::load(path, creating),
            Self::SecretsManager(id) => block_on(async {
                let client = aws_sdk_secretsmanager::Client::new(&config().await);
                let out = client
                    .get_secret_value()
                    .secret_id(id)
                    .version_stage("AWSCURRENT")
                    .send()
                    .await
                    .map_err(|e| self.aws_error(&e))?;
                out.secret_string()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("--ring {}: the secret holds no text", self.describe()))
            })?,
            Self::Parameter(name) => block_on(async {
                let client = aws_sdk_ssm::Client::new(&config().await);
                let out = client
                    .get_parameter()
                    .name(name)
                    .with_decryption(true)
                    .send()
                    .await
                    .map_err(|e| self.aws_error(&e))?;
                out.parameter()
                    .and_then(|p| p.value())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        format!("--ring {}: the parameter has no value", self.describe())
                    })
            })?,
        };
        if text.trim().is_empty() {
            return Ok(RingDocument {
                version: 1,
                keys: Vec::new(),
            });
        }
        RingDocument::from_json(text.as_bytes())
            .map_err(|e| format!("--ring {}: {e}", self.describe()))
    }

    /// Writes the ring: a new file, a new secret version (which becomes `AWSCURRENT`, the
    /// old one `AWSPREVIOUS`), or a new parameter version.
    pub(crate) fn save(&self, doc: &RingDocument) -> Result<(), String> {
        let json = doc.to_json();
        match self {
            Self::File(path) => ring_file::save(path, doc),
            Self::SecretsManager(id) => block_on(async {
                let client = aws_sdk_secretsmanager::Client::new(&config().await);
                client
                    .put_secret_value()
                    .secret_id(id)
                    .secret_string(json)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| self.aws_error(&e))
            }),
            Self::Parameter(name) => block_on(async {
                let client = aws_sdk_ssm::Client::new(&config().await);
                client
                    .put_parameter()
                    .name(name)
                    .value(json)
                    .overwrite(true)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| self.aws_error(&e))
            }),
        }
    }

    fn aws_error<E>(&self, error: &E) -> String
    where
        E: ProvideErrorMetadata + std::error::Error,
    {
        let Some(code) = error.code() else {
            return format!("--ring {}: cannot reach AWS: {error}", self.describe());
        };
        let hint = match code {
            "ResourceNotFoundException" | "ParameterNotFound" => {
                "; create it first with its customer-managed KMS key and access policy, \
                 holding an empty ring: {\"version\":1,\"keys\":[]}"
            }
            _ => "",
        };
        let message = error.message().unwrap_or("no message");
        format!(
            "--ring {}: AWS refused: {code}: {message}{hint}",
            self.describe()
        )
    }
}

async fn config() -> aws_config::SdkConfig {
    zt_core::secret::load_aws_config().await
}

fn block_on<T>(future: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(future)
}
