//! A small DNS server on 127.0.0.1 (UDP, and TCP on the same port), answering
//! from a fixed [`Zone`]: the resolver the tests and `demo` point
//! `--dns-server` at, since there is no internet to ask.
//!
//! It answers like a recursive resolver that knows the zone: addresses for
//! known names (NOERROR with no answers for a type the name lacks), NXDOMAIN
//! with an SOA for unknown names, SERVFAIL for names told to fail, and
//! nothing at all for names told to stay silent (to exercise timeouts).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, Metadata, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// How often the server threads look at their stop flag.
const POLL: Duration = Duration::from_millis(25);
/// The TTL of every record served.
const TTL: u32 = 60;

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// What the server answers: addresses per name, and names that fail.
///
/// Names not mentioned at all get NXDOMAIN, as from a real resolver.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    addresses: HashMap<String, Vec<IpAddr>>,
    nxdomain: HashSet<String>,
    servfail: HashSet<String>,
    silent: HashSet<String>,
}

impl Zone {
    /// An empty zone: every name is NXDOMAIN.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `name` with `ip` (an A or AAAA record), besides any addresses it has already.
    pub fn address(mut self, name: &str, ip: IpAddr) -> Self {
        self.addresses.entry(key(name)).or_default().push(ip);
        self
    }

    /// Answers `name` with all of `ips`.
    pub fn addresses(self, name: &str, ips: impl IntoIterator<Item = IpAddr>) -> Self {
        ips.into_iter()
            .fold(self, |zone, ip| zone.address(name, ip))
    }

    /// Makes `name` exist without any address: A and AAAA queries get NOERROR
    /// with no answers (NODATA), as for a name that has only other records.
    pub fn without_addresses(mut self, name: &str) -> Self {
        self.addresses.entry(key(name)).or_default();
        self
    }

    /// Answers `name` with NXDOMAIN (as for any unknown name; stated for clarity).
    pub fn nxdomain(mut self, name: &str) -> Self {
        self.nxdomain.insert(key(name));
        self
    }

    /// Answers `name` with SERVFAIL.
    pub fn servfail(mut self, name: &str) -> Self {
        self.servfail.insert(key(name));
        self
    }

    /// Never answers queries for `name`.
    pub fn silent(mut self, name: &str) -> Self {
        self.silent.insert(key(name));
        self
    }

    /// The response to one query message, or `None` to stay silent.
    fn respond(&self, request: &Message) -> Option<Message> {
        let query = request.queries.first()?;
        let name = key(&query.name().to_ascii());
        if self.silent.contains(&name) {
            return None;
        }
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata = Metadata::response_from_request(&request.metadata);
        response.metadata.recursion_available = true;
        response.add_query(query.clone());

        if self.servfail.contains(&name) {
            response.metadata.response_code = ResponseCode::ServFail;
            return Some(response);
        }
        let known = self
            .addresses
            .get(&name)
            .filter(|_| !self.nxdomain.contains(&name));
        let Some(ips) = known else {
            response.metadata.response_code = ResponseCode::NXDomain;
            response.add_authority(soa_for(query.name()));
            return Some(response);
        };
        let answers: Vec<Record> = ips
            .iter()
            .filter_map(|ip| match (ip, query.query_type()) {
                (IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(*v4))),
                (IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(*v6))),
                _ => None,
            })
            .map(|rdata| Record::from_rdata(query.name().clone(), TTL, rdata))
            .collect();
        if answers.is_empty() {
            // NODATA: the name exists, but not with this type.
            response.add_authority(soa_for(query.name()));
        } else {
            response.add_answers(answers);
        }
        Some(response)
    }
}

/// The SOA a negative answer carries (resolvers take the negative TTL from it).
fn soa_for(name: &Name) -> Record {
    let apex = name.base_name();
    let mname = Name::from_ascii("ns1.lab.invalid.").unwrap_or_else(|_| Name::root());
    let rname = Name::from_ascii("hostmaster.lab.invalid.").unwrap_or_else(|_| Name::root());
    Record::from_rdata(
        apex,
        TTL,
        RData::SOA(SOA::new(mname, rname, 1, 3600, 600, 86400, TTL)),
    )
}

/// The answer to the raw query bytes, encoded, or `None` for no answer.
fn answer_bytes(zone: &Zone, log: &Mutex<Vec<String>>, query: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    if let Some(q) = request.queries.first() {
        if let Ok(mut seen) = log.lock() {
            seen.push(format!("{} {}", key(&q.name().to_ascii()), q.query_type()));
        }
    }
    zone.respond(&request)?.to_vec().ok()
}

/// A running DNS server on 127.0.0.1; stops when dropped.
#[derive(Debug)]
pub struct DnsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    threads: Vec<JoinHandle<()>>,
}

impl DnsServer {
    /// Binds UDP (and TCP, on the same port) on 127.0.0.1 and starts answering from `zone`.
    pub fn start(zone: Zone) -> io::Result<Self> {
        let (udp, tcp) = bind_pair()?;
        let addr = udp.local_addr()?;
        udp.set_read_timeout(Some(POLL))?;
        tcp.set_nonblocking(true)?;
        let zone = Arc::new(zone);
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));

        let udp_thread = {
            let (zone, stop, log) = (zone.clone(), stop.clone(), log.clone());
            thread::Builder::new()
                .name("lab-dns-udp".into())
                .spawn(move || serve_udp(&udp, &zone, &stop, &log))?
        };
        let tcp_thread = {
            let (zone, stop, log) = (zone, stop.clone(), log.clone());
            thread::Builder::new()
                .name("lab-dns-tcp".into())
                .spawn(move || serve_tcp(&tcp, &zone, &stop, &log))?
        };
        Ok(DnsServer {
            addr,
            stop,
            log,
            threads: vec![udp_thread, tcp_thread],
        })
    }

    /// The address to give `--dns-server`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every query received so far, as `name TYPE` (`mail.contoso.test AAAA`).
    pub fn queries(&self) -> Vec<String> {
        self.log.lock().map(|seen| seen.clone()).unwrap_or_default()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A UDP socket and a TCP listener on the same loopback port.
fn bind_pair() -> io::Result<(UdpSocket, TcpListener)> {
    let mut last_error = None;
    // The port the UDP socket gets may be taken for TCP; try a few.
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        match TcpListener::bind(udp.local_addr()?) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free port pair")))
}

fn serve_udp(socket: &UdpSocket, zone: &Zone, stop: &AtomicBool, log: &Mutex<Vec<String>>) {
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(_) => continue, // the poll timeout, or a stray ICMP error
        };
        if let Some(reply) = answer_bytes(zone, log, &buf[..len]) {
            let _ = socket.send_to(&reply, from);
        }
    }
}

fn serve_tcp(
    listener: &TcpListener,
    zone: &Arc<Zone>,
    stop: &Arc<AtomicBool>,
    log: &Arc<Mutex<Vec<String>>>,
) {
    let mut connections = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                // One thread per connection: a client may keep its connection open.
                let (zone, stop, log) = (zone.clone(), stop.clone(), log.clone());
                let spawned = thread::Builder::new()
                    .name("lab-dns-tcp-conn".into())
                    .spawn(move || serve_tcp_connection(stream, &zone, &stop, &log));
                if let Ok(handle) = spawned {
                    connections.push(handle);
                }
            }
            Err(_) => thread::sleep(POLL),
        }
    }
    for handle in connections {
        let _ = handle.join();
    }
}

/// Answers length-prefixed queries on one connection until the client closes it.
fn serve_tcp_connection(
    mut stream: TcpStream,
    zone: &Zone,
    stop: &AtomicBool,
    log: &Mutex<Vec<String>>,
) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    while !stop.load(Ordering::SeqCst) {
        // Wait for the first byte with the short poll timeout (to notice the
        // stop flag), then give the rest of the message a longer one, so a
        // timeout never falls between bytes of one frame.
        let mut first = [0u8; 1];
        match stream.read(&mut first) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(_) => return,
        }
        let mut second = [0u8; 1];
        if stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .is_err()
            || stream.read_exact(&mut second).is_err()
        {
            return;
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes([first[0], second[0]]))];
        if stream.read_exact(&mut query).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
            return;
        }
        if let Some(reply) = answer_bytes(zone, log, &query) {
            let Ok(reply_len) = u16::try_from(reply.len()) else {
                return;
            };
            let mut framed = reply_len.to_be_bytes().to_vec();
            framed.extend_from_slice(&reply);
            if stream.write_all(&framed).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode, Query};

    fn ask(zone: &Zone, name: &str, rtype: RecordType) -> Option<Message> {
        let mut request = Message::new(7, MessageType::Query, OpCode::Query);
        request.add_query(Query::query(Name::from_ascii(name).expect("name"), rtype));
        zone.respond(&request)
    }

    #[test]
    fn the_zone_answers_like_a_resolver() {
        let zone = Zone::new()
            .address("Mail.Contoso.test", "20.1.2.3".parse().expect("ip"))
            .address("mail.contoso.test.", "2a00::1".parse().expect("ip"))
            .servfail("broken.contoso.test")
            .silent("quiet.contoso.test")
            .nxdomain("gone.contoso.test");

        let a = ask(&zone, "mail.contoso.test.", RecordType::A).expect("answer");
        assert_eq!(a.metadata.response_code, ResponseCode::NoError);
        assert_eq!(a.answers.len(), 1);
        assert_eq!(a.metadata.id, 7);
        let aaaa = ask(&zone, "MAIL.contoso.test.", RecordType::AAAA).expect("answer");
        assert_eq!(aaaa.answers.len(), 1);

        let nx = ask(&zone, "unknown.contoso.test.", RecordType::A).expect("answer");
        assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(nx.authorities.len(), 1, "NXDOMAIN carries an SOA");
        let gone = ask(&zone, "gone.contoso.test.", RecordType::A).expect("answer");
        assert_eq!(gone.metadata.response_code, ResponseCode::NXDomain);

        let fail = ask(&zone, "broken.contoso.test.", RecordType::A).expect("answer");
        assert_eq!(fail.metadata.response_code, ResponseCode::ServFail);
        assert!(ask(&zone, "quiet.contoso.test.", RecordType::A).is_none());
    }

    #[test]
    fn a_name_without_the_asked_type_gets_nodata() {
        let zone = Zone::new().address("v4only.contoso.test", "20.1.2.3".parse().expect("ip"));
        let aaaa = ask(&zone, "v4only.contoso.test.", RecordType::AAAA).expect("answer");
        assert_eq!(aaaa.metadata.response_code, ResponseCode::NoError);
        assert!(aaaa.answers.is_empty());
        assert_eq!(aaaa.authorities.len(), 1);
    }

    #[test]
    fn the_server_answers_over_udp_and_tcp_and_logs_queries() {
        let server = DnsServer::start(
            Zone::new().address("mail.contoso.test", "20.1.2.3".parse().expect("ip")),
        )
        .expect("starts");
        let mut request = Message::new(42, MessageType::Query, OpCode::Query);
        request.add_query(Query::query(
            Name::from_ascii("mail.contoso.test.").expect("name"),
            RecordType::A,
        ));
        let bytes = request.to_vec().expect("encodes");

        let client = UdpSocket::bind("127.0.0.1:0").expect("bind");
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        client.send_to(&bytes, server.addr()).expect("send");
        let mut buf = [0u8; 512];
        let (len, _) = client.recv_from(&mut buf).expect("an answer over UDP");
        let reply = Message::from_vec(&buf[..len]).expect("decodes");
        assert_eq!(reply.metadata.id, 42);
        assert_eq!(reply.answers.len(), 1);

        let mut tcp = TcpStream::connect(server.addr()).expect("tcp");
        tcp.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        tcp.write_all(&framed).expect("send");
        let mut len = [0u8; 2];
        tcp.read_exact(&mut len).expect("length");
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        tcp.read_exact(&mut body).expect("body");
        assert_eq!(Message::from_vec(&body).expect("decodes").answers.len(), 1);

        assert_eq!(
            server.queries(),
            vec![
                "mail.contoso.test A".to_string(),
                "mail.contoso.test A".to_string()
            ]
        );
    }
}
