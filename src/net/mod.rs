//! Address classification and the connection helpers the network stages share.
//!
//! The contract forbids connecting to a non-public address without
//! `--allow-private`: a token must not be able to point the tool at the
//! engineer's own network, and from the internet such an address is
//! unreachable anyway. [`classify`] is the one place that decides what
//! "public" means; [`connect_allowed`] is the gate every stage passes before
//! it opens a connection.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use url::Url;

/// HTTP CONNECT tunnels through a proxy.
pub mod proxy;

/// What kind of address an IP is, as far as reachability from the internet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrClass {
    /// Globally routable: SSI can reach it from the internet.
    Public,
    /// 127.0.0.0/8 and ::1: this machine itself.
    Loopback,
    /// RFC 1918 private networks: 10/8, 172.16/12, 192.168/16.
    Private,
    /// 169.254/16 and fe80::/10: valid on one link only.
    LinkLocal,
    /// 100.64/10, the shared address space of carrier-grade NAT (RFC 6598).
    Cgnat,
    /// fc00::/7, IPv6 unique local addresses (RFC 4193).
    UniqueLocal,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 and 3fff::/20:
    /// reserved for examples in documentation.
    Documentation,
    /// 224/4 and ff00::/8.
    Multicast,
    /// 0.0.0.0 and ::.
    Unspecified,
    /// Any other special-purpose block: 0/8, 240/4, broadcast, benchmarking
    /// (198.18/15, 2001:2::/48), the deprecated 6to4 relay and 6to4, Teredo,
    /// discard-only, IETF protocol assignments, and IPv6 outside 2000::/3.
    Reserved,
}

impl AddrClass {
    /// Whether SSI could reach such an address from the internet.
    pub fn is_public(self) -> bool {
        self == AddrClass::Public
    }

    /// A short human label, as reports show it next to an address.
    pub fn label(self) -> &'static str {
        match self {
            AddrClass::Public => "public",
            AddrClass::Loopback => "loopback",
            AddrClass::Private => "private (RFC 1918)",
            AddrClass::LinkLocal => "link-local",
            AddrClass::Cgnat => "carrier-grade NAT (100.64.0.0/10)",
            AddrClass::UniqueLocal => "unique local (fc00::/7)",
            AddrClass::Documentation => "documentation range",
            AddrClass::Multicast => "multicast",
            AddrClass::Unspecified => "unspecified",
            AddrClass::Reserved => "reserved for special use",
        }
    }
}

impl AddrClass {
    /// The label with its indefinite article, for prose: `a private (RFC 1918)`,
    /// `an unspecified`.
    pub fn with_article(self) -> String {
        let article = match self {
            AddrClass::Unspecified => "an",
            _ => "a",
        };
        format!("{article} {}", self.label())
    }
}

impl fmt::Display for AddrClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Classifies an address (IPv4-mapped and NAT64 IPv6 addresses as the IPv4
/// address they carry).
pub fn classify(ip: IpAddr) -> AddrClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Whether SSI could reach the address from the internet.
pub fn is_public(ip: IpAddr) -> bool {
    classify(ip).is_public()
}

/// Whether the tool may open a connection to `ip`: public addresses always,
/// others only with `--allow-private`.
pub fn connect_allowed(ip: IpAddr, allow_private: bool) -> bool {
    allow_private || is_public(ip)
}

/// `ip (class)`, as reports list addresses.
pub fn describe(ip: IpAddr) -> String {
    format!("{ip} ({})", classify(ip).label())
}

/// Why the tool will not connect to a non-public address, for summaries and errors.
pub fn refusal(ip: IpAddr) -> String {
    format!(
        "{ip} is {} address, unreachable from the internet; the tool connects to it only with --allow-private",
        classify(ip).with_article()
    )
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    u128::from(ip) & mask == u128::from(net) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddrClass {
    use AddrClass::*;
    // Order matters where blocks nest: 0.0.0.0 inside 0/8, the two globally
    // reachable anycast addresses inside 192.0.0/24.
    let table: [([u8; 4], u32, AddrClass); 17] = [
        ([0, 0, 0, 0], 32, Unspecified),
        ([0, 0, 0, 0], 8, Reserved),
        ([10, 0, 0, 0], 8, Private),
        ([100, 64, 0, 0], 10, Cgnat),
        ([127, 0, 0, 0], 8, Loopback),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([172, 16, 0, 0], 12, Private),
        // PCP and TURN anycast (RFC 7723, RFC 8155) are globally reachable.
        ([192, 0, 0, 9], 32, Public),
        ([192, 0, 0, 10], 32, Public),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 0, 2, 0], 24, Documentation),
        ([192, 88, 99, 0], 24, Reserved),
        ([192, 168, 0, 0], 16, Private),
        ([198, 18, 0, 0], 15, Reserved),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([224, 0, 0, 0], 4, Multicast),
    ];
    if let Some((_, _, class)) = table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
    {
        return *class;
    }
    // 240/4 (future use) includes the limited broadcast address.
    if in_v4(ip, [240, 0, 0, 0], 4) {
        return Reserved;
    }
    Public
}

fn classify_v6(ip: Ipv6Addr) -> AddrClass {
    use AddrClass::*;
    if ip.is_unspecified() {
        return Unspecified;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let seg = ip.segments();
    // The NAT64 well-known prefix (RFC 6052) carries an IPv4 address in its
    // last 32 bits and may only carry public ones: judge what it carries.
    if in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        return classify_v4(v4);
    }
    // IETF protocol assignments (2001::/23) are special-purpose except a few
    // globally reachable blocks (RFC 6890 registry).
    let ietf_global: [(Ipv6Addr, u32); 5] = [
        (Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 1), 128),
        (Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 2), 128),
        (Ipv6Addr::new(0x2001, 3, 0, 0, 0, 0, 0, 0), 32),
        (Ipv6Addr::new(0x2001, 4, 0x112, 0, 0, 0, 0, 0), 48),
        (Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28),
    ];
    if ietf_global.iter().any(|(net, p)| in_v6(ip, *net, *p)) {
        return Public;
    }
    let table: [(Ipv6Addr, u32, AddrClass); 11] = [
        (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96, Reserved), // IPv4-compatible, deprecated
        (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48, Reserved), // local-use NAT64
        (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64, Reserved), // discard-only
        (
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
            32,
            Documentation,
        ),
        (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23, Reserved), // Teredo, benchmarking, ORCHID...
        (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16, Reserved), // 6to4
        (
            Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
            20,
            Documentation,
        ),
        (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16, Reserved), // SRv6 SIDs
        (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, UniqueLocal),
        (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, LinkLocal),
        (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, Multicast),
    ];
    if let Some((_, _, class)) = table.iter().find(|(net, p, _)| in_v6(ip, *net, *p)) {
        return *class;
    }
    // Only 2000::/3 is allocated for global unicast; the rest (including the
    // deprecated site-local fec0::/10) is not reachable from the internet.
    if in_v6(ip, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        Public
    } else {
        Reserved
    }
}

/// A URL as it may appear in a report: any user name and password removed.
pub fn redact_url(url: &Url) -> String {
    let mut shown = url.clone();
    // Both setters fail only for URLs that cannot carry credentials at all,
    // which then have none to hide.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// A proxy URL text from the environment, as a report may show it (no credentials).
pub fn redact_proxy_text(text: &str) -> String {
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    match Url::parse(&with_scheme) {
        Ok(url) => redact_url(&url),
        Err(_) => "(unparseable proxy setting)".to_string(),
    }
}

/// What the system resolver (`getaddrinfo`) said about a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemLookup {
    /// The addresses, in the order the system gave them, without duplicates.
    Addresses(Vec<IpAddr>),
    /// The system resolver answered with an error (no such name, say).
    Failed(String),
    /// No answer before the deadline (the lookup thread is left to finish alone).
    TimedOut,
}

/// Starts asking the system resolver about `host` on its own thread and
/// returns the receiving end: `getaddrinfo` cannot be cancelled, so callers
/// wait on the channel only as long as their budget allows.
pub fn start_system_lookup(host: &str) -> mpsc::Receiver<SystemLookup> {
    let (sender, receiver) = mpsc::channel();
    let host = host.to_string();
    let spawned = thread::Builder::new()
        .name("system-resolver".into())
        .spawn(move || {
            let answer = match (host.as_str(), 0u16).to_socket_addrs() {
                Ok(addrs) => {
                    let mut ips: Vec<IpAddr> = Vec::new();
                    for addr in addrs {
                        if !ips.contains(&addr.ip()) {
                            ips.push(addr.ip());
                        }
                    }
                    SystemLookup::Addresses(ips)
                }
                Err(e) => SystemLookup::Failed(e.to_string()),
            };
            // The receiver may have stopped waiting; nobody needs the answer then.
            let _ = sender.send(answer);
        });
    if let Err(e) = spawned {
        let (sender, receiver) = mpsc::channel();
        let _ = sender.send(SystemLookup::Failed(format!(
            "could not start the lookup thread ({e})"
        )));
        return receiver;
    }
    receiver
}

/// Waits for a lookup started by [`start_system_lookup`] until `deadline`.
pub fn await_system_lookup(
    receiver: &mpsc::Receiver<SystemLookup>,
    deadline: Instant,
) -> SystemLookup {
    let wait = deadline.saturating_duration_since(Instant::now());
    match receiver.recv_timeout(wait) {
        Ok(answer) => answer,
        Err(mpsc::RecvTimeoutError::Timeout) => SystemLookup::TimedOut,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            SystemLookup::Failed("the lookup thread ended without an answer".into())
        }
    }
}

/// Asks the system resolver about `host`, waiting at most `timeout`.
pub fn system_lookup(host: &str, timeout: Duration) -> SystemLookup {
    let receiver = start_system_lookup(host);
    await_system_lookup(&receiver, Instant::now() + timeout)
}

/// How a TCP connection attempt ended, in the terms the report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectFailure {
    /// The peer answered with a reset: nothing listens on the port.
    Refused,
    /// No answer in time: a firewall drops the packets.
    TimedOut,
    /// The host is unreachable (an ICMP error from a router on the way).
    Unreachable,
    /// This machine has no route for the address at all (no IPv6 here, no
    /// network, no source address of that family): nothing was sent.
    NoRoute,
    /// Anything else (a local firewall's permission error, say).
    Other,
}

impl ConnectFailure {
    /// Sorts an I/O error from a connect attempt.
    pub fn of(error: &io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ConnectFailure::TimedOut,
            io::ErrorKind::HostUnreachable => ConnectFailure::Unreachable,
            io::ErrorKind::NetworkUnreachable | io::ErrorKind::AddrNotAvailable => {
                ConnectFailure::NoRoute
            }
            _ => ConnectFailure::Other,
        }
    }

    /// A short label for details and summaries.
    pub fn label(self) -> &'static str {
        match self {
            ConnectFailure::Refused => "refused",
            ConnectFailure::TimedOut => "timed out",
            ConnectFailure::Unreachable => "unreachable",
            ConnectFailure::NoRoute => "no route",
            ConnectFailure::Other => "failed",
        }
    }
}

/// Opens a TCP connection to `addr` within `timeout`, having first checked
/// the address against the `--allow-private` rule.
///
/// The returned stream has no read or write timeouts set: each stage sets its
/// own from the budget before each blocking call.
pub fn connect_checked(
    addr: SocketAddr,
    allow_private: bool,
    timeout: Duration,
) -> Result<TcpStream, ConnectError> {
    if !connect_allowed(addr.ip(), allow_private) {
        return Err(ConnectError::NotAllowed(refusal(addr.ip())));
    }
    if timeout.is_zero() {
        return Err(ConnectError::Io(
            ConnectFailure::TimedOut,
            io::Error::new(io::ErrorKind::TimedOut, "no time left in the budget"),
        ));
    }
    let stream = TcpStream::connect_timeout(&over_its_own_family(addr), timeout)
        .map_err(|e| ConnectError::Io(ConnectFailure::of(&e), e))?;
    no_delay(&stream);
    Ok(stream)
}

/// `addr` with an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) turned into
/// the IPv4 address it stands for. Windows' IPv6 sockets are IPv6-only, so a
/// connection to the mapped form fails there (WSAENETUNREACH) while the host
/// is reachable over IPv4; elsewhere the two are the same connection.
pub fn over_its_own_family(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Turns Nagle's algorithm off. The TLS client's Finished and the request
/// behind it are two small writes: with Nagle on, the second waits for the
/// first to be acknowledged, which costs a whole round trip whenever the
/// peer delays its ACK, and not otherwise (a probe's time then varies by a
/// round trip from run to run). curl and ureq set it too.
pub fn no_delay(stream: &TcpStream) {
    // Without it the connection still works, only slower: nothing to report.
    let _ = stream.set_nodelay(true);
}

/// Why [`connect_checked`] did not connect.
#[derive(Debug)]
pub enum ConnectError {
    /// The address is not public and `--allow-private` was not given.
    NotAllowed(String),
    /// The attempt failed.
    Io(ConnectFailure, io::Error),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::NotAllowed(why) => f.write_str(why),
            ConnectError::Io(kind, e) => write!(f, "{} ({e})", kind.label()),
        }
    }
}

impl std::error::Error for ConnectError {}

#[cfg(test)]
mod tests;
