//! The `zt` command line: issue, list, disable and rotate API keys in a key ring; rotate
//! secrets and check them against the secret policy.
//!
//! A key is printed once, when it is created; the ring keeps only its hash.

mod keys;
mod ring_file;
mod ring_store;
mod secrets;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Manages Zero Trust credentials.
#[derive(Debug, Parser)]
#[command(name = "zt", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Issues, lists, disables and rotates API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Rotates secrets and checks them against the secret policy.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Keys(command) => keys::run(command),
        Command::Secrets(command) => return secrets::run(command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("zt: {message}");
            ExitCode::FAILURE
        }
    }
}
