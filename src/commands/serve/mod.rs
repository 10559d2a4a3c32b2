//! `serve`: a Prometheus exporter in the blackbox exporter's style.
//!
//! `GET /probe?target=AMURL|HOST` runs `probe` on that target with the flags
//! `serve` was started with and answers its metrics; `GET /metrics` answers
//! the exporter's own; `GET /` says how to scrape it. Any other path is a 404,
//! any other method a 405.
//!
//! Bounded everywhere: at most `--jobs` probes at once (a 429 beyond), each
//! within `--timeout` (or Prometheus's scrape timeout when shorter), a bounded
//! number of connections (and fewer from any one address), each bounded in
//! total time, and bounded request heads (see [`http`]). The accept loop never
//! waits on a client: a connection beyond the limits is answered 503 with
//! what the socket takes at once. Stopping waits for the probes under way,
//! never for a client. Every rule
//! of `probe` holds, since each request runs `probe` itself: no connection to
//! a non-public address without `--allow-private`, no credentials, and never a
//! token: a target holding one is refused with a 400 that does not echo it.
//! Nothing is kept between requests but the counters ([`counters`]).
//!
//! Why no HTTP server crate: `tiny_http` 0.12 reads header lines without any
//! bound, starts a thread per connection without any bound and sets no socket
//! timeout, so the limits above could not be enforced in front of it; the
//! hyper-based servers bring an async runtime of their own. What a scraper
//! needs is one GET per connection, which `std::net` and `httparse` (already
//! in the build through ureq) serve with every limit in our hands.

mod counters;
mod http;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::cli::ServeArgs;
use crate::input;
use crate::progress::Progress;
use crate::render::{self, prometheus};
use crate::settings::{NetSettings, Settings, UsageError};
use crate::target::Target;

use self::counters::Counters;
use self::http::{Answer, Request};
use super::batch::Cache;
use super::chain_commands::probe_one;
use super::complain;

/// Connections handled at once beyond `--jobs` (scrapes of `/metrics`, of `/`,
/// requests still sending their head); one more is answered 503 at once.
const SPARE_CONNECTIONS: usize = 64;

/// Of the [`SPARE_CONNECTIONS`], how many one client address may take besides
/// `--jobs`: one address cannot hold every connection, so `/metrics` and the
/// other scrapers are still answered while it tries.
const SPARE_PER_PEER: usize = SPARE_CONNECTIONS / 2;

/// How long stopping waits, once no probe is under way, for the answers being
/// written: a client still sending its head, or reading slowly, is not waited for.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// How much of Prometheus's scrape timeout is left for the answer to travel:
/// the blackbox exporter's offset.
const SCRAPE_TIMEOUT_OFFSET: f64 = 0.5;

/// The shortest probe budget a scrape timeout can ask for.
const MIN_PROBE_BUDGET: f64 = 0.5;

/// Runs the exporter until Ctrl-C, SIGTERM (or a console close on Windows);
/// returns 0 once the requests under way are answered.
pub fn run(args: &ServeArgs) -> Result<i32, UsageError> {
    let net = NetSettings::from_args(&args.net.flags())?;
    let address = listen_address(&args.listen)?;
    let listener = TcpListener::bind(address).map_err(|e| {
        UsageError(format!(
            "--listen {}: cannot listen there ({e})",
            args.listen
        ))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| UsageError(format!("--listen {}: {e}", args.listen)))?;
    let exporter = Arc::new(Exporter {
        drain_within: net.timeout + Duration::from_secs(2),
        net,
        strict: args.strict,
        jobs: usize::from(args.jobs),
        probes: AtomicUsize::new(0),
        connections: AtomicUsize::new(0),
        peers: Mutex::default(),
        counters: Counters::default(),
    });
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stopping);
    let wake = wake_address(local);
    if let Err(e) = ctrlc::set_handler(move || {
        flag.store(true, Ordering::SeqCst);
        // The accept loop blocks; a connection of our own wakes it to see the flag.
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
    }) {
        complain(&format!(
            "cannot catch Ctrl-C and SIGTERM ({e}): stopping will not wait for the probes under way"
        ));
    }
    complain(&format!(
        "serving on http://{local}/ (GET /probe?target=AMURL|HOST, GET /metrics); Ctrl-C stops"
    ));
    if !local.ip().is_loopback() {
        complain(&format!(
            "{local} is not a loopback address: whoever reaches it can make this machine probe hosts of their choice (within probe's rules); keep it behind a firewall or an authenticating proxy"
        ));
    }
    for connection in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        match connection {
            Ok(stream) => Arc::clone(&exporter).dispatch(stream),
            // Out of file descriptors, or a connection reset before it was
            // accepted: wait a moment rather than spin.
            Err(_) => thread::sleep(Duration::from_millis(50)),
        }
    }
    exporter.drain();
    Ok(0)
}

/// `--listen ADDR`: an address and port, or a name that resolves to one.
fn listen_address(text: &str) -> Result<SocketAddr, UsageError> {
    let invalid = |why: String| {
        UsageError(format!(
            "--listen {text}: {why}; give ADDRESS:PORT, such as 127.0.0.1:9871 or [::1]:9871"
        ))
    };
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    text.to_socket_addrs()
        .map_err(|e| invalid(e.to_string()))?
        .next()
        .ok_or_else(|| invalid("the name has no address".to_string()))
}

/// Where the stop handler connects to wake the accept loop: the listening
/// address, or loopback when listening on every address.
fn wake_address(local: SocketAddr) -> SocketAddr {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, local.port())
}

/// What every request shares: the flags, the limits and the counters.
struct Exporter {
    net: NetSettings,
    strict: bool,
    jobs: usize,
    /// Probes under way.
    probes: AtomicUsize,
    /// Connections being handled.
    connections: AtomicUsize,
    /// Connections being handled, per client address (addresses with none are removed).
    peers: Mutex<HashMap<IpAddr, usize>>,
    counters: Counters,
    /// How long stopping waits for the requests under way.
    drain_within: Duration,
}

/// Takes a unit of `count` if fewer than `limit` are taken.
fn acquire(count: &AtomicUsize, limit: usize) -> bool {
    count
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < limit).then_some(n + 1)
        })
        .is_ok()
}

/// Gives a unit taken by [`acquire`] back when dropped.
struct Release<'a>(&'a AtomicUsize);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A unit of `count`, if fewer than `limit` are taken, given back when dropped.
fn slot(count: &AtomicUsize, limit: usize) -> Option<Release<'_>> {
    // Lazily: a `Release` built for nothing would give back a unit not taken.
    acquire(count, limit).then(|| Release(count))
}

/// A connection slot of one client address, given back when dropped.
struct PeerSlot {
    exporter: Arc<Exporter>,
    peer: IpAddr,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut peers = lock(&self.exporter.peers);
        if let Some(count) = peers.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                peers.remove(&self.peer);
            }
        }
    }
}

/// A lock that a panic elsewhere does not make unusable (a count is updated
/// in one step).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Exporter {
    /// Takes a connection slot of `peer`, if it holds fewer than `--jobs` and
    /// [`SPARE_PER_PEER`].
    fn peer_slot(self: &Arc<Self>, peer: IpAddr) -> Option<PeerSlot> {
        let mut peers = lock(&self.peers);
        let count = peers.entry(peer).or_default();
        if *count >= self.jobs + SPARE_PER_PEER {
            return None;
        }
        *count += 1;
        drop(peers);
        Some(PeerSlot {
            exporter: Arc::clone(self),
            peer,
        })
    }

    /// Hands a connection to a thread of its own, or answers 503 (without
    /// waiting on the client) when too many are being handled, in all or from
    /// its address.
    fn dispatch(self: Arc<Self>, mut stream: TcpStream) {
        let peer = stream.peer_addr().map(|a| a.ip());
        let Some(peer_slot) = peer.ok().and_then(|peer| self.peer_slot(peer)) else {
            return self.refuse(&mut stream);
        };
        let limit = self.jobs + SPARE_CONNECTIONS;
        if !acquire(&self.connections, limit) {
            drop(peer_slot);
            return self.refuse(&mut stream);
        }
        // The slot taken above is given back by the thread (or below, when no
        // thread could be started).
        let exporter = Arc::clone(&self);
        let started = thread::Builder::new().name("serve".into()).spawn(move || {
            let _peer = peer_slot;
            let _release = Release(&exporter.connections);
            exporter.handle(stream);
        });
        if started.is_err() {
            self.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The 503 of a connection beyond the limits.
    fn refuse(&self, stream: &mut TcpStream) {
        let answer = Answer::text(503, "too many connections: try again shortly")
            .with_header("Retry-After", "1");
        self.counters.answered(answer.status);
        http::refuse(stream, &answer);
    }

    /// Reads one request, answers it, closes the connection.
    fn handle(&self, mut stream: TcpStream) {
        let deadline = Instant::now() + http::HEAD_TIMEOUT;
        let answer = match http::read_request(&mut stream, deadline) {
            Ok(None) => return,
            Ok(Some(request)) => self.route(&request),
            Err(refusal) => refusal,
        };
        self.counters.answered(answer.status);
        http::send(&mut stream, &answer);
    }

    fn route(&self, request: &Request) -> Answer {
        let known = ["/", "/metrics", "/probe"];
        if !known.contains(&request.path.as_str()) {
            return Answer::text(
                404,
                "not found: this exporter answers GET /probe?target=AMURL|HOST, GET /metrics and GET /",
            );
        }
        if request.method != "GET" {
            return Answer::text(405, "only GET is answered here").with_header("Allow", "GET");
        }
        match request.path.as_str() {
            "/metrics" => Answer::typed(
                200,
                prometheus::CONTENT_TYPE,
                self.counters.render(self.probes.load(Ordering::SeqCst)),
            ),
            "/probe" => self.probe(request),
            _ => Answer::typed(200, "text/html; charset=utf-8", index_page(self.jobs)),
        }
    }

    /// `GET /probe?target=…`: `probe` with the flags `serve` was started with.
    fn probe(&self, request: &Request) -> Answer {
        let target = match probe_target(&request.query) {
            Ok(target) => target,
            Err(message) => return Answer::text(400, message),
        };
        let Some(_slot) = slot(&self.probes, self.jobs) else {
            return Answer::text(
                429,
                format!(
                    "{} probes are under way (--jobs {}): try again shortly",
                    self.jobs, self.jobs
                ),
            )
            .with_header("Retry-After", "1");
        };
        let settings = Settings {
            now: OffsetDateTime::now_utc(),
            strict: self.strict,
            audience: None,
            net: Some(self.net_within(request.scrape_timeout)),
        };
        // A cache of its own: nothing found for one request serves another.
        let report = probe_one(&target, &settings, &Cache::default(), &Progress::hidden());
        self.counters
            .probed(&report, report.elapsed.unwrap_or_default());
        Answer::typed(200, prometheus::CONTENT_TYPE, render::prometheus(&[report]))
    }

    /// The network settings for one probe: `--timeout`, shortened to fit
    /// Prometheus's scrape timeout when it sends a shorter one.
    fn net_within(&self, scrape_timeout: Option<f64>) -> NetSettings {
        let mut net = self.net.clone();
        if let Some(scrape) = scrape_timeout {
            let budget = (scrape - SCRAPE_TIMEOUT_OFFSET).max(MIN_PROBE_BUDGET);
            net.timeout = net.timeout.min(Duration::from_secs_f64(budget));
        }
        net
    }

    /// Waits (a bounded time) for the probes under way to be answered; what
    /// clients do (a head never finished, an answer read slowly) is waited
    /// for only [`STOP_GRACE`].
    fn drain(&self) {
        let wait_for = |count: &AtomicUsize, within: Duration| {
            let until = Instant::now() + within;
            while count.load(Ordering::SeqCst) > 0 && Instant::now() < until {
                thread::sleep(Duration::from_millis(20));
            }
        };
        wait_for(&self.probes, self.drain_within);
        wait_for(&self.connections, STOP_GRACE);
    }
}

/// The target of `/probe?target=…`: exactly one, an amurl or a host name,
/// never a token and never credentials. The refusal never quotes a token.
fn probe_target(query: &str) -> Result<String, String> {
    let targets: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "target")
        .map(|(_, value)| value.trim().to_string())
        .collect();
    let target = match targets.as_slice() {
        [] => return Err("missing target: GET /probe?target=AMURL or /probe?target=HOST".into()),
        [one] if one.is_empty() => {
            return Err("empty target: GET /probe?target=AMURL or /probe?target=HOST".into())
        }
        [one] => one,
        _ => return Err("give one target per request".into()),
    };
    if input::token_text(target).is_some() || input::hide_token_text(target) != *target {
        return Err(
            "the target holds a token (or part of one): serve probes an amurl or a host name, and never takes a token; it is not repeated here"
                .into(),
        );
    }
    let parsed = Target::parse(target)
        .map_err(|e| format!("the target is neither an amurl nor a host name: {e}"))?;
    if !parsed.url.username().is_empty() || parsed.url.password().is_some() {
        return Err(
            "the target carries credentials: SSI fetches the metadata anonymously, and so does this exporter"
                .into(),
        );
    }
    Ok(target.clone())
}

/// `GET /`: how to scrape this exporter.
fn index_page(jobs: usize) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>idtoken-doctor exporter</title></head>
<body>
<h1>idtoken-doctor exporter</h1>
<p>Checks the chain SAP C4C Server-Side Integration follows to validate an Exchange user identity
token, the way <code>idtoken-doctor probe</code> does, and answers in the Prometheus text format.</p>
<ul>
<li><a href="/probe?target=outlook.office365.com"><code>/probe?target=AMURL|HOST</code></a>: probe one
target (an amurl, or a host name for <code>https://HOST/autodiscover/metadata/json/1</code>);
at most {jobs} at once.</li>
<li><a href="/metrics"><code>/metrics</code></a>: the exporter's own metrics.</li>
</ul>
<p>Scrape it as the blackbox exporter is scraped: the targets in <code>static_configs</code>,
<code>metrics_path: /probe</code>, and relabelling that moves <code>__address__</code> to
<code>__param_target</code> and points <code>__address__</code> at this exporter. The configuration,
alert rules and service set-up are in <code>docs/monitoring.md</code>.</p>
</body></html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_takes_exactly_one_amurl_or_host() {
        assert_eq!(
            probe_target("target=mail.contoso.com"),
            Ok("mail.contoso.com".into())
        );
        let amurl = "https://mail.contoso.com/autodiscover/metadata/json/1";
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("target", amurl)
            .finish();
        assert_eq!(probe_target(&query), Ok(amurl.into()));
        for bad in [
            "",
            "module=x",
            "target=",
            "target=a.test&target=b.test",
            "target=ftp://mail.contoso.com/x",
        ] {
            assert!(probe_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_token_or_credentials_are_refused_without_being_echoed() {
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6ImFiYyJ9.eyJhcHBjdHgiOiJ7fSJ9.c2ln";
        let encoded: String = jwt.bytes().map(|b| format!("%{b:02X}")).collect();
        for target in [
            jwt.to_string(),
            format!("https://mail.contoso.com/autodiscover/metadata/json/1?t={jwt}"),
            // Escaped once more for the query string: the URL's path holds it escaped.
            format!("https://mail.contoso.com/{}", encoded.replace('%', "%25")),
        ] {
            let query = format!("target={target}");
            let refusal = probe_target(&query).expect_err("a token is refused");
            assert!(!refusal.contains("eyJ"), "{refusal}");
            assert!(refusal.contains("token"), "{refusal}");
        }
        let refusal = probe_target(
            "target=https://user:secret@mail.contoso.com/autodiscover/metadata/json/1",
        )
        .expect_err("credentials are refused");
        assert!(!refusal.contains("secret"), "{refusal}");
    }

    #[test]
    fn a_shorter_scrape_timeout_shortens_the_budget() {
        let exporter = Exporter {
            net: crate::settings::NetSettings::from_args(&test_net_args().flags())
                .expect("settings"),
            strict: false,
            jobs: 1,
            probes: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            peers: Mutex::default(),
            counters: Counters::default(),
            drain_within: Duration::from_secs(1),
        };
        assert_eq!(exporter.net_within(None).timeout, Duration::from_secs(15));
        assert_eq!(
            exporter.net_within(Some(10.0)).timeout,
            Duration::from_secs_f64(9.5)
        );
        assert_eq!(
            exporter.net_within(Some(0.2)).timeout,
            Duration::from_secs_f64(MIN_PROBE_BUDGET)
        );
        assert_eq!(
            exporter.net_within(Some(60.0)).timeout,
            Duration::from_secs(15)
        );
    }

    /// The network flags of `serve`, parsed as a command line is (so that a
    /// new flag needs no change here).
    fn test_net_args() -> crate::cli::NetArgs {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "idtoken-doctor",
            "serve",
            "--timeout",
            "15",
            "--dns-server",
            "127.0.0.1:53",
            "--no-system-dns",
        ])
        .expect("a valid command line");
        match cli.command {
            crate::cli::Command::Serve(args) => args.net,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn slots_are_bounded_and_given_back() {
        let count = AtomicUsize::new(0);
        let first = slot(&count, 1).expect("one is free");
        assert!(slot(&count, 1).is_none());
        assert!(slot(&count, 1).is_none());
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "a refusal gives nothing back"
        );
        drop(first);
        assert!(slot(&count, 1).is_some());
        assert_eq!(count.load(Ordering::SeqCst), 0);
        assert!(acquire(&count, 2) && acquire(&count, 2) && !acquire(&count, 2));
        drop(Release(&count));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_stop_handler_wakes_a_listener_on_every_address_through_loopback() {
        let any: SocketAddr = "0.0.0.0:9871".parse().expect("addr");
        assert_eq!(wake_address(any), "127.0.0.1:9871".parse().expect("addr"));
        let any6: SocketAddr = "[::]:9871".parse().expect("addr");
        assert_eq!(wake_address(any6), "[::1]:9871".parse().expect("addr"));
        let one: SocketAddr = "192.0.2.1:80".parse().expect("addr");
        assert_eq!(wake_address(one), one);
    }

    #[test]
    fn the_index_page_says_how_to_scrape() {
        let page = index_page(4);
        assert!(page.contains("/probe?target="));
        assert!(page.contains("__param_target"));
        assert!(page.contains("at most 4 at once"));
    }
}
