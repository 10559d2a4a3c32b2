//! The exporter's own metrics (`GET /metrics`): the only state `serve` keeps
//! between requests.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::render::prometheus::{label_value, sample, Family, Kind};
use crate::report::{Report, Stage, Verdict};

/// Upper bounds of the probe duration histogram, in seconds: loopback probes
/// take milliseconds, a distant server seconds, a firewall the whole budget.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0];

const PROBES: Family = Family {
    name: "idtoken_doctor_exporter_probes_total",
    help: "Probes run, by verdict (healthy, fail, inconclusive).",
    kind: Kind::Counter,
};
const FAILURES: Family = Family {
    name: "idtoken_doctor_exporter_probe_failures_total",
    help: "Probes whose verdict broke the chain, by the stage of the broken link.",
    kind: Kind::Counter,
};
const DURATION: Family = Family {
    name: "idtoken_doctor_exporter_probe_duration_seconds",
    help: "Wall time of the probes run.",
    kind: Kind::Histogram,
};
const IN_FLIGHT: Family = Family {
    name: "idtoken_doctor_exporter_probes_in_flight",
    help: "Probes under way now.",
    kind: Kind::Gauge,
};
const RESPONSES: Family = Family {
    name: "idtoken_doctor_exporter_http_responses_total",
    help: "HTTP responses sent, by status code (429: more probes asked for than --jobs).",
    kind: Kind::Counter,
};

/// What the exporter counted since it started.
#[derive(Debug, Default)]
pub(super) struct Counters {
    totals: Mutex<Totals>,
}

#[derive(Debug, Default)]
struct Totals {
    healthy: u64,
    failed: u64,
    inconclusive: u64,
    failures_by_stage: [u64; Stage::ALL.len()],
    /// Observations at or below each bound of [`BUCKETS`] (not cumulative yet).
    buckets: [u64; BUCKETS.len()],
    duration_count: u64,
    duration_sum: f64,
    responses: BTreeMap<u16, u64>,
}

impl Counters {
    /// Counts one finished probe: its verdict and its wall time.
    pub fn probed(&self, report: &Report, elapsed: Duration) {
        let mut totals = self.lock();
        match report.verdict() {
            Verdict::Healthy => totals.healthy += 1,
            Verdict::Inconclusive { .. } => totals.inconclusive += 1,
            Verdict::Broken { check, .. } => {
                totals.failed += 1;
                if let Some(i) = Stage::ALL.iter().position(|s| *s == check.stage()) {
                    totals.failures_by_stage[i] += 1;
                }
            }
        }
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|bound| secs <= *bound) {
            totals.buckets[i] += 1;
        }
        totals.duration_count += 1;
        totals.duration_sum += secs;
    }

    /// Counts one HTTP response.
    pub fn answered(&self, status: u16) {
        *self.lock().responses.entry(status).or_default() += 1;
    }

    /// The exposition text, with `in_flight` probes under way now.
    pub fn render(&self, in_flight: usize) -> String {
        let totals = self.lock();
        let mut out = PROBES.header();
        for (result, count) in [
            ("healthy", totals.healthy),
            ("fail", totals.failed),
            ("inconclusive", totals.inconclusive),
        ] {
            sample(
                &mut out,
                PROBES.name,
                &format!("result=\"{result}\""),
                count,
            );
        }
        out.push_str(&FAILURES.header());
        for (stage, count) in Stage::ALL.iter().zip(totals.failures_by_stage) {
            sample(
                &mut out,
                FAILURES.name,
                &format!("stage=\"{stage}\""),
                count,
            );
        }
        out.push_str(&DURATION.header());
        let bucket = format!("{}_bucket", DURATION.name);
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(totals.buckets) {
            cumulative += count;
            sample(&mut out, &bucket, &format!("le=\"{bound}\""), cumulative);
        }
        let count = totals.duration_count;
        sample(&mut out, &bucket, "le=\"+Inf\"", count);
        let sum = format!("{}_sum", DURATION.name);
        sample(&mut out, &sum, "", format!("{:.6}", totals.duration_sum));
        sample(&mut out, &format!("{}_count", DURATION.name), "", count);
        out.push_str(&IN_FLIGHT.header());
        sample(&mut out, IN_FLIGHT.name, "", in_flight);
        if !totals.responses.is_empty() {
            out.push_str(&RESPONSES.header());
            for (code, count) in &totals.responses {
                let labels = format!("code=\"{}\"", label_value(&code.to_string()));
                sample(&mut out, RESPONSES.name, &labels, count);
            }
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Totals> {
        // A panic while counting leaves numbers, not a broken invariant.
        self.totals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;
    use crate::report::{Check, CheckId};
    use time::OffsetDateTime;

    fn report(check: Option<Check>) -> Report {
        let mut r = Report::new("probe", OffsetDateTime::UNIX_EPOCH, false);
        r.extend(check);
        r
    }

    fn value<'a>(text: &'a str, series: &str) -> &'a str {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }

    #[test]
    fn probes_are_counted_by_verdict_stage_and_duration() {
        let counters = Counters::default();
        counters.probed(&report(None), Duration::from_millis(40));
        let tls = Check::fail(CheckId::TlsTrust, "self-signed", Remedy::TlsSelfSigned);
        counters.probed(&report(Some(tls)), Duration::from_millis(300));
        let error = Check::error(
            CheckId::DnsResolve,
            "no resolver",
            Remedy::DnsResolversUnreachable,
        );
        counters.probed(&report(Some(error)), Duration::from_secs(20));
        counters.answered(200);
        counters.answered(429);
        counters.answered(200);
        let text = counters.render(2);
        let p = "idtoken_doctor_exporter_probes_total";
        assert_eq!(value(&text, &format!("{p}{{result=\"healthy\"}}")), "1");
        assert_eq!(value(&text, &format!("{p}{{result=\"fail\"}}")), "1");
        assert_eq!(
            value(&text, &format!("{p}{{result=\"inconclusive\"}}")),
            "1"
        );
        let f = "idtoken_doctor_exporter_probe_failures_total";
        assert_eq!(value(&text, &format!("{f}{{stage=\"tls\"}}")), "1");
        assert_eq!(value(&text, &format!("{f}{{stage=\"dns\"}}")), "0");
        let b = "idtoken_doctor_exporter_probe_duration_seconds_bucket";
        assert_eq!(value(&text, &format!("{b}{{le=\"0.05\"}}")), "1");
        assert_eq!(value(&text, &format!("{b}{{le=\"0.5\"}}")), "2");
        assert_eq!(value(&text, &format!("{b}{{le=\"15\"}}")), "2");
        assert_eq!(value(&text, &format!("{b}{{le=\"+Inf\"}}")), "3");
        assert_eq!(
            value(
                &text,
                "idtoken_doctor_exporter_probe_duration_seconds_count"
            ),
            "3"
        );
        assert_eq!(
            value(&text, "idtoken_doctor_exporter_probe_duration_seconds_sum"),
            "20.340000"
        );
        assert_eq!(
            value(&text, "idtoken_doctor_exporter_probes_in_flight"),
            "2"
        );
        let r = "idtoken_doctor_exporter_http_responses_total";
        assert_eq!(value(&text, &format!("{r}{{code=\"200\"}}")), "2");
        assert_eq!(value(&text, &format!("{r}{{code=\"429\"}}")), "1");
    }
}
