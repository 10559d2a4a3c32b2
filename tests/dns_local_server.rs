//! The `dns` stage against the in-process DNS server on 127.0.0.1.
//!
//! Addresses such as 20.1.2.3 only stand for "public" here: these tests never
//! connect to them, and prove that non-public answers are never connected to.

mod dns_support;

use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use dns_support::{
    a_after_aaaa, address_record, answer, asked, cname_record, framed, nodata, oversized,
    read_query, response, send, servfail, truncated, wire, ScriptedDns, Sends,
};
use hickory_proto::rr::RecordType;

use idtoken_doctor::budget::Budget;
use idtoken_doctor::dns::{self, DnsOutcome};
use idtoken_doctor::lab::dns::{DnsServer, Zone};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{Check, CheckId, Status};
use idtoken_doctor::settings::{NetSettings, Pin};
use idtoken_doctor::target::Target;
use idtoken_doctor::tcp;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an IP address")
}

fn settings(servers: Vec<SocketAddr>) -> NetSettings {
    NetSettings {
        timeout: Duration::from_secs(10),
        pins: Vec::new(),
        dns_servers: servers,
        doh: Default::default(),
        system_dns: false,
        proxy: None,
        env_proxy_unused: None,
        ca_file: None,
        extra_roots: Vec::new(),
        allow_private: false,
        ews_url: None,
    }
}

fn target(host: &str) -> Target {
    Target::parse(host).expect("a target")
}

fn check(outcome: &DnsOutcome, id: CheckId) -> &Check {
    outcome
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} missing from {:?}", outcome.checks))
}

fn statuses(outcome: &DnsOutcome) -> Vec<(CheckId, Status)> {
    outcome.checks.iter().map(|c| (c.id, c.status)).collect()
}

#[test]
fn a_public_answer_passes_and_is_passed_on() {
    let server = DnsServer::start(
        Zone::new()
            .address("mail.contoso.test", ip("20.1.2.3"))
            .address("mail.contoso.test", ip("2a00:1450:4001::5")),
    )
    .expect("dns server");
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![server.addr()]),
        &Budget::new(Duration::from_secs(10)),
    );
    assert_eq!(
        statuses(&outcome),
        vec![
            (CheckId::DnsName, Status::Pass),
            (CheckId::DnsResolve, Status::Pass),
            (CheckId::DnsAddress, Status::Pass),
            (CheckId::DnsSplitHorizon, Status::Skip),
        ]
    );
    assert_eq!(
        outcome.addresses,
        vec![ip("20.1.2.3"), ip("2a00:1450:4001::5")]
    );
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert!(resolve.summary.contains("1 of 1"), "{}", resolve.summary);
    let resolvers = resolve.details["resolvers"]
        .as_array()
        .expect("per resolver");
    assert_eq!(resolvers[0]["server"], server.addr().to_string());
    assert_eq!(resolvers[0]["A"], "20.1.2.3");
    assert!(check(&outcome, CheckId::DnsSplitHorizon)
        .summary
        .contains("--no-system-dns"));
    let mut asked = server.queries();
    asked.sort();
    assert_eq!(asked, vec!["mail.contoso.test A", "mail.contoso.test AAAA"]);
}

#[test]
fn a_private_answer_fails_and_nothing_connects_to_it() {
    // A listener that would see any connection the tool made to the answer.
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let server = DnsServer::start(Zone::new().address("mail.contoso.test", ip("127.0.0.1")))
        .expect("dns server");
    let net = settings(vec![server.addr()]);
    let budget = Budget::new(Duration::from_secs(10));
    let target = target(&format!("mail.contoso.test:{port}"));

    let outcome = dns::run(&target, &net, &budget);
    let address = check(&outcome, CheckId::DnsAddress);
    assert_eq!(
        (address.status, address.remedy),
        (Status::Fail, Some(Remedy::PublicAddress))
    );
    assert!(
        address.summary.contains("127.0.0.1 (loopback)"),
        "{}",
        address.summary
    );
    assert_eq!(address.details["addresses"][0]["class"], "loopback");
    assert!(outcome.addresses.is_empty());

    // The tcp stage gets nothing to connect to, and refuses even when handed
    // the address directly.
    let nothing = tcp::run(&target, &outcome.addresses, &net, &budget);
    assert_eq!(nothing.checks[0].status, Status::Skip);
    let handed = tcp::run(&target, &[ip("127.0.0.1")], &net, &budget);
    assert_eq!(handed.checks[0].status, Status::Skip);
    assert!(
        handed.checks[0].summary.contains("--allow-private"),
        "{}",
        handed.checks[0].summary
    );
    assert!(handed.stream.is_none());

    std::thread::sleep(Duration::from_millis(100));
    assert!(
        listener.accept().is_err(),
        "the listener saw a connection: the tool connected to a private address"
    );
}

#[test]
fn with_allow_private_a_private_answer_is_a_warning_and_passed_on() {
    let server = DnsServer::start(Zone::new().address("mail.contoso.test", ip("10.0.0.5")))
        .expect("dns server");
    let mut net = settings(vec![server.addr()]);
    net.allow_private = true;
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &net,
        &Budget::new(Duration::from_secs(10)),
    );
    let address = check(&outcome, CheckId::DnsAddress);
    assert_eq!(
        (address.status, address.remedy),
        (Status::Warn, Some(Remedy::PublicAddress))
    );
    assert_eq!(outcome.addresses, vec![ip("10.0.0.5")]);
}

#[test]
fn mixed_answers_warn_and_only_public_addresses_go_on() {
    let server = DnsServer::start(
        Zone::new().addresses("mail.contoso.test", [ip("10.0.0.5"), ip("20.1.2.3")]),
    )
    .expect("dns server");
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![server.addr()]),
        &Budget::new(Duration::from_secs(10)),
    );
    let address = check(&outcome, CheckId::DnsAddress);
    assert_eq!(
        (address.status, address.remedy),
        (Status::Warn, Some(Remedy::MixedAddresses))
    );
    assert_eq!(outcome.addresses, vec![ip("20.1.2.3")]);
}

#[test]
fn nxdomain_fails_dns_resolve() {
    let server = DnsServer::start(Zone::new().nxdomain("mail.contoso.test")).expect("dns server");
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![server.addr()]),
        &Budget::new(Duration::from_secs(10)),
    );
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert_eq!(
        (resolve.status, resolve.remedy),
        (Status::Fail, Some(Remedy::PublishDnsName))
    );
    assert!(resolve.summary.contains("NXDOMAIN"), "{}", resolve.summary);
    assert_eq!(check(&outcome, CheckId::DnsAddress).status, Status::Skip);
    assert!(outcome.addresses.is_empty());
}

#[test]
fn a_name_without_addresses_fails_dns_resolve() {
    let server =
        DnsServer::start(Zone::new().without_addresses("mail.contoso.test")).expect("dns server");
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![server.addr()]),
        &Budget::new(Duration::from_secs(10)),
    );
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert_eq!(
        (resolve.status, resolve.remedy),
        (Status::Fail, Some(Remedy::PublishDnsName))
    );
    assert!(
        resolve.summary.contains("no A or AAAA record"),
        "{}",
        resolve.summary
    );
}

#[test]
fn servfail_fails_dns_resolve() {
    let server = DnsServer::start(Zone::new().servfail("mail.contoso.test")).expect("dns server");
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![server.addr()]),
        &Budget::new(Duration::from_secs(10)),
    );
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert_eq!(
        (resolve.status, resolve.remedy),
        (Status::Fail, Some(Remedy::DnsUnanswered))
    );
    assert!(resolve.summary.contains("SERVFAIL"), "{}", resolve.summary);
}

#[test]
fn a_resolver_that_never_answers_is_inconclusive_within_the_budget() {
    let server = DnsServer::start(Zone::new().silent("mail.contoso.test")).expect("dns server");
    let budget = Budget::new(Duration::from_millis(1500));
    let started = Instant::now();
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![server.addr()]),
        &budget,
    );
    let took = started.elapsed();
    let resolve = check(&outcome, CheckId::DnsResolve);
    // Silence says nothing about the name: this machine's network, not the target's DNS.
    assert_eq!(
        (resolve.status, resolve.remedy),
        (Status::Error, Some(Remedy::DnsResolversUnreachable))
    );
    assert_eq!(resolve.details["cause"], "resolvers-unreachable");
    assert!(
        resolve.summary.contains("none answered within 1.5 s"),
        "{}",
        resolve.summary
    );
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    // UDP first; after a second of silence the same resolver over TCP.
    let queries = server.queries();
    assert!(
        queries.iter().filter(|q| q.ends_with(" A")).count() >= 2,
        "{queries:?}"
    );
    let rows = resolve.details["resolvers"].as_array().expect("rows");
    let transports: Vec<&str> = rows
        .iter()
        .map(|r| r["transport"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(transports, vec!["udp", "tcp"]);
}

#[test]
fn a_resolver_port_that_refuses_is_inconclusive_at_once() {
    // Nothing listens on this UDP port (nor TCP): the kernel answers with
    // ICMP port unreachable, which a connected socket sees as "refused".
    let closed = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a port");
    let budget = Budget::new(Duration::from_secs(10));
    let started = Instant::now();
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![closed]),
        &budget,
    );
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert_eq!(
        (resolve.status, resolve.remedy),
        (Status::Error, Some(Remedy::DnsResolversUnreachable))
    );
    assert!(
        resolve.summary.contains("none could be reached"),
        "{}",
        resolve.summary
    );
    // Each resolver's outcome is told once, in `outcomes`.
    let outcomes = resolve.details["outcomes"].to_string();
    assert!(outcomes.contains("refused"), "{outcomes}");
    // Refusals are known at once: no waiting for the budget.
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn every_resolver_gets_a_and_aaaa_once_in_one_round() {
    let zone = Zone::new().address("mail.contoso.test", ip("20.1.2.3"));
    let first = DnsServer::start(zone.clone()).expect("dns server");
    let second = DnsServer::start(zone).expect("dns server");
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![first.addr(), second.addr()]),
        &Budget::new(Duration::from_secs(10)),
    );
    assert_eq!(check(&outcome, CheckId::DnsResolve).status, Status::Pass);
    for server in [&first, &second] {
        let mut queries = server.queries();
        queries.sort();
        assert_eq!(
            queries,
            vec!["mail.contoso.test A", "mail.contoso.test AAAA"],
            "one query per type, no retry, no TCP, no fallback"
        );
    }
    let rows = check(&outcome, CheckId::DnsResolve).details["resolvers"]
        .as_array()
        .expect("rows")
        .len();
    assert_eq!(rows, 2, "no fallback was started");
}

#[test]
fn a_dead_resolver_costs_nothing_when_another_answers() {
    // Receives queries and never answers.
    let dead = UdpSocket::bind("127.0.0.1:0").expect("dead resolver");
    let live = DnsServer::start(Zone::new().address("mail.contoso.test", ip("20.1.2.3")))
        .expect("dns server");
    let budget = Budget::new(Duration::from_secs(10));
    let started = Instant::now();
    let outcome = dns::run(
        &target("mail.contoso.test"),
        &settings(vec![dead.local_addr().expect("addr"), live.addr()]),
        &budget,
    );
    assert_eq!(check(&outcome, CheckId::DnsResolve).status, Status::Pass);
    assert_eq!(outcome.addresses, vec![ip("20.1.2.3")]);
    let resolvers = check(&outcome, CheckId::DnsResolve).details["resolvers"]
        .as_array()
        .expect("per resolver")
        .clone();
    // The dead one was given up on once the live one had answered, not at the deadline.
    assert_eq!(
        resolvers[0]["answer"],
        "no answer yet when the others had answered"
    );
    assert_eq!(resolvers[1]["answer"], "20.1.2.3");
    assert!(started.elapsed() < Duration::from_secs(11));
}

#[test]
fn a_resolve_pin_skips_the_resolvers_but_not_the_judgements() {
    let server = DnsServer::start(Zone::new().address("mail.contoso.test", ip("20.1.2.3")))
        .expect("dns server");
    let mut net = settings(vec![server.addr()]);
    net.pins = vec![Pin {
        host: "mail.contoso.test".into(),
        port: 443,
        addr: ip("127.0.0.1"),
    }];
    let budget = Budget::new(Duration::from_secs(10));

    let refused = dns::run(&target("mail.contoso.test"), &net, &budget);
    assert_eq!(
        statuses(&refused),
        vec![
            (CheckId::DnsName, Status::Pass),
            (CheckId::DnsResolve, Status::Skip),
            (CheckId::DnsAddress, Status::Fail),
            (CheckId::DnsSplitHorizon, Status::Skip),
        ]
    );
    assert!(check(&refused, CheckId::DnsResolve)
        .summary
        .contains("pinned by --resolve"));
    assert!(refused.addresses.is_empty());

    net.allow_private = true;
    let allowed = dns::run(&target("mail.contoso.test"), &net, &budget);
    assert_eq!(check(&allowed, CheckId::DnsAddress).status, Status::Warn);
    assert_eq!(allowed.addresses, vec![ip("127.0.0.1")]);

    // The pin is for port 443 only: another port is resolved as usual.
    let other_port = dns::run(&target("mail.contoso.test:8443"), &net, &budget);
    assert_eq!(check(&other_port, CheckId::DnsResolve).status, Status::Pass);
    assert_eq!(
        server.queries().len(),
        2,
        "only the unpinned port was resolved"
    );
}

#[test]
fn internal_names_and_ip_literals_are_not_sent_to_resolvers() {
    let server = DnsServer::start(Zone::new().address("mail.contoso.local", ip("20.1.2.3")))
        .expect("dns server");
    let net = settings(vec![server.addr()]);
    let budget = Budget::new(Duration::from_secs(10));

    let internal = dns::run(&target("mail.contoso.local"), &net, &budget);
    let name = check(&internal, CheckId::DnsName);
    assert_eq!(
        (name.status, name.remedy),
        (Status::Fail, Some(Remedy::InternalHostName))
    );
    assert_eq!(check(&internal, CheckId::DnsResolve).status, Status::Skip);
    assert!(internal.addresses.is_empty());

    let single = dns::run(&target("exchange01"), &net, &budget);
    assert_eq!(check(&single, CheckId::DnsName).status, Status::Fail);

    let literal = dns::run(
        &target("https://20.1.2.3/autodiscover/metadata/json/1"),
        &net,
        &budget,
    );
    assert_eq!(
        statuses(&literal),
        vec![
            (CheckId::DnsName, Status::Pass),
            (CheckId::DnsResolve, Status::Skip),
            (CheckId::DnsAddress, Status::Pass),
            (CheckId::DnsSplitHorizon, Status::Skip),
        ]
    );
    assert!(check(&literal, CheckId::DnsResolve)
        .summary
        .contains("IP address"));
    assert_eq!(literal.addresses, vec![ip("20.1.2.3")]);

    let private = dns::run(
        &target("https://192.168.1.10/autodiscover/metadata/json/1"),
        &net,
        &budget,
    );
    let name = check(&private, CheckId::DnsName);
    assert_eq!(
        (name.status, name.remedy),
        (Status::Fail, Some(Remedy::PublicAddress))
    );
    assert!(private.addresses.is_empty());

    assert!(server.queries().is_empty(), "asked: {:?}", server.queries());
}

#[test]
fn resolve_for_connect_honours_pins_resolvers_and_the_private_rule() {
    let server = DnsServer::start(
        Zone::new()
            .address("ews.contoso.test", ip("20.1.2.3"))
            .address("inside.contoso.test", ip("10.0.0.5")),
    )
    .expect("dns server");
    let mut net = settings(vec![server.addr()]);
    let budget = Budget::new(Duration::from_secs(10));

    assert_eq!(
        dns::resolve_for_connect("ews.contoso.test", 443, &net, &budget),
        Ok(vec![ip("20.1.2.3")])
    );
    let refused = dns::resolve_for_connect("inside.contoso.test", 443, &net, &budget)
        .expect_err("a private address is refused");
    assert!(refused.why.contains("--allow-private"), "{refused}");
    assert!(!refused.resolvers_unreachable);
    let missing = dns::resolve_for_connect("gone.contoso.test", 443, &net, &budget)
        .expect_err("an unknown name");
    assert!(missing.why.contains("NXDOMAIN"), "{missing}");
    // NXDOMAIN is an answer: the host's DNS, not this machine's network.
    assert!(!missing.resolvers_unreachable);
    assert!(dns::resolve_for_connect("127.0.0.1", 443, &net, &budget).is_err());

    net.pins = vec![Pin {
        host: "ews.contoso.test".into(),
        port: 443,
        addr: ip("127.0.0.1"),
    }];
    net.allow_private = true;
    let asked_before = server.queries().len();
    assert_eq!(
        dns::resolve_for_connect("ews.contoso.test", 443, &net, &budget),
        Ok(vec![ip("127.0.0.1")])
    );
    assert_eq!(
        server.queries().len(),
        asked_before,
        "a pinned host is not resolved"
    );
    assert_eq!(
        dns::resolve_for_connect("inside.contoso.test", 443, &net, &budget),
        Ok(vec![ip("10.0.0.5")])
    );
}

/// `dns.resolve` on the scripted server, as the tool runs it: one resolver
/// named as ADDR:PORT, no system resolver.
fn resolve_on(server: &ScriptedDns, budget: Duration) -> DnsOutcome {
    dns::run(
        &target("mail.contoso.test"),
        &settings(vec![server.addr()]),
        &Budget::new(budget),
    )
}

/// What `dig` also gives for the IPv4-only host: a pass with its one address.
fn assert_passes_with_the_a_address(outcome: &DnsOutcome) {
    let resolve = check(outcome, CheckId::DnsResolve);
    assert_eq!(resolve.status, Status::Pass, "{}", resolve.summary);
    assert_eq!(
        outcome.addresses,
        vec![ip("20.1.2.3")],
        "{}",
        resolve.summary
    );
    assert_eq!(resolve.details["resolvers"][0]["A"], "20.1.2.3");
}

const LATE: Duration = Duration::from_millis(300);

#[test]
fn an_a_answer_later_than_the_aaaa_no_records_is_waited_for() {
    // An IPv4-only host: AAAA "no records" at once, the A answer 300 ms later.
    let server = a_after_aaaa("20.1.2.3", LATE, nodata);
    assert_passes_with_the_a_address(&resolve_on(&server, Duration::from_secs(5)));
}

#[test]
fn a_lost_a_datagram_is_asked_again() {
    let server = ScriptedDns::udp(|query, attempt| match (asked(query), attempt) {
        (RecordType::A, 0) => Sends::new(),
        (RecordType::A, _) => vec![(Duration::ZERO, answer(query, "20.1.2.3"))],
        _ => vec![(Duration::ZERO, nodata(query))],
    });
    assert_passes_with_the_a_address(&resolve_on(&server, Duration::from_secs(5)));
    let a_queries = server
        .queries()
        .iter()
        .filter(|q| q.ends_with(" A"))
        .count();
    assert_eq!(a_queries, 2, "{:?}", server.queries());
}

#[test]
fn an_aaaa_servfail_does_not_hide_the_a_answer() {
    let server = a_after_aaaa("20.1.2.3", LATE, servfail);
    assert_passes_with_the_a_address(&resolve_on(&server, Duration::from_secs(5)));
}

#[test]
fn an_a_answer_over_4096_bytes_is_read_whole() {
    let server = ScriptedDns::udp(|query, _| match asked(query) {
        RecordType::A => vec![(Duration::ZERO, oversized(query, "20.1.2.3", 4900))],
        _ => vec![(Duration::ZERO, nodata(query))],
    });
    assert_passes_with_the_a_address(&resolve_on(&server, Duration::from_secs(5)));
}

#[test]
fn an_a_query_never_answered_is_no_answer_in_time_not_no_records() {
    let server = ScriptedDns::udp(|query, _| match asked(query) {
        RecordType::A => Sends::new(),
        _ => vec![(Duration::ZERO, nodata(query))],
    });
    let outcome = resolve_on(&server, Duration::from_millis(1500));
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert_eq!(resolve.details["resolvers"][0]["A"], "no answer in time");
    assert!(
        !resolve.summary.contains("no A or AAAA record"),
        "{}",
        resolve.summary
    );
    assert_ne!(resolve.remedy, Some(Remedy::PublishDnsName));
}

/// A UDP side that sends every query to TCP (TC=1), as for a long answer.
fn truncating(query: &hickory_proto::op::Message, _: usize) -> Sends {
    vec![(Duration::ZERO, truncated(query))]
}

#[test]
fn a_length_prefix_split_over_two_reads_is_kept() {
    let server = ScriptedDns::with_tcp(truncating, |mut stream, _| {
        while let Ok(query) = read_query(&mut stream) {
            let reply = match asked(&query) {
                RecordType::A => answer(&query, "20.1.2.3"),
                _ => nodata(&query),
            };
            let reply = framed(&reply);
            // The first byte of the length alone, then the rest once the
            // client's read has had time to end on it.
            send(&mut stream, &reply[..1]);
            thread::sleep(LATE);
            send(&mut stream, &reply[1..]);
        }
    });
    let outcome = resolve_on(&server, Duration::from_secs(5));
    assert_passes_with_the_a_address(&outcome);
}

#[test]
fn a_resolver_dripping_bytes_over_tcp_is_let_go_at_the_deadline() {
    let ended: Arc<Mutex<Option<Instant>>> = Arc::default();
    let ended_by_client = ended.clone();
    let server = ScriptedDns::with_tcp(truncating, move |mut stream, stop| {
        if read_query(&mut stream).is_err() {
            return;
        }
        // A length of 4,000 bytes, then one byte every 20 ms: each read
        // gets something, the message never ends.
        send(&mut stream, &4000u16.to_be_bytes());
        while !stop.load(Ordering::SeqCst) {
            if std::io::Write::write_all(&mut stream, &[0]).is_err() {
                *ended_by_client.lock().expect("lock") = Some(Instant::now());
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    let budget = Duration::from_millis(1500);
    let outcome = resolve_on(&server, budget);
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert_ne!(resolve.status, Status::Pass, "{}", resolve.summary);
    // The client closes its connection once its budget is spent: a worker
    // stuck in a read would hold it (and a thread) for as long as the drip.
    let waited = Instant::now();
    while ended.lock().expect("lock").is_none() && waited.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(50));
    }
    assert!(
        ended.lock().expect("lock").is_some(),
        "the connection is still open 10 s after a {budget:?} budget"
    );
}

#[test]
fn only_records_on_the_cname_chain_are_addresses() {
    let server = ScriptedDns::udp(|query, _| {
        let mut reply = response(query);
        if asked(query) == RecordType::A {
            reply.add_answer(address_record(
                &"evil.example.".parse().expect("name"),
                ip("6.6.6.6"),
            ));
            reply.add_answer(cname_record("mail.contoso.test.", "edge.cdn.test."));
            reply.add_answer(address_record(
                &"edge.cdn.test.".parse().expect("name"),
                ip("20.1.2.3"),
            ));
        }
        vec![(Duration::ZERO, wire(&reply))]
    });
    assert_passes_with_the_a_address(&resolve_on(&server, Duration::from_secs(5)));
}

#[test]
fn a_resolver_that_replies_only_unusably_is_reported_so_not_as_unreachable() {
    // Another id, not a DNS message, and the query reflected back (QR=0).
    let server = ScriptedDns::udp(|query, _| {
        let mut other_id = response(query);
        other_id.metadata.id = query.metadata.id.wrapping_add(1);
        vec![
            (Duration::ZERO, wire(&other_id)),
            (Duration::ZERO, b"not dns".to_vec()),
            (Duration::ZERO, wire(query)),
        ]
    });
    let outcome = resolve_on(&server, Duration::from_millis(1500));
    let resolve = check(&outcome, CheckId::DnsResolve);
    assert_eq!(
        (resolve.status, resolve.remedy),
        (Status::Error, Some(Remedy::DnsResolversGarbled)),
        "{}",
        resolve.summary
    );
    assert!(
        resolve.summary.contains("times, but not to this question"),
        "{}",
        resolve.summary
    );
    assert!(!resolve.summary.contains("blocked"), "{}", resolve.summary);
}
