//! The renderers know nothing about how a check is made: they read a
//! [`Report`] and write text. Four formats: [`human()`] for a terminal,
//! [`json()`] / [`json_line`] for scripts (the contract's report shape),
//! [`markdown()`] for a ticket and [`junit()`] for CI systems. [`redact()`] hides user
//! identifiers in a report before any of them runs, so every format inherits it.
//!
//! Everything a report holds may come from a hostile token or server (a claim,
//! a `Location` header, a certificate subject), so every renderer escapes what it
//! prints for its own format: control characters never reach a terminal, table
//! cells cannot break a Markdown table, and the XML is always well-formed.

mod facts;
#[cfg(test)]
mod fixtures;
mod human;
mod json;
mod junit;
mod markdown;
pub mod redact;

use std::ffi::OsStr;

pub use human::human;
pub use json::{json, json_line, report_schema};
pub use junit::junit;
pub use markdown::markdown;
pub use redact::redact;

use crate::cli::{ColorChoice, Format};
use crate::report::{Report, Status, Verdict};

/// How reports are rendered, beyond the report itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Whether the human format may use ANSI colours (see [`use_color`]).
    pub color: bool,
    /// The tool's version, as the JSON report's `tool_version` states it.
    pub tool_version: &'static str,
}

impl Default for RenderOptions {
    /// No colour, and this crate's version.
    fn default() -> Self {
        RenderOptions {
            color: false,
            tool_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Whether to colour the human output: `--color always` and `never` are obeyed;
/// `auto` colours only a terminal (`stream_is_terminal`), and not when `NO_COLOR`
/// is set to a non-empty value or `TERM` is `dumb`.
///
/// An explicit `--color always` overrides `NO_COLOR`, as no-color.org allows for
/// a flag the user typed. `CLICOLOR_FORCE` is not honoured: the contract says a
/// non-terminal is never coloured in `auto`.
pub fn use_color(choice: ColorChoice, stream_is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR");
    let term = std::env::var_os("TERM");
    color_decision(
        choice,
        stream_is_terminal,
        no_color.as_deref(),
        term.as_deref(),
    )
}

/// The decision of [`use_color`] with the environment passed in, so it is testable.
fn color_decision(
    choice: ColorChoice,
    stream_is_terminal: bool,
    no_color: Option<&OsStr>,
    term: Option<&OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color_set = no_color.is_some_and(|v| !v.is_empty());
            let dumb_terminal = term.is_some_and(|t| t == "dumb");
            stream_is_terminal && !no_color_set && !dumb_terminal
        }
    }
}

/// Renders several reports (one per target, in input order) in `format`.
///
/// `batch` says the reports come from `--batch`: JSON is then one compact object
/// per line, as the contract asks; a single report outside batch mode is pretty
/// JSON. JUnit is always one document with one `<testsuite>` per report. Human
/// and Markdown reports follow each other, separated by a rule.
pub fn render_reports(
    reports: &[Report],
    format: Format,
    batch: bool,
    opts: &RenderOptions,
) -> String {
    match format {
        Format::Junit => junit(reports, opts),
        Format::Json if batch => reports.iter().map(|r| json_line(r, opts) + "\n").collect(),
        Format::Json => reports
            .iter()
            .map(|r| json::json_pretty(r, opts) + "\n")
            .collect(),
        Format::Human => join_with_rule(reports.iter().map(|r| human(r, opts)), "\n"),
        Format::Markdown => join_with_rule(reports.iter().map(|r| markdown(r, opts)), "\n---\n\n"),
    }
}

/// Joins rendered reports, putting `rule` between two of them.
fn join_with_rule(parts: impl Iterator<Item = String>, rule: &str) -> String {
    parts.collect::<Vec<_>>().join(rule)
}

/// The exit code of a batch: that of the first report, in input order, whose
/// verdict is a failure; 0 when every report is healthy.
pub fn batch_exit_code(reports: &[Report]) -> i32 {
    reports
        .iter()
        .map(|r| r.verdict().exit_code())
        .find(|code| *code != 0)
        .unwrap_or(0)
}

/// The summary of a healthy verdict, counting the warnings left standing.
fn healthy_summary(report: &Report) -> String {
    let warnings = report
        .checks()
        .iter()
        .filter(|c| c.status == Status::Warn)
        .count();
    match warnings {
        0 => "every link of the chain that was checked holds".to_string(),
        1 => "every link of the chain that was checked holds (1 warning)".to_string(),
        n => format!("every link of the chain that was checked holds ({n} warnings)"),
    }
}

/// The verdict as the renderers show it: stage, check id, summary and remedy of
/// the broken link, or `None` when the chain is healthy.
fn broken_link(verdict: &Verdict) -> Option<(&'static str, &'static str, &str, &str)> {
    verdict
        .finding()
        .map(|(check, summary, remedy)| (check.stage().as_str(), check.as_str(), summary, remedy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        let auto = ColorChoice::Auto;
        assert!(color_decision(auto, true, None, None));
        assert!(!color_decision(auto, false, None, None));
        assert!(!color_decision(auto, true, Some(OsStr::new("1")), None));
        // An empty NO_COLOR does not count, as no-color.org specifies.
        assert!(color_decision(auto, true, Some(OsStr::new("")), None));
        assert!(!color_decision(auto, true, None, Some(OsStr::new("dumb"))));
        assert!(color_decision(
            auto,
            true,
            None,
            Some(OsStr::new("xterm-256color"))
        ));
    }

    #[test]
    fn explicit_choices_win() {
        assert!(color_decision(
            ColorChoice::Always,
            false,
            Some(OsStr::new("1")),
            None
        ));
        assert!(!color_decision(ColorChoice::Never, true, None, None));
    }

    #[test]
    fn batch_json_is_one_object_per_line_and_single_json_is_pretty() {
        let opts = RenderOptions::default();
        let reports = vec![fixtures::healthy(), fixtures::broken_at_tls()];
        let batch = render_reports(&reports, Format::Json, true, &opts);
        let lines: Vec<&str> = batch.lines().collect();
        assert_eq!(lines.len(), 2);
        for (line, report) in lines.iter().zip(&reports) {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            assert_eq!(value, json(report, &opts));
        }
        let single = render_reports(&reports[..1], Format::Json, false, &opts);
        assert!(single.lines().count() > 1);
        let value: serde_json::Value = serde_json::from_str(&single).expect("pretty JSON");
        assert_eq!(value, json(&reports[0], &opts));
    }

    #[test]
    fn batch_exit_code_is_the_first_failure_in_input_order() {
        let healthy = fixtures::healthy();
        let tls = fixtures::broken_at_tls();
        let token = fixtures::broken_at_token();
        assert_eq!(batch_exit_code(&[healthy.clone(), tls.clone(), token]), 40);
        assert_eq!(batch_exit_code(&[healthy.clone(), healthy]), 0);
        assert_eq!(batch_exit_code(&[]), 0);
    }

    #[test]
    fn every_format_renders_every_report_of_a_batch() {
        let opts = RenderOptions::default();
        let reports = vec![fixtures::healthy(), fixtures::broken_at_tls()];
        let human = render_reports(&reports, Format::Human, true, &opts);
        assert_eq!(human.matches("Verdict:").count(), 2);
        let md = render_reports(&reports, Format::Markdown, true, &opts);
        assert_eq!(
            md.matches("| Stage | Check | Status | Summary |").count(),
            2
        );
        let xml = render_reports(&reports, Format::Junit, true, &opts);
        assert_eq!(xml.matches("<testsuite ").count(), 2);
    }

    #[test]
    fn no_format_shows_bidi_invisible_or_c1_characters_raw() {
        let mut report = fixtures::hostile_with(fixtures::SPOOFING);
        let mut token = fixtures::token_facts(fixtures::SPOOFING);
        token.claims.insert(
            fixtures::SPOOFING.to_string(),
            serde_json::Value::String(fixtures::SPOOFING.to_string()),
        );
        report.token = Some(token);
        let opts = RenderOptions::default();
        let reports = std::slice::from_ref(&report);
        for (format, batch) in [
            (Format::Human, false),
            (Format::Markdown, false),
            (Format::Junit, false),
            (Format::Json, false),
            (Format::Json, true),
        ] {
            let text = render_reports(reports, format, batch, &opts);
            let raw: Vec<char> = text
                .chars()
                .filter(|c| crate::text::must_escape(*c) && *c != '\n')
                .collect();
            assert!(raw.is_empty(), "{format:?}: {raw:?} in\n{text}");
            if format == Format::Json {
                let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(parsed, json(&report, &opts), "the values are kept");
            }
            if format == Format::Junit {
                roxmltree::Document::parse(&text).expect("well-formed XML");
            }
        }
    }
}
