//! Sources backed by AWS: Secrets Manager and SSM Parameter Store.
//!
//! Clients are configured through aws-config's standard chain (environment, shared config
//! and credentials files, profiles, container and instance roles, `AWS_ENDPOINT_URL`), so
//! the same code runs against AWS and against a local emulator such as `moto_server`.

mod parameter_store;
mod secrets_manager;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

pub use parameter_store::{ParameterStoreSource, ParameterVersion};
pub use secrets_manager::SecretsManagerSource;

use super::SourceError;

/// Loads AWS configuration through the standard chain: region, credentials, profiles and
/// `AWS_ENDPOINT_URL`, as every AWS SDK does.
///
/// # Limitations
///
/// Profiles that use AWS SSO (IAM Identity Center) or `credential_process` are not supported:
/// those aws-config features are left out to keep the dependency tree small. Environment
/// credentials, static profiles, assumed roles, web identity (EKS), ECS and EC2 instance roles
/// work.
pub async fn load_aws_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// Error codes AWS uses when it throttles a caller.
const THROTTLING: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
];

/// Error codes for a secret, parameter or version that does not exist.
const NOT_FOUND: &[&str] = &[
    "ResourceNotFoundException",
    "ParameterNotFound",
    "ParameterVersionNotFound",
    "ParameterVersionLabelNotFound",
];

/// Error codes for a caller that may not read the secret, or whose credentials are refused.
const DENIED: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "KMSAccessDeniedException",
];

/// Turns an SDK error into a [`SourceError`] that names the call and the secret.
///
/// The texts come from the service's error code and message and the connector's error, which
/// never carry a secret value.
fn source_error<E>(call: &str, secret: &str, error: &SdkError<E>) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let context = format!("{call} {secret}");
    match error {
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let status = error.raw_response().map(|r| r.status().as_u16());
            let code = error.code().unwrap_or_default();
            let what = match (code, status) {
                ("", Some(status)) => format!("{context}: HTTP {status}"),
                ("", None) => format!("{context}: unreadable answer"),
                (code, _) => match error.message() {
                    Some(message) => format!("{context}: {code}: {message}"),
                    None => format!("{context}: {code}"),
                },
            };
            if THROTTLING.contains(&code) || status == Some(429) {
                SourceError::Throttled(what)
            } else if NOT_FOUND.contains(&code) {
                SourceError::NotFound(what)
            } else if DENIED.contains(&code) {
                SourceError::Denied(what)
            } else {
                SourceError::Service(what)
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            SourceError::Unreachable(format!("{context}: {}", DisplayErrorContext(error)))
        }
        _ => SourceError::Other(format!("{context}: {}", DisplayErrorContext(error))),
    }
}
