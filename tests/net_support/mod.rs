//! Servers for the engineer's-side tests, all on 127.0.0.1: a CONNECT proxy
//! that wants Basic credentials and logs every CONNECT with its headers, and
//! a DNS-over-HTTPS endpoint (RFC 8484) in front of a lab DNS server.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::Engine;
use idtoken_doctor::lab::pki::ServerIdentity;
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// Reads an HTTP request head, one byte at a time (nothing after it is consumed).
fn read_head(stream: &mut impl Read) -> io::Result<Vec<String>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
        if head.len() > 64 * 1024 {
            return Err(io::ErrorKind::InvalidData.into());
        }
    }
    Ok(String::from_utf8_lossy(&head)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect())
}

/// The value of header `name` in a logged head.
pub fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
    head.iter().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// A CONNECT proxy on 127.0.0.1. Every name or address it is asked to
/// tunnel to is connected to on 127.0.0.1 (its "resolver" knows only the
/// lab: a split horizon), so tests can give the target a public-looking
/// address in DNS and still reach the lab through the proxy. Its policy
/// forbids `denied.` names and the address 20.1.2.4 (403), as a corporate
/// proxy's category filter would.
pub struct ConnectProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Vec<String>>>>,
}

/// How a [`ConnectProxy`] treats a CONNECT to an IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addresses {
    /// Tunnelled like a name.
    Allowed,
    /// Refused with 403, as a proxy that allow-lists host names does.
    Refused,
    /// Refused with 403, the status line repeating the credentials received
    /// (decoded `user:password` and the Basic value), as a careless proxy may.
    RefusedEchoing,
}

impl ConnectProxy {
    /// A proxy that tunnels only with `Proxy-Authorization: Basic` for
    /// `user:password` (407 otherwise), or for anyone when `None`.
    pub fn start(credentials: Option<(&str, &str)>) -> ConnectProxy {
        Self::with_policy(credentials, Addresses::Allowed)
    }

    /// A proxy like [`ConnectProxy::start`] that treats addresses as `addresses` says.
    pub fn with_policy(credentials: Option<(&str, &str)>, addresses: Addresses) -> ConnectProxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("proxy listens");
        let addr = listener.local_addr().expect("addr");
        let expected = credentials.map(|(user, password)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )
        });
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = log.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, expected) = (shared.clone(), expected.clone());
                thread::spawn(move || serve_connect(client, &log, expected.as_deref(), addresses));
            }
        });
        ConnectProxy { addr, log }
    }

    /// The proxy's URL, with `user:password@` when given.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// Every request head received so far (request line first, then headers).
    pub fn requests(&self) -> Vec<Vec<String>> {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }
}

fn serve_connect(
    mut client: TcpStream,
    log: &Mutex<Vec<Vec<String>>>,
    expected: Option<&str>,
    addresses: Addresses,
) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(head) = read_head(&mut client) else {
        return;
    };
    if let Ok(mut log) = log.lock() {
        log.push(head.clone());
    }
    let mut parts = head[0].split_whitespace();
    let (Some("CONNECT"), Some(authority)) = (parts.next(), parts.next()) else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if expected.is_some() && header(&head, "proxy-authorization") != expected {
        let _ = client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"lab\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    if addresses == Addresses::RefusedEchoing {
        let value = header(&head, "proxy-authorization").unwrap_or_default();
        let pair = value
            .strip_prefix("Basic ")
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        let _ = client.write_all(
            format!("HTTP/1.1 403 Forbidden for {pair} ({value})\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        );
        return;
    }
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
        .trim_matches(['[', ']']);
    let is_address = host.parse::<std::net::IpAddr>().is_ok();
    if authority.starts_with("denied.")
        || host == "20.1.2.4"
        || (is_address && addresses != Addresses::Allowed)
    {
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    let port = authority
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse::<u16>().ok())
        .unwrap_or(443);
    let Ok(upstream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let _ = client.set_read_timeout(None);
    let (Ok(mut up_read), Ok(mut down_write)) = (upstream.try_clone(), client.try_clone()) else {
        return;
    };
    thread::spawn(move || {
        let _ = io::copy(&mut up_read, &mut down_write);
        let _ = down_write.shutdown(Shutdown::Write);
    });
    let mut upstream = upstream;
    let _ = io::copy(&mut client, &mut upstream);
    let _ = upstream.shutdown(Shutdown::Write);
}

/// A DNS-over-HTTPS endpoint on 127.0.0.1: POSTs of `application/dns-message`
/// to `/dns-query` are passed to `upstream` (a lab DNS server) over UDP.
pub struct DohServer {
    /// Where it listens.
    pub addr: SocketAddr,
    posts: Arc<Mutex<usize>>,
}

impl DohServer {
    /// Serves with `identity` (a certificate for 127.0.0.1 from the lab PKI).
    pub fn start(identity: ServerIdentity, upstream: SocketAddr) -> DohServer {
        let config = Arc::new(
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(identity.chain.clone(), identity.key.clone_key())
                .expect("certificate"),
        );
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("DoH listens");
        let addr = listener.local_addr().expect("addr");
        let posts = Arc::new(Mutex::new(0));
        let counter = posts.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (config, counter) = (config.clone(), counter.clone());
                thread::spawn(move || serve_doh(client, config, upstream, &counter));
            }
        });
        DohServer { addr, posts }
    }

    /// The URL to name as a resolver.
    pub fn url(&self) -> String {
        format!("https://{}/dns-query", self.addr)
    }

    /// How many DNS queries were POSTed.
    pub fn posts(&self) -> usize {
        self.posts.lock().map(|n| *n).unwrap_or_default()
    }
}

fn serve_doh(
    client: TcpStream,
    config: Arc<ServerConfig>,
    upstream: SocketAddr,
    posts: &Mutex<usize>,
) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(connection) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = StreamOwned::new(connection, client);
    let Ok(head) = read_head(&mut tls) else {
        return;
    };
    let length: usize = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut query = vec![0u8; length.min(65_535)];
    if !head[0].starts_with("POST /dns-query ")
        || header(&head, "content-type") != Some("application/dns-message")
        || tls.read_exact(&mut query).is_err()
    {
        let _ = tls.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    if let Ok(mut posts) = posts.lock() {
        *posts += 1;
    }
    let answer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|socket| {
        socket.set_read_timeout(Some(Duration::from_secs(5)))?;
        socket.send_to(&query, upstream)?;
        let mut buf = vec![0u8; 65_535];
        let (len, _) = socket.recv_from(&mut buf)?;
        buf.truncate(len);
        Ok(buf)
    });
    let Ok(answer) = answer else {
        let _ = tls.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        answer.len()
    );
    let _ = tls.write_all(head.as_bytes());
    let _ = tls.write_all(&answer);
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
