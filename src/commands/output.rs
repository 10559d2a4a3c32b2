//! Writing reports to standard output without panicking on a closed pipe.

use std::io::{self, IsTerminal, Write};

use crate::cli::{Format, OutputArgs};
use crate::render::{self, RenderOptions};
use crate::report::{Report, Verdict};

/// Writes `text` to standard output; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) {
    let mut out = io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    if let Err(e) = result {
        if e.kind() != io::ErrorKind::BrokenPipe {
            complain(&format!("cannot write the report: {e}"));
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

/// Render options for standard output under the given flags.
pub fn options(output: &OutputArgs) -> RenderOptions {
    RenderOptions {
        color: render::use_color(output.color, io::stdout().is_terminal()),
        tool_version: env!("CARGO_PKG_VERSION"),
    }
}

/// Renders reports in the chosen format (redacted under `--redact`); a human
/// batch ends with a summary table.
pub fn render_all(reports: &mut [Report], output: &OutputArgs, batch: bool) -> String {
    if output.redact {
        reports.iter_mut().for_each(render::redact);
    }
    let opts = options(output);
    let mut text = render::render_reports(reports, output.format, batch, &opts);
    if batch && output.format == Format::Human {
        text.push_str(&summary_table(reports));
    }
    text
}

/// One line per target: its position, what it pointed at, and its verdict.
fn summary_table(reports: &[Report]) -> String {
    let mut out = format!("\nSummary of {} targets\n", reports.len());
    for (index, report) in reports.iter().enumerate() {
        let target = report
            .target
            .as_ref()
            .map(|t| t.amurl.clone())
            .unwrap_or_else(|| "(no amurl)".to_string());
        let verdict = match report.verdict() {
            Verdict::Healthy => "healthy".to_string(),
            Verdict::Broken { check, .. } => format!("broken at {check}"),
            Verdict::Inconclusive { check, .. } => format!("inconclusive at {check}"),
        };
        out.push_str(&format!(
            "{:>4}  {:<60}  {:<30}  exit {}\n",
            index + 1,
            target,
            verdict,
            report.verdict().exit_code()
        ));
    }
    out
}
