//! Writing reports to standard output without panicking on a closed pipe.

use std::io::{self, IsTerminal, Write};

use crate::cli::{Format, OutputArgs};
use crate::render::{self, RenderOptions};
use crate::report::Report;

/// Writes `text` to standard output; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) {
    let mut out = io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    if let Err(e) = result {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("idtoken-doctor: cannot write the report: {e}");
        }
    }
}

/// Render options for standard output under the given flags.
pub fn options(output: &OutputArgs) -> RenderOptions {
    RenderOptions {
        color: render::use_color(output.color, io::stdout().is_terminal()),
        tool_version: env!("CARGO_PKG_VERSION"),
    }
}

/// Renders reports in the chosen format: one after another for human and
/// markdown, one JSON object per line, one JUnit document for all.
pub fn render_all(reports: &mut [Report], output: &OutputArgs) -> String {
    if output.redact {
        reports.iter_mut().for_each(render::redact);
    }
    let opts = options(output);
    match output.format {
        Format::Human => reports
            .iter()
            .map(|r| render::human(r, &opts))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Markdown => reports
            .iter()
            .map(|r| render::markdown(r, &opts))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json => reports
            .iter()
            .map(|r| render::json_line(r, &opts) + "\n")
            .collect(),
        Format::Junit => render::junit(reports, &opts),
    }
}
