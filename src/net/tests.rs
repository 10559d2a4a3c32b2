use super::*;

fn class(text: &str) -> AddrClass {
    classify(text.parse().expect("an IP address"))
}

#[test]
fn ipv4_table() {
    use AddrClass::*;
    let table = [
        ("0.0.0.0", Unspecified),
        ("0.1.2.3", Reserved),
        ("9.255.255.255", Public),
        ("10.0.0.0", Private),
        ("10.255.255.255", Private),
        ("11.0.0.1", Public),
        ("100.63.255.255", Public),
        ("100.64.0.0", Cgnat),
        ("100.127.255.255", Cgnat),
        ("100.128.0.0", Public),
        ("127.0.0.1", Loopback),
        ("127.255.255.254", Loopback),
        ("169.254.169.254", LinkLocal),
        ("169.255.0.1", Public),
        ("172.15.255.255", Public),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("172.32.0.0", Public),
        ("192.0.0.1", Reserved),
        ("192.0.0.9", Public),
        ("192.0.0.10", Public),
        ("192.0.2.1", Documentation),
        ("192.0.3.1", Public),
        ("192.88.99.1", Reserved),
        ("192.167.255.255", Public),
        ("192.168.0.1", Private),
        ("192.168.255.255", Private),
        ("192.169.0.0", Public),
        ("198.17.255.255", Public),
        ("198.18.0.1", Reserved),
        ("198.19.255.255", Reserved),
        ("198.20.0.0", Public),
        ("198.51.100.7", Documentation),
        ("203.0.113.7", Documentation),
        ("203.0.114.1", Public),
        ("20.1.2.3", Public),
        ("223.255.255.255", Public),
        ("224.0.0.1", Multicast),
        ("239.255.255.255", Multicast),
        ("240.0.0.1", Reserved),
        ("255.255.255.255", Reserved),
    ];
    for (ip, expected) in table {
        assert_eq!(class(ip), expected, "{ip}");
    }
}

#[test]
fn ipv6_table() {
    use AddrClass::*;
    let table = [
        ("::", Unspecified),
        ("::1", Loopback),
        ("::2", Reserved),
        ("::ffff:10.1.2.3", Private),
        ("::ffff:20.1.2.3", Public),
        ("::ffff:127.0.0.1", Loopback),
        ("64:ff9b::14.1.2.3", Public),
        ("64:ff9b::192.168.1.1", Private),
        ("64:ff9b:1::1", Reserved),
        ("100::1", Reserved),
        ("2001::1", Reserved),
        ("2001:1::1", Public),
        ("2001:1::3", Reserved),
        ("2001:2::1", Reserved),
        ("2001:3::1", Public),
        ("2001:4:112::1", Public),
        ("2001:20::1", Public),
        ("2001:10::1", Reserved),
        ("2001:200::1", Public),
        ("2001:db8::1", Documentation),
        ("2001:db9::1", Public),
        ("2002:a00:1::1", Reserved),
        ("2a00:1450:4001::1", Public),
        ("3fff::1", Documentation),
        ("3fff:1000::1", Public),
        ("4000::1", Reserved),
        ("5f00::1", Reserved),
        ("fc00::1", UniqueLocal),
        ("fd12:3456::1", UniqueLocal),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("fec0::1", Reserved),
        ("ff02::1", Multicast),
    ];
    for (ip, expected) in table {
        assert_eq!(class(ip), expected, "{ip}");
    }
}

#[test]
fn only_public_addresses_may_be_connected_to_without_allow_private() {
    let private: IpAddr = "10.0.0.5".parse().expect("ip");
    let public: IpAddr = "20.1.2.3".parse().expect("ip");
    assert!(!connect_allowed(private, false));
    assert!(connect_allowed(private, true));
    assert!(connect_allowed(public, false));
    assert!(is_public(public));
    assert!(!is_public(private));
}

#[test]
fn labels_are_distinct_and_human() {
    use AddrClass::*;
    let all = [
        Public,
        Loopback,
        Private,
        LinkLocal,
        Cgnat,
        UniqueLocal,
        Documentation,
        Multicast,
        Unspecified,
        Reserved,
    ];
    let labels: std::collections::HashSet<&str> = all.iter().map(|c| c.label()).collect();
    assert_eq!(labels.len(), all.len());
    assert_eq!(Private.label(), "private (RFC 1918)");
    assert_eq!(
        describe("192.168.1.1".parse().expect("ip")),
        "192.168.1.1 (private (RFC 1918))"
    );
    assert!(refusal("127.0.0.1".parse().expect("ip")).contains("--allow-private"));
}

#[test]
fn refusals_read_as_english() {
    assert!(refusal("0.0.0.0".parse().expect("ip")).contains("is an unspecified address"));
    assert!(refusal("::".parse().expect("ip")).contains("is an unspecified address"));
    assert!(refusal("fd00::1".parse().expect("ip")).contains("is a unique local"));
}

#[test]
fn proxy_credentials_never_reach_a_report() {
    let url = Url::parse("http://alice:secret@proxy.corp:3128").expect("url");
    assert_eq!(redact_url(&url), "http://proxy.corp:3128/");
    assert_eq!(
        redact_proxy_text("bob:pw@10.0.0.1:8080"),
        "http://10.0.0.1:8080/"
    );
    assert_eq!(
        redact_proxy_text("http://u:p@[::1]:3128"),
        "http://[::1]:3128/"
    );
}

#[test]
fn connect_failures_are_sorted_by_kind() {
    use std::io::ErrorKind::*;
    let kinds = [
        (ConnectionRefused, ConnectFailure::Refused),
        (TimedOut, ConnectFailure::TimedOut),
        (HostUnreachable, ConnectFailure::Unreachable),
        (NetworkUnreachable, ConnectFailure::NoRoute),
        (AddrNotAvailable, ConnectFailure::NoRoute),
        (PermissionDenied, ConnectFailure::Other),
    ];
    for (kind, expected) in kinds {
        assert_eq!(ConnectFailure::of(&io::Error::from(kind)), expected);
    }
}

#[test]
fn connect_checked_refuses_private_addresses_before_any_packet() {
    // A listener that would see the connection if one were made.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let refused = connect_checked(addr, false, Duration::from_secs(1));
    assert!(matches!(refused, Err(ConnectError::NotAllowed(_))));
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        listener.accept().is_err(),
        "no connection may reach the listener"
    );
    let allowed = connect_checked(addr, true, Duration::from_secs(1));
    assert!(allowed.is_ok());
}

#[test]
fn the_system_resolver_knows_localhost() {
    match system_lookup("localhost", Duration::from_secs(5)) {
        SystemLookup::Addresses(ips) => {
            assert!(ips.iter().all(|ip| ip.is_loopback()), "{ips:?}")
        }
        other => panic!("localhost did not resolve: {other:?}"),
    }
}

#[test]
fn connections_are_opened_without_nagle() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().expect("addr");
    let stream = connect_checked(addr, true, Duration::from_secs(5)).expect("connects");
    assert!(stream.nodelay().expect("reads the option"));
}

#[test]
fn an_ipv4_mapped_address_is_connected_over_ipv4() {
    let mapped: SocketAddr = "[::ffff:192.0.2.7]:443".parse().expect("addr");
    assert_eq!(
        over_its_own_family(mapped),
        "192.0.2.7:443".parse::<SocketAddr>().expect("addr")
    );
    let v6: SocketAddr = "[2001:db8::1]:443".parse().expect("addr");
    assert_eq!(over_its_own_family(v6), v6);
}
