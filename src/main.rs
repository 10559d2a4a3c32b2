//! The `idtoken-doctor` binary: parse the command line, run, exit with the verdict's code.

use clap::Parser;

fn main() {
    let cli = idtoken_doctor::cli::Cli::parse();
    std::process::exit(idtoken_doctor::run(cli));
}
