//! Asking the public resolvers, in one round trip when the network lets it:
//! every resolver gets its A and AAAA queries at the same moment, over UDP
//! (TCP only for a truncated answer), and each answer is kept as a fact.
//!
//! Only when no resolver has said anything about the name after
//! [`FALLBACK_AFTER`] (or all of them failed sooner: refused, unreachable)
//! does the tool try the other ways in: TCP to the same resolvers, and the
//! default resolvers' DNS-over-HTTPS endpoints (through `--proxy` when given).
//! A network that lets DNS through never pays for them.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RecordType};
use serde_json::{json, Value};

use super::doh;
use super::wire::{self, Transport};
use crate::settings::NetSettings;

/// Once one resolver has answered, the others get this much longer at least
/// (twice as long as the first took, within these bounds): a dead resolver
/// must not hold the chain up, but a second opinion is worth a moment.
const GRACE_MIN: Duration = Duration::from_millis(50);
const GRACE_MAX: Duration = Duration::from_secs(2);

/// How long the port-53 resolvers have to say anything before the fallbacks
/// (TCP, DNS over HTTPS) start: longer than any real round trip, short
/// enough to leave the fallback most of the budget.
const FALLBACK_AFTER: Duration = Duration::from_secs(1);

/// When an unanswered UDP query is sent again (doubling each time): UDP
/// loses packets, and one lost datagram must not cost the whole budget.
const RETRANSMIT_AFTER: Duration = Duration::from_secs(1);

/// How often a waiting worker looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// The two queries every resolver gets.
const RECORD_TYPES: [RecordType; 2] = [RecordType::A, RecordType::AAAA];

/// How one query (A or AAAA) to one resolver ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum QueryOutcome {
    /// Addresses, in answer order.
    Addresses(Vec<IpAddr>),
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of this type.
    NoRecords,
    /// An error response code (SERVFAIL, REFUSED, ...), as a label.
    ErrorCode(String),
    /// The resolver replied this many times, but never with an answer to
    /// this question (another id or question, not a response to a standard
    /// query, or not a DNS message at all): something on the path, or the
    /// resolver itself, is broken. Not silence, and not the name's DNS.
    Unusable(u32),
    /// The resolver could not be reached: refused (nothing listens, or an
    /// ICMP error), no route, or a DNS-over-HTTPS endpoint that gave no DNS
    /// answer. This machine's network, not the target's DNS.
    Unreachable(String),
    /// This machine has no route to the resolver at all (the network is
    /// unreachable from here: no network connection, or none for its family).
    NoRoute(String),
    /// The query could not be made or its answer not read.
    Failed(String),
    /// No answer before the budget ran out.
    TimedOut,
    /// No answer yet when another resolver had answered and its grace had passed.
    Abandoned,
}

impl QueryOutcome {
    /// An answer from DNS itself, as opposed to an error or silence.
    pub(super) fn is_answer(&self) -> bool {
        matches!(
            self,
            QueryOutcome::Addresses(_) | QueryOutcome::NxDomain | QueryOutcome::NoRecords
        )
    }

    /// Whether a resolver said something about the name: an answer, or an
    /// error code such as SERVFAIL (the target's DNS). REFUSED is not: a
    /// resolver that refuses to serve this machine says nothing about the name.
    pub(super) fn speaks_of_the_name(&self) -> bool {
        match self {
            QueryOutcome::ErrorCode(code) => code != "REFUSED",
            other => other.is_answer(),
        }
    }

    /// How telling a failure is: the most telling one names a failed lookup.
    fn rank(&self) -> u8 {
        match self {
            QueryOutcome::Addresses(_) => 9,
            QueryOutcome::NxDomain => 8,
            QueryOutcome::NoRecords => 7,
            QueryOutcome::ErrorCode(_) => 6,
            QueryOutcome::Unusable(_) => 5,
            QueryOutcome::Unreachable(_) | QueryOutcome::NoRoute(_) => 4,
            QueryOutcome::Failed(_) => 3,
            QueryOutcome::TimedOut => 2,
            QueryOutcome::Abandoned => 1,
        }
    }
}

impl fmt::Display for QueryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryOutcome::Addresses(ips) => f.write_str(&join(ips)),
            QueryOutcome::NxDomain => f.write_str("NXDOMAIN"),
            QueryOutcome::NoRecords => f.write_str("no records"),
            QueryOutcome::ErrorCode(code) => f.write_str(code),
            QueryOutcome::Unusable(1) => f.write_str("answered once, but not to this question"),
            QueryOutcome::Unusable(n) => {
                write!(f, "answered {n} times, but not to this question")
            }
            QueryOutcome::Unreachable(why) => write!(f, "unreachable: {why}"),
            QueryOutcome::NoRoute(why) => write!(f, "no route: {why}"),
            QueryOutcome::Failed(why) => write!(f, "error: {why}"),
            QueryOutcome::TimedOut => f.write_str("no answer in time"),
            QueryOutcome::Abandoned => f.write_str("no answer yet when the others had answered"),
        }
    }
}

pub(super) fn join(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One resolver asked one way: its answers to the A and AAAA queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ResolverAnswer {
    /// `ADDR:PORT`, or the DNS-over-HTTPS URL.
    pub(super) server: String,
    /// How it was asked.
    pub(super) transport: Transport,
    /// Whether it was asked only because the port-53 resolvers said nothing.
    pub(super) fallback: bool,
    pub(super) a: QueryOutcome,
    pub(super) aaaa: QueryOutcome,
    /// Time to its first answer of either query.
    pub(super) first_answer: Option<Duration>,
}

impl ResolverAnswer {
    pub(super) fn addresses(&self) -> Vec<IpAddr> {
        let mut ips = Vec::new();
        for outcome in [&self.a, &self.aaaa] {
            if let QueryOutcome::Addresses(found) = outcome {
                ips.extend(found.iter().copied());
            }
        }
        ips
    }

    /// The resolver's verdict: its addresses, or its most telling failure.
    /// "No records" is a verdict only when both queries got it: one query
    /// answered with nothing says nothing about the other, still unanswered.
    pub(super) fn outcome(&self) -> QueryOutcome {
        let ips = self.addresses();
        if !ips.is_empty() {
            return QueryOutcome::Addresses(ips);
        }
        if self.a == QueryOutcome::NxDomain || self.aaaa == QueryOutcome::NxDomain {
            return QueryOutcome::NxDomain;
        }
        match (&self.a, &self.aaaa) {
            (QueryOutcome::NoRecords, other) | (other, QueryOutcome::NoRecords) => {
                return other.clone()
            }
            _ => {}
        }
        if self.a.rank() >= self.aaaa.rank() {
            self.a.clone()
        } else {
            self.aaaa.clone()
        }
    }

    /// Whether this resolver said anything about the name (see
    /// [`QueryOutcome::speaks_of_the_name`]).
    pub(super) fn spoke(&self) -> bool {
        self.a.speaks_of_the_name() || self.aaaa.speaks_of_the_name()
    }

    /// `1.1.1.1:53 (udp)`, as summaries name a resolver.
    pub(super) fn label(&self) -> String {
        format!("{} ({})", self.server, self.transport)
    }

    pub(super) fn details(&self) -> Value {
        let mut detail = json!({
            "server": self.server,
            "transport": self.transport.label(),
            "fallback": self.fallback,
            "answer": self.outcome().to_string(),
            "A": self.a.to_string(),
            "AAAA": self.aaaa.to_string(),
            "addresses": self.addresses().iter().map(|ip| ip.to_string()).collect::<Vec<_>>(),
        });
        if let (Some(ms), Some(map)) = (self.first_answer, detail.as_object_mut()) {
            map.insert("ms".into(), json!(ms.as_millis() as u64));
        }
        detail
    }
}

/// Every address any resolver gave, in resolver order, without duplicates.
pub(super) fn union(answers: &[ResolverAnswer]) -> Vec<IpAddr> {
    let mut all = Vec::new();
    for ip in answers.iter().flat_map(ResolverAnswer::addresses) {
        if !all.contains(&ip) {
            all.push(ip);
        }
    }
    all
}

/// The most telling failure across resolvers, when none gave an address.
pub(super) fn worst_failure(answers: &[ResolverAnswer]) -> Option<(String, QueryOutcome)> {
    answers
        .iter()
        .map(|answer| (answer.label(), answer.outcome()))
        .filter(|(_, outcome)| !matches!(outcome, QueryOutcome::Addresses(_)))
        .max_by_key(|(_, outcome)| outcome.rank())
}

/// What a worker reports about one row.
enum Found {
    /// How one query (by slot) ended.
    Outcome(usize, QueryOutcome),
    /// A reply that answers none of the row's queries.
    Unusable,
}

/// One report from a worker: which row, and what.
struct Event {
    row: usize,
    found: Found,
}

/// What a worker needs to report and to know when to stop.
#[derive(Clone)]
struct Reporter {
    row: usize,
    sender: mpsc::Sender<Event>,
    stop: Arc<AtomicBool>,
    deadline: Instant,
}

impl Reporter {
    fn send(&self, found: Found) {
        // The coordinator may have finished; then nobody needs the answer.
        let _ = self.sender.send(Event {
            row: self.row,
            found,
        });
    }

    fn report(&self, slot: usize, outcome: QueryOutcome) {
        self.send(Found::Outcome(slot, outcome));
    }

    fn report_all(&self, slots: &[usize], outcome: &QueryOutcome) {
        for slot in slots {
            self.report(*slot, outcome.clone());
        }
    }

    fn unusable(&self) {
        self.send(Found::Unusable);
    }

    fn done(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || Instant::now() >= self.deadline
    }

    /// How long the next blocking call may wait: never past the deadline,
    /// and never so long that the stop flag goes unseen.
    fn wait(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_millis(1), POLL)
    }
}

/// Sorts a socket error into a query outcome.
fn io_outcome(error: &io::Error, during: &str) -> QueryOutcome {
    match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => QueryOutcome::TimedOut,
        io::ErrorKind::ConnectionRefused => {
            QueryOutcome::Unreachable(format!("{during}: refused ({error})"))
        }
        io::ErrorKind::NetworkUnreachable => QueryOutcome::NoRoute(format!("{during}: {error}")),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::PermissionDenied => {
            QueryOutcome::Unreachable(format!("{during}: {error}"))
        }
        _ => QueryOutcome::Failed(format!("{during}: {error}")),
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// The largest UDP payload there is: a datagram is read whole, whatever
/// payload size the query offered (dig reads an oversized answer too).
const DATAGRAM_MAX: usize = 65_535;

/// Which query a reply answers, if any: `Ok(slot)`, or `Err(())` for a
/// reply that answers none of them (not even a late duplicate).
fn matching(queries: &[Message], reply: &[u8]) -> Result<(usize, Message), ()> {
    let response = Message::from_vec(reply).map_err(|_| ())?;
    let slot = queries
        .iter()
        .position(|query| wire::answers(query, &response))
        .ok_or(())?;
    Ok((slot, response))
}

/// Both queries over UDP on one connected socket (so ICMP errors come back
/// as errors), sent at once, re-sent while unanswered; a truncated answer is
/// asked again over TCP.
fn ask_udp(server: SocketAddr, queries: Vec<Message>, reporter: Reporter) {
    let all: Vec<usize> = (0..queries.len()).collect();
    let local: SocketAddr = if server.is_ipv6() {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let socket = match UdpSocket::bind(local).and_then(|s| s.connect(server).map(|()| s)) {
        Ok(socket) => socket,
        Err(e) => return reporter.report_all(&all, &io_outcome(&e, "UDP")),
    };
    let mut bytes = Vec::new();
    for query in &queries {
        match wire::encode(query) {
            Ok(encoded) => bytes.push(encoded),
            Err(why) => return reporter.report_all(&all, &QueryOutcome::Failed(why)),
        }
    }
    let mut pending = all.clone();
    let send = |pending: &[usize]| -> Result<(), io::Error> {
        for slot in pending {
            socket.send(&bytes[*slot])?;
        }
        Ok(())
    };
    if let Err(e) = send(&pending) {
        return reporter.report_all(&pending, &io_outcome(&e, "UDP"));
    }
    let mut interval = RETRANSMIT_AFTER;
    let mut next_send = Instant::now() + interval;
    let mut buf = vec![0u8; DATAGRAM_MAX];
    while !pending.is_empty() && !reporter.done() {
        let now = Instant::now();
        if now >= next_send {
            if let Err(e) = send(&pending) {
                return reporter.report_all(&pending, &io_outcome(&e, "UDP"));
            }
            interval *= 2;
            next_send = now + interval;
        }
        let wait = reporter
            .wait()
            .min(next_send.saturating_duration_since(now))
            .max(Duration::from_millis(1));
        if socket.set_read_timeout(Some(wait)).is_err() {
            return reporter.report_all(
                &pending,
                &QueryOutcome::Failed("cannot set a socket timeout".into()),
            );
        }
        let len = match socket.recv(&mut buf) {
            Ok(len) => len,
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return reporter.report_all(&pending, &io_outcome(&e, "UDP")),
        };
        // A late duplicate of an answer already taken is ignored; anything
        // else that answers no query (a spoofing attempt, a broken
        // middlebox) is counted, so that a resolver that only ever replied
        // so is not taken for one that never replied.
        let (slot, response) = match matching(&queries, &buf[..len]) {
            Ok(found) => found,
            Err(()) => {
                reporter.unusable();
                continue;
            }
        };
        let Some(position) = pending.iter().position(|pending| *pending == slot) else {
            continue;
        };
        pending.remove(position);
        if response.metadata.truncation {
            ask_tcp(server, vec![(slot, queries[slot].clone())], &reporter);
        } else {
            reporter.report(slot, wire::outcome(&queries[slot], &response));
        }
    }
}

/// The DNS messages on a TCP stream (RFC 1035 §4.2.2: each after a
/// two-byte length), from reads that may end anywhere, even between the
/// two bytes of a length.
#[derive(Default)]
struct Frames {
    received: Vec<u8>,
}

impl Frames {
    /// The next whole message received, if there is one.
    fn next(&mut self) -> Option<Vec<u8>> {
        let len = match self.received.as_slice() {
            [high, low, ..] => usize::from(u16::from_be_bytes([*high, *low])),
            _ => return None,
        };
        if self.received.len() < 2 + len {
            return None;
        }
        let message = self.received[2..2 + len].to_vec();
        self.received.drain(..2 + len);
        Some(message)
    }
}

/// The queries over one TCP connection (RFC 7766: pipelined, two-byte
/// length prefix). Every read is bounded by the deadline and watches the
/// stop flag, so a resolver that drips bytes holds nothing past either.
fn ask_tcp(server: SocketAddr, queries: Vec<(usize, Message)>, reporter: &Reporter) {
    let slots: Vec<usize> = queries.iter().map(|(slot, _)| *slot).collect();
    let remaining = reporter.deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return;
    }
    let mut stream = match TcpStream::connect_timeout(&server, remaining) {
        Ok(stream) => stream,
        Err(e) => return reporter.report_all(&slots, &io_outcome(&e, "TCP")),
    };
    crate::net::no_delay(&stream);
    let mut framed = Vec::new();
    for (_, query) in &queries {
        let bytes = match wire::encode(query) {
            Ok(bytes) => bytes,
            Err(why) => return reporter.report_all(&slots, &QueryOutcome::Failed(why)),
        };
        let Ok(len) = u16::try_from(bytes.len()) else {
            return reporter.report_all(&slots, &QueryOutcome::Failed("query too long".into()));
        };
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(&bytes);
    }
    let _ = stream.set_write_timeout(Some(remaining));
    if let Err(e) = stream.write_all(&framed) {
        return reporter.report_all(&slots, &io_outcome(&e, "TCP"));
    }
    let all: Vec<Message> = queries.iter().map(|(_, query)| query.clone()).collect();
    let mut pending = queries;
    let mut frames = Frames::default();
    let mut chunk = vec![0u8; 16 * 1024];
    while !pending.is_empty() && !reporter.done() {
        if let Some(message) = frames.next() {
            match matching(&all, &message) {
                Ok((index, response)) => {
                    let slot = slots.get(index).copied();
                    if let Some(position) = pending.iter().position(|(s, _)| Some(*s) == slot) {
                        let (slot, query) = pending.remove(position);
                        reporter.report(slot, wire::outcome(&query, &response));
                    }
                }
                Err(()) => reporter.unusable(),
            }
            continue;
        }
        let _ = stream.set_read_timeout(Some(reporter.wait()));
        match stream.read(&mut chunk) {
            Ok(0) => {
                let slots: Vec<usize> = pending.iter().map(|(slot, _)| *slot).collect();
                let outcome = QueryOutcome::Unreachable("TCP: closed without an answer".into());
                return reporter.report_all(&slots, &outcome);
            }
            Ok(len) => frames.received.extend_from_slice(&chunk[..len]),
            Err(e) if is_timeout(&e) => {}
            Err(e) => {
                let slots: Vec<usize> = pending.iter().map(|(slot, _)| *slot).collect();
                return reporter.report_all(&slots, &io_outcome(&e, "TCP"));
            }
        }
    }
}

/// One query over DNS over HTTPS.
fn ask_https(agent: ureq::Agent, url: url::Url, slot: usize, query: Message, reporter: Reporter) {
    let outcome = match wire::encode(&query) {
        Ok(bytes) => match doh::post(&agent, &url, &bytes) {
            Ok(response) if wire::answers(&query, &response) => wire::outcome(&query, &response),
            Ok(_) | Err(doh::DohError::NotDns) => QueryOutcome::Unusable(1),
            Err(doh::DohError::TimedOut) => QueryOutcome::TimedOut,
            Err(doh::DohError::Unreachable(why)) => QueryOutcome::Unreachable(why),
            Err(doh::DohError::NoRoute(why)) => QueryOutcome::NoRoute(why),
        },
        Err(why) => QueryOutcome::Failed(why),
    };
    reporter.report(slot, outcome);
}

/// The rows of the table being filled: one per resolver and transport.
struct Row {
    server: String,
    transport: Transport,
    fallback: bool,
    slots: [Option<QueryOutcome>; 2],
    first_answer: Option<Duration>,
    /// Replies that answered none of the row's queries.
    unusable: u32,
}

impl Row {
    fn new(server: String, transport: Transport, fallback: bool) -> Self {
        Row {
            server,
            transport,
            fallback,
            slots: [None, None],
            first_answer: None,
            unusable: 0,
        }
    }

    fn finished(&self) -> bool {
        self.slots.iter().all(Option::is_some)
    }

    fn spoke(&self) -> bool {
        self.slots
            .iter()
            .flatten()
            .any(QueryOutcome::speaks_of_the_name)
    }

    /// Whether this resolver answered one query and not yet the other: it is
    /// alive, so its other answer is waited for (and re-asked), not abandoned.
    fn half_answered(&self) -> bool {
        self.spoke() && !self.finished()
    }

    fn into_answer(self, leftover: &QueryOutcome) -> ResolverAnswer {
        let unusable = self.unusable;
        // A query that got only unusable replies was not met with silence.
        let settle = |slot: Option<QueryOutcome>| match slot.unwrap_or_else(|| leftover.clone()) {
            QueryOutcome::TimedOut
            | QueryOutcome::Abandoned
            | QueryOutcome::Unreachable(_)
            | QueryOutcome::NoRoute(_)
                if unusable > 0 =>
            {
                QueryOutcome::Unusable(unusable)
            }
            outcome => outcome,
        };
        let [a, aaaa] = self.slots;
        ResolverAnswer {
            server: self.server,
            transport: self.transport,
            fallback: self.fallback,
            a: settle(a),
            aaaa: settle(aaaa),
            first_answer: self.first_answer,
        }
    }
}

/// Starts the workers and keeps the table of what they found.
struct Coordinator<'a> {
    name: Name,
    net: &'a NetSettings,
    rows: Vec<Row>,
    sender: mpsc::Sender<Event>,
    stop: Arc<AtomicBool>,
    deadline: Instant,
}

impl Coordinator<'_> {
    fn reporter(&self, row: usize) -> Reporter {
        Reporter {
            row,
            sender: self.sender.clone(),
            stop: self.stop.clone(),
            deadline: self.deadline,
        }
    }

    fn queries(&self, id_zero: bool) -> Vec<Message> {
        RECORD_TYPES
            .iter()
            .map(|record_type| {
                let mut query = wire::query(&self.name, *record_type, 0);
                if !id_zero {
                    query.metadata.id = random_id();
                }
                query
            })
            .collect()
    }

    fn spawn(&self, what: &str, work: impl FnOnce() + Send + 'static, row: usize) {
        if let Err(e) = thread::Builder::new()
            .name(format!("dns-{what}"))
            .spawn(work)
        {
            self.reporter(row).report_all(
                &[0, 1],
                &QueryOutcome::Failed(format!("cannot start a DNS worker ({e})")),
            );
        }
    }

    fn start_udp(&mut self, server: SocketAddr) {
        let row = self.rows.len();
        self.rows
            .push(Row::new(server.to_string(), Transport::Udp, false));
        let (queries, reporter) = (self.queries(false), self.reporter(row));
        self.spawn("udp", move || ask_udp(server, queries, reporter), row);
    }

    fn start_tcp(&mut self, server: SocketAddr) {
        let row = self.rows.len();
        self.rows
            .push(Row::new(server.to_string(), Transport::Tcp, true));
        let queries: Vec<(usize, Message)> = self.queries(false).into_iter().enumerate().collect();
        let reporter = self.reporter(row);
        self.spawn("tcp", move || ask_tcp(server, queries, &reporter), row);
    }

    fn start_https(&mut self, url: &url::Url, fallback: bool) {
        let row = self.rows.len();
        self.rows
            .push(Row::new(url.to_string(), Transport::Https, fallback));
        let agent = match doh::agent(self.net, self.deadline) {
            Ok(agent) => agent,
            Err(why) => {
                return self
                    .reporter(row)
                    .report_all(&[0, 1], &QueryOutcome::Failed(why))
            }
        };
        // Two POSTs at once, each on its own connection: no round trip waits for another.
        for (slot, query) in self.queries(true).into_iter().enumerate() {
            let (agent, url, reporter) = (agent.clone(), url.clone(), self.reporter(row));
            self.spawn(
                "https",
                move || ask_https(agent, url, slot, query, reporter),
                row,
            );
        }
    }
}

/// A query id nobody off the path can guess.
fn random_id() -> u16 {
    use rand_core::RngCore;
    (rand_core::OsRng.next_u32() & 0xffff) as u16
}

/// Asks every resolver in parallel for the A and AAAA records of `host`,
/// until `deadline`, or until shortly after the first answer; falls back to
/// TCP and DNS over HTTPS only when the first round said nothing.
pub(super) fn query_resolvers(
    host: &str,
    net: &NetSettings,
    deadline: Instant,
) -> Vec<ResolverAnswer> {
    let name = match Name::from_ascii(format!("{}.", host.trim_end_matches('.'))) {
        Ok(name) => name,
        Err(e) => {
            let why = QueryOutcome::Failed(format!("{host} is not a valid DNS name ({e})"));
            return net
                .dns_servers
                .iter()
                .map(|server| Row::new(server.to_string(), Transport::Udp, false))
                .map(|row| row.into_answer(&why))
                .collect();
        }
    };
    let (sender, receiver) = mpsc::channel();
    let mut coordinator = Coordinator {
        name,
        net,
        rows: Vec::new(),
        sender,
        stop: Arc::new(AtomicBool::new(false)),
        deadline,
    };
    let started = Instant::now();
    for server in &net.dns_servers {
        coordinator.start_udp(*server);
    }
    for url in &net.doh.servers {
        coordinator.start_https(url, false);
    }
    let can_fall_back = !net.dns_servers.is_empty() || !net.doh.fallback.is_empty();
    let mut fallback_started = !can_fall_back;
    let mut grace_deadline: Option<Instant> = None;
    let out_of_time = loop {
        let rows = &coordinator.rows;
        if rows.iter().all(Row::finished) && (fallback_started || rows.iter().any(Row::spoke)) {
            break false;
        }
        let now = Instant::now();
        if !fallback_started
            && !rows.iter().any(Row::spoke)
            && (now >= started + FALLBACK_AFTER || rows.iter().all(Row::finished))
        {
            fallback_started = true;
            for server in net.dns_servers.clone() {
                coordinator.start_tcp(server);
            }
            for url in net.doh.fallback.clone() {
                coordinator.start_https(&url, true);
            }
            continue;
        }
        if now >= deadline {
            break true;
        }
        // The grace is for the other resolvers: a resolver that answered one
        // query is alive, and its other answer is waited for within the
        // budget, unless another resolver has already answered both.
        let grace_over = grace_deadline.is_some_and(|grace| now >= grace);
        let complete = rows.iter().any(|row| row.finished() && row.spoke());
        let half_answered = rows.iter().any(Row::half_answered);
        if grace_over && (complete || !half_answered) {
            break false;
        }
        let mut until = match grace_deadline {
            Some(grace) if !grace_over => grace.min(deadline),
            _ => deadline,
        };
        // Wake up for the fallback only while it may still be needed.
        if !fallback_started && !rows.iter().any(Row::spoke) {
            until = until.min(started + FALLBACK_AFTER);
        }
        let Ok(event) = receiver.recv_timeout(until.saturating_duration_since(now)) else {
            continue;
        };
        let Some(row) = coordinator.rows.get_mut(event.row) else {
            continue;
        };
        let (slot, outcome) = match event.found {
            Found::Outcome(slot, outcome) => (slot, outcome),
            Found::Unusable => {
                row.unusable = row.unusable.saturating_add(1);
                continue;
            }
        };
        if outcome.speaks_of_the_name() {
            let took = started.elapsed();
            row.first_answer.get_or_insert(took);
            if grace_deadline.is_none() {
                grace_deadline = Some(Instant::now() + (took * 2).clamp(GRACE_MIN, GRACE_MAX));
            }
        }
        if let Some(slot) = row.slots.get_mut(slot) {
            slot.get_or_insert(outcome);
        }
    };
    coordinator.stop.store(true, Ordering::SeqCst);
    let leftover = if out_of_time {
        QueryOutcome::TimedOut
    } else {
        QueryOutcome::Abandoned
    };
    coordinator
        .rows
        .into_iter()
        .map(|row| row.into_answer(&leftover))
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An address from its text (shared with the judgement tests).
    pub(in crate::dns) fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    /// One resolver's answer over UDP, first heard after 3 ms.
    pub(in crate::dns) fn answer(
        server: &str,
        a: QueryOutcome,
        aaaa: QueryOutcome,
    ) -> ResolverAnswer {
        ResolverAnswer {
            server: server.to_string(),
            transport: Transport::Udp,
            fallback: false,
            a,
            aaaa,
            first_answer: Some(Duration::from_millis(3)),
        }
    }

    #[test]
    fn resolver_outcomes_combine_a_and_aaaa() {
        let both = answer(
            "1.1.1.1:53",
            QueryOutcome::Addresses(vec![ip("20.1.2.3")]),
            QueryOutcome::Addresses(vec![ip("2a00::1")]),
        );
        assert_eq!(both.addresses(), vec![ip("20.1.2.3"), ip("2a00::1")]);
        let v4_only = answer(
            "1.1.1.1:53",
            QueryOutcome::Addresses(vec![ip("20.1.2.3")]),
            QueryOutcome::NoRecords,
        );
        assert_eq!(
            v4_only.outcome(),
            QueryOutcome::Addresses(vec![ip("20.1.2.3")])
        );
        let nx = answer("1.1.1.1:53", QueryOutcome::TimedOut, QueryOutcome::NxDomain);
        assert_eq!(nx.outcome(), QueryOutcome::NxDomain);
        let details = both.details();
        assert_eq!(details["A"], "20.1.2.3");
        assert_eq!(details["ms"], 3);
    }

    #[test]
    fn no_records_for_one_query_is_no_verdict_while_the_other_is_unanswered() {
        for unanswered in [
            QueryOutcome::TimedOut,
            QueryOutcome::Abandoned,
            QueryOutcome::Unusable(2),
            QueryOutcome::ErrorCode("SERVFAIL".into()),
        ] {
            let half = answer("1.1.1.1:53", unanswered.clone(), QueryOutcome::NoRecords);
            assert_eq!(half.outcome(), unanswered);
            let mirrored = answer("1.1.1.1:53", QueryOutcome::NoRecords, unanswered.clone());
            assert_eq!(mirrored.outcome(), unanswered);
        }
        let both = answer(
            "1.1.1.1:53",
            QueryOutcome::NoRecords,
            QueryOutcome::NoRecords,
        );
        assert_eq!(both.outcome(), QueryOutcome::NoRecords);
        assert_eq!(
            QueryOutcome::Unusable(3).to_string(),
            "answered 3 times, but not to this question"
        );
    }

    #[test]
    fn tcp_frames_survive_reads_that_end_anywhere() {
        let mut frames = Frames::default();
        let stream = [&[0u8, 3, b'a', b'b', b'c', 0][..], &[2, b'd', b'e']].concat();
        let mut got = Vec::new();
        // One byte per read: a length split over two reads included.
        for byte in stream {
            frames.received.push(byte);
            got.extend(frames.next());
        }
        assert_eq!(got, vec![b"abc".to_vec(), b"de".to_vec()]);
        assert!(frames.received.is_empty());
    }

    #[test]
    fn a_row_that_got_only_unusable_replies_says_so() {
        let mut row = Row::new("1.1.1.1:53".into(), Transport::Udp, false);
        row.unusable = 4;
        row.slots[1] = Some(QueryOutcome::Unreachable("UDP: refused".into()));
        let answer = row.into_answer(&QueryOutcome::TimedOut);
        assert_eq!(answer.a, QueryOutcome::Unusable(4));
        assert_eq!(answer.aaaa, QueryOutcome::Unusable(4));
        assert!(!answer.spoke());
    }

    #[test]
    fn only_answers_and_error_codes_other_than_refused_speak_of_the_name() {
        assert!(QueryOutcome::ErrorCode("SERVFAIL".into()).speaks_of_the_name());
        assert!(QueryOutcome::NxDomain.speaks_of_the_name());
        assert!(!QueryOutcome::ErrorCode("REFUSED".into()).speaks_of_the_name());
        assert!(!QueryOutcome::Unreachable("refused".into()).speaks_of_the_name());
        assert!(!QueryOutcome::TimedOut.speaks_of_the_name());
    }
}
