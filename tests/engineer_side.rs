//! The engineer's side (issue 11): what goes wrong on the machine running the
//! tool (its DNS, its proxy, its routes) is `error` and exit 3, never a
//! failure charged to the customer; proxies get their credentials on every
//! tunnel and no output ever shows them. All on 127.0.0.1.

mod dns_support;
mod e2e_support;
mod net_support;

use std::net::{IpAddr, UdpSocket};
use std::time::{Duration, Instant};

use base64::Engine;
use dns_support::{a_after_aaaa, nodata, response, wire, ScriptedDns};
use e2e_support::{amurl, closed_port, Lab, HOST};
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::https::HttpsServer;
use net_support::{header, Addresses, ConnectProxy, DohServer};
use serde_json::Value;

const ALICE: (&str, &str) = ("alice", "S3cret");

fn ip(text: &str) -> IpAddr {
    text.parse().expect("ip")
}

/// What one run gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    fn check(&self, id: &str) -> Value {
        self.json()["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["id"] == id).cloned())
            .unwrap_or_else(|| panic!("{id} missing:\n{}", self.stdout))
    }
}

/// Runs the binary with `args` and the environment variables `env` (and no
/// proxy or DNS settings from the test's own environment).
fn doctor(args: &[String], env: &[(&str, String)]) -> Run {
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"));
    command
        .args(args)
        .env_remove("IDTOKEN_DOCTOR_TIMEOUT")
        .env_remove("IDTOKEN_DOCTOR_DNS_SERVER")
        .env_remove("IDTOKEN_DOCTOR_TEST_DEFAULT_DNS")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60));
    for (name, value) in env {
        command.env(name, value);
    }
    let output = e2e_support::spawn_support::retrying_wine_start(|| command.output())
        .expect("the binary runs");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A lab whose DNS gives the Exchange host a public-looking address: reached
/// only through the proxy, which connects to the lab on loopback.
fn public_lab() -> Lab {
    Lab::with_zone(
        Zone::new()
            .address(HOST, ip("20.1.2.3"))
            .address("internal.contoso.test", ip("127.0.0.1"))
            .address("ews.contoso.test", ip("10.0.0.5"))
            .address("private.contoso.test", ip("10.0.0.5"))
            .address("denied.contoso.test", ip("20.1.2.4"))
            .servfail("broken.contoso.test"),
    )
}

/// A UDP port that receives queries and never answers.
fn silent_resolver() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("silent resolver")
}

/// Probes `server`'s amurl in the public lab through `proxy` (a URL), with `extra` flags.
fn probe_via(lab: &Lab, server: &HttpsServer, proxy: &str, extra: &[&str]) -> Run {
    let mut line = args(&["probe", &amurl(server), "--proxy", proxy]);
    line.extend(lab.public_args());
    line.extend(args(extra));
    line.extend(args(&["--timeout", "10"]));
    doctor(&line, &[])
}

/// Every report format on main when this was written (add `prometheus` once it lands).
const FORMATS: [&str; 4] = ["human", "json", "markdown", "junit"];

#[test]
fn proxy_credentials_go_with_every_connect_and_never_into_any_output() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let proxy = ConnectProxy::start(Some(ALICE));
    let mut runs = 0;
    for format in FORMATS {
        for redact in [false, true] {
            let mut line = args(&["probe", &amurl(&server), "--proxy", &proxy.url(Some(ALICE))]);
            line.extend(lab.public_args());
            line.extend(args(&["--format", format, "--timeout", "10"]));
            if redact {
                line.push("--redact".into());
            }
            let run = doctor(&line, &[]);
            runs += 1;
            // A loopback proxy is the user's choice: no --allow-private needed.
            assert_eq!(run.code, 0, "{format}:\n{}\n{}", run.stdout, run.stderr);
            for text in [&run.stdout, &run.stderr] {
                assert!(
                    !text.contains("S3cret"),
                    "{format} shows the password:\n{text}"
                );
            }
        }
    }
    let connects = proxy.requests();
    // The tcp stage's tunnel, the GET and EWS at least: each run opens two or more.
    assert!(connects.len() >= 2 * runs, "{connects:?}");
    for head in &connects {
        // The address the tool vetted, never the name the proxy would resolve.
        assert!(
            head[0].starts_with(&format!("CONNECT 20.1.2.3:{} ", server.port())),
            "{head:?}"
        );
        assert_eq!(
            header(head, "proxy-authorization"),
            Some(basic("alice", "S3cret").as_str()),
            "{head:?}"
        );
    }
}

#[test]
fn a_proxy_wanting_credentials_it_did_not_get_is_inconclusive() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let proxy = ConnectProxy::start(Some(ALICE));
    let line = |format: &str| {
        let mut line = args(&["probe", &amurl(&server), "--proxy", &proxy.url(None)]);
        line.extend(lab.public_args());
        line.extend(args(&["--format", format, "--timeout", "10"]));
        line
    };
    let run = doctor(&line("json"), &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let tcp = run.check("tcp.connect");
    assert_eq!(tcp["status"], "error");
    assert_eq!(tcp["details"]["cause"], "proxy");
    assert!(tcp["summary"].as_str().unwrap_or_default().contains("407"));
    assert_eq!(run.json()["verdict"]["status"], "inconclusive");
    assert_eq!(run.json()["verdict"]["exit_code"], 3);

    let junit = doctor(&line("junit"), &[]);
    assert_eq!(junit.code, 3);
    assert!(junit.stdout.contains("<error"), "{}", junit.stdout);
}

#[test]
fn a_proxy_that_cannot_be_reached_is_inconclusive() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let mut line = args(&[
        "probe",
        &amurl(&server),
        "--proxy",
        &format!("http://alice:S3cret@127.0.0.1:{}", closed_port()),
    ]);
    line.extend(lab.public_args());
    line.extend(args(&["--format", "markdown", "--timeout", "10"]));
    let run = doctor(&line, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.stdout.contains("tcp.connect"), "{}", run.stdout);
    assert!(!run.stdout.contains("S3cret"), "{}", run.stdout);
}

#[test]
fn a_private_target_behind_a_loopback_proxy_is_refused_before_any_connect() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let proxy = ConnectProxy::start(Some(ALICE));
    let port = server.port();
    let base = |target: &str, extra: &[&str]| {
        let mut line = args(&["probe", target, "--proxy", &proxy.url(Some(ALICE))]);
        line.extend(lab.public_args());
        line.extend(args(&["--format", "json", "--timeout", "10"]));
        line.extend(args(extra));
        line
    };

    // --ews-url at a link-local literal and at a name public DNS puts on 10.0.0.5.
    for ews in [
        format!("https://169.254.169.254:{port}/EWS/Exchange.asmx"),
        format!("https://ews.contoso.test:{port}/EWS/Exchange.asmx"),
    ] {
        let run = doctor(&base(&amurl(&server), &["--ews-url", &ews]), &[]);
        let check = run.check("ews.reachable");
        assert_eq!(check["status"], "fail", "{check}");
        assert!(
            check["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("not asked"),
            "{check}"
        );
    }
    // A host whose public DNS answer is loopback.
    let internal = format!("https://internal.contoso.test:{port}/autodiscover/metadata/json/1");
    let run = doctor(&base(&internal, &[]), &[]);
    assert_eq!(run.code, 20, "{}", run.stdout);
    assert_eq!(run.check("dns.address")["status"], "fail");

    let connects = proxy.requests();
    assert!(
        !connects.is_empty(),
        "the amurl itself went through the proxy"
    );
    for head in &connects {
        assert!(
            head[0].starts_with("CONNECT 20.1.2.3:"),
            "only the public target was tunnelled to: {head:?}"
        );
    }
}

/// A name public to the tool's resolvers (20.1.2.3) that the proxy's own
/// resolver puts inside its network (the lab on loopback): every tunnel,
/// tcp's own and the HTTP client's for EWS on another port (resolved anew),
/// names the address the tool vetted, so the proxy's answer for the name is
/// never used.
#[test]
fn every_tunnel_goes_to_the_vetted_address_not_the_name() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let ews_server = lab.healthy_exchange();
    let proxy = ConnectProxy::start(None);
    let ews = ews_server.url(HOST, "/EWS/Exchange.asmx");
    let run = probe_via(
        &lab,
        &server,
        &proxy.url(None),
        &["--ews-url", &ews, "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.check("tcp.connect")["details"]["tunnel_to"],
        format!("20.1.2.3:{}", server.port())
    );
    assert_eq!(run.check("ews.reachable")["status"], "pass");
    let lines: Vec<String> = proxy.requests().iter().map(|h| h[0].clone()).collect();
    for port in [server.port(), ews_server.port()] {
        let expected = format!("CONNECT 20.1.2.3:{port} HTTP/1.1");
        assert!(lines.contains(&expected), "{expected} in {lines:?}");
    }
    assert!(
        lines.iter().all(|l| !l.contains("contoso")),
        "a name reached the proxy: {lines:?}"
    );
}

/// A proxy whose status line repeats `user:password` and the Basic value it
/// received: no format shows either.
#[test]
fn a_proxy_echoing_the_credentials_in_its_status_line_is_scrubbed_in_every_format() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let proxy = ConnectProxy::with_policy(Some(ALICE), Addresses::RefusedEchoing);
    for format in FORMATS {
        let run = probe_via(
            &lab,
            &server,
            &proxy.url(Some(ALICE)),
            &["--format", format],
        );
        assert_eq!(run.code, 3, "{format}:\n{}", run.stdout);
        assert!(
            run.stdout.contains("Forbidden for"),
            "{format}:\n{}",
            run.stdout
        );
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains("S3cret"),
                "{format} shows the password:\n{text}"
            );
            assert!(
                !text.contains(basic("alice", "S3cret").trim_start_matches("Basic ")),
                "{format} shows the Basic value:\n{text}"
            );
        }
    }
    assert!(!proxy.requests().is_empty());
}

/// A proxy that allow-lists host names refuses every tunnel to an address:
/// the report says so and names --resolve; the tool never falls back to the name.
#[test]
fn a_proxy_refusing_addresses_is_named_with_the_remedy_and_no_name_is_sent() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let proxy = ConnectProxy::with_policy(None, Addresses::Refused);
    let run = probe_via(&lab, &server, &proxy.url(None), &["--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let tcp = run.check("tcp.connect");
    assert_eq!(tcp["status"], "error", "{tcp}");
    assert_eq!(tcp["details"]["cause"], "proxy");
    assert_eq!(tcp["details"]["proxy_refuses_addresses"], true, "{tcp}");
    let summary = tcp["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("403"), "{summary}");
    assert!(
        summary.contains(&format!("--resolve {HOST}:PORT:ADDRESS")),
        "{summary}"
    );
    let lines: Vec<String> = proxy.requests().iter().map(|h| h[0].clone()).collect();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l.starts_with("CONNECT 20.1.2.3:")),
        "no fallback to the name: {lines:?}"
    );
}

#[test]
fn an_unused_environment_proxy_is_hinted_without_its_password() {
    let lab = public_lab();
    let port = closed_port();
    let amurl = format!("https://{HOST}:{port}/autodiscover/metadata/json/1");
    assert_proxy_hinted_without_password(&lab, &amurl, port, 30, ("tcp.connect", "hint"));
}

/// Probes `amurl` (pinned to 127.0.0.1 on `port`) in every format with an
/// unused `HTTPS_PROXY` holding a password: the run exits `code`, never shows
/// the password, and the JSON `check`'s detail `key` names the proxy.
fn assert_proxy_hinted_without_password(
    lab: &Lab,
    amurl: &str,
    port: u16,
    code: i32,
    (check, key): (&str, &str),
) {
    for format in FORMATS {
        let mut line = args(&[
            "probe",
            amurl,
            "--resolve",
            &format!("{HOST}:{port}:127.0.0.1"),
            "--format",
            format,
            "--timeout",
            "5",
        ]);
        line.extend(lab.args());
        let run = doctor(
            &line,
            &[("HTTPS_PROXY", "http://bob:Hunter2@127.0.0.1:9".into())],
        );
        assert_eq!(run.code, code, "{format}: {}", run.stdout);
        assert!(!run.stdout.contains("Hunter2"), "{format}:\n{}", run.stdout);
        assert!(!run.stderr.contains("Hunter2"), "{format}:\n{}", run.stderr);
        if format == "json" {
            let hint = &run.check(check)["details"][key];
            assert!(
                hint.as_str().unwrap_or_default().contains("127.0.0.1:9"),
                "{hint}"
            );
        }
    }
}

#[test]
fn servfail_is_the_targets_dns_but_silence_is_this_machines() {
    let lab = public_lab();
    let mut line = args(&["probe", "broken.contoso.test", "--format", "json"]);
    line.extend(lab.public_args());
    let run = doctor(&line, &[]);
    assert_eq!(run.code, 20, "{}", run.stdout);
    assert_eq!(run.check("dns.resolve")["status"], "fail");

    // A resolver named as ADDR:PORT that never answers: no fallback, even
    // when the default set has one.
    let silent = silent_resolver();
    let doh = DohServer::start(
        lab.pki.leaf("127.0.0.1").build().expect("leaf").identity(),
        lab.dns.addr(),
    );
    let line = args(&[
        "probe",
        HOST,
        "--dns-server",
        &silent.local_addr().expect("addr").to_string(),
        "--no-system-dns",
        "--ca-file",
        &lab.ca_path(),
        "--format",
        "json",
        "--timeout",
        "3",
    ]);
    let started = Instant::now();
    let run = doctor(&line, &[("IDTOKEN_DOCTOR_TEST_DEFAULT_DNS", doh.url())]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let resolve = run.check("dns.resolve");
    assert_eq!(resolve["status"], "error");
    assert_eq!(resolve["details"]["cause"], "resolvers-unreachable");
    assert_eq!(run.json()["verdict"]["status"], "inconclusive");
    assert_eq!(doh.posts(), 0, "a named resolver has no fallback");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The default set replaced for the test: one silent port-53 resolver, and `doh` as its fallback.
fn defaults(silent: &UdpSocket, doh: &str) -> Vec<(&'static str, String)> {
    vec![(
        "IDTOKEN_DOCTOR_TEST_DEFAULT_DNS",
        format!("{},{doh}", silent.local_addr().expect("addr")),
    )]
}

#[test]
fn the_default_resolvers_fall_back_to_dns_over_https_through_the_proxy() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let proxy = ConnectProxy::start(Some(ALICE));
    let doh = DohServer::start(
        lab.pki.leaf("127.0.0.1").build().expect("leaf").identity(),
        lab.dns.addr(),
    );
    let silent = silent_resolver();
    let line = args(&[
        "probe",
        &amurl(&server),
        "--proxy",
        &proxy.url(Some(ALICE)),
        "--no-system-dns",
        "--ca-file",
        &lab.ca_path(),
        "--format",
        "json",
        "--timeout",
        "10",
    ]);
    let run = doctor(&line, &defaults(&silent, &doh.url()));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let resolve = run.check("dns.resolve");
    assert_eq!(resolve["status"], "pass");
    assert_eq!(resolve["details"]["transport"], "https");
    assert!(
        resolve["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("DNS over HTTPS"),
        "{resolve}"
    );
    let rows = resolve["details"]["resolvers"].as_array().expect("rows");
    let transports: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["transport"].as_str())
        .collect();
    assert_eq!(transports, vec!["udp", "tcp", "https"], "{resolve}");
    assert_eq!(doh.posts(), 2, "A and AAAA, one POST each");
    let doh_port = doh.addr.port();
    let through_proxy: Vec<Vec<String>> = proxy
        .requests()
        .into_iter()
        .filter(|head| head[0].starts_with(&format!("CONNECT 127.0.0.1:{doh_port} ")))
        .collect();
    assert_eq!(through_proxy.len(), 2, "{:?}", proxy.requests());
    for head in &through_proxy {
        assert_eq!(
            header(head, "proxy-authorization"),
            Some(basic("alice", "S3cret").as_str())
        );
    }
}

#[test]
fn when_the_fallback_fails_too_the_probe_is_inconclusive() {
    let silent = silent_resolver();
    let dead_doh = format!("https://127.0.0.1:{}/dns-query", closed_port());
    let line = args(&[
        "probe",
        HOST,
        "--no-system-dns",
        "--format",
        "json",
        "--timeout",
        "5",
    ]);
    let run = doctor(&line, &defaults(&silent, &dead_doh));
    assert_eq!(run.code, 3, "{}", run.stdout);
    let resolve = run.check("dns.resolve");
    assert_eq!(resolve["status"], "error");
    assert_eq!(resolve["details"]["cause"], "resolvers-unreachable");
    assert!(
        resolve["remedy"]
            .as_str()
            .unwrap_or_default()
            .contains("--dns-server"),
        "{resolve}"
    );
    // Every resolver's outcome is reported, each way it was asked.
    let rows = resolve["details"]["resolvers"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{resolve}");
}

#[test]
fn a_dns_over_https_url_names_a_resolver() {
    let lab = public_lab();
    let doh = DohServer::start(
        lab.pki.leaf("127.0.0.1").build().expect("leaf").identity(),
        lab.dns.addr(),
    );
    // Public DNS puts this name on 10.0.0.5: judged, never connected to.
    let line = args(&[
        "probe",
        "private.contoso.test",
        "--dns-server",
        &doh.url(),
        "--no-system-dns",
        "--ca-file",
        &lab.ca_path(),
        "--format",
        "json",
    ]);
    let run = doctor(&line, &[]);
    assert_eq!(run.code, 20, "{}", run.stdout);
    let resolve = run.check("dns.resolve");
    assert_eq!(resolve["status"], "pass", "{resolve}");
    assert_eq!(resolve["details"]["transport"], "https");
    assert_eq!(
        run.check("dns.address")["details"]["families"],
        serde_json::json!(["ipv4"])
    );
}

#[test]
fn in_a_batch_an_inconclusive_target_is_not_healthy() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    // The proxy wants credentials it does not get: the first target is inconclusive.
    let proxy = ConnectProxy::start(Some(ALICE));
    let internal = format!(
        "https://internal.contoso.test:{}/autodiscover/metadata/json/1",
        server.port()
    );
    for (lines, expected) in [
        (vec![amurl(&server), internal.clone()], 3),
        (vec![internal, amurl(&server)], 20),
    ] {
        let mut batch = tempfile::NamedTempFile::new().expect("batch file");
        std::io::Write::write_all(&mut batch, lines.join("\n").as_bytes()).expect("write");
        let mut line = args(&[
            "probe",
            "--batch",
            &batch.path().display().to_string(),
            "--proxy",
            &proxy.url(None),
            "--format",
            "json",
            "--timeout",
            "10",
        ]);
        line.extend(lab.public_args());
        let run = doctor(&line, &[]);
        assert_eq!(run.code, expected, "{}", run.stdout);
    }
}

#[test]
fn a_proxy_that_refuses_the_ews_tunnel_is_inconclusive_not_the_customers_ews() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let proxy = ConnectProxy::start(Some(ALICE));
    let ews = format!(
        "https://denied.contoso.test:{}/EWS/Exchange.asmx",
        server.port()
    );
    let mut line = args(&[
        "probe",
        &amurl(&server),
        "--proxy",
        &proxy.url(Some(ALICE)),
        "--ews-url",
        &ews,
    ]);
    line.extend(lab.public_args());
    line.extend(args(&["--format", "json", "--timeout", "10"]));
    let run = doctor(&line, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let check = run.check("ews.reachable");
    assert_eq!(check["status"], "error", "{check}");
    assert_eq!(check["details"]["cause"], "proxy");
    assert!(!run.stdout.contains("S3cret"));
}

#[test]
fn an_unused_environment_proxy_in_the_http_hint_shows_no_password() {
    let lab = public_lab();
    // The metadata request is read, then the connection closed: no HTTP answer.
    let server = lab.exchange(
        idtoken_doctor::lab::https::Behaviour::Hangup,
        idtoken_doctor::lab::https::Behaviour::Hangup,
    );
    let port = server.port();
    assert_proxy_hinted_without_password(
        &lab,
        &amurl(&server),
        port,
        50,
        ("http.access", "proxy_hint"),
    );
}

#[test]
fn an_ews_host_that_blocked_dns_cannot_resolve_is_inconclusive() {
    let lab = public_lab();
    let server = lab.healthy_exchange();
    let port = server.port();
    let silent = silent_resolver();
    // The amurl is pinned; EWS lives on another host, which must be resolved.
    let line = args(&[
        "probe",
        &amurl(&server),
        "--resolve",
        &format!("{HOST}:{port}:127.0.0.1"),
        "--allow-private",
        "--ca-file",
        &lab.ca_path(),
        "--dns-server",
        &silent.local_addr().expect("addr").to_string(),
        "--no-system-dns",
        "--ews-url",
        &format!("https://ews2.contoso.test:{port}/EWS/Exchange.asmx"),
        "--format",
        "json",
        "--timeout",
        "3",
    ]);
    let run = doctor(&line, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let check = run.check("ews.reachable");
    assert_eq!(check["status"], "error", "{check}");
    assert_eq!(check["details"]["cause"], "resolvers-unreachable");
}

/// A probe of mail.contoso.test on a closed loopback port, its DNS from `server` alone.
fn probe_on(server: &ScriptedDns) -> Run {
    let target = format!("{HOST}:{}", closed_port());
    let server = server.addr().to_string();
    let line = args(&[
        "probe",
        &target,
        "--dns-server",
        &server,
        "--no-system-dns",
        "--allow-private",
        "--format",
        "json",
        "--timeout",
        "3",
    ]);
    doctor(&line, &[])
}

#[test]
fn an_ipv4_only_host_whose_aaaa_answer_comes_first_resolves() {
    // AAAA "no records" at once, the A answer 300 ms later: the A answer
    // is waited for, not abandoned for "no A or AAAA record" (exit 20).
    let server = a_after_aaaa("127.0.0.1", Duration::from_millis(300), nodata);
    let run = probe_on(&server);
    let resolve = run.check("dns.resolve");
    assert_eq!(resolve["status"], "pass", "{resolve}");
    assert_eq!(resolve["details"]["resolvers"][0]["A"], "127.0.0.1");
    assert_ne!(run.code, 20, "{}", run.stdout);
}

#[test]
fn a_resolver_answering_other_questions_is_not_called_unreachable() {
    let server = ScriptedDns::udp(|query, _| {
        let mut other_id = response(query);
        other_id.metadata.id = query.metadata.id.wrapping_add(1);
        vec![(Duration::ZERO, wire(&other_id))]
    });
    let run = probe_on(&server);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let resolve = run.check("dns.resolve");
    assert_eq!(resolve["status"], "error");
    let summary = resolve["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("but not to this question"), "{resolve}");
    let remedy = resolve["remedy"].as_str().unwrap_or_default();
    assert!(!remedy.contains("blocked"), "{resolve}");
    assert!(remedy.contains("--dns-server"), "{resolve}");
}

/// Runs the binary in a network namespace of its own, with not even loopback
/// up: a machine with no network at all. `None` where namespaces cannot be
/// made (not root); CI runs as root, so there it must work.
#[cfg(target_os = "linux")]
fn without_any_network(args: &[&str]) -> Option<std::process::Output> {
    let output = std::process::Command::new("unshare")
        .arg("--net")
        .arg(env!("CARGO_BIN_EXE_idtoken-doctor"))
        .args(args)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .env_remove("IDTOKEN_DOCTOR_TIMEOUT")
        .env_remove("IDTOKEN_DOCTOR_DNS_SERVER")
        .env_remove("IDTOKEN_DOCTOR_TEST_DEFAULT_DNS")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output();
    let usable =
        matches!(&output, Ok(o) if !String::from_utf8_lossy(&o.stderr).contains("unshare:"));
    if !usable {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must be able to run unshare --net: {output:?}"
        );
        eprintln!("not run: unshare --net needs root here ({output:?})");
        return None;
    }
    output.ok()
}

#[cfg(target_os = "linux")]
#[test]
fn with_no_network_at_all_the_report_says_so_briefly_and_blames_no_dns() {
    let Some(human) = without_any_network(&["probe", "mail.contoso.com", "--timeout", "5"]) else {
        return;
    };
    let text = String::from_utf8_lossy(&human.stdout);
    assert_eq!(human.status.code(), Some(3), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= 30, "{} lines:\n{text}", lines.len());
    assert!(lines.iter().all(|l| l.chars().count() <= 100), "{text}");
    assert!(text.contains("no network connection"), "{text}");
    assert!(
        !text.contains("--dns-server"),
        "no resolver can help: {text}"
    );
    assert!(!text.contains("blocked"), "{text}");
    // Each resolver is named once.
    assert_eq!(text.matches("8.8.8.8:53 (udp)").count(), 1, "{text}");

    let Some(json) = without_any_network(&[
        "probe",
        "mail.contoso.com",
        "--timeout",
        "5",
        "--format",
        "json",
    ]) else {
        return;
    };
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let resolve = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "dns.resolve").cloned())
        .expect("dns.resolve");
    assert_eq!(resolve["status"], "error");
    assert_eq!(resolve["details"]["cause"], "no-route");
    assert_eq!(report["verdict"]["status"], "inconclusive");
}
