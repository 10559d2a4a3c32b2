//! A scripted DNS server on 127.0.0.1 for the DNS client's regression tests.
//! The lab's server answers from a zone, at once and in full; this one does
//! what a script says with each query, by question and by attempt (late,
//! never, twice, oversized, with another id, not a DNS message at all), and
//! hands each TCP connection to the test to drive byte by byte.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, Metadata, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

const POLL: Duration = Duration::from_millis(20);

/// What to send back for one UDP query: each datagram after its delay
/// (counted from the query's arrival). Nothing: the query is dropped.
pub type Sends = Vec<(Duration, Vec<u8>)>;

type UdpScript = dyn Fn(&Message, usize) -> Sends + Send + Sync;
type TcpScript = dyn Fn(TcpStream, &AtomicBool) + Send + Sync;

/// A running scripted server; stops when dropped.
pub struct ScriptedDns {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    threads: Vec<JoinHandle<()>>,
}

impl ScriptedDns {
    /// UDP only (TCP to its port is refused): `udp` gets each query and how
    /// many times the same question came before (0 for the first).
    pub fn udp(udp: impl Fn(&Message, usize) -> Sends + Send + Sync + 'static) -> Self {
        Self::start(Arc::new(udp), None)
    }

    /// UDP as [`ScriptedDns::udp`], and every TCP connection to the same
    /// port handed to `tcp` (with the server's stop flag).
    pub fn with_tcp(
        udp: impl Fn(&Message, usize) -> Sends + Send + Sync + 'static,
        tcp: impl Fn(TcpStream, &AtomicBool) + Send + Sync + 'static,
    ) -> Self {
        Self::start(Arc::new(udp), Some(Arc::new(tcp)))
    }

    fn start(udp: Arc<UdpScript>, tcp: Option<Arc<TcpScript>>) -> Self {
        let (socket, listener) = bind_pair();
        let addr = socket.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        {
            let (stop, log) = (stop.clone(), log.clone());
            threads.push(thread::spawn(move || {
                serve_udp(&socket, &*udp, &stop, &log)
            }));
        }
        match tcp {
            Some(script) => {
                let stop = stop.clone();
                threads.push(thread::spawn(move || serve_tcp(&listener, &script, &stop)));
            }
            // Dropping the listener: TCP to the port is refused.
            None => drop(listener),
        }
        ScriptedDns {
            addr,
            stop,
            log,
            threads,
        }
    }

    /// The address to give `--dns-server`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every UDP query received so far, as `name TYPE`.
    pub fn queries(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }
}

impl Drop for ScriptedDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
        if let Ok(tcp) = TcpListener::bind(udp.local_addr().expect("addr")) {
            return (udp, tcp);
        }
    }
    panic!("no free UDP and TCP port pair on 127.0.0.1");
}

fn question(query: &Message) -> String {
    query
        .queries
        .first()
        .map(|q| {
            format!(
                "{} {}",
                q.name().to_ascii().trim_end_matches('.'),
                q.query_type()
            )
        })
        .unwrap_or_default()
}

fn serve_udp(socket: &UdpSocket, script: &UdpScript, stop: &AtomicBool, log: &Mutex<Vec<String>>) {
    socket.set_read_timeout(Some(POLL)).expect("timeout");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let Ok((len, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let Ok(query) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        let asked = question(&query);
        log.lock().expect("log").push(asked.clone());
        let attempt = seen.entry(asked).or_default();
        let sends = script(&query, *attempt);
        *attempt += 1;
        for (delay, bytes) in sends {
            if delay.is_zero() {
                let _ = socket.send_to(&bytes, from);
            } else if let Ok(socket) = socket.try_clone() {
                thread::spawn(move || {
                    thread::sleep(delay);
                    let _ = socket.send_to(&bytes, from);
                });
            }
        }
    }
}

fn serve_tcp(listener: &TcpListener, script: &Arc<TcpScript>, stop: &Arc<AtomicBool>) {
    listener.set_nonblocking(true).expect("nonblocking");
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let (script, stop) = (script.clone(), stop.clone());
                thread::spawn(move || script(stream, &stop));
            }
            Err(_) => thread::sleep(POLL),
        }
    }
}

/// An IPv4-only host's resolver: each AAAA query answered at once by
/// `aaaa`, each A query with `ip` after `delay`.
pub fn a_after_aaaa(
    ip: &'static str,
    delay: Duration,
    aaaa: fn(&Message) -> Vec<u8>,
) -> ScriptedDns {
    ScriptedDns::udp(move |query, _| match asked(query) {
        RecordType::A => vec![(delay, answer(query, ip))],
        _ => vec![(Duration::ZERO, aaaa(query))],
    })
}

/// Reads one length-prefixed query from a TCP client.
pub fn read_query(stream: &mut TcpStream) -> io::Result<Message> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut body)?;
    Message::from_vec(&body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// `bytes` behind its two-byte length, as over TCP.
pub fn framed(bytes: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(bytes.len())
        .expect("a DNS message")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(bytes);
    out
}

/// Writes `bytes` to the client, ignoring a client that has gone.
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
}

/// The query's type.
pub fn asked(query: &Message) -> RecordType {
    query.queries[0].query_type()
}

/// A response to `query` (same id, same question) with no records yet.
pub fn response(query: &Message) -> Message {
    let mut response = Message::response(query.metadata.id, query.metadata.op_code);
    response.metadata = Metadata::response_from_request(&query.metadata);
    response.metadata.recursion_available = true;
    response.add_query(query.queries[0].clone());
    response
}

/// The message's bytes.
pub fn wire(message: &Message) -> Vec<u8> {
    message.to_vec().expect("encodes")
}

fn owner(query: &Message) -> Name {
    query.queries[0].name().clone()
}

/// A record of `owner` for `ip`.
pub fn address_record(owner: &Name, ip: IpAddr) -> Record {
    let data = match ip {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    Record::from_rdata(owner.clone(), 60, data)
}

/// A CNAME from `from` to `to`.
pub fn cname_record(from: &str, to: &str) -> Record {
    Record::from_rdata(
        Name::from_ascii(from).expect("name"),
        60,
        RData::CNAME(CNAME(Name::from_ascii(to).expect("name"))),
    )
}

/// The answer with `ip` for the question's name.
pub fn answer(query: &Message, ip: &str) -> Vec<u8> {
    let mut message = response(query);
    message.add_answer(address_record(&owner(query), ip.parse().expect("ip")));
    wire(&message)
}

/// NOERROR without records (the name has no record of this type).
pub fn nodata(query: &Message) -> Vec<u8> {
    wire(&response(query))
}

/// SERVFAIL.
pub fn servfail(query: &Message) -> Vec<u8> {
    let mut message = response(query);
    message.metadata.response_code = ResponseCode::ServFail;
    wire(&message)
}

/// An empty answer with TC=1: ask again over TCP.
pub fn truncated(query: &Message) -> Vec<u8> {
    let mut message = response(query);
    message.metadata.truncation = true;
    wire(&message)
}

/// The answer with `ip`, padded past `size` bytes with TXT records in the
/// additional section (as a resolver that ignores the EDNS payload size may send).
pub fn oversized(query: &Message, ip: &str, size: usize) -> Vec<u8> {
    let mut message = response(query);
    message.add_answer(address_record(&owner(query), ip.parse().expect("ip")));
    while wire(&message).len() <= size {
        message.add_additional(Record::from_rdata(
            owner(query),
            60,
            RData::TXT(TXT::new(vec!["x".repeat(250)])),
        ));
    }
    wire(&message)
}
