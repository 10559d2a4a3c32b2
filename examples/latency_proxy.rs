//! A forwarding proxy on 127.0.0.1 that makes loopback behave like a link
//! with a round-trip time: every TCP chunk and every UDP datagram (DNS) is
//! delivered half an RTT after it was sent, in each direction. The first
//! chunk a client sends on a connection waits one RTT more, standing for the
//! TCP handshake that loopback completes at once. For `scripts/bench.sh --rtt`.
//!
//! ```text
//! cargo run --release --example latency_proxy -- --rtt-ms 50 \
//!     --tcp-to 127.0.0.1:PORT [--udp-to 127.0.0.1:DNSPORT] --log FILE
//!     [--listen 127.0.0.1:PORT]
//! ```
//!
//! It prints `tcp=ADDR udp=ADDR` (where it listens) and appends a line to
//! `FILE` for every TCP connection it accepts (`tcp`) and every datagram a
//! client sends (`udp`), so the bench can count what each command did.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};
use std::{env, process};

/// What the command line asked for.
struct Options {
    half: Duration,
    tcp_to: SocketAddr,
    udp_to: Option<SocketAddr>,
    log: File,
    listen: SocketAddr,
}

fn parse_args() -> Result<Options, String> {
    let (mut rtt, mut tcp_to, mut udp_to, mut log) = (None, None, None, None);
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--rtt-ms" => rtt = Some(value.parse::<f64>().map_err(|e| format!("--rtt-ms: {e}"))?),
            "--tcp-to" => tcp_to = Some(value.parse().map_err(|e| format!("--tcp-to: {e}"))?),
            "--udp-to" => udp_to = Some(value.parse().map_err(|e| format!("--udp-to: {e}"))?),
            "--listen" => listen = value.parse().map_err(|e| format!("--listen: {e}"))?,
            "--log" => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&value)
                    .map_err(|e| format!("--log {value}: {e}"))?;
                log = Some(file);
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let rtt = rtt.ok_or("--rtt-ms is required")?;
    Ok(Options {
        half: Duration::from_secs_f64(rtt.max(0.0) / 2000.0),
        tcp_to: tcp_to.ok_or("--tcp-to is required")?,
        udp_to,
        log: log.ok_or("--log is required")?,
        listen,
    })
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("latency_proxy: {message}");
            eprintln!("usage: latency_proxy --rtt-ms MS --tcp-to ADDR [--udp-to ADDR] --log FILE [--listen ADDR]");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = serve(options) {
        eprintln!("latency_proxy: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

type Log = Arc<Mutex<File>>;

fn note(log: &Log, what: &str) {
    let mut file = log.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = writeln!(file, "{what}");
}

fn serve(options: Options) -> io::Result<()> {
    let log: Log = Arc::new(Mutex::new(options.log));
    let listener = TcpListener::bind(options.listen)?;
    let udp = match options.udp_to {
        Some(upstream) => Some((UdpSocket::bind(options.listen)?, upstream)),
        None => None,
    };
    let udp_addr = match &udp {
        Some((socket, _)) => socket.local_addr()?.to_string(),
        None => "none".to_string(),
    };
    println!("tcp={} udp={udp_addr}", listener.local_addr()?);
    io::stdout().flush()?;
    if let Some((socket, upstream)) = udp {
        let (log, half) = (Arc::clone(&log), options.half);
        thread::spawn(move || relay_datagrams(socket, upstream, half, &log));
    }
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        note(&log, "tcp");
        let (to, half) = (options.tcp_to, options.half);
        thread::spawn(move || {
            if let Ok(server) = TcpStream::connect(to) {
                relay_connection(client, server, half);
            }
        });
    }
    Ok(())
}

/// One chunk on its way, and when it may be delivered.
type Delayed = (Instant, Vec<u8>);

/// Pumps both directions of one connection through delay lines.
fn relay_connection(client: TcpStream, server: TcpStream, half: Duration) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(client_out), Ok(server_out)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    // The client's first chunk also pays for the TCP handshake's round trip.
    let upstream = thread::spawn(move || pump(client, server_out, half, half * 2));
    pump(server, client_out, half, Duration::ZERO);
    let _ = upstream.join();
}

/// Reads chunks from `from` and delivers each to `to` `half` later.
fn pump(mut from: TcpStream, to: TcpStream, half: Duration, first_extra: Duration) {
    let (sender, receiver): (Sender<Delayed>, Receiver<Delayed>) = mpsc::channel();
    let writer = thread::spawn(move || deliver(receiver, to));
    let mut buf = vec![0u8; 64 * 1024];
    let mut extra = first_extra;
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let due = Instant::now() + half + extra;
                extra = Duration::ZERO;
                if sender.send((due, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        }
    }
    drop(sender);
    let _ = writer.join();
}

fn deliver(receiver: Receiver<Delayed>, mut to: TcpStream) {
    for (due, chunk) in receiver {
        thread::sleep(due.saturating_duration_since(Instant::now()));
        if to.write_all(&chunk).is_err() {
            return;
        }
    }
    // The sender closed its side: pass the FIN on, after its last chunk.
    let _ = to.shutdown(Shutdown::Write);
}

/// Relays DNS datagrams to `upstream` and the answers back, each half an
/// RTT late; one upstream socket per client address.
fn relay_datagrams(socket: UdpSocket, upstream: SocketAddr, half: Duration, log: &Log) {
    let Ok(back) = socket.try_clone() else { return };
    let (line, due_items) = mpsc::channel::<(Instant, Box<dyn FnOnce() + Send>)>();
    thread::spawn(move || {
        for (due, send) in due_items {
            thread::sleep(due.saturating_duration_since(Instant::now()));
            send();
        }
    });
    let mut upstreams: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, client)) = socket.recv_from(&mut buf) else {
            process::exit(1);
        };
        note(log, "udp");
        let relay = match upstreams.get(&client) {
            Some(relay) => Arc::clone(relay),
            None => {
                let Ok(relay) = UdpSocket::bind("127.0.0.1:0") else {
                    continue;
                };
                let relay = Arc::new(relay);
                upstreams.insert(client, Arc::clone(&relay));
                let (answers, back, line) = (Arc::clone(&relay), back.try_clone(), line.clone());
                if let Ok(back) = back {
                    let back = Arc::new(back);
                    thread::spawn(move || {
                        let mut buf = vec![0u8; 65536];
                        while let Ok(n) = answers.recv(&mut buf) {
                            let (answer, back) = (buf[..n].to_vec(), Arc::clone(&back));
                            let send = move || {
                                let _ = back.send_to(&answer, client);
                            };
                            if line.send((Instant::now() + half, Box::new(send))).is_err() {
                                return;
                            }
                        }
                    });
                }
                relay
            }
        };
        let query = buf[..n].to_vec();
        let send = move || {
            let _ = relay.send_to(&query, upstream);
        };
        if line.send((Instant::now() + half, Box::new(send))).is_err() {
            return;
        }
    }
}
