//! The `ews` link against the lab server on 127.0.0.1: any HTTP answer passes,
//! no answer fails.

mod e2e_support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use idtoken_doctor::budget::Budget;
use idtoken_doctor::ews;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Route};
use idtoken_doctor::lab::pki::Pki;
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{CheckId, Status};
use idtoken_doctor::settings::NetSettings;
use idtoken_doctor::target::Target;
use url::Url;

const HOST: &str = "mail.contoso.test";
const EWS_PATH: &str = "/EWS/Exchange.asmx";

fn net(pki: &Pki, timeout: Duration) -> NetSettings {
    idtoken_doctor::lab::loopback_net(vec![pki.ca_der()], timeout)
}

fn server(pki: &Pki, behaviour: Behaviour) -> HttpsServer {
    let identity = pki.leaf(HOST).build().expect("leaf").identity();
    HttpsServer::start(identity, vec![Route::new(EWS_PATH, behaviour)]).expect("server")
}

#[test]
fn a_401_passes_and_names_the_schemes() {
    let pki = Pki::new().expect("pki");
    let server = server(&pki, Behaviour::unauthorized(&["Negotiate", "NTLM"]));
    // The URL the caller derives from the amurl: same host and port.
    let amurl =
        Target::from_url(&server.url(HOST, "/autodiscover/metadata/json/1")).expect("target");
    let budget = Budget::new(Duration::from_secs(5));
    let check = ews::run(
        &amurl.ews_url(),
        Some(server.addr()),
        &net(&pki, Duration::from_secs(5)),
        &budget,
    );
    assert_eq!(check.id, CheckId::EwsReachable);
    assert_eq!(check.status, Status::Pass, "{check:#?}");
    assert!(check.summary.contains("401"), "{}", check.summary);
    assert!(
        check.summary.contains("Negotiate, NTLM"),
        "{}",
        check.summary
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].target, EWS_PATH);
    assert_eq!(requests[0].header("authorization"), None);
}

#[test]
fn a_404_passes_but_says_ews_is_not_published_there() {
    let pki = Pki::new().expect("pki");
    let server = server(&pki, Behaviour::status(200));
    let url = Url::parse(&server.url(HOST, "/EWS/Other.asmx")).expect("url");
    let budget = Budget::new(Duration::from_secs(5));
    let check = ews::run(
        &url,
        Some(server.addr()),
        &net(&pki, Duration::from_secs(5)),
        &budget,
    );
    assert_eq!(check.status, Status::Pass, "{check:#?}");
    assert!(check.summary.contains("404"), "{}", check.summary);
    assert!(check.summary.contains("not published"), "{}", check.summary);
}

#[test]
fn a_closed_port_fails_with_the_ews_remedy() {
    let pki = Pki::new().expect("pki");
    let closed: SocketAddr = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let url = Url::parse(&format!("https://{HOST}:{}{EWS_PATH}", closed.port())).expect("url");
    let budget = Budget::new(Duration::from_secs(5));
    let check = ews::run(
        &url,
        Some(closed),
        &net(&pki, Duration::from_secs(5)),
        &budget,
    );
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::EwsUnreachable));
    assert!(
        check.summary.contains("connection refused"),
        "{}",
        check.summary
    );
}

#[test]
fn a_server_that_never_answers_fails_within_the_budget() {
    let pki = Pki::new().expect("pki");
    let server = server(&pki, Behaviour::NoAnswer);
    let url = Url::parse(&server.url(HOST, EWS_PATH)).expect("url");
    let budget = Budget::new(Duration::from_secs(2));
    let check = ews::run(
        &url,
        Some(server.addr()),
        &net(&pki, Duration::from_secs(2)),
        &budget,
    );
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.summary.contains("timed out after 2 s"),
        "{}",
        check.summary
    );
}

#[test]
fn a_tls_failure_is_no_answer() {
    let pki = Pki::new().expect("pki");
    let server = server(&pki, Behaviour::status(401));
    let url = Url::parse(&server.url(HOST, EWS_PATH)).expect("url");
    let mut settings = net(&pki, Duration::from_secs(5));
    settings.extra_roots.clear();
    let budget = Budget::new(Duration::from_secs(5));
    let check = ews::run(&url, Some(server.addr()), &settings, &budget);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::EwsUnreachable));
    assert!(check.summary.contains("TLS failed"), "{}", check.summary);
}

#[test]
fn another_host_on_a_private_address_is_not_connected_to_without_allow_private() {
    let pki = Pki::new().expect("pki");
    let server = server(&pki, Behaviour::unauthorized(&["NTLM"]));
    let url = Url::parse(&server.url("127.0.0.1", EWS_PATH)).expect("url");
    let mut settings = net(&pki, Duration::from_secs(5));
    settings.allow_private = false;
    let budget = Budget::new(Duration::from_secs(5));
    let check = ews::run(&url, None, &settings, &budget);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::EwsUnreachable));
    assert!(
        check.summary.contains("--allow-private"),
        "{}",
        check.summary
    );
    assert_eq!(server.connections(), 0);
}

/// A name with 17 addresses, only the last reachable (127.0.0.2 to .17 all
/// route to lo and nothing listens there): EWS tries the address `tcp.connect`
/// connected to first, where the HTTP client would take only the first 16.
#[test]
fn ews_goes_first_to_the_address_tcp_connected_to() {
    let mut ips: Vec<IpAddr> = (2..=17)
        .map(|n| IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .collect();
    ips.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let lab =
        e2e_support::Lab::with_zone(idtoken_doctor::lab::dns::Zone::new().addresses(HOST, ips));
    let server = lab.healthy_exchange();
    let mut args = vec!["probe".to_string(), e2e_support::amurl(&server)];
    args.extend(lab.args());
    args.extend(["--format", "json", "--timeout", "10"].map(String::from));
    let run = e2e_support::doctor(&args);
    let report = run.json();
    let check = |id: &str| {
        report["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["id"] == id).cloned())
            .unwrap_or_else(|| panic!("{id} missing:\n{}", run.stdout))
    };
    let tcp = check("tcp.connect");
    assert_eq!(tcp["status"], "pass", "{tcp}");
    assert_eq!(
        tcp["details"]["peer"],
        format!("127.0.0.1:{}", server.port())
    );
    let ews = check("ews.reachable");
    assert_eq!(ews["status"], "pass", "{ews}");
    assert_eq!(
        ews["details"]["connected_to"][0],
        format!("127.0.0.1:{}", server.port()),
        "{ews}"
    );
}
