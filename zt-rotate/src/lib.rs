//! Rotation of Zero Trust secrets kept in AWS, and a check that they follow the policy.
//!
//! - [`SecretsManagerRotation`] is a Secrets Manager rotation function: it takes the four
//!   steps (`createSecret`, `setSecret`, `testSecret`, `finishSecret`) for pre-shared keys
//!   and API key rings ([`SecretKind`]). Deploy it as a Lambda (see the
//!   `examples/rotation-lambda` crate) or drive it from `zt secrets rotate`.
//! - [`ParameterRotation`] rotates a `SecureString` in SSM Parameter Store: a new version
//!   with a customer-managed key, then a label move.
//! - [`PolicyCheck`] tells whether a secret follows the policy: customer-managed KMS key,
//!   resource policy, rotation enabled on a schedule and recently done.
//!
//! # Examples
//!
//! ```no_run
//! use zt_rotate::{RotationEvent, SecretsManagerRotation};
//!
//! # async fn run(event: RotationEvent) -> Result<(), zt_rotate::RotateError> {
//! let aws = zt_core::secret::load_aws_config().await;
//! SecretsManagerRotation::new(&aws).handle(&event).await?;
//! # Ok(()) }
//! ```

mod check;
mod error;
mod kind;
mod parameter_store;
mod secrets_manager;

pub use check::{Finding, PolicyCheck, Report, Target};
pub use error::{AwsFailure, RotateError};
pub use kind::{SecretKind, KIND_TAG, PSK_BYTES};
pub use parameter_store::{ParameterRotation, RotatedParameter};
pub use secrets_manager::{RotationEvent, SecretsManagerRotation, Step};
