//! The subcommands: each turns its arguments into settings, runs the links it
//! owns and prints the report. The exit code is the verdict's.

mod batch;
mod chain_commands;
mod completions;
mod demo;
mod output;
mod serve;

use crate::cli::{Cli, Command, OutputArgs};
use crate::settings::UsageError;

pub use completions::script as completion_script;
pub use output::{complain, emit, io_problem};

/// Exit code for usage errors and unreadable input.
pub const EXIT_USAGE: i32 = 2;

/// Prints what clap could not parse (or the help and version it was asked
/// for) and returns the exit code. clap quotes the arguments it did not
/// understand: a token pasted in the wrong place must not reach a terminal or
/// a CI log in clear.
pub fn parse_failure(error: &clap::Error) -> i32 {
    use std::io::{IsTerminal, Write};
    if !error.use_stderr() {
        emit(&error.render().to_string());
        return error.exit_code();
    }
    let rendered = error.render();
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && output::terminal_takes_colour();
    let text = if colour {
        rendered.ansi().to_string()
    } else {
        rendered.to_string()
    };
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(crate::input::hide_token_text(&text).as_bytes())
        .and_then(|_| err.flush());
    error.exit_code()
}

/// The report flags of a command that prints a report.
fn output_args(command: &Command) -> Option<&OutputArgs> {
    match command {
        Command::Decode(args) => Some(&args.output),
        Command::Probe(args) => Some(&args.output),
        Command::Keys(args) => Some(&args.output),
        Command::Diagnose(args) => Some(&args.output),
        Command::Demo(args) => Some(&args.output),
        Command::SsiIps(_) | Command::Completions(_) | Command::Serve(_) => None,
    }
}

/// Runs one parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    if let Some(path) = output_args(&cli.command).and_then(|o| o.output.as_deref()) {
        if let Err(UsageError(message)) = output::open_output(path) {
            complain(&message);
            return EXIT_USAGE;
        }
    }
    let result = match cli.command {
        Command::Decode(args) => chain_commands::decode(&args),
        Command::Probe(args) => chain_commands::probe(&args),
        Command::Keys(args) => chain_commands::keys(&args),
        Command::Diagnose(args) => chain_commands::diagnose(&args),
        Command::SsiIps(args) => Ok(crate::ssi_ips::run(&args, &mut std::io::stdout())),
        Command::Demo(args) => demo::run(&args),
        Command::Completions(args) => Ok(completions::run(args.shell)),
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            complain(&message);
            EXIT_USAGE
        }
    }
}
