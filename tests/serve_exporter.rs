//! `idtoken-doctor serve` over HTTP on 127.0.0.1, against the lab servers:
//! `/probe` answers what `probe --format prometheus` prints, `/metrics` counts
//! what was done, bad requests are refused with the right status, `--jobs`
//! bounds the probes under way, the private-address rule holds, and SIGTERM
//! stops it cleanly.
//!
//! Unix only: `promtool` and `prometheus` are Debian's Linux programs, which a
//! Windows build of the tests (run under wine) cannot start.
#![cfg(unix)]

mod e2e_support;
mod prom_support;

use std::thread;
use std::time::{Duration, Instant};

use e2e_support::*;
use idtoken_doctor::lab::https::Behaviour;
use prom_support::*;

/// `probe TARGET --format prometheus` with `args`, as the CLI prints it.
fn cli_probe(target: &str, args: &[String]) -> (i32, Vec<Sample>) {
    let mut all = strings(&["probe", target, "--format", "prometheus"]);
    all.extend_from_slice(args);
    let run = doctor(&all);
    promtool_check_metrics(&run.stdout);
    (run.code, samples(&run.stdout))
}

/// `GET /probe?target=…`, checked as an exposition.
fn scrape(serve: &Serve, target: &str) -> Vec<Sample> {
    let answer = serve.get(&probe_path(target));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.header("content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    promtool_check_metrics(&answer.body);
    samples(&answer.body)
}

/// `GET /metrics`, checked as an exposition.
fn own_metrics(serve: &Serve) -> Vec<Sample> {
    let answer = serve.get("/metrics");
    assert_eq!(answer.status, 200, "{answer:?}");
    promtool_check_metrics(&answer.body);
    samples(&answer.body)
}

fn value(all: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    one(all, name, labels).value
}

#[test]
fn probe_answers_what_probe_prints_and_metrics_count_it() {
    let lab = Lab::new();
    let healthy = lab.healthy_exchange();
    let guarded = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
    );
    let serve = Serve::start(&lab.args());

    let index = serve.get("/");
    assert_eq!(index.status, 200);
    assert!(index.header("content-type").starts_with("text/html"));
    assert!(index.body.contains("/probe?target="), "{}", index.body);

    let target = amurl(&healthy);
    let served = scrape(&serve, &target);
    let (code, printed) = cli_probe(&target, &lab.args());
    assert_eq!(code, 0);
    assert_eq!(without_duration(&served), without_duration(&printed));
    assert_eq!(value(&served, "idtoken_doctor_success", &[]), 1.0);
    assert_eq!(
        value(&served, "idtoken_doctor_exit_code", &[("target", &target)]),
        0.0
    );
    assert!(!named(
        &served,
        "idtoken_doctor_auth_certificate_expiry_timestamp_seconds"
    )
    .is_empty());

    // A bare host name means the metadata URL on it.
    let host = format!("{HOST}:{}", guarded.port());
    let served = scrape(&serve, &host);
    let (code, printed) = cli_probe(&host, &lab.args());
    assert_eq!(code, 50);
    assert_eq!(without_duration(&served), without_duration(&printed));
    assert_eq!(value(&served, "idtoken_doctor_success", &[]), 0.0);
    assert_eq!(value(&served, "idtoken_doctor_exit_code", &[]), 50.0);
    assert_eq!(
        value(
            &served,
            "idtoken_doctor_check",
            &[
                ("check", "http.access"),
                ("status", "fail"),
                ("stage", "http")
            ]
        ),
        1.0
    );

    let own = own_metrics(&serve);
    let probes = "idtoken_doctor_exporter_probes_total";
    assert_eq!(value(&own, probes, &[("result", "healthy")]), 1.0);
    assert_eq!(value(&own, probes, &[("result", "fail")]), 1.0);
    assert_eq!(value(&own, probes, &[("result", "inconclusive")]), 0.0);
    let failures = "idtoken_doctor_exporter_probe_failures_total";
    assert_eq!(value(&own, failures, &[("stage", "http")]), 1.0);
    assert_eq!(value(&own, failures, &[("stage", "tls")]), 0.0);
    assert_eq!(
        value(
            &own,
            "idtoken_doctor_exporter_probe_duration_seconds_count",
            &[]
        ),
        2.0
    );
    assert!(
        value(
            &own,
            "idtoken_doctor_exporter_probe_duration_seconds_sum",
            &[]
        ) > 0.0
    );
    assert_eq!(
        value(&own, "idtoken_doctor_exporter_probes_in_flight", &[]),
        0.0
    );
    let responses = "idtoken_doctor_exporter_http_responses_total";
    assert_eq!(
        value(&own, responses, &[("code", "200")]),
        3.0,
        "/, two probes"
    );
}

#[test]
fn bad_requests_are_refused_with_their_status() {
    let lab = Lab::new();
    let serve = Serve::start(&lab.args());
    let jwt = token(
        auth_cert(),
        "https://mail.contoso.test/autodiscover/metadata/json/1",
    );

    for (path, status) in [
        ("/probe".to_string(), 400),
        ("/probe?target=".to_string(), 400),
        ("/probe?module=http_2xx".to_string(), 400),
        (probe_path("ftp://mail.contoso.test/x"), 400),
        ("/probe?target=a.test&target=b.test".to_string(), 400),
        (
            probe_path("https://admin:s3cret@mail.contoso.test/autodiscover/metadata/json/1"),
            400,
        ),
        (probe_path(&jwt), 400),
        (probe_path(&format!("Bearer {jwt}")), 400),
        ("/nope".to_string(), 404),
        ("/probe/".to_string(), 404),
        ("/metrics.json".to_string(), 404),
    ] {
        let answer = serve.get(&path);
        assert_eq!(answer.status, status, "{path}: {answer:?}");
        assert!(
            !answer.body.contains("eyJ"),
            "a token is never echoed: {}",
            answer.body
        );
        assert!(!answer.body.contains("s3cret"), "{}", answer.body);
    }
    let refusal = serve.get(&probe_path(&jwt));
    assert!(refusal.body.contains("token"), "{}", refusal.body);

    let post = serve.raw(
        b"POST /probe?target=mail.contoso.test HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), "GET");
    let body = serve.raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd");
    assert_eq!(body.status, 413);
    let mut huge = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 16 * 1024));
    huge.extend(b"\r\n\r\n");
    assert_eq!(serve.raw(&huge).status, 431);
    let mut many = b"GET /metrics HTTP/1.1\r\n".to_vec();
    for i in 0..100 {
        many.extend(format!("X-{i}: 1\r\n").bytes());
    }
    many.extend(b"\r\n");
    assert_eq!(serve.raw(&many).status, 431);
    assert_eq!(serve.raw(b"\x16\x03\x01\x00\x05hello\r\n\r\n").status, 400);

    // None of it ran a probe, and the exporter still answers.
    let own = own_metrics(&serve);
    assert_eq!(
        value(
            &own,
            "idtoken_doctor_exporter_probe_duration_seconds_count",
            &[]
        ),
        0.0
    );
    assert_eq!(
        value(
            &own,
            "idtoken_doctor_exporter_http_responses_total",
            &[("code", "400")]
        ),
        10.0
    );
}

#[test]
fn a_private_target_is_refused_exactly_as_probe_refuses_it() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    // No --allow-private: the lab's loopback address is not to be connected to.
    let serve = Serve::start(&lab.public_args());
    for target in [
        amurl(&server),
        format!("127.0.0.1:{}", server.port()),
        "10.1.2.3".to_string(),
    ] {
        let served = scrape(&serve, &target);
        let (code, printed) = cli_probe(&target, &lab.public_args());
        assert_eq!(code, 20, "{target}");
        assert_eq!(
            without_duration(&served),
            without_duration(&printed),
            "{target}"
        );
        assert_eq!(value(&served, "idtoken_doctor_exit_code", &[]), 20.0);
        let fails: Vec<&str> = named(&served, "idtoken_doctor_check")
            .into_iter()
            .filter(|s| s.label("status") == "fail")
            .map(|s| s.label("check"))
            .collect();
        assert!(
            fails.iter().all(|c| c.starts_with("dns.")) && !fails.is_empty(),
            "{target}: {fails:?}"
        );
        assert_eq!(
            value(&served, "idtoken_doctor_check", &[("check", "tcp.connect")]),
            1.0
        );
        assert_eq!(
            one(&served, "idtoken_doctor_check", &[("check", "tcp.connect")]).label("status"),
            "skip"
        );
    }
    assert_eq!(
        server.connections(),
        0,
        "nothing connected to the private address"
    );
}

#[test]
fn probes_beyond_jobs_are_answered_429() {
    let lab = Lab::new();
    let healthy = lab.healthy_exchange();
    let firewall = Firewall::start();
    let mut args = lab.args();
    args.extend(strings(&["--jobs", "1", "--timeout", "4"]));
    let serve = Serve::start(&args);
    let dropped = format!(
        "https://{HOST}:{}/autodiscover/metadata/json/1",
        firewall.port
    );

    let addr = serve.addr;
    let slow_path = probe_path(&dropped);
    thread::scope(|scope| {
        let slow = scope.spawn(|| get(addr, &slow_path));
        // Wait until the exporter counts the slow probe as under way.
        let until = Instant::now() + Duration::from_secs(30);
        while value(
            &own_metrics(&serve),
            "idtoken_doctor_exporter_probes_in_flight",
            &[],
        ) < 1.0
        {
            assert!(Instant::now() < until, "the slow probe never started");
            thread::sleep(Duration::from_millis(20));
        }
        let refused = serve.get(&probe_path(&amurl(&healthy)));
        assert_eq!(refused.status, 429, "{refused:?}");
        assert_eq!(refused.header("retry-after"), "1");

        let slow = slow.join().expect("the slow scrape");
        assert_eq!(slow.status, 200);
        let all = samples(&slow.body);
        assert_eq!(value(&all, "idtoken_doctor_exit_code", &[]), 30.0);
        assert_eq!(
            one(&all, "idtoken_doctor_check", &[("check", "tcp.connect")]).label("status"),
            "fail"
        );
    });
    // The slot is free again.
    let again = scrape(&serve, &amurl(&healthy));
    assert_eq!(value(&again, "idtoken_doctor_success", &[]), 1.0);
    let own = own_metrics(&serve);
    assert_eq!(
        value(
            &own,
            "idtoken_doctor_exporter_http_responses_total",
            &[("code", "429")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &own,
            "idtoken_doctor_exporter_probe_failures_total",
            &[("stage", "tcp")]
        ),
        1.0
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_it_cleanly_once_the_probe_under_way_is_answered() {
    let lab = Lab::new();
    let firewall = Firewall::start();
    let mut args = lab.args();
    args.extend(strings(&["--timeout", "3"]));
    let mut serve = Serve::start(&args);
    let addr = serve.addr;
    let dropped = format!(
        "https://{HOST}:{}/autodiscover/metadata/json/1",
        firewall.port
    );
    let slow_path = probe_path(&dropped);
    let slow = thread::spawn(move || get(addr, &slow_path));
    let until = Instant::now() + Duration::from_secs(30);
    while value(
        &own_metrics(&serve),
        "idtoken_doctor_exporter_probes_in_flight",
        &[],
    ) < 1.0
    {
        assert!(Instant::now() < until, "the slow probe never started");
        thread::sleep(Duration::from_millis(20));
    }
    // Stopped while a probe is under way: that probe is still answered, then
    // the exporter exits 0 and nothing listens any more.
    assert_eq!(serve.terminate(Duration::from_secs(20)), Some(0));
    let answered = slow.join().expect("the slow scrape");
    assert_eq!(answered.status, 200, "{answered:?}");
    let all = samples(&answered.body);
    assert_eq!(value(&all, "idtoken_doctor_exit_code", &[]), 30.0);
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "nothing listens once it stopped"
    );
}

#[test]
fn a_busy_listen_address_is_a_usage_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let run = doctor(["serve", "--listen", addr.as_str()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--listen"), "{}", run.stderr);
    let run = doctor(["serve", "--listen", "not an address"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Clients that hold connections open on purpose, from 127.0.0.2 (another
/// address than the scrapers' 127.0.0.1). Linux: loopback answers on all of
/// 127/8 there.
#[cfg(target_os = "linux")]
mod held {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::thread::{self, JoinHandle};
    use std::time::{Duration, Instant};

    use socket2::{Domain, Protocol, SockAddr, Socket, Type};

    /// A connection to `addr` from 127.0.0.2.
    pub fn connect_from_other_peer(addr: SocketAddr) -> TcpStream {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
        let from: SocketAddr = "127.0.0.2:0".parse().expect("addr");
        socket.bind(&SockAddr::from(from)).expect("bind 127.0.0.2");
        socket
            .connect_timeout(&SockAddr::from(addr), Duration::from_secs(10))
            .expect("connect");
        TcpStream::from(socket)
    }

    /// The status of the answer to `GET /metrics` on `stream`.
    pub fn metrics_status(mut stream: TcpStream) -> u16 {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        let text = String::from_utf8_lossy(&bytes);
        text.split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"))
    }

    /// `count` clients from 127.0.0.2 that send a byte every 150 ms until
    /// the exporter cuts them (or `stop`): half of them after a whole request
    /// (so after its answer), half inside a head that never ends.
    pub fn drippers(addr: SocketAddr, count: usize, stop: &Arc<AtomicBool>) -> Vec<JoinHandle<()>> {
        (0..count)
            .map(|i| {
                let mut stream = connect_from_other_peer(addr);
                let stop = Arc::clone(stop);
                thread::spawn(move || {
                    let start: &[u8] = if i % 2 == 0 {
                        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                    } else {
                        b"GET /metrics HTTP/1.1\r\nX-Drip: "
                    };
                    if stream.write_all(start).is_err() {
                        return;
                    }
                    while !stop.load(Ordering::SeqCst) && stream.write_all(b"a").is_ok() {
                        thread::sleep(Duration::from_millis(150));
                    }
                })
            })
            .collect()
    }

    /// `GET /metrics` from 127.0.0.1: its status and how long it took.
    pub fn timed_metrics(addr: SocketAddr) -> (u16, Duration) {
        let started = Instant::now();
        let stream = TcpStream::connect(addr).expect("connect");
        let status = metrics_status(stream);
        (status, started.elapsed())
    }
}

#[cfg(target_os = "linux")]
fn quiet_serve() -> Serve {
    Serve::start(&strings(&[
        "--jobs",
        "2",
        "--timeout",
        "10",
        "--dns-server",
        "127.0.0.1:1",
        "--no-system-dns",
    ]))
}

#[cfg(target_os = "linux")]
#[test]
fn dripping_clients_keep_no_slot_and_never_hold_the_exporter() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let mut serve = quiet_serve();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    // As many as the exporter has connections (--jobs 2 and 64 spare).
    let drippers = held::drippers(serve.addr, 66, &stop);
    thread::sleep(Duration::from_millis(500));
    let (status, took) = held::timed_metrics(serve.addr);
    assert_eq!(status, 200, "another address is still answered");
    assert!(took < Duration::from_secs(2), "answered in {took:?}");

    // Every connection is bounded in total time, however the client drips:
    // the dripping address is served again once its connections are cut.
    thread::sleep(Duration::from_secs(13).saturating_sub(started.elapsed()));
    let again = held::metrics_status(held::connect_from_other_peer(serve.addr));
    assert_eq!(again, 200, "the dripping clients still hold their slots");

    let more = held::drippers(serve.addr, 66, &stop);
    thread::sleep(Duration::from_millis(500));
    assert_eq!(
        serve.terminate(Duration::from_secs(5)),
        Some(0),
        "SIGTERM stops it within 5 s whatever the clients do"
    );
    stop.store(true, Ordering::SeqCst);
    for dripper in drippers.into_iter().chain(more) {
        dripper.join().expect("dripper");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn idle_connections_never_hold_the_accept_loop_nor_stopping() {
    let mut serve = quiet_serve();
    let idle: Vec<_> = (0..150)
        .map(|_| held::connect_from_other_peer(serve.addr))
        .collect();
    let (status, took) = held::timed_metrics(serve.addr);
    assert_eq!(status, 200, "another address is still answered");
    assert!(took < Duration::from_secs(2), "answered in {took:?}");
    assert_eq!(
        serve.terminate(Duration::from_secs(5)),
        Some(0),
        "SIGTERM stops it within 5 s whatever the clients do"
    );
    drop(idle);
}
