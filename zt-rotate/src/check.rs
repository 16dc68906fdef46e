//! The secret policy check: customer-managed KMS key, resource policy, rotation schedule
//! and a recent rotation.

use std::time::{Duration, SystemTime};

use aws_sdk_kms::types::{KeyManagerType, KeyState};
use aws_sdk_ssm::types::ParameterType;
use serde::Serialize;
use zeroize::Zeroize;

use crate::RotateError;

/// A secret to check: `secretsmanager:ID` or `ssm:NAME`, as `zt keys --ring` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Secrets Manager secret, by name or ARN.
    SecretsManager(String),
    /// An SSM parameter, by name or ARN.
    Parameter(String),
}

impl Target {
    /// Reads `secretsmanager:ID` or `ssm:NAME`.
    ///
    /// # Errors
    ///
    /// Returns [`RotateError::Setting`] for any other form or an empty name.
    pub fn parse(text: &str) -> Result<Self, RotateError> {
        let target = if let Some(id) = text.strip_prefix("secretsmanager:") {
            Self::SecretsManager(id.to_owned())
        } else if let Some(name) = text.strip_prefix("ssm:") {
            Self::Parameter(name.to_owned())
        } else {
            return Err(RotateError::Setting {
                setting: "secret id",
                problem: format!("`{text}`: write secretsmanager:<secret id> or ssm:<name>"),
            });
        };
        match &target {
            Self::SecretsManager(s) | Self::Parameter(s) if s.trim().is_empty() => {
                Err(RotateError::Setting {
                    setting: "secret id",
                    problem: format!("`{text}`: name the secret or parameter after the colon"),
                })
            }
            _ => Ok(target),
        }
    }

    /// Returns the form [`Target::parse`] reads.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::SecretsManager(id) => format!("secretsmanager:{id}"),
            Self::Parameter(name) => format!("ssm:{name}"),
        }
    }
}

/// The outcome of one rule of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule: `kms-key`, `resource-policy`, `rotation`, `recent-rotation` or
    /// `secure-string`.
    pub rule: &'static str,
    /// Whether the secret follows it.
    pub passed: bool,
    /// What was found, and for a failure what to do.
    pub detail: String,
}

/// Tells how a secret measures up to the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The secret, as `secretsmanager:ID` or `ssm:NAME`.
    pub target: String,
    /// Whether every rule passed.
    pub compliant: bool,
    /// One entry per rule, in a fixed order.
    pub findings: Vec<Finding>,
}

impl Report {
    fn new(target: &Target, findings: Vec<Finding>) -> Self {
        Self {
            target: target.describe(),
            compliant: findings.iter().all(|f| f.passed),
            findings,
        }
    }

    /// Returns the rules that failed.
    pub fn violations(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.passed)
    }
}

/// Checks secrets against the company policy.
///
/// For a Secrets Manager secret:
/// - `kms-key`: encrypted with a customer-managed KMS key (`DescribeKey` says `KeyManager`
///   `CUSTOMER`, state `Enabled`), not the default `aws/secretsmanager` key;
/// - `resource-policy`: a resource policy is attached (it is how the secret is shared);
/// - `rotation`: rotation is enabled with a schedule;
/// - `recent-rotation`: the last rotation is no older than the schedule's interval plus the
///   grace (for a `cron(..)` schedule: the next rotation is not overdue by more than the
///   grace).
///
/// For an SSM parameter:
/// - `secure-string`: the parameter is a `SecureString`;
/// - `kms-key`: its key is customer-managed, as above (not `aws/ssm`);
/// - `recent-rotation`: the version readers use (labelled `current`, else the latest) is no
///   older than [`PolicyCheck::parameter_max_age`] plus the grace.
///
/// # Errors
///
/// A call that fails (no permission, AWS unreachable, secret missing) ends the check with a
/// [`RotateError`]: that is not a verdict on the policy, and callers report it apart.
///
/// # Limitations
///
/// The resource policy is checked for presence only: what it grants is not judged. RAM
/// sharing of parameters is not checked (the emulator the tests use refuses to share SSM
/// parameters through RAM, so the check could not be tested). Parameter Store has no
/// rotation schedule to read; a maximum age stands in for it.
#[derive(Debug, Clone)]
pub struct PolicyCheck {
    secrets: aws_sdk_secretsmanager::Client,
    parameters: aws_sdk_ssm::Client,
    kms: aws_sdk_kms::Client,
    grace: Duration,
    parameter_max_age: Duration,
    current_label: String,
    now: Option<SystemTime>,
}

const DAY: u64 = 24 * 3600;

impl PolicyCheck {
    /// Checks with clients built from `config`; grace 1 day, parameter maximum age 90 days.
    #[must_use]
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            secrets: aws_sdk_secretsmanager::Client::new(config),
            parameters: aws_sdk_ssm::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            grace: Duration::from_secs(DAY),
            parameter_max_age: Duration::from_secs(90 * DAY),
            current_label: "current".to_owned(),
            now: None,
        }
    }

    /// Sets how late a rotation may be before it counts as missed (default 1 day: a
    /// rotation window and a retry).
    #[must_use]
    pub const fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Sets how old a parameter's current version may be (default 90 days).
    #[must_use]
    pub const fn parameter_max_age(mut self, age: Duration) -> Self {
        self.parameter_max_age = age;
        self
    }

    /// Judges ages as of `now` instead of the clock, to check what a report will say later.
    #[must_use]
    pub const fn at(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Checks `target`.
    ///
    /// # Errors
    ///
    /// Returns a [`RotateError`] when a call fails; see the type's documentation.
    pub async fn check(&self, target: &Target) -> Result<Report, RotateError> {
        let findings = match target {
            Target::SecretsManager(id) => self.secret(id).await?,
            Target::Parameter(name) => self.parameter(name).await?,
        };
        Ok(Report::new(target, findings))
    }

    async fn secret(&self, id: &str) -> Result<Vec<Finding>, RotateError> {
        let meta = self
            .secrets
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| RotateError::aws("DescribeSecret", id, &e))?;
        let policy = self
            .secrets
            .get_resource_policy()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| RotateError::aws("GetResourcePolicy", id, &e))?;

        let kms = self
            .kms_key(meta.kms_key_id(), "aws/secretsmanager")
            .await?;
        let shared = match policy.resource_policy().map(str::trim) {
            Some(text) if !text.is_empty() && text != "{}" => {
                pass("resource-policy", "a resource policy is attached")
            }
            _ => fail(
                "resource-policy",
                "no resource policy; share the secret through one (PutResourcePolicy)",
            ),
        };

        let rules = meta.rotation_rules();
        let interval = rules.and_then(|r| {
            r.automatically_after_days()
                .and_then(|d| u64::try_from(d).ok())
                .map(|d| Duration::from_secs(d * DAY))
                .or_else(|| r.schedule_expression().and_then(rate_interval))
        });
        let schedule = rules.and_then(|r| {
            r.schedule_expression().map(str::to_owned).or_else(|| {
                r.automatically_after_days()
                    .map(|d| format!("every {d} days"))
            })
        });
        let lambda = meta
            .rotation_lambda_arn()
            .filter(|a| !a.is_empty())
            .map_or_else(String::new, |a| format!(" by {a}"));
        let rotation = match (meta.rotation_enabled(), &schedule) {
            (Some(true), Some(schedule)) => {
                pass("rotation", format!("enabled, {schedule}{lambda}"))
            }
            (Some(true), None) => fail(
                "rotation",
                "enabled without a schedule; set RotationRules (AutomaticallyAfterDays or \
                 ScheduleExpression)",
            ),
            _ => fail(
                "rotation",
                "not enabled; enable it with RotateSecret, a rotation function and a schedule",
            ),
        };
        let last = meta
            .last_rotated_date()
            .and_then(|d| SystemTime::try_from(*d).ok());
        let next = meta
            .next_rotation_date()
            .and_then(|d| SystemTime::try_from(*d).ok());
        let recent = self.recent_rotation(last, next, interval);
        Ok(vec![kms, shared, rotation, recent])
    }

    fn recent_rotation(
        &self,
        last: Option<SystemTime>,
        next: Option<SystemTime>,
        interval: Option<Duration>,
    ) -> Finding {
        let now = self.now.unwrap_or_else(SystemTime::now);
        let Some(last) = last else {
            return fail(
                "recent-rotation",
                "never rotated by Secrets Manager; start one with RotateSecret (zt secrets \
                 rotate --via-service)",
            );
        };
        let age = now.duration_since(last).unwrap_or_default();
        match (interval, next) {
            (Some(interval), _) if age <= interval + self.grace => pass(
                "recent-rotation",
                format!("last rotated {} ago", humanize(age)),
            ),
            (Some(interval), _) => fail(
                "recent-rotation",
                format!(
                    "last rotated {} ago, beyond the schedule ({}) and the grace ({}); check \
                     the rotation function's logs",
                    humanize(age),
                    humanize(interval),
                    humanize(self.grace)
                ),
            ),
            (None, Some(next)) => match now.duration_since(next) {
                Ok(late) if late > self.grace => fail(
                    "recent-rotation",
                    format!(
                        "the scheduled rotation is {} overdue; check the rotation function's \
                         logs",
                        humanize(late)
                    ),
                ),
                _ => pass(
                    "recent-rotation",
                    format!("last rotated {} ago; next one not overdue", humanize(age)),
                ),
            },
            (None, None) => fail(
                "recent-rotation",
                format!(
                    "last rotated {} ago, but no schedule tells when the next is due",
                    humanize(age)
                ),
            ),
        }
    }

    async fn parameter(&self, name: &str) -> Result<Vec<Finding>, RotateError> {
        let mut versions = Vec::new();
        let mut next_token = None;
        loop {
            let output = self
                .parameters
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
                break;
            }
        }
        let current = versions
            .iter()
            .find(|v| v.labels().contains(&self.current_label))
            .or_else(|| versions.iter().max_by_key(|v| v.version()))
            .ok_or_else(|| RotateError::value(format!("parameter {name}"), "it has no version"))?;

        let secure = if current.r#type() == Some(&ParameterType::SecureString) {
            pass(
                "secure-string",
                format!("version {} is a SecureString", current.version()),
            )
        } else {
            fail(
                "secure-string",
                format!(
                    "version {} is not a SecureString; recreate it as one with a \
                     customer-managed KMS key",
                    current.version()
                ),
            )
        };
        let kms = if secure.passed {
            self.kms_key(current.key_id(), "aws/ssm").await?
        } else {
            fail("kms-key", "a plain String parameter is not encrypted")
        };
        let now = self.now.unwrap_or_else(SystemTime::now);
        let written = current
            .last_modified_date()
            .and_then(|d| SystemTime::try_from(*d).ok());
        let recent = match written {
            Some(at) => {
                let age = now.duration_since(at).unwrap_or_default();
                if age <= self.parameter_max_age + self.grace {
                    pass(
                        "recent-rotation",
                        format!(
                            "version {} written {} ago",
                            current.version(),
                            humanize(age)
                        ),
                    )
                } else {
                    fail(
                        "recent-rotation",
                        format!(
                            "version {} written {} ago, older than {} plus the grace; check the \
                             scheduled rotation",
                            current.version(),
                            humanize(age),
                            humanize(self.parameter_max_age)
                        ),
                    )
                }
            }
            None => fail("recent-rotation", "the version has no modification date"),
        };
        Ok(vec![secure, kms, recent])
    }

    /// Judges a key id from the secret's metadata; `None` means the service's default key.
    async fn kms_key(&self, key: Option<&str>, default: &str) -> Result<Finding, RotateError> {
        let Some(key) = key.filter(|k| !k.trim().is_empty()) else {
            return Ok(fail(
                "kms-key",
                format!(
                    "encrypted with the AWS-managed key {default}; re-encrypt with a \
                     customer-managed KMS key"
                ),
            ));
        };
        if key.starts_with("alias/aws/") || key.contains(":alias/aws/") {
            return Ok(fail(
                "kms-key",
                format!("encrypted with the AWS-managed key {key}; use a customer-managed key"),
            ));
        }
        let described = self
            .kms
            .describe_key()
            .key_id(key)
            .send()
            .await
            .map_err(|e| RotateError::aws("DescribeKey", key, &e))?;
        let Some(meta) = described.key_metadata() else {
            return Ok(fail("kms-key", format!("KMS describes no key {key}")));
        };
        Ok(match (meta.key_manager(), meta.key_state()) {
            (Some(KeyManagerType::Customer), Some(KeyState::Enabled)) => {
                pass("kms-key", format!("customer-managed key {}", meta.key_id()))
            }
            (Some(KeyManagerType::Customer), state) => fail(
                "kms-key",
                format!(
                    "customer-managed key {} is not enabled (state {}); enable it or re-encrypt",
                    meta.key_id(),
                    state.map_or("unknown", KeyState::as_str)
                ),
            ),
            _ => fail(
                "kms-key",
                format!(
                    "key {} is managed by AWS, not by the customer; re-encrypt with a \
                     customer-managed key",
                    meta.key_id()
                ),
            ),
        })
    }
}

fn pass(rule: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        rule,
        passed: true,
        detail: detail.into(),
    }
}

fn fail(rule: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        rule,
        passed: false,
        detail: detail.into(),
    }
}

/// Reads `rate(N days)` or `rate(N hours)`; `None` for `cron(..)` and anything else.
fn rate_interval(expression: &str) -> Option<Duration> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: u64 = count.parse().ok()?;
    let unit_secs = match unit.trim() {
        "day" | "days" => DAY,
        "hour" | "hours" => 3600,
        _ => return None,
    };
    count.checked_mul(unit_secs).map(Duration::from_secs)
}

/// Writes a duration in whole days, hours or minutes.
fn humanize(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 2 * DAY {
        format!("{} days", secs / DAY)
    } else if secs >= 2 * 3600 {
        format!("{} hours", secs / 3600)
    } else {
        format!("{} minutes", secs / 60)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

    use super::*;

    #[test]
    fn rate_expressions_give_intervals_and_cron_gives_none() {
        assert_eq!(
            rate_interval("rate(10 days)"),
            Some(Duration::from_secs(10 * DAY))
        );
        assert_eq!(
            rate_interval("rate(4 hours)"),
            Some(Duration::from_secs(4 * 3600))
        );
        assert_eq!(rate_interval("cron(0 16 1,15 * ? *)"), None);
        assert_eq!(rate_interval("rate(x days)"), None);
    }

    fn checker(now: SystemTime) -> PolicyCheck {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        PolicyCheck::new(&config).at(now)
    }

    #[test]
    fn a_cron_schedule_is_judged_by_the_next_rotation_date() {
        let now = SystemTime::now();
        let day = Duration::from_secs(DAY);
        let last = Some(now - 40 * day);
        let check = checker(now);

        let on_time = check.recent_rotation(last, Some(now + day), None);
        assert!(on_time.passed, "{}", on_time.detail);
        let in_grace = check.recent_rotation(last, Some(now - day / 2), None);
        assert!(in_grace.passed, "{}", in_grace.detail);
        let overdue = check.recent_rotation(last, Some(now - 3 * day), None);
        assert!(!overdue.passed);
        assert!(
            overdue.detail.contains("3 days overdue"),
            "{}",
            overdue.detail
        );
        let unknown = check.recent_rotation(last, None, None);
        assert!(
            !unknown.passed && unknown.detail.contains("no schedule"),
            "{}",
            unknown.detail
        );
        let never = check.recent_rotation(None, Some(now + day), Some(30 * day));
        assert!(
            !never.passed && never.detail.contains("never rotated"),
            "{}",
            never.detail
        );
    }

    #[test]
    fn targets_take_the_zt_keys_forms() {
        assert_eq!(
            Target::parse("secretsmanager:a/b").unwrap(),
            Target::SecretsManager("a/b".into())
        );
        assert_eq!(
            Target::parse("ssm:/p").unwrap(),
            Target::Parameter("/p".into())
        );
        assert!(Target::parse("ssm:").is_err());
        assert!(Target::parse("/p").is_err());
    }
}
