//! `idtoken-doctor demo` end to end: every scenario exits with its expected
//! code and names the link it breaks.

mod e2e_support;

use e2e_support::*;
use idtoken_doctor::lab::scenario::Scenario;

/// The check each scenario breaks (none for `healthy`).
fn expected_check(scenario: Scenario) -> Option<&'static str> {
    match scenario {
        Scenario::Healthy => None,
        Scenario::InternalHost => Some("dns.name"),
        Scenario::FirewallDrop => Some("tcp.connect"),
        Scenario::SelfSigned | Scenario::IncompleteChain => Some("tls.trust"),
        Scenario::Tls10 => Some("tls.handshake"),
        Scenario::Auth401 | Scenario::LoginRedirect => Some("http.access"),
        Scenario::X5tMismatch => Some("key.match"),
        Scenario::ExpiredAuthCert => Some("key.certificate"),
        Scenario::BadSignature => Some("key.signature"),
        Scenario::PreauthProxy => Some("http.access"),
        Scenario::CallbackToken => Some("token.kind"),
        Scenario::NaaHealthy => None,
        Scenario::NaaGraphToken => Some("token.header"),
        Scenario::NaaKeyRolled => Some("key.match"),
        Scenario::MailboxOnPremises | Scenario::MailboxExchangeOnline => None,
    }
}

fn expectation(scenario: Scenario) -> Expect<'static> {
    match expected_check(scenario) {
        None => Expect::Healthy,
        Some(id) => Expect::Broken(id, scenario.expected_exit_code()),
    }
}

/// Runs `demo NAME` (in json, or in every format) and checks the verdict,
/// the exit code and the note naming the scenario.
fn run_scenario(name: &str, every_format: bool) {
    let scenario = Scenario::from_name(name).expect("a scenario");
    let expect = expectation(scenario);
    let args = strings(&["demo", name]);
    let report = if every_format {
        assert_all_formats(&args, scenario.stages(), expect)
    } else {
        assert_json(&args, scenario.stages(), expect)
    };
    assert_eq!(report["command"], "demo");
    assert_eq!(
        report["verdict"]["exit_code"],
        scenario.expected_exit_code()
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains(name),
        "the report says which scenario ran: {notes}"
    );
}

#[test]
fn demo_healthy() {
    run_scenario("healthy", true);
}

#[test]
fn demo_without_a_scenario_is_healthy() {
    let run = doctor(["demo", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_json_report(&report, ALL_STAGES, Expect::Healthy);
    for id in [
        "key.match",
        "key.certificate",
        "key.signature",
        "ews.reachable",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}");
    }
}

#[test]
fn demo_internal_host() {
    run_scenario("internal-host", false);
}

#[test]
fn demo_firewall_drop() {
    run_scenario("firewall-drop", false);
}

#[test]
fn demo_self_signed() {
    run_scenario("self-signed", false);
}

#[test]
fn demo_incomplete_chain() {
    run_scenario("incomplete-chain", false);
}

#[test]
fn demo_tls_1_0() {
    run_scenario("tls-1.0", false);
    let run = doctor(["demo", "tls-1.0", "--format", "json"]);
    let report = run.json();
    let handshake = report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == "tls.handshake"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        handshake["details"]["cause"], "protocol-version",
        "{handshake:#}"
    );
    let summary = handshake["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("TLS 1.0"), "{summary}");
    assert!(summary.contains("SSI needs TLS 1.2 or newer"), "{summary}");
}

#[test]
fn demo_auth_401() {
    run_scenario("auth-401", true);
}

#[test]
fn demo_login_redirect() {
    run_scenario("login-redirect", false);
}

#[test]
fn demo_x5t_mismatch() {
    run_scenario("x5t-mismatch", true);
}

#[test]
fn demo_expired_auth_cert() {
    run_scenario("expired-auth-cert", false);
}

#[test]
fn demo_bad_signature() {
    run_scenario("bad-signature", false);
}

#[test]
fn demo_preauth_proxy_names_the_application_proxy() {
    let report = assert_json(
        &strings(&["demo", "preauth-proxy"]),
        ALL_STAGES,
        expectation(Scenario::PreauthProxy),
    );
    let access = check(&report, "http.access");
    assert_eq!(access["details"]["front_end"], "entra-app-proxy");
    assert!(
        access["remedy"].to_string().contains("Passthrough"),
        "{access}"
    );
}

#[test]
fn demo_callback_token_names_the_kind() {
    let report = assert_json(
        &strings(&["demo", "callback-token"]),
        ALL_STAGES,
        expectation(Scenario::CallbackToken),
    );
    assert_eq!(
        check(&report, "token.kind")["details"]["kind"],
        "exchange-callback"
    );
}

#[test]
fn demo_mailbox_on_premises_finds_the_amurl_through_the_hybrid_autodiscover() {
    run_scenario("mailbox-on-premises", true);
    let report = doctor(["demo", "mailbox-on-premises", "--format", "json"]).json();
    assert_eq!(status(&report, "mailbox.location"), "pass");
    assert_eq!(status(&report, "mailbox.amurl"), "pass");
    assert_eq!(status(&report, "ews.reachable"), "pass");
    assert!(check(&report, "mailbox.amurl")["details"]["source"]
        .as_str()
        .is_some_and(|s| s.starts_with("https://autodiscover.contoso.test/")));
}

#[test]
fn demo_mailbox_exchange_online_warns_and_names_the_tenant() {
    run_scenario("mailbox-exchange-online", true);
    let report = doctor(["demo", "mailbox-exchange-online", "--format", "json"]).json();
    assert_eq!(status(&report, "mailbox.location"), "warn");
    assert_eq!(status(&report, "mailbox.tenant"), "pass");
    assert_eq!(status(&report, "key.match"), "skip");
}

#[test]
fn demo_list_names_every_scenario_with_its_exit_code() {
    let run = doctor(["demo", "--list"]);
    assert_eq!(run.code, 0);
    // A description too long for its line goes on under itself, indented.
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("   "))
        .collect();
    assert_eq!(lines.len(), Scenario::ALL.len(), "{}", run.stdout);
    assert!(
        run.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        run.stdout
    );
    for (line, scenario) in lines.iter().zip(Scenario::ALL) {
        let mut fields = line.split_whitespace();
        assert_eq!(fields.next(), Some(scenario.name()), "{line}");
        assert_eq!(fields.next(), Some("exit"), "{line}");
        assert_eq!(
            fields.next(),
            Some(scenario.expected_exit_code().to_string().as_str()),
            "{line}"
        );
    }
    // Every scenario this test file runs is one the list names, and the other way round.
    let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "healthy",
            "callback-token",
            "internal-host",
            "firewall-drop",
            "self-signed",
            "incomplete-chain",
            "tls-1.0",
            "auth-401",
            "login-redirect",
            "preauth-proxy",
            "x5t-mismatch",
            "expired-auth-cert",
            "bad-signature",
            "naa-healthy",
            "naa-graph-token",
            "naa-key-rolled",
            "mailbox-on-premises",
            "mailbox-exchange-online",
        ]
    );
}

#[test]
fn demo_of_an_unknown_scenario_is_a_usage_error_listing_the_scenarios() {
    let run = doctor(["demo", "no-such-thing"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-thing"), "{}", run.stderr);
    for scenario in Scenario::ALL {
        assert!(run.stderr.contains(scenario.name()), "{}", run.stderr);
    }
}

#[test]
fn demo_naa_healthy() {
    run_scenario("naa-healthy", true);
    let report = doctor(["demo", "naa-healthy", "--format", "json"]).json();
    assert_eq!(status(&report, "token.kind"), "pass");
    assert_eq!(status(&report, "key.signature"), "pass");
    assert_eq!(status(&report, "ews.reachable"), "skip");
    assert_eq!(report["target"]["host"], "login.microsoftonline.com");
}

#[test]
fn demo_naa_graph_token() {
    run_scenario("naa-graph-token", false);
}

#[test]
fn demo_naa_key_rolled() {
    run_scenario("naa-key-rolled", false);
}

#[test]
fn the_naa_demos_fit_their_lines_at_100_columns() {
    for (name, most) in [
        ("naa-healthy", 20),
        ("naa-graph-token", 30),
        ("naa-key-rolled", 30),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"))
            .args(["demo", name])
            .env("COLUMNS", "100")
            .env_remove("NO_COLOR")
            .output()
            .expect("the binary runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() <= most, "{name}: {} lines\n{text}", lines.len());
        assert!(
            lines.iter().all(|l| l.chars().count() <= 100),
            "{name}: a line is wider than 100 columns\n{text}"
        );
    }
}
