//! The renderers know nothing about how a check is made: they read a
//! [`Report`] and write text. Six formats: [`human()`] for a terminal,
//! [`json()`] / [`json_line`] for scripts (the contract's report shape),
//! [`markdown()`] for a ticket, [`junit()`] for CI systems, [`prometheus()`]
//! for monitoring and [`reply()`] for the message to the customer. [`redact()`] hides user
//! identifiers in a report before any of them runs, so every format inherits it.
//!
//! Everything a report holds may come from a hostile token or server (a claim,
//! a `Location` header, a certificate subject), so every renderer escapes what it
//! prints for its own format: control characters never reach a terminal, table
//! cells cannot break a Markdown table, and the XML is always well-formed.

mod ascii;
pub mod batch;
mod facts;
#[cfg(test)]
mod fixtures;
mod human;
mod json;
pub mod junit;
mod markdown;
pub mod prometheus;
pub mod redact;
mod reply;
mod wrap;

use std::ffi::OsStr;

pub use human::human;
pub use json::{json, json_line, report_schema};
pub use junit::junit;
pub use markdown::markdown;
pub(crate) use markdown::{code_span, inline as markdown_inline};
pub use prometheus::prometheus;
pub use redact::redact;
pub use reply::reply;
pub(crate) use wrap::{wrap, LongWords};

use crate::remedy::commands::Command;
use crate::report::{Report, Status, Verdict};

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A readable chain, one line per link that holds.
    #[default]
    Human,
    /// One JSON object per target (the contract's report shape).
    Json,
    /// A heading, a table of checks and the verdict, for a ticket.
    Markdown,
    /// JUnit XML for CI systems.
    Junit,
    /// The Prometheus text exposition format (for node_exporter's textfile collector).
    Prometheus,
    /// The message a support engineer sends the customer (plain ASCII, short,
    /// user identifiers always hidden).
    Reply,
}

/// When to colour the human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// How reports are rendered, beyond the report itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Whether the human format may use ANSI colours (see [`use_color`]).
    pub color: bool,
    /// The tool's version, as the JSON report's `tool_version` states it.
    pub tool_version: &'static str,
    /// Plain ASCII only (see [`use_ascii`]): ASCII symbols in the human and
    /// Markdown formats, and every other non-ASCII character escaped in the
    /// form each format reads back (`\u00e9` in JSON, `&#xe9;` in XML).
    pub ascii: bool,
    /// Columns to wrap the human format to (see [`report_width`]); `None`
    /// leaves lines whole.
    pub width: Option<usize>,
    /// The human format shows every check with every detail (`--verbose`).
    pub verbose: bool,
}

impl Default for RenderOptions {
    /// No colour, Unicode symbols, no wrapping, the short report, and this crate's version.
    fn default() -> Self {
        RenderOptions {
            color: false,
            tool_version: env!("CARGO_PKG_VERSION"),
            ascii: false,
            width: None,
            verbose: false,
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

/// The guide to the JSON report for `docs/json-report.md`: how to read it,
/// what each check's details hold, batch output, `jq` recipes, and an example
/// report from a real run of `demo auth-401`.
pub fn json_report_guide() -> String {
    format!(
        "{}```json\n{}```\n",
        include_str!("json_guide.md"),
        include_str!("json_example.json")
    )
}

/// Whether the output must be plain ASCII: `--ascii`, or an output that is not
/// a UTF-8 terminal. On Windows that is anything but a console (PowerShell
/// decodes what it captures with the OEM code page; a console is written in
/// UTF-16 and shows every symbol). Elsewhere pipes and files are UTF-8 by
/// convention, and only a terminal whose locale is not UTF-8 gets ASCII.
pub fn use_ascii(forced: bool, stream_is_terminal: bool) -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty());
    ascii_decision(forced, cfg!(windows), stream_is_terminal, locale.as_deref())
}

/// The decision of [`use_ascii`] with the platform and locale passed in.
fn ascii_decision(
    forced: bool,
    windows: bool,
    stream_is_terminal: bool,
    locale: Option<&OsStr>,
) -> bool {
    if forced {
        return true;
    }
    if windows {
        return !stream_is_terminal;
    }
    let utf8_locale = locale.is_some_and(|l| {
        let l = l.to_string_lossy().to_ascii_lowercase();
        l.contains("utf-8") || l.contains("utf8")
    });
    stream_is_terminal && !utf8_locale
}

/// The width to wrap the human format to: `COLUMNS` when set to a number,
/// else the terminal's width when the output is a terminal (`terminal`, its
/// measured width), else none: a pipe without `COLUMNS` is not wrapped.
pub fn report_width(columns: Option<&OsStr>, terminal: Option<usize>) -> Option<usize> {
    columns
        .and_then(|c| c.to_str())
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or(terminal)
}

/// `text` broken between words for a `width`-column line that starts `indent`
/// columns in, its lines joined with a newline and that indentation: for the
/// lists and tables the commands print beside the reports.
pub fn wrap_words(text: &str, width: usize, indent: usize) -> String {
    wrap::wrap(text, Some(width), indent, indent, wrap::LongWords::Overflow)
        .join(&format!("\n{}", " ".repeat(indent)))
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
    ascii_where_asked(render_plain(reports, format, batch, opts), format, opts)
}

/// `text` in `format` as it must reach the reader: under `opts.ascii`, every
/// character outside ASCII written in a form the format reads back unchanged
/// (a batch writes its pieces through this too). ASCII text comes back as is.
pub fn ascii_where_asked(text: String, format: Format, opts: &RenderOptions) -> String {
    if !opts.ascii {
        return text;
    }
    let escape = match format {
        Format::Json => ascii::Escape::Json,
        Format::Junit => ascii::Escape::Xml,
        _ => ascii::Escape::Text,
    };
    ascii::fold(&text, escape)
}

/// [`render_reports`] before the ASCII pass.
fn render_plain(reports: &[Report], format: Format, batch: bool, opts: &RenderOptions) -> String {
    match format {
        Format::Junit => junit(reports, opts),
        Format::Json if batch => reports.iter().map(|r| json_line(r, opts) + "\n").collect(),
        Format::Json => reports
            .iter()
            .map(|r| json::json_pretty(r, opts) + "\n")
            .collect(),
        Format::Human => join_with_rule(reports.iter().map(|r| human(r, opts)), "\n"),
        Format::Markdown => join_with_rule(reports.iter().map(|r| markdown(r, opts)), "\n---\n\n"),
        Format::Prometheus => prometheus(reports),
        Format::Reply => join_with_rule(reports.iter().map(reply), REPLY_RULE),
    }
}

/// What separates the customer messages of a batch: one per target.
pub const REPLY_RULE: &str =
    "\n----------------------------------------------------------------------\n\n";

/// A remedy's commands as plain lines for a ticket or a CI log: before each
/// command a `#` comment naming its shell and purpose (and saying when it
/// changes configuration), then the command itself, whole. Both shells read
/// the comment as a comment, so the lines can be pasted as they are.
fn command_lines(commands: &[Command]) -> Vec<String> {
    let mut lines = Vec::new();
    for command in commands {
        let shell = command.shell.label();
        let changes = if command.changes {
            " (changes configuration)"
        } else {
            ""
        };
        lines.push(format!("# {shell}: {}{changes}", command.purpose));
        lines.push(command.run.clone());
    }
    lines
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

/// The summary of a healthy verdict, naming every warning left standing. `decode`
/// judges the token alone, and says so rather than calling the chain healthy.
fn healthy_summary(report: &Report) -> String {
    let warnings: Vec<&str> = report
        .checks()
        .iter()
        .filter(|c| c.status == Status::Warn)
        .map(|c| c.id.as_str())
        .collect();
    let warned = match warnings.len() {
        0 => String::new(),
        1 => format!(", with 1 warning: {}", warnings[0]),
        n => format!(", with {n} warnings: {}", warnings.join(", ")),
    };
    if report.command == "decode" {
        format!("the token holds{warned} (its network links were not checked: run `diagnose`)")
    } else {
        format!("every link of the chain that was checked holds{warned}")
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
    fn ascii_where_the_output_is_not_a_utf8_terminal() {
        let utf8 = Some(OsStr::new("en_US.UTF-8"));
        let c = Some(OsStr::new("C"));
        // --ascii wins anywhere.
        assert!(ascii_decision(true, false, true, utf8));
        // Windows: a console shows every symbol; a pipe or file is read by
        // PowerShell in the OEM code page, whatever the locale says.
        assert!(!ascii_decision(false, true, true, None));
        assert!(ascii_decision(false, true, false, utf8));
        // Elsewhere: a terminal in a UTF-8 locale gets symbols, one in another
        // locale (or none) gets ASCII; pipes and files are UTF-8 by convention.
        assert!(!ascii_decision(false, false, true, utf8));
        assert!(!ascii_decision(
            false,
            false,
            true,
            Some(OsStr::new("C.utf8"))
        ));
        assert!(ascii_decision(false, false, true, c));
        assert!(ascii_decision(false, false, true, None));
        assert!(!ascii_decision(false, false, false, c));
    }

    #[test]
    fn width_comes_from_columns_then_the_terminal() {
        assert_eq!(report_width(Some(OsStr::new("100")), Some(80)), Some(100));
        assert_eq!(report_width(None, Some(80)), Some(80));
        // A pipe without COLUMNS is not wrapped.
        assert_eq!(report_width(None, None), None);
        assert_eq!(report_width(Some(OsStr::new("wide")), None), None);
        assert_eq!(report_width(Some(OsStr::new("0")), Some(120)), Some(120));
    }

    #[test]
    fn ascii_output_of_every_format_is_ascii() {
        let opts = RenderOptions {
            ascii: true,
            ..RenderOptions::default()
        };
        let mut report = fixtures::broken_at_http(false);
        report.notes.push("Müller’s proxy → 😀".to_string());
        for format in [Format::Human, Format::Json, Format::Markdown, Format::Junit] {
            let text = render_reports(std::slice::from_ref(&report), format, false, &opts);
            assert!(text.is_ascii(), "{format:?}: {text}");
        }
        // The customer's message is ASCII whatever the options say.
        let reply = render_reports(
            std::slice::from_ref(&report),
            Format::Reply,
            false,
            &RenderOptions::default(),
        );
        assert!(reply.is_ascii(), "{reply}");
        let json_text = render_reports(&[report], Format::Json, false, &opts);
        let value: serde_json::Value = serde_json::from_str(&json_text).expect("valid JSON");
        assert_eq!(value["notes"][0], "Müller’s proxy → 😀");
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

    /// The keys of a JSON object, sorted.
    fn keys(value: &serde_json::Value) -> Vec<String> {
        let mut keys: Vec<String> = value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    #[test]
    fn the_documented_example_has_the_shape_the_tool_prints() {
        let example: serde_json::Value =
            serde_json::from_str(include_str!("json_example.json")).expect("the example parses");
        let printed = json(&fixtures::broken_at_http(false), &RenderOptions::default());
        assert_eq!(keys(&example), keys(&printed));
        assert_eq!(keys(&example["verdict"]), keys(&printed["verdict"]));
        assert_eq!(example["schema"], printed["schema"]);
        let checks = example["checks"].as_array().expect("checks");
        let ids: Vec<&str> = checks.iter().filter_map(|c| c["id"].as_str()).collect();
        // A `diagnose` report: every check but the mailbox stage's, which
        // only an e-mail address starts.
        let every: Vec<&str> = crate::report::CheckId::ALL
            .iter()
            .filter(|c| c.stage() != crate::report::Stage::Mailbox)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(ids, every, "every check, in chain order");
        for check in checks {
            assert_eq!(keys(check), keys(&printed["checks"][0]), "{check}");
        }
        assert_eq!(example["verdict"]["check"], "http.access");
        assert_eq!(example["verdict"]["exit_code"], 50);
    }

    #[test]
    fn the_guide_says_what_every_check_holds() {
        let guide = json_report_guide();
        for id in crate::report::CheckId::ALL {
            assert!(guide.contains(&format!("| `{id}` |")), "{id} missing");
        }
        assert_eq!(guide.matches("\n  | jq ").count(), 3, "three jq recipes");
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
            (Format::Reply, false),
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
