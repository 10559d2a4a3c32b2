//! Shared scaffolding for the end-to-end tests of the binary: a lab (test CA,
//! CA file, DNS server) on 127.0.0.1, auth certificates and tokens, running
//! the binary, and checks that each report format is whole.
//!
//! Every server listens on loopback only; the binary is always pointed at the
//! lab DNS server with `--no-system-dns` (or at `--resolve` pins), so no test
//! sends anything beyond this machine.

// Each test file uses its own part of this module.
#![allow(dead_code)]

#[path = "../spawn_support/mod.rs"]
pub mod spawn_support;

use std::ffi::OsStr;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, MetadataOptions};
use idtoken_doctor::lab::dns::{DnsServer, Zone};
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Mode, Route};
use idtoken_doctor::lab::mint::TokenMint;
use idtoken_doctor::lab::pki::Pki;
use idtoken_doctor::report::{CheckId, Stage};
use serde_json::Value;
use socket2::{Domain, Socket, Type};
use tempfile::NamedTempFile;
use time::OffsetDateTime;

/// The Exchange host of the lab (`.test` is an ordinary, public-looking name).
pub const HOST: &str = "mail.contoso.test";
/// Where Exchange serves the authentication metadata document.
pub const METADATA_PATH: &str = "/autodiscover/metadata/json/1";
/// Where SSI calls EWS next.
pub const EWS_PATH: &str = "/EWS/Exchange.asmx";
/// The longest any run may take before the test gives up on the binary.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The stages `probe` reports, for an amurl or host target.
pub const PROBE_STAGES: &[Stage] = &[
    Stage::Dns,
    Stage::Tcp,
    Stage::Tls,
    Stage::Http,
    Stage::Metadata,
    Stage::Ews,
];
/// The stages `probe` reports for a token target.
pub const PROBE_TOKEN_STAGES: &[Stage] = &[
    Stage::Token,
    Stage::Dns,
    Stage::Tcp,
    Stage::Tls,
    Stage::Http,
    Stage::Metadata,
    Stage::Ews,
];
/// The stages `diagnose` (and `demo`) report.
pub const ALL_STAGES: &[Stage] = &Stage::TOKEN_CHAIN;
/// The stages `keys` reports when it fetches the metadata over the network.
pub const KEYS_NETWORK_STAGES: &[Stage] = &[
    Stage::Token,
    Stage::Dns,
    Stage::Tcp,
    Stage::Tls,
    Stage::Http,
    Stage::Metadata,
    Stage::Key,
];
/// The stages `keys` reports with a saved metadata document.
pub const KEYS_OFFLINE_STAGES: &[Stage] = &[Stage::Token, Stage::Metadata, Stage::Key];

/// Every check id of `stages`, in report order.
pub fn check_ids(stages: &[Stage]) -> Vec<&'static str> {
    stages
        .iter()
        .flat_map(|stage| CheckId::of_stage(*stage).iter().map(|id| id.as_str()))
        .collect()
}

/// The stage part of a check id (`tls` of `tls.trust`).
pub fn stage_of(check: &str) -> &str {
    check.split('.').next().unwrap_or(check)
}

// ---------------------------------------------------------------------------
// Certificates and tokens
// ---------------------------------------------------------------------------

fn day() -> time::Duration {
    time::Duration::days(1)
}

/// The current Exchange Server Auth Certificate (valid from 200 days ago for three years).
pub fn auth_cert() -> &'static AuthCert {
    static CERT: OnceLock<AuthCert> = OnceLock::new();
    CERT.get_or_init(|| {
        let now = OffsetDateTime::now_utc();
        AuthCert::generate(now - 200 * day(), now + 3 * 365 * day()).expect("auth certificate")
    })
}

/// Another, equally valid auth certificate: what a renewal publishes.
pub fn other_auth_cert() -> &'static AuthCert {
    static CERT: OnceLock<AuthCert> = OnceLock::new();
    CERT.get_or_init(|| {
        let now = OffsetDateTime::now_utc();
        AuthCert::generate(now - day(), now + 5 * 365 * day()).expect("auth certificate")
    })
}

/// An auth certificate that expired twelve days ago.
pub fn expired_auth_cert() -> &'static AuthCert {
    static CERT: OnceLock<AuthCert> = OnceLock::new();
    CERT.get_or_init(|| {
        let now = OffsetDateTime::now_utc();
        AuthCert::generate(now - 5 * 365 * day(), now - 12 * day()).expect("auth certificate")
    })
}

/// The metadata document publishing `certs`, as Exchange writes it.
pub fn metadata_of(certs: &[&AuthCert]) -> String {
    metadata_json(certs, &MetadataOptions::default())
}

/// A token mint for `cert` naming `amurl`, valid since ten minutes ago.
pub fn mint(cert: &AuthCert, amurl: &str) -> TokenMint {
    TokenMint::new(
        cert.x5t.clone(),
        OffsetDateTime::now_utc() - time::Duration::minutes(10),
    )
    .amurl(amurl)
}

/// A token signed by `cert` naming `amurl`.
pub fn token(cert: &AuthCert, amurl: &str) -> String {
    sign(mint(cert, amurl), cert)
}

/// Signs a minted token with `cert`'s key.
pub fn sign(mint: TokenMint, cert: &AuthCert) -> String {
    mint.sign(&cert.private_key).expect("signing the token")
}

// ---------------------------------------------------------------------------
// The lab
// ---------------------------------------------------------------------------

/// A test CA (written to a file for `--ca-file`) and a DNS server on 127.0.0.1.
pub struct Lab {
    /// The test PKI: issues the server certificates.
    pub pki: Pki,
    /// The lab DNS server.
    pub dns: DnsServer,
    ca_file: NamedTempFile,
}

impl Lab {
    /// A lab whose DNS answers [`HOST`] with 127.0.0.1.
    pub fn new() -> Lab {
        Lab::with_zone(Zone::new().address(HOST, IpAddr::V4(Ipv4Addr::LOCALHOST)))
    }

    /// A lab whose DNS answers from `zone`.
    pub fn with_zone(zone: Zone) -> Lab {
        let pki = Pki::new().expect("test PKI");
        let mut ca_file = NamedTempFile::new().expect("CA file");
        ca_file
            .write_all(pki.ca_pem().as_bytes())
            .expect("write the CA file");
        let dns = DnsServer::start(zone).expect("DNS server");
        Lab { pki, dns, ca_file }
    }

    /// The path of the CA file (the lab root, PEM).
    pub fn ca_path(&self) -> String {
        self.ca_file.path().display().to_string()
    }

    /// `--dns-server <lab> --no-system-dns --ca-file <lab CA>`: the lab, but
    /// with the default refusal to connect to non-public addresses.
    pub fn public_args(&self) -> Vec<String> {
        vec![
            "--dns-server".into(),
            self.dns.addr().to_string(),
            "--no-system-dns".into(),
            "--ca-file".into(),
            self.ca_path(),
        ]
    }

    /// [`Lab::public_args`] plus `--allow-private`, so the loopback lab is reached.
    pub fn args(&self) -> Vec<String> {
        let mut args = self.public_args();
        args.push("--allow-private".into());
        args
    }

    /// An HTTPS server for [`HOST`] (a good certificate, sent with its
    /// intermediate) answering the metadata path and EWS as told.
    pub fn exchange(&self, metadata: Behaviour, ews: Behaviour) -> HttpsServer {
        let leaf = self.pki.leaf(HOST).build().expect("server certificate");
        HttpsServer::start(leaf.identity(), exchange_routes(metadata, ews)).expect("HTTPS server")
    }

    /// A healthy Exchange: the metadata publishes [`auth_cert`], EWS answers 401.
    pub fn healthy_exchange(&self) -> HttpsServer {
        self.exchange(
            Behaviour::json(metadata_of(&[auth_cert()])),
            Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        )
    }

    /// A server on 127.0.0.1 treating connections as `mode` says, with healthy routes.
    pub fn server_in_mode(&self, mode: Mode) -> HttpsServer {
        HttpsServer::start_mode(
            mode,
            exchange_routes(
                Behaviour::json(metadata_of(&[auth_cert()])),
                Behaviour::unauthorized(&["Negotiate", "NTLM"]),
            ),
        )
        .expect("lab server")
    }
}

/// The metadata route and the EWS route.
pub fn exchange_routes(metadata: Behaviour, ews: Behaviour) -> Vec<Route> {
    vec![
        Route::new(METADATA_PATH, metadata),
        Route::new(EWS_PATH, ews),
    ]
}

/// The amurl of `server` under [`HOST`].
pub fn amurl(server: &HttpsServer) -> String {
    server.url(HOST, METADATA_PATH)
}

/// How many requests `server` received for `path`.
pub fn requests_for(server: &HttpsServer, path: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.target.split('?').next() == Some(path))
        .count()
}

/// A loopback port where nothing listens: connecting is refused.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// A loopback port that drops new connections, as a firewall does: a
/// listener with a backlog of one whose queue is already full, so the kernel
/// ignores further SYNs and connecting times out. Stays so while alive.
pub struct Firewall {
    /// The port that drops connections.
    pub port: u16,
    _listener: Socket,
    _queued: Vec<TcpStream>,
}

impl Firewall {
    /// Fills the backlog of a fresh loopback listener.
    pub fn start() -> Firewall {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        listener
            .bind(&SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0).into())
            .expect("bind");
        listener.listen(0).expect("listen");
        let port = listener
            .local_addr()
            .expect("addr")
            .as_socket()
            .expect("inet")
            .port();
        let target = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let mut queued = Vec::new();
        for _ in 0..8 {
            match TcpStream::connect_timeout(&target, Duration::from_millis(200)) {
                Ok(stream) => queued.push(stream),
                Err(_) => break,
            }
        }
        Firewall {
            port,
            _listener: listener,
            _queued: queued,
        }
    }
}

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Run {
    /// Standard output as one JSON report.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    /// Standard output as one JSON report per line.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("a line is not a JSON object ({e}):\n{line}"))
            })
            .collect()
    }
}

/// Runs the binary with `args`, standard input empty.
pub fn doctor<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    doctor_with_stdin(args, "")
}

/// Runs the binary with `args`, `stdin` on standard input.
pub fn doctor_with_stdin<I, S>(args: I, stdin: &str) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"));
    command
        .args(args)
        // The defaults a CI job or a developer's shell might set must not leak in.
        .env_remove("IDTOKEN_DOCTOR_TIMEOUT")
        .env_remove("IDTOKEN_DOCTOR_DNS_SERVER")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env("NO_COLOR", "1")
        .write_stdin(stdin.as_bytes().to_vec())
        .timeout(RUN_LIMIT);
    let started = Instant::now();
    let output = spawn_support::retrying_wine_start(|| command.output()).expect("the binary runs");
    let elapsed = started.elapsed();
    Run {
        code: output
            .status
            .code()
            .expect("the binary exited (not killed)"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        elapsed,
    }
}

/// `args` as owned strings, for building command lines.
pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// Checking the reports
// ---------------------------------------------------------------------------

/// What a run is expected to conclude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// Healthy: exit 0.
    Healthy,
    /// Broken at this check id, with this exit code.
    Broken(&'a str, i32),
}

impl Expect<'_> {
    fn code(self) -> i32 {
        match self {
            Expect::Healthy => 0,
            Expect::Broken(_, code) => code,
        }
    }
}

/// The check `id` of a JSON report.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks is an array")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// The status of check `id` in a JSON report.
pub fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"]
        .as_str()
        .expect("status is a string")
}

/// The summary of check `id` in a JSON report.
pub fn summary<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["summary"]
        .as_str()
        .expect("summary is a string")
}

/// Asserts the shape every JSON report has: the schema, every check of
/// `stages` in order (skipped ones included), each with its stage, and the
/// verdict `expect`.
pub fn assert_json_report(report: &Value, stages: &[Stage], expect: Expect<'_>) {
    assert_eq!(report["schema"], "idtoken-doctor/report/v1", "{report:#}");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks is an array")
        .iter()
        .map(|c| c["id"].as_str().expect("id is a string"))
        .collect();
    assert_eq!(ids, check_ids(stages), "checks in stage order:\n{report:#}");
    for c in report["checks"].as_array().expect("checks") {
        let id = c["id"].as_str().expect("id");
        assert_eq!(c["stage"], stage_of(id), "{c:#}");
        let st = c["status"].as_str().expect("status");
        assert!(
            ["pass", "warn", "fail", "skip"].contains(&st),
            "status {st} of {id}"
        );
        if st == "fail" || st == "warn" {
            assert!(
                c["remedy"].as_str().is_some_and(|r| !r.is_empty()),
                "a {st} carries a remedy: {c:#}"
            );
            assert!(
                c["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{c:#}"
            );
        }
    }
    let verdict = &report["verdict"];
    assert_eq!(verdict["exit_code"], expect.code(), "{verdict:#}");
    match expect {
        Expect::Healthy => {
            assert_eq!(verdict["status"], "healthy", "{report:#}");
            assert!(
                report["checks"]
                    .as_array()
                    .expect("checks")
                    .iter()
                    .all(|c| c["status"] != "fail"),
                "a healthy report has no fail: {report:#}"
            );
        }
        Expect::Broken(id, _) => {
            assert_eq!(verdict["status"], "fail", "{report:#}");
            assert_eq!(verdict["check"], id, "{report:#}");
            assert_eq!(verdict["stage"], stage_of(id), "{report:#}");
            let st = status(report, id);
            assert!(st == "fail" || st == "warn", "{id} is {st}");
            let verdict_stage = stages
                .iter()
                .position(|s| s.as_str() == stage_of(id))
                .expect("the verdict's stage is one of the command's");
            // The verdict is the first failure: nothing before its stage fails.
            for earlier in check_ids(&stages[..verdict_stage]) {
                assert_ne!(
                    status(report, earlier),
                    "fail",
                    "{earlier} before the verdict"
                );
            }
            // A broken link stops the chain: every later stage is skipped.
            if st == "fail" {
                for later in check_ids(&stages[verdict_stage + 1..]) {
                    assert_eq!(
                        status(report, later),
                        "skip",
                        "{later} after the broken link"
                    );
                }
            }
        }
    }
}

/// Asserts the human report has the verdict line for `expect`.
pub fn assert_human(text: &str, expect: Expect<'_>) {
    match expect {
        Expect::Healthy => assert!(text.contains("\nVerdict: healthy"), "{text}"),
        Expect::Broken(id, _) => {
            let line = format!("\nVerdict: broken at {} ({id})\n", stage_of(id));
            assert!(text.contains(&line), "no `{line}` in:\n{text}");
        }
    }
    // The exit code is the exit code: the report does not print it.
    assert!(!text.contains("Exit code"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour outside a terminal: {text}"
    );
}

/// Asserts the markdown report has the table of every check of `stages` and the verdict.
pub fn assert_markdown(text: &str, stages: &[Stage], expect: Expect<'_>) {
    assert!(
        text.contains("| Stage | Check | Status | Summary |\n|---|---|---|---|\n"),
        "{text}"
    );
    // Every check is a row of the table in `<details>`, after the table of links.
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("| Stage |"))
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .collect();
    let ids = check_ids(stages);
    assert_eq!(rows.len(), ids.len(), "one row per check:\n{text}");
    for (row, id) in rows.iter().zip(&ids) {
        assert!(
            row.starts_with(&format!("| {} | `{id}` |", stage_of(id))),
            "{row} is not the row of {id}"
        );
    }
    match expect {
        Expect::Healthy => assert!(text.contains("**Verdict: healthy.**"), "{text}"),
        Expect::Broken(id, _) => {
            let line = format!("**Verdict: broken at {} (`{id}`):**", stage_of(id));
            assert!(text.contains(&line), "no `{line}` in:\n{text}");
        }
    }
}

/// Asserts the JUnit report is well-formed XML with one suite per report and
/// one test case per check of `stages` (`classname` the stage, `name` the
/// id), the verdict's check a `<failure>`, and returns the suite count.
pub fn assert_junit(text: &str, stages: &[Stage], expect: Expect<'_>) -> usize {
    let doc = roxmltree::Document::parse(text)
        .unwrap_or_else(|e| panic!("the JUnit report is not well-formed XML ({e}):\n{text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert!(!suites.is_empty(), "{text}");
    let ids = check_ids(stages);
    for suite in &suites {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let names: Vec<&str> = cases
            .iter()
            .map(|c| c.attribute("name").expect("name"))
            .collect();
        assert_eq!(names, ids, "one test case per check, in order");
        for case in &cases {
            let name = case.attribute("name").expect("name");
            assert_eq!(case.attribute("classname"), Some(stage_of(name)));
        }
        assert_eq!(
            suite.attribute("tests"),
            Some(ids.len().to_string().as_str())
        );
        // The counts CI systems show agree with the test cases.
        for (attribute, element) in [("failures", "failure"), ("skipped", "skipped")] {
            let counted = cases
                .iter()
                .filter(|c| c.children().any(|n| n.has_tag_name(element)))
                .count();
            assert_eq!(
                suite.attribute(attribute),
                Some(counted.to_string().as_str()),
                "{attribute} of a suite"
            );
        }
    }
    if suites.len() == 1 {
        let failures: Vec<&str> = suites[0]
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .map(|c| c.attribute("name").expect("name"))
            .collect();
        match expect {
            Expect::Healthy => assert!(failures.is_empty(), "{failures:?}"),
            Expect::Broken(id, _) => assert!(failures.contains(&id), "{failures:?}"),
        }
    }
    suites.len()
}

/// Runs `args` (a complete command line without `--format`) in all four
/// formats, asserts each is whole and concludes `expect`, and returns the JSON report.
pub fn assert_all_formats(args: &[String], stages: &[Stage], expect: Expect<'_>) -> Value {
    let with_format = |format: &str| {
        let mut all = args.to_vec();
        all.extend(["--format".to_string(), format.to_string()]);
        let run = doctor(&all);
        assert_eq!(
            run.code,
            expect.code(),
            "exit code of {all:?} in {format}:\n{}\n{}",
            run.stdout,
            run.stderr
        );
        // No progress spinner (nor anything else) on a standard error that is a pipe.
        assert_eq!(run.stderr, "", "standard error of {all:?} in {format}");
        run
    };
    let json = with_format("json").json();
    assert_json_report(&json, stages, expect);
    assert_human(&with_format("human").stdout, expect);
    assert_markdown(&with_format("markdown").stdout, stages, expect);
    assert_eq!(
        assert_junit(&with_format("junit").stdout, stages, expect),
        1
    );
    json
}

/// Runs `args` with `--format json`, asserts the exit code and the report's
/// shape, and returns the report.
pub fn assert_json(args: &[String], stages: &[Stage], expect: Expect<'_>) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format".to_string(), "json".to_string()]);
    let run = doctor(&all);
    assert_eq!(
        run.code,
        expect.code(),
        "exit code of {all:?}:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    let report = run.json();
    assert_json_report(&report, stages, expect);
    report
}
