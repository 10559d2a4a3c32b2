//! The JUnit format: one `<testsuite>` per target and one `<testcase>` per
//! check, as Jenkins, GitLab and other CI systems read JUnit XML.

use super::facts::fact_lines;
use super::{broken_link, command_lines, RenderOptions};
use crate::report::{Check, Report, Status};

/// Renders the reports (one per target, in input order) as one JUnit XML
/// document: `<testsuites>` holding a `<testsuite>` per report, named after the
/// target's amurl (the command when there is no target), and a `<testcase>` per
/// check with `classname` the stage and `name` the check id.
///
/// A fail, and a warn under `--strict`, is a `<failure>` whose message is the
/// summary and whose text is the remedy; a skip is `<skipped>` with its reason;
/// the facts go to the test case's `<system-out>`. The verdict and exit code are
/// suite properties. Durations are not measured per check, so a test case's
/// `time` is 0; a suite's is the report's wall time (0 for an offline command,
/// which measures none), and `<testsuites>` carries their sum.
///
/// Whatever the report holds is escaped, and characters XML 1.0 forbids (most
/// control characters) are written as visible escapes such as `\u{1}`, so the
/// document is always well-formed.
pub fn junit(reports: &[Report], opts: &RenderOptions) -> String {
    let suites: Vec<SuiteCounts> = reports.iter().map(SuiteCounts::of).collect();
    let total = suites
        .iter()
        .fold(SuiteCounts::default(), |sum, s| SuiteCounts {
            tests: sum.tests + s.tests,
            failures: sum.failures + s.failures,
            errors: sum.errors + s.errors,
            skipped: sum.skipped + s.skipped,
        });
    let seconds: f64 = reports.iter().map(wall_seconds).sum();
    let mut out = String::from(XML_DECLARATION);
    out.push_str(&format!(
        "<testsuites name=\"idtoken-doctor\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">\n",
        total.tests, total.failures, total.errors, total.skipped, seconds
    ));
    for (report, counts) in reports.iter().zip(&suites) {
        let name = report
            .target
            .as_ref()
            .map_or(report.command, |t| t.amurl.as_str());
        write_suite(&mut out, report, counts, name, wall_seconds(report), opts);
    }
    out.push_str(CLOSE);
    out
}

/// A report's wall time in seconds; 0 when none was measured.
fn wall_seconds(report: &Report) -> f64 {
    report.elapsed.map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const CLOSE: &str = "</testsuites>\n";

/// The start of a JUnit document whose suites are written one by one as a
/// batch finishes them ([`suite`]), then closed by [`close`]. The totals are
/// not known before the end, so `<testsuites>` carries none: CI systems add
/// up the suites.
pub fn open() -> String {
    format!("{XML_DECLARATION}<testsuites name=\"idtoken-doctor\">\n")
}

/// One `<testsuite>` for a batch target: named `name` (distinct within the
/// batch: the caller adds the batch line to a name seen before), with `time`
/// the target's wall time in seconds.
pub fn suite(report: &Report, name: &str, seconds: f64, opts: &RenderOptions) -> String {
    let mut out = String::new();
    write_suite(
        &mut out,
        report,
        &SuiteCounts::of(report),
        name,
        seconds,
        opts,
    );
    out
}

/// The end of a document begun by [`open`].
pub fn close() -> String {
    CLOSE.to_string()
}

/// The counts a `<testsuite>` declares.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct SuiteCounts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl SuiteCounts {
    fn of(report: &Report) -> Self {
        let checks = report.checks();
        SuiteCounts {
            tests: checks.len(),
            failures: checks
                .iter()
                .filter(|c| c.status != Status::Error && report.counts_as_failure(c))
                .count(),
            errors: checks.iter().filter(|c| c.status == Status::Error).count(),
            skipped: checks.iter().filter(|c| c.status == Status::Skip).count(),
        }
    }
}

fn write_suite(
    out: &mut String,
    report: &Report,
    counts: &SuiteCounts,
    name: &str,
    seconds: f64,
    opts: &RenderOptions,
) {
    let timestamp = crate::clock::rfc3339(report.evaluated_at);
    // The JUnit schema's timestamp has no zone designator; the instant is UTC.
    let timestamp = timestamp.trim_end_matches('Z');
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">\n",
        attr(name),
        counts.tests,
        counts.failures,
        counts.errors,
        counts.skipped,
        seconds.max(0.0),
        attr(timestamp)
    ));

    let verdict = report.verdict();
    let mut properties: Vec<(&str, String)> = vec![
        ("command", report.command.to_string()),
        ("tool_version", opts.tool_version.to_string()),
        ("strict", report.strict.to_string()),
    ];
    if let Some(target) = &report.target {
        properties.push(("amurl", target.amurl.clone()));
        properties.push(("port", target.port.to_string()));
    }
    match broken_link(&verdict) {
        None => properties.push(("verdict", "healthy".to_string())),
        Some((stage, check, _, _)) => {
            properties.push(("verdict", verdict.status_str().to_string()));
            properties.push(("verdict.stage", stage.to_string()));
            properties.push(("verdict.check", check.to_string()));
        }
    }
    properties.push(("exit_code", verdict.exit_code().to_string()));
    out.push_str("    <properties>\n");
    for (key, value) in properties {
        out.push_str(&format!(
            "      <property name=\"{}\" value=\"{}\"/>\n",
            attr(key),
            attr(&value)
        ));
    }
    out.push_str("    </properties>\n");

    for check in report.checks() {
        write_case(out, report, check);
    }
    if !report.notes.is_empty() {
        let notes: Vec<String> = report.notes.iter().map(|n| format!("Note: {n}")).collect();
        out.push_str(&format!(
            "    <system-out>{}</system-out>\n",
            text(&notes.join("\n"))
        ));
    }
    out.push_str("  </testsuite>\n");
}

fn write_case(out: &mut String, report: &Report, check: &Check) {
    out.push_str(&format!(
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
        check.id.stage(),
        check.id
    ));
    if check.status == Status::Skip {
        out.push_str(&format!(
            ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
            attr(&check.summary)
        ));
        return;
    }
    out.push_str(">\n");
    let is_failure = report.counts_as_failure(check);
    let mut remedy = check.remedy_text().unwrap_or_default().to_string();
    if !check.commands.is_empty() {
        remedy = format!("{remedy}\n\n{}", command_lines(&check.commands).join("\n"));
    }
    let remedy = remedy.as_str();
    let mut output: Vec<String> = Vec::new();
    if check.status == Status::Error {
        out.push_str(&format!(
            "      <error message=\"{}\" type=\"error\">{}</error>\n",
            attr(&check.summary),
            text(remedy)
        ));
    } else if is_failure {
        out.push_str(&format!(
            "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
            attr(&check.summary),
            check.status,
            text(remedy)
        ));
    } else {
        // A pass, or a warn outside --strict: the test passes, and what was found
        // (with the warning's remedy) stays readable in its output.
        output.push(format!("{}: {}", check.status, check.summary));
        if !remedy.is_empty() {
            output.push(format!("What to do: {remedy}"));
        }
    }
    output.extend(
        fact_lines(&check.details, None)
            .iter()
            .map(|line| line.indented("")),
    );
    if !output.is_empty() {
        out.push_str(&format!(
            "      <system-out>{}</system-out>\n",
            text(&output.join("\n"))
        ));
    }
    out.push_str("    </testcase>\n");
}

/// Escapes `value` for a double-quoted XML attribute; line breaks and tabs are
/// written as character references so parsers do not fold them into spaces.
fn attr(value: &str) -> String {
    escape_xml(value, true)
}

/// Escapes `value` for XML character data.
fn text(value: &str) -> String {
    escape_xml(value, false)
}

fn escape_xml(value: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A tab as a reference: the same character for a parser, never a
            // raw control in the document (text::must_escape names it too).
            '\t' => out.push_str("&#9;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            // A bare CR would be normalised away by any parser: keep it as a reference.
            '\r' => out.push_str("&#13;"),
            // Line breaks keep the facts of `<system-out>` one to a line.
            '\n' => out.push(c),
            // XML 1.0 forbids most C0 controls and U+FFFE/U+FFFF even as
            // references; C1 controls, bidi and invisible characters are
            // allowed but would reach CI pages and logs raw.
            c if crate::text::must_escape(c) || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.extend(c.escape_default());
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;
    use crate::render::fixtures;

    fn parse(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"))
    }

    fn render(reports: &[Report]) -> String {
        junit(reports, &RenderOptions::default())
    }

    fn attribute<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
        node.attribute(name)
            .unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()))
    }

    fn children<'a, 'i>(
        node: roxmltree::Node<'a, 'i>,
        tag: &'static str,
    ) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
        node.children().filter(move |n| n.has_tag_name(tag))
    }

    #[test]
    fn one_suite_per_report_one_case_per_check_with_counts() {
        let reports = vec![fixtures::broken_at_tls(), fixtures::broken_at_token()];
        let xml = render(&reports);
        let doc = parse(&xml);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suites: Vec<_> = children(root, "testsuite").collect();
        assert_eq!(suites.len(), 2);
        assert_eq!(
            attribute(suites[0], "name"),
            "https://mail.contoso.com/autodiscover/metadata/json/1"
        );
        assert_eq!(attribute(suites[1], "name"), "decode");

        let mut total_tests = 0;
        for (suite, report) in suites.iter().zip(&reports) {
            let cases: Vec<_> = children(*suite, "testcase").collect();
            assert_eq!(cases.len(), report.checks().len());
            for (case, check) in cases.iter().zip(report.checks()) {
                assert_eq!(attribute(*case, "classname"), check.id.stage().as_str());
                assert_eq!(attribute(*case, "name"), check.id.as_str());
            }
            let failures = cases
                .iter()
                .filter(|c| children(**c, "failure").next().is_some())
                .count();
            let skipped = cases
                .iter()
                .filter(|c| children(**c, "skipped").next().is_some())
                .count();
            assert_eq!(attribute(*suite, "tests"), cases.len().to_string());
            assert_eq!(attribute(*suite, "failures"), failures.to_string());
            assert_eq!(attribute(*suite, "skipped"), skipped.to_string());
            assert_eq!(attribute(*suite, "errors"), "0");
            total_tests += cases.len();
        }
        assert_eq!(attribute(root, "tests"), total_tests.to_string());
        assert_eq!(attribute(root, "failures"), "2");
        assert_eq!(attribute(suites[0], "timestamp"), "2026-11-21T10:00:00");
    }

    #[test]
    fn failure_carries_summary_and_remedy_skip_carries_reason() {
        let xml = render(&[fixtures::broken_at_tls()]);
        let doc = parse(&xml);
        let trust = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("tls.trust"))
            .expect("tls.trust case");
        let failure = children(trust, "failure").next().expect("a failure");
        assert_eq!(
            attribute(failure, "message"),
            "the server certificate CN=mail.contoso.com is self-signed"
        );
        assert_eq!(attribute(failure, "type"), "fail");
        // The remedy, then its commands, each after a comment naming its shell.
        let text = failure.text().expect("failure text");
        assert!(text.starts_with(&format!("{}\n\n# sh: ", Remedy::TlsSelfSigned.text())));
        assert!(text.contains(
            "\nopenssl s_client -connect mail.contoso.com:443 -servername mail.contoso.com -showcerts </dev/null\n"
        ));
        let out = children(trust, "system-out").next().expect("facts");
        assert!(out
            .text()
            .unwrap_or_default()
            .contains("  issuer: CN=mail.contoso.com"));

        let ews = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("ews.reachable"))
            .expect("ews case");
        let skipped = children(ews, "skipped").next().expect("skipped");
        assert_eq!(
            attribute(skipped, "message"),
            "an earlier link broke (tls.trust)"
        );
        assert!(children(ews, "failure").next().is_none());
    }

    #[test]
    fn warn_is_a_failure_only_under_strict() {
        for (strict, expected_failures) in [(false, 1), (true, 2)] {
            let xml = render(&[fixtures::broken_at_http(strict)]);
            let doc = parse(&xml);
            let case = doc
                .descendants()
                .find(|n| n.attribute("name") == Some("dns.split_horizon"))
                .expect("split horizon case");
            assert_eq!(children(case, "failure").next().is_some(), strict);
            if !strict {
                let out = children(case, "system-out").next().expect("output");
                let text = out.text().unwrap_or_default();
                assert!(text.starts_with("warn: the system resolver answers 10.0.0.5"));
                assert!(text.contains(Remedy::SplitHorizon.text()));
            }
            let suite = doc
                .descendants()
                .find(|n| n.has_tag_name("testsuite"))
                .expect("suite");
            assert_eq!(attribute(suite, "failures"), expected_failures.to_string());
        }
    }

    #[test]
    fn verdict_and_exit_code_are_properties() {
        let xml = render(&[fixtures::broken_at_http(false), fixtures::healthy()]);
        let doc = parse(&xml);
        let properties = |suite: roxmltree::Node| -> Vec<(String, String)> {
            suite
                .descendants()
                .filter(|n| n.has_tag_name("property"))
                .map(|p| {
                    (
                        attribute(p, "name").to_string(),
                        attribute(p, "value").to_string(),
                    )
                })
                .collect()
        };
        let suites: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        let broken = properties(suites[0]);
        assert!(broken.contains(&("verdict.check".into(), "http.access".into())));
        assert!(broken.contains(&("exit_code".into(), "50".into())));
        let healthy = properties(suites[1]);
        assert!(healthy.contains(&("verdict".into(), "healthy".into())));
        assert!(healthy.contains(&("exit_code".into(), "0".into())));
        // Properties come first in a suite, as the JUnit schema orders them.
        assert_eq!(
            suites[0].first_element_child().map(|n| n.tag_name().name()),
            Some("properties")
        );
    }

    #[test]
    fn hostile_text_is_escaped_and_the_document_stays_well_formed() {
        let xml = render(&[fixtures::hostile()]);
        let doc = parse(&xml);
        assert!(!xml.contains("<script>"));
        assert!(!xml.contains("]]>"));
        assert!(!xml.contains('\u{1}'));
        assert!(!xml.contains('\u{1b}'));
        let expected = fixtures::HOSTILE
            .replace('\u{1b}', "\\u{1b}")
            .replace('\u{1}', "\\u{1}")
            .replace('\u{7f}', "\\u{7f}");
        let case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("http.access"))
            .expect("http.access");
        let failure = children(case, "failure").next().expect("failure");
        // The attribute keeps its line break, as a character reference.
        assert_eq!(attribute(failure, "message"), format!("fail: {expected}"));
        let out = children(case, "system-out").next().expect("facts");
        // Facts are lines of their own: a line break inside one is shown as `\n`.
        let facts = crate::text::escape_controls(fixtures::HOSTILE);
        assert!(out
            .text()
            .unwrap_or_default()
            .contains(&format!("location: {facts}")));
        // Under --strict the warning is a failure too.
        let warn = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("tls.validity"))
            .expect("tls.validity");
        assert!(children(warn, "failure").next().is_some());
        let skip = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("http.content"))
            .expect("http.content");
        let skipped = children(skip, "skipped").next().expect("skipped");
        assert_eq!(attribute(skipped, "message"), format!("skip: {expected}"));
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .expect("suite");
        let note = children(suite, "system-out").next().expect("suite output");
        assert_eq!(
            note.text(),
            Some(format!("Note: note: {expected}").as_str())
        );
    }

    #[test]
    fn escaping_covers_every_special_character() {
        assert_eq!(
            attr("a&b<c>d\"e'f\tg\nh\ri"),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i"
        );
        assert_eq!(
            text("x]]>y\tz\n\u{0}\u{fffe}"),
            "x]]&gt;y&#9;z\n\\u{0}\\u{fffe}"
        );
    }

    #[test]
    fn a_streamed_document_is_whole_with_names_and_times() {
        let opts = RenderOptions::default();
        let xml = format!(
            "{}{}{}{}",
            open(),
            suite(&fixtures::healthy(), "mail.contoso.com", 1.25, &opts),
            suite(
                &fixtures::broken_at_tls(),
                "mail.contoso.com #4",
                0.0004,
                &opts
            ),
            close()
        );
        let doc = parse(&xml);
        let suites: Vec<_> = children(doc.root_element(), "testsuite").collect();
        let names: Vec<&str> = suites.iter().map(|s| attribute(*s, "name")).collect();
        assert_eq!(names, vec!["mail.contoso.com", "mail.contoso.com #4"]);
        let times: Vec<&str> = suites.iter().map(|s| attribute(*s, "time")).collect();
        assert_eq!(times, vec!["1.250", "0.000"]);
    }

    #[test]
    fn a_suite_carries_its_wall_time_and_the_document_their_sum() {
        let mut probed = fixtures::broken_at_tls();
        probed.elapsed = Some(std::time::Duration::from_millis(2_345));
        let xml = render(&[probed, fixtures::broken_at_token()]);
        let doc = parse(&xml);
        let root = doc.root_element();
        let times: Vec<&str> = children(root, "testsuite")
            .map(|s| attribute(s, "time"))
            .collect();
        assert_eq!(times, vec!["2.345", "0.000"], "the decode measured no time");
        assert_eq!(attribute(root, "time"), "2.345");
    }

    #[test]
    fn no_reports_is_an_empty_but_valid_document() {
        let xml = render(&[]);
        let doc = parse(&xml);
        assert_eq!(attribute(doc.root_element(), "tests"), "0");
        assert_eq!(
            doc.root_element()
                .children()
                .filter(|n| n.is_element())
                .count(),
            0
        );
    }
}
