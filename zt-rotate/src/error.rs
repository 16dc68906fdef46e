//! What can go wrong while rotating or checking a secret.

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Explains why a rotation step or a policy check could not be carried out.
///
/// Messages name the secret, the AWS call and AWS's error code; never a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// An AWS call failed: refused, not found, throttled or unreachable.
    #[error("{call} {target}: {failure}")]
    Aws {
        /// The AWS operation, e.g. `DescribeSecret`.
        call: &'static str,
        /// The secret, parameter or key the call was about.
        target: String,
        /// What went wrong.
        failure: AwsFailure,
    },
    /// Rotation is not enabled on the secret, so the event is not from Secrets Manager's
    /// rotation of it.
    #[error(
        "secret {0}: rotation is not enabled; enable it (RotateSecret with a rotation function \
         and schedule) before rotating"
    )]
    NotEnabled(String),
    /// The token names no version of the secret staged for this rotation.
    #[error("secret {secret}: version {token} {problem}")]
    NotStaged {
        /// The secret.
        secret: String,
        /// The client request token of the event.
        token: String,
        /// How the version falls short.
        problem: &'static str,
    },
    /// The event names a step that is not one of the four.
    #[error(
        "unknown rotation step `{0}`: expected createSecret, setSecret, testSecret or finishSecret"
    )]
    UnknownStep(String),
    /// The kind of the secret (PSK or key ring) is not declared, or not known.
    #[error("{target}: {problem}")]
    Kind {
        /// The secret or parameter.
        target: String,
        /// What is wrong with its declared kind.
        problem: String,
    },
    /// A stored value is not what its kind requires; the rotation stops before using it.
    #[error("{target}: {problem}")]
    Value {
        /// The secret or parameter, with the version or stage at fault.
        target: String,
        /// What is wrong with the value, never the value itself.
        problem: String,
    },
    /// A setting of the rotation is missing or wrong.
    #[error("setting {setting}: {problem}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// What is wrong and what to do.
        problem: String,
    },
}

/// Says how an AWS call failed, so that callers tell a missing permission from an outage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AwsFailure {
    /// The caller lacks a permission, or its credentials were refused.
    #[error("access denied: {0}")]
    Denied(String),
    /// The resource does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// AWS asked the caller to slow down.
    #[error("throttled: {0}")]
    Throttled(String),
    /// AWS could not be reached, or did not answer in time.
    #[error("AWS unreachable: {0}")]
    Unreachable(String),
    /// AWS answered with another error.
    #[error("{0}")]
    Service(String),
}

impl AwsFailure {
    /// Classifies an SDK error by its AWS error code.
    pub(crate) fn of<E>(error: &SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match error {
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
                let code = error.code().unwrap_or_default();
                let status = error.raw_response().map(|r| r.status().as_u16());
                let text = match (code, error.message()) {
                    ("", _) => format!("HTTP {}", status.unwrap_or_default()),
                    (code, Some(message)) => format!("{code}: {message}"),
                    (code, None) => code.to_owned(),
                };
                if code.contains("AccessDenied")
                    || code.contains("Unauthorized")
                    || matches!(
                        code,
                        "UnrecognizedClientException"
                            | "InvalidSignatureException"
                            | "SignatureDoesNotMatch"
                            | "ExpiredTokenException"
                            | "InvalidClientTokenId"
                    )
                    || status == Some(403)
                {
                    Self::Denied(text)
                } else if code.contains("NotFound") {
                    Self::NotFound(text)
                } else if code.contains("Throttl") || status == Some(429) {
                    Self::Throttled(text)
                } else {
                    Self::Service(text)
                }
            }
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                Self::Unreachable(DisplayErrorContext(error).to_string())
            }
            _ => Self::Service(DisplayErrorContext(error).to_string()),
        }
    }
}

impl RotateError {
    /// Wraps a failed AWS call.
    pub(crate) fn aws<E>(call: &'static str, target: &str, error: &SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        Self::Aws {
            call,
            target: target.to_owned(),
            failure: AwsFailure::of(error),
        }
    }

    /// Tells whether the error is an AWS "not found".
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Aws {
                failure: AwsFailure::NotFound(_),
                ..
            }
        )
    }

    pub(crate) fn value(target: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Value {
            target: target.into(),
            problem: problem.into(),
        }
    }
}
