//! A batch as people read it: one short block per target as each is ready
//! (its name, its verdict, and for a broken link the summary and what to do),
//! then a summary table of every target, in the human format or in Markdown.
//!
//! Whole reports are for one target at a time (`probe TARGET`, or a batch in
//! JSON or JUnit); a block of a few lines is what a run over hundreds of hosts
//! can show, and the table at the end is where the eye lands.

use std::sync::Arc;

use colored::Color;

use super::wrap::fit;
use super::{broken_link, RenderOptions};
use crate::input;
use crate::report::{CheckId, Report, Status, Verdict};
use crate::text::{escape_controls, excerpt};

/// The longest target name shown, in characters: a URL or host as given is
/// shown whole up to this, cut beyond it.
const MAX_NAME_CHARS: usize = 200;

/// What a batch target is called in every format: its amurl for a token (a
/// token is never shown), the URL or host as given otherwise, and for a line
/// that is only part of a token, just its line.
///
/// `given` is the batch line's text; `None` for a line refused as part of a token.
pub fn target_name(report: &Report, given: Option<&str>, line: usize) -> String {
    let Some(given) = given else {
        return format!("line {line}: part of a token");
    };
    // Every token, whole or in part, holds `eyJ` (`{"` in base64url).
    if given.contains("eyJ") {
        return match &report.target {
            Some(target) => excerpt(&target.amurl, MAX_NAME_CHARS),
            None => format!("line {line}: a token without a readable amurl"),
        };
    }
    excerpt(&input::hide_token_text(given.trim()), MAX_NAME_CHARS)
}

/// `name` without a leading `line N` label: the human format shows the line
/// beside every name already, and `line 6  line 6: part of a token` says it
/// twice.
fn unlabelled(name: &str, line: usize) -> &str {
    let label = format!("line {line}");
    match name.strip_prefix(&label) {
        Some("") => "",
        Some(rest) => rest.strip_prefix(": ").unwrap_or(name),
        None => name,
    }
}

/// One row of the closing summary: all a batch keeps of a finished target,
/// small (a few tens of bytes; names are shared between rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// The batch line the target was on.
    pub line: usize,
    /// Its name, as [`target_name`] gives it.
    pub name: Arc<str>,
    /// Its verdict.
    pub verdict: RowVerdict,
}

/// A verdict without its summary and remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowVerdict {
    /// Healthy.
    Healthy,
    /// Broken at this check.
    Broken(CheckId),
    /// Inconclusive at this check.
    Inconclusive(CheckId),
}

impl RowVerdict {
    /// The verdict of `report`.
    pub fn of(report: &Report) -> Self {
        match report.verdict() {
            Verdict::Healthy => RowVerdict::Healthy,
            Verdict::Broken { check, .. } => RowVerdict::Broken(check),
            Verdict::Inconclusive { check, .. } => RowVerdict::Inconclusive(check),
        }
    }

    /// `healthy`, `broken at CHECK` or `inconclusive at CHECK`.
    pub fn words(self) -> String {
        match self {
            RowVerdict::Healthy => "healthy".to_string(),
            RowVerdict::Broken(check) => format!("broken at {check}"),
            RowVerdict::Inconclusive(check) => format!("inconclusive at {check}"),
        }
    }

    /// The exit code of the verdict, as [`Verdict::exit_code`] gives it.
    pub fn code(self) -> i32 {
        match self {
            RowVerdict::Healthy => 0,
            RowVerdict::Broken(check) => check.stage().exit_code(),
            RowVerdict::Inconclusive(_) => crate::report::EXIT_INCONCLUSIVE,
        }
    }
}

impl SummaryRow {
    /// The row for a finished target.
    pub fn of(report: &Report, name: Arc<str>, line: usize) -> Self {
        SummaryRow {
            line,
            name,
            verdict: RowVerdict::of(report),
        }
    }
}

/// The human block of one target: its batch line and name, then its verdict
/// in one line (a healthy verdict names its warnings), and for a broken or
/// inconclusive link what to do. Lines are wrapped to `width` when given,
/// never inside a word. Under `--verbose` the line and name head the target's
/// whole report instead, every check with its details.
pub fn human_block(
    report: &Report,
    name: &str,
    line: usize,
    opts: &RenderOptions,
    width: Option<usize>,
) -> String {
    let paint = |text: &str, colour: Color| {
        if opts.color {
            format!("\x1b[1;{}m{text}\x1b[0m", colour.to_fg_str())
        } else {
            text.to_string()
        }
    };
    let sym = super::ascii::symbols(opts.ascii);
    let mut out = paint(&format!("line {line}"), Color::Cyan);
    match unlabelled(name, line) {
        "" => out.push('\n'),
        rest => out.push_str(&format!("  {}\n", escape_controls(rest))),
    }
    if opts.verbose {
        out.push_str(&super::human(report, opts));
        return out;
    }
    let verdict = report.verdict();
    match broken_link(&verdict) {
        None => {
            let warnings: Vec<String> = report
                .checks()
                .iter()
                .filter(|c| c.status == Status::Warn)
                .map(|c| c.id.to_string())
                .collect();
            let text = match warnings.len() {
                0 => "healthy".to_string(),
                1 => format!("healthy, with 1 warning: {}", warnings[0]),
                n => format!("healthy, with {n} warnings: {}", warnings.join(", ")),
            };
            out.push_str(&wrap(
                &format!("{} {text}", paint(sym.pass, Color::Green)),
                "  ",
                "    ",
                width,
            ));
        }
        Some((_, check, summary, remedy)) => {
            let (symbol, words) = match verdict {
                Verdict::Inconclusive { .. } => {
                    (paint(sym.error, Color::Magenta), "inconclusive at")
                }
                _ => (paint(sym.fail, Color::Red), "broken at"),
            };
            let summary = escape_controls(summary);
            out.push_str(&wrap(
                &format!("{symbol} {words} {check}: {summary}"),
                "  ",
                "    ",
                width,
            ));
            if !remedy.is_empty() {
                out.push_str(&wrap(
                    &format!("What to do: {remedy}"),
                    "    ",
                    "    ",
                    width,
                ));
            }
        }
    }
    out
}

/// `text` as lines of at most `width` columns (when given), the first starting
/// with `first`, the others with `rest`; a word longer than a line (a URL, a
/// thumbprint) overflows rather than breaks.
fn wrap(text: &str, first: &str, rest: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return format!("{first}{text}\n");
    };
    let mut out = String::new();
    let mut line = first.to_string();
    let mut line_has_word = false;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let fits = visible_len(&line) + 1 + visible_len(word) <= width;
        if line_has_word && !fits {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_string();
            line_has_word = false;
        }
        if line_has_word {
            line.push(' ');
        }
        line.push_str(word);
        line_has_word = true;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The columns `word` takes, not counting ANSI colour escapes.
fn visible_len(word: &str) -> usize {
    let mut count = 0;
    let mut in_escape = false;
    for c in word.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => count += 1,
        }
    }
    count
}

fn targets(n: usize) -> String {
    match n {
        1 => "1 target".to_string(),
        n => format!("{n} targets"),
    }
}

/// How many targets ended healthy, broken and inconclusive, in words.
fn tally(rows: &[SummaryRow]) -> String {
    let healthy = rows
        .iter()
        .filter(|r| r.verdict == RowVerdict::Healthy)
        .count();
    let inconclusive = rows
        .iter()
        .filter(|r| matches!(r.verdict, RowVerdict::Inconclusive(_)))
        .count();
    let broken = rows.len() - healthy - inconclusive;
    let mut parts = vec![format!("{healthy} healthy"), format!("{broken} broken")];
    if inconclusive > 0 {
        parts.push(format!("{inconclusive} inconclusive"));
    }
    parts.join(", ")
}

/// The closing table of a human batch: one row per target, its name last so
/// that a long URL lengthens its row without shifting any column. With a
/// terminal `width`, a name too long for its row is clipped (the reports above
/// and the other formats carry it whole).
pub fn human_summary(rows: &[SummaryRow], width: Option<usize>) -> String {
    let mut out = format!("\nSummary of {}: {}\n", targets(rows.len()), tally(rows));
    let line_width = rows
        .iter()
        .map(|r| r.line.to_string().len())
        .max()
        .unwrap_or(0)
        .max("line".len());
    let verdict_width = rows
        .iter()
        .map(|r| r.verdict.words().len())
        .max()
        .unwrap_or(0)
        .max("verdict".len());
    out.push_str(&format!(
        "{:>line_width$}  {:>4}  {:<verdict_width$}  target\n",
        "line", "exit", "verdict"
    ));
    let name_column = line_width + 2 + 4 + 2 + verdict_width + 2;
    for row in rows {
        let name = match unlabelled(&row.name, row.line) {
            "" => "(hidden)",
            name => name,
        };
        let name = match width {
            Some(width) => fit(name, width.saturating_sub(name_column)),
            None => name.to_string(),
        };
        out.push_str(&format!(
            "{:>line_width$}  {:>4}  {:<verdict_width$}  {}\n",
            row.line,
            row.verdict.code(),
            row.verdict.words(),
            name
        ));
    }
    out
}

/// The closing table of a Markdown batch, after the reports.
pub fn markdown_summary(rows: &[SummaryRow]) -> String {
    let mut out = format!(
        "\n---\n\n## Summary of {}: {}\n\n| Line | Target | Verdict | Exit code |\n|---:|---|---|---:|\n",
        targets(rows.len()),
        tally(rows)
    );
    for row in rows {
        // A code span shows the name as it is; a pipe inside it is escaped for
        // the table, a backtick (never in a URL or host) cannot close it early.
        let name = row.name.replace('`', "'").replace('|', "\\|");
        let verdict = match row.verdict {
            RowVerdict::Healthy => "healthy".to_string(),
            RowVerdict::Broken(check) => format!("broken at `{check}`"),
            RowVerdict::Inconclusive(check) => format!("inconclusive at `{check}`"),
        };
        out.push_str(&format!(
            "| {} | `{name}` | {verdict} | {} |\n",
            row.line,
            row.verdict.code()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    fn rows() -> Vec<SummaryRow> {
        vec![
            SummaryRow::of(&fixtures::healthy(), Arc::from("mail.contoso.com"), 2),
            SummaryRow::of(
                &fixtures::broken_at_tls(),
                Arc::from(format!(
                    "https://{}.contoso.com/autodiscover/metadata/json/1",
                    "x".repeat(90)
                )),
                13,
            ),
        ]
    }

    #[test]
    fn a_long_url_never_shifts_the_summary_columns() {
        let table = human_summary(&rows(), None);
        let lines: Vec<&str> = table.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], "Summary of 2 targets: 1 healthy, 1 broken");
        let column = |line: &str, word: &str| line.find(word).expect(word);
        let verdict_at = column(lines[1], "verdict");
        let target_at = column(lines[1], "target");
        assert_eq!(column(lines[2], "healthy"), verdict_at);
        assert_eq!(column(lines[3], "broken at tls.trust"), verdict_at);
        assert_eq!(column(lines[2], "mail.contoso.com"), target_at);
        assert_eq!(column(lines[3], "https://"), target_at);
        assert!(lines[3].starts_with("  13    40  "), "{}", lines[3]);
    }

    #[test]
    fn the_summary_fits_the_terminal_and_names_a_line_once() {
        let mut all = rows();
        all.push(SummaryRow::of(
            &fixtures::healthy(),
            Arc::from("line 6: part of a token"),
            6,
        ));
        let table = human_summary(&all, Some(80));
        for line in table.lines() {
            assert!(super::super::wrap::width_of(line) <= 80, "{line:?}");
        }
        assert!(table.contains("…\n"), "{table}");
        assert!(!table.contains("line 6"), "{table}");
        assert!(table.contains("part of a token"), "{table}");
        let block = human_block(
            &fixtures::healthy(),
            "line 6: part of a token",
            6,
            &RenderOptions::default(),
            None,
        );
        assert!(block.starts_with("line 6  part of a token\n"), "{block}");
        let hidden = human_block(
            &fixtures::healthy(),
            "line 7",
            7,
            &RenderOptions::default(),
            None,
        );
        assert!(hidden.starts_with("line 7\n"), "{hidden}");
    }

    #[test]
    fn one_target_is_one_target() {
        let table = human_summary(&rows()[..1], None);
        assert!(
            table.contains("Summary of 1 target: 1 healthy, 0 broken\n"),
            "{table}"
        );
        let md = markdown_summary(&rows()[..1]);
        assert!(md.contains("## Summary of 1 target: "), "{md}");
    }

    #[test]
    fn markdown_summary_is_a_table_row_per_target() {
        let md = markdown_summary(&rows());
        let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(table.len(), 4);
        assert_eq!(table[2], "| 2 | `mail.contoso.com` | healthy | 0 |");
        assert!(table[3].contains("| broken at `tls.trust` | 40 |"));
        let piped = SummaryRow {
            name: Arc::from("a|b`c"),
            ..rows()[0].clone()
        };
        assert!(markdown_summary(&[piped]).contains("| `a\\|b'c` |"));
    }

    #[test]
    fn a_block_is_a_few_lines_naming_the_verdict() {
        let opts = RenderOptions::default();
        let healthy = human_block(&fixtures::healthy(), "mail.contoso.com", 1, &opts, None);
        // The fixture's token is old: its lifetime is a warning, named.
        assert_eq!(
            healthy,
            "line 1  mail.contoso.com\n  ✔ healthy, with 1 warning: token.lifetime\n"
        );
        let broken = human_block(&fixtures::broken_at_tls(), "x", 4, &opts, Some(60));
        let lines: Vec<&str> = broken.lines().collect();
        assert!(lines.len() <= 8, "{broken}");
        assert!(
            lines[1].starts_with("  ✘ broken at tls.trust: the server"),
            "{broken}"
        );
        assert!(broken.contains("What to do:"));
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{broken}");
        let warned = human_block(&fixtures::broken_at_http(false), "x", 1, &opts, None);
        assert!(warned.contains("broken at http.access"), "{warned}");
    }

    #[test]
    fn verbose_blocks_hold_the_whole_report_under_the_targets_line() {
        let opts = RenderOptions {
            verbose: true,
            ..RenderOptions::default()
        };
        let report = fixtures::broken_at_tls();
        let block = human_block(&report, "mail.contoso.com", 3, &opts, None);
        assert!(block.starts_with("line 3  mail.contoso.com\n"), "{block}");
        for check in report.checks() {
            assert!(
                block.contains(check.id.as_str()),
                "{} missing:\n{block}",
                check.id
            );
        }
        let short = human_block(
            &report,
            "mail.contoso.com",
            3,
            &RenderOptions::default(),
            None,
        );
        assert!(block.lines().count() > short.lines().count() * 3, "{block}");
    }

    #[test]
    fn healthy_with_warnings_names_them() {
        let mut report = fixtures::healthy();
        report.push(crate::report::Check::warn(
            crate::report::CheckId::DnsSplitHorizon,
            "differs",
            crate::remedy::Remedy::SplitHorizon,
        ));
        let block = human_block(&report, "x", 1, &RenderOptions::default(), None);
        assert!(
            block.contains("✔ healthy, with 2 warnings: token.lifetime, dns.split_horizon"),
            "{block}"
        );
    }

    #[test]
    fn colour_escapes_take_no_columns() {
        let opts = RenderOptions {
            color: true,
            ..RenderOptions::default()
        };
        let block = human_block(&fixtures::broken_at_tls(), "x", 4, &opts, Some(60));
        let plain = human_block(
            &fixtures::broken_at_tls(),
            "x",
            4,
            &RenderOptions::default(),
            Some(60),
        );
        assert!(block.contains("\x1b["));
        let shape = |text: &str| text.lines().map(visible_len).collect::<Vec<_>>();
        assert_eq!(shape(&block), shape(&plain));
    }

    #[test]
    fn wrapping_never_breaks_a_word() {
        let url = format!("https://{}/", "a".repeat(50));
        let text = format!("word {url} and more words here");
        let wrapped = wrap(&text, "  ", "    ", Some(20));
        assert!(wrapped.contains(&url));
        assert_eq!(wrapped.replace("\n    ", " ").trim(), text);
    }

    #[test]
    fn names_never_show_a_token() {
        let report = fixtures::healthy();
        let token = format!(
            "eyJ{}.eyJ{}.{}",
            "a".repeat(30),
            "b".repeat(30),
            "c".repeat(40)
        );
        let name = target_name(&report, Some(&token), 3);
        assert!(!name.contains("eyJ"), "{name}");
        assert_eq!(target_name(&report, None, 7), "line 7: part of a token");
        assert_eq!(
            target_name(&report, Some(" mail.contoso.com "), 1),
            "mail.contoso.com"
        );
        let mut no_target = fixtures::healthy();
        no_target.target = None;
        assert_eq!(
            target_name(&no_target, Some(&token), 3),
            "line 3: a token without a readable amurl"
        );
    }
}
