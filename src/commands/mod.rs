//! The subcommands: each turns its arguments into settings, runs the stages it
//! owns and prints the report.

use crate::cli::{Cli, Command};

/// Exit code for usage errors and unreadable input.
pub const EXIT_USAGE: i32 = 2;

/// Runs one parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let name = match cli.command {
        Command::Decode(_) => "decode",
        Command::Probe(_) => "probe",
        Command::Keys(_) => "keys",
        Command::Diagnose(_) => "diagnose",
        Command::SsiIps(_) => "ssi-ips",
        Command::Demo(_) => "demo",
        Command::Completions(_) => "completions",
    };
    eprintln!("idtoken-doctor: `{name}` is not yet implemented");
    EXIT_USAGE
}
