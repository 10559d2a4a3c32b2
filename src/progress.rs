//! A spinner on standard error naming the link under way, for people at a
//! terminal. Silent in pipes, in CI (`CI` set) and for machine formats. In a
//! batch it counts the targets done (`3/5 done`) beside the link under way.
//!
//! Which link is under way is also kept per thread, shown or not: a batch
//! names it when a target's work fails unexpectedly.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::render::Format;
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
        Self::shown(format, "{spinner} {msg} ({elapsed})")
    }

    /// For `--batch`: the targets done (out of the total, once
    /// [`Progress::set_total`] gives it) and the link under way, on the same
    /// terms as [`Progress::for_terminal`].
    pub fn for_batch(format: Format) -> Self {
        Self::shown(format, "{spinner} {pos} done  {msg} ({elapsed})")
    }

    fn shown(format: Format, template: &str) -> Self {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let human_format = matches!(format, Format::Human | Format::Markdown);
        if ci || !human_format || !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::no_length();
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress { bar: Some(bar) }
    }

    /// Whether anything is shown.
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// Sets how many targets the batch has, once known.
    pub fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos}/{len} done  {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
        }
    }

    /// Names the link now under way for `host`.
    pub fn stage(&self, stage: Stage, host: &str) {
        UNDER_WAY.with(|under_way| under_way.set(stage));
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{stage}: {host}"));
        }
    }

    /// Starts work on a target on this thread: its token link first.
    pub fn begin_target(&self) {
        UNDER_WAY.with(|under_way| under_way.set(Stage::Token));
    }

    /// Counts one more target of a batch done.
    pub fn target_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Runs `write` with the progress line out of the way, so that what it
    /// prints on the same terminal is not torn by a redraw.
    pub fn suspend<R>(&self, write: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Removes the spinner before the report is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

thread_local! {
    /// The link this thread last started, for [`link_under_way`].
    static UNDER_WAY: Cell<Stage> = const { Cell::new(Stage::Token) };
}

/// The link of the chain this thread is working on (since its last
/// [`Progress::begin_target`]).
pub fn link_under_way() -> Stage {
    UNDER_WAY.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_formats_never_get_a_spinner() {
        assert!(Progress::for_terminal(Format::Json).bar.is_none());
        assert!(Progress::for_terminal(Format::Junit).bar.is_none());
        assert!(Progress::for_batch(Format::Json).bar.is_none());
    }

    #[test]
    fn the_link_under_way_is_kept_per_thread() {
        let progress = Progress::hidden();
        progress.begin_target();
        assert_eq!(link_under_way(), Stage::Token);
        progress.stage(Stage::Tls, "mail.contoso.com");
        assert_eq!(link_under_way(), Stage::Tls);
        std::thread::spawn(|| assert_eq!(link_under_way(), Stage::Token))
            .join()
            .expect("thread");
        progress.begin_target();
        assert_eq!(link_under_way(), Stage::Token);
    }
}
