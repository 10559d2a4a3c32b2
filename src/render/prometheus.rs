//! `--format prometheus`: the Prometheus text exposition format (version
//! 0.0.4), with the metrics of the contract's "Monitoring" section, one series
//! set per target:
//!
//! | metric | value |
//! |---|---|
//! | `idtoken_doctor_success` | 1 when the verdict is healthy, else 0 |
//! | `idtoken_doctor_exit_code` | the verdict's exit code |
//! | `idtoken_doctor_check{check,stage,status}` | 1, one series per check |
//! | `idtoken_doctor_duration_seconds` | wall time of the run |
//! | `idtoken_doctor_tls_certificate_expiry_timestamp_seconds` | the server certificate's notAfter |
//! | `idtoken_doctor_auth_certificate_expiry_timestamp_seconds{x5t}` | notAfter of each published signing certificate |
//!
//! Every series carries `target`, the amurl. The format wants each metric's
//! samples in one group after its `# HELP` and `# TYPE` lines, so the samples
//! of several targets are gathered per metric ([`Exposition`]) and written at
//! the end; only the sample lines are kept, never the reports (and a batch
//! keeps them in temporary files, through [`Exposition::lines`]).
//!
//! Label values come from the report alone: the amurl (which a token or a
//! server may have chosen), check ids, stages, statuses and certificate
//! thumbprints. Never a token, a claim or a user id: text in the amurl that
//! looks like a token is hidden, control characters are shown escaped (the one
//! rule of `crate::text`), and then backslash, double quote and newline are
//! escaped as the format requires.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use serde_json::Value;

use crate::clock;
use crate::report::{CheckId, Report};
use crate::text;

/// The media type of the text exposition format, for HTTP answers.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The longest `target` label kept, in characters (an amurl is far shorter;
/// a hostile token's is cut).
const MAX_TARGET_CHARS: usize = 512;

/// The kind of a metric, as `# TYPE` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A value that only goes up (its name ends in `_total`).
    Counter,
    /// Observations counted in buckets, with their sum and count.
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
        }
    }
}

/// A metric's name, help text and kind.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// The metric name.
    pub name: &'static str,
    /// The `# HELP` text (plain ASCII, no backslash or line break).
    pub help: &'static str,
    /// The `# TYPE`.
    pub kind: Kind,
}

impl Family {
    /// The `# HELP` and `# TYPE` lines that open the metric's group.
    pub fn header(&self) -> String {
        format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n",
            name = self.name,
            help = self.help,
            kind = self.kind.as_str()
        )
    }
}

const SUCCESS: Family = Family {
    name: "idtoken_doctor_success",
    help: "1 when the verdict is healthy (every link SSI follows holds), else 0.",
    kind: Kind::Gauge,
};
const EXIT_CODE: Family = Family {
    name: "idtoken_doctor_exit_code",
    help: "The verdict's exit code: 0 healthy, 3 inconclusive, 10 token, 20 dns, 30 tcp, 40 tls, 50 http, 60 metadata, 70 key, 80 ews.",
    kind: Kind::Gauge,
};
const CHECK: Family = Family {
    name: "idtoken_doctor_check",
    help: "1 for each check of the chain, labelled with its stage and current status (pass, warn, fail, skip, error).",
    kind: Kind::Gauge,
};
const DURATION: Family = Family {
    name: "idtoken_doctor_duration_seconds",
    help: "Wall time of the run for this target.",
    kind: Kind::Gauge,
};
const TLS_EXPIRY: Family = Family {
    name: "idtoken_doctor_tls_certificate_expiry_timestamp_seconds",
    help: "notAfter of the certificate the metadata URL's server presents, in Unix seconds.",
    kind: Kind::Gauge,
};
const AUTH_EXPIRY: Family = Family {
    name: "idtoken_doctor_auth_certificate_expiry_timestamp_seconds",
    help: "notAfter of each signing certificate the metadata document publishes (by x5t), in Unix seconds.",
    kind: Kind::Gauge,
};

/// The metrics of a report, in the order they are written.
const FAMILIES: [Family; 6] = [SUCCESS, EXIT_CODE, CHECK, DURATION, TLS_EXPIRY, AUTH_EXPIRY];

/// A label value escaped for the exposition format: token-like text hidden,
/// control characters shown escaped, then `\`, `"` and line feeds escaped.
pub fn label_value(value: &str) -> String {
    let shown = text::escape_controls(&crate::input::hide_token_text(value));
    escape_label(&shown)
}

/// The format's own escaping of a label value: backslash, double quote, line feed.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// How many metrics a report has: the length of [`Exposition::lines`].
pub const FAMILY_COUNT: usize = FAMILIES.len();

/// The `# HELP` and `# TYPE` lines of each metric, in the order of
/// [`Exposition::lines`].
pub fn headers() -> [String; FAMILY_COUNT] {
    FAMILIES.map(|family| family.header())
}

/// The metrics of several reports (one per target), gathered per metric so
/// that each metric's samples stay in one group whatever the number of targets.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Sample lines per entry of [`FAMILIES`].
    samples: [String; FAMILY_COUNT],
    /// Hashes of the `target` labels given so far, to keep each target's
    /// series distinct (a collision only adds a position to a label).
    targets: HashSet<u64>,
    /// How many reports were added.
    added: usize,
}

impl Exposition {
    /// An exposition with no target yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the series of one report. A target already present (two lines of
    /// a batch naming one amurl) gets its position in the batch: `… #3`.
    pub fn add(&mut self, report: &Report) {
        let lines = self.lines(report);
        for (all, lines) in self.samples.iter_mut().zip(lines) {
            all.push_str(&lines);
        }
    }

    /// The sample lines of one report, per metric in the order of
    /// [`headers`] (empty for a metric it has no sample of), with its target
    /// made distinct as [`Exposition::add`] does; for a caller that keeps the
    /// samples elsewhere until the end.
    pub fn lines(&mut self, report: &Report) -> [String; FAMILY_COUNT] {
        self.added += 1;
        let mut lines: [String; FAMILY_COUNT] = Default::default();
        let target = self.distinct_target(report);
        let verdict = report.verdict();
        let t = format!("target=\"{target}\"");
        let success = u8::from(verdict.exit_code() == 0);
        sample(&mut lines[0], SUCCESS.name, &t, success);
        sample(&mut lines[1], EXIT_CODE.name, &t, verdict.exit_code());
        for check in report.checks() {
            let labels = format!(
                "{t},check=\"{}\",stage=\"{}\",status=\"{}\"",
                check.id.as_str(),
                check.id.stage().as_str(),
                check.status.as_str()
            );
            sample(&mut lines[2], CHECK.name, &labels, 1);
        }
        if let Some(elapsed) = report.elapsed {
            let seconds = format!("{:.3}", elapsed.as_secs_f64());
            sample(&mut lines[3], DURATION.name, &t, seconds);
        }
        if let Some(not_after) = tls_not_after(report) {
            sample(&mut lines[4], TLS_EXPIRY.name, &t, not_after);
        }
        for (x5t, not_after) in auth_not_after(report) {
            let labels = format!("{t},x5t=\"{}\"", label_value(&x5t));
            sample(&mut lines[5], AUTH_EXPIRY.name, &labels, not_after);
        }
        lines
    }

    /// The exposition text: each metric with samples, its `# HELP` and `# TYPE`
    /// lines, then its samples in the order the targets were added.
    pub fn finish(self) -> String {
        let mut out = String::new();
        for (family, samples) in FAMILIES.iter().zip(&self.samples) {
            if samples.is_empty() {
                continue;
            }
            out.push_str(&family.header());
            out.push_str(samples);
        }
        out
    }

    /// The escaped `target` label of `report`, made distinct from earlier ones.
    fn distinct_target(&mut self, report: &Report) -> String {
        let amurl = report
            .target
            .as_ref()
            .map(|t| text::excerpt(&without_credentials(&t.amurl), MAX_TARGET_CHARS))
            .unwrap_or_default();
        let mut label = label_value(&amurl);
        let mut suffix = self.added;
        while !self.targets.insert(hash_of(&label)) {
            label = label_value(&format!("{amurl} #{suffix}"));
            suffix += 1;
        }
        label
    }
}

fn hash_of(label: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    label.hash(&mut hasher);
    hasher.finish()
}

/// `amurl` without the user name and password a URL may carry: they are
/// never sent, and a label is stored and shown far and wide.
fn without_credentials(amurl: &str) -> String {
    match url::Url::parse(amurl) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => amurl.to_string(),
    }
}

/// The reports in the Prometheus text exposition format.
pub fn prometheus(reports: &[Report]) -> String {
    let mut exposition = Exposition::new();
    reports.iter().for_each(|r| exposition.add(r));
    exposition.finish()
}

/// Unix seconds of an RFC 3339 instant in a report's details.
fn unix_seconds(value: Option<&Value>) -> Option<i64> {
    let text = value?.as_str()?;
    clock::parse_instant(text).ok().map(|t| t.unix_timestamp())
}

/// The server certificate's notAfter, from `tls.validity` (judged whenever the
/// server sent a certificate, whatever trust and name concluded).
fn tls_not_after(report: &Report) -> Option<i64> {
    unix_seconds(report.get(CheckId::TlsValidity)?.details.get("not_after"))
}

/// `(x5t, notAfter)` of every certificate `metadata.keys` lists, one per
/// thumbprint (a certificate published twice is one series).
fn auth_not_after(report: &Report) -> Vec<(String, i64)> {
    let Some(Value::Array(keys)) = report
        .get(CheckId::MetadataKeys)
        .and_then(|c| c.details.get("keys"))
    else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for key in keys {
        let x5t = key.get("computed_x5t").and_then(Value::as_str);
        let not_after = unix_seconds(key.get("not_after"));
        if let (Some(x5t), Some(not_after)) = (x5t, not_after) {
            if seen.insert(x5t.to_string()) {
                out.push((x5t.to_string(), not_after));
            }
        }
    }
    out
}

/// Appends one sample line `name{labels} value` (labels already escaped).
pub fn sample(out: &mut String, name: &str, labels: &str, value: impl std::fmt::Display) {
    let _ = if labels.is_empty() {
        writeln!(out, "{name} {value}")
    } else {
        writeln!(out, "{name}{{{labels}}} {value}")
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;
    use crate::render::fixtures;
    use crate::report::{Check, Status, TargetInfo};
    use serde_json::json;
    use std::time::Duration;

    fn series<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn a_healthy_report_has_every_metric_of_the_contract() {
        let mut report = fixtures::healthy();
        report.elapsed = Some(Duration::from_millis(1234));
        let text = prometheus(&[report.clone()]);
        let amurl = &report.target.as_ref().expect("a target").amurl;
        let t = format!("target=\"{amurl}\"");
        assert!(
            text.contains(&format!("idtoken_doctor_success{{{t}}} 1\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("idtoken_doctor_exit_code{{{t}}} 0\n")),
            "{text}"
        );
        assert!(text.contains(&format!("idtoken_doctor_duration_seconds{{{t}}} 1.234\n")));
        let checks = series(&text, "idtoken_doctor_check{");
        assert_eq!(checks.len(), report.checks().len());
        assert!(text.contains(&format!(
            "idtoken_doctor_check{{{t},check=\"tls.trust\",stage=\"tls\",status=\"pass\"}} 1\n"
        )));
        for family in FAMILIES.iter().take(4) {
            assert!(text.contains(&format!("# TYPE {} gauge\n", family.name)));
            assert!(text.contains(&format!("# HELP {} ", family.name)));
        }
    }

    #[test]
    fn a_broken_report_says_where() {
        let text = prometheus(&[fixtures::broken_at_tls()]);
        assert_eq!(
            series(&text, "idtoken_doctor_success{")[0]
                .rsplit(' ')
                .next(),
            Some("0")
        );
        assert!(series(&text, "idtoken_doctor_exit_code{")[0].ends_with(" 40"));
        let failing: Vec<&str> = series(&text, "idtoken_doctor_check{")
            .into_iter()
            .filter(|l| l.contains("status=\"fail\""))
            .collect();
        assert_eq!(failing.len(), 1, "{text}");
        assert!(failing[0].contains("check=\"tls.trust\",stage=\"tls\""));
    }

    #[test]
    fn certificate_expiry_comes_from_the_checks_details() {
        let mut report = Report::new("probe", fixtures::EVALUATED_AT, false);
        report.target = Some(TargetInfo {
            amurl: "https://mail.contoso.com/autodiscover/metadata/json/1".into(),
            host: "mail.contoso.com".into(),
            port: 443,
        });
        report.push(
            Check::pass(CheckId::TlsValidity, "valid")
                .with_detail("not_after", "2027-01-01T00:00:00Z"),
        );
        report.push(
            Check::pass(CheckId::MetadataKeys, "2 published").with_detail(
                "keys",
                json!([
                    {"computed_x5t": "old-x5t", "not_after": "2026-12-01T00:00:00Z"},
                    {"computed_x5t": "new-x5t", "not_after": "2031-06-01T12:00:00Z"},
                    {"computed_x5t": "old-x5t", "not_after": "2026-12-01T00:00:00Z"},
                ]),
            ),
        );
        let text = prometheus(&[report]);
        let tls = series(
            &text,
            "idtoken_doctor_tls_certificate_expiry_timestamp_seconds{",
        );
        assert_eq!(tls.len(), 1);
        assert!(tls[0].ends_with(" 1798761600"), "{text}");
        let auth = series(
            &text,
            "idtoken_doctor_auth_certificate_expiry_timestamp_seconds{",
        );
        assert_eq!(auth.len(), 2, "one series per thumbprint: {text}");
        assert!(auth[0].contains("x5t=\"old-x5t\"") && auth[0].ends_with(" 1796083200"));
        assert!(auth[1].contains("x5t=\"new-x5t\"") && auth[1].ends_with(" 1938081600"));
    }

    #[test]
    fn without_certificates_or_duration_those_metrics_are_absent() {
        let text = prometheus(&[fixtures::broken_at_token()]);
        assert!(!text.contains("idtoken_doctor_tls_certificate_expiry"));
        assert!(!text.contains("idtoken_doctor_auth_certificate_expiry"));
        assert!(!text.contains("idtoken_doctor_duration_seconds"));
        assert!(text.contains("idtoken_doctor_success"));
    }

    #[test]
    fn label_values_are_escaped_as_the_format_requires() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("a\nb"), "a\\nb");
        // Control characters are shown escaped first (one rule for untrusted
        // text), so a raw line feed never reaches the output.
        assert_eq!(label_value("a\nb\u{1b}"), "a\\\\nb\\\\u{1b}");
        assert_eq!(label_value("q\"uote"), "q\\\"uote");
    }

    #[test]
    fn a_token_in_the_amurl_never_reaches_a_label() {
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhcHBjdHgiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl";
        let mut report = fixtures::healthy();
        if let Some(target) = report.target.as_mut() {
            target.amurl = format!("https://mail.contoso.com/x?t={jwt}");
        }
        let text = prometheus(&[report]);
        assert!(!text.contains("eyJ0eXAi"), "{text}");
        assert!(text.contains("token text hidden"), "{text}");
    }

    #[test]
    fn credentials_in_the_amurl_never_reach_a_label() {
        let mut report = fixtures::healthy();
        if let Some(target) = report.target.as_mut() {
            target.amurl =
                "https://admin:s3cret@mail.contoso.com/autodiscover/metadata/json/1".into();
        }
        let text = prometheus(&[report]);
        assert!(
            !text.contains("s3cret") && !text.contains("admin@"),
            "{text}"
        );
        assert!(text.contains("target=\"https://mail.contoso.com/autodiscover/metadata/json/1\""));
    }

    #[test]
    fn hostile_text_keeps_every_line_a_sample() {
        let mut report = fixtures::hostile();
        if let Some(target) = report.target.as_mut() {
            target.amurl = "https://x.test/\"}\n evil 1\n\\".into();
        }
        let text = prometheus(&[report]);
        for line in text.lines() {
            assert!(
                line.starts_with("# HELP idtoken_doctor_")
                    || line.starts_with("# TYPE idtoken_doctor_")
                    || line.starts_with("idtoken_doctor_"),
                "{line}"
            );
        }
        assert!(!text.contains("\nevil") && !text.contains("\n evil"));
    }

    #[test]
    fn a_batch_groups_each_metric_and_keeps_targets_distinct() {
        let reports = vec![
            fixtures::healthy(),
            fixtures::broken_at_tls(),
            fixtures::healthy(),
        ];
        let text = prometheus(&reports);
        assert_eq!(
            text.matches("# TYPE idtoken_doctor_success gauge").count(),
            1
        );
        let success = series(&text, "idtoken_doctor_success{");
        assert_eq!(success.len(), 3);
        let labels: HashSet<&str> = success
            .iter()
            .map(|l| l.split('}').next().unwrap_or_default())
            .collect();
        assert_eq!(labels.len(), 3, "{success:?}");
        assert!(success[2].contains("/json/1 #3\""), "{}", success[2]);
        // Each metric's samples form one group: no family reappears after another.
        let mut order: Vec<&str> = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split('{').next().unwrap_or_default();
            if order.last() != Some(&name) {
                assert!(!order.contains(&name), "{name} split:\n{text}");
                order.push(name);
            }
        }
    }

    #[test]
    fn every_status_is_a_label_value() {
        let mut report = fixtures::healthy();
        report.push(Check::error(
            CheckId::DnsResolve,
            "no resolver answered",
            Remedy::DnsResolversUnreachable,
        ));
        let text = prometheus(&[report]);
        assert!(text.contains("check=\"dns.resolve\",stage=\"dns\",status=\"error\"} 1"));
        assert!(series(&text, "idtoken_doctor_exit_code{")[0].ends_with(" 3"));
        assert_eq!(Status::Error.as_str(), "error");
    }
}
