//! The `idtoken-doctor` binary: parse the command line, run, exit with the verdict's code.

use std::io::IsTerminal;

use clap::Parser;

fn main() {
    let cli = match idtoken_doctor::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // clap quotes the arguments it did not understand: a token pasted in
        // the wrong place must not reach a terminal or a CI log in clear.
        Err(error) if error.use_stderr() => {
            let rendered = error.render();
            let colour = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let text = if colour {
                rendered.ansi().to_string()
            } else {
                rendered.to_string()
            };
            eprint!("{}", idtoken_doctor::input::hide_token_text(&text));
            std::process::exit(error.exit_code());
        }
        Err(error) => error.exit(),
    };
    std::process::exit(idtoken_doctor::run(cli));
}
