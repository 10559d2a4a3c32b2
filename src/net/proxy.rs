//! A tunnel through an HTTP CONNECT proxy (`--proxy`), for an engineer whose
//! network reaches the internet only through one. SSI itself connects
//! directly, so reports say when a proxy was used.
//!
//! Credentials in the proxy's URL go to the proxy, with every CONNECT, before
//! it asks (as curl sends them); never to the target. A proxy that wants
//! credentials it did not get (407) is reported as such.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use url::{Host, Url};

use super::{await_system_lookup, start_system_lookup, ConnectFailure, SystemLookup};
use crate::settings::ProxySetting;

/// The most the tool reads of a proxy's answer to CONNECT before giving up on it.
pub const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// An open tunnel: bytes written to `stream` reach the destination.
#[derive(Debug)]
pub struct Tunnel {
    /// The connection to the proxy, now carrying the tunnel. No read or
    /// write timeouts are left set on it.
    pub stream: TcpStream,
    /// The proxy's address.
    pub proxy_addr: SocketAddr,
    /// The proxy's status line (`HTTP/1.1 200 Connection established`).
    pub status_line: String,
    /// How long connecting to the proxy took.
    pub connect_time: Duration,
}

/// Why no tunnel was opened.
#[derive(Debug)]
pub enum TunnelError {
    /// The proxy's host name did not resolve.
    ProxyName(String),
    /// No connection to the proxy: its address and how the attempt failed.
    ProxyConnect(SocketAddr, ConnectFailure, io::Error),
    /// The proxy answered CONNECT with something other than 2xx.
    Refused {
        /// The status code.
        status: u16,
        /// The whole status line, for the report.
        status_line: String,
        /// The `Proxy-Authenticate` challenges of a 407, if any.
        challenges: Vec<String>,
    },
    /// The deadline passed; the text says during what.
    TimedOut(String),
    /// The proxy's answer is not HTTP, too large, or cut short.
    Protocol(String),
}

impl fmt::Display for TunnelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TunnelError::ProxyName(why) => write!(f, "the proxy's name does not resolve: {why}"),
            TunnelError::ProxyConnect(addr, kind, e) => {
                write!(f, "connecting to the proxy {addr}: {} ({e})", kind.label())
            }
            TunnelError::Refused { status_line, .. } => {
                write!(f, "the proxy refused the tunnel: {status_line}")
            }
            TunnelError::TimedOut(during) => write!(f, "no answer in time while {during}"),
            TunnelError::Protocol(why) => write!(f, "the proxy's answer is unusable: {why}"),
        }
    }
}

impl std::error::Error for TunnelError {}

/// The authority a CONNECT request names: `host:port`, IPv6 in brackets.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn proxy_addresses(proxy: &Url, deadline: Instant) -> Result<Vec<SocketAddr>, TunnelError> {
    let port = proxy.port_or_known_default().unwrap_or(80);
    match proxy.host() {
        Some(Host::Ipv4(ip)) => Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(Host::Ipv6(ip)) => Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(Host::Domain(name)) => {
            // The proxy is the user's own choice, on the user's network: the
            // system resolver is the right one to ask, and any address is fine.
            let receiver = start_system_lookup(name);
            match await_system_lookup(&receiver, deadline) {
                SystemLookup::Addresses(ips) if !ips.is_empty() => Ok(ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect()),
                SystemLookup::Addresses(_) => {
                    Err(TunnelError::ProxyName(format!("{name}: no address")))
                }
                SystemLookup::Failed(why) => Err(TunnelError::ProxyName(format!("{name}: {why}"))),
                SystemLookup::TimedOut => Err(TunnelError::TimedOut(format!(
                    "resolving the proxy's name {name}"
                ))),
            }
        }
        None => Err(TunnelError::ProxyName("the proxy URL names no host".into())),
    }
}

/// The CONNECT request for `destination`, with the proxy's credentials
/// (`authorization`, a `Proxy-Authorization` value) when it has any.
fn connect_request(destination: &str, authorization: Option<&str>) -> String {
    let mut request = format!(
        "CONNECT {destination} HTTP/1.1\r\nHost: {destination}\r\nUser-Agent: idtoken-doctor/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(value) = authorization {
        request.push_str(&format!("Proxy-Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    request
}

/// Whether the proxy answered that it could not reach the destination
/// (502, 503, 504): another address of the same host may still do.
fn is_gateway_failure(error: &TunnelError) -> bool {
    matches!(
        error,
        TunnelError::Refused {
            status: 502..=504,
            ..
        }
    )
}

/// Whether the proxy refused a tunnel to an address by its policy (400, 403):
/// a proxy that allow-lists host names refuses every `CONNECT ADDRESS:PORT`.
pub fn refuses_addresses(error: &TunnelError) -> bool {
    matches!(
        error,
        TunnelError::Refused {
            status: 400 | 403,
            ..
        }
    )
}

/// Why the proxy refused a tunnel to `destination`, an address of `host`,
/// for a summary: the tool tunnels to the address it vetted, never to the
/// name, and never falls back to the name.
pub fn address_refusal(
    proxy_shown: &str,
    destination: &str,
    host: &str,
    status_line: &str,
) -> String {
    format!(
        "the proxy {proxy_shown} refused a tunnel to {destination}, the vetted address of {host} ({status_line}): \
         it probably allows CONNECT by host name only. The tool tunnels to the address it resolved and checked, \
         never to the name, since the proxy's own DNS could answer with an address inside its network; \
         allow the address on the proxy, or pin one it allows with --resolve {host}:PORT:ADDRESS"
    )
}

/// Opens a tunnel to the first of `addresses` the proxy reaches, in order:
/// each is named by its address, never by the host's name (the proxy's own
/// resolver could answer with an address inside its network). Only a
/// gateway failure moves on to the next; the error comes with the address
/// it concerns.
pub fn open_tunnel_to_any(
    proxy: &ProxySetting,
    addresses: &[SocketAddr],
    deadline: Instant,
) -> Result<(Tunnel, SocketAddr), (String, TunnelError)> {
    let mut last = None;
    for addr in addresses {
        let addr = super::over_its_own_family(*addr);
        match open_tunnel(proxy, &addr.to_string(), deadline) {
            Ok(tunnel) => return Ok((tunnel, addr)),
            Err(error) if is_gateway_failure(&error) => last = Some((addr.to_string(), error)),
            Err(error) => return Err((addr.to_string(), error)),
        }
    }
    Err(last.unwrap_or_else(|| {
        (
            "no address".into(),
            TunnelError::Protocol("no address to tunnel to".into()),
        )
    }))
}

/// Connects to the proxy and asks it for a tunnel to `destination`
/// (`host:port`), all before `deadline`. The proxy is the user's own choice:
/// its address may be private and is used as given.
pub fn open_tunnel(
    proxy: &ProxySetting,
    destination: &str,
    deadline: Instant,
) -> Result<Tunnel, TunnelError> {
    let addresses = proxy_addresses(&proxy.url, deadline)?;
    let mut last_error = None;
    let mut connected = None;
    for (index, addr) in addresses.iter().enumerate() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        // Each untried address gets a fair share of what is left.
        let share = remaining / (addresses.len() - index) as u32;
        let started = Instant::now();
        match TcpStream::connect_timeout(addr, share) {
            Ok(stream) => {
                super::no_delay(&stream);
                connected = Some((stream, *addr, started.elapsed()));
                break;
            }
            Err(e) => {
                last_error = Some(TunnelError::ProxyConnect(*addr, ConnectFailure::of(&e), e))
            }
        }
    }
    let Some((mut stream, proxy_addr, connect_time)) = connected else {
        return Err(
            last_error.unwrap_or_else(|| TunnelError::TimedOut("connecting to the proxy".into()))
        );
    };

    let request = connect_request(destination, proxy.authorization().as_deref());
    set_timeouts(&stream, deadline, "sending CONNECT to the proxy")?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| io_failure(e, "sending CONNECT to the proxy"))?;

    // A proxy may echo what it was sent: its answer never shows the credentials.
    let head = proxy.scrub(&String::from_utf8_lossy(&read_head(&mut stream, deadline)?));
    let (status, status_line, challenges) = parse_head(head.as_bytes())?;
    if !(200..300).contains(&status) {
        return Err(TunnelError::Refused {
            status,
            status_line,
            challenges,
        });
    }
    // Later stages set their own timeouts from the budget.
    let _ = stream.set_read_timeout(None);
    let _ = stream.set_write_timeout(None);
    Ok(Tunnel {
        stream,
        proxy_addr,
        status_line,
        connect_time,
    })
}

fn set_timeouts(stream: &TcpStream, deadline: Instant, during: &str) -> Result<(), TunnelError> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(TunnelError::TimedOut(during.to_string()));
    }
    stream
        .set_read_timeout(Some(remaining))
        .and_then(|()| stream.set_write_timeout(Some(remaining)))
        .map_err(|e| TunnelError::Protocol(format!("cannot set socket timeouts ({e})")))
}

fn io_failure(error: io::Error, during: &str) -> TunnelError {
    match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            TunnelError::TimedOut(during.to_string())
        }
        _ => TunnelError::Protocol(format!("{during}: {error}")),
    }
}

/// Reads the response head one byte at a time, so that not a byte of the
/// tunnel behind it is consumed, re-checking the deadline before every read
/// (a proxy may trickle one byte a second).
fn read_head(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, TunnelError> {
    const DURING: &str = "reading the proxy's answer to CONNECT";
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    loop {
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
        if head.len() >= MAX_RESPONSE_HEAD {
            return Err(TunnelError::Protocol(format!(
                "the response head exceeds {MAX_RESPONSE_HEAD} bytes"
            )));
        }
        set_timeouts(stream, deadline, DURING)?;
        match stream.read(&mut byte) {
            Ok(0) => {
                return Err(TunnelError::Protocol(if head.is_empty() {
                    "the proxy closed the connection without answering".into()
                } else {
                    "the proxy closed the connection in the middle of its answer".into()
                }))
            }
            Ok(_) => head.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_failure(e, DURING)),
        }
    }
}

/// The status code, status line and `Proxy-Authenticate` challenges of a response head.
fn parse_head(head: &[u8]) -> Result<(u16, String, Vec<String>), TunnelError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines();
    let status_line = lines.next().unwrap_or_default().trim().to_string();
    let mut parts = status_line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    let status = parts.next().and_then(|code| code.parse::<u16>().ok());
    let status = match status {
        Some(code) if version.starts_with("HTTP/") && (100..600).contains(&code) => code,
        _ => {
            let shown: String = status_line.chars().take(80).collect();
            return Err(TunnelError::Protocol(format!(
                "not an HTTP status line: `{shown}`"
            )));
        }
    };
    let challenges = lines
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authenticate"))
        .filter_map(|(_, value)| value.split_whitespace().next().map(str::to_string))
        .collect();
    Ok((status, status_line, challenges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read_strictly() {
        let (status, line, challenges) =
            parse_head(b"HTTP/1.1 200 Connection established\r\n\r\n").expect("parses");
        assert_eq!(
            (status, line.as_str()),
            (200, "HTTP/1.1 200 Connection established")
        );
        assert!(challenges.is_empty());
        let (status, _, challenges) = parse_head(
            b"HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nproxy-authenticate: Basic realm=\"corp\"\r\n\r\n",
        )
        .expect("parses");
        assert_eq!(status, 407);
        assert_eq!(
            challenges,
            vec!["Negotiate".to_string(), "Basic".to_string()]
        );
        assert!(matches!(
            parse_head(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
            Err(TunnelError::Protocol(_))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 abc\r\n\r\n"),
            Err(TunnelError::Protocol(_))
        ));
    }

    #[test]
    fn credentials_go_with_every_connect_request() {
        let with = connect_request("mail.contoso.com:443", Some("Basic YWxpY2U6UzNjcmV0"));
        assert!(with.starts_with("CONNECT mail.contoso.com:443 HTTP/1.1\r\n"));
        assert!(with.contains("\r\nProxy-Authorization: Basic YWxpY2U6UzNjcmV0\r\n"));
        assert!(with.ends_with("\r\n\r\n"));
        let without = connect_request("mail.contoso.com:443", None);
        assert!(!without.contains("Proxy-Authorization"));
    }

    #[test]
    fn authorities_bracket_ipv6() {
        assert_eq!(authority("mail.contoso.com", 443), "mail.contoso.com:443");
        assert_eq!(authority("2001:db8::1", 443), "[2001:db8::1]:443");
    }
}
