//! The `tcp` stage against listeners and a tiny CONNECT proxy on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use idtoken_doctor::budget::Budget;
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{CheckId, Status};
use idtoken_doctor::settings::{NetSettings, Pin, ProxySetting};
use idtoken_doctor::target::Target;
use idtoken_doctor::tcp;
use socket2::{Domain, Socket, Type};
use url::Url;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an IP address")
}

fn settings(allow_private: bool) -> NetSettings {
    NetSettings {
        allow_private,
        ..idtoken_doctor::lab::loopback_net(Vec::new(), Duration::from_secs(10))
    }
}

fn target_on(port: u16) -> Target {
    Target::parse(&format!("mail.contoso.test:{port}")).expect("a target")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn a_listening_port_passes_with_allow_private() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let outcome = tcp::run(
        &target_on(addr.port()),
        &[ip("127.0.0.1")],
        &settings(true),
        &Budget::new(Duration::from_secs(5)),
    );
    let check = &outcome.checks[0];
    assert_eq!(
        (check.id, check.status),
        (CheckId::TcpConnect, Status::Pass)
    );
    assert_eq!(outcome.peer, Some(addr));
    assert_eq!(check.details["peer"], addr.to_string());
    assert!(check.details["connect_ms"].is_u64());
    assert!(outcome.stream.is_some());
    let (_, from) = listener.accept().expect("the connection arrived");
    assert_eq!(
        from,
        outcome
            .stream
            .as_ref()
            .expect("stream")
            .local_addr()
            .expect("local")
    );
}

#[test]
fn a_private_address_is_never_connected_to_without_allow_private() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let outcome = tcp::run(
        &target_on(port),
        &[ip("127.0.0.1")],
        &settings(false),
        &Budget::new(Duration::from_secs(5)),
    );
    assert_eq!(outcome.checks[0].status, Status::Skip);
    assert!(outcome.stream.is_none());
    thread::sleep(Duration::from_millis(100));
    assert!(listener.accept().is_err(), "the tool connected anyway");
}

#[test]
fn a_closed_port_is_refused() {
    let port = free_port();
    let outcome = tcp::run(
        &target_on(port),
        &[ip("127.0.0.1")],
        &settings(true),
        &Budget::new(Duration::from_secs(5)),
    );
    let check = &outcome.checks[0];
    assert_eq!(
        (check.status, check.remedy),
        (Status::Fail, Some(Remedy::PortClosed))
    );
    assert!(
        check
            .summary
            .contains(&format!("nothing listens on port {port}")),
        "{}",
        check.summary
    );
    assert_eq!(check.details["attempts"][0]["result"], "refused");
}

#[test]
fn a_failed_direct_connection_hints_at_an_unused_environment_proxy() {
    let mut net = settings(true);
    net.env_proxy_unused = Some("http://alice:secret@proxy.corp:3128".into());
    let outcome = tcp::run(
        &target_on(free_port()),
        &[ip("127.0.0.1")],
        &net,
        &Budget::new(Duration::from_secs(5)),
    );
    let check = &outcome.checks[0];
    assert_eq!(check.status, Status::Fail);
    assert!(check.summary.contains("--proxy env"), "{}", check.summary);
    assert!(!check.summary.contains("secret"));
}

#[test]
fn the_next_address_is_tried_when_one_fails() {
    // Nothing listens on [::1]:port (or IPv6 is off); 127.0.0.1 answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let outcome = tcp::run(
        &target_on(addr.port()),
        &[ip("::1"), ip("127.0.0.1")],
        &settings(true),
        &Budget::new(Duration::from_secs(5)),
    );
    let check = &outcome.checks[0];
    assert_eq!(check.status, Status::Pass, "{}", check.summary);
    assert_eq!(outcome.peer, Some(addr));
    assert!(
        check.summary.contains("before that: [::1]"),
        "{}",
        check.summary
    );
}

/// A listener whose accept queue is full: the kernel drops further SYNs,
/// as a firewall would. Returns the listener and the connections filling it.
fn dropping_listener() -> (Socket, SocketAddr, Vec<TcpStream>) {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    socket.bind(&any.into()).expect("bind");
    socket.listen(0).expect("listen");
    let addr = socket
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..16 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => fillers.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return (socket, addr, fillers),
            Err(e) => panic!("unexpected error filling the backlog: {e}"),
        }
    }
    panic!("the accept queue never filled: cannot simulate a dropping firewall here");
}

#[test]
fn a_dropped_connection_times_out_within_the_budget() {
    let (_listener, addr, _fillers) = dropping_listener();
    let budget = Budget::new(Duration::from_millis(1500));
    let started = Instant::now();
    let outcome = tcp::run(
        &target_on(addr.port()),
        &[ip("127.0.0.1")],
        &settings(true),
        &budget,
    );
    let took = started.elapsed();
    let check = &outcome.checks[0];
    assert_eq!(
        (check.status, check.remedy),
        (Status::Fail, Some(Remedy::FirewallAllowSsi))
    );
    assert!(
        check.summary.contains("timed out after"),
        "{}",
        check.summary
    );
    assert_eq!(check.details["attempts"][0]["result"], "timed out");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

/// How the test proxy answers a CONNECT.
#[derive(Clone, Copy)]
enum ProxyMode {
    /// Opens the tunnel to 127.0.0.1 on the requested port, whatever the host.
    Tunnel,
    /// Answers 407 asking for Negotiate.
    WantsCredentials,
    /// Reads the request and never answers.
    Stalls,
}

/// A one-connection CONNECT proxy; sends the request head it received.
fn start_proxy(mode: ProxyMode) -> (SocketAddr, mpsc::Receiver<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
    let addr = listener.local_addr().expect("addr");
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(client.try_clone().expect("clone"));
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        let request_line = head.first().cloned().unwrap_or_default();
        let _ = sender.send(head);
        let mut client = client;
        match mode {
            ProxyMode::WantsCredentials => {
                let _ = client.write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n",
                );
            }
            ProxyMode::Stalls => thread::sleep(Duration::from_secs(5)),
            ProxyMode::Tunnel => {
                let port: u16 = request_line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|authority| authority.rsplit(':').next())
                    .and_then(|p| p.parse().ok())
                    .expect("CONNECT host:port");
                let upstream =
                    TcpStream::connect(("127.0.0.1", port)).expect("proxy reaches the server");
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .expect("answer");
                let (mut up_read, mut down_write) = (
                    upstream.try_clone().expect("clone"),
                    client.try_clone().expect("clone"),
                );
                thread::spawn(move || {
                    let _ = std::io::copy(&mut up_read, &mut down_write);
                    let _ = down_write.shutdown(Shutdown::Write);
                });
                let mut upstream = upstream;
                let _ = std::io::copy(&mut reader, &mut upstream);
            }
        }
    });
    (addr, receiver)
}

fn via_proxy(proxy: SocketAddr) -> NetSettings {
    let mut net = settings(false);
    net.proxy = Some(ProxySetting {
        url: Url::parse(&format!("http://{proxy}")).expect("proxy url"),
        from_env: false,
    });
    net
}

#[test]
fn a_proxy_tunnel_carries_the_connection_and_the_report_says_so() {
    let server = TcpListener::bind("127.0.0.1:0").expect("server");
    let port = server.local_addr().expect("addr").port();
    thread::spawn(move || {
        if let Ok((mut conn, _)) = server.accept() {
            let _ = conn.write_all(b"hello from exchange\n");
        }
    });
    let (proxy, requests) = start_proxy(ProxyMode::Tunnel);
    // The address public DNS gave: never connected to directly with a proxy.
    let outcome = tcp::run(
        &target_on(port),
        &[ip("20.1.2.3")],
        &via_proxy(proxy),
        &Budget::new(Duration::from_secs(5)),
    );
    let check = &outcome.checks[0];
    assert_eq!(check.status, Status::Pass, "{}", check.summary);
    assert!(
        check.summary.contains("through the proxy"),
        "{}",
        check.summary
    );
    assert!(
        check.summary.contains("SSI connects directly"),
        "{}",
        check.summary
    );
    assert_eq!(check.details["via"], "proxy");
    assert_eq!(outcome.peer, Some(proxy));

    let head = requests
        .recv_timeout(Duration::from_secs(5))
        .expect("the proxy got a request");
    // The address vetted here, never the name the proxy would resolve itself.
    assert_eq!(head[0], format!("CONNECT 20.1.2.3:{port} HTTP/1.1"));
    assert!(head.contains(&format!("Host: 20.1.2.3:{port}")), "{head:?}");
    assert_eq!(check.details["tunnel_to"], format!("20.1.2.3:{port}"));
    assert_eq!(
        outcome.reached,
        Some(format!("20.1.2.3:{port}").parse().expect("addr"))
    );
    assert!(!head
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("proxy-authorization")));

    let mut stream = outcome.stream.expect("the tunnel");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut greeting = String::new();
    stream
        .read_to_string(&mut greeting)
        .expect("read through the tunnel");
    assert_eq!(greeting, "hello from exchange\n");
}

#[test]
fn a_pinned_host_is_tunnelled_to_its_pinned_address() {
    let server = TcpListener::bind("127.0.0.1:0").expect("server");
    let port = server.local_addr().expect("addr").port();
    thread::spawn(move || {
        let _ = server.accept();
    });
    let (proxy, requests) = start_proxy(ProxyMode::Tunnel);
    let mut net = via_proxy(proxy);
    net.allow_private = true;
    net.pins = vec![Pin {
        host: "mail.contoso.test".into(),
        port,
        addr: ip("127.0.0.1"),
    }];
    let outcome = tcp::run(
        &target_on(port),
        &[ip("127.0.0.1")],
        &net,
        &Budget::new(Duration::from_secs(5)),
    );
    assert_eq!(
        outcome.checks[0].status,
        Status::Pass,
        "{}",
        outcome.checks[0].summary
    );
    let head = requests
        .recv_timeout(Duration::from_secs(5))
        .expect("request");
    assert_eq!(head[0], format!("CONNECT 127.0.0.1:{port} HTTP/1.1"));
}

#[test]
fn a_proxy_that_wants_credentials_it_did_not_get_is_inconclusive() {
    let (proxy, requests) = start_proxy(ProxyMode::WantsCredentials);
    let outcome = tcp::run(
        &target_on(443),
        &[ip("20.1.2.3")],
        &via_proxy(proxy),
        &Budget::new(Duration::from_secs(5)),
    );
    let check = &outcome.checks[0];
    // The engineer's proxy, not the target: error, cause proxy.
    assert_eq!(
        (check.status, check.remedy),
        (Status::Error, Some(Remedy::ProxyFailed))
    );
    assert_eq!(check.details["cause"], "proxy");
    assert!(
        check.summary.contains("407, Negotiate"),
        "{}",
        check.summary
    );
    let head = requests
        .recv_timeout(Duration::from_secs(5))
        .expect("request");
    assert!(!head
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("proxy-authorization")));
}

#[test]
fn a_stalled_proxy_times_out_within_the_budget() {
    let (proxy, _requests) = start_proxy(ProxyMode::Stalls);
    let budget = Budget::new(Duration::from_secs(1));
    let started = Instant::now();
    let outcome = tcp::run(
        &target_on(443),
        &[ip("20.1.2.3")],
        &via_proxy(proxy),
        &budget,
    );
    let took = started.elapsed();
    let check = &outcome.checks[0];
    assert_eq!(check.status, Status::Error);
    assert_eq!(check.details["cause"], "proxy");
    assert!(
        check.summary.contains("timed out after 1 s"),
        "{}",
        check.summary
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}
