//! The human format: a readable chain for a terminal, one line per check, the
//! remedy and facts under what is wrong, and the verdict last.

use colored::Color;
use serde_json::{Map, Value};

use super::facts::{fact_lines, scalar_text, shorten};
use super::{broken_link, healthy_summary, RenderOptions};
use crate::clock;
use crate::report::{Check, Report, Stage, Status, TokenFacts, Verdict};
use crate::text::escape_controls;

/// Longest string shown in facts and claims; `--format json` has everything.
const MAX_VALUE_CHARS: usize = 200;

/// Indentation of a check line and of the facts under it.
const CHECK_INDENT: &str = "    ";
const FACT_INDENT: &str = "        ";

/// Renders `report` as a readable chain: header, notes, the token (when there is
/// one), every check stage by stage, and the verdict with its exit code.
///
/// Colour (ANSI escapes) is used only when `opts.color` is set; whatever the
/// report holds is printed with control characters escaped, so a hostile token
/// or server cannot drive the terminal.
pub fn human(report: &Report, opts: &RenderOptions) -> String {
    let paint = Painter { on: opts.color };
    let mut out = String::new();
    write_header(&mut out, report, opts, &paint);
    if let Some(token) = &report.token {
        out.push('\n');
        write_token(&mut out, token, report, &paint);
    }
    out.push('\n');
    write_chain(&mut out, report, &paint);
    out.push('\n');
    write_verdict(&mut out, report, &paint);
    out
}

/// Styles text with ANSI escapes, or leaves it alone when colour is off. The
/// escapes are written here rather than through `colored`'s global switch so that
/// the output depends only on the options passed in.
struct Painter {
    on: bool,
}

impl Painter {
    fn paint(&self, text: &str, color: Option<Color>, bold: bool, dim: bool) -> String {
        if !self.on || text.is_empty() {
            return text.to_string();
        }
        let mut codes: Vec<String> = Vec::new();
        if bold {
            codes.push("1".to_string());
        }
        if dim {
            codes.push("2".to_string());
        }
        if let Some(color) = color {
            codes.push(color.to_fg_str().into_owned());
        }
        if codes.is_empty() {
            return text.to_string();
        }
        format!("\x1b[{}m{text}\x1b[0m", codes.join(";"))
    }

    fn bold(&self, text: &str) -> String {
        self.paint(text, None, true, false)
    }

    fn dim(&self, text: &str) -> String {
        self.paint(text, None, false, true)
    }

    /// The symbol of a status, in its colour.
    fn symbol(&self, status: Status) -> String {
        match status {
            Status::Pass => self.paint("✔", Some(Color::Green), true, false),
            Status::Warn => self.paint("!", Some(Color::Yellow), true, false),
            Status::Fail => self.paint("✘", Some(Color::Red), true, false),
            Status::Skip => self.dim("–"),
            Status::Error => self.paint("?", Some(Color::Magenta), true, false),
        }
    }
}

fn write_header(out: &mut String, report: &Report, opts: &RenderOptions, paint: &Painter) {
    let mut title = format!("idtoken-doctor {} · {}", opts.tool_version, report.command);
    if let Some(target) = &report.target {
        title.push_str(&format!(
            " · {} ({}:{})",
            escape_controls(&target.amurl),
            escape_controls(&target.host),
            target.port
        ));
    }
    out.push_str(&paint.bold(&title));
    out.push('\n');
    out.push_str(&format!("Evaluated at {}", clock::utc(report.evaluated_at)));
    if report.strict {
        out.push_str(" (--strict: warnings count as failures)");
    }
    out.push('\n');
    for note in &report.notes {
        out.push_str(&format!("Note: {}\n", escape_controls(note)));
    }
}

fn write_token(out: &mut String, token: &TokenFacts, report: &Report, paint: &Painter) {
    out.push_str(&paint.bold("Token"));
    out.push('\n');
    out.push_str("  header\n");
    write_claims(out, &token.header, &[], report, None);

    out.push_str("  claims\n");
    let appctx_note = match token.claims.get("appctx") {
        Some(Value::String(_)) if !token.appctx.is_empty() => Some("(a JSON string; parsed below)"),
        Some(Value::Object(_)) => Some("(a JSON object; shown below)"),
        _ => None,
    };
    write_claims(out, &token.claims, &token.times, report, appctx_note);

    if !token.appctx.is_empty() {
        out.push_str("  appctx\n");
        write_claims(out, &token.appctx, &token.times, report, None);
    }

    // Times found elsewhere than as a top-level claim (inside appctx, say) are
    // listed so that none is lost.
    let listed = |name: &str| token.claims.contains_key(name) || token.appctx.contains_key(name);
    let extra_times: Vec<_> = token.times.iter().filter(|(n, _)| !listed(n)).collect();
    if !extra_times.is_empty() {
        out.push_str("  times\n");
        let width = extra_times
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0);
        for (name, instant) in extra_times {
            out.push_str(&format!(
                "    {:width$}  {}\n",
                escape_controls(name),
                time_text(*instant, report)
            ));
        }
    }

    let unique_id = match &token.unique_id {
        Some(id) => escape_controls(id),
        None => "(none: no amurl and msexchuid)".to_string(),
    };
    out.push_str(&format!("  unique id  {unique_id}\n"));
}

/// One `name  value` line per entry of a claims-like object, with the time of
/// a time claim shown in UTC and relative to the evaluation instant.
fn write_claims(
    out: &mut String,
    claims: &Map<String, Value>,
    times: &[(String, time::OffsetDateTime)],
    report: &Report,
    appctx_note: Option<&str>,
) {
    let width = claims
        .keys()
        .map(|k| escape_controls(k).chars().count())
        .max()
        .unwrap_or(0);
    for (name, value) in claims {
        let mut text = match (name.as_str(), appctx_note) {
            ("appctx", Some(note)) => note.to_string(),
            _ => match value {
                Value::Array(_) | Value::Object(_) => {
                    shorten(&escape_controls(&value.to_string()), Some(MAX_VALUE_CHARS))
                }
                scalar => scalar_text(scalar, Some(MAX_VALUE_CHARS)),
            },
        };
        if let Some((_, instant)) = times.iter().find(|(n, _)| n == name) {
            text.push_str(&format!("  → {}", time_text(*instant, report)));
        }
        out.push_str(&format!("    {:width$}  {text}\n", escape_controls(name)));
    }
}

fn time_text(instant: time::OffsetDateTime, report: &Report) -> String {
    format!(
        "{} ({})",
        clock::utc(instant),
        clock::relative(instant, report.evaluated_at)
    )
}

/// What each link stands for, shown beside the stage's name.
fn stage_caption(stage: Stage) -> &'static str {
    match stage {
        Stage::Token => "the pasted token",
        Stage::Dns => "the amurl host as public resolvers see it",
        Stage::Tcp => "a connection to the port",
        Stage::Tls => "handshake, trust, name, validity",
        Stage::Http => "the anonymous GET of the amurl",
        Stage::Metadata => "the authentication metadata document",
        Stage::Key => "the token's signing certificate and signature",
        Stage::Ews => "Exchange Web Services, which SSI calls next",
    }
}

fn write_chain(out: &mut String, report: &Report, paint: &Painter) {
    out.push_str(&paint.bold("Chain"));
    out.push('\n');
    let checks = report.checks();
    if checks.is_empty() {
        out.push_str("  (no checks were made)\n");
        return;
    }
    let width = checks
        .iter()
        .map(|c| c.id.as_str().len())
        .max()
        .unwrap_or(0);
    let broken = broken_link(&report.verdict()).map(|(_, id, _, _)| id);
    let mut current_stage = None;
    for check in checks {
        let stage = check.id.stage();
        if current_stage != Some(stage) {
            current_stage = Some(stage);
            out.push_str(&format!(
                "  {}  {}\n",
                paint.bold(stage.as_str()),
                paint.dim(stage_caption(stage))
            ));
        }
        write_check(out, check, width, broken == Some(check.id.as_str()), paint);
    }
}

fn write_check(out: &mut String, check: &Check, width: usize, is_broken: bool, paint: &Painter) {
    let id = format!("{:width$}", check.id.as_str());
    let summary = escape_controls(&check.summary);
    let (id, summary) = match check.status {
        Status::Skip => (paint.dim(&id), paint.dim(&summary)),
        Status::Fail => (paint.paint(&id, Some(Color::Red), true, false), summary),
        Status::Warn => (paint.paint(&id, Some(Color::Yellow), false, false), summary),
        Status::Error => (paint.paint(&id, Some(Color::Magenta), true, false), summary),
        Status::Pass => (id, summary),
    };
    out.push_str(&format!(
        "{CHECK_INDENT}{} {id}  {summary}",
        paint.symbol(check.status)
    ));
    if is_broken {
        out.push_str(&format!(
            "  {}",
            paint.paint("◀ broken link", Some(Color::Red), true, false)
        ));
    }
    out.push('\n');
    if let Some(remedy) = check.remedy_text() {
        if matches!(check.status, Status::Fail | Status::Warn | Status::Error) {
            out.push_str(&format!(
                "{FACT_INDENT}{} {remedy}\n",
                paint.bold("What to do:")
            ));
        }
    }
    if check.status != Status::Skip {
        for line in fact_lines(&check.details, Some(MAX_VALUE_CHARS)) {
            out.push_str(&line.indented(FACT_INDENT));
            out.push('\n');
        }
    }
}

fn write_verdict(out: &mut String, report: &Report, paint: &Painter) {
    let verdict = report.verdict();
    match broken_link(&verdict) {
        None => {
            out.push_str(&format!(
                "{} {}\n",
                paint.paint("Verdict: healthy:", Some(Color::Green), true, false),
                healthy_summary(report)
            ));
        }
        Some((stage, check, summary, remedy)) => {
            let (head, colour) = match verdict {
                Verdict::Inconclusive { .. } => (
                    format!("Verdict: inconclusive at {stage} ({check}), not checked from here:"),
                    Color::Magenta,
                ),
                _ => (format!("Verdict: broken at {stage} ({check}):"), Color::Red),
            };
            out.push_str(&format!(
                "{} {}\n",
                paint.paint(&head, Some(colour), true, false),
                escape_controls(summary)
            ));
            out.push_str(&format!("{} {remedy}\n", paint.bold("What to do:")));
        }
    }
    out.push_str(&format!("Exit code: {}\n", verdict.exit_code()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    fn plain(report: &Report) -> String {
        human(report, &RenderOptions::default())
    }

    fn coloured(report: &Report) -> String {
        human(
            report,
            &RenderOptions {
                color: true,
                ..RenderOptions::default()
            },
        )
    }

    /// The lines of `text` from the one containing `start` to the next check line.
    fn block_of<'a>(text: &'a str, start: &str) -> Vec<&'a str> {
        let mut lines = text.lines().skip_while(|l| !l.contains(start));
        let mut block: Vec<&str> = lines.next().into_iter().collect();
        block.extend(lines.take_while(|l| l.starts_with(FACT_INDENT)));
        block
    }

    #[test]
    fn broken_chain_shows_symbols_remedy_facts_and_verdict() {
        let report = fixtures::broken_at_tls();
        let text = plain(&report);
        assert!(text.starts_with("idtoken-doctor 0.1.0 · probe · https://mail.contoso.com/autodiscover/metadata/json/1 (mail.contoso.com:443)\n"));
        assert!(text.contains("    ✔ dns.name "));
        assert!(text.contains("    – http.access "));

        let block = block_of(&text, "✘ tls.trust");
        assert!(
            block[0].ends_with("is self-signed  ◀ broken link"),
            "{block:?}"
        );
        assert_eq!(
            block[1],
            format!(
                "{FACT_INDENT}What to do: {}",
                crate::remedy::Remedy::TlsSelfSigned.text()
            )
        );
        assert!(block.contains(&"        certificate:"));
        assert!(block.contains(&"          issuer: CN=mail.contoso.com"));
        assert!(block.contains(&"        chain_length: 1"));
        // The broken link is marked once.
        assert_eq!(text.matches("◀ broken link").count(), 1);

        assert!(text.contains(
            "\nVerdict: broken at tls (tls.trust): the server certificate CN=mail.contoso.com is self-signed\n"
        ));
        assert!(text.contains(&format!(
            "\nWhat to do: {}\n",
            crate::remedy::Remedy::TlsSelfSigned.text()
        )));
        assert!(text.ends_with("Exit code: 40\n"));
    }

    #[test]
    fn stages_appear_in_chain_order_with_every_check() {
        let report = fixtures::broken_at_tls();
        let text = plain(&report);
        let positions: Vec<usize> = report
            .checks()
            .iter()
            .map(|c| {
                text.find(&format!(" {} ", c.id.as_str()))
                    .unwrap_or_else(|| panic!("{} missing", c.id))
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        assert!(text.contains("  tls  handshake, trust, name, validity\n"));
    }

    #[test]
    fn warnings_show_their_remedy_and_healthy_verdict_counts_them() {
        let report = fixtures::healthy();
        let text = plain(&report);
        let block = block_of(&text, "! token.lifetime");
        assert_eq!(
            block[1],
            format!(
                "{FACT_INDENT}What to do: {}",
                crate::remedy::Remedy::TokenLifetime.text()
            )
        );
        assert!(!text.contains("◀ broken link"));
        assert!(text.contains(
            "\nVerdict: healthy: every link of the chain that was checked holds (1 warning)\n"
        ));
        assert!(text.ends_with("Exit code: 0\n"));
        // Passing checks keep their facts, objects in arrays YAML-style.
        assert!(text.contains("        addresses: 203.0.113.10\n"));
        assert!(text.contains("          - issuer: CN=R11, O=Let's Encrypt\n"));
    }

    #[test]
    fn strict_marks_the_warning_as_the_broken_link() {
        let mut report = fixtures::healthy();
        report.strict = true;
        let text = plain(&report);
        assert!(text.contains("(--strict: warnings count as failures)"));
        assert!(block_of(&text, "! token.lifetime")[0].ends_with("◀ broken link"));
        assert!(text.contains("\nVerdict: broken at token (token.lifetime): the token expired"));
        assert!(text.ends_with("Exit code: 10\n"));
    }

    #[test]
    fn token_section_shows_claims_appctx_times_and_unique_id() {
        let report = fixtures::healthy();
        let text = plain(&report);
        assert!(text.contains("\nToken\n  header\n"));
        assert!(text.contains("    alg  RS256\n"));
        assert!(text.contains("    appctx              (a JSON string; parsed below)\n"));
        assert!(text.contains(
            "    exp                 1584123179  → 2020-03-13 18:12:59 UTC (6 years 253 days ago)\n"
        ));
        assert!(text.contains("  appctx\n    amurl      https://mail.deepnetsecurity.com:443/"));
        assert!(text.contains("    version    ExIdTok.V1\n"));
        assert!(text.contains(&format!(
            "  unique id  {}{}\n",
            fixtures::AMURL,
            fixtures::MSEXCHUID
        )));
        // The token comes before the chain.
        assert!(text.find("\nToken\n") < text.find("\nChain\n"));
    }

    #[test]
    fn reports_without_token_or_checks_still_render() {
        let report = Report::new("probe", fixtures::EVALUATED_AT, false);
        let text = plain(&report);
        assert!(!text.contains("\nToken\n"));
        assert!(text.contains("  (no checks were made)\n"));
        assert!(text.contains("Verdict: healthy"));
    }

    #[test]
    fn notes_are_printed_under_the_header() {
        let mut report = fixtures::broken_at_tls();
        report
            .notes
            .push("reached through proxy http://proxy:3128: SSI connects directly".to_string());
        let text = plain(&report);
        assert_eq!(
            text.lines().nth(2),
            Some("Note: reached through proxy http://proxy:3128: SSI connects directly")
        );
    }

    #[test]
    fn colour_only_when_asked() {
        for report in [fixtures::healthy(), fixtures::broken_at_tls()] {
            assert!(!plain(&report).contains('\u{1b}'));
            let text = coloured(&report);
            assert!(text.contains("\u{1b}[1;32m✔\u{1b}[0m"));
            assert!(text.contains("\u{1b}[0m"));
        }
        let text = coloured(&fixtures::broken_at_tls());
        assert!(text.contains("\u{1b}[1;31m✘\u{1b}[0m"));
        assert!(text.contains("\u{1b}[1;31mVerdict: broken at tls (tls.trust):\u{1b}[0m"));
    }

    #[test]
    fn hostile_text_cannot_reach_the_terminal() {
        let text = plain(&fixtures::hostile());
        assert!(!text.contains('\u{1b}'));
        assert!(!text.contains('\u{1}'));
        assert!(!text.contains('\u{7f}'));
        assert!(text.contains("\\u{1b}[31mred\\u{1}"));
        // A newline inside a summary does not start a line of its own.
        assert!(!text.lines().any(|l| l.starts_with("d ")));
        assert!(text.contains("fail: <script>alert(\"x\")</script> ]]> it's a & b | c\\nd "));
        // Even with colour on, the only escapes are the renderer's own.
        let coloured = coloured(&fixtures::hostile());
        assert!(!coloured.contains("\u{1b}[31mred"));
    }
}
