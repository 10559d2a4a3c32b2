//! A token must not be able to point the tool at the engineer's own network:
//! without `--allow-private`, no connection to a non-public address, however
//! the address is written or wherever DNS says it is. A lab server listens
//! on loopback as the sentinel: its `connections()` counts every attempt
//! that reached it. With `--allow-private` the same targets do connect, which
//! proves that the sentinel would have seen one.

mod hostile_support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hostile_support::{args, run, status, token_for, Lab, Run, HOST, METADATA_PATH};
use idtoken_doctor::budget::Budget;
use idtoken_doctor::lab::authcert::{metadata_json, MetadataOptions};
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Mode, Route};
use idtoken_doctor::report::Status;
use idtoken_doctor::settings::NetSettings;
use url::Url;

const EWS_PATH: &str = "/EWS/Exchange.asmx";

/// Public-looking names the lab resolver answers with non-public addresses.
const MAPPED_V6_NAME: &str = "mapped.contoso.test";
const UNSPECIFIED_NAME: &str = "zero.contoso.test";
const PRIVATE_MIX_NAME: &str = "mixed.contoso.test";

fn zone() -> Zone {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    Zone::new()
        .address(HOST, loopback)
        .address(
            MAPPED_V6_NAME,
            IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        )
        .address(UNSPECIFIED_NAME, IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        .addresses(
            PRIVATE_MIX_NAME,
            [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), loopback],
        )
}

/// A healthy Exchange on 127.0.0.1 whose certificate names every way the
/// tests write its address, so that `--allow-private` runs pass throughout.
fn exchange(lab: &Lab) -> HttpsServer {
    let leaf = lab
        .pki
        .leaf(HOST)
        .also_named("127.0.0.1")
        .also_named("0.0.0.0")
        .also_named("::ffff:127.0.0.1")
        .also_named(MAPPED_V6_NAME)
        .also_named(UNSPECIFIED_NAME)
        .also_named(PRIVATE_MIX_NAME)
        .build()
        .expect("leaf");
    let metadata = metadata_json(&[hostile_support::auth_cert()], &MetadataOptions::default());
    HttpsServer::start(
        leaf.identity(),
        vec![
            Route::new(METADATA_PATH, Behaviour::json(metadata)),
            Route::new(EWS_PATH, Behaviour::unauthorized(&["Negotiate", "NTLM"])),
        ],
    )
    .expect("server")
}

/// `diagnose` of a token naming `amurl`, with or without `--allow-private`.
fn diagnose(lab: &Lab, amurl: &str, allow_private: bool, extra: &[&str]) -> Run {
    let token = token_for(amurl);
    let mut argv = args(["diagnose", "-", "--format", "json"]);
    argv.extend(lab.net_args(2));
    if allow_private {
        argv.push("--allow-private".into());
    }
    argv.extend(args(extra));
    run(&argv, Some(&token), Duration::from_secs(30))
}

/// The amurls that name the server's loopback address, each a different way.
fn literal_amurls(port: u16) -> Vec<String> {
    [
        "127.0.0.1",
        "127.1",              // shorthand, parsed as 127.0.0.1
        "2130706433",         // the same address as one decimal number
        "0x7f000001",         // and as one hexadecimal number
        "0.0.0.0",            // the unspecified address reaches local servers
        "[::ffff:127.0.0.1]", // IPv4-mapped IPv6
    ]
    .iter()
    .map(|host| format!("https://{host}:{port}{METADATA_PATH}"))
    .collect()
}

/// The amurls whose public-looking host the lab DNS answers with non-public addresses.
fn name_amurls(port: u16) -> Vec<String> {
    [HOST, MAPPED_V6_NAME, UNSPECIFIED_NAME, PRIVATE_MIX_NAME]
        .iter()
        .map(|host| format!("https://{host}:{port}{METADATA_PATH}"))
        .collect()
}

fn assert_refused(out: &Run, server: &HttpsServer, check_id: &str, what: &str) {
    let report = out.report();
    assert_eq!(out.code, Some(20), "{what}: {:#}", report["verdict"]);
    assert_eq!(report["verdict"]["check"], check_id, "{what}");
    assert_eq!(status(&report, "tcp.connect"), "skip", "{what}");
    assert_eq!(
        server.connections(),
        0,
        "{what}: a connection reached the server"
    );
}

#[test]
fn an_amurl_naming_a_loopback_address_opens_no_connection() {
    let lab = Lab::with_zone(zone());
    let server = exchange(&lab);
    for amurl in literal_amurls(server.port()) {
        let out = diagnose(&lab, &amurl, false, &[]);
        assert_refused(&out, &server, "dns.name", &amurl);
        let summary = hostile_support::summary(&out.report(), "dns.name").to_string();
        assert!(summary.contains("SSI cannot reach"), "{amurl}: {summary}");
    }
    assert!(lab.dns.queries().is_empty(), "an IP literal needs no DNS");
}

#[test]
fn a_public_name_resolving_to_a_non_public_address_opens_no_connection() {
    let lab = Lab::with_zone(zone());
    let server = exchange(&lab);
    for amurl in name_amurls(server.port()) {
        let out = diagnose(&lab, &amurl, false, &[]);
        assert_refused(&out, &server, "dns.address", &amurl);
    }
}

#[test]
fn probe_of_a_url_or_a_pinned_name_opens_no_connection() {
    let lab = Lab::with_zone(zone());
    let server = exchange(&lab);
    let pinned = format!("{HOST}:{}:127.0.0.1", server.port());
    for (target, extra, check_id) in [
        (
            format!("https://127.0.0.1:{}{METADATA_PATH}", server.port()),
            vec![],
            "dns.name",
        ),
        (lab.amurl(&server), vec![], "dns.address"),
        (
            lab.amurl(&server),
            vec!["--resolve".to_string(), pinned],
            "dns.address",
        ),
    ] {
        let mut argv = args(["probe", &target, "--format", "json"]);
        argv.extend(lab.net_args(2));
        argv.extend(extra);
        let out = run(&argv, None, Duration::from_secs(30));
        assert_refused(&out, &server, check_id, &target);
    }
}

#[test]
fn with_allow_private_the_same_targets_connect() {
    let lab = Lab::with_zone(zone());
    let server = exchange(&lab);
    let mut seen = 0;
    for amurl in literal_amurls(server.port())
        .into_iter()
        .chain(name_amurls(server.port()))
    {
        let out = diagnose(&lab, &amurl, true, &[]);
        let report = out.report();
        assert_eq!(out.code, Some(0), "{amurl}: {:#}", report["checks"]);
        assert_eq!(status(&report, "key.signature"), "pass", "{amurl}");
        assert!(
            server.connections() > seen,
            "{amurl}: no connection counted"
        );
        seen = server.connections();
    }
}

#[test]
fn an_ews_url_on_loopback_is_not_asked_without_allow_private() {
    let lab = Lab::with_zone(zone());
    let ews_leaf = lab.pki.leaf("127.0.0.1").build().expect("leaf");
    let ews = HttpsServer::start(
        ews_leaf.identity(),
        vec![Route::any(Behaviour::unauthorized(&["NTLM"]))],
    )
    .expect("ews server");
    let ews_url = format!("https://127.0.0.1:{}{EWS_PATH}", ews.port());
    let net = |allow_private: bool| NetSettings {
        timeout: Duration::from_secs(2),
        pins: Vec::new(),
        dns_servers: vec![lab.dns.addr()],
        doh: Default::default(),
        system_dns: false,
        proxy: None,
        env_proxy_unused: None,
        ca_file: None,
        extra_roots: vec![lab.pki.ca_der()],
        allow_private,
        ews_url: None,
    };
    let url = Url::parse(&ews_url).expect("url");

    // The link itself: no peer vetted by the chain, so it vets the URL.
    let refused = idtoken_doctor::ews::run(
        &url,
        None,
        &net(false),
        &Budget::new(Duration::from_secs(2)),
    );
    assert_eq!(refused.status, Status::Fail, "{refused:?}");
    assert!(refused.summary.contains("not asked"), "{}", refused.summary);
    assert!(
        refused.summary.contains("--allow-private"),
        "{}",
        refused.summary
    );
    assert_eq!(ews.connections(), 0);

    // Through the binary: the amurl is on loopback too, so the chain stops
    // at dns and EWS is never reached.
    let server = exchange(&lab);
    let out = diagnose(&lab, &lab.amurl(&server), false, &["--ews-url", &ews_url]);
    assert_refused(&out, &server, "dns.address", "--ews-url on loopback");
    assert_eq!(status(&out.report(), "ews.reachable"), "skip");
    assert_eq!(ews.connections(), 0);

    // The sentinel works: allowed, the same URL is asked, by the link and by the binary.
    let asked =
        idtoken_doctor::ews::run(&url, None, &net(true), &Budget::new(Duration::from_secs(2)));
    assert_eq!(asked.status, Status::Pass, "{asked:?}");
    assert_eq!(ews.connections(), 1);
    let out = diagnose(&lab, &lab.amurl(&server), true, &["--ews-url", &ews_url]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert_eq!(status(&out.report(), "ews.reachable"), "pass");
    assert_eq!(ews.connections(), 2);
}

#[test]
fn keys_with_a_metadata_url_on_loopback_opens_no_connection() {
    let lab = Lab::with_zone(zone());
    let server = exchange(&lab);
    // The token's own amurl is never fetched by `keys --metadata URL`.
    let token = token_for("https://mail.contoso.com/autodiscover/metadata/json/1");
    let keys = |metadata: &str, allow_private: bool| {
        let mut argv = args(["keys", "-", "--metadata", metadata, "--format", "json"]);
        argv.extend(lab.net_args(2));
        if allow_private {
            argv.push("--allow-private".into());
        }
        run(&argv, Some(&token), Duration::from_secs(30))
    };
    let literal = format!("https://127.0.0.1:{}{METADATA_PATH}", server.port());
    let named = lab.amurl(&server);
    for (metadata, check_id) in [(&literal, "dns.name"), (&named, "dns.address")] {
        let out = keys(metadata, false);
        assert_refused(&out, &server, check_id, metadata);
    }
    assert!(
        !lab.dns
            .queries()
            .iter()
            .any(|q| q.contains("mail.contoso.com")),
        "the token's amurl is not looked up: {:?}",
        lab.dns.queries()
    );
    for metadata in [&literal, &named] {
        let before = server.connections();
        let out = keys(metadata, true);
        assert_eq!(out.code, Some(0), "{metadata}: {}", out.stdout);
        assert_eq!(status(&out.report(), "key.signature"), "pass");
        assert!(server.connections() > before, "{metadata}: not fetched");
    }
}

#[test]
fn an_ipv6_loopback_amurl_opens_no_connection() {
    let lab = Lab::with_zone(zone());
    let leaf = lab.pki.leaf("::1").build().expect("leaf");
    let Ok(server) = HttpsServer::start_on(
        IpAddr::V6(Ipv6Addr::LOCALHOST),
        Mode::Tls(leaf.identity()),
        vec![Route::any(Behaviour::json("{}"))],
    ) else {
        // No IPv6 loopback on this machine: nothing to reach, nothing to refuse.
        eprintln!("skipped: cannot listen on [::1]");
        return;
    };
    let amurl = format!("https://[::1]:{}{METADATA_PATH}", server.port());
    let out = diagnose(&lab, &amurl, false, &[]);
    assert_refused(&out, &server, "dns.name", &amurl);
    let out = diagnose(&lab, &amurl, true, &[]);
    assert_eq!(out.code, Some(60), "{}", out.stdout);
    assert!(server.connections() > 0, "--allow-private reaches [::1]");
}
