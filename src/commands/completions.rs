//! `completions SHELL`: the completion script, generated from the command definition.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The completion script for `shell`, as committed under `completions/`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "idtoken-doctor", &mut out);
    out
}

/// Prints the completion script for `shell`.
pub fn run(shell: Shell) -> i32 {
    super::emit(&String::from_utf8_lossy(&script(shell)));
    0
}
