//! `--batch` end to end: `diagnose --batch` and `probe --batch` against lab
//! servers on 127.0.0.1; input order, exit code, formats, each metadata URL
//! fetched once however many targets name it, reports written as they finish,
//! folded tokens, and lists saved as UTF-16.

mod e2e_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_support::spawn_support::retrying_wine_start;
use e2e_support::*;
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Mode, Response};
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
fn diagnose_and_probe_take_the_same_batch_lines() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let broken = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["NTLM"]),
    );
    let text = format!(
        "{}\n{}\n{}\n",
        amurl(&server),
        amurl(&broken),
        token_for(auth_cert(), &amurl(&server), "a"),
    );
    let file = file_with(&text);
    let list = file.path().display().to_string();
    let verdicts = |command: &str| {
        let mut args = strings(&[command, "--batch", &list, "--format", "json"]);
        args.extend(lab.args());
        let run = doctor(&args);
        let reports = run.json_lines();
        assert!(
            reports.iter().all(|r| r["command"] == command),
            "{}",
            run.stdout
        );
        let verdicts: Vec<String> = reports.iter().map(verdict_of).collect();
        (run.code, verdicts, reports)
    };
    let (probe_code, probed, _) = verdicts("probe");
    let (diagnose_code, diagnosed, reports) = verdicts("diagnose");
    assert_eq!(probed, ["healthy", "http.access", "healthy"]);
    assert_eq!(diagnosed, probed);
    assert_eq!((probe_code, diagnose_code), (50, 50));
    // An amurl line has no token: its token and key links are skipped, not failed.
    let statuses: Vec<(&str, &str)> = reports[0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or(""),
                c["status"].as_str().unwrap_or(""),
            )
        })
        .filter(|(id, _)| id.starts_with("token.") || id.starts_with("key."))
        .collect();
    assert!(!statuses.is_empty());
    assert!(statuses.iter().all(|(_, s)| *s == "skip"), "{statuses:?}");
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
fn diagnose_batch_human_is_a_short_block_per_target_then_the_summary_table() {
    let batch = OrderBatch::new();
    let file = file_with(&batch.text);
    let mut args = strings(&["diagnose", "--batch", &file.path().display().to_string()]);
    args.extend(batch.lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 70);
    let (blocks, table) = run
        .stdout
        .split_once("\nSummary of 4 targets: 2 healthy, 2 broken\n")
        .unwrap_or_else(|| panic!("no summary table:\n{}", run.stdout));
    // One block of a few lines per target, headed by its batch line and name.
    let blocks: Vec<&str> = blocks.split("\n\n").collect();
    assert_eq!(blocks.len(), 4, "{}", run.stdout);
    let heads = [
        format!("line 3  {}", amurl(&batch.slow)),
        format!("line 6  {}", amurl(&batch.fast)),
        "line 7  this line holds no token".to_string(),
        format!("line 9  {}", amurl(&batch.fast)),
    ];
    for (block, head) in blocks.iter().zip(&heads) {
        assert!(block.starts_with(head.as_str()), "{block}");
        assert!(
            block.lines().count() <= 6,
            "a block is a few lines:\n{block}"
        );
    }
    // A pipe on Windows gets ASCII symbols (PowerShell would garble others).
    let (pass, fail) = if cfg!(windows) {
        ("+", "x")
    } else {
        ("✔", "✘")
    };
    assert!(
        blocks[0].contains(&format!("{pass} healthy")),
        "{}",
        blocks[0]
    );
    assert!(
        blocks[1].contains(&format!("{fail} broken at key.match: ")),
        "{}",
        blocks[1]
    );
    assert!(
        blocks[1].contains("What to do: Exchange admin"),
        "{}",
        blocks[1]
    );
    assert!(
        blocks[2].contains(&format!("{fail} broken at token.input: ")),
        "{}",
        blocks[2]
    );

    let rows: Vec<&str> = table.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(rows.len(), 5, "a header and a row per target:\n{table}");
    let target_column = rows[0].find("target").expect("target column");
    let expectations = [
        ("3", "0", "healthy", amurl(&batch.slow)),
        ("6", "70", "broken at key.match", amurl(&batch.fast)),
        (
            "7",
            "10",
            "broken at token.input",
            "this line holds no token".to_string(),
        ),
        ("9", "0", "healthy", amurl(&batch.fast)),
    ];
    for (row, (line, code, verdict, target)) in rows[1..].iter().zip(expectations) {
        let words: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(&words[..2], &[line, code], "{row}");
        assert!(row.contains(verdict), "{row}");
        // The target is the last column, where every row has it.
        assert_eq!(&row[target_column..], target, "{row}");
    }
}

#[test]
fn one_target_is_one_target_and_markdown_ends_with_the_summary() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let file = file_with(&format!("{}\n", amurl(&server)));
    let path = file.path().display().to_string();
    let mut args = strings(&["probe", "--batch", &path]);
    args.extend(lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("\nSummary of 1 target: 1 healthy, 0 broken\n"),
        "{}",
        run.stdout
    );

    args.extend(strings(&["--format", "markdown"]));
    let run = doctor(&args);
    assert_eq!(run.code, 0);
    let tail = run
        .stdout
        .split("## Summary of 1 target: 1 healthy, 0 broken")
        .nth(1)
        .unwrap_or_else(|| panic!("no summary:\n{}", run.stdout));
    let rows: Vec<&str> = tail.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        rows,
        vec![
            "| Line | Target | Verdict | Exit code |",
            "|---:|---|---|---:|",
            &format!("| 1 | `{}` | healthy | 0 |", amurl(&server)),
        ]
    );
    assert!(
        tail.trim_end().ends_with("| healthy | 0 |"),
        "the table ends the output"
    );
}

#[test]
fn junit_suites_are_named_by_target_distinct_and_timed() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let host = format!("{HOST}:{}", server.port());
    let token = token_for(auth_cert(), &amurl(&server), "user-1");
    let text = format!("{host}\n{url}\n{token}\n{url}\n", url = amurl(&server));
    let file = file_with(&text);
    let mut args = strings(&[
        "probe",
        "--batch",
        &file.path().display().to_string(),
        "--format",
        "junit",
    ]);
    args.extend(lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = roxmltree::Document::parse(&run.stdout).expect("XML");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").expect("name"))
        .collect();
    let url = amurl(&server);
    assert_eq!(
        names,
        vec![
            host.as_str(),
            url.as_str(),
            // A token is named by its amurl, and a name seen before carries its line.
            &format!("{url} #3"),
            &format!("{url} #4"),
        ]
    );
    let times: Vec<f64> = suites
        .iter()
        .map(|s| s.attribute("time").expect("time").parse().expect("seconds"))
        .collect();
    assert!(times.iter().all(|t| *t >= 0.0), "{times:?}");
    assert!(
        times[0] > 0.0,
        "the first target walked the network: {times:?}"
    );
    assert!(
        !run.stdout.contains(&token[..40]),
        "a token is never a name"
    );
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

/// The lines of `text` cut every `width` characters, as a mail client or a
/// terminal folds a long token.
fn fold(text: &str, width: usize) -> String {
    text.as_bytes()
        .chunks(width)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned() + "\n")
        .collect()
}

#[test]
fn a_batch_killed_midway_keeps_the_reports_it_finished() {
    let lab = Lab::new();
    // Each target stalls for its whole 2 s budget: the batch takes 16 s.
    let silent: Vec<HttpsServer> = (0..8).map(|_| lab.server_in_mode(Mode::Silent)).collect();
    let list = file_with(&silent.iter().map(|s| amurl(s) + "\n").collect::<String>());
    let output = NamedTempFile::new().expect("output file");
    let mut command = Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"));
    command
        .args(["probe", "--batch", &list.path().display().to_string()])
        .args(["--jobs", "1", "--timeout", "2", "--format", "json"])
        .args(lab.args())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(output.reopen().expect("output"))
        .stderr(Stdio::null());
    let mut child = retrying_wine_start(|| command.spawn()).expect("the binary runs");
    let complete_lines = || {
        let text = std::fs::read_to_string(output.path()).unwrap_or_default();
        text.split_inclusive('\n')
            .filter(|line| line.ends_with('\n'))
            .map(str::to_string)
            .collect::<Vec<String>>()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while complete_lines().len() < 2 {
        let ended = child.try_wait().expect("wait");
        assert!(
            ended.is_none(),
            "the batch ended before two reports appeared: {:?}",
            complete_lines()
        );
        assert!(Instant::now() < deadline, "no report written in 90 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let still_running = child.try_wait().expect("wait").is_none();
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(
        still_running,
        "the first reports must be written while the batch still runs"
    );
    let reports: Vec<Value> = complete_lines()
        .iter()
        .map(|line| serde_json::from_str(line).expect("each written report is whole"))
        .collect();
    assert!((2..8).contains(&reports.len()), "{}", reports.len());
    for (report, server) in reports.iter().zip(&silent) {
        assert_eq!(report["target"]["amurl"], amurl(server).as_str());
        assert_eq!(verdict_of(report), "tls.handshake");
    }
}

/// Runs a batch of one target that fails at once (nothing listens on port 1)
/// then `silent` ones that stall for their whole 30 s budget, in `format`;
/// sends `signal` once the first report is out (`written` says when), and
/// returns the exit code and the output. The run must end within 10 s of it.
#[cfg(unix)]
fn stopped_batch(
    lab: &Lab,
    silent: &[HttpsServer],
    format: &str,
    signal: libc::c_int,
    written: &dyn Fn(&str) -> bool,
) -> (Option<i32>, String) {
    let closed = format!("https://{HOST}:1/autodiscover/metadata/json/1\n");
    let list = file_with(&(closed + &silent.iter().map(|s| amurl(s) + "\n").collect::<String>()));
    let output = NamedTempFile::new().expect("output file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"))
        .args(["probe", "--batch", &list.path().display().to_string()])
        .args(["--jobs", "1", "--timeout", "30", "--format", format])
        .args(lab.args())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(output.reopen().expect("output"))
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let text = || std::fs::read_to_string(output.path()).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Prometheus writes nothing before the end: wait for the first target
    // to be done (its DNS and TCP refusal take milliseconds).
    while !written(&text()) {
        assert!(child.try_wait().expect("wait").is_none(), "ended early");
        assert!(Instant::now() < deadline, "nothing written in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("{format}, signal {signal}: still running 10 s later");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), text())
}

/// A JUnit batch stopped by SIGTERM or Ctrl-C (SIGINT) while a target stalls:
/// it starts no more targets, closes the document on the suites written, and
/// exits 143 or 130, at once rather than after the stalled target's budget.
#[cfg(unix)]
#[test]
fn a_junit_batch_stopped_by_a_signal_closes_its_document() {
    let lab = Lab::new();
    let silent: Vec<HttpsServer> = (0..4).map(|_| lab.server_in_mode(Mode::Silent)).collect();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let (status, document) = stopped_batch(&lab, &silent, "junit", signal, &|text| {
            text.contains("</testsuite>")
        });
        assert_eq!(status, Some(code), "signal {signal}");
        let suites = assert_junit(&document, PROBE_STAGES, Expect::Broken("tcp.connect", 30));
        assert_eq!(suites, 1, "{document}");
        assert!(document.contains(":1/autodiscover"), "{document}");
    }
}

/// A Prometheus batch stopped by SIGTERM writes the exposition of the targets
/// finished, each metric in one group, and exits 143.
#[cfg(unix)]
#[test]
fn a_prometheus_batch_stopped_by_sigterm_writes_what_was_finished() {
    let lab = Lab::new();
    let silent: Vec<HttpsServer> = (0..2).map(|_| lab.server_in_mode(Mode::Silent)).collect();
    // Nothing shows when the first target is done: give it a second.
    let started = Instant::now();
    let (status, exposition) = stopped_batch(&lab, &silent, "prometheus", libc::SIGTERM, &|_| {
        started.elapsed() > Duration::from_secs(1)
    });
    assert_eq!(status, Some(143), "{exposition}");
    let successes: Vec<&str> = exposition
        .lines()
        .filter(|l| l.starts_with("idtoken_doctor_success{"))
        .collect();
    assert_eq!(successes.len(), 1, "{exposition}");
    assert!(successes[0].contains(":1/"), "{exposition}");
    let types: Vec<&str> = exposition
        .lines()
        .filter(|l| l.starts_with("# TYPE "))
        .collect();
    let mut distinct = types.clone();
    distinct.dedup();
    assert_eq!(types, distinct, "each metric in one group: {exposition}");
    assert!(exposition.ends_with('\n'));
}

/// The text of every format of `args`, for looking for what must not be there.
fn every_format(args: &[String]) -> String {
    ["human", "json", "markdown", "junit"]
        .iter()
        .map(|format| {
            let mut all = args.to_vec();
            all.extend(strings(&["--format", format]));
            doctor(&all).stdout
        })
        .collect()
}

#[test]
fn a_folded_token_is_joined_and_pieces_are_never_resolved_nor_shown() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let token = token_for(auth_cert(), &amurl(&server), "user-1");
    let (_, rest) = token.split_once('.').expect("dots");
    let (payload, signature) = rest.split_once('.').expect("dots");
    // Pieces that belong to no token that can be joined: a payload's end and
    // a signature, wrapped, after a whole token. The first holds a dot: as a
    // host it would be looked up.
    let pieces = fold(
        &format!("{}.{signature}", &payload[payload.len() - 30..]),
        64,
    );
    let piece_lines: Vec<&str> = pieces.lines().collect();
    assert!(piece_lines[0].contains('.'));
    let host = format!("{HOST}:{}", server.port());
    let text = format!("{}{token}\n{pieces}{host}\n", fold(&token, 64));
    let list = file_with(&text);
    let mut args = strings(&["probe", "--batch", &list.path().display().to_string()]);
    args.extend(lab.args());
    let mut json_args = args.clone();
    json_args.extend(strings(&["--format", "json"]));
    let run = doctor(&json_args);
    let reports = run.json_lines();
    assert_eq!(reports.len(), 3 + piece_lines.len(), "{}", run.stdout);
    // The folded token is one target, probed at its amurl, and healthy.
    assert_eq!(reports[0]["target"]["amurl"], amurl(&server).as_str());
    assert_eq!(verdict_of(&reports[0]), "healthy");
    assert_eq!(verdict_of(&reports[1]), "healthy");
    let first_piece_line = fold(&token, 64).lines().count() + 2;
    for (n, report) in reports[2..2 + piece_lines.len()].iter().enumerate() {
        assert_eq!(verdict_of(report), "token.input");
        assert_eq!(
            summary(report, "token.input"),
            format!(
                "line {} of the batch list is part of a token folded over several lines, \
                 not a target: it was neither checked nor shown",
                first_piece_line + n
            )
        );
        assert_eq!(
            check(report, "token.input")["details"]["looks_like"],
            "jwt-fragment"
        );
    }
    assert_eq!(verdict_of(reports.last().expect("last")), "healthy");
    assert_eq!(
        run.code, 10,
        "the first target that is not healthy is a piece"
    );

    let shown = every_format(&args).to_lowercase();
    for piece in &piece_lines {
        assert!(!shown.contains(&piece.to_lowercase()), "a piece was shown");
    }
    for line in fold(&token, 64).lines() {
        assert!(!shown.contains(&line.to_lowercase()), "the token was shown");
    }
    let queries = lab.dns.queries();
    assert!(
        queries.iter().all(|q| q.to_lowercase().starts_with(HOST)),
        "only the amurl's host is looked up: {queries:?}"
    );

    // diagnose reads the list the same way: no piece reaches token.input.
    let mut args = strings(&[
        "diagnose",
        "--batch",
        &list.path().display().to_string(),
        "--format",
        "json",
    ]);
    args.extend(lab.args());
    let run = doctor(&args);
    assert_eq!(run.json_lines().len(), 3 + piece_lines.len());
    for piece in &piece_lines {
        assert!(!run.stdout.contains(piece), "diagnose showed a piece");
    }
}

/// `text` as Windows PowerShell 5.1's `>` saves it: UTF-16 LE with a BOM.
fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn a_list_saved_by_windows_powershell_is_read_from_a_file_and_from_stdin() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let token = token_for(auth_cert(), &amurl(&server), "user-1");
    let text = format!(
        "# saved with > in PowerShell 5.1\r\n{}\r\n{HOST}:{}\r\n{token}\r\n",
        amurl(&server),
        server.port()
    );
    let list = NamedTempFile::new().expect("list");
    std::fs::write(list.path(), utf16le(&text)).expect("write");
    let check = |stdout: &[u8]| {
        let stdout = String::from_utf8_lossy(stdout);
        let reports: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        assert_eq!(reports.len(), 3, "{stdout}");
        for report in &reports {
            assert_eq!(report["target"]["amurl"], amurl(&server).as_str());
            assert_eq!(verdict_of(report), "healthy", "{report}");
        }
        assert_eq!(user_of(&reports[2]), "user-1");
    };
    let mut args = strings(&["probe", "--format", "json", "--batch"]);
    args.push(list.path().display().to_string());
    args.extend(lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    check(run.stdout.as_bytes());

    let mut args = strings(&["probe", "--format", "json", "--batch", "-"]);
    args.extend(lab.args());
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"));
    command
        .args(&args)
        .env("NO_COLOR", "1")
        .write_stdin(utf16le(&text))
        .timeout(Duration::from_secs(60));
    let output = retrying_wine_start(|| command.output()).expect("runs");
    assert_eq!(output.status.code(), Some(0));
    check(&output.stdout);
}

#[test]
fn a_target_and_a_batch_together_are_a_usage_error() {
    let run = doctor([
        "diagnose",
        "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln",
        "--batch",
        "/nonexistent/tokens.txt",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--batch"), "{}", run.stderr);
    assert!(!run.stderr.contains("eyJhbGci"), "{}", run.stderr);
}
