//! The `idtoken-doctor` binary: parse the command line, run, exit with the verdict's code.

use clap::Parser;

fn main() {
    idtoken_doctor::commands::install_panic_hook();
    let code = match idtoken_doctor::cli::Cli::try_parse() {
        Ok(cli) => idtoken_doctor::run(cli),
        Err(error) => idtoken_doctor::commands::parse_failure(&error),
    };
    std::process::exit(code);
}
