//! A spinner on standard error naming the link under way, for people at a
//! terminal. Silent in pipes, in CI (`CI` set) and for machine formats.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Format;
use crate::report::Stage;

/// Shows which link of the chain is being walked, or nothing.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// No output at all.
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    /// A spinner when standard error is a terminal, not in CI, and the format is for people.
    pub fn for_terminal(format: Format) -> Self {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let human_format = matches!(format, Format::Human | Format::Markdown);
        if ci || !human_format || !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress { bar: Some(bar) }
    }

    /// Names the link now under way for `host`.
    pub fn stage(&self, stage: Stage, host: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{stage}: {host}"));
        }
    }

    /// Removes the spinner before the report is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_formats_never_get_a_spinner() {
        assert!(Progress::for_terminal(Format::Json).bar.is_none());
        assert!(Progress::for_terminal(Format::Junit).bar.is_none());
    }
}
