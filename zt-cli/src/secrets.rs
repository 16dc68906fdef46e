//! `zt secrets`: rotate a secret now, or check that it follows the secret policy.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use zt_rotate::{
    ParameterRotation, PolicyCheck, Report, RotateError, SecretKind, SecretsManagerRotation, Step,
    Target,
};

/// Exit code of `zt secrets check` when a rule fails.
const VIOLATION: u8 = 1;

/// Exit code when a command could not do its work (AWS refused or unreachable, bad input).
const FAILED: u8 = 2;

#[derive(Debug, Subcommand)]
pub(crate) enum SecretsCommand {
    /// Rotates a secret now: all four Secrets Manager steps in order, one step of a rotation
    /// (--step, --token), or a Parameter Store rotation (new version, label move).
    Rotate(RotateArgs),
    /// Checks a secret against the policy: customer-managed KMS key, resource policy,
    /// rotation on a schedule and recently done. Exits 1 when a rule fails, 2 when the check
    /// could not be made.
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum StepArg {
    Create,
    Set,
    Test,
    Finish,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Psk,
    ApiKeyRing,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The secret: `secretsmanager:<secret id>` or `ssm:<parameter name>`.
    #[arg(value_name = "ID", value_parser = parse_target)]
    target: Target,
    /// Runs only this step of the rotation identified by --token (Secrets Manager only).
    #[arg(long, requires = "token")]
    step: Option<StepArg>,
    /// The rotation's version id (the event's ClientRequestToken).
    #[arg(long, requires = "step")]
    token: Option<String>,
    /// Asks Secrets Manager to run the secret's rotation function (RotateSecret) instead of
    /// taking the steps here; only such rotations update the date `zt secrets check` reads.
    #[arg(long, conflicts_with_all = ["step", "token"])]
    via_service: bool,
    /// The kind of secret when it has no `zt:kind` tag.
    #[arg(long)]
    kind: Option<KindArg>,
    /// How long an expired key's record stays in a rotated key ring.
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
    ring_grace: Duration,
    /// KMS key for a parameter's new version; by default the key of the version replaced.
    #[arg(long)]
    kms_key_id: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The secret: `secretsmanager:<secret id>` or `ssm:<parameter name>`.
    #[arg(value_name = "ID", value_parser = parse_target)]
    target: Target,
    /// Prints the report as JSON.
    #[arg(long)]
    json: bool,
    /// How late a rotation may be before it counts as missed.
    #[arg(long, default_value = "1d", value_parser = humantime::parse_duration)]
    grace: Duration,
    /// How old a parameter's current version may be (Parameter Store has no schedule).
    #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
    max_age: Duration,
}

fn parse_target(text: &str) -> Result<Target, String> {
    Target::parse(text).map_err(|e| e.to_string())
}

pub(crate) fn run(command: SecretsCommand) -> ExitCode {
    let outcome = match command {
        SecretsCommand::Rotate(args) => rotate(&args).map(|()| ExitCode::SUCCESS),
        SecretsCommand::Check(args) => check(&args),
    };
    outcome.unwrap_or_else(|message| {
        eprintln!("zt: {message}");
        ExitCode::from(FAILED)
    })
}

fn rotate(args: &RotateArgs) -> Result<(), String> {
    let kind = args.kind.map(|k| match k {
        KindArg::Psk => SecretKind::Psk,
        KindArg::ApiKeyRing => SecretKind::KeyRing {
            grace: args.ring_grace,
        },
    });
    let described = args.target.describe();
    let failed = |e: RotateError| format!("rotating {described}: {e}");
    block_on(async {
        let aws = zt_core::secret::load_aws_config().await;
        match &args.target {
            Target::SecretsManager(id) => {
                let mut rotation = SecretsManagerRotation::new(&aws);
                if let Some(kind) = kind {
                    rotation = rotation.default_kind(kind);
                }
                if args.via_service {
                    let version = rotation.start_service_rotation(id).await.map_err(failed)?;
                    eprintln!(
                        "{described}: Secrets Manager is rotating it to version {version}; the \
                         rotation function's logs tell the outcome"
                    );
                } else if let (Some(step), Some(token)) = (args.step, &args.token) {
                    let step = match step {
                        StepArg::Create => Step::Create,
                        StepArg::Set => Step::Set,
                        StepArg::Test => Step::Test,
                        StepArg::Finish => Step::Finish,
                    };
                    rotation.step(step, id, token).await.map_err(failed)?;
                    eprintln!("{described}: {} done for version {token}", step.name());
                } else {
                    let version = rotation.rotate_now(id).await.map_err(failed)?;
                    eprintln!("{described}: rotated; version {version} is AWSCURRENT");
                }
            }
            Target::Parameter(name) => {
                if args.step.is_some() || args.via_service {
                    return Err(format!(
                        "--step, --via-service: {described} is a parameter, rotated here in \
                         one go; those options are for Secrets Manager"
                    ));
                }
                let mut rotation = ParameterRotation::new(&aws);
                if let Some(kind) = kind {
                    rotation = rotation.default_kind(kind);
                }
                if let Some(key) = &args.kms_key_id {
                    rotation = rotation.kms_key_id(key);
                }
                let rotated = rotation.rotate(name).await.map_err(failed)?;
                eprintln!(
                    "{described}: rotated; version {} is labelled current, version {} previous",
                    rotated.current, rotated.previous
                );
            }
        }
        Ok(())
    })
}

fn check(args: &CheckArgs) -> Result<ExitCode, String> {
    let report = block_on(async {
        let aws = zt_core::secret::load_aws_config().await;
        PolicyCheck::new(&aws)
            .grace(args.grace)
            .parameter_max_age(args.max_age)
            .check(&args.target)
            .await
            .map_err(|e| format!("cannot check {}: {e}", args.target.describe()))
    })?;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| format!("cannot write the report as JSON: {e}"))?;
        println!("{text}");
    } else {
        print_report(&report);
    }
    Ok(if report.compliant {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(VIOLATION)
    })
}

fn print_report(report: &Report) {
    let failed = report.violations().count();
    if failed == 0 {
        println!("{}: follows the secret policy", report.target);
    } else {
        println!(
            "{}: does NOT follow the secret policy ({failed} of {} rules failed)",
            report.target,
            report.findings.len()
        );
    }
    for finding in &report.findings {
        let mark = if finding.passed { "ok  " } else { "FAIL" };
        println!("  {mark}  {:<16} {}", finding.rule, finding.detail);
    }
}

fn block_on<T>(future: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(future)
}
