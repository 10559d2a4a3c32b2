//! The Markdown format: a report to paste into a ticket. A heading, the target,
//! the verdict and what to do, a table with one row per link (the links that
//! hold collapsed into one row each, every warning and failure a row of its
//! own), the facts of what is wrong, every check in a `<details>` block, and
//! the token.

use serde_json::{Map, Value};

use super::ascii::{symbols, Symbols};
use super::facts::{fact_lines, link_fact};
use super::{broken_link, command_lines, healthy_summary, RenderOptions};
use crate::clock;
use crate::report::{Check, Report, Stage, Status, TokenFacts, Verdict};
use crate::text::escape_controls;

/// Longest string shown in the facts; `--format json` has everything.
const MAX_VALUE_CHARS: usize = 500;

/// Renders `report` as Markdown (CommonMark with GitHub-style tables).
///
/// Text from the report is escaped so that it renders as the text it is: table
/// cells cannot be split by a `|` or a line break, markup and HTML are shown
/// literally, and code blocks use a fence longer than any backtick run inside.
/// The `` `…` `` spans of the tool's own sentences become code spans.
pub fn markdown(report: &Report, opts: &RenderOptions) -> String {
    let sym = symbols(opts.ascii);
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
    write_links(&mut out, report, sym);
    write_details(&mut out, report, sym);
    write_every_check(&mut out, report, sym);
    if let Some(token) = &report.token {
        write_token(&mut out, token, report);
    }
    out
}

fn write_verdict(out: &mut String, report: &Report) {
    let verdict = report.verdict();
    match broken_link(&verdict) {
        None if report.command == "decode" => out.push_str(&format!(
            "**Verdict:** {}.\n\n",
            inline(&healthy_summary(report))
        )),
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
}

fn status_text(status: Status, sym: &Symbols) -> String {
    let symbol = match status {
        Status::Pass => sym.pass,
        Status::Warn => sym.warn,
        Status::Fail => sym.fail,
        Status::Skip => sym.skip,
        Status::Error => sym.error,
    };
    format!("{symbol} {}", status.as_str())
}

/// One row per link: a link that holds is one row with its most useful fact;
/// each warning, failure and error is a row of its own; the links after the
/// break are "not checked".
fn write_links(out: &mut String, report: &Report, sym: &Symbols) {
    let checks = report.checks();
    let broken = broken_link(&report.verdict()).map(|(_, id, _, _)| id);
    let broken_stage = checks
        .iter()
        .find(|c| broken == Some(c.id.as_str()))
        .map(|c| c.id.stage());
    out.push_str("| Link | Status | What was found |\n");
    out.push_str("|---|---|---|\n");
    for stage in Stage::ALL {
        let in_stage: Vec<&Check> = checks
            .iter()
            .copied()
            .filter(|c| c.id.stage() == stage)
            .collect();
        if in_stage.is_empty() {
            continue;
        }
        let flagged: Vec<&&Check> = in_stage
            .iter()
            .filter(|c| matches!(c.status, Status::Warn | Status::Fail | Status::Error))
            .collect();
        let all_skipped = in_stage.iter().all(|c| c.status == Status::Skip);
        if all_skipped {
            let why = if broken_stage.is_some_and(|b| stage > b) {
                "not checked".to_string()
            } else {
                format!("not checked: {}", cell(&in_stage[0].summary))
            };
            out.push_str(&format!(
                "| {stage} | {} | {why} |\n",
                status_text(Status::Skip, sym)
            ));
            continue;
        }
        if !in_stage.iter().any(|c| c.status.stops_the_chain()) {
            out.push_str(&format!(
                "| {stage} | {} | {} |\n",
                status_text(Status::Pass, sym),
                cell(&link_fact(stage, &in_stage, report))
            ));
        }
        for check in flagged {
            let mut status = status_text(check.status, sym);
            if broken == Some(check.id.as_str()) {
                status = format!("**{status} (the verdict)**");
            }
            out.push_str(&format!(
                "| {stage} | {status} | `{}`: {} |\n",
                check.id,
                cell(&check.summary)
            ));
        }
    }
    out.push('\n');
}

/// The summary, remedy and facts of every failing or warning check.
fn write_details(out: &mut String, report: &Report, sym: &Symbols) {
    let flagged: Vec<&Check> = report
        .checks()
        .into_iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Warn | Status::Error))
        .collect();
    if flagged.is_empty() {
        return;
    }
    out.push_str("### Details\n\n");
    for check in flagged {
        out.push_str(&format!(
            "#### {} `{}`\n\n{}\n\n",
            status_text(check.status, sym),
            check.id,
            inline(&check.summary)
        ));
        if let Some(remedy) = check.remedy_text() {
            out.push_str(&format!("**What to do:** {}\n\n", inline(remedy)));
        }
        if !check.commands.is_empty() {
            out.push_str(&code_block("", &command_lines(&check.commands).join("\n")));
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

/// Every check, passes included, folded away: the ticket stays short and loses
/// nothing.
fn write_every_check(out: &mut String, report: &Report, sym: &Symbols) {
    let checks = report.checks();
    if checks.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<details>\n<summary>Every check ({})</summary>\n\n",
        checks.len()
    ));
    out.push_str("| Stage | Check | Status | Summary |\n");
    out.push_str("|---|---|---|---|\n");
    for check in checks {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            check.id.stage(),
            check.id,
            status_text(check.status, sym),
            cell(&check.summary)
        ));
    }
    out.push_str("\n</details>\n\n");
}

fn write_token(out: &mut String, token: &TokenFacts, report: &Report) {
    out.push_str("### Token\n\n");
    if let Some(unique_id) = &token.unique_id {
        // As code: a unique id starts with the amurl, and a renderer would
        // otherwise make it a link to a URL that is not one.
        out.push_str(&format!(
            "- **Unique id:** {}\n",
            code_span(unique_id, false)
        ));
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

/// A code span of `text` (controls escaped, line breaks as spaces), delimited
/// by more backticks than any run inside. In a table cell a pipe is escaped,
/// as GitHub's tables split on it even inside code.
pub(crate) fn code_span(text: &str, in_table: bool) -> String {
    let mut text = escape_controls(&text.replace(['\r', '\n'], " "));
    if in_table {
        text = text.replace('|', "\\|");
    }
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text for a paragraph or list item: controls escaped, Markdown and HTML
/// punctuation backslash-escaped, line breaks as `<br>`. The tool's sentences
/// quote values between backticks (`` the token's x5t `abc` ``): when the
/// backticks pair up, those spans become code spans rather than literal
/// backticks.
pub(crate) fn inline(text: &str) -> String {
    inline_in(text, false)
}

/// [`inline`] for a paragraph (`in_table` false) or a table cell.
fn inline_in(text: &str, in_table: bool) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return plain_inline(text);
    }
    parts
        .iter()
        .enumerate()
        .map(|(index, part)| match index % 2 {
            1 if !part.is_empty() => code_span(part, in_table),
            1 => "\\`\\`".to_string(),
            _ => plain_inline(part),
        })
        .collect()
}

fn plain_inline(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(escape_punctuation)
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Text for a table cell: as [`inline`], which also escapes `|`, so neither a
/// pipe nor a line break can split the row.
fn cell(text: &str) -> String {
    inline_in(text.trim(), true)
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
    use crate::report::CheckId;

    fn render(report: &Report) -> String {
        markdown(report, &RenderOptions::default())
    }

    /// The HTML a GitHub-flavoured renderer makes of `text`.
    fn html(text: &str) -> String {
        let options = pulldown_cmark::Options::ENABLE_TABLES;
        let parser = pulldown_cmark::Parser::new_ext(text, options);
        let mut out = String::new();
        pulldown_cmark::html::push_html(&mut out, parser);
        out
    }

    fn table_rows<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
        text.lines()
            .skip_while(|l| !l.starts_with(header))
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
        assert!(!text.contains("Exit code"));
    }

    #[test]
    fn links_that_hold_are_one_row_each_and_every_check_is_folded_away() {
        let report = fixtures::broken_at_tls();
        let text = render(&report);
        let rows = table_rows(&text, "| Link |");
        assert_eq!(rows[0], "| Link | Status | What was found |");
        let body = &rows[2..];
        // dns, tcp hold; tls fails; http, metadata, ews not checked.
        let links: Vec<String> = body.iter().map(|r| cells(r)[0].clone()).collect();
        assert_eq!(links, ["dns", "tcp", "tls", "http", "metadata", "ews"]);
        assert!(text.contains("| tls | **✘ fail (the verdict)** | `tls.trust`: the server"));
        assert!(text.contains("| http | – skip | not checked |"));
        for row in body {
            assert_eq!(cells(row).len(), 3, "{row}");
        }
        // Every check, in order, inside <details>.
        let every = table_rows(&text, "| Stage | Check |");
        assert_eq!(every.len(), 2 + report.checks().len());
        for (row, check) in every[2..].iter().zip(report.checks()) {
            let cells = cells(row);
            assert_eq!(cells.len(), 4, "{row}");
            assert_eq!(cells[1], format!("`{}`", check.id));
        }
        let details = text
            .find("<details>\n<summary>Every check (")
            .expect("details");
        assert!(details > text.find("| Link |").expect("links"));
    }

    #[test]
    fn it_renders_as_meant_no_literal_backticks_and_no_link_for_the_unique_id() {
        let mut report = fixtures::healthy();
        report.push(
            Check::fail(
                CheckId::KeyMatch,
                "the token's x5t `abc` is not among the 1 published certificate(s): `def`",
                Remedy::KeyNotPublished,
            )
            .with_detail("token_x5t", "abc"),
        );
        let text = render(&report);
        let page = html(&text);
        assert!(
            page.contains("the token's x5t <code>abc</code> is not among"),
            "{page}"
        );
        assert!(!page.contains('`'), "literal backticks: {page}");
        let unique_id = format!("{}{}", fixtures::AMURL, fixtures::MSEXCHUID);
        assert!(page.contains(&format!(
            "<strong>Unique id:</strong> <code>{unique_id}</code>"
        )));
        assert!(!page.contains(&format!("href=\"{unique_id}")));
        // Both tables render as tables, the second one inside <details>.
        assert_eq!(page.matches("<table>").count(), 2, "{page}");
        assert!(page.contains("<details>"));
        // GitHub autolinks bare URLs; pulldown-cmark does not, so check the
        // source too: the unique id never stands bare.
        assert!(!text.contains(&format!(" {unique_id}")));
    }

    #[test]
    fn pipes_and_newlines_cannot_break_the_tables() {
        let report = fixtures::hostile();
        let text = render(&report);
        for header in ["| Link |", "| Stage | Check |"] {
            let rows = table_rows(&text, header);
            let width = cells(rows[0]).len();
            for row in &rows[2..] {
                assert_eq!(cells(row).len(), width, "{row}");
            }
        }
        let fail_row = table_rows(&text, "| Stage | Check |")
            .into_iter()
            .find(|r| r.contains("`http.access`"))
            .expect("http.access row");
        assert!(
            fail_row.contains(r"a \& b \| c<br>d \\u{1b}\[31mred\\u{1}"),
            "{fail_row}"
        );
        assert!(!text.contains('\u{1b}'));
        assert!(!text.contains('\u{1}'));
        assert_eq!(cell("a|b\r\nc\rd"), r"a\|b<br>c<br>d");
        assert_eq!(cell("x `a|b` y"), r"x `a\|b` y");
        assert_eq!(inline("odd ` tick"), r"odd \` tick");
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
        assert_eq!(code_span("a`b", false), "``a`b``");
    }

    #[test]
    fn the_healthy_verdict_names_its_warnings_and_decode_says_what_it_judged() {
        let text = render(&fixtures::healthy());
        assert!(text.contains(
            "**Verdict: healthy.** every link of the chain that was checked holds, with 1 warning: token.lifetime.\n"
        ), "{text}");
        assert!(text.contains("### Token\n\n"));
        assert!(text.contains("- **exp:** 2020-03-13 18:12:59 UTC ("));
        assert!(text.contains("Header:\n\n```json\n{\n  \"alg\": \"RS256\","));
        assert!(!render(&fixtures::broken_at_tls()).contains("### Token"));

        let mut decode = fixtures::healthy();
        decode.command = "decode";
        let text = render(&decode);
        assert!(text.contains("**Verdict:** the token holds, with 1 warning: token.lifetime (its network links were not checked: run `diagnose`).\n"), "{text}");
    }

    #[test]
    fn ascii_symbols_when_asked() {
        let opts = RenderOptions {
            ascii: true,
            ..RenderOptions::default()
        };
        let text = markdown(&fixtures::broken_at_tls(), &opts);
        assert!(text.contains("| tls | **x fail (the verdict)** |"));
        assert!(text.contains("| dns | + pass |"));
    }
}
