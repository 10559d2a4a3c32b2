//! `idtoken-doctor probe` end to end: the binary against lab servers on
//! 127.0.0.1, one run per way each check of dns, tcp, tls, http, metadata
//! and ews breaks, in every report format, and the time bound.

mod e2e_support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use e2e_support::*;
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Mode, Response, Route};

/// The longest a `--timeout 2` run may take: the budget, its one second of
/// grace, and room for a loaded machine to start the process.
const BOUND: Duration = Duration::from_millis(3500);

/// `probe TARGET` with the lab's flags (loopback allowed).
fn probe(lab: &Lab, target: &str) -> Vec<String> {
    let mut args = strings(&["probe", target]);
    args.extend(lab.args());
    args
}

/// `probe TARGET` with the lab's DNS and CA but without `--allow-private`.
fn probe_public(lab: &Lab, target: &str) -> Vec<String> {
    let mut args = strings(&["probe", target]);
    args.extend(lab.public_args());
    args
}

// ---------------------------------------------------------------------------
// Targets: amurl, bare host, token
// ---------------------------------------------------------------------------

#[test]
fn an_amurl_on_a_healthy_exchange_passes_every_link_in_every_format() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let report = assert_all_formats(&probe(&lab, &amurl(&server)), PROBE_STAGES, Expect::Healthy);

    assert_eq!(report["command"], "probe");
    assert_eq!(report["target"]["amurl"], amurl(&server));
    assert_eq!(report["target"]["host"], HOST);
    assert_eq!(report["target"]["port"], server.port());
    for id in [
        "dns.name",
        "dns.resolve",
        "tcp.connect",
        "tls.handshake",
        "tls.trust",
        "tls.name",
        "tls.validity",
        "http.access",
        "http.content",
        "metadata.document",
        "metadata.keys",
        "metadata.certificate",
        "ews.reachable",
    ] {
        assert_eq!(
            status(&report, id),
            "pass",
            "{id}: {}",
            summary(&report, id)
        );
    }
    // Loopback is reached only because --allow-private says so: a warning.
    assert_eq!(status(&report, "dns.address"), "warn");
    // EWS answering 401 is the normal, reachable answer.
    assert!(summary(&report, "ews.reachable").contains("401"));
    // The resolver's answer is reported.
    assert!(summary(&report, "dns.resolve").contains("127.0.0.1"));

    // Four runs, each fetching the metadata and EWS once, anonymously.
    assert_eq!(requests_for(&server, METADATA_PATH), 4);
    assert_eq!(requests_for(&server, EWS_PATH), 4);
    for request in server.requests() {
        assert_eq!(request.method, "GET");
        assert_eq!(request.header("authorization"), None, "no credentials sent");
        assert_eq!(request.header("cookie"), None);
    }
}

#[test]
fn a_bare_host_and_port_means_the_metadata_path() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let target = format!("{HOST}:{}", server.port());
    let report = assert_json(&probe(&lab, &target), PROBE_STAGES, Expect::Healthy);
    assert_eq!(
        report["target"]["amurl"],
        format!(
            "https://{HOST}:{}/autodiscover/metadata/json/1",
            server.port()
        )
    );
    assert_eq!(requests_for(&server, METADATA_PATH), 1);
    // EWS is asked on its own connection beside the metadata GET: find the GET.
    let requests = server.requests();
    let first = requests
        .iter()
        .find(|r| r.target == METADATA_PATH)
        .expect("the metadata GET");
    assert_eq!(
        first.header("host"),
        Some(format!("{HOST}:{}", server.port()).as_str())
    );
}

#[test]
fn a_token_target_runs_the_token_stage_first_then_its_amurl() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let jwt = token(auth_cert(), &amurl(&server));

    let report = assert_all_formats(&probe(&lab, &jwt), PROBE_TOKEN_STAGES, Expect::Healthy);
    assert_eq!(report["checks"][0]["id"], "token.input");
    assert_eq!(status(&report, "token.amurl"), "pass");
    assert_eq!(report["target"]["amurl"], amurl(&server));
    // The report never carries the raw token or its signature.
    let signature = jwt.rsplit('.').next().expect("signature");
    assert!(!report.to_string().contains(signature));

    // The same token from a file (@PATH) and from standard input (-).
    let file = tempfile::NamedTempFile::new().expect("token file");
    std::fs::write(file.path(), format!("Bearer {jwt}\n")).expect("write token");
    let mut from_file = probe(&lab, &format!("@{}", file.path().display()));
    from_file.extend(strings(&["--format", "json"]));
    let run = doctor(&from_file);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["checks"][0]["id"], "token.input");

    let mut from_stdin = probe(&lab, "-");
    from_stdin.extend(strings(&["--format", "json"]));
    let run = doctor_with_stdin(&from_stdin, &format!("  \"{jwt}\"  \n"));
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["target"]["amurl"], amurl(&server));
    // Three probes reached the server: the token's amurl was fetched each time.
    assert_eq!(requests_for(&server, METADATA_PATH), 6);
}

#[test]
fn a_broken_token_stops_the_probe_before_any_network_link() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let jwt = sign(
        mint(auth_cert(), &amurl(&server)).version("ExIdTok.V2"),
        auth_cert(),
    );
    let report = assert_all_formats(
        &probe(&lab, &jwt),
        PROBE_TOKEN_STAGES,
        Expect::Broken("token.version", 10),
    );
    assert!(summary(&report, "token.version").contains("ExIdTok.V2"));
    assert_eq!(
        server.connections(),
        0,
        "no connection after a broken token"
    );
    assert!(
        lab.dns.queries().is_empty(),
        "no DNS query after a broken token"
    );
}

#[test]
fn a_target_that_is_neither_token_url_nor_host_is_token_amurl() {
    let lab = Lab::new();
    let report = assert_json(
        &probe(&lab, "ftp://mail.contoso.test/metadata"),
        PROBE_TOKEN_STAGES,
        Expect::Broken("token.amurl", 10),
    );
    assert!(summary(&report, "token.amurl").contains("ftp"));
    assert!(lab.dns.queries().is_empty());
}

// ---------------------------------------------------------------------------
// dns
// ---------------------------------------------------------------------------

#[test]
fn dns_name_an_internal_suffix_fails_before_any_query() {
    let lab = Lab::with_zone(
        Zone::new().address("exchange01.contoso.local", IpAddr::V4(Ipv4Addr::LOCALHOST)),
    );
    let report = assert_all_formats(
        &probe_public(
            &lab,
            "https://exchange01.contoso.local/autodiscover/metadata/json/1",
        ),
        PROBE_STAGES,
        Expect::Broken("dns.name", 20),
    );
    assert!(summary(&report, "dns.name").contains(".local"));
    assert_eq!(status(&report, "dns.resolve"), "skip");
    assert!(
        lab.dns.queries().is_empty(),
        "an internal name is not sent to public resolvers: {:?}",
        lab.dns.queries()
    );
}

#[test]
fn dns_name_a_private_address_literal_fails_and_is_not_connected() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let url = server.url("127.0.0.1", METADATA_PATH);
    let report = assert_json(
        &probe_public(&lab, &url),
        PROBE_STAGES,
        Expect::Broken("dns.name", 20),
    );
    assert!(summary(&report, "dns.name").contains("127.0.0.1"));
    assert_eq!(server.connections(), 0);
}

#[test]
fn dns_resolve_nxdomain_fails() {
    let lab = Lab::with_zone(Zone::new().nxdomain("gone.contoso.test"));
    let report = assert_all_formats(
        &probe(
            &lab,
            "https://gone.contoso.test/autodiscover/metadata/json/1",
        ),
        PROBE_STAGES,
        Expect::Broken("dns.resolve", 20),
    );
    let text = summary(&report, "dns.resolve");
    assert!(text.contains("gone.contoso.test"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("nxdomain") || text.contains("does not exist"),
        "{text}"
    );
    assert!(lab
        .dns
        .queries()
        .iter()
        .any(|q| q.starts_with("gone.contoso.test")));
}

#[test]
fn dns_resolve_servfail_fails() {
    let lab = Lab::with_zone(Zone::new().servfail(HOST));
    assert_json(
        &probe(&lab, HOST),
        PROBE_STAGES,
        Expect::Broken("dns.resolve", 20),
    );
}

#[test]
fn dns_resolve_a_silent_resolver_beside_an_answering_one_does_not_eat_the_budget() {
    let lab = Lab::new();
    let silent = idtoken_doctor::lab::dns::DnsServer::start(Zone::new().silent(HOST))
        .expect("silent DNS server");
    let server = lab.healthy_exchange();
    let mut args = probe(&lab, &amurl(&server));
    args.extend(strings(&[
        "--dns-server",
        &silent.addr().to_string(),
        "--timeout",
        "2",
    ]));
    // Had the probe waited for the silent resolver, no budget would be left
    // for tcp, tls, http and ews.
    let report = assert_json(&args, PROBE_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "dns.resolve"), "pass");
    assert!(!silent.queries().is_empty(), "both resolvers were asked");
}

#[test]
fn dns_address_private_without_allow_private_fails_and_opens_no_connection() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let report = assert_all_formats(
        &probe_public(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("dns.address", 20),
    );
    let text = summary(&report, "dns.address");
    assert!(
        text.contains("127.0.0.1") && text.contains("loopback"),
        "{text}"
    );
    assert_eq!(status(&report, "dns.resolve"), "pass");
    assert_eq!(status(&report, "tcp.connect"), "skip");
    assert_eq!(status(&report, "ews.reachable"), "skip");
    assert_eq!(
        server.connections(),
        0,
        "no connection to a non-public address"
    );
}

#[test]
fn dns_address_of_a_resolve_pin_is_judged_and_not_connected() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let mut args = strings(&[
        "probe",
        &amurl(&server),
        "--resolve",
        &format!("{HOST}:{}:127.0.0.1", server.port()),
        "--no-system-dns",
        "--ca-file",
        &lab.ca_path(),
    ]);
    let report = assert_json(&args, PROBE_STAGES, Expect::Broken("dns.address", 20));
    assert_eq!(status(&report, "dns.resolve"), "skip");
    assert_eq!(status(&report, "dns.split_horizon"), "skip");
    assert_eq!(server.connections(), 0);

    // With --allow-private the pin is followed, and DNS is never asked.
    args.push("--allow-private".into());
    let report = assert_json(&args, PROBE_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "dns.resolve"), "skip");
    assert!(server.connections() > 0);
    assert!(lab.dns.queries().is_empty(), "{:?}", lab.dns.queries());
}

#[test]
fn dns_split_horizon_is_skipped_with_a_reason_without_the_system_resolver() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let report = assert_json(&probe(&lab, &amurl(&server)), PROBE_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "dns.split_horizon"), "skip");
    assert!(summary(&report, "dns.split_horizon").contains("--no-system-dns"));
}

/// A name this machine's hosts file maps to an IPv4 loopback address: the
/// system resolver answers it from the file, without a DNS query.
#[cfg(unix)]
fn hosts_file_loopback_name() -> Option<String> {
    let text = std::fs::read_to_string("/etc/hosts").ok()?;
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let addr: Ipv4Addr = fields.next()?.parse().ok()?;
            addr.is_loopback().then(|| fields.collect::<Vec<_>>())
        })
        .flatten()
        .find(|name| !name.eq_ignore_ascii_case("localhost") && !name.contains("localhost"))
        .map(str::to_string)
}

// Unix only: it pins a name through `/etc/hosts`. On Windows the tool reads
// `%SystemRoot%\System32\drivers\etc\hosts` instead, which a test cannot
// write without administrator rights (and under wine the system resolver is
// still Linux's, reading `/etc/hosts`).
#[cfg(unix)]
#[test]
fn dns_split_horizon_warns_when_the_hosts_file_pins_the_host_elsewhere() {
    // The system resolver may be asked only about a name the hosts file
    // answers: anything else would send a query beyond this machine.
    let Some(name) = hosts_file_loopback_name() else {
        eprintln!("skipped: /etc/hosts maps no name (but localhost) to a loopback address");
        return;
    };
    let public_answer = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 77));
    let lab = Lab::with_zone(Zone::new().address(&name, public_answer));
    let args = strings(&[
        "probe",
        &format!(
            "https://{name}:{}/autodiscover/metadata/json/1",
            closed_port()
        ),
        "--dns-server",
        &lab.dns.addr().to_string(),
        "--allow-private",
        "--timeout",
        "2",
        "--format",
        "json",
    ]);
    let run = doctor(&args);
    let report = run.json();
    assert_json_report(
        &report,
        PROBE_STAGES,
        Expect::Broken(
            report["verdict"]["check"].as_str().expect("a verdict"),
            run.code,
        ),
    );
    assert_eq!(status(&report, "dns.split_horizon"), "warn", "{report:#}");
    let text = summary(&report, "dns.split_horizon");
    assert!(
        text.contains("/etc/hosts") && text.contains(&name),
        "{text}"
    );
    assert!(check(&report, "dns.split_horizon")["details"]["hosts_file"].is_array());
}

// ---------------------------------------------------------------------------
// tcp
// ---------------------------------------------------------------------------

#[test]
fn tcp_connect_refused_fails() {
    let lab = Lab::new();
    let port = closed_port();
    let report = assert_all_formats(
        &probe(&lab, &format!("{HOST}:{port}")),
        PROBE_STAGES,
        Expect::Broken("tcp.connect", 30),
    );
    let text = summary(&report, "tcp.connect");
    assert!(
        text.contains("refused") && text.contains(&port.to_string()),
        "{text}"
    );
}

#[test]
fn tcp_connect_dropped_by_a_firewall_times_out_within_the_budget() {
    let lab = Lab::new();
    let firewall = Firewall::start();
    let mut args = probe(&lab, &format!("{HOST}:{}", firewall.port));
    args.extend(strings(&["--timeout", "2", "--format", "json"]));
    let run = doctor(&args);
    assert_eq!(run.code, 30, "{}", run.stdout);
    assert!(run.elapsed < BOUND, "took {:?}", run.elapsed);
    let report = run.json();
    assert_json_report(&report, PROBE_STAGES, Expect::Broken("tcp.connect", 30));
    let text = summary(&report, "tcp.connect");
    assert!(text.contains("timed out after 2 s"), "{text}");
    assert!(
        check(&report, "tcp.connect")["remedy"]
            .as_str()
            .is_some_and(|r| r.contains("ssi-ips")),
        "a dropped connection points at the SSI ranges"
    );
}

// ---------------------------------------------------------------------------
// tls
// ---------------------------------------------------------------------------

/// A TLS server presenting `leaf`, with healthy routes.
fn tls_server(leaf: idtoken_doctor::lab::pki::Leaf) -> HttpsServer {
    HttpsServer::start(
        leaf.identity(),
        exchange_routes(
            Behaviour::json(metadata_of(&[auth_cert()])),
            Behaviour::unauthorized(&["Negotiate"]),
        ),
    )
    .expect("TLS server")
}

#[test]
fn tls_trust_a_self_signed_certificate_fails() {
    let lab = Lab::new();
    let server = tls_server(lab.pki.leaf(HOST).self_signed().build().expect("leaf"));
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("tls.trust", 40),
    );
    assert!(summary(&report, "tls.trust").contains("self-signed"));
    assert_eq!(status(&report, "tls.handshake"), "pass");
    assert_ne!(status(&report, "tls.name"), "fail");
    assert_ne!(status(&report, "tls.validity"), "fail");
    assert_eq!(
        requests_for(&server, METADATA_PATH),
        0,
        "no request over an untrusted channel"
    );
}

#[test]
fn tls_trust_an_incomplete_chain_fails_naming_the_missing_issuer() {
    let lab = Lab::new();
    let server = tls_server(
        lab.pki
            .leaf(HOST)
            .without_intermediate()
            .build()
            .expect("leaf"),
    );
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("tls.trust", 40),
    );
    let text = summary(&report, "tls.trust");
    assert!(
        text.contains("intermediate") && text.contains("Contoso Lab Issuing CA 1"),
        "{text}"
    );
    assert_ne!(status(&report, "tls.name"), "fail");
    assert_ne!(status(&report, "tls.validity"), "fail");
}

#[test]
fn tls_validity_an_expired_certificate_fails_validity_not_trust() {
    let lab = Lab::new();
    let server = tls_server(lab.pki.leaf(HOST).expired().build().expect("leaf"));
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("tls.validity", 40),
    );
    assert!(summary(&report, "tls.validity").contains("expired"));
    assert_ne!(
        status(&report, "tls.trust"),
        "fail",
        "{}",
        summary(&report, "tls.trust")
    );
    assert_ne!(status(&report, "tls.name"), "fail");
}

#[test]
fn tls_validity_now_judges_the_dates_but_the_handshake_uses_the_real_clock() {
    let lab = Lab::new();
    let server = tls_server(lab.pki.leaf(HOST).build().expect("leaf"));
    // Two years on, the server certificate (valid for a year) has expired.
    let mut later = probe(&lab, &amurl(&server));
    later.extend(strings(&["--now", "2099-01-01T00:00:00Z"]));
    let report = assert_json(&later, PROBE_STAGES, Expect::Broken("tls.validity", 40));
    assert!(summary(&report, "tls.validity").contains("expired"));

    // An expired certificate, judged at a moment it was valid: the handshake
    // at the real clock still refuses it, and that is a tls failure, not an
    // http one.
    let expired = tls_server(lab.pki.leaf(HOST).expired().build().expect("leaf"));
    let back_then = (time::OffsetDateTime::now_utc() - time::Duration::days(60))
        .unix_timestamp()
        .to_string();
    let mut earlier = probe(&lab, &amurl(&expired));
    earlier.extend(strings(&["--now", &back_then]));
    let report = assert_json(&earlier, PROBE_STAGES, Expect::Broken("tls.validity", 40));
    assert!(summary(&report, "tls.validity").contains("real clock"));
    assert_eq!(requests_for(&expired, METADATA_PATH), 0);
}

#[test]
fn tls_validity_a_not_yet_valid_certificate_fails() {
    let lab = Lab::new();
    let server = tls_server(lab.pki.leaf(HOST).not_yet_valid().build().expect("leaf"));
    let report = assert_json(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("tls.validity", 40),
    );
    let text = summary(&report, "tls.validity");
    assert!(text.contains("not valid before"), "{text}");
}

#[test]
fn tls_trust_a_certificate_from_an_unknown_ca_fails() {
    let lab = Lab::new();
    // Issued by another lab's CA, which --ca-file does not name.
    let stranger = idtoken_doctor::lab::pki::Pki::new().expect("another PKI");
    let server = tls_server(stranger.leaf(HOST).build().expect("leaf"));
    let report = assert_json(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("tls.trust", 40),
    );
    assert_ne!(status(&report, "tls.name"), "fail");
}

#[test]
fn tls_validity_warns_within_thirty_days() {
    let lab = Lab::new();
    let server = tls_server(
        lab.pki
            .leaf(HOST)
            .expires_in(time::Duration::days(10))
            .build()
            .expect("leaf"),
    );
    let report = assert_json(&probe(&lab, &amurl(&server)), PROBE_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "tls.validity"), "warn");
}

#[test]
fn tls_name_a_certificate_for_another_host_fails_listing_its_names() {
    let lab = Lab::new();
    let server = tls_server(
        lab.pki
            .leaf("owa.fabrikam.test")
            .also_named("autodiscover.fabrikam.test")
            .build()
            .expect("leaf"),
    );
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("tls.name", 40),
    );
    let text = summary(&report, "tls.name");
    assert!(
        text.contains(HOST) && text.contains("owa.fabrikam.test"),
        "{text}"
    );
    assert_ne!(
        status(&report, "tls.trust"),
        "fail",
        "{}",
        summary(&report, "tls.trust")
    );
    assert_ne!(status(&report, "tls.validity"), "fail");
}

#[test]
fn tls_handshake_with_a_plain_http_server_fails() {
    let lab = Lab::new();
    let server = HttpsServer::start_plain(exchange_routes(
        Behaviour::json(metadata_of(&[auth_cert()])),
        Behaviour::unauthorized(&["Negotiate"]),
    ))
    .expect("plain server");
    // The amurl says https, the port speaks plain HTTP.
    let url = format!("https://{HOST}:{}{METADATA_PATH}", server.port());
    let report = assert_all_formats(
        &probe(&lab, &url),
        PROBE_STAGES,
        Expect::Broken("tls.handshake", 40),
    );
    for id in ["tls.trust", "tls.name", "tls.validity"] {
        assert_eq!(status(&report, id), "skip", "{id}");
    }
}

#[test]
fn tls_handshake_with_a_server_that_hangs_up_fails() {
    let lab = Lab::new();
    let server = lab.server_in_mode(Mode::CloseImmediately);
    assert_json(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("tls.handshake", 40),
    );
}

// ---------------------------------------------------------------------------
// http
// ---------------------------------------------------------------------------

/// A healthy TLS server whose metadata path answers `metadata`.
fn metadata_answers(lab: &Lab, metadata: impl Into<Behaviour>) -> HttpsServer {
    lab.exchange(
        metadata.into(),
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
    )
}

#[test]
fn http_access_401_names_every_challenge() {
    let lab = Lab::new();
    let server = metadata_answers(
        &lab,
        Behaviour::unauthorized(&["Negotiate", "NTLM", "Basic realm=\"mail.contoso.test\""]),
    );
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("http.access", 50),
    );
    let text = summary(&report, "http.access");
    for scheme in ["401", "Negotiate", "NTLM", "Basic"] {
        assert!(text.contains(scheme), "{scheme} in {text}");
    }
    assert_eq!(status(&report, "http.content"), "skip");

    // The verbose human report shows the facts gathered so far, for the ticket.
    let mut args = probe(&lab, &amurl(&server));
    args.extend(strings(&["--format", "human", "--verbose"]));
    let human = doctor(&args).stdout;
    for fact in [
        "status_line: HTTP/1.1 401 Unauthorized",
        "www-authenticate: Negotiate, NTLM, Basic",
        "peer: 127.0.0.1:",
        "subject_alt_names: mail.contoso.test",
        "not_after: ",
        "protocol: TLS 1.3",
        "What to do: ",
    ] {
        assert!(human.contains(fact), "`{fact}` in:\n{human}");
    }
}

#[test]
fn http_access_403_fails() {
    let lab = Lab::new();
    let server = metadata_answers(&lab, Behaviour::status(403));
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("http.access", 50),
    );
    assert!(summary(&report, "http.access").contains("403"));
}

#[test]
fn http_access_404_fails() {
    let lab = Lab::new();
    // No route for the metadata path: the lab answers 404.
    let leaf = lab.pki.leaf(HOST).build().expect("leaf");
    let server = HttpsServer::start(
        leaf.identity(),
        vec![Route::new(EWS_PATH, Behaviour::unauthorized(&["NTLM"]))],
    )
    .expect("server");
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("http.access", 50),
    );
    assert!(summary(&report, "http.access").contains("404"));
}

#[test]
fn http_access_302_reports_the_location_and_does_not_follow_it() {
    let lab = Lab::new();
    let login = "https://sts.contoso.test/adfs/ls/?wa=wsignin1.0";
    let server = metadata_answers(&lab, Behaviour::redirect(login));
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("http.access", 50),
    );
    let text = summary(&report, "http.access");
    assert!(text.contains("302") && text.contains(login), "{text}");
    // Only the metadata URL was asked (four formats), never the login page
    // (EWS, asked beside it, is on its own path).
    assert_eq!(requests_for(&server, METADATA_PATH), 4);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.target == METADATA_PATH || r.target == "/EWS/Exchange.asmx"));
    assert!(!lab.dns.queries().iter().any(|q| q.starts_with("sts.")));
}

#[test]
fn http_access_500_fails() {
    let lab = Lab::new();
    let server = metadata_answers(&lab, Behaviour::status(500));
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("http.access", 50),
    );
    assert!(summary(&report, "http.access").contains("500"));
}

#[test]
fn http_content_an_html_page_fails() {
    let lab = Lab::new();
    let server = metadata_answers(
        &lab,
        Behaviour::html(
            200,
            "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>",
        ),
    );
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("http.content", 50),
    );
    assert_eq!(status(&report, "http.access"), "pass");
    assert!(
        summary(&report, "http.content").contains("HTML"),
        "{}",
        summary(&report, "http.content")
    );
}

#[test]
fn http_content_an_oversized_body_fails() {
    let lab = Lab::new();
    let server = metadata_answers(&lab, Behaviour::LargeBody { len: 3 << 20 });
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("http.content", 50),
    );
    let text = summary(&report, "http.content");
    assert!(text.contains("1 MiB"), "{text}");
}

// ---------------------------------------------------------------------------
// metadata
// ---------------------------------------------------------------------------

#[test]
fn metadata_document_json_that_is_not_a_metadata_document_fails() {
    let lab = Lab::new();
    let server = metadata_answers(
        &lab,
        Behaviour::json(r#"{"status":"ok","message":"Welcome to Exchange"}"#),
    );
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("metadata.document", 60),
    );
    assert_eq!(status(&report, "http.content"), "pass");
    assert!(summary(&report, "metadata.document").contains("keys"));
}

#[test]
fn metadata_keys_a_document_without_certificates_fails() {
    let lab = Lab::new();
    let server = metadata_answers(&lab, Behaviour::json(metadata_of(&[])));
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("metadata.keys", 60),
    );
    assert_eq!(status(&report, "metadata.document"), "pass");
}

#[test]
fn metadata_certificate_an_expired_certificate_beside_the_current_one_warns() {
    let lab = Lab::new();
    let server = metadata_answers(
        &lab,
        Behaviour::json(metadata_of(&[expired_auth_cert(), auth_cert()])),
    );
    let report = assert_all_formats(&probe(&lab, &amurl(&server)), PROBE_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "metadata.certificate"), "warn");
    assert!(summary(&report, "metadata.certificate").contains("expired"));
    assert_eq!(status(&report, "metadata.keys"), "pass");

    // Under --strict a warning is a failure. In the lab the first warning is
    // the loopback address (dns.address: allowed only by --allow-private), so
    // that is the verdict; `keys --strict` with the document offline shows
    // metadata.certificate itself as the verdict (tests/cli_diagnose.rs).
    let mut strict = probe(&lab, &amurl(&server));
    strict.push("--strict".into());
    let report = assert_json(&strict, PROBE_STAGES, Expect::Broken("dns.address", 20));
    assert_eq!(status(&report, "metadata.certificate"), "warn");
}

// ---------------------------------------------------------------------------
// ews
// ---------------------------------------------------------------------------

#[test]
fn ews_reachable_an_endpoint_that_hangs_up_fails_alone() {
    let lab = Lab::new();
    let server = lab.exchange(
        Behaviour::json(metadata_of(&[auth_cert()])),
        Behaviour::Hangup,
    );
    let report = assert_all_formats(
        &probe(&lab, &amurl(&server)),
        PROBE_STAGES,
        Expect::Broken("ews.reachable", 80),
    );
    for id in [
        "http.access",
        "http.content",
        "metadata.document",
        "metadata.keys",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}");
    }
    assert!(summary(&report, "ews.reachable").contains("/EWS/Exchange.asmx"));
}

#[test]
fn ews_reachable_any_http_answer_passes() {
    let lab = Lab::new();
    let server = lab.exchange(
        Behaviour::json(metadata_of(&[auth_cert()])),
        Behaviour::status(500),
    );
    let report = assert_json(&probe(&lab, &amurl(&server)), PROBE_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "ews.reachable"), "pass");
    assert!(summary(&report, "ews.reachable").contains("500"));
}

#[test]
fn ews_url_flag_probes_another_endpoint() {
    let lab = Lab::new();
    let metadata = lab.healthy_exchange();
    let dead = closed_port();
    let mut args = probe(&lab, &amurl(&metadata));
    args.extend(strings(&[
        "--ews-url",
        &format!("https://{HOST}:{dead}/EWS/Exchange.asmx"),
    ]));
    let report = assert_json(&args, PROBE_STAGES, Expect::Broken("ews.reachable", 80));
    assert!(summary(&report, "ews.reachable").contains(&dead.to_string()));
    assert_eq!(requests_for(&metadata, EWS_PATH), 0);
}

// ---------------------------------------------------------------------------
// The time bound: --timeout 2 ends within 3 s whatever the server does
// ---------------------------------------------------------------------------

/// Probes `target` with `--timeout 2`, asserts the run ended within the
/// bound, broke at `id` with `code`, and returns the report.
fn timed_probe(lab: &Lab, target: &str, id: &str, code: i32) -> serde_json::Value {
    let mut args = probe(lab, target);
    args.extend(strings(&["--timeout", "2", "--format", "json"]));
    let run = doctor(&args);
    assert!(
        run.elapsed < BOUND,
        "`probe --timeout 2` took {:?}",
        run.elapsed
    );
    assert_eq!(run.code, code, "{}", run.stdout);
    let report = run.json();
    assert_json_report(&report, PROBE_STAGES, Expect::Broken(id, code));
    report
}

fn assert_timed_out(report: &serde_json::Value, id: &str) {
    let text = summary(report, id);
    assert!(text.contains("timed out after 2 s"), "{id}: {text}");
}

#[test]
fn time_bound_a_server_that_accepts_and_stays_silent() {
    let lab = Lab::new();
    let server = lab.server_in_mode(Mode::Silent);
    let report = timed_probe(&lab, &amurl(&server), "tls.handshake", 40);
    assert_timed_out(&report, "tls.handshake");
    assert_eq!(status(&report, "tcp.connect"), "pass");
}

#[test]
fn time_bound_a_tls_handshake_one_byte_a_second() {
    let lab = Lab::new();
    let leaf = lab.pki.leaf(HOST).build().expect("leaf");
    let server = lab.server_in_mode(Mode::TrickleHandshake(
        leaf.identity(),
        Duration::from_secs(1),
    ));
    let report = timed_probe(&lab, &amurl(&server), "tls.handshake", 40);
    assert_timed_out(&report, "tls.handshake");
}

#[test]
fn time_bound_headers_one_byte_a_second() {
    let lab = Lab::new();
    let server = metadata_answers(
        &lab,
        Behaviour::SlowHeaders {
            response: Response::json(metadata_of(&[auth_cert()])),
            interval: Duration::from_secs(1),
        },
    );
    let report = timed_probe(&lab, &amurl(&server), "http.access", 50);
    assert_timed_out(&report, "http.access");
}

#[test]
fn time_bound_headers_for_ever() {
    let lab = Lab::new();
    let server = metadata_answers(&lab, Behaviour::EndlessHeaders);
    let report = timed_probe(&lab, &amurl(&server), "http.access", 50);
    assert_eq!(status(&report, "http.content"), "skip");
}

#[test]
fn time_bound_a_body_one_byte_a_second() {
    let lab = Lab::new();
    let server = metadata_answers(
        &lab,
        Behaviour::SlowBody {
            response: Response::json(metadata_of(&[auth_cert()])),
            interval: Duration::from_secs(1),
        },
    );
    let report = timed_probe(&lab, &amurl(&server), "http.content", 50);
    assert_timed_out(&report, "http.content");
    assert_eq!(status(&report, "http.access"), "pass");
}

#[test]
fn time_bound_an_ews_endpoint_that_never_answers() {
    let lab = Lab::new();
    let server = lab.exchange(
        Behaviour::json(metadata_of(&[auth_cert()])),
        Behaviour::NoAnswer,
    );
    let report = timed_probe(&lab, &amurl(&server), "ews.reachable", 80);
    assert_timed_out(&report, "ews.reachable");
    assert_eq!(status(&report, "metadata.keys"), "pass");
}

#[test]
fn time_bound_a_resolver_that_never_answers() {
    let lab = Lab::with_zone(Zone::new().silent(HOST));
    let mut args = probe(&lab, HOST);
    args.extend(strings(&["--timeout", "2", "--format", "json"]));
    let run = doctor(&args);
    assert!(
        run.elapsed < BOUND,
        "`probe --timeout 2` took {:?}",
        run.elapsed
    );
    // Silence says nothing about the target's DNS: inconclusive, exit 3.
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    assert_eq!(status(&report, "dns.resolve"), "error");
    assert_eq!(report["verdict"]["status"], "inconclusive");
    let text = summary(&report, "dns.resolve");
    assert!(text.contains("2 s") || text.contains("in time"), "{text}");
}

#[test]
fn time_bound_is_shared_by_the_stages_not_given_to_each() {
    let lab = Lab::new();
    // The metadata arrives whole after about 1.3 s, then EWS never answers:
    // EWS gets only what is left of the 2 s, not 2 s of its own.
    let server = lab.exchange(
        Behaviour::SlowHeaders {
            response: Response::json(metadata_of(&[auth_cert()])),
            interval: Duration::from_millis(10),
        },
        Behaviour::NoAnswer,
    );
    let report = timed_probe(&lab, &amurl(&server), "ews.reachable", 80);
    assert_eq!(status(&report, "http.access"), "pass");
    assert_eq!(status(&report, "metadata.keys"), "pass");
    assert_timed_out(&report, "ews.reachable");
}
