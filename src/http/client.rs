//! The one way this tool makes an HTTP request: anonymous, no redirects followed,
//! pinned to addresses the earlier stages vetted, bounded by the shared budget.
//!
//! Both the `http` and the `ews` links (and `keys --metadata URL`) go through
//! [`get`], so they send the same headers and obey the same rules.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rustls_pki_types::CertificateDer;
use ureq::config::{Config, ConfigBuilder};
use ureq::http::Response;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::typestate::AgentScope;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout, RustlsConnector, TcpConnector,
    Transport,
};
use ureq::{Agent, Body};
use url::Url;

use crate::budget::Budget;
use crate::net::proxy::{self, TunnelError};
use crate::settings::{NetSettings, ProxySetting};
use crate::tls::Session;

/// The most of a response body the tool reads: 1 MiB.
pub const BODY_LIMIT: usize = 1 << 20;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("idtoken-doctor/", env!("CARGO_PKG_VERSION"));

/// What a request is sent to, after the credentials in the URL are dropped.
#[derive(Debug, Clone)]
pub(crate) struct Destination {
    /// The URL as requested: no user name, password or fragment.
    pub url: Url,
    /// Whether the given URL carried a user name or password (never sent).
    pub had_credentials: bool,
}

impl Destination {
    /// The URL to request, without user info (ureq would turn it into Basic
    /// credentials) and without a fragment (never sent in HTTP anyway).
    pub fn new(url: &Url) -> Self {
        let mut clean = url.clone();
        let had_credentials = !url.username().is_empty() || url.password().is_some();
        // Both setters only fail for URLs that cannot have credentials at all
        // (no host), which an http(s) URL always has.
        let _ = clean.set_username("");
        let _ = clean.set_password(None);
        clean.set_fragment(None);
        Destination {
            url: clean,
            had_credentials,
        }
    }

    /// The URL's host as a resolver compares it: lower case, no brackets, no final dot.
    fn host_key(&self) -> String {
        host_key(self.url.host_str().unwrap_or_default())
    }

    /// The URL's port, or the scheme's default.
    fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(443)
    }
}

fn host_key(host: &str) -> String {
    host.trim_matches(['[', ']'])
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// A response, and the reason phrase of its status line as the server sent it.
///
/// The HTTP client keeps only the status code (its reason phrase is the
/// standard one), yet Forefront TMG says there why it refused: `401
/// Unauthorized ( The server requires authorization to fulfill the request. … )`.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The response, its body not yet read.
    pub response: Response<Body>,
    /// The reason phrase after the response's status code, when one came
    /// (lossy UTF-8, untrusted: escape before showing).
    pub sent_reason: Option<String>,
}

impl Answer {
    fn new(response: Response<Body>, slot: &ReasonSlot) -> Self {
        // An interim answer (`103 Early Hints`) may have come first: its
        // phrase is not the response's.
        let sent_reason = slot
            .taken()
            .filter(|(status, _)| *status == response.status().as_u16())
            .map(|(_, reason)| reason);
        Answer {
            response,
            sent_reason,
        }
    }
}

/// The longest reason phrase kept, in bytes of the status line looked at.
const STATUS_LINE_LIMIT: usize = 1024;

/// The status code and reason phrase of the status line at the start of
/// `input`, once the whole line has arrived; `None` while it has not, or when
/// `input` does not start with a status line.
fn status_line(input: &[u8]) -> Option<(u16, String)> {
    let head = &input[..input.len().min(STATUS_LINE_LIMIT)];
    let end = head.iter().position(|&b| b == b'\n')?;
    let line = String::from_utf8_lossy(&head[..end]);
    let line = line.trim_end_matches('\r');
    let mut parts = line.splitn(3, ' ');
    let (version, status) = (parts.next()?, parts.next()?);
    if !version.starts_with("HTTP/")
        || status.len() != 3
        || !status.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let status = status.parse().ok()?;
    Some((status, parts.next().unwrap_or_default().trim().to_string()))
}

/// Where a connection puts the status line of the answer it is reading:
/// taken with the answer, so that a kept connection's next answer fills it
/// afresh.
#[derive(Debug, Clone, Default)]
struct ReasonSlot(Arc<Mutex<Option<(u16, String)>>>);

impl ReasonSlot {
    fn taken(&self) -> Option<(u16, String)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// A transport that notes the reason phrase of the first status line it reads
/// and otherwise passes everything through unchanged.
#[derive(Debug)]
struct ReasonReader<T> {
    inner: T,
    slot: ReasonSlot,
}

impl<T: Transport> Transport for ReasonReader<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let progressed = self.inner.await_input(timeout)?;
        let mut slot = self.slot.0.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = status_line(self.inner.buffers().input());
        }
        Ok(progressed)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// The last link of ureq's connector chain: wraps the connection (TLS, after
/// any proxy tunnel) in a [`ReasonReader`].
#[derive(Debug)]
struct ReasonConnector {
    slot: ReasonSlot,
}

impl<In: Transport> Connector<In> for ReasonConnector {
    type Out = ReasonReader<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| ReasonReader {
            inner,
            slot: self.slot.clone(),
        }))
    }
}

/// A resolver that answers only for the target host, with the vetted addresses.
///
/// ureq would otherwise ask the system resolver, which may return a private
/// address or a different one from what public DNS says. With `--proxy` too:
/// the tunnel goes to these addresses ([`TunnelConnector`]), ureq never
/// learns of the proxy.
#[derive(Debug)]
struct PinnedResolver {
    host: String,
    port: u16,
    addrs: Vec<SocketAddr>,
}

impl Resolver for PinnedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = host_key(uri.host().unwrap_or_default());
        let port = uri.port_u16();
        if host != self.host {
            // Never reached with redirects off; refuse rather than resolve anything else.
            return Err(ureq::Error::HostNotFound);
        }
        let mut resolved = self.empty();
        for addr in &self.addrs {
            // The connector connects to the URL's port; the vetted part is the address.
            let addr = crate::net::over_its_own_family(SocketAddr::new(
                addr.ip(),
                port.unwrap_or(self.port),
            ));
            if resolved.try_push(addr).is_err() {
                break;
            }
        }
        if resolved.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(resolved)
    }
}

/// Mozilla's public roots as full certificates, converted once.
pub(crate) fn public_roots() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    })
}

/// Mozilla's public roots and `extra` (from `--ca-file`), built once and shared
/// by every request with the same extra roots: a batch would otherwise copy
/// the ~150 roots for each of its requests.
fn trust_anchors(extra: &[CertificateDer<'static>]) -> Arc<Vec<Certificate<'static>>> {
    /// The extra roots of the last call, and the anchors built for them.
    type Built = (Vec<CertificateDer<'static>>, Arc<Vec<Certificate<'static>>>);
    static LAST: Mutex<Option<Built>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((for_extra, anchors)) = last.as_ref() {
        if for_extra.as_slice() == extra {
            return Arc::clone(anchors);
        }
    }
    let mut anchors: Vec<Certificate<'static>> = public_roots().to_vec();
    anchors.extend(
        extra
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
    );
    let anchors = Arc::new(anchors);
    *last = Some((extra.to_vec(), Arc::clone(&anchors)));
    anchors
}

/// The agent every request of the tool goes through.
///
/// `addrs` are the addresses to connect to for the URL's host (already vetted
/// by the caller): directly, or with `--proxy` through a tunnel to them.
fn agent(
    destination: &Destination,
    addrs: &[SocketAddr],
    net: &NetSettings,
    budget: &Budget,
    slot: &ReasonSlot,
) -> Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(trust_anchors(&net.extra_roots)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    // ureq reads HTTPS_PROXY and friends by default, and its own CONNECT
    // names the host: no proxy for ureq, the tunnel is the first connector's.
    let config = request_config(budget).proxy(None).tls_config(tls).build();
    let resolver = PinnedResolver {
        host: destination.host_key(),
        port: destination.port(),
        addrs: addrs.to_vec(),
    };
    let connector = ()
        .chain(TunnelConnector {
            proxy: net.proxy.clone(),
            budget: *budget,
        })
        .chain(TcpConnector::default())
        .chain(RustlsConnector::default())
        .chain(ReasonConnector { slot: slot.clone() });
    Agent::with_parts(config, connector, resolver)
}

/// The first link of the connector chain with `--proxy`: a tunnel through the
/// proxy to the first of the vetted addresses it reaches, named by address
/// (the proxy's own resolver could answer with one inside its network); TLS
/// and the request then ride it as they would a direct connection, SNI and
/// Host keeping the name. Without a proxy it leaves the connecting to the next.
#[derive(Debug)]
struct TunnelConnector {
    proxy: Option<ProxySetting>,
    budget: Budget,
}

impl Connector<()> for TunnelConnector {
    type Out = Tunnelled;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(proxy) = &self.proxy else {
            return Ok(None);
        };
        let addrs: Vec<SocketAddr> = details.addrs.iter().copied().collect();
        let (tunnel, _) = proxy::open_tunnel_to_any(proxy, &addrs, self.budget.deadline())
            .map_err(|(destination, error)| {
                ureq::Error::Other(Box::new(TunnelFailure { destination, error }))
            })?;
        Ok(Some(Tunnelled {
            stream: tunnel.stream,
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            budget: self.budget,
        }))
    }
}

/// Why [`TunnelConnector`] opened no tunnel, carried through ureq's error.
#[derive(Debug)]
struct TunnelFailure {
    /// The address the CONNECT named.
    destination: String,
    error: TunnelError,
}

impl fmt::Display for TunnelFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (CONNECT {})", self.error, self.destination)
    }
}

impl std::error::Error for TunnelFailure {}

/// A tunnel through the proxy as a ureq transport, every read and write
/// bounded by the budget.
#[derive(Debug)]
struct Tunnelled {
    stream: TcpStream,
    buffers: LazyBuffers,
    budget: Budget,
}

impl Tunnelled {
    /// Bounds the next read and write by what is left of the budget.
    fn bound(&self) -> Result<(), ureq::Error> {
        let remaining = self.budget.remaining();
        if remaining.is_zero() {
            return Err(ureq::Error::Timeout(ureq::Timeout::Global));
        }
        self.stream
            .set_read_timeout(Some(remaining))
            .and_then(|()| self.stream.set_write_timeout(Some(remaining)))
            .map_err(ureq::Error::Io)
    }
}

impl Transport for Tunnelled {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, _timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.bound()?;
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output).map_err(transport_error)
    }

    fn await_input(&mut self, _timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.bound()?;
        let input = self.buffers.input_append_buf();
        let read = loop {
            match self.stream.read(input) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(transport_error)?,
            }
        };
        self.buffers.input_appended(read);
        Ok(read > 0)
    }

    fn is_open(&mut self) -> bool {
        true
    }

    fn is_tls(&self) -> bool {
        false
    }
}

/// What every request of the tool is: no redirects followed, statuses as
/// answers (not errors), the budget as the deadline, the same headers, no
/// connection kept.
fn request_config(budget: &Budget) -> ConfigBuilder<AgentScope> {
    Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(budget.remaining()))
        .user_agent(USER_AGENT)
        .accept("application/json")
        .accept_encoding("")
        .max_idle_connections(0)
        .output_buffer_size(OUTPUT_BUFFER)
        .input_buffer_size(INPUT_BUFFER)
}

/// The output buffer of each connection layer (TCP, TLS). A request is a few
/// hundred bytes, and a TLS record fits too (rustls writes through in pieces);
/// ureq's default of 128 KiB, zero-filled for every layer of every connection,
/// was the largest part of a batch's memory (64 jobs: 20 of 88 MiB).
const OUTPUT_BUFFER: usize = 16 * 1024;

/// The input buffer of each connection layer: room for the largest response
/// head ureq accepts (64 KiB), and more than a TLS record, instead of ureq's
/// 128 KiB default.
const INPUT_BUFFER: usize = 80 * 1024;

/// An agent that sends its GETs over `session`, the TLS connection the
/// `tls` link established to `peer` (directly, or through the proxy's
/// tunnel): the first request reuses the handshake that was judged, and a
/// later one to the same host and port rides the same connection when the
/// server kept it open (HTTP/1.1 keep-alive).
#[derive(Debug)]
pub(crate) struct SessionAgent {
    agent: Agent,
    slot: ReasonSlot,
}

impl SessionAgent {
    /// The agent for `destination`'s host and port over `session`.
    pub(crate) fn new(
        destination: &Destination,
        session: Session,
        peer: SocketAddr,
        budget: &Budget,
    ) -> Self {
        // No proxy here: a tunnel, if any, is already the connection. One
        // idle connection is kept: this one, between two GETs.
        let config = request_config(budget)
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .build();
        let resolver = PinnedResolver {
            host: destination.host_key(),
            port: destination.port(),
            addrs: vec![peer],
        };
        let slot = ReasonSlot::default();
        let connector = HandOver {
            session: Mutex::new(Some(ReasonReader {
                inner: Established {
                    buffers: LazyBuffers::new(
                        config.input_buffer_size(),
                        config.output_buffer_size(),
                    ),
                    session,
                    budget: *budget,
                },
                slot: slot.clone(),
            })),
        };
        SessionAgent {
            agent: Agent::with_parts(config, connector, resolver),
            slot,
        }
    }

    /// An anonymous GET of `destination` over the connection; `None` when
    /// the server did not keep it open for this one.
    pub(crate) fn get(
        &self,
        destination: &Destination,
        budget: &Budget,
    ) -> Result<Option<Answer>, Failure> {
        let response = match self.agent.get(destination.url.as_str()).call() {
            Ok(response) => response,
            // Only the hand-over connector fails so: its one connection is
            // neither idle in the pool nor left to hand over.
            Err(ureq::Error::ConnectionFailed) => return Ok(None),
            Err(e) => return Err(Failure::from_ureq(e, budget)),
        };
        Ok(Some(Answer::new(response, &self.slot)))
    }
}

/// A connector that gives ureq the one connection already established, once.
#[derive(Debug)]
struct HandOver {
    session: Mutex<Option<ReasonReader<Established>>>,
}

impl Connector for HandOver {
    type Out = ReasonReader<Established>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .map(Some)
            .ok_or(ureq::Error::ConnectionFailed)
    }
}

/// The established TLS connection as a ureq transport, every read and write
/// bounded by the budget.
#[derive(Debug)]
struct Established {
    buffers: LazyBuffers,
    session: Session,
    budget: Budget,
}

impl Transport for Established {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, _timeout: NextTimeout) -> Result<(), ureq::Error> {
        let output = &self.buffers.output()[..amount];
        self.session
            .write_all(output, &self.budget)
            .map_err(transport_error)
    }

    fn await_input(&mut self, _timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let input = self.buffers.input_append_buf();
        let read = self
            .session
            .read(input, &self.budget)
            .map_err(transport_error)?;
        self.buffers.input_appended(read);
        Ok(read > 0)
    }

    fn is_open(&mut self) -> bool {
        true
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// An I/O error of the session as ureq reports it: the budget running out is
/// a timeout; anything else (a rustls alert included) stays an I/O error.
fn transport_error(e: io::Error) -> ureq::Error {
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        ureq::Error::Timeout(ureq::Timeout::Global)
    } else {
        ureq::Error::Io(e)
    }
}

/// An anonymous GET of `destination`, connecting only to `addrs` (directly,
/// or through the proxy's tunnel to them).
pub(crate) fn get(
    destination: &Destination,
    addrs: &[SocketAddr],
    net: &NetSettings,
    budget: &Budget,
) -> Result<Answer, Failure> {
    if addrs.is_empty() {
        return Err(Failure::NoAddress);
    }
    let slot = ReasonSlot::default();
    let agent = agent(destination, addrs, net, budget, &slot);
    let response = agent
        .get(destination.url.as_str())
        .call()
        .map_err(|e| Failure::from_ureq(e, budget))?;
    Ok(Answer::new(response, &slot))
}

/// How reading a body ended.
#[derive(Debug)]
pub(crate) enum BodyRead {
    /// The whole body, within the limit.
    Complete(Vec<u8>),
    /// More than [`BODY_LIMIT`] bytes (declared by Content-Length, or counted).
    TooLarge {
        /// The Content-Length the server declared, if any.
        declared: Option<u64>,
    },
    /// The body stopped before its end.
    Broken {
        /// Bytes received before it stopped.
        received: usize,
        /// Why it stopped.
        failure: Failure,
    },
}

/// Reads the body up to [`BODY_LIMIT`], re-checking the deadline between reads:
/// a server that sends one byte a second must not keep the command waiting.
pub(crate) fn read_body(response: &mut Response<Body>, budget: &Budget) -> BodyRead {
    let declared = response.body().content_length();
    if declared.is_some_and(|len| len > BODY_LIMIT as u64) {
        return BodyRead::TooLarge { declared };
    }
    let mut reader = response.body_mut().as_reader();
    let mut body = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if budget.expired() {
            return BodyRead::Broken {
                received: body.len(),
                failure: Failure::TimedOut,
            };
        }
        match reader.read(&mut chunk) {
            Ok(0) => return BodyRead::Complete(body),
            Ok(n) => {
                body.extend_from_slice(&chunk[..n]);
                if body.len() > BODY_LIMIT {
                    return BodyRead::TooLarge { declared };
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return BodyRead::Broken {
                    received: body.len(),
                    failure: Failure::from_ureq(ureq::Error::from(e), budget),
                }
            }
        }
    }
}

/// Why a request got no (complete) HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The budget ran out.
    TimedOut,
    /// Nothing listens on the port.
    Refused(String),
    /// The peer reset or closed the connection before answering.
    Reset(String),
    /// The TLS handshake failed; `certificate` when it is the certificate that was refused.
    Tls {
        /// The error text.
        message: String,
        /// Whether the server's certificate was what failed.
        certificate: bool,
    },
    /// The proxy refused or failed the CONNECT.
    Proxy(String),
    /// The proxy refused by its policy (400, 403) a tunnel to an address:
    /// it may allow CONNECT by host name only.
    ProxyRefusedAddress {
        /// The address the CONNECT named.
        destination: String,
        /// The proxy's status line (credentials scrubbed).
        status_line: String,
    },
    /// Bytes came back, but not a valid HTTP answer (or a header block too large).
    Malformed(String),
    /// No address to connect to.
    NoAddress,
    /// The address is not public and `--allow-private` was not given.
    NotAllowed(String),
    /// Anything else, as text.
    Other(String),
}

impl Failure {
    /// Sorts a ureq error into what a report needs to say.
    pub fn from_ureq(error: ureq::Error, budget: &Budget) -> Self {
        match error {
            ureq::Error::Timeout(_) => Failure::TimedOut,
            ureq::Error::Io(e) => Self::from_io(e, budget),
            ureq::Error::Rustls(e) => Failure::Tls {
                certificate: matches!(e, rustls::Error::InvalidCertificate(_)),
                message: e.to_string(),
            },
            ureq::Error::Tls(text) => Failure::Tls {
                message: text.to_string(),
                certificate: false,
            },
            ureq::Error::ConnectProxyFailed(text) => Failure::Proxy(text),
            e @ (ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..)) => {
                Failure::Malformed(e.to_string())
            }
            ureq::Error::HostNotFound => Failure::NoAddress,
            ureq::Error::Other(boxed) => match boxed.downcast::<TunnelFailure>() {
                Ok(tunnel) => Self::from_tunnel(*tunnel),
                Err(other) => Failure::Other(other.to_string()),
            },
            other => Failure::Other(other.to_string()),
        }
    }

    fn from_tunnel(failure: TunnelFailure) -> Self {
        match failure.error {
            TunnelError::TimedOut(_) => Failure::TimedOut,
            TunnelError::Refused { status_line, .. }
                if proxy::refuses_addresses(&failure.error) =>
            {
                Failure::ProxyRefusedAddress {
                    destination: failure.destination,
                    status_line,
                }
            }
            _ => Failure::Proxy(failure.to_string()),
        }
    }

    fn from_io(error: io::Error, budget: &Budget) -> Self {
        if let Some(tls) = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Failure::Tls {
                certificate: matches!(tls, rustls::Error::InvalidCertificate(_)),
                message: tls.to_string(),
            };
        }
        match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::TimedOut,
            io::ErrorKind::ConnectionRefused => Failure::Refused(error.to_string()),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe => Failure::Reset(error.to_string()),
            _ if budget.expired() => Failure::TimedOut,
            _ => Failure::Other(error.to_string()),
        }
    }

    /// Whether the failure is one a forward proxy could explain (this machine
    /// may not be allowed to connect out directly).
    pub fn is_connectivity(&self) -> bool {
        matches!(
            self,
            Failure::TimedOut | Failure::Refused(_) | Failure::Reset(_) | Failure::NoAddress
        )
    }

    /// The underlying error text, for a report's details.
    pub fn raw(&self) -> Option<&str> {
        match self {
            Failure::Refused(e)
            | Failure::Reset(e)
            | Failure::Proxy(e)
            | Failure::Malformed(e)
            | Failure::NotAllowed(e)
            | Failure::Other(e) => Some(e),
            Failure::Tls { message, .. } => Some(message),
            Failure::ProxyRefusedAddress { status_line, .. } => Some(status_line),
            Failure::TimedOut | Failure::NoAddress => None,
        }
    }

    /// A short description for a report, `after` being the budget text ("15 s").
    pub fn describe(&self, after: &str) -> String {
        match self {
            Failure::TimedOut => format!("timed out after {after}"),
            Failure::Refused(_) => "connection refused".to_string(),
            Failure::Reset(_) => "the server closed the connection without answering".to_string(),
            Failure::Tls { message, .. } => format!("TLS failed ({message})"),
            Failure::Proxy(e) => format!("the proxy failed the CONNECT ({e})"),
            Failure::ProxyRefusedAddress {
                destination,
                status_line,
            } => format!("the proxy refused a tunnel to the address {destination} ({status_line})"),
            Failure::Malformed(e) => format!("not a valid HTTP answer ({e})"),
            Failure::NoAddress => "no address to connect to".to_string(),
            Failure::NotAllowed(why) => why.clone(),
            Failure::Other(e) => e.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_is_read_once_it_has_come() {
        let tmg =
            b"HTTP/1.1 401 Unauthorized ( The server requires authorization. )\r\nVia: 1.1 TMG\r\n";
        let reason = |input: &[u8]| status_line(input).map(|(_, reason)| reason);
        assert_eq!(
            status_line(tmg),
            Some((
                401,
                "Unauthorized ( The server requires authorization. )".to_string()
            ))
        );
        assert_eq!(status_line(b"HTTP/1.1 401 Unauth"), None, "not whole yet");
        assert_eq!(reason(b"HTTP/1.1 204\r\n").as_deref(), Some(""));
        assert_eq!(reason(b"HTTP/1.0 200 OK\n").as_deref(), Some("OK"));
        assert_eq!(status_line(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_line(b"HTTP/1.1 2000 OK\r\n"), None);
        assert_eq!(status_line(b"HTTP/1.1 +20 OK\r\n"), None);
        let endless = [b"HTTP/1.1 200 ".as_slice(), &[b'x'; 4096], b"\r\n"].concat();
        assert_eq!(
            status_line(&endless),
            None,
            "a line past the limit is not read"
        );
        let raw = b"HTTP/1.1 403 \xff\x1b[2J\r\n";
        assert_eq!(reason(raw).as_deref(), Some("\u{fffd}\u{1b}[2J"));
    }

    #[test]
    fn credentials_and_fragments_are_dropped_from_the_url() {
        let url = Url::parse("https://user:secret@mail.contoso.com/autodiscover/metadata/json/1#x")
            .expect("url");
        let destination = Destination::new(&url);
        assert!(destination.had_credentials);
        assert_eq!(
            destination.url.as_str(),
            "https://mail.contoso.com/autodiscover/metadata/json/1"
        );
        let plain = Destination::new(&Url::parse("https://mail.contoso.com/").expect("url"));
        assert!(!plain.had_credentials);
    }

    #[test]
    fn the_pinned_resolver_answers_only_for_the_target() {
        let destination =
            Destination::new(&Url::parse("https://Mail.Contoso.com:8443/x").expect("url"));
        let resolver = PinnedResolver {
            host: destination.host_key(),
            port: destination.port(),
            addrs: vec!["127.0.0.1:443".parse().expect("addr")],
        };
        let config = Agent::config_builder().build();
        let timeout = NextTimeout::default();
        let uri: ureq::http::Uri = "https://mail.contoso.com:8443/x".parse().expect("uri");
        let addrs = resolver
            .resolve(&uri, &config, timeout)
            .expect("target resolves");
        let addrs: Vec<SocketAddr> = addrs.iter().copied().collect();
        assert_eq!(addrs, vec!["127.0.0.1:8443".parse().expect("addr")]);
        let other: ureq::http::Uri = "https://intranet.contoso.com/".parse().expect("uri");
        assert!(resolver.resolve(&other, &config, timeout).is_err());
    }

    #[test]
    fn public_roots_are_full_certificates() {
        assert!(public_roots().len() > 100);
        assert!(public_roots().iter().all(|c| c.der().len() > 300));
    }
}
