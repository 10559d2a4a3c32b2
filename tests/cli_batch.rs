//! `--batch` end to end: `diagnose --batch` and `probe --batch` against lab
//! servers on 127.0.0.1; input order, exit code, formats, and each metadata
//! URL fetched once however many targets name it.

mod e2e_support;

use std::time::Duration;

use e2e_support::*;
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Response};
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};
use tempfile::NamedTempFile;

fn file_with(text: &str) -> NamedTempFile {
    let file = NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), text).expect("write");
    file
}

/// The msexchuid a batch report's token carries: tells the targets apart.
fn user_of(report: &Value) -> String {
    report["token"]["appctx"]["msexchuid"]
        .as_str()
        .unwrap_or("(no token)")
        .to_string()
}

fn verdict_of(report: &Value) -> String {
    report["verdict"]["check"]
        .as_str()
        .unwrap_or("healthy")
        .to_string()
}

/// A token for `amurl`, signed by `cert`, carrying `user` as msexchuid.
fn token_for(cert: &idtoken_doctor::lab::authcert::AuthCert, amurl: &str, user: &str) -> String {
    sign(mint(cert, amurl).msexchuid(user), cert)
}

/// The batch of the order tests: a slow healthy target first (so that with
/// several jobs it finishes last), comments and blank lines, a broken token,
/// a token whose x5t the metadata lacks, a healthy token.
struct OrderBatch {
    lab: Lab,
    slow: HttpsServer,
    fast: HttpsServer,
    text: String,
}

impl OrderBatch {
    fn new() -> OrderBatch {
        let lab = Lab::new();
        let slow = lab.exchange(
            Behaviour::SlowHeaders {
                response: Response::json(metadata_of(&[auth_cert()])),
                interval: Duration::from_millis(4),
            },
            Behaviour::unauthorized(&["NTLM"]),
        );
        let fast = lab.healthy_exchange();
        let text = format!(
            "# SSI health check, one token per line\n\
             \n\
             {slow_token}\n\
             \n\
             # a token whose certificate was renewed\n\
             {stranger}\n\
             this line holds no token\n\
             \x20  \n\
             {healthy}\n",
            slow_token = token_for(auth_cert(), &amurl(&slow), "user-1"),
            stranger = token_for(other_auth_cert(), &amurl(&fast), "user-2"),
            healthy = token_for(auth_cert(), &amurl(&fast), "user-4"),
        );
        OrderBatch {
            lab,
            slow,
            fast,
            text,
        }
    }

    /// The reports' users and verdicts, in the order the tool printed them.
    fn expected() -> Vec<(String, String)> {
        [
            ("user-1", "healthy"),
            ("user-2", "key.match"),
            ("(no token)", "token.input"),
            ("user-4", "healthy"),
        ]
        .iter()
        .map(|(u, v)| (u.to_string(), v.to_string()))
        .collect()
    }
}

#[test]
fn diagnose_batch_reports_in_input_order_whatever_the_jobs() {
    let batch = OrderBatch::new();
    let file = file_with(&batch.text);
    for jobs in ["1", "8"] {
        let mut args = strings(&[
            "diagnose",
            "--batch",
            &file.path().display().to_string(),
            "--jobs",
            jobs,
            "--format",
            "json",
        ]);
        args.extend(batch.lab.args());
        let run = doctor(&args);
        // The first failing target in input order decides: key.match (70),
        // although the token.input failure after it has a lower code.
        assert_eq!(run.code, 70, "--jobs {jobs}: {}", run.stdout);
        let reports = run.json_lines();
        assert_eq!(reports.len(), 4, "one JSON object per line, per target");
        let seen: Vec<(String, String)> = reports
            .iter()
            .map(|r| (user_of(r), verdict_of(r)))
            .collect();
        assert_eq!(seen, OrderBatch::expected(), "--jobs {jobs}");
        for (report, (_, verdict)) in reports.iter().zip(OrderBatch::expected()) {
            let expect = match verdict.as_str() {
                "healthy" => Expect::Healthy,
                "key.match" => Expect::Broken("key.match", 70),
                _ => Expect::Broken("token.input", 10),
            };
            assert_json_report(report, ALL_STAGES, expect);
        }
    }
    assert!(batch.slow.connections() > 0 && batch.fast.connections() > 0);
}

#[test]
fn batch_exit_code_is_the_first_failure_in_input_order_not_the_largest() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let text = format!(
        "{}\nnot a token\n{}\n",
        token_for(auth_cert(), &amurl(&server), "a"),
        token_for(other_auth_cert(), &amurl(&server), "b"),
    );
    let file = file_with(&text);
    let mut args = strings(&["diagnose", "--batch", &file.path().display().to_string()]);
    args.extend(lab.args());
    assert_eq!(doctor(&args).code, 10);

    let healthy = file_with(&format!(
        "{}\n{}\n",
        token_for(auth_cert(), &amurl(&server), "a"),
        token_for(auth_cert(), &amurl(&server), "b"),
    ));
    let mut args = strings(&["diagnose", "--batch", &healthy.path().display().to_string()]);
    args.extend(lab.args());
    assert_eq!(doctor(&args).code, 0, "every target healthy: 0");
}

#[test]
fn diagnose_batch_from_standard_input() {
    let batch = OrderBatch::new();
    let mut args = strings(&[
        "diagnose", "--batch", "-", "--jobs", "8", "--format", "json",
    ]);
    args.extend(batch.lab.args());
    let run = doctor_with_stdin(&args, &batch.text);
    assert_eq!(run.code, 70, "{}", run.stderr);
    let seen: Vec<(String, String)> = run
        .json_lines()
        .iter()
        .map(|r| (user_of(r), verdict_of(r)))
        .collect();
    assert_eq!(seen, OrderBatch::expected());
}

#[test]
fn diagnose_batch_human_ends_with_a_summary_table() {
    let batch = OrderBatch::new();
    let file = file_with(&batch.text);
    let mut args = strings(&["diagnose", "--batch", &file.path().display().to_string()]);
    args.extend(batch.lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 70);
    assert_eq!(
        run.stdout.matches("\nVerdict: ").count(),
        4,
        "{}",
        run.stdout
    );
    let table = run
        .stdout
        .split("\nSummary of 4 targets\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no summary table:\n{}", run.stdout));
    let rows: Vec<&str> = table.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(rows.len(), 4, "{table}");
    let expectations = [
        ("1", amurl(&batch.slow), "healthy", "exit 0"),
        ("2", amurl(&batch.fast), "broken at key.match", "exit 70"),
        (
            "3",
            "(no amurl)".to_string(),
            "broken at token.input",
            "exit 10",
        ),
        ("4", amurl(&batch.fast), "healthy", "exit 0"),
    ];
    for (row, (number, target, verdict, code)) in rows.iter().zip(expectations) {
        assert!(row.trim_start().starts_with(number), "{row}");
        assert!(row.contains(&target), "{row} names {target}");
        assert!(row.contains(verdict), "{row}");
        assert!(row.trim_end().ends_with(code), "{row}");
    }
}

#[test]
fn diagnose_batch_junit_has_one_suite_per_target_and_markdown_one_report_each() {
    let batch = OrderBatch::new();
    let file = file_with(&batch.text);
    let path = file.path().display().to_string();
    let run_in = |format: &str| {
        let mut args = strings(&["diagnose", "--batch", &path, "--format", format]);
        args.extend(batch.lab.args());
        let run = doctor(&args);
        assert_eq!(run.code, 70, "{format}");
        run.stdout
    };
    let junit = run_in("junit");
    // The suites are checked one by one; the verdict per suite comes from json.
    assert_eq!(assert_junit(&junit, ALL_STAGES, Expect::Healthy), 4);
    let doc = roxmltree::Document::parse(&junit).expect("XML");
    let failures_per_suite: Vec<usize> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|suite| {
            suite
                .descendants()
                .filter(|n| n.has_tag_name("failure"))
                .count()
        })
        .collect();
    assert_eq!(failures_per_suite, vec![0, 1, 1, 0]);

    let markdown = run_in("markdown");
    assert_eq!(
        markdown
            .matches("| Stage | Check | Status | Summary |")
            .count(),
        4
    );
    let verdicts: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with("**Verdict:"))
        .collect();
    assert_eq!(verdicts.len(), 4);
    assert!(verdicts[1].contains("`key.match`") && verdicts[2].contains("`token.input`"));
}

#[test]
fn probe_batch_from_standard_input_in_input_order() {
    let lab = Lab::with_zone(
        Zone::new()
            .address(HOST, IpAddr::V4(Ipv4Addr::LOCALHOST))
            .nxdomain("gone.contoso.test"),
    );
    let server = lab.healthy_exchange();
    let dead = closed_port();
    let input = format!(
        "# hosts and amurls\n\
         {HOST}:{port}\n\
         \n\
         https://gone.contoso.test/autodiscover/metadata/json/1\n\
         # nothing listens here\n\
         {HOST}:{dead}\n\
         {amurl}\n",
        port = server.port(),
        amurl = amurl(&server),
    );
    for jobs in ["1", "8"] {
        let mut args = strings(&["probe", "--batch", "-", "--jobs", jobs, "--format", "json"]);
        args.extend(lab.args());
        let run = doctor_with_stdin(&args, &input);
        assert_eq!(run.code, 20, "the first failing target is the NXDOMAIN one");
        let reports = run.json_lines();
        let targets: Vec<&str> = reports
            .iter()
            .map(|r| r["target"]["amurl"].as_str().expect("amurl"))
            .collect();
        assert_eq!(
            targets,
            vec![
                amurl(&server).as_str(),
                "https://gone.contoso.test/autodiscover/metadata/json/1",
                &format!("https://{HOST}:{dead}/autodiscover/metadata/json/1"),
                amurl(&server).as_str(),
            ],
            "--jobs {jobs}"
        );
        let expectations = [
            Expect::Healthy,
            Expect::Broken("dns.resolve", 20),
            Expect::Broken("tcp.connect", 30),
            Expect::Healthy,
        ];
        for (report, expect) in reports.iter().zip(expectations) {
            assert_json_report(report, PROBE_STAGES, expect);
        }
    }
}

#[test]
fn twenty_tokens_for_one_host_fetch_the_metadata_once() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let text: String = (1..=20)
        .map(|n| token_for(auth_cert(), &amurl(&server), &format!("user-{n:02}")) + "\n")
        .collect();
    let file = file_with(&text);
    let mut args = strings(&[
        "diagnose",
        "--batch",
        &file.path().display().to_string(),
        "--jobs",
        "8",
        "--format",
        "json",
    ]);
    args.extend(lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let reports = run.json_lines();
    assert_eq!(reports.len(), 20);
    for (n, report) in reports.iter().enumerate() {
        assert_eq!(user_of(report), format!("user-{:02}", n + 1));
        assert_json_report(report, ALL_STAGES, Expect::Healthy);
        // Each token's own key link is judged against the shared document.
        assert_eq!(status(report, "key.signature"), "pass");
    }
    assert_eq!(
        requests_for(&server, METADATA_PATH),
        1,
        "metadata fetched once"
    );
    assert_eq!(requests_for(&server, EWS_PATH), 1, "EWS probed once");
    let host_queries = lab
        .dns
        .queries()
        .iter()
        .filter(|q| q.starts_with(HOST))
        .count();
    assert!(
        host_queries <= 2,
        "DNS asked once (A and AAAA): {:?}",
        lab.dns.queries()
    );
}

#[test]
fn probe_batch_of_the_same_host_walks_the_network_once() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let text = format!("{}\n", amurl(&server)).repeat(6);
    let file = file_with(&text);
    let mut args = strings(&[
        "probe",
        "--batch",
        &file.path().display().to_string(),
        "--format",
        "json",
    ]);
    args.extend(lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 0);
    assert_eq!(run.json_lines().len(), 6);
    assert_eq!(requests_for(&server, METADATA_PATH), 1);
}

#[test]
fn an_unreadable_batch_file_is_a_usage_error() {
    let run = doctor([
        "diagnose",
        "--batch",
        "/nonexistent/tokens.txt",
        "--dns-server",
        "127.0.0.1:1",
        "--no-system-dns",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/tokens.txt"),
        "{}",
        run.stderr
    );
}
