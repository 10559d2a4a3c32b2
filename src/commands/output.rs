//! Writing reports to standard output without panicking on a closed pipe.

use std::io::{self, IsTerminal, Write};

use crate::cli::OutputArgs;
use crate::render::{self, RenderOptions};
use crate::report::Report;

/// Writes `text` to standard output; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) {
    write_out(text);
}

/// [`emit`], saying whether the output can still be written to: `false` once
/// the reader went away or writing failed, so that a batch can stop early.
pub fn write_out(text: &str) -> bool {
    let mut out = io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    match result {
        Ok(()) => true,
        Err(e) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                complain(&format!("cannot write the report: {e}"));
            }
            false
        }
    }
}

/// Writes `idtoken-doctor: MESSAGE` to standard error. Unlike `eprintln!`, it
/// does not panic when standard error is a closed pipe (`2>&1 | head`): there is
/// nobody left to tell, and the exit code still says what happened.
pub fn complain(message: &str) {
    let mut err = io::stderr().lock();
    // Usage errors quote what was given; a misplaced token stays hidden.
    let message = crate::input::hide_token_text(message);
    let _ = writeln!(err, "idtoken-doctor: {message}").and_then(|_| err.flush());
}

/// Render options for standard output under the given flags.
pub fn options(output: &OutputArgs) -> RenderOptions {
    RenderOptions {
        color: render::use_color(output.color, io::stdout().is_terminal()),
        tool_version: env!("CARGO_PKG_VERSION"),
    }
}

/// Renders reports in the chosen format (redacted under `--redact`). A batch
/// is written as it goes instead (`batch::run`).
pub fn render_all(reports: &mut [Report], output: &OutputArgs, batch: bool) -> String {
    if output.redact {
        reports.iter_mut().for_each(render::redact);
    }
    let opts = options(output);
    render::render_reports(reports, output.format, batch, &opts)
}
