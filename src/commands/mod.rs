//! The subcommands: each turns its arguments into settings, runs the links it
//! owns and prints the report. The exit code is the verdict's.

mod batch;
mod chain_commands;
mod completions;
mod demo;
mod explain;
mod output;
mod serve;

use crate::cli::{Cli, Command, OutputArgs};
use crate::settings::UsageError;

pub use completions::script as completion_script;
pub use output::{complain, emit};

/// Exit code for usage errors and unreadable input.
pub const EXIT_USAGE: i32 = crate::exits::USAGE;

/// Installs the panic hook of the process, for every command (`main` calls it
/// first). A panic is a bug, and its payload may quote what it was working on:
/// a claim, a msexchuid, a server's header, with escape sequences that retitle
/// or clear a terminal. The hook prints a fixed message instead: the version,
/// where in the code it happened, and a request for a bug report; never the
/// payload. A batch that catches a target's panic (`catch_unwind`) relies on
/// this hook having said so once on standard error.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let mut err = std::io::stderr().lock();
        let _ = write_panic_report(&mut err, info.location());
    }));
}

/// What the panic hook prints: the version and the code location, no payload.
pub fn write_panic_report(
    out: &mut dyn std::io::Write,
    location: Option<&std::panic::Location<'_>>,
) -> std::io::Result<()> {
    let place = location
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    writeln!(
        out,
        "idtoken-doctor {}: internal error{place}. This is a bug: please report it to the \
         idtoken-doctor maintainers with this message and the command you ran (leave out the \
         token; nothing from the input is shown here).",
        env!("CARGO_PKG_VERSION")
    )?;
    out.flush()
}

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
        Command::SsiIps(_) | Command::Explain(_) | Command::Completions(_) | Command::Serve(_) => {
            None
        }
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
        Command::SsiIps(args) => Ok(crate::ssi_ips::run(&args.request(), &mut std::io::stdout())),
        Command::Demo(args) => demo::run(&args),
        Command::Explain(args) => explain::run(&args),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Set by [`panic_hook_never_prints_the_payload`] for the child it runs.
    const CHILD_ENV: &str = "IDTOKEN_DOCTOR_PANIC_HOOK_CHILD";
    /// A payload that must never reach standard error.
    const SECRET: &str = "430a2c5c-secret-msexchuid \u{1b}]0;retitled\u{7}";

    /// Runs only as the child of [`panic_hook_never_prints_the_payload`]: the
    /// hook is process-wide, so it is installed in a process of its own.
    #[test]
    #[ignore = "run as a child process by panic_hook_never_prints_the_payload"]
    fn panicking_child() {
        if std::env::var_os(CHILD_ENV).is_some() {
            install_panic_hook();
            std::panic::panic_any(SECRET.to_string());
        }
    }

    #[test]
    fn panic_hook_never_prints_the_payload() {
        let exe = std::env::current_exe().expect("the test binary");
        let output = std::process::Command::new(exe)
            .args([
                "--exact",
                "commands::tests::panicking_child",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .output()
            .expect("the child runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "the child panicked: {stderr}");
        assert!(
            stderr.contains(&format!(
                "idtoken-doctor {}: internal error at src/commands/mod.rs:",
                env!("CARGO_PKG_VERSION")
            )),
            "{stderr}"
        );
        assert!(stderr.contains("please report it"), "{stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr}");
    }
}
