//! The `zt` command line: issue, list, disable and rotate API keys in a key ring.
//!
//! A key is printed once, when it is created; the ring keeps only its hash.

mod keys;
mod ring_file;
mod ring_store;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Keys(command) => keys::run(command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("zt: {message}");
            ExitCode::FAILURE
        }
    }
}
