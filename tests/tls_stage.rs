//! The `tls` stage against lab servers on loopback: each check passes against
//! a healthy server and fails, alone, against the server that breaks it.

use std::net::{IpAddr, Ipv6Addr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use idtoken_doctor::budget::Budget;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Mode, Route};
use idtoken_doctor::lab::pki::{Pki, ServerIdentity};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{Check, CheckId, Status};
use idtoken_doctor::settings::NetSettings;
use idtoken_doctor::target::Target;
use idtoken_doctor::tls::{self, TlsOutcome};
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

const HOST: &str = "mail.contoso.test";

fn net(extra_roots: Vec<CertificateDer<'static>>) -> NetSettings {
    NetSettings {
        ca_file: (!extra_roots.is_empty()).then(|| PathBuf::from("lab-ca.pem")),
        ..idtoken_doctor::lab::loopback_net(extra_roots, Duration::from_secs(10))
    }
}

fn trusting(pki: &Pki) -> NetSettings {
    net(vec![pki.ca_der()])
}

fn routes() -> Vec<Route> {
    vec![Route::any(Behaviour::json("{}"))]
}

/// Connects to `server` and runs the stage for `host`, with this budget.
fn probe_with(
    server: &HttpsServer,
    host: &str,
    net: &NetSettings,
    budget: Duration,
    now: OffsetDateTime,
) -> (TlsOutcome, Duration) {
    let target =
        Target::from_url(&server.url(host, "/autodiscover/metadata/json/1")).expect("target");
    let budget = Budget::new(budget);
    let started = Instant::now();
    let stream = TcpStream::connect(server.addr()).expect("connect to the lab server");
    let outcome = tls::run(stream, &target, net, &budget, now);
    (outcome, started.elapsed())
}

fn probe(identity: ServerIdentity, net: &NetSettings) -> TlsOutcome {
    let server = HttpsServer::start(identity, routes()).expect("server");
    probe_with(
        &server,
        HOST,
        net,
        Duration::from_secs(10),
        OffsetDateTime::now_utc(),
    )
    .0
}

fn check(outcome: &TlsOutcome, id: CheckId) -> &Check {
    outcome
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} missing from {:?}", outcome.checks))
}

fn statuses(outcome: &TlsOutcome) -> Vec<(CheckId, Status)> {
    outcome.checks.iter().map(|c| (c.id, c.status)).collect()
}

fn expect(outcome: &TlsOutcome, wanted: [Status; 4]) {
    let ids = [
        CheckId::TlsHandshake,
        CheckId::TlsTrust,
        CheckId::TlsName,
        CheckId::TlsValidity,
    ];
    let want: Vec<_> = ids.into_iter().zip(wanted).collect();
    assert_eq!(statuses(outcome), want, "{:#?}", outcome.checks);
}

#[test]
fn a_healthy_server_passes_every_check() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(&outcome, [Status::Pass; 4]);
    assert!(outcome.secure);
    assert_eq!(outcome.chain.len(), 2);
    assert_eq!(outcome.chain[0].subject_label(), HOST);
    assert_eq!(outcome.chain[1].subject_label(), "Contoso Lab Issuing CA 1");

    let handshake = check(&outcome, CheckId::TlsHandshake);
    assert!(
        handshake.summary.starts_with("TLS 1."),
        "{}",
        handshake.summary
    );
    assert!(handshake.details["cipher_suite"].is_string());
    assert_eq!(handshake.details["sni"], HOST);

    let trust = check(&outcome, CheckId::TlsTrust);
    assert_eq!(trust.details["anchored_by_ca_file"], true);
    assert_eq!(trust.details["ca_file"], "lab-ca.pem");
    assert!(trust.summary.contains("--ca-file"));
    assert_eq!(trust.details["chain"][0]["subject_alt_names"][0], HOST);
    assert!(check(&outcome, CheckId::TlsValidity)
        .summary
        .starts_with("the certificate is valid until"));
}

#[test]
fn a_self_signed_certificate_fails_trust_only() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).self_signed().build().expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(
        &outcome,
        [Status::Pass, Status::Fail, Status::Pass, Status::Pass],
    );
    assert!(!outcome.secure);
    let trust = check(&outcome, CheckId::TlsTrust);
    assert_eq!(trust.remedy, Some(Remedy::TlsSelfSigned));
    assert!(trust.summary.contains("self-signed"), "{}", trust.summary);
    assert_eq!(outcome.chain.len(), 1);
    assert!(outcome.chain[0].self_signed);
}

#[test]
fn a_missing_intermediate_is_named() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).without_intermediate().build().expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(
        &outcome,
        [Status::Pass, Status::Fail, Status::Pass, Status::Pass],
    );
    let trust = check(&outcome, CheckId::TlsTrust);
    assert_eq!(trust.remedy, Some(Remedy::TlsIncompleteChain));
    assert!(
        trust
            .summary
            .contains("intermediate missing: the server sent only the leaf"),
        "{}",
        trust.summary
    );
    assert!(trust.summary.contains("issued by Contoso Lab Issuing CA 1"));
}

#[test]
fn an_unknown_root_fails_trust() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let outcome = probe(leaf.identity(), &net(Vec::new()));
    expect(
        &outcome,
        [Status::Pass, Status::Fail, Status::Pass, Status::Pass],
    );
    let trust = check(&outcome, CheckId::TlsTrust);
    assert_eq!(trust.remedy, Some(Remedy::TlsChainUntrusted));
    assert!(
        trust.summary.contains("issued by Contoso Lab Root CA"),
        "{}",
        trust.summary
    );
    assert!(trust.details.get("ca_file").is_none());
    // The chain is reported even though verification failed.
    assert_eq!(trust.details["chain"].as_array().map(Vec::len), Some(2));
}

#[test]
fn an_expired_certificate_is_validity_not_trust() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).expired().build().expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(
        &outcome,
        [Status::Pass, Status::Pass, Status::Pass, Status::Fail],
    );
    assert!(!outcome.secure);
    let validity = check(&outcome, CheckId::TlsValidity);
    assert_eq!(validity.remedy, Some(Remedy::TlsValidity));
    assert!(
        validity.summary.contains("expired on"),
        "{}",
        validity.summary
    );
    assert!(
        validity.summary.contains("30 days 0 h ago"),
        "{}",
        validity.summary
    );
}

#[test]
fn a_not_yet_valid_certificate_is_validity() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).not_yet_valid().build().expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(
        &outcome,
        [Status::Pass, Status::Pass, Status::Pass, Status::Fail],
    );
    assert!(check(&outcome, CheckId::TlsValidity)
        .summary
        .contains("not valid before"));
}

#[test]
fn an_expired_self_signed_certificate_shows_both_faults() {
    let pki = Pki::new().expect("pki");
    let leaf = pki
        .leaf(HOST)
        .self_signed()
        .expired()
        .build()
        .expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(
        &outcome,
        [Status::Pass, Status::Fail, Status::Pass, Status::Fail],
    );
    assert_eq!(
        check(&outcome, CheckId::TlsTrust).remedy,
        Some(Remedy::TlsSelfSigned)
    );
}

#[test]
fn a_wrong_name_lists_the_names_the_certificate_has() {
    let pki = Pki::new().expect("pki");
    let leaf = pki
        .leaf("www.fabrikam.test")
        .also_named("fabrikam.test")
        .build()
        .expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(
        &outcome,
        [Status::Pass, Status::Pass, Status::Fail, Status::Pass],
    );
    let name = check(&outcome, CheckId::TlsName);
    assert_eq!(name.remedy, Some(Remedy::TlsName));
    assert!(
        name.summary
            .contains("not valid for mail.contoso.test: it names www.fabrikam.test, fabrikam.test"),
        "{}",
        name.summary
    );
    assert_eq!(name.details["certificate_names"][1], "fabrikam.test");
}

#[test]
fn a_certificate_expiring_within_30_days_warns() {
    let pki = Pki::new().expect("pki");
    let leaf = pki
        .leaf(HOST)
        .expires_in(time::Duration::days(10))
        .build()
        .expect("leaf");
    let outcome = probe(leaf.identity(), &trusting(&pki));
    expect(
        &outcome,
        [Status::Pass, Status::Pass, Status::Pass, Status::Warn],
    );
    assert!(outcome.secure, "a warning does not stop later stages");
    let validity = check(&outcome, CheckId::TlsValidity);
    assert_eq!(validity.remedy, Some(Remedy::TlsRenewSoon));
    assert!(validity.summary.contains("expires on"));
}

#[test]
fn validity_is_judged_at_now_while_the_handshake_uses_the_clock() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let server = HttpsServer::start(leaf.identity(), routes()).expect("server");
    let in_two_years = OffsetDateTime::now_utc() + time::Duration::days(730);
    let (outcome, _) = probe_with(
        &server,
        HOST,
        &trusting(&pki),
        Duration::from_secs(10),
        in_two_years,
    );
    expect(
        &outcome,
        [Status::Pass, Status::Pass, Status::Pass, Status::Fail],
    );
    assert!(!outcome.secure);

    let expired = pki.leaf(HOST).expired().build().expect("leaf");
    let server = HttpsServer::start(expired.identity(), routes()).expect("server");
    let back_then = OffsetDateTime::now_utc() - time::Duration::days(60);
    let (outcome, _) = probe_with(
        &server,
        HOST,
        &trusting(&pki),
        Duration::from_secs(10),
        back_then,
    );
    let validity = check(&outcome, CheckId::TlsValidity);
    assert_eq!(validity.status, Status::Fail, "{validity:?}");
    assert!(validity.summary.contains("real clock"));
    assert!(!outcome.secure, "the real handshake was refused");
}

#[test]
fn an_ip_literal_target_sends_no_sni_and_matches_ip_names() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf("127.0.0.1").build().expect("leaf");
    let server = HttpsServer::start(leaf.identity(), routes()).expect("server");
    let (outcome, _) = probe_with(
        &server,
        "127.0.0.1",
        &trusting(&pki),
        Duration::from_secs(10),
        OffsetDateTime::now_utc(),
    );
    expect(&outcome, [Status::Pass; 4]);
    assert!(check(&outcome, CheckId::TlsHandshake).details["sni"].is_null());
}

#[test]
fn ipv6_loopback_works_too() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let Ok(server) = HttpsServer::start_on(
        IpAddr::V6(Ipv6Addr::LOCALHOST),
        Mode::Tls(leaf.identity()),
        routes(),
    ) else {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    };
    let (outcome, _) = probe_with(
        &server,
        HOST,
        &trusting(&pki),
        Duration::from_secs(10),
        OffsetDateTime::now_utc(),
    );
    expect(&outcome, [Status::Pass; 4]);
}

#[test]
fn a_plain_http_server_fails_the_handshake() {
    let pki = Pki::new().expect("pki");
    let server = HttpsServer::start_plain(routes()).expect("server");
    let (outcome, _) = probe_with(
        &server,
        HOST,
        &trusting(&pki),
        Duration::from_secs(10),
        OffsetDateTime::now_utc(),
    );
    expect(
        &outcome,
        [Status::Fail, Status::Skip, Status::Skip, Status::Skip],
    );
    let handshake = check(&outcome, CheckId::TlsHandshake);
    assert_eq!(handshake.remedy, Some(Remedy::TlsHandshake));
    assert!(
        handshake
            .summary
            .contains("plain HTTP (`HTTP/1.1 400 Bad Request`)"),
        "{}",
        handshake.summary
    );
    assert!(outcome.chain.is_empty());
}

#[test]
fn a_server_that_closes_at_once_fails_the_handshake() {
    let server = HttpsServer::start_mode(Mode::CloseImmediately, Vec::new()).expect("server");
    let (outcome, _) = probe_with(
        &server,
        HOST,
        &net(Vec::new()),
        Duration::from_secs(10),
        OffsetDateTime::now_utc(),
    );
    expect(
        &outcome,
        [Status::Fail, Status::Skip, Status::Skip, Status::Skip],
    );
    let summary = &check(&outcome, CheckId::TlsHandshake).summary;
    assert!(
        summary.contains("closed the connection without a TLS answer")
            || summary.contains("failed during the TLS handshake"),
        "{summary}"
    );
}

#[test]
fn a_silent_server_times_out_within_the_budget() {
    let server = HttpsServer::start_mode(Mode::Silent, Vec::new()).expect("server");
    let (outcome, elapsed) = probe_with(
        &server,
        HOST,
        &net(Vec::new()),
        Duration::from_secs(2),
        OffsetDateTime::now_utc(),
    );
    expect(
        &outcome,
        [Status::Fail, Status::Skip, Status::Skip, Status::Skip],
    );
    let handshake = check(&outcome, CheckId::TlsHandshake);
    assert!(
        handshake.summary.contains("timed out after 2 s"),
        "{}",
        handshake.summary
    );
    assert_eq!(handshake.remedy, Some(Remedy::TimedOut));
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn a_one_byte_a_second_handshake_times_out_within_the_budget() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let server = HttpsServer::start_mode(
        Mode::TrickleHandshake(leaf.identity(), Duration::from_secs(1)),
        routes(),
    )
    .expect("server");
    let (outcome, elapsed) = probe_with(
        &server,
        HOST,
        &trusting(&pki),
        Duration::from_secs(3),
        OffsetDateTime::now_utc(),
    );
    expect(
        &outcome,
        [Status::Fail, Status::Skip, Status::Skip, Status::Skip],
    );
    let handshake = check(&outcome, CheckId::TlsHandshake);
    assert!(
        handshake.summary.contains("stalled: timed out after 3 s"),
        "{}",
        handshake.summary
    );
    assert!(handshake.details["server_bytes"].as_u64() >= Some(2));
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[test]
fn a_fifty_certificate_chain_is_reported_not_fatal() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).intermediates(49).build().expect("leaf");
    assert_eq!(leaf.chain().len(), 50);
    let outcome = probe(leaf.identity(), &trusting(&pki));
    assert_eq!(outcome.checks.len(), 4);
    assert_eq!(outcome.chain.len(), 50);
    assert_eq!(
        check(&outcome, CheckId::TlsHandshake).status,
        Status::Pass,
        "{:#?}",
        outcome.checks
    );
    let trust = check(&outcome, CheckId::TlsTrust);
    // webpki refuses paths this deep: a trust failure with a reason, not a crash.
    assert_eq!(trust.status, Status::Fail, "{trust:?}");
    assert!(trust.remedy.is_some());
    assert_eq!(check(&outcome, CheckId::TlsName).status, Status::Pass);
}

#[test]
fn an_exhausted_budget_fails_at_once() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let server = HttpsServer::start(leaf.identity(), routes()).expect("server");
    let (outcome, elapsed) = probe_with(
        &server,
        HOST,
        &trusting(&pki),
        Duration::ZERO,
        OffsetDateTime::now_utc(),
    );
    assert_eq!(check(&outcome, CheckId::TlsHandshake).status, Status::Fail);
    assert!(elapsed < Duration::from_secs(1));
}
