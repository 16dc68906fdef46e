//! A Secrets Manager rotation function for Zero Trust secrets: pre-shared keys and API key
//! rings, deployed as an AWS Lambda (custom runtime `provided.al2023`).
//!
//! Settings, read once at start; a bad value stops the function with a message naming it:
//!
//! - `ZT_ROTATE_DEFAULT_KIND`: `psk` or `api-key-ring`, for secrets without a `zt:kind` tag.
//!   Unset by default: an untagged secret is refused rather than rotated as the wrong kind.
//! - `ZT_ROTATE_RING_GRACE`: how long an expired key stays in a ring, e.g. `30d` (the
//!   default).
//! - `RUST_LOG`: log filter, `info` by default. Logs never hold secret values.

use std::time::Duration;

use aws_lambda_events::event::secretsmanager::SecretsManagerSecretRotationEvent;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use zt_rotate::{RotationEvent, SecretKind, SecretsManagerRotation};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .without_time()
        .with_ansi(false)
        .init();

    let kind = default_kind(
        std::env::var("ZT_ROTATE_DEFAULT_KIND").ok().as_deref(),
        std::env::var("ZT_ROTATE_RING_GRACE").ok().as_deref(),
    )?;
    let aws = zt_core::secret::load_aws_config().await;
    let mut rotation = SecretsManagerRotation::new(&aws);
    if let Some(kind) = kind {
        rotation = rotation.default_kind(kind);
    }

    let rotation = &rotation;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<SecretsManagerSecretRotationEvent>| async move {
            handle(rotation, event.payload).await
        },
    ))
    .await
}

/// Runs one rotation step; the error message names the secret and what failed, never a
/// value, and Secrets Manager retries the step.
async fn handle(
    rotation: &SecretsManagerRotation,
    event: SecretsManagerSecretRotationEvent,
) -> Result<(), Diagnostic> {
    rotation.handle(&convert(event)).await.map_err(|error| {
        tracing::error!(target: "zt::rotation", %error, "rotation step failed");
        Diagnostic {
            error_type: "RotationFailed".to_owned(),
            error_message: error.to_string(),
        }
    })
}

fn convert(event: SecretsManagerSecretRotationEvent) -> RotationEvent {
    RotationEvent {
        step: event.step,
        secret_id: event.secret_id,
        client_request_token: event.client_request_token,
    }
}

/// Reads the default kind and the ring grace from their settings.
fn default_kind(kind: Option<&str>, grace: Option<&str>) -> Result<Option<SecretKind>, String> {
    let grace = match grace {
        None => None,
        Some(text) => Some(humantime::parse_duration(text).map_err(|e| {
            format!("ZT_ROTATE_RING_GRACE: `{text}` is not a duration such as 30d ({e})")
        })?),
    };
    let Some(kind) = kind else {
        return Ok(None);
    };
    match SecretKind::from_tag("ZT_ROTATE_DEFAULT_KIND", kind) {
        Ok(SecretKind::KeyRing { .. }) => Ok(Some(SecretKind::KeyRing {
            grace: grace.unwrap_or(Duration::from_secs(30 * 24 * 3600)),
        })),
        Ok(kind) => Ok(Some(kind)),
        Err(error) => Err(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

    use super::*;

    #[test]
    fn the_service_event_becomes_a_rotation_event() {
        let json = r#"{"Step":"createSecret","SecretId":"arn:aws:secretsmanager:us-east-1:1:secret:psk-Ab12Cd","ClientRequestToken":"4f5c6d7e-0000-4000-8000-000000000001"}"#;
        let event: SecretsManagerSecretRotationEvent = serde_json::from_str(json).unwrap();
        let converted = convert(event);
        assert_eq!(converted.step, "createSecret");
        assert!(converted.secret_id.ends_with("psk-Ab12Cd"));
        assert_eq!(
            converted.client_request_token,
            "4f5c6d7e-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn settings_are_checked_and_name_the_variable() {
        assert_eq!(default_kind(None, None).unwrap(), None);
        assert_eq!(
            default_kind(Some("psk"), None).unwrap(),
            Some(SecretKind::Psk)
        );
        assert_eq!(
            default_kind(Some("api-key-ring"), Some("2d")).unwrap(),
            Some(SecretKind::KeyRing {
                grace: Duration::from_secs(2 * 24 * 3600)
            })
        );
        let err = default_kind(Some("rsa"), None).unwrap_err();
        assert!(err.contains("ZT_ROTATE_DEFAULT_KIND"), "{err}");
        let err = default_kind(None, Some("soon")).unwrap_err();
        assert!(err.contains("ZT_ROTATE_RING_GRACE"), "{err}");
    }
}
