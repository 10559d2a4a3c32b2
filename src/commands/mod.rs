//! The subcommands: each turns its arguments into settings, runs the links it
//! owns and prints the report. The exit code is the verdict's.

mod batch;
mod chain_commands;
mod completions;
mod demo;
mod output;

use crate::cli::{Cli, Command};
use crate::settings::UsageError;

pub use completions::script as completion_script;
pub use output::emit;

/// Exit code for usage errors and unreadable input.
pub const EXIT_USAGE: i32 = 2;

/// Runs one parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Decode(args) => chain_commands::decode(&args),
        Command::Probe(args) => chain_commands::probe(&args),
        Command::Keys(args) => chain_commands::keys(&args),
        Command::Diagnose(args) => chain_commands::diagnose(&args),
        Command::SsiIps(args) => Ok(crate::ssi_ips::run(&args, &mut std::io::stdout())),
        Command::Demo(args) => demo::run(&args),
        Command::Completions(args) => Ok(completions::run(args.shell)),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            // Usage errors quote what was given; a misplaced token stays hidden.
            eprintln!(
                "idtoken-doctor: {}",
                crate::input::hide_token_text(&message)
            );
            EXIT_USAGE
        }
    }
}
