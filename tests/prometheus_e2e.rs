//! A real Prometheus (Debian's `prometheus`) scrapes `idtoken-doctor serve`
//! on 127.0.0.1 with the scrape configuration of docs/monitoring.md and the
//! alert rules of docs/monitoring/, every second: its query API returns
//! `idtoken_doctor_success` for the lab targets, the relabelling makes each
//! target the `instance`, and the alerts fire for the broken chain and the
//! expiring certificates (pending: their `for` is longer than the test).
//!
//! The configuration is read from the document, not copied: the only changes
//! are the ones a test must make (paths, the exporter's port, a 1 s interval),
//! and each is asserted to apply, so the document cannot drift from what runs.
//!
//! Unix only: `promtool` and `prometheus` are Debian's Linux programs, which a
//! Windows build of the tests (run under wine) cannot start.
#![cfg(unix)]

mod e2e_support;
mod prom_support;

use std::cell::RefCell;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use e2e_support::*;
use idtoken_doctor::lab::authcert::AuthCert;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer};
use prom_support::*;
use serde_json::Value;
use time::OffsetDateTime;

/// How long Prometheus gets to start, scrape and evaluate what the test waits for.
const PATIENCE: Duration = Duration::from_secs(90);

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The YAML block after the marker comment that names `marker` in docs/monitoring.md.
fn doc_block(marker: &str) -> String {
    let doc = std::fs::read_to_string(repo_file("docs/monitoring.md")).expect("docs/monitoring.md");
    let after = doc
        .split_once(&format!("<!-- {marker}"))
        .unwrap_or_else(|| panic!("docs/monitoring.md has no `<!-- {marker}` marker"))
        .1;
    let block = after
        .split_once("```yaml\n")
        .expect("a yaml block follows the marker")
        .1;
    block
        .split_once("```")
        .expect("the yaml block ends")
        .0
        .to_string()
}

/// `text` with `from` replaced by `to`, asserting `from` is there.
fn substitute(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "docs/monitoring.md's configuration no longer holds `{from}`: update this test with it"
    );
    text.replace(from, to)
}

/// Prometheus on 127.0.0.1, killed when dropped.
struct Prometheus {
    child: RefCell<Child>,
    base: String,
    agent: ureq::Agent,
}

impl Prometheus {
    fn start(config: &Path, data: &Path) -> Prometheus {
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("addr").port()
        };
        let child = Command::new(tool("prometheus"))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("prometheus starts");
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .proxy(None)
                .timeout_global(Some(Duration::from_secs(10)))
                .build(),
        );
        Prometheus {
            child: RefCell::new(child),
            base: format!("http://127.0.0.1:{port}"),
            agent,
        }
    }

    /// `GET path` as text, or `None` when Prometheus does not answer (yet).
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut response = self.agent.get(format!("{}{path}", self.base)).call().ok()?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().ok()?;
        Some((status, body))
    }

    /// `GET /api/v1/…` as JSON `data`, when the answer is a success.
    fn api(&self, path: &str) -> Option<Value> {
        let (status, body) = self.get(path)?;
        let value: Value = serde_json::from_str(&body).ok()?;
        (status == 200 && value["status"] == "success").then(|| value["data"].clone())
    }

    /// The result vector of an instant query.
    fn query(&self, promql: &str) -> Vec<Value> {
        let encoded: String = url::form_urlencoded::byte_serialize(promql.as_bytes()).collect();
        self.api(&format!("/api/v1/query?query={encoded}"))
            .and_then(|data| data["result"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Waits (up to [`PATIENCE`]) until `ready` holds of what `fetch` returns.
    fn wait_for<T>(&self, what: &str, fetch: impl Fn(&Self) -> T, ready: impl Fn(&T) -> bool) -> T
    where
        T: std::fmt::Debug,
    {
        let until = Instant::now() + PATIENCE;
        loop {
            let got = fetch(self);
            if ready(&got) {
                return got;
            }
            if let Some(status) = self.exited() {
                panic!("prometheus exited ({status}) while waiting for {what}");
            }
            assert!(
                Instant::now() < until,
                "waited {PATIENCE:?} for {what}; last: {got:#?}"
            );
            thread::sleep(Duration::from_millis(250));
        }
    }

    fn exited(&self) -> Option<std::process::ExitStatus> {
        self.child.borrow_mut().try_wait().ok().flatten()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let child = self.child.get_mut();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The label `name` of a query result or an alert.
fn label<'a>(item: &'a Value, name: &str) -> &'a str {
    item["labels"]
        .get(name)
        .or_else(|| item["metric"].get(name))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The value of an instant-query result.
fn sample_value(item: &Value) -> f64 {
    item["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// A lab Exchange whose TLS certificate expires in 10 days and whose auth
/// certificate expires in 20: healthy today, both expiry alerts due.
fn expiring_exchange(lab: &Lab) -> HttpsServer {
    let now = OffsetDateTime::now_utc();
    let auth = AuthCert::generate(
        now - time::Duration::days(300),
        now + time::Duration::days(20),
    )
    .expect("auth certificate");
    let leaf = lab
        .pki
        .leaf(HOST)
        .expires_in(time::Duration::days(10))
        .build()
        .expect("server certificate");
    HttpsServer::start(
        leaf.identity(),
        exchange_routes(
            Behaviour::json(metadata_of(&[&auth])),
            Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        ),
    )
    .expect("HTTPS server")
}

#[test]
fn prometheus_scrapes_serve_with_the_documented_config_and_rules() {
    let lab = Lab::new();
    let healthy = lab.healthy_exchange();
    let guarded = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
    );
    let expiring = expiring_exchange(&lab);
    let serve = Serve::start(&lab.args());
    let targets = [amurl(&healthy), amurl(&guarded), amurl(&expiring)];

    let dir = tempfile::tempdir().expect("temp dir");
    let targets_file = dir.path().join("targets.yml");
    let mut list = std::fs::File::create(&targets_file).expect("targets file");
    writeln!(list, "- targets:").expect("write");
    for target in &targets {
        writeln!(list, "    - '{target}'").expect("write");
    }
    drop(list);

    let mut config = doc_block("prometheus.yml");
    let rules = repo_file("docs/monitoring/idtoken-doctor.rules.yml");
    config = substitute(
        &config,
        "/etc/prometheus/idtoken-doctor.rules.yml",
        &rules.display().to_string(),
    );
    config = substitute(
        &config,
        "/etc/prometheus/idtoken-doctor-targets.yml",
        &targets_file.display().to_string(),
    );
    config = substitute(&config, "127.0.0.1:9871", &serve.addr.to_string());
    // Prometheus wants the scrape timeout within the interval: 1 s both.
    config = substitute(&config, "scrape_interval: 1m", "scrape_interval: 1s");
    config = substitute(&config, "scrape_timeout: 20s", "scrape_timeout: 1s");
    let config = format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\n{config}");
    let config_file = dir.path().join("prometheus.yml");
    std::fs::write(&config_file, &config).expect("write the config");
    let data = dir.path().join("data");

    let prometheus = Prometheus::start(&config_file, &data);
    prometheus.wait_for(
        "Prometheus to be ready",
        |p| p.get("/-/ready").map(|(status, _)| status),
        |status| *status == Some(200),
    );

    // The probe job: one idtoken_doctor_success per target, the target as the
    // instance, 1 for the healthy chains and 0 for the broken one.
    let success = prometheus.wait_for(
        "idtoken_doctor_success of every lab target",
        |p| p.query("idtoken_doctor_success"),
        |result| {
            let values: Vec<(String, f64)> = result
                .iter()
                .map(|r| (label(r, "target").to_string(), sample_value(r)))
                .collect();
            targets
                .iter()
                .zip([1.0, 0.0, 1.0])
                .all(|(target, expected)| values.iter().any(|(t, v)| t == target && *v == expected))
        },
    );
    assert_eq!(success.len(), 3, "{success:#?}");
    for item in &success {
        assert_eq!(label(item, "job"), "idtoken-doctor", "{item:#?}");
        assert_eq!(
            label(item, "instance"),
            label(item, "target"),
            "relabelled: {item:#?}"
        );
    }
    let broken = prometheus.query(&format!(
        "idtoken_doctor_check{{status=\"fail\",target=\"{}\"}}",
        targets[1]
    ));
    assert_eq!(broken.len(), 1, "{broken:#?}");
    assert_eq!(label(&broken[0], "check"), "http.access");
    assert_eq!(label(&broken[0], "stage"), "http");
    let code = prometheus.query(&format!(
        "idtoken_doctor_exit_code{{target=\"{}\"}}",
        targets[1]
    ));
    assert_eq!(code.first().map(sample_value), Some(50.0), "{code:#?}");

    // The exporter's own job.
    let up = prometheus.wait_for(
        "the exporter's own job to be up",
        |p| p.query("up{job=\"idtoken-doctor-exporter\"}"),
        |result| result.first().map(sample_value) == Some(1.0),
    );
    assert_eq!(up.len(), 1);
    let probes = prometheus.wait_for(
        "the exporter to count probes",
        |p| p.query("sum(idtoken_doctor_exporter_probes_total)"),
        |result| result.first().map(sample_value).is_some_and(|v| v >= 3.0),
    );
    assert_eq!(probes.len(), 1);

    // The rules load and evaluate without error.
    let groups = prometheus.wait_for(
        "the alert rules to be evaluated",
        |p| {
            p.api("/api/v1/rules")
                .and_then(|d| d["groups"].as_array().cloned())
                .unwrap_or_default()
        },
        |groups| {
            groups.iter().any(|g| {
                g["rules"].as_array().is_some_and(|rules| {
                    !rules.is_empty()
                        && rules.iter().all(|r| {
                            r["health"] == "ok" && r["lastEvaluation"] != "0001-01-01T00:00:00Z"
                        })
                })
            })
        },
    );
    let names: Vec<&str> = groups
        .iter()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter_map(|r| r["name"].as_str())
        .collect();
    for alert in [
        "IdTokenChainBroken",
        "ExchangeAuthCertificateExpiring",
        "ExchangeTlsCertificateExpiring",
        "IdTokenDoctorProbeInconclusive",
        "IdTokenDoctorExporterDown",
    ] {
        assert!(names.contains(&alert), "{alert} in {names:?}");
    }

    // The alerts: pending (their `for` is minutes), with the labels that name
    // the broken link and the target.
    let alerts = prometheus.wait_for(
        "the three alerts of the lab targets",
        |p| {
            p.api("/api/v1/alerts")
                .and_then(|d| d["alerts"].as_array().cloned())
                .unwrap_or_default()
        },
        |alerts| {
            [
                "IdTokenChainBroken",
                "ExchangeAuthCertificateExpiring",
                "ExchangeTlsCertificateExpiring",
            ]
            .iter()
            .all(|name| alerts.iter().any(|a| label(a, "alertname") == *name))
        },
    );
    let of = |name: &str| -> Vec<&Value> {
        alerts
            .iter()
            .filter(|a| label(a, "alertname") == name)
            .collect()
    };
    let chain = of("IdTokenChainBroken");
    assert_eq!(chain.len(), 1, "{chain:#?}");
    assert_eq!(label(chain[0], "target"), targets[1]);
    assert_eq!(label(chain[0], "stage"), "http");
    assert_eq!(label(chain[0], "check"), "http.access");
    assert!(
        chain[0]["annotations"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("breaks at http (http.access)")),
        "{chain:#?}"
    );
    for name in [
        "ExchangeAuthCertificateExpiring",
        "ExchangeTlsCertificateExpiring",
    ] {
        let fired = of(name);
        let on: Vec<&str> = fired.iter().map(|a| label(a, "target")).collect();
        assert_eq!(
            on,
            vec![targets[2].as_str()],
            "{name} only for the expiring Exchange"
        );
    }
    assert!(of("IdTokenDoctorProbeInconclusive").is_empty());
    assert!(of("IdTokenDoctorExporterDown").is_empty());
}

#[test]
fn the_document_lists_every_alert_of_the_rules_file() {
    let rules = std::fs::read_to_string(repo_file("docs/monitoring/idtoken-doctor.rules.yml"))
        .expect("rules file");
    let doc = std::fs::read_to_string(repo_file("docs/monitoring.md")).expect("doc");
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(alerts.len(), 5, "{alerts:?}");
    for alert in alerts {
        assert!(
            doc.contains(&format!("| `{alert}` |")),
            "docs/monitoring.md's table lacks {alert}"
        );
    }
}
