//! The Markdown format: a report to paste into a ticket. A heading, the target,
//! the verdict and what to do, a table of every check, the facts of what is
//! wrong, and the token.

use serde_json::{Map, Value};

use super::facts::fact_lines;
use super::{broken_link, healthy_summary, RenderOptions};
use crate::clock;
use crate::report::{Check, Report, Status, TokenFacts, Verdict};
use crate::text::escape_controls;

/// Longest string shown in the facts; `--format json` has everything.
const MAX_VALUE_CHARS: usize = 500;

/// Renders `report` as Markdown (CommonMark with a GitHub-style table).
///
/// Text from the report is escaped so that it renders as the text it is: table
/// cells cannot be split by a `|` or a line break, markup and HTML are shown
/// literally, and code blocks use a fence longer than any backtick run inside.
pub fn markdown(report: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    let title = match &report.target {
        Some(target) => format!(
            "idtoken-doctor {}: {}",
            report.command,
            inline(&target.host)
        ),
        None => format!("idtoken-doctor {}", report.command),
    };
    out.push_str(&format!("## {title}\n\n"));

    if let Some(target) = &report.target {
        out.push_str(&format!(
            "- **Target:** {} (host {}, port {})\n",
            inline(&target.amurl),
            inline(&target.host),
            target.port
        ));
    }
    out.push_str(&format!(
        "- **Evaluated at:** {}\n",
        clock::utc(report.evaluated_at)
    ));
    out.push_str(&format!(
        "- **Tool:** idtoken-doctor {}\n",
        inline(opts.tool_version)
    ));
    if report.strict {
        out.push_str("- **Strict:** warnings count as failures\n");
    }
    for note in &report.notes {
        out.push_str(&format!("- **Note:** {}\n", inline(note)));
    }
    out.push('\n');

    write_verdict(&mut out, report);
    write_table(&mut out, report);
    write_details(&mut out, report);
    if let Some(token) = &report.token {
        write_token(&mut out, token, report);
    }
    out
}

fn write_verdict(out: &mut String, report: &Report) {
    let verdict = report.verdict();
    match broken_link(&verdict) {
        None => out.push_str(&format!(
            "**Verdict: healthy.** {}.\n\n",
            inline(&healthy_summary(report))
        )),
        Some((stage, check, summary, remedy)) => {
            let head = match verdict {
                Verdict::Inconclusive { .. } => "inconclusive (not checked from here) at",
                _ => "broken at",
            };
            out.push_str(&format!(
                "**Verdict: {head} {stage} (`{check}`):** {}\n\n",
                inline(summary)
            ));
            out.push_str(&format!("**What to do:** {}\n\n", inline(remedy)));
        }
    }
    out.push_str(&format!("**Exit code:** {}\n\n", verdict.exit_code()));
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::Pass => "✔ pass",
        Status::Warn => "! warn",
        Status::Fail => "✘ fail",
        Status::Skip => "– skip",
        Status::Error => "? error",
    }
}

fn write_table(out: &mut String, report: &Report) {
    let broken = broken_link(&report.verdict()).map(|(_, id, _, _)| id);
    out.push_str("| Stage | Check | Status | Summary |\n");
    out.push_str("|---|---|---|---|\n");
    for check in report.checks() {
        let status = if broken == Some(check.id.as_str()) {
            format!("**{} (broken link)**", status_text(check.status))
        } else {
            status_text(check.status).to_string()
        };
        out.push_str(&format!(
            "| {} | `{}` | {status} | {} |\n",
            check.id.stage(),
            check.id,
            cell(&check.summary)
        ));
    }
    out.push('\n');
}

/// The summary, remedy and facts of every failing or warning check.
fn write_details(out: &mut String, report: &Report) {
    let flagged: Vec<&Check> = report
        .checks()
        .into_iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Warn))
        .collect();
    if flagged.is_empty() {
        return;
    }
    out.push_str("### Details\n\n");
    for check in flagged {
        out.push_str(&format!(
            "#### {} `{}`\n\n{}\n\n",
            status_text(check.status),
            check.id,
            inline(&check.summary)
        ));
        if let Some(remedy) = check.remedy_text() {
            out.push_str(&format!("**What to do:** {}\n\n", inline(remedy)));
        }
        let lines: Vec<String> = fact_lines(&check.details, Some(MAX_VALUE_CHARS))
            .iter()
            .map(|l| l.indented(""))
            .collect();
        if !lines.is_empty() {
            out.push_str(&code_block("text", &lines.join("\n")));
        }
    }
}

fn write_token(out: &mut String, token: &TokenFacts, report: &Report) {
    out.push_str("### Token\n\n");
    if let Some(unique_id) = &token.unique_id {
        out.push_str(&format!("- **Unique id:** {}\n", inline(unique_id)));
    }
    for (name, instant) in &token.times {
        out.push_str(&format!(
            "- **{}:** {} ({})\n",
            inline(name),
            clock::utc(*instant),
            clock::relative(*instant, report.evaluated_at)
        ));
    }
    if token.unique_id.is_some() || !token.times.is_empty() {
        out.push('\n');
    }
    for (label, object) in [
        ("Header", &token.header),
        ("Claims", &token.claims),
        ("appctx", &token.appctx),
    ] {
        if object.is_empty() {
            continue;
        }
        out.push_str(&format!("{label}:\n\n"));
        out.push_str(&code_block("json", &pretty(object)));
    }
}

fn pretty(object: &Map<String, Value>) -> String {
    serde_json::to_string_pretty(object).unwrap_or_default()
}

/// A fenced code block: control characters escaped, and a fence of more
/// backticks than the longest run inside, so the content cannot close it.
fn code_block(info: &str, content: &str) -> String {
    let content: Vec<String> = content.lines().map(escape_controls).collect();
    let content = content.join("\n");
    let longest_run = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("{fence}{info}\n{content}\n{fence}\n\n")
}

/// Text for a paragraph or list item: controls escaped, Markdown and HTML
/// punctuation backslash-escaped, line breaks as `<br>`.
fn inline(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(escape_punctuation)
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Text for a table cell: as [`inline`], which also escapes `|`, so neither a
/// pipe nor a line break can split the row.
fn cell(text: &str) -> String {
    inline(text.trim())
}

fn escape_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_controls(text).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;
    use crate::render::fixtures;

    fn render(report: &Report) -> String {
        markdown(report, &RenderOptions::default())
    }

    fn table_rows(text: &str) -> Vec<&str> {
        text.lines()
            .skip_while(|l| !l.starts_with("| Stage |"))
            .take_while(|l| l.starts_with('|'))
            .collect()
    }

    /// The cells of a table row, splitting on pipes not escaped by a backslash.
    fn cells(row: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut escaped = false;
        for c in row.chars() {
            match c {
                '|' if !escaped => cells.push(String::new()),
                _ => {
                    if let Some(last) = cells.last_mut() {
                        last.push(c);
                    }
                }
            }
            escaped = c == '\\' && !escaped;
        }
        cells
            .into_iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    }

    #[test]
    fn heading_target_verdict_and_remedy() {
        let text = render(&fixtures::broken_at_tls());
        assert!(text.starts_with("## idtoken-doctor probe: mail.contoso.com\n\n"));
        assert!(text.contains(
            "- **Target:** https://mail.contoso.com/autodiscover/metadata/json/1 (host mail.contoso.com, port 443)\n"
        ));
        assert!(text.contains(
            "**Verdict: broken at tls (`tls.trust`):** the server certificate CN=mail.contoso.com is self-signed\n"
        ));
        assert!(text.contains(&format!(
            "**What to do:** {}",
            inline(Remedy::TlsSelfSigned.text())
        )));
        assert!(text.contains("**Exit code:** 40\n"));
    }

    #[test]
    fn table_lists_every_check_in_order_with_four_cells() {
        let report = fixtures::broken_at_tls();
        let text = render(&report);
        let rows = table_rows(&text);
        assert_eq!(rows[0], "| Stage | Check | Status | Summary |");
        assert_eq!(rows[1], "|---|---|---|---|");
        let body = &rows[2..];
        assert_eq!(body.len(), report.checks().len());
        for (row, check) in body.iter().zip(report.checks()) {
            let cells = cells(row);
            assert_eq!(cells.len(), 4, "{row}");
            assert_eq!(cells[0], check.id.stage().as_str());
            assert_eq!(cells[1], format!("`{}`", check.id));
        }
        assert!(text.contains("| tls | `tls.trust` | **✘ fail (broken link)** |"));
    }

    #[test]
    fn pipes_and_newlines_cannot_break_the_table() {
        let report = fixtures::hostile();
        let text = render(&report);
        let rows = table_rows(&text);
        assert_eq!(rows.len(), 2 + report.checks().len());
        for row in &rows[2..] {
            assert_eq!(cells(row).len(), 4, "{row}");
        }
        let fail_row = rows
            .iter()
            .find(|r| r.contains("`http.access`"))
            .expect("http.access row");
        assert!(
            fail_row.contains(r"a \& b \| c<br>d \\u{1b}\[31mred\\u{1}"),
            "{fail_row}"
        );
        assert!(
            fail_row.contains(r#"\<script\>alert("x")\</script\> \]\]\>"#),
            "{fail_row}"
        );
        assert!(!text.contains('\u{1b}'));
        assert!(!text.contains('\u{1}'));
        assert_eq!(cell("a|b\r\nc\rd"), r"a\|b<br>c<br>d");
    }

    #[test]
    fn details_cover_failing_and_warning_checks_only() {
        let text = render(&fixtures::broken_at_http(false));
        assert!(text.contains("### Details\n\n#### ! warn `dns.split_horizon`\n"));
        assert!(text.contains("#### ✘ fail `http.access`\n"));
        assert!(text.contains("```text\nstatus_line: HTTP/1.1 401 Unauthorized\nwww_authenticate: Negotiate, NTLM\n```\n"));
        assert!(!text.contains("#### ✔"));
        assert!(!render(&fixtures::broken_at_token()).contains("#### –"));
    }

    #[test]
    fn code_fences_outgrow_backticks_inside() {
        let block = code_block("text", "a ``` b\n`````");
        assert!(block.starts_with("``````text\n"));
        assert!(block.ends_with("\n``````\n\n"));
    }

    #[test]
    fn token_section_when_present() {
        let text = render(&fixtures::healthy());
        assert!(text.contains(
            "**Verdict: healthy.** every link of the chain that was checked holds (1 warning).\n"
        ));
        assert!(text.contains("**Exit code:** 0\n"));
        assert!(text.contains("### Token\n\n"));
        assert!(text.contains(&format!(
            "- **Unique id:** {}{}\n",
            fixtures::AMURL,
            fixtures::MSEXCHUID
        )));
        assert!(text.contains("- **exp:** 2020-03-13 18:12:59 UTC ("));
        assert!(text.contains("Header:\n\n```json\n{\n  \"alg\": \"RS256\","));
        assert!(text.contains("Claims:\n\n```json\n"));
        assert!(!render(&fixtures::broken_at_tls()).contains("### Token"));
    }
}
