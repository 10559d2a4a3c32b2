//! The human format: what a support engineer reads in a terminal, often 100
//! columns wide. By default one line per link that holds, with its most useful
//! fact; the broken (or inconclusive) check with the few facts that prove it;
//! one line per warning; "not checked" for the links after the break; and last
//! the verdict with what to do, said once. `--verbose` shows every check with
//! every detail. Everything is wrapped to the terminal's width between words.

use colored::Color;
use serde_json::{Map, Value};

use super::ascii::{symbols, Symbols};
use super::facts::{fact_lines, link_fact, proof, scalar_text, shorten};
use super::wrap::{width_of, wrap, LongWords};
use super::{broken_link, healthy_summary, RenderOptions};
use crate::clock;
use crate::remedy::commands::{Command, Shell};
use crate::report::{Check, Report, Stage, Status, TokenFacts, Verdict};
use crate::text::escape_controls;

/// Longest string shown in facts and claims; `--format json` has everything.
const MAX_VALUE_CHARS: usize = 200;

/// Width of the stage column: the longest stage name, `metadata`.
const STAGE_WIDTH: usize = 8;
/// Where the text of a link line starts: two spaces, the stage, two spaces,
/// the symbol and a space.
const LINK_TEXT: usize = 2 + STAGE_WIDTH + 2 + 2;

/// Indentation of a check line and of the facts under it (`--verbose`).
const CHECK_INDENT: usize = 4;
const FACT_INDENT: usize = 8;

/// Renders `report` for a terminal; see the module documentation for the shape.
///
/// Colour (ANSI escapes) is used only when `opts.color` is set; whatever the
/// report holds is printed with control characters escaped, so a hostile token
/// or server cannot drive the terminal.
pub fn human(report: &Report, opts: &RenderOptions) -> String {
    let mut w = Writer {
        out: String::new(),
        width: opts.width,
        long_words: if opts.verbose {
            LongWords::Overflow
        } else {
            LongWords::Clip
        },
        paint: Painter { on: opts.color },
        sym: symbols(opts.ascii),
    };
    write_header(&mut w, report, opts);
    // Showing the token is `decode`'s job (the contract: header, claims,
    // appctx, times, unique id); the other commands show it under --verbose.
    if opts.verbose || report.command == "decode" {
        if let Some(token) = &report.token {
            w.blank();
            write_token(&mut w, token, report);
        }
    }
    if opts.verbose {
        w.blank();
        write_every_check(&mut w, report);
    } else {
        w.blank();
        write_links(&mut w, report);
    }
    w.blank();
    write_verdict(&mut w, report);
    w.out
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

    fn plain(&self, text: &str) -> String {
        text.to_string()
    }

    /// The colour a status is shown in.
    fn colour(status: Status) -> Option<Color> {
        match status {
            Status::Pass => Some(Color::Green),
            Status::Warn => Some(Color::Yellow),
            Status::Fail => Some(Color::Red),
            Status::Error => Some(Color::Magenta),
            Status::Skip => None,
        }
    }
}

/// The report being written: text, the terminal's width, colours and symbols.
struct Writer {
    out: String,
    width: Option<usize>,
    long_words: LongWords,
    paint: Painter,
    sym: &'static Symbols,
}

impl Writer {
    fn blank(&mut self) {
        self.out.push('\n');
    }

    /// The symbol of a status, in its colour.
    fn symbol(&self, status: Status) -> String {
        let text = match status {
            Status::Pass => self.sym.pass,
            Status::Warn => self.sym.warn,
            Status::Fail => self.sym.fail,
            Status::Skip => return self.paint.dim(self.sym.skip),
            Status::Error => self.sym.error,
        };
        self.paint.paint(text, Painter::colour(status), true, false)
    }

    /// Writes `body` after `prefix` (already styled; `prefix_width` columns
    /// wide), wrapped to the terminal with continuation lines indented
    /// `indent` columns, each piece of the body styled by `style`.
    fn wrapped(
        &mut self,
        prefix: &str,
        prefix_width: usize,
        body: &str,
        indent: usize,
        style: impl Fn(&Painter, &str) -> String,
    ) {
        let lines = wrap(body, self.width, prefix_width, indent, self.long_words);
        for (index, line) in lines.iter().enumerate() {
            if index == 0 {
                self.out.push_str(prefix);
            } else {
                self.out.push_str(&" ".repeat(indent));
            }
            self.out.push_str(&style(&self.paint, line));
            self.out.push('\n');
        }
    }

    /// Facts as `key: value` lines at `indent`, each wrapped under itself.
    fn facts(&mut self, details: &Map<String, Value>, indent: usize) {
        for line in fact_lines(details, Some(MAX_VALUE_CHARS)) {
            let lead = indent + 2 * line.depth;
            let prefix = " ".repeat(lead);
            self.wrapped(&prefix, lead, &line.text, lead + 2, Painter::plain);
        }
    }
}

fn write_header(w: &mut Writer, report: &Report, opts: &RenderOptions) {
    let dot = w.sym.dot;
    let mut title = format!(
        "idtoken-doctor {} {dot} {}",
        opts.tool_version, report.command
    );
    if let Some(target) = &report.target {
        title.push_str(&format!(" {dot} {}", escape_controls(&target.amurl)));
    }
    w.wrapped("", 0, &title, 2, Painter::bold);
    let mut when = format!("Evaluated at {}", clock::utc(report.evaluated_at));
    if report.strict {
        when.push_str(" (--strict: warnings count as failures)");
    }
    w.wrapped("", 0, &when, 2, Painter::plain);
    for note in &report.notes {
        w.wrapped("Note: ", 6, &escape_controls(note), 6, Painter::plain);
    }
}

/// The check the verdict rests on, if the chain is not healthy.
fn verdict_check<'a>(report: &'a Report, checks: &[&'a Check]) -> Option<&'a Check> {
    let id = report.verdict().finding().map(|(id, _, _)| id)?;
    checks.iter().copied().find(|c| c.id == id)
}

/// The default view: one line per link, the broken check with its proof.
fn write_links(w: &mut Writer, report: &Report) {
    let checks = report.checks();
    if checks.is_empty() {
        w.out.push_str("  (no checks were made)\n");
        return;
    }
    let broken = verdict_check(report, &checks);
    for stage in Stage::ALL {
        let in_stage: Vec<&Check> = checks
            .iter()
            .copied()
            .filter(|c| c.id.stage() == stage)
            .collect();
        if in_stage.is_empty() {
            continue;
        }
        let label = format!("  {:<STAGE_WIDTH$}  ", stage.as_str());
        let label = w.paint.bold(&label);
        let all_skipped = in_stage.iter().all(|c| c.status == Status::Skip);
        let after_break = broken.is_some_and(|b| stage > b.id.stage());
        match broken.filter(|b| b.id.stage() == stage) {
            Some(broken) => write_broken_link(w, &label, broken, &in_stage),
            None if all_skipped => {
                let why = if after_break {
                    "not checked".to_string()
                } else {
                    format!("not checked: {}", escape_controls(&in_stage[0].summary))
                };
                let prefix = format!("{label}{} ", w.symbol(Status::Skip));
                w.wrapped(&prefix, LINK_TEXT, &why, LINK_TEXT, Painter::dim);
            }
            None => {
                let failing: Vec<&&Check> = in_stage
                    .iter()
                    .filter(|c| c.status.stops_the_chain())
                    .collect();
                if failing.is_empty() {
                    let prefix = format!("{label}{} ", w.symbol(Status::Pass));
                    let fact = link_fact(stage, &in_stage, report);
                    w.wrapped(&prefix, LINK_TEXT, &fact, LINK_TEXT, Painter::plain);
                } else {
                    for (index, check) in failing.iter().enumerate() {
                        let lead = if index == 0 {
                            label.clone()
                        } else {
                            " ".repeat(LINK_TEXT - 2)
                        };
                        one_line(w, &lead, check);
                    }
                }
                write_warnings(w, &in_stage, None);
            }
        }
    }
}

/// A check as `symbol id: summary` after `lead` (`LINK_TEXT - 2` columns).
fn one_line(w: &mut Writer, lead: &str, check: &Check) {
    let prefix = format!("{lead}{} ", w.symbol(check.status));
    let text = format!("{}: {}", check.id, escape_controls(&check.summary));
    w.wrapped(&prefix, LINK_TEXT, &text, LINK_TEXT, Painter::plain);
}

/// One line per warning of a link, except `shown` (already written).
fn write_warnings(w: &mut Writer, in_stage: &[&Check], shown: Option<&Check>) {
    let lead = " ".repeat(LINK_TEXT - 2);
    for check in in_stage.iter().filter(|c| c.status == Status::Warn) {
        if shown.is_some_and(|s| s.id == check.id) {
            continue;
        }
        one_line(w, &lead, check);
    }
}

/// The link the verdict rests on: the check, the facts that prove it, and the
/// other checks of the link that failed with it, by name.
fn write_broken_link(w: &mut Writer, label: &str, broken: &Check, in_stage: &[&Check]) {
    one_line(w, label, broken);
    for fact in proof(broken) {
        w.facts(&fact, LINK_TEXT);
    }
    let others: Vec<&str> = in_stage
        .iter()
        .filter(|c| c.id != broken.id && c.status.stops_the_chain())
        .map(|c| c.id.as_str())
        .collect();
    if !others.is_empty() {
        let text = format!("also failing: {} (-v for each)", others.join(", "));
        let lead = " ".repeat(LINK_TEXT);
        w.wrapped(&lead, LINK_TEXT, &text, LINK_TEXT, Painter::plain);
    }
    write_warnings(w, in_stage, Some(broken));
}

fn write_token(w: &mut Writer, token: &TokenFacts, report: &Report) {
    w.out.push_str(&w.paint.bold("Token"));
    w.out.push('\n');
    w.out.push_str("  header\n");
    write_claims(w, &token.header, &[], report, None);

    w.out.push_str("  claims\n");
    let appctx_note = match token.claims.get("appctx") {
        Some(Value::String(_)) if !token.appctx.is_empty() => Some("(a JSON string; parsed below)"),
        Some(Value::Object(_)) => Some("(a JSON object; shown below)"),
        _ => None,
    };
    write_claims(w, &token.claims, &token.times, report, appctx_note);

    if !token.appctx.is_empty() {
        w.out.push_str("  appctx\n");
        write_claims(w, &token.appctx, &token.times, report, None);
    }

    // Times found elsewhere than as a top-level claim (inside appctx, say) are
    // listed so that none is lost.
    let listed = |name: &str| token.claims.contains_key(name) || token.appctx.contains_key(name);
    let extra_times: Vec<_> = token.times.iter().filter(|(n, _)| !listed(n)).collect();
    if !extra_times.is_empty() {
        w.out.push_str("  times\n");
        let width = extra_times
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0);
        for (name, instant) in extra_times {
            let prefix = format!("    {:width$}  ", escape_controls(name));
            let text = time_text(*instant, report);
            w.wrapped(&prefix, width + 6, &text, width + 6, Painter::plain);
        }
    }

    let unique_id = match &token.unique_id {
        Some(id) => escape_controls(id),
        None => "(none: no amurl and msexchuid)".to_string(),
    };
    w.wrapped("  unique id  ", 13, &unique_id, 13, Painter::plain);
}

/// One `name  value` line per entry of a claims-like object, with the time of
/// a time claim shown in UTC and relative to the evaluation instant.
fn write_claims(
    w: &mut Writer,
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
            text.push_str(&format!(
                "  {} {}",
                w.sym.arrow,
                time_text(*instant, report)
            ));
        }
        let prefix = format!("    {:width$}  ", escape_controls(name));
        w.wrapped(&prefix, width + 6, &text, width + 8, Painter::plain);
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
        Stage::Mailbox => "where the mailbox lives, and which chain applies",
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

/// `--verbose`: every check of every link, with its remedy and all its details.
fn write_every_check(w: &mut Writer, report: &Report) {
    w.out.push_str(&w.paint.bold("Chain"));
    w.out.push('\n');
    let checks = report.checks();
    if checks.is_empty() {
        w.out.push_str("  (no checks were made)\n");
        return;
    }
    let id_width = checks
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
            let prefix = format!("  {}  ", w.paint.bold(stage.as_str()));
            let width = 4 + stage.as_str().len();
            w.wrapped(&prefix, width, stage_caption(stage), width, Painter::dim);
        }
        let is_broken = broken == Some(check.id.as_str());
        write_check(w, check, id_width, is_broken);
    }
}

fn write_check(w: &mut Writer, check: &Check, id_width: usize, is_broken: bool) {
    let id = format!("{:id_width$}", check.id.as_str());
    let id = match check.status {
        Status::Skip => w.paint.dim(&id),
        Status::Pass => id,
        status => w
            .paint
            .paint(&id, Painter::colour(status), status != Status::Warn, false),
    };
    let prefix = format!(
        "{}{} {id}  ",
        " ".repeat(CHECK_INDENT),
        w.symbol(check.status)
    );
    let prefix_width = CHECK_INDENT + 2 + id_width + 2;
    let mut summary = escape_controls(&check.summary);
    if is_broken {
        summary.push_str("  <- the verdict");
    }
    let dim = check.status == Status::Skip;
    w.wrapped(&prefix, prefix_width, &summary, prefix_width, |p, t| {
        if dim {
            p.dim(t)
        } else {
            t.to_string()
        }
    });
    // The verdict's remedy is said once, under the verdict.
    if let Some(remedy) = check.remedy_text().filter(|_| !is_broken) {
        if matches!(check.status, Status::Fail | Status::Warn | Status::Error) {
            let prefix = format!("{}What to do: ", " ".repeat(FACT_INDENT));
            w.wrapped(
                &prefix,
                FACT_INDENT + 12,
                remedy,
                FACT_INDENT,
                Painter::plain,
            );
        }
    }
    if !is_broken {
        write_commands(w, &check.commands, FACT_INDENT);
    }
    if check.status != Status::Skip {
        w.facts(&check.details, FACT_INDENT);
    }
}

/// A remedy's commands, one a line, never wrapped (a wrapped command cannot be
/// pasted), after the shell's prompt: `[PS]` is the Exchange Management
/// Shell's, `PS>` PowerShell's, `$` a POSIX shell's. A command that changes
/// configuration ends in a comment saying so, which both shells ignore.
fn write_commands(w: &mut Writer, commands: &[Command], indent: usize) {
    for command in commands {
        let prompt = match command.shell {
            Shell::ExchangeManagementShell => "[PS]",
            Shell::PowerShell => "PS>",
            Shell::Sh => "$",
        };
        let note = if command.changes {
            "  # changes configuration"
        } else {
            ""
        };
        w.out.push_str(&format!(
            "{}{} {}{note}\n",
            " ".repeat(indent),
            w.paint.dim(prompt),
            escape_controls(&command.run)
        ));
    }
}

/// The verdict, where the eye lands last: healthy (naming every warning), or
/// the broken link and what to do, said once. The exit code is not printed: it
/// is the exit code.
fn write_verdict(w: &mut Writer, report: &Report) {
    let verdict = report.verdict();
    match broken_link(&verdict) {
        None => {
            let summary = healthy_summary(report);
            let head = if report.command == "decode" {
                "Verdict:"
            } else {
                "Verdict: healthy:"
            };
            let prefix = format!("{} ", w.paint.paint(head, Some(Color::Green), true, false));
            w.wrapped(
                &prefix,
                width_of(head) + 1,
                &escape_controls(&summary),
                2,
                Painter::plain,
            );
        }
        Some((stage, check, _, remedy)) => {
            let (head, colour) = match verdict {
                Verdict::Inconclusive { .. } => (
                    format!(
                        "Verdict: inconclusive at {stage} ({check}): it could not be checked from \
                         this machine, so nothing is known against the target"
                    ),
                    Color::Magenta,
                ),
                _ => (format!("Verdict: broken at {stage} ({check})"), Color::Red),
            };
            w.wrapped("", 0, &head, 2, |p, t| {
                p.paint(t, Some(colour), true, false)
            });
            let prefix = format!("{} ", w.paint.bold("What to do:"));
            w.wrapped(&prefix, 12, remedy, 2, Painter::plain);
            let commands = verdict
                .finding()
                .and_then(|(id, _, _)| report.get(id))
                .map(|c| c.commands.as_slice())
                .unwrap_or_default();
            write_commands(w, commands, 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;
    use crate::render::fixtures;
    use crate::report::CheckId;

    fn with(report: &Report, change: impl FnOnce(&mut RenderOptions)) -> String {
        let mut opts = RenderOptions::default();
        change(&mut opts);
        human(report, &opts)
    }

    fn plain(report: &Report) -> String {
        with(report, |_| {})
    }

    fn verbose(report: &Report) -> String {
        with(report, |o| o.verbose = true)
    }

    fn coloured(report: &Report) -> String {
        with(report, |o| o.color = true)
    }

    /// The lines of `text` from the one containing `start` to the next line
    /// indented no deeper than `indent` columns.
    fn block_of<'a>(text: &'a str, start: &str, indent: usize) -> Vec<&'a str> {
        let deeper = |l: &str| l.len() - l.trim_start().len() > indent;
        let mut lines = text.lines().skip_while(|l| !l.contains(start));
        let mut block: Vec<&str> = lines.next().into_iter().collect();
        block.extend(lines.take_while(|l| deeper(l)));
        block
    }

    #[test]
    fn a_broken_chain_is_one_line_per_link_with_proof_and_one_remedy() {
        let report = fixtures::broken_at_tls();
        let text = plain(&report);
        assert!(text.starts_with(
            "idtoken-doctor 0.1.0 · probe · https://mail.contoso.com/autodiscover/metadata/json/1\n"
        ));
        assert!(text.contains("\n  dns       ✔ "), "{text}");
        assert!(text.contains("\n  tcp       ✔ "), "{text}");
        let block = block_of(&text, "  tls  ", 2);
        assert_eq!(
            block[0],
            "  tls       ✘ tls.trust: the server certificate CN=mail.contoso.com is self-signed"
        );
        // tls.trust has a PROOF entry without `certificate`: the facts are one -v away.
        assert!(!block.iter().any(|l| l.contains("not_before")), "{block:?}");
        assert!(text.contains("\n  http      – not checked\n"));
        assert!(text.contains("\n  ews       – not checked\n"));
        // The remedy is said once, last, under the verdict; no exit code.
        let remedy = Remedy::TlsSelfSigned.text();
        assert_eq!(text.matches("What to do:").count(), 1);
        assert!(text.contains("\nVerdict: broken at tls (tls.trust)\nWhat to do: "));
        // Then the remedy's commands, one a line after the shell's prompt.
        assert!(text.contains(&format!(
            "What to do: {remedy}\n  $ openssl s_client -connect mail.contoso.com:443 "
        )));
        assert!(text.ends_with(
            "\n  [PS] Get-ExchangeCertificate | Format-List Thumbprint, Subject, CertificateDomains, Issuer, NotAfter, Services\n"
        ));
        assert!(!text.contains("Exit code"));
        // The passing checks of the broken link are not listed one by one.
        assert!(!text.contains("tls.handshake"));
    }

    #[test]
    fn the_proof_of_a_401_is_its_status_line_and_challenges() {
        let text = plain(&fixtures::broken_at_http(false));
        let block = block_of(&text, "  http  ", 2);
        assert!(
            block[0].starts_with("  http      ✘ http.access: "),
            "{block:?}"
        );
        assert!(block.contains(&"              status_line: HTTP/1.1 401 Unauthorized"));
        // The split-horizon warning of the dns link is one line, without facts.
        let dns = block_of(&text, "  dns  ", 2);
        assert_eq!(dns.len(), 2, "{dns:?}");
        assert!(dns[1].starts_with("            ! dns.split_horizon: "));
    }

    #[test]
    fn a_healthy_verdict_names_every_warning_and_shows_it_on_its_link() {
        let text = plain(&fixtures::healthy());
        assert!(text.contains(
            "\n            ! token.lifetime: the token expired 6 years 252 days ago (exp 2020-03-13 18:12:59 UTC)\n"
        ), "{text}");
        assert!(text.ends_with(
            "\nVerdict: healthy: every link of the chain that was checked holds, with 1 warning: token.lifetime\n"
        ), "{text}");
        // One line per link: eight links, no details.
        let links = text
            .lines()
            .filter(|l| l.starts_with("  ") && l.chars().nth(12) == Some('✔'));
        assert_eq!(links.count(), 8, "{text}");
        assert!(!text.contains("addresses:"));
    }

    #[test]
    fn decode_says_the_token_holds_not_that_the_chain_is_healthy() {
        let mut report = Report::new("decode", fixtures::EVALUATED_AT, false);
        report.token = Some(fixtures::token_facts(fixtures::MSEXCHUID));
        report.push(Check::pass(CheckId::TokenInput, "found a JWT"));
        let text = plain(&report);
        assert!(
            text.ends_with(
                "\nVerdict: the token holds (its network links were not checked: run `diagnose`)\n"
            ),
            "{text}"
        );
        assert!(!text.contains("healthy"));
    }

    #[test]
    fn an_inconclusive_verdict_says_nothing_is_known_against_the_target() {
        let mut report = fixtures::broken_at_tls();
        report.push(
            Check::error(
                CheckId::DnsResolve,
                "no public resolver answered from here",
                Remedy::DnsResolversUnreachable,
            )
            .with_detail("cause", "resolvers-unreachable"),
        );
        let text = plain(&report);
        assert!(text.contains(
            "\n  dns       ? dns.resolve: no public resolver answered from here\n              cause: resolvers-unreachable\n"
        ), "{text}");
        assert!(text.contains("\nVerdict: inconclusive at dns (dns.resolve): it could not be checked from this machine"));
        assert!(text.ends_with(&format!(
            "What to do: {}\n",
            Remedy::DnsResolversUnreachable.text()
        )));
    }

    #[test]
    fn strict_makes_the_warning_the_verdict() {
        let mut report = fixtures::healthy();
        report.strict = true;
        let text = plain(&report);
        assert!(text.contains("(--strict: warnings count as failures)"));
        assert!(text.contains("\n  token     ! token.lifetime: the token expired"));
        assert!(text.contains("\nVerdict: broken at token (token.lifetime)\n"));
    }

    #[test]
    fn wide_and_combining_characters_fit_the_width_by_display_columns() {
        let text = "显示名称是很长的中文名字 王小明 🔑🔑🔑 Zoë́ ".repeat(6);
        let report = fixtures::hostile_with(&text);
        for width in [60, 100] {
            for verbose in [false, true] {
                let out = with(&report, |o| {
                    o.width = Some(width);
                    o.verbose = verbose
                });
                for line in out.lines() {
                    let one_word = verbose && !line.trim().contains(' ');
                    let command = ["[PS] ", "PS> ", "$ "]
                        .iter()
                        .any(|p| line.trim_start().starts_with(p));
                    let columns = unicode_width::UnicodeWidthStr::width(line);
                    assert!(columns <= width || one_word || command, "{width}: {line:?}");
                }
            }
        }
    }

    #[test]
    fn every_line_fits_the_width_and_continuations_are_indented() {
        let report = fixtures::broken_at_http(false);
        for width in [60, 80, 100] {
            for (text, verbose) in [
                (with(&report, |o| o.width = Some(width)), false),
                (
                    with(&report, |o| {
                        o.width = Some(width);
                        o.verbose = true
                    }),
                    true,
                ),
            ] {
                for line in text.lines() {
                    let fits = width_of(line) <= width;
                    // Only under --verbose may a single word too long for any
                    // line overflow; the default view clips it.
                    let one_word = verbose && !line.trim().contains(' ');
                    // A remedy's command is never wrapped: it could not be pasted.
                    let command = ["[PS] ", "PS> ", "$ "]
                        .iter()
                        .any(|p| line.trim_start().starts_with(p));
                    assert!(fits || one_word || command, "{width}: {line:?}");
                }
            }
        }
        let narrow = with(&fixtures::broken_at_tls(), |o| o.width = Some(60));
        // The remedy's lines, up to its commands.
        let remedy_lines: Vec<&str> = narrow
            .lines()
            .skip_while(|l| !l.starts_with("What to do:"))
            .take_while(|l| !l.starts_with("  $ ") && !l.starts_with("  [PS] "))
            .collect();
        assert!(remedy_lines.len() > 1);
        assert!(remedy_lines[1..].iter().all(|l| l.starts_with("  ")));
        // No word is broken: the words are those of the remedy, in order.
        let words: Vec<&str> = remedy_lines
            .iter()
            .flat_map(|l| l.split_whitespace())
            .collect();
        let expected: Vec<&str> = std::iter::once("What")
            .chain(std::iter::once("to"))
            .chain(std::iter::once("do:"))
            .chain(Remedy::TlsSelfSigned.text().split_whitespace())
            .collect();
        assert_eq!(words, expected);
    }

    #[test]
    fn verbose_shows_every_check_its_details_and_the_token() {
        let report = fixtures::broken_at_tls();
        let text = verbose(&report);
        for check in report.checks() {
            assert!(
                text.contains(&format!(" {} ", check.id)),
                "{} missing",
                check.id
            );
        }
        assert!(text.contains("        certificate:\n          issuer: CN=mail.contoso.com\n"));
        assert!(text.contains("  tls  handshake, trust, name, validity\n"));
        assert!(text.contains("<- the verdict"));
        assert_eq!(text.matches("What to do:").count(), 1);

        let text = verbose(&fixtures::healthy());
        assert!(text.contains("\nToken\n  header\n"));
        assert!(text.contains(
            "    exp                 1584123179  → 2020-03-13 18:12:59 UTC (6 years 253 days ago)\n"
        ));
        assert!(text.contains(&format!(
            "  unique id  {}{}\n",
            fixtures::AMURL,
            fixtures::MSEXCHUID
        )));
        // A warning's remedy is under it.
        assert!(text.contains(&format!(
            "        What to do: {}\n",
            Remedy::TokenLifetime.text()
        )));
    }

    #[test]
    fn ascii_symbols_when_asked() {
        let text = with(&fixtures::broken_at_tls(), |o| o.ascii = true);
        assert!(text.contains("\n  tls       x tls.trust: "));
        assert!(text.contains("\n  dns       + "));
        assert!(text.contains("\n  http      - not checked\n"));
        assert!(text.starts_with("idtoken-doctor 0.1.0 - probe - https://"));
    }

    #[test]
    fn reports_without_token_or_checks_still_render() {
        let report = Report::new("probe", fixtures::EVALUATED_AT, false);
        let text = plain(&report);
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
            assert!(coloured(&report).contains("\u{1b}[1;32m✔\u{1b}[0m"));
        }
        let text = coloured(&fixtures::broken_at_tls());
        assert!(text.contains("\u{1b}[1;31m✘\u{1b}[0m"));
        assert!(text.contains("\u{1b}[1;31mVerdict: broken at tls (tls.trust)\u{1b}[0m"));
    }

    #[test]
    fn hostile_text_cannot_reach_the_terminal() {
        for text in [plain(&fixtures::hostile()), verbose(&fixtures::hostile())] {
            assert!(!text.contains('\u{1b}'));
            assert!(!text.contains('\u{1}'));
            assert!(!text.contains('\u{7f}'));
            assert!(text.contains("\\u{1b}[31mred\\u{1}"));
            // A newline inside a summary does not start a line of its own.
            assert!(!text.lines().any(|l| l.starts_with("d ")));
        }
        // Even with colour on, the only escapes are the renderer's own.
        assert!(!coloured(&fixtures::hostile()).contains("\u{1b}[31mred"));
    }
}
