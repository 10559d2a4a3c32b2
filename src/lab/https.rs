//! A scripted web server on loopback: HTTPS (or plain HTTP) with routes that
//! answer well or badly, and whole-connection misbehaviours for the `tcp` and
//! `tls` links.
//!
//! ```no_run
//! use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Route};
//! use idtoken_doctor::lab::pki::Pki;
//!
//! let pki = Pki::new()?;
//! let identity = pki.leaf("mail.contoso.test").build()?.identity();
//! let server = HttpsServer::start(identity, vec![
//!     Route::new("/autodiscover/metadata/json/1", Behaviour::json(r#"{"keys":[]}"#)),
//!     Route::new("/EWS/Exchange.asmx", Behaviour::unauthorized(&["Negotiate", "NTLM"])),
//! ])?;
//! let url = server.url("mail.contoso.test", "/autodiscover/metadata/json/1");
//! // ... pin mail.contoso.test:PORT to 127.0.0.1, run the stage, then:
//! assert_eq!(server.requests().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every server listens on `127.0.0.1:0` (or `[::1]:0` with
//! [`HttpsServer::start_on`]), serves each connection on its own thread,
//! answers one request per connection (with `Connection: close`) unless the
//! answer says `Connection: keep-alive`, and stops
//! when dropped: the threads notice within a tenth of a second, even in the
//! middle of an endless or one-byte-a-second answer.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::pki::ServerIdentity;

/// How often blocked server threads wake up to see whether the server was dropped.
const POLL: Duration = Duration::from_millis(100);
/// The largest request head the server reads before answering 431.
const MAX_REQUEST_HEAD: usize = 64 * 1024;
/// The largest request body the server reads (and discards).
const MAX_REQUEST_BODY: usize = 1 << 20;
/// How long a connection may take to send its request before the server gives up.
const REQUEST_PATIENCE: Duration = Duration::from_secs(60);
/// Chunk size for generated headers and bodies.
const CHUNK: usize = 64 * 1024;

/// What the server does with every connection it accepts.
#[derive(Debug, Clone)]
pub enum Mode {
    /// A TLS handshake presenting this identity, then HTTP by the routes.
    Tls(ServerIdentity),
    /// HTTP by the routes, without TLS. Like a real web server on a plain port,
    /// it answers anything that is not an HTTP request (a TLS ClientHello, say)
    /// with `400 Bad Request`.
    PlainHttp,
    /// Accept, then say nothing until the client gives up: no TLS bytes, ever.
    Silent,
    /// TLS presenting this identity, but every handshake byte the server
    /// writes goes out one per interval: a handshake that stalls. Once the
    /// handshake is through (if the client waits), HTTP by the routes.
    TrickleHandshake(ServerIdentity, Duration),
    /// Close every connection as soon as it is accepted.
    CloseImmediately,
    /// TLS presenting this identity and requiring a client certificate (a
    /// CertificateRequest in the handshake): a client without one gets an
    /// alert (TLS 1.3 `certificate_required`, after the handshake from the
    /// client's point of view) and no HTTP.
    ClientCertRequired(ServerIdentity),
    /// TLS presenting this identity and asking for a client certificate
    /// without requiring one, then HTTP by the routes: with a route answering
    /// 400 "No required SSL certificate was sent" this is nginx with
    /// `ssl_verify_client on`, which checks at the HTTP layer.
    ClientCertOptional(ServerIdentity),
}

/// An HTTP answer: status, headers, body.
///
/// `Content-Length` (from the body) and `Connection: close` are added when
/// the headers do not set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, in order; a name may repeat (several `WWW-Authenticate`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The reason phrase of the status line; the standard one when `None`.
    pub reason: Option<String>,
}

impl Response {
    /// A response with this status, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            reason: None,
        }
    }

    /// Sends `reason` after the status code instead of the standard phrase, as
    /// Forefront TMG does to say why it refused.
    pub fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_string());
        self
    }

    /// Adds a header (names may repeat).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// 200 with a JSON body.
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Response::new(200)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body)
    }

    /// This status with an HTML page (a login page, an error page).
    pub fn html(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Response::new(status)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(body)
    }

    /// 302 to `location`, with a small HTML body as real servers send.
    pub fn redirect(location: &str) -> Self {
        Response::html(
            302,
            format!("<html><body>Object moved to <a href=\"{location}\">here</a>.</body></html>"),
        )
        .header("Location", location)
    }

    /// 401 with one `WWW-Authenticate` header per challenge (`Negotiate`,
    /// `NTLM`, `Basic realm="x"`, `Bearer`), as IIS sends them.
    pub fn unauthorized(challenges: &[&str]) -> Self {
        challenges.iter().fold(
            Response::html(401, "<html><body>401 - Unauthorized</body></html>"),
            |response, challenge| response.header("WWW-Authenticate", challenge),
        )
    }

    /// This status with a short plain-text body naming it.
    pub fn status(status: u16) -> Self {
        Response::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(format!("{status} {}\n", reason(status)))
    }
}

/// How a route answers a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer with this response at once.
    Respond(Response),
    /// 200 with a body of `len` bytes made on the fly, never held in memory:
    /// a JSON object padded to the length (`{"padding":"aaa…"}`), with
    /// `Content-Length`.
    LargeBody {
        /// The body's length in bytes.
        len: u64,
    },
    /// The head at once, then the body one byte per `interval`.
    SlowBody {
        /// What to send.
        response: Response,
        /// The pause between two body bytes.
        interval: Duration,
    },
    /// The status line and headers one byte per `interval`, then the body.
    SlowHeaders {
        /// What to send.
        response: Response,
        /// The pause between two head bytes.
        interval: Duration,
    },
    /// A status line, then header lines for ever, as fast as the client reads.
    EndlessHeaders,
    /// 200 with one header line of `len` bytes (say 10 MB), then `{}`.
    HugeHeader {
        /// The header value's length in bytes.
        len: usize,
    },
    /// 302 whose `Location` is the request's own path: a redirect loop.
    RedirectToSelf,
    /// Read the request, then never answer (until the client or the server gives up).
    NoAnswer,
    /// Read the request, then close without answering.
    Hangup,
}

impl Behaviour {
    /// 200 with a JSON body.
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Behaviour::Respond(Response::json(body))
    }

    /// This status with an HTML page.
    pub fn html(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Behaviour::Respond(Response::html(status, body))
    }

    /// 302 to `location`.
    pub fn redirect(location: &str) -> Self {
        Behaviour::Respond(Response::redirect(location))
    }

    /// 401 with one `WWW-Authenticate` header per challenge.
    pub fn unauthorized(challenges: &[&str]) -> Self {
        Behaviour::Respond(Response::unauthorized(challenges))
    }

    /// This status with a short plain-text body.
    pub fn status(status: u16) -> Self {
        Behaviour::Respond(Response::status(status))
    }
}

impl From<Response> for Behaviour {
    fn from(response: Response) -> Self {
        Behaviour::Respond(response)
    }
}

/// A path and how it is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The path it answers (query ignored), or `None` for every path.
    path: Option<String>,
    /// The `Host` it answers (port ignored), or `None` for every host: one
    /// server on port 443 plays several sites.
    host: Option<String>,
    behaviour: Behaviour,
}

impl Route {
    /// Answers requests for exactly `path` (the query string is ignored).
    pub fn new(path: &str, behaviour: impl Into<Behaviour>) -> Self {
        Route {
            path: Some(path.to_string()),
            host: None,
            behaviour: behaviour.into(),
        }
    }

    /// Answers only requests whose `Host` header names `host`.
    pub fn on_host(mut self, host: &str) -> Self {
        self.host = Some(host.to_ascii_lowercase());
        self
    }

    /// Answers every path no earlier route answers.
    pub fn any(behaviour: impl Into<Behaviour>) -> Self {
        Route {
            path: None,
            host: None,
            behaviour: behaviour.into(),
        }
    }

    fn matches(&self, request: &RequestHead) -> bool {
        let host = request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.rsplit_once(':').map_or(v.as_str(), |(h, _)| h));
        self.path.as_deref().is_none_or(|p| p == request.path())
            && self
                .host
                .as_deref()
                .is_none_or(|h| host.is_some_and(|sent| sent.eq_ignore_ascii_case(h)))
    }
}

/// A request the server received, for tests to inspect (what was sent, and
/// that no credentials were).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method (`GET`).
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// The headers, in order, as sent.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// State shared by the accept thread, the connection threads and the handle.
struct Shared {
    stop: AtomicBool,
    connections: AtomicUsize,
    requests: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// What every connection thread needs.
struct Plan {
    mode: Mode,
    tls: Option<Arc<ServerConfig>>,
    routes: Vec<Route>,
}

/// A running lab server; it stops when dropped.
pub struct HttpsServer {
    addr: SocketAddr,
    scheme: &'static str,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for HttpsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsServer")
            .field("addr", &self.addr)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

/// Refuses any address but loopback: the lab never listens elsewhere.
fn loopback_only(ip: IpAddr) -> io::Result<()> {
    if ip.is_loopback() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the lab listens on loopback only, not {ip}"),
        ))
    }
}

impl HttpsServer {
    /// HTTPS on 127.0.0.1 presenting `identity`, answering by `routes`
    /// (unrouted paths get 404).
    pub fn start(identity: ServerIdentity, routes: Vec<Route>) -> io::Result<Self> {
        Self::start_mode(Mode::Tls(identity), routes)
    }

    /// Plain HTTP on 127.0.0.1, answering by `routes`.
    pub fn start_plain(routes: Vec<Route>) -> io::Result<Self> {
        Self::start_mode(Mode::PlainHttp, routes)
    }

    /// A server on 127.0.0.1 treating connections as `mode` says.
    pub fn start_mode(mode: Mode, routes: Vec<Route>) -> io::Result<Self> {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), mode, routes)
    }

    /// A server on `ip` (127.0.0.1 or ::1; any port) treating connections as `mode` says.
    pub fn start_on(ip: IpAddr, mode: Mode, routes: Vec<Route>) -> io::Result<Self> {
        Self::start_at(SocketAddr::new(ip, 0), mode, routes)
    }

    /// A server on `addr` (a loopback address; port 0 for any), treating
    /// connections as `mode` says. A fixed port another lab holds is waited
    /// for, up to [`PORT_PATIENCE`]: labs that play a real host on 443 take
    /// turns.
    pub fn start_at(addr: SocketAddr, mode: Mode, routes: Vec<Route>) -> io::Result<Self> {
        loopback_only(addr.ip())?;
        Self::start_listening(bind_waiting(addr)?, mode, routes)
    }

    /// A listener on `ip` (loopback only), any port: for a server whose
    /// routes must name its own port (documents that carry their URL), made
    /// before the routes and handed to [`HttpsServer::start_listening`].
    pub fn bind(ip: IpAddr) -> io::Result<TcpListener> {
        loopback_only(ip)?;
        TcpListener::bind(SocketAddr::new(ip, 0))
    }

    /// A server on `listener` (from [`HttpsServer::bind`]) treating
    /// connections as `mode` says.
    pub fn start_listening(
        listener: TcpListener,
        mode: Mode,
        routes: Vec<Route>,
    ) -> io::Result<Self> {
        let tls = match &mode {
            Mode::Tls(identity) | Mode::TrickleHandshake(identity, _) => {
                Some(server_config(identity)?)
            }
            Mode::ClientCertRequired(identity) => Some(client_auth_config(identity, true)?),
            Mode::ClientCertOptional(identity) => Some(client_auth_config(identity, false)?),
            Mode::PlainHttp | Mode::Silent | Mode::CloseImmediately => None,
        };
        let scheme = if matches!(mode, Mode::PlainHttp) {
            "http"
        } else {
            "https"
        };
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
        });
        let plan = Arc::new(Plan { mode, tls, routes });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("lab-accept-{}", addr.port()))
            .spawn(move || accept_loop(listener, accept_shared, plan))?;
        Ok(HttpsServer {
            addr,
            scheme,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many connections the server has accepted so far (so a test can
    /// assert that none was made).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `https://HOST:PORT/PATH` for this server (`http://` for plain HTTP):
    /// the URL a client uses with `HOST` pinned to the server's address.
    pub fn url(&self, host: &str, path: &str) -> String {
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        format!("{}://{host}:{}{path}", self.scheme, self.port())
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.accept_thread.take() {
            // The accept loop polls the stop flag, so this returns promptly.
            let _ = handle.join();
        }
    }
}

fn server_config(identity: &ServerIdentity) -> io::Result<Arc<ServerConfig>> {
    let invalid = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidInput, e);
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_single_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(invalid)?;
    Ok(Arc::new(config))
}

/// A server configuration that asks every client for a certificate,
/// `required` or not. The client verifier trusts the identity's own top
/// certificate: no lab client presents one anyway.
fn client_auth_config(identity: &ServerIdentity, required: bool) -> io::Result<Arc<ServerConfig>> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let top = identity
        .chain
        .last()
        .ok_or_else(|| invalid("an identity without certificates".into()))?;
    roots.add(top.clone()).map_err(|e| invalid(e.to_string()))?;
    let builder = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    );
    let builder = if required {
        builder
    } else {
        builder.allow_unauthenticated()
    };
    let verifier = builder.build().map_err(|e| invalid(e.to_string()))?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())
        .map_err(|e| invalid(e.to_string()))?;
    Ok(Arc::new(config))
}

/// How long [`HttpsServer::start_at`] waits for a fixed port another lab holds.
pub const PORT_PATIENCE: Duration = Duration::from_secs(30);

fn bind_waiting(addr: SocketAddr) -> io::Result<TcpListener> {
    let until = Instant::now() + PORT_PATIENCE;
    loop {
        match TcpListener::bind(addr) {
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && Instant::now() < until => {
                thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, plan: Arc<Plan>) {
    while !shared.stopped() {
        match listener.accept() {
            Ok((stream, _peer)) => {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let shared = Arc::clone(&shared);
                let plan = Arc::clone(&plan);
                // A connection that cannot get a thread is dropped, which the
                // client sees as a closed connection.
                let _ = thread::Builder::new()
                    .name("lab-connection".into())
                    .spawn(move || {
                        let _ = serve_connection(stream, &shared, &plan);
                    });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// An error meaning "the server was dropped: stop what you are doing".
fn stopped_error() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "lab server stopped")
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Sleeps for `duration`, waking early (with an error) when the server stops.
fn pause(shared: &Shared, duration: Duration) -> io::Result<()> {
    let until = Instant::now() + duration;
    loop {
        if shared.stopped() {
            return Err(stopped_error());
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        thread::sleep(left.min(POLL));
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared, plan: &Plan) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    match &plan.mode {
        Mode::CloseImmediately => {
            let _ = stream.shutdown(Shutdown::Both);
            Ok(())
        }
        Mode::Silent => stay_silent(stream, shared),
        Mode::PlainHttp => serve_http(Channel::Plain(stream), shared, &plan.routes),
        Mode::Tls(_) | Mode::ClientCertRequired(_) | Mode::ClientCertOptional(_) => {
            let conn = new_tls(plan)?;
            let channel = Channel::Tls(Box::new(StreamOwned::new(conn, stream)));
            serve_http(channel, shared, &plan.routes)
        }
        Mode::TrickleHandshake(_, interval) => {
            let mut conn = new_tls(plan)?;
            let mut stream = stream;
            trickle_handshake(&mut conn, &mut stream, shared, *interval)?;
            let channel = Channel::Tls(Box::new(StreamOwned::new(conn, stream)));
            serve_http(channel, shared, &plan.routes)
        }
    }
}

fn new_tls(plan: &Plan) -> io::Result<ServerConnection> {
    let config = plan
        .tls
        .as_ref()
        .ok_or_else(|| io::Error::other("TLS mode without a TLS configuration"))?;
    ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)
}

/// Reads and discards whatever the client sends, answering nothing, until
/// the client closes or the server stops.
fn stay_silent(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut sink = [0u8; 4096];
    while !shared.stopped() {
        match stream.read(&mut sink) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Drives the server side of a handshake, sending its bytes one per interval.
fn trickle_handshake(
    conn: &mut ServerConnection,
    stream: &mut TcpStream,
    shared: &Shared,
    interval: Duration,
) -> io::Result<()> {
    while conn.is_handshaking() {
        if shared.stopped() {
            return Err(stopped_error());
        }
        if conn.wants_write() {
            let mut pending = Vec::new();
            while conn.wants_write() {
                conn.write_tls(&mut pending)?;
            }
            for byte in pending {
                write_all(stream, &[byte], shared)?;
                pause(shared, interval)?;
            }
            continue;
        }
        match conn.read_tls(stream) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {
                conn.process_new_packets().map_err(io::Error::other)?;
            }
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One accepted connection, TLS or not.
enum Channel {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Channel {
    fn socket(&self) -> &TcpStream {
        match self {
            Channel::Plain(s) => s,
            Channel::Tls(s) => &s.sock,
        }
    }

    /// Ends the connection gracefully: close_notify for TLS, then FIN, then a
    /// short drain so that unread request bytes do not turn the close into a
    /// reset that destroys the answer in flight.
    fn close(mut self, shared: &Shared) {
        if let Channel::Tls(s) = &mut self {
            s.conn.send_close_notify();
            let _ = flush_all(&mut **s, shared);
        }
        let socket = self.socket();
        let _ = socket.shutdown(Shutdown::Write);
        let until = Instant::now() + Duration::from_millis(500);
        let mut sink = [0u8; 4096];
        let mut socket = socket;
        while Instant::now() < until && !shared.stopped() {
            match socket.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(_) => break,
            }
        }
    }
}

impl Read for Channel {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Channel::Plain(s) => s.read(buf),
            Channel::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Channel {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Channel::Plain(s) => s.write(buf),
            Channel::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Channel::Plain(s) => s.flush(),
            Channel::Tls(s) => s.flush(),
        }
    }
}

/// Writes all of `buf`, riding out socket timeouts (a slow reader) until the
/// server stops or the client goes away.
fn write_all(out: &mut impl Write, mut buf: &[u8], shared: &Shared) -> io::Result<()> {
    while !buf.is_empty() {
        if shared.stopped() {
            return Err(stopped_error());
        }
        match out.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    flush_all(out, shared)
}

fn flush_all(out: &mut impl Write, shared: &Shared) -> io::Result<()> {
    loop {
        if shared.stopped() {
            return Err(stopped_error());
        }
        match out.flush() {
            Ok(()) => return Ok(()),
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

/// A parsed request head.
struct RequestHead {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The path of the target, without query, also for absolute-form targets.
    fn path(&self) -> &str {
        let target = self.target.as_str();
        let without_scheme = target
            .strip_prefix("https://")
            .or_else(|| target.strip_prefix("http://"));
        let path = match without_scheme {
            Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => target,
        };
        path.split(['?', '#']).next().unwrap_or(path)
    }

    fn content_length(&self) -> usize {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Why no request could be read.
enum BadRequest {
    /// The bytes are not HTTP (a TLS ClientHello on a plain port): answer 400.
    NotHttp,
    /// The head is over [`MAX_REQUEST_HEAD`]: answer 431.
    TooLarge,
    /// The client went away, stalled, or the server stopped: just close.
    Gone,
}

fn read_request(channel: &mut Channel, shared: &Shared) -> Result<RequestHead, BadRequest> {
    let started = Instant::now();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(end) = find(&head, b"\r\n\r\n") {
            break end;
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Err(BadRequest::TooLarge);
        }
        if shared.stopped() || started.elapsed() > REQUEST_PATIENCE {
            return Err(BadRequest::Gone);
        }
        match channel.read(&mut buf) {
            Ok(0) => return Err(BadRequest::Gone),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if is_timeout(&e) => {}
            Err(_) => return Err(BadRequest::Gone),
        }
        // A request line starts with a method token; anything else (a TLS
        // record starts with byte 0x16) is not HTTP at all.
        if head.first().is_some_and(|b| !b.is_ascii_uppercase()) {
            return Err(BadRequest::NotHttp);
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version)) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(BadRequest::NotHttp);
    };
    if !version.starts_with("HTTP/") || method.is_empty() || target.is_empty() {
        return Err(BadRequest::NotHttp);
    }
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let request = RequestHead {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    };
    // Discard a request body (an EWS POST, say) so the close is clean.
    let already = head.len() - (end + 4);
    let mut left = request
        .content_length()
        .min(MAX_REQUEST_BODY)
        .saturating_sub(already);
    while left > 0 && !shared.stopped() && started.elapsed() <= REQUEST_PATIENCE {
        match channel.read(&mut buf[..left.min(4096)]) {
            Ok(0) => break,
            Ok(n) => left -= n,
            Err(e) if is_timeout(&e) => {}
            Err(_) => break,
        }
    }
    Ok(request)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `behaviour` answers with `Connection: keep-alive`: the server
/// then reads the next request on the same connection.
fn keeps_alive(behaviour: &Behaviour) -> bool {
    matches!(behaviour, Behaviour::Respond(response) if response.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("keep-alive")
    }))
}

fn serve_http(mut channel: Channel, shared: &Shared, routes: &[Route]) -> io::Result<()> {
    loop {
        let request = match read_request(&mut channel, shared) {
            Ok(request) => request,
            Err(BadRequest::NotHttp) => {
                let answer = head_bytes(&Response::status(400));
                let result = write_all(&mut channel, &answer, shared);
                channel.close(shared);
                return result;
            }
            Err(BadRequest::TooLarge) => {
                let answer = head_bytes(&Response::status(431));
                let result = write_all(&mut channel, &answer, shared);
                channel.close(shared);
                return result;
            }
            Err(BadRequest::Gone) => return Ok(()),
        };
        shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RecordedRequest {
                method: request.method.clone(),
                target: request.target.clone(),
                headers: request.headers.clone(),
            });
        let not_found = Behaviour::status(404);
        let behaviour = routes
            .iter()
            .find(|r| r.matches(&request))
            .map_or(&not_found, |r| &r.behaviour);
        let result = answer(&mut channel, shared, behaviour, &request);
        if result.is_ok() && keeps_alive(behaviour) {
            continue;
        }
        if result.is_ok() {
            channel.close(shared);
        }
        return result;
    }
}

fn answer(
    channel: &mut Channel,
    shared: &Shared,
    behaviour: &Behaviour,
    request: &RequestHead,
) -> io::Result<()> {
    match behaviour {
        Behaviour::Respond(response) => write_all(channel, &head_bytes(response), shared),
        Behaviour::LargeBody { len } => send_large_body(channel, shared, *len),
        Behaviour::SlowBody { response, interval } => {
            let bytes = head_bytes(response);
            let body_start = bytes.len() - response.body.len();
            write_all(channel, &bytes[..body_start], shared)?;
            for byte in &bytes[body_start..] {
                write_all(channel, std::slice::from_ref(byte), shared)?;
                pause(shared, *interval)?;
            }
            Ok(())
        }
        Behaviour::SlowHeaders { response, interval } => {
            let bytes = head_bytes(response);
            let body_start = bytes.len() - response.body.len();
            for byte in &bytes[..body_start] {
                write_all(channel, std::slice::from_ref(byte), shared)?;
                pause(shared, *interval)?;
            }
            write_all(channel, &bytes[body_start..], shared)
        }
        Behaviour::EndlessHeaders => {
            write_all(channel, b"HTTP/1.1 200 OK\r\n", shared)?;
            let mut batch = Vec::with_capacity(CHUNK);
            for n in 0u64.. {
                batch.extend_from_slice(format!("X-Filler-{n}: {}\r\n", "a".repeat(48)).as_bytes());
                if batch.len() >= CHUNK {
                    write_all(channel, &batch, shared)?;
                    batch.clear();
                }
            }
            Ok(())
        }
        Behaviour::HugeHeader { len } => {
            write_all(channel, b"HTTP/1.1 200 OK\r\nX-Huge: ", shared)?;
            let chunk = vec![b'a'; CHUNK];
            let mut left = *len;
            while left > 0 {
                let n = left.min(CHUNK);
                write_all(channel, &chunk[..n], shared)?;
                left -= n;
            }
            let tail = "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            write_all(channel, tail.as_bytes(), shared)
        }
        Behaviour::RedirectToSelf => {
            let response = Response::redirect(&request.target);
            write_all(channel, &head_bytes(&response), shared)
        }
        Behaviour::NoAnswer => {
            let mut sink = [0u8; 1024];
            while !shared.stopped() {
                match channel.read(&mut sink) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) if is_timeout(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(stopped_error())
        }
        // An error keeps `serve_http` from closing gracefully: the drop closes at once.
        Behaviour::Hangup => Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "hung up by design",
        )),
    }
}

/// A 200 JSON body of exactly `len` bytes, generated chunk by chunk.
fn send_large_body(channel: &mut Channel, shared: &Shared, len: u64) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    write_all(channel, head.as_bytes(), shared)?;
    let (prefix, suffix): (&[u8], &[u8]) = (b"{\"padding\":\"", b"\"}");
    let framed = len >= (prefix.len() + suffix.len()) as u64;
    let mut left = len;
    if framed {
        write_all(channel, prefix, shared)?;
        left -= (prefix.len() + suffix.len()) as u64;
    }
    let chunk = vec![b'a'; CHUNK];
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        write_all(channel, &chunk[..n], shared)?;
        left -= n as u64;
    }
    if framed {
        write_all(channel, suffix, shared)?;
    }
    Ok(())
}

/// The whole response as bytes: status line, headers (plus `Content-Length`
/// and `Connection: close` unless set), blank line, body.
fn head_bytes(response: &Response) -> Vec<u8> {
    let has = |name: &str| {
        response
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut text = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        response
            .reason
            .as_deref()
            .unwrap_or_else(|| reason(response.status))
    );
    for (name, value) in &response.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has("content-length") {
        text.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    }
    if !has("connection") {
        text.push_str("Connection: close\r\n");
    }
    text.push_str("\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(&response.body);
    bytes
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(server: &HttpsServer, path: &str) -> String {
        let mut stream = TcpStream::connect(server.addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: lab\r\n\r\n").expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    }

    #[test]
    fn plain_routes_answer_and_are_recorded() {
        let server = HttpsServer::start_plain(vec![
            Route::new("/json", Behaviour::json("{}")),
            Route::new("/auth", Behaviour::unauthorized(&["Negotiate", "NTLM"])),
            Route::new("/loop", Behaviour::RedirectToSelf),
        ])
        .expect("server");
        let json = get(&server, "/json?x=1");
        assert!(json.starts_with("HTTP/1.1 200 OK\r\n"), "{json}");
        assert!(json.ends_with("\r\n\r\n{}"));
        let auth = get(&server, "/auth");
        assert!(auth.contains("WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n"));
        assert!(get(&server, "/loop").contains("Location: /loop\r\n"));
        assert!(get(&server, "/nowhere").starts_with("HTTP/1.1 404"));
        assert_eq!(server.connections(), 4);
        let requests = server.requests();
        assert_eq!(requests[0].target, "/json?x=1");
        assert_eq!(requests[0].header("host"), Some("lab"));
        assert!(server.url("::1", "/x").starts_with("http://[::1]:"));
    }

    #[test]
    fn non_http_bytes_get_400() {
        let server = HttpsServer::start_plain(vec![]).expect("server");
        let mut stream = TcpStream::connect(server.addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        stream.write_all(&[0x16, 0x03, 0x01, 0x00]).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        assert!(answer.starts_with("HTTP/1.1 400 Bad Request"), "{answer}");
    }

    #[test]
    fn large_body_has_the_exact_length() {
        let server =
            HttpsServer::start_plain(vec![Route::any(Behaviour::LargeBody { len: 2 << 20 })])
                .expect("server");
        let answer = get(&server, "/");
        let body = answer.split_once("\r\n\r\n").expect("head").1;
        assert_eq!(body.len(), 2 << 20);
        assert!(body.starts_with("{\"padding\":\"") && body.ends_with("\"}"));
    }

    #[test]
    fn slow_and_huge_answers_arrive_whole() {
        let tick = Duration::from_millis(5);
        let server = HttpsServer::start_plain(vec![
            Route::new(
                "/slow-head",
                Behaviour::SlowHeaders {
                    response: Response::json("{}"),
                    interval: tick,
                },
            ),
            Route::new(
                "/slow-body",
                Behaviour::SlowBody {
                    response: Response::json("{\"a\":1}"),
                    interval: tick,
                },
            ),
            Route::new("/huge", Behaviour::HugeHeader { len: 10 << 20 }),
            Route::new("/hangup", Behaviour::Hangup),
        ])
        .expect("server");
        let head = get(&server, "/slow-head");
        assert!(head.starts_with("HTTP/1.1 200 OK") && head.ends_with("\r\n\r\n{}"));
        assert!(get(&server, "/slow-body").ends_with("\r\n\r\n{\"a\":1}"));
        let huge = get(&server, "/huge");
        assert!(huge.len() > 10 << 20);
        assert!(huge.ends_with("Connection: close\r\n\r\n{}"));
        assert_eq!(get(&server, "/hangup"), "");
    }

    #[test]
    fn no_answer_keeps_the_client_waiting() {
        let server =
            HttpsServer::start_plain(vec![Route::any(Behaviour::NoAnswer)]).expect("server");
        let mut stream = TcpStream::connect(server.addr()).expect("connect");
        stream.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("send");
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let mut buf = [0u8; 16];
        assert!(is_timeout(&stream.read(&mut buf).expect_err("no answer")));
        assert_eq!(server.requests().len(), 1);
    }

    #[test]
    fn dropping_stops_endless_answers() {
        let server =
            HttpsServer::start_plain(vec![Route::any(Behaviour::EndlessHeaders)]).expect("server");
        let mut stream = TcpStream::connect(server.addr()).expect("connect");
        stream.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("send");
        let mut first = [0u8; 1024];
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        stream.read_exact(&mut first).expect("headers flow");
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(2));
        // The connection thread stops writing: the stream ends.
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
    }

    #[test]
    fn tls_mode_serves_https_with_the_chain() {
        let pki = crate::lab::pki::Pki::new().expect("pki");
        let leaf = pki.leaf("mail.contoso.test").build().expect("leaf");
        let server = HttpsServer::start(leaf.identity(), vec![Route::any(Behaviour::json("{}"))])
            .expect("server");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca_der()).expect("root");
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("mail.contoso.test").expect("name");
        let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
        let sock = TcpStream::connect(server.addr()).expect("connect");
        let mut tls = StreamOwned::new(conn, sock);
        tls.write_all(b"GET /x HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n")
            .expect("send");
        let mut answer = Vec::new();
        tls.read_to_end(&mut answer).expect("read");
        assert!(answer.starts_with(b"HTTP/1.1 200 OK"));
        assert_eq!(tls.conn.peer_certificates().map(|c| c.len()), Some(2));
        assert!(server
            .url("mail.contoso.test", "/x")
            .starts_with("https://"));
    }

    #[test]
    fn close_immediately_and_silent_modes() {
        let closing = HttpsServer::start_mode(Mode::CloseImmediately, vec![]).expect("server");
        let mut stream = TcpStream::connect(closing.addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buf = [0u8; 16];
        assert_eq!(stream.read(&mut buf).unwrap_or(0), 0);

        let silent = HttpsServer::start_mode(Mode::Silent, vec![]).expect("server");
        let mut stream = TcpStream::connect(silent.addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let err = stream.read(&mut buf).expect_err("nothing arrives");
        assert!(is_timeout(&err));
        assert_eq!(silent.connections(), 1);
    }
}
