//! A front end that speaks only TLS 1.0, as old Exchange publishing (TMG,
//! Windows Server 2008 IIS, an old load balancer) still does: it reads the
//! ClientHello and answers in TLS 1.0 the way such servers do, which no TLS
//! 1.2/1.3 client can go on from.
//!
//! A raw socket is enough: the server never gets further than its first
//! record, and rustls cannot speak TLS 1.0 anyway.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How the old server answers a ClientHello that offers only TLS 1.2 and 1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyAnswer {
    /// A fatal `protocol_version` alert in a TLS 1.0 record: what OpenSSL
    /// servers limited to TLS 1.0 (`ssl_protocols TLSv1`) send.
    ProtocolVersionAlert,
    /// A ServerHello for TLS 1.0, as servers that pick their own highest
    /// version send (SChannel on old Windows).
    ServerHello,
}

/// The alert record: TLS 1.0, fatal (2), protocol_version (70).
const PROTOCOL_VERSION_ALERT: [u8; 7] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];

/// A ServerHello choosing TLS 1.0 and TLS_RSA_WITH_AES_128_CBC_SHA, with an
/// empty session id and no extensions.
fn server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend_from_slice(&[0x5a; 32]); // server random
    body.push(0); // session id length
    body.extend_from_slice(&[0x00, 0x2f]); // cipher suite
    body.push(0); // compression: null
    let mut handshake = vec![0x02, 0, 0, body.len() as u8];
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01, 0, handshake.len() as u8];
    record.extend_from_slice(&handshake);
    record
}

/// A running TLS 1.0-only server on 127.0.0.1; it stops when dropped.
pub struct LegacyTlsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    accept_thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LegacyTlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyTlsServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl LegacyTlsServer {
    /// Listens on 127.0.0.1 and answers every ClientHello as `answer` says.
    pub fn start(answer: LegacyAnswer) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (thread_stop, thread_connections) = (Arc::clone(&stop), Arc::clone(&connections));
        let accept_thread = thread::Builder::new()
            .name(format!("lab-tls10-{}", addr.port()))
            .spawn(move || {
                while !thread_stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            thread_connections.fetch_add(1, Ordering::SeqCst);
                            let _ = thread::Builder::new()
                                .name("lab-tls10-connection".into())
                                .spawn(move || answer_hello(stream, answer));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            })?;
        Ok(LegacyTlsServer {
            addr,
            stop,
            connections,
            accept_thread: Some(accept_thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many connections it has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for LegacyTlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.accept_thread.take() {
            let _ = handle.join();
        }
    }
}

/// Reads the ClientHello record, answers, and closes.
fn answer_hello(mut stream: TcpStream, answer: LegacyAnswer) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_millis(100)))?;
    let started = Instant::now();
    let mut hello = Vec::new();
    let mut buf = [0u8; 4096];
    // A record header (5 bytes) says how long the record is.
    let complete = |hello: &[u8]| {
        hello.len() >= 5 && hello.len() >= 5 + usize::from(u16::from_be_bytes([hello[3], hello[4]]))
    };
    while !complete(&hello) && started.elapsed() < Duration::from_secs(10) {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => hello.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
    match answer {
        LegacyAnswer::ProtocolVersionAlert => stream.write_all(&PROTOCOL_VERSION_ALERT)?,
        LegacyAnswer::ServerHello => stream.write_all(&server_hello())?,
    }
    stream.flush()?;
    // Let the client read the answer (and send its own alert) before closing.
    thread::sleep(Duration::from_millis(200));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_a_client_hello_with_a_tls_1_0_alert() {
        let server = LegacyTlsServer::start(LegacyAnswer::ProtocolVersionAlert).expect("server");
        let mut stream = TcpStream::connect(server.addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        // A record header announcing 4 bytes, then the 4 bytes.
        stream
            .write_all(&[0x16, 3, 1, 0, 4, 1, 0, 0, 0])
            .expect("hello");
        let mut answer = [0u8; 7];
        stream.read_exact(&mut answer).expect("alert");
        assert_eq!(answer, PROTOCOL_VERSION_ALERT);
        assert_eq!(server.connections(), 1);
        let hello = server_hello();
        assert_eq!(&hello[..3], &[0x16, 3, 1]);
        assert_eq!(hello.len(), 5 + usize::from(hello[4]));
        assert_eq!(&hello[9..11], &[3, 1]);
    }
}
