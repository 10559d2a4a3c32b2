//! Writing reports: to standard output (without panicking on a closed pipe) or
//! to `--output FILE`, with the symbols, colours and width the reader's terminal
//! can show.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::cli::{ColorChoice, OutputArgs};
use crate::render::{self, RenderOptions};
use crate::report::Report;
use crate::settings::UsageError;
use crate::text::io_problem;

/// The `--output FILE` of this run, once opened: every report goes there.
static OUTPUT_FILE: OnceLock<Mutex<File>> = OnceLock::new();

/// Creates (or empties) `--output FILE` before anything runs, so that a path
/// that cannot be written is a usage error, not a lost report at the end.
pub fn open_output(path: &Path) -> Result<(), UsageError> {
    let file = File::create(path).map_err(|e| {
        UsageError(format!(
            "--output {}: cannot write it ({})",
            path.display(),
            io_problem(&e)
        ))
    })?;
    // A second call in one process (tests) keeps the first file.
    let _ = OUTPUT_FILE.set(Mutex::new(file));
    Ok(())
}

/// Writes `text` to `--output FILE` when one was given, else to standard
/// output; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) {
    write_out(text);
}

/// [`emit`], saying whether the output can still be written to: `false` once
/// the reader went away or writing failed, so that a batch can stop early.
pub fn write_out(text: &str) -> bool {
    let result = match OUTPUT_FILE.get() {
        Some(file) => {
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            file.write_all(text.as_bytes()).and_then(|_| file.flush())
        }
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|_| out.flush())
        }
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                complain(&format!("cannot write the report ({})", io_problem(&e)));
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
    // Usage errors quote what was given (from the command line, a file or the
    // environment): a misplaced token stays hidden, and nothing in it may drive
    // the terminal. Line breaks the message itself holds are kept.
    let message = crate::input::hide_token_text(message)
        .split('\n')
        .map(crate::text::escape_controls)
        .collect::<Vec<_>>()
        .join("\n");
    let _ = writeln!(err, "idtoken-doctor: {message}").and_then(|_| err.flush());
}

/// Says on standard error what `-` waits for, when a person is at the keyboard:
/// without it `decode -` looks hung.
pub fn prompt_for_paste() {
    if io::stdin().is_terminal() {
        let mut err = io::stderr().lock();
        let _ = writeln!(
            err,
            "idtoken-doctor: paste the token, then Ctrl-D (on Windows Ctrl-Z, Enter)"
        )
        .and_then(|_| err.flush());
    }
}

/// Whether a terminal can show colour: on Windows, once virtual-terminal
/// processing is enabled (a classic console where it cannot be shows raw
/// escapes); elsewhere any terminal.
pub fn terminal_takes_colour() -> bool {
    anstyle_query::windows::enable_ansi_colors().unwrap_or(true)
}

/// Whether `choice` colours a stream (`is_terminal`), honouring `NO_COLOR` and
/// never colouring a terminal that cannot show it.
pub fn colour_for(choice: ColorChoice, is_terminal: bool) -> bool {
    if is_terminal && choice != ColorChoice::Never && !terminal_takes_colour() {
        return false;
    }
    render::use_color(choice, is_terminal)
}

/// Render options for the report's destination under the given flags.
pub fn options(output: &OutputArgs) -> RenderOptions {
    let to_terminal = output.output.is_none() && io::stdout().is_terminal();
    RenderOptions {
        color: output.output.is_none() && colour_for(output.color, to_terminal),
        tool_version: env!("CARGO_PKG_VERSION"),
        // A file named by --output is written as UTF-8 by the tool itself, with
        // no shell in between to re-encode it: ASCII there only when asked.
        ascii: match output.output {
            Some(_) => output.ascii,
            None => render::use_ascii(output.ascii, to_terminal),
        },
        width: width(to_terminal),
        verbose: output.verbose,
    }
}

/// The width to wrap human text to: `COLUMNS`, else the terminal's when the
/// text goes to one (`to_terminal`), else none.
pub fn width(to_terminal: bool) -> Option<usize> {
    let measured = if to_terminal {
        terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| usize::from(w.0))
    } else {
        None
    };
    let columns = std::env::var_os("COLUMNS");
    render::report_width(columns.as_deref(), measured)
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
